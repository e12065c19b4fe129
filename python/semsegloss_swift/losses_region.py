"""Loss family: log-cosh Dice, sensitivity-specificity, generalized Dice, MCC, F-beta, log Dice,
Wasserstein Dice, soft clDice, distance-weighted Dice (the generalized Dice losses are
written in ``losses_generalized_dice``, the clDice losses in ``losses_cldice``).

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention. Every loss works in ``mode="binary" | "multilabel" | "multiclass"``
(softmax and integer label maps in multiclass mode), 2-D and 3-D.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from . import _options
from ._loss_api import evaluate
from ._loss_docs import _REGION, _SOFT_LABEL, _SPACING, _doc, _examples
from .losses_cldice import soft_cldice_loss, soft_dice_cldice_loss  # noqa: F401  (re-exported)
from .losses_generalized_dice import (generalized_dice_loss, generalized_wasserstein_dice_loss,  # noqa: F401
                                      penalty_generalized_dice_loss)

_options.BOOLEANS.add("soft_label")

_SQUARED = """
    squared_pred : bool, default False
        V-Net denominator ``sum p^2 + sum g^2`` (MONAI ``squared_pred``)."""

_BATCH = """
    batch : bool, default False
        False: one value per (image, class), then averaged (MONAI). True: sums pooled
        over the batch per class (smp)."""

_DOMAIN = _BATCH + """
    empty : {"smooth", "skip", "penalize_fp"}, default "smooth"
        ``"skip"`` leaves entries whose target is empty out of the mean (NaN under
        ``reduction="none"``); ``"penalize_fp"`` gives them the loss ``P / (P + 1)``,
        ``P = sum p`` over the entry (0 for an empty prediction)."""

_DOMAIN_SENSITIVITY = _BATCH + """
    empty : {"smooth", "skip"}, default "smooth"
        ``"skip"`` leaves entries whose target is empty out of the mean (NaN under
        ``reduction="none"``). ``"penalize_fp"`` is refused: the background term already
        charges false positives on an empty target."""


def _call(name: str, input: Any, target: Any, return_grad: bool, grad_output: Any, **options):
    return evaluate(name, input, target, return_grad, grad_output, options)


@_examples
@_doc(_REGION + _SQUARED + _SOFT_LABEL)
def log_cosh_dice_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                       reduction: str = "mean", ignore_index: Optional[float] = None,
                       include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                       squared_pred: bool = False, batch: bool = False, empty: str = "smooth",
                       soft_label: bool = False,
                       return_grad: bool = False, grad_output: Any = None):
    """Log-cosh Dice loss (Jadon, CIBCB 2020), ``ln cosh(1 - D)`` per (image, class).

    D is the soft Dice of :func:`dice_loss`. Evaluated as ``|x| + log1p(exp(-2|x|)) - ln 2``
    (no overflow, full precision near 0 where it is ~x^2/2). The gradient is the Dice
    gradient times ``tanh(1 - D)`` (at most 0.762): it fades as the fit improves.
    SemSegLoss pools the whole batch and all channels into one Dice with smoothing 1;
    ``batch=True, smooth_nr=1, smooth_dr=1`` reproduces it for one channel.

    Parameters
    ----------{common}
{returns}

    Examples
    --------
{example_data}
    >>> round(ss.log_cosh_dice_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.016022
    """
    return _call("log_cosh_dice_loss", input, target, return_grad, grad_output, mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                 squared_pred=squared_pred, batch=batch, empty=empty, soft_label=soft_label)


@_examples
@_doc(_DOMAIN_SENSITIVITY)
def sensitivity_specificity_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                                 reduction: str = "mean", ignore_index: Optional[float] = None,
                                 include_background: bool = True, r: float = 0.05, smooth_dr: float = 1.0,
                                 batch: bool = False, empty: str = "smooth",
                                 return_grad: bool = False, grad_output: Any = None):
    """Sensitivity-specificity loss (Brosch et al., MICCAI 2015).

    ``r * sum((g-p)^2 g) / (sum g + s) + (1-r) * sum((g-p)^2 (1-g)) / (sum(1-g) + s)`` per
    (image, class), in [0, 1]: squared errors on the foreground normalised by its volume
    (weight ``r``) plus those on the background. A term whose denominator is 0
    (``smooth_dr=0`` and an empty or full target) is 0.

    Parameters
    ----------{common}
    r : float, default 0.05
        Weight of the foreground ("sensitivity") term, in [0, 1]: the paper's and
        NiftyNet's value. SegLoss's ``SSLoss`` uses 0.1 (and calls the terms the other
        way round).
    smooth_dr : float, default 1
        s, added to both denominators (SegLoss's value; NiftyNet uses 1e-5).
{returns}

    Examples
    --------
{example_data}
    >>> round(ss.sensitivity_specificity_loss(p, g, from_logits=False), 6)  # (0.05*0.1 + 0.95*0.05)/3
    0.0175
    """
    return _call("sensitivity_specificity_loss", input, target, return_grad, grad_output, mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, r=r, smooth_dr=smooth_dr, batch=batch,
                 empty=empty)


@_examples
@_doc(_DOMAIN)
def mcc_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
             reduction: str = "mean", ignore_index: Optional[float] = None,
             include_background: bool = True, eps: float = 1e-5, batch: bool = False,
             empty: str = "smooth", return_grad: bool = False, grad_output: Any = None):
    """Matthews correlation coefficient loss (Abhishek & Hamarneh, ISBI 2021), ``1 - MCC``.

    ``MCC = (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))`` on soft counts of each
    (image, class), with ``TN = valid voxels - P - G + TP``; ``eps`` is added to every
    count as in smp. The loss lies in [0, 2]. Because of eps, an entry whose target is
    empty (or full) and predicted perfectly scores MCC = 1/2 (loss 0.5), not 1: use
    ``empty="skip"`` when images may lack a class. With ``eps=0`` an entry with a zero
    denominator has MCC = 0 (loss 1, no gradient). smp's ``MCCLoss`` pools the whole batch
    (``batch=True`` here, binary).

    Parameters
    ----------{common}
    eps : float, default 1e-5
        Added to each of TP, FP, FN, TN (smp's default), in [0, 1].
{returns}

    Examples
    --------
{example_data}
    >>> round(ss.mcc_loss(p, g, from_logits=False, eps=0.0), 6)
    0.349186
    """
    return _call("mcc_loss", input, target, return_grad, grad_output, mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, eps=eps, batch=batch, empty=empty)


@_examples
@_doc(_REGION + _SOFT_LABEL)
def asymmetric_similarity_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                               reduction: str = "mean", ignore_index: Optional[float] = None,
                               include_background: bool = True, smooth_nr: float = 1e-5,
                               smooth_dr: float = 1e-5, beta: float = 1.5, batch: bool = False,
                               empty: str = "smooth", soft_label: bool = False,
                               return_grad: bool = False, grad_output: Any = None):
    """Asymmetric similarity loss (Hashemi et al., IEEE Access 2018), ``1 - F_beta``.

    ``1 - (TP + s_n) / (TP + w FN + (1 - w) FP + s_d)`` with ``w = beta^2 / (1 + beta^2)``:
    :func:`tversky_loss` with ``alpha = 1 - w`` (false positives) and ``beta = w`` (false
    negatives). ``beta=1`` is Dice. SegLoss's ``AsymLoss`` uses smoothing 1.

    Parameters
    ----------{common}
    beta : float, default 1.5
        The F_beta parameter (>= 0); above 1 recall weighs more than precision.
{returns}

    Examples
    --------
{example_data}
    >>> round(ss.asymmetric_similarity_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.1875
    """
    return _call("asymmetric_similarity_loss", input, target, return_grad, grad_output, mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                 beta=beta, batch=batch, empty=empty, soft_label=soft_label)


@_examples
@_doc(_REGION + _SQUARED + _SOFT_LABEL)
def log_dice_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                  reduction: str = "mean", ignore_index: Optional[float] = None,
                  include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                  squared_pred: bool = False, batch: bool = False, empty: str = "smooth",
                  eps: float = 1e-7, soft_label: bool = False,
                  return_grad: bool = False, grad_output: Any = None):
    """Logarithmic Dice loss, ``-ln(max(D, eps))`` per (image, class) (smp ``log_loss=True``).

    The gradient is the Dice gradient divided by D. The clamp bounds the loss by
    ``-ln(eps)`` (16.1 for the default) when D -> 0, e.g. a missed object or false positives
    on an empty target; below it the gradient is 0 (smp's ``clamp_min``). smp pools the
    batch (``batch=True``) and masks empty classes.

    Parameters
    ----------{common}
    eps : float, default 1e-7
        Lower clamp of D (smp's default), in [0, 1]; must be > 0 when ``smooth_nr=0``.
{returns}

    Examples
    --------
{example_data}
    >>> round(ss.log_dice_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)  # -ln(3.2/3.9)
    0.197826
    """
    return _call("log_dice_loss", input, target, return_grad, grad_output, mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                 squared_pred=squared_pred, batch=batch, empty=empty, eps=eps, soft_label=soft_label)


@_examples
@_doc(_REGION + _SPACING)
def distance_weighted_dice_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                                reduction: str = "mean", ignore_index: Optional[float] = None,
                                include_background: bool = True, smooth_nr: float = 1e-5,
                                smooth_dr: float = 1e-5, batch: bool = False, empty: str = "smooth",
                                spacing: Optional[Sequence[float]] = None, return_grad: bool = False,
                                grad_output: Any = None):
    """Distance-map weighted Dice loss (SegLoss ``DistBinaryDiceLoss``, after Caliva et al.,
    MIDL 2019), ``1 - (2 sum p g w + smooth_nr)/(sum p + sum g + smooth_dr)`` per (image, class).

    ``w = 1 + phi`` weighs the intersection by closeness to the target's boundary: ``phi``
    is the normalised, inverted distance map of :func:`distance_penalized_ce_loss` (1 on
    the boundary layers inside and outside the object, 0 on the voxels farthest from it),
    recomputed from the target on every call and constant in the gradient. Because only
    the intersection is weighted, a perfect prediction scores ``1 - (2 sum_G w + s)/(2|G| + s)``,
    between -1 and 0 (SegLoss's value), not 0.

    SegLoss gives NaN for empty or full targets and for objects one voxel thin (0/0 in its
    normalisation); here those sides get ``phi = 1`` and rows without a boundary ``phi = 0``
    (plain Dice). SegLoss's 2-channel softmax form is ``mode="multiclass",
    include_background=False`` with two channels.

    Parameters
    ----------{common}
{returns}

    Examples
    --------
{example_data}
    >>> # both foreground pixels lie on the boundary (w = 2): 1 - 2*(2*0.9 + 2*0.7)/3.9
    >>> round(ss.distance_weighted_dice_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    -0.641026
    """
    return _call("distance_weighted_dice_loss", input, target, return_grad, grad_output, mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                 batch=batch, empty=empty, spacing=spacing)


#: The functions of this family, in the order shown to users.
FAMILY_LOSSES: tuple = (log_cosh_dice_loss, sensitivity_specificity_loss, generalized_dice_loss,
                        penalty_generalized_dice_loss, mcc_loss, asymmetric_similarity_loss, log_dice_loss,
                        generalized_wasserstein_dice_loss, soft_cldice_loss, soft_dice_cldice_loss,
                        distance_weighted_dice_loss)

__all__ = [f.__name__ for f in FAMILY_LOSSES]
