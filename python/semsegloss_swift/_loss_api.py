"""The calling convention shared by every loss function and loss class."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict, FrozenSet, Optional

from . import _core
from ._options import encode, flag
from ._option_hints import unknown_option_message, unknown_options

_CALL_ONLY = ("return_grad", "grad_output")


class _Probe:
    """The input that makes `evaluate` hand back its options instead of computing."""


class _Captured(Exception):
    def __init__(self, options: Dict[str, Any]) -> None:
        super().__init__()
        self.options = options


_PROBE = _Probe()


def evaluate(name: str, input: Any, target: Any, return_grad: bool, grad_output: Any,
             options: Dict[str, Any], mask: Any = None):
    """Calls loss `name` in the Swift library (with voxel weights `mask` when given) and
    shapes the result (DESIGN.md §2)."""
    if input is _PROBE:
        raise _Captured(options)
    return_grad = flag("return_grad", return_grad)
    if grad_output is not None and options.get("reduction") != "none":
        raise ValueError("grad_output: only accepted with reduction='none'")
    if grad_output is not None and not return_grad:
        raise ValueError("grad_output: only used with return_grad=True (it weights the gradient)")
    encoded = encode(options, sequences=sequence_options(name))
    if mask is None:
        value, values, grad = _core.loss(name, input, target, encoded, return_grad, grad_output)
    else:
        value, values, grad = _core.loss(name, input, target, encoded, return_grad, grad_output, mask)
    loss = values if options.get("reduction") == "none" else value
    return (loss, grad) if return_grad else loss


#: Annotations of the options that take a sequence (class weights, spacing, a matrix).
_SEQUENCE_ANNOTATIONS = ("Any", "Optional[Sequence[float]]", "Sequence[float]")


@functools.lru_cache(maxsize=None)
def sequence_options(name: str) -> FrozenSet[str]:
    """The options of loss `name` that take a sequence of numbers, from its signature: a
    list for any other option (``k=[10.0]``) is then a TypeError saying that the option
    expects a number."""
    from .losses import LOSSES
    return frozenset(p.name for p in inspect.signature(LOSSES[name]).parameters.values()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY and _annotation(p) in _SEQUENCE_ANNOTATIONS
                     and p.name not in _CALL_ONLY)


def _annotation(parameter: inspect.Parameter) -> str:
    """The annotation as written (``from __future__ import annotations`` keeps it a string)."""
    annotation = parameter.annotation
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


def library_options(name: str, options: Dict[str, Any]) -> Dict[str, Any]:
    """The options that the function of loss `name` passes to the library when called with
    the keyword `options`: its defaults filled in (some differ from the library's: the
    cross-entropy family defaults to ``mode="multiclass"``) and the options it derives
    (such as ``alpha_weighting = alpha is not None``). Every path that calls the library
    with a user's options for a named loss (masked and deep-supervision losses, the trainer,
    the torch adapter) goes through this, so that it computes what the function computes."""
    from .losses import LOSSES
    try:
        LOSSES[name](_PROBE, None, **options)
    except _Captured as captured:
        return dict(captured.options)
    raise AssertionError(f"{name} did not reach the library")  # pragma: no cover


class Loss:
    """Base of the loss classes: `Loss(**options)(input, target)` equals
    `function(input, target, **options)`.

    Options are checked when the object is created (unknown names raise TypeError),
    and again by the library on each call.
    """

    _function: Callable[..., Any]

    def __init__(self, **options: Any) -> None:
        allowed = self.option_names()
        unknown = unknown_options(options, allowed)
        if unknown:
            raise TypeError(unknown_option_message(type(self).__name__, unknown[0], allowed))
        self.options: Dict[str, Any] = dict(options)

    @classmethod
    def option_names(cls):
        return _keyword_options(cls._function)

    def __call__(self, input: Any, target: Any, *, return_grad: bool = False,
                 grad_output: Optional[Any] = None):
        return type(self)._function(input, target, return_grad=return_grad,
                                    grad_output=grad_output, **self.options)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({args})"


def _keyword_options(function: Callable[..., Any]) -> list:
    """The keyword-only options of a loss function (without the call-only arguments)."""
    sig = inspect.signature(function)
    return [p.name for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in _CALL_ONLY]


def option_names(name: str) -> list:
    """The keyword options of the function of catalogue loss `name`."""
    from .losses import LOSSES
    return _keyword_options(LOSSES[name])


def make_class(function: Callable[..., Any], class_name: str) -> type:
    """A `Loss` subclass named `class_name` wrapping `function`."""
    doc = (f"Class form of :func:`{function.__name__}`: ``{class_name}(**options)(input, target)``.\n\n"
           + (function.__doc__ or ""))
    return type(class_name, (Loss,), {"_function": staticmethod(function), "__doc__": doc,
                                      "__module__": "semsegloss_swift"})


def resolve_loss(loss: Any, loss_options: Dict[str, Any]):
    """(catalogue name, options) from a loss name (with or without the ``_loss`` suffix) and
    keyword options, or from a configured loss object (then without extra options). Unknown
    names raise ValueError naming ``loss``; unknown options TypeError naming the option."""
    from .losses import LOSSES
    if isinstance(loss, Loss):
        if loss_options:
            raise TypeError(f"loss options {sorted(loss_options)} given next to a configured {type(loss).__name__}; "
                            "put them in the loss object")
        return type(loss)._function.__name__, dict(loss.options)
    if not isinstance(loss, str):
        raise TypeError(f"loss: expected a loss name or a loss object such as ss.DiceLoss(), got {loss!r}")
    name = loss if loss in LOSSES else loss + "_loss"
    if name not in LOSSES:
        raise ValueError(f"loss: unknown loss {loss!r}; available: {', '.join(LOSSES)}")
    allowed = option_names(name)
    unknown = unknown_options(loss_options, allowed)
    if unknown:
        raise TypeError(unknown_option_message(name, unknown[0], allowed))
    return name, dict(loss_options)
