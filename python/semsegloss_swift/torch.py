"""PyTorch adapter (optional, needs ``torch``): every loss of the catalogue as a
``torch.nn.Module`` and as a function on tensors, whose backward is the library's analytic
gradient.

>>> import torch, semsegloss_swift.torch as sst
>>> logits = torch.zeros(2, 3, 8, 8, requires_grad=True)
>>> labels = torch.zeros(2, 8, 8, dtype=torch.long)
>>> criterion = sst.DiceCELoss(mode="multiclass")
>>> loss = criterion(logits, labels)
>>> loss.backward()
>>> logits.grad.shape
torch.Size([2, 3, 8, 8])

How it works. ``forward`` hands the tensors to the Swift library as NumPy arrays (a CPU
tensor is shared, not copied), which computes the loss and its gradient in one pass; for
``reduction="mean"`` or ``"sum"`` ``backward`` only scales that stored gradient by the
upstream gradient. With ``reduction="none"`` the loss is a tensor of per-(image, class)
values and ``backward`` calls the library again with the upstream gradient
(``grad_output=``). When the input does not require a gradient (validation, under
``torch.no_grad()``) only the value is computed.

- Options, modes, defaults and errors are those of the NumPy API: ``sst.DiceLoss(**options)``
  takes what ``semsegloss_swift.dice_loss`` takes. ``sst.Loss(loss, **options)`` takes a
  name ("dice" or "dice_loss") or a configured NumPy-API loss object, such as
  ``semsegloss_swift.presets.preset("monai", "dice")``.
- ``input``: a floating-point tensor (N, C, *spatial); float32 and float64 are computed as
  given, float16 and bfloat16 in float32 (the loss and gradient come back in the input's
  dtype). ``target``: a tensor of any dtype (integer label maps for ``mode="multiclass"``)
  or a NumPy array. No gradient flows into the target or the mask.
- Tensors on another device (CUDA, MPS) are copied to the CPU for the computation and the
  results copied back: the losses run on the CPU cores.
- The result's graph is first-order: a second backward through it raises (the library
  gives first derivatives only). ``torch.compile`` treats the call as a graph break.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Union

try:
    import torch as _torch
    from torch.autograd.function import once_differentiable as _once_differentiable
except ImportError as _error:  # pragma: no cover - exercised only without torch
    raise ImportError("semsegloss_swift.torch needs PyTorch (pip install torch); "
                      "the NumPy API, semsegloss_swift.<loss>(array, array), does not") from _error

from . import _loss_api
from .losses import LOSSES
from .masked import MASKABLE_LOSSES

__all__ = ["Loss", "loss", "LOSS_CLASSES"]

_COMPUTED_AS_GIVEN = (_torch.float32, _torch.float64)


# MARK: - tensors to arrays

def _require_dense_data(t: Any, argument: str) -> None:
    """TypeError naming `argument` for tensors whose values cannot be read as one strided
    array: sparse layouts, nested tensors and 'meta' tensors (shape without data)."""
    if getattr(t, "is_nested", False):
        raise TypeError(f"{argument}: nested tensors are not supported; pass a dense (strided) tensor")
    if t.layout != _torch.strided:
        raise TypeError(f"{argument}: expected a dense (strided) tensor, got layout {t.layout}; "
                        f"use {argument}.to_dense()")
    if t.device.type == "meta":
        raise TypeError(f"{argument}: a 'meta' tensor has no values to compute with")


def _input_array(input: Any):
    """The NumPy view (CPU, float32/float64) of the input tensor; TypeError naming
    ``input`` for anything else."""
    if not isinstance(input, _torch.Tensor):
        raise TypeError(f"input: expected a torch.Tensor, got {type(input).__name__}")
    _require_dense_data(input, "input")
    if not input.is_floating_point():
        raise TypeError(f"input: expected a floating-point tensor, got dtype {input.dtype}")
    x = input.detach()
    if x.dtype not in _COMPUTED_AS_GIVEN:
        x = x.to(_torch.float32)
    if x.device.type != "cpu":
        x = x.cpu()
    return x.resolve_conj().resolve_neg().numpy()


def _other_array(value: Any, argument: str):
    """A target or mask: tensors become NumPy arrays (half precision as float32); anything
    else goes to the library as it is, which checks it."""
    if not isinstance(value, _torch.Tensor):
        return value
    _require_dense_data(value, argument)
    t = value.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if t.is_floating_point() and t.dtype not in _COMPUTED_AS_GIVEN:
        t = t.to(_torch.float32)
    if t.is_complex():
        raise TypeError(f"{argument}: expected a real tensor, got dtype {t.dtype}")
    return t.resolve_conj().resolve_neg().numpy()


def _like(array: Any, input: Any):
    """A NumPy result as a tensor of the input's dtype and device."""
    return _torch.as_tensor(array).to(device=input.device, dtype=input.dtype)


