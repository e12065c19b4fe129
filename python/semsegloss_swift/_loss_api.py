"""The calling convention shared by every loss function and loss class."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional

from . import _core
from ._options import encode

_CALL_ONLY = ("return_grad", "grad_output")


def evaluate(name: str, input: Any, target: Any, return_grad: bool, grad_output: Any,
             options: Dict[str, Any]):
    """Calls loss `name` in the Swift library and shapes the result (DESIGN.md §2)."""
    if not isinstance(return_grad, bool):
        raise TypeError(f"return_grad: expected True or False, got {return_grad!r}")
    if grad_output is not None and options.get("reduction") != "none":
        raise ValueError("grad_output: only accepted with reduction='none'")
    if grad_output is not None and not return_grad:
        raise ValueError("grad_output: only used with return_grad=True (it weights the gradient)")
    value, values, grad = _core.loss(name, input, target, encode(options), return_grad, grad_output)
    loss = values if options.get("reduction") == "none" else value
    return (loss, grad) if return_grad else loss


class Loss:
    """Base of the loss classes: `Loss(**options)(input, target)` equals
    `function(input, target, **options)`.

    Options are checked when the object is created (unknown names raise TypeError),
    and again by the library on each call.
    """

    _function: Callable[..., Any]

    def __init__(self, **options: Any) -> None:
        allowed = self.option_names()
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown option {unknown[0]!r}; "
                            f"accepted: {', '.join(allowed)}")
        self.options: Dict[str, Any] = dict(options)

    @classmethod
    def option_names(cls):
        sig = inspect.signature(cls._function)
        return [p.name for p in sig.parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in _CALL_ONLY]

    def __call__(self, input: Any, target: Any, *, return_grad: bool = False,
                 grad_output: Optional[Any] = None):
        return type(self)._function(input, target, return_grad=return_grad,
                                    grad_output=grad_output, **self.options)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({args})"


def make_class(function: Callable[..., Any], class_name: str) -> type:
    """A `Loss` subclass named `class_name` wrapping `function`."""
    doc = (f"Class form of :func:`{function.__name__}`: ``{class_name}(**options)(input, target)``.\n\n"
           + (function.__doc__ or ""))
    return type(class_name, (Loss,), {"_function": staticmethod(function), "__doc__": doc,
                                      "__module__": "semsegloss_swift"})
