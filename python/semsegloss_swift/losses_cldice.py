"""Loss family member (topology): soft clDice (Shit et al., CVPR 2021) alone and with Dice.

Thin keyword wrappers over the Swift library (all maths is in Swift, the soft skeletons
too); see losses.py for the calling convention. Listed with the region losses
(``losses_region``).
"""
from __future__ import annotations

from typing import Any, Optional

from ._loss_api import evaluate
from ._loss_docs import _doc

_CLDICE = """
    Soft skeleton (Shit et al.): ``erode`` is the minimum over the axis-aligned 3-voxel
    windows (the cross), ``dilate`` the maximum over the 3x3(x3) window, both clipped at
    the border (MONAI's pooling); ``s_0 = relu(x - open(x))``, then ``iterations`` times
    ``x <- erode(x)``, ``d = relu(x - open(x))``, ``s <- s + relu(d - s d)``. The gradient
    goes through the min/max choices (first voxel in window order on ties, as PyTorch's
    pooling) and the relus; the target's skeleton is a constant. Sums are pooled over the
    batch and the kept channels (one value; ``reduction="none"`` is refused). MONAI always
    drops channel 0: pass ``include_background=False`` for the same numbers (a one-channel
    binary input then keeps its foreground, whereas MONAI's loss of it is identically 0).
    Ignored voxels are 0 in p and g before the skeletons."""


@_doc()
def soft_cldice_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                     reduction: str = "mean", ignore_index: Optional[float] = None,
                     include_background: bool = True, iterations: int = 3, smooth: float = 1.0,
                     return_grad: bool = False, grad_output: Any = None):
    """Soft clDice loss (Shit et al., CVPR 2021; MONAI ``SoftclDiceLoss``), a topology-aware
    overlap of tubular structures: ``1 - 2 Tprec Tsens / (Tprec + Tsens)`` with
    ``Tprec = (sum S_p g + smooth)/(sum S_p + smooth)`` and
    ``Tsens = (sum S_g p + smooth)/(sum S_g + smooth)``, S the soft skeletons.
    {cldice}

    Parameters
    ----------{common}
    iterations : int, default 3
        Skeleton iterations (MONAI ``iter_``).
    smooth : float, default 1
        Smoothing of both ratios (> 0).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.2, 0.9, 0.3]).reshape(1, 1, 3); g = np.array([0.0, 1, 0]).reshape(1, 1, 3)
    >>> # S_p = (0, 0.6, 0.1), S_g = (0, 1, 0): Tprec = 1.6/1.7, Tsens = 1.9/2
    >>> round(ss.soft_cldice_loss(p, g, from_logits=False), 6)
    0.054432
    """
    return evaluate("soft_cldice_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, iterations=iterations, smooth=smooth))


@_doc()
def soft_dice_cldice_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                          reduction: str = "mean", ignore_index: Optional[float] = None,
                          include_background: bool = True, iterations: int = 3, smooth: float = 1.0,
                          alpha: float = 0.5, return_grad: bool = False, grad_output: Any = None):
    """Soft Dice + clDice (Shit et al., CVPR 2021; MONAI ``SoftDiceclDiceLoss``),
    ``(1 - alpha) * Dice + alpha * clDice`` with the pooled soft Dice loss
    ``1 - (2 sum p g + smooth)/(sum p + sum g + smooth)`` and :func:`soft_cldice_loss`.
    {cldice}

    Parameters
    ----------{common}
    iterations : int, default 3
        Skeleton iterations (MONAI ``iter_``).
    smooth : float, default 1
        Smoothing (> 0).
    alpha : float, default 0.5
        Weight of the clDice part, in [0, 1].
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.2, 0.9, 0.3]).reshape(1, 1, 3); g = np.array([0.0, 1, 0]).reshape(1, 1, 3)
    >>> round(ss.soft_dice_cldice_loss(p, g, from_logits=False, alpha=0.0), 6)  # Dice: 1 - 2.8/3.4
    0.176471
    """
    return evaluate("soft_dice_cldice_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, iterations=iterations, smooth=smooth, alpha=alpha))


soft_cldice_loss.__doc__ = soft_cldice_loss.__doc__.replace("{cldice}", _CLDICE.strip("\n"))
soft_dice_cldice_loss.__doc__ = soft_dice_cldice_loss.__doc__.replace("{cldice}", _CLDICE.strip("\n"))

#: In the order shown to users.
CLDICE_LOSSES: tuple = (soft_cldice_loss, soft_dice_cldice_loss)

__all__ = [f.__name__ for f in CLDICE_LOSSES]