# MARK: - autograd functions

def _library(input: Any, ctx: Any, return_grad: bool, grad_output: Any = None):
    """The library call for the stashed target, mask, name and options (`_stash`)."""
    (t, m), (name, options) = ctx.arrays, ctx.call
    return _loss_api.evaluate(name, _input_array(input), t, return_grad, grad_output, options, mask=m)


def _stash(ctx: Any, input: Any, target: Any, mask: Any, name: str, options: Dict[str, Any]) -> None:
    """Keeps what a backward pass needs to call the library again."""
    ctx.save_for_backward(input)
    ctx.arrays = (_other_array(target, "target"), _other_array(mask, "mask"))
    ctx.call = (name, options)


class _ReducedLoss(_torch.autograd.Function):
    """``reduction="mean"|"sum"``: value and gradient in one library call; backward scales
    the stored gradient by the (scalar) upstream gradient.

    The first backward hands the stored gradient over (scaled in place), so that autograd
    can take it as ``input.grad`` without a copy; a second backward through a retained
    graph computes it again."""

    @staticmethod
    def forward(ctx, input, target, mask, name, options):
        _stash(ctx, input, target, mask, name, options)
        value, grad = _library(input, ctx, True)
        ctx.grad = _like(grad, input)
        return _torch.tensor(value, dtype=input.dtype, device=input.device)

    @staticmethod
    @_once_differentiable
    def backward(ctx, grad_output):
        grad, ctx.grad = ctx.grad, None
        if grad is None:
            (input,) = ctx.saved_tensors
            grad = _like(_library(input, ctx, True)[1], input)
        if not (grad_output.numel() == 1 and float(grad_output) == 1.0):
            grad = grad.mul_(grad_output.to(grad.dtype))
        return grad, None, None, None, None


class _UnreducedLoss(_torch.autograd.Function):
    """``reduction="none"``: the values; backward calls the library with ``grad_output``."""

    @staticmethod
    def forward(ctx, input, target, mask, name, options):
        _stash(ctx, input, target, mask, name, options)
        return _like(_library(input, ctx, False), input)

    @staticmethod
    @_once_differentiable
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        dtype = _input_array(input).dtype
        upstream = grad_output.detach().to(device="cpu", dtype=_torch.float64).numpy().astype(dtype, copy=False)
        return _like(_library(input, ctx, True, upstream)[1], input), None, None, None, None


def _apply(name: str, options: Dict[str, Any], input: Any, target: Any, mask: Any = None):
    """The loss `name` on tensors, differentiable in `input`; `options` as the library gets
    them (`_loss_api.library_options`)."""
    if mask is not None and name not in MASKABLE_LOSSES:
        raise ValueError(f"mask: {name} takes no mask; the maskable losses are {', '.join(MASKABLE_LOSSES)}")
    if not isinstance(input, _torch.Tensor):
        raise TypeError(f"input: expected a torch.Tensor, got {type(input).__name__}")
    unreduced = options.get("reduction") == "none"
    if not (_torch.is_grad_enabled() and input.requires_grad):
        x = _input_array(input)
        result = _loss_api.evaluate(name, x, _other_array(target, "target"), False, None, options,
                                    mask=_other_array(mask, "mask"))
        return _like(result, input) if unreduced else _torch.tensor(result, dtype=input.dtype, device=input.device)
    function = _UnreducedLoss if unreduced else _ReducedLoss
    return function.apply(input, target, mask, name, options)


# MARK: - modules and functions

