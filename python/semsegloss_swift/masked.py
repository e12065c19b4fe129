"""Overlap losses restricted by a voxel mask (MONAI ``MaskedDiceLoss`` and ``MaskedLoss``).
Ergonomics only: the Swift library weighs the sums and the gradient by the mask."""
from __future__ import annotations

from typing import Any, Optional, Union

from ._loss_api import Loss, evaluate, library_options, resolve_loss

#: The losses that accept a mask (the Swift library refuses the others, naming ``loss``).
MASKABLE_LOSSES = ("dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "log_cosh_dice_loss",
                   "mcc_loss", "asymmetric_similarity_loss", "log_dice_loss")


def masked_loss(input: Any, target: Any, mask: Any, *, loss: Union[str, Loss] = "dice_loss",
                return_grad: bool = False, grad_output: Any = None, **loss_options: Any):
    """An overlap loss computed over a region: voxel weights ``m`` in [0, 1] enter every sum,
    ``TP = sum m p g``, ``P = sum m p``, ``G = sum m g`` (MONAI ``MaskedLoss`` /
    ``MaskedDiceLoss``, SegLoss ``loss_mask``).

    ``mask`` has shape (N, 1, *spatial) or (1, 1, *spatial) and is shared by every channel
    (class). With a 0/1 mask the masked-out voxels leave the loss and get zero gradient,
    exactly as if their target were ``ignore_index``; a soft mask weighs voxels linearly.
    Differences from MONAI: the mask multiplies the probabilities, not the logits (MONAI's
    ``MaskedDiceLoss(sigmoid=True)`` masks logits to 0, so masked voxels count as p = 0.5 in
    P), and a soft mask weighs the intersection by m, not m² (MONAI multiplies both p and g
    by m). Entries whose mask is empty leave the mean.

    Parameters
    ----------
    input, target : arrays
        As for the loss (multiclass label maps included).
    mask : array
        Voxel weights in [0, 1], (N, 1, *spatial) or (1, 1, *spatial); bool is accepted.
    loss : str or loss object, default "dice_loss"
        One of ``MASKABLE_LOSSES`` (with or without ``_loss``) with its options as keyword
        arguments, or a configured loss object such as ``ss.TverskyLoss(alpha=0.7, beta=0.3)``.
    return_grad, grad_output
        As for every loss.

    Returns
    -------
    loss : float or ndarray
        As the loss (``reduction="none"``: one value per (image, class)).
    grad : ndarray
        Only with ``return_grad=True``: d(loss)/d(input); 0 where the mask is 0.

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 1.0]).reshape(1, 1, 2, 2)
    >>> m = np.array([1.0, 1.0, 1.0, 0.0]).reshape(1, 1, 2, 2)   # the last voxel is unlabelled
    >>> round(ss.masked_loss(p, g, m, loss="dice", from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.157895
    >>> round(ss.dice_loss(p, np.where(m > 0, g, 255), from_logits=False, ignore_index=255,
    ...                    smooth_nr=0, smooth_dr=0), 6)  # the same: 1 - 3.2/3.8
    0.157895
    """
    name, options = resolve_loss(loss, loss_options)
    if mask is None:
        raise TypeError("mask: expected an array, got None")
    return evaluate(name, input, target, return_grad, grad_output, library_options(name, options), mask=mask)


def masked_dice_loss(input: Any, target: Any, mask: Any, *, return_grad: bool = False, grad_output: Any = None,
                     **dice_options: Any):
    """:func:`dice_loss` over a region (MONAI ``MaskedDiceLoss``): :func:`masked_loss` with
    ``loss="dice_loss"``; ``dice_options`` are those of :func:`dice_loss`.

    >>> import numpy as np, semsegloss_swift as ss
    >>> x = np.zeros((1, 1, 2, 2)); g = np.ones((1, 1, 2, 2)); m = np.zeros((1, 1, 2, 2))
    >>> ss.masked_dice_loss(x, g, m)  # nothing to score: the entry leaves the mean
    0.0
    """
    return masked_loss(input, target, mask, loss="dice_loss", return_grad=return_grad, grad_output=grad_output,
                       **dice_options)


class MaskedLoss:
    """Class form of :func:`masked_loss`: ``MaskedLoss(loss, **options)(input, target, mask)``,
    ``loss`` a name or a configured loss object (MONAI ``MaskedLoss(loss=DiceLoss(...))``)."""

    def __init__(self, loss: Union[str, Loss] = "dice_loss", **loss_options: Any) -> None:
        self.name, self.options = resolve_loss(loss, loss_options)

    def __call__(self, input: Any, target: Any, mask: Any, *, return_grad: bool = False,
                 grad_output: Optional[Any] = None):
        return masked_loss(input, target, mask, loss=self.name, return_grad=return_grad, grad_output=grad_output,
                           **self.options)

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}(loss={self.name!r}{extra})"


class MaskedDiceLoss(MaskedLoss):
    """Class form of :func:`masked_dice_loss`: ``MaskedDiceLoss(**dice_options)(input, target, mask)``."""

    def __init__(self, **dice_options: Any) -> None:
        super().__init__("dice_loss", **dice_options)

    def __repr__(self) -> str:
        return f"MaskedDiceLoss({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"