class Loss(_torch.nn.Module):
    """A loss of the catalogue as a ``torch.nn.Module``: ``Loss(loss, **options)(input,
    target, mask=None)`` is the loss as a tensor (0-d for ``reduction="mean"|"sum"``,
    (N, C) or (C,) for ``"none"``), differentiable in ``input``.

    Parameters
    ----------
    loss : str or loss object, default "dice_loss"
        A catalogue name, with or without ``_loss`` (``semsegloss_swift.LOSSES``), with its
        options as keyword arguments; or a configured NumPy-API loss object
        (``semsegloss_swift.TverskyLoss(alpha=0.7)``, ``presets.preset("smp", "dice")``).
    **options
        The loss's options (unknown names raise TypeError now; values are checked by the
        library on the first call).

    ``mask`` (voxel weights, (N, 1, *spatial)) is accepted by the losses of
    ``semsegloss_swift.MASKABLE_LOSSES``, as ``semsegloss_swift.masked_loss``.

    Examples
    --------
    >>> import torch, semsegloss_swift.torch as sst
    >>> from semsegloss_swift.presets import preset
    >>> criterion = sst.Loss(preset("smp", "dice"))
    >>> z = torch.tensor([[[[2.0, -1.0], [0.5, -3.0]]]], requires_grad=True)
    >>> g = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]]]])
    >>> value = criterion(z, g)
    >>> value.backward()
    >>> round(value.item(), 4), z.grad.shape
    (0.2129, torch.Size([1, 1, 2, 2]))
    """

    def __init__(self, loss: Union[str, _loss_api.Loss] = "dice_loss", **options: Any) -> None:
        super().__init__()
        self.name, self.options = _loss_api.resolve_loss(loss, options)
        self._library_options = _loss_api.library_options(self.name, self.options)

    def forward(self, input: Any, target: Any, mask: Optional[Any] = None):
        return _apply(self.name, self._library_options, input, target, mask)

    def extra_repr(self) -> str:
        return ", ".join([repr(self.name)] + [f"{k}={v!r}" for k, v in self.options.items()])


def loss(name: Union[str, _loss_api.Loss], input: Any, target: Any, mask: Optional[Any] = None, **options: Any):
    """Functional form: ``loss("dice", input, target, **options)`` equals
    ``Loss("dice", **options)(input, target)``.

    >>> import torch, semsegloss_swift.torch as sst
    >>> z = torch.zeros(1, 1, 4, 4, requires_grad=True)
    >>> round(sst.loss("bce", z, torch.ones(1, 1, 4, 4)).item(), 6)  # log 2
    0.693147
    """
    resolved, opts = _loss_api.resolve_loss(name, options)
    return _apply(resolved, _loss_api.library_options(resolved, opts), input, target, mask)


def _module_class(name: str, class_name: str) -> type:
    """``class_name(**options)``: ``Loss(name, **options)``, documented by the NumPy function."""

    def __init__(self, **options: Any) -> None:
        Loss.__init__(self, name, **options)

    doc = (f"``torch.nn.Module`` form of :func:`semsegloss_swift.{name}`: ``{class_name}(**options)(input, "
           f"target)`` is a tensor differentiable in ``input`` (see :class:`Loss`).\n\n"
           + (LOSSES[name].__doc__ or ""))
    return type(class_name, (Loss,), {"__init__": __init__, "__doc__": doc, "__module__": __name__,
                                      "__qualname__": class_name})


def _function(name: str):
    def function(input: Any, target: Any, mask: Optional[Any] = None, **options: Any):
        resolved, opts = _loss_api.resolve_loss(name, options)
        return _apply(resolved, _loss_api.library_options(resolved, opts), input, target, mask)

    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    function.__doc__ = (f"Tensor form of :func:`semsegloss_swift.{name}`: the loss as a tensor, differentiable "
                        f"in ``input`` (see :class:`Loss`).\n\n" + (LOSSES[name].__doc__ or ""))
    return function


def _camel(name: str) -> str:
    from . import LOSS_CLASSES as numpy_classes
    return numpy_classes[name].__name__


#: loss name -> torch module class (``DiceLoss``, ``FocalTverskyLoss``, ...: the names of the
#: NumPy-API classes)
LOSS_CLASSES = {name: _module_class(name, _camel(name)) for name in LOSSES}
globals().update({cls.__name__: cls for cls in LOSS_CLASSES.values()})
globals().update({name: _function(name) for name in LOSSES})
__all__ += [cls.__name__ for cls in LOSS_CLASSES.values()] + list(LOSSES)
