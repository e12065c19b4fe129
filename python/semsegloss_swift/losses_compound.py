"""Loss family: combo, exp-log, Dice + CE, Dice + focal, generalized Dice + focal,
Dice + top-k; with the unified focal loss and its parts (``losses_unified_focal``) and the
hybrids of structural and distance losses (``losses_hybrid``), listed here as one family.

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention. Compound losses (a weighted sum of parts) return one number:
``reduction="none"`` is refused for them (their parts have different shapes); the parts
of the unified focal loss accept it.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from ._loss_api import evaluate
from ._loss_docs import _COMPOUND_RETURNS, _FLOOR, _REGION, _SOFT_LABEL, _doc
from .losses_hybrid import (HYBRID_LOSSES, basnet_hybrid_loss, dice_boundary_loss,  # noqa: F401  (re-exported)
                            dice_hausdorff_dt_loss, unet3p_hybrid_loss)
from .losses_unified_focal import (UNIFIED_FOCAL_LOSSES, asymmetric_focal_loss,  # noqa: F401  (re-exported)
                                   asymmetric_focal_tversky_loss, symmetric_focal_loss,
                                   symmetric_focal_tversky_loss, unified_focal_loss)

_FOCAL_ALPHA_GAMMA = """alpha : float or None, default None
        Focal class weight (None weighs every class 1).
    gamma : float, default 2
        Focusing exponent (>= 0)."""


@_doc(_REGION + _SOFT_LABEL)
def dice_ce_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                 reduction: str = "mean", ignore_index: Optional[float] = None,
                 include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                 squared_pred: bool = False, batch: bool = False, empty: str = "smooth",
                 weight: Any = None, label_smoothing: float = 0.0, lambda_dice: float = 1.0,
                 lambda_ce: float = 1.0, soft_label: bool = False, return_grad: bool = False,
                 grad_output: Any = None):
    """Dice + cross-entropy (MONAI ``DiceCELoss``), ``lambda_dice * Dice + lambda_ce * CE``.

    The parts are :func:`dice_loss` and :func:`cross_entropy_loss`: categorical
    cross-entropy of the stable log-softmax in multiclass mode, per-element binary
    cross-entropy in binary/multilabel mode (as current MONAI for one channel; MONAI 1.0.x
    took a softmax over the single channel, which is identically 0 —
    LanGuideMedSeg-MICCAI2023#13). Both parts see the same ``from_logits``, mode and
    ``ignore_index`` (MONAI's DiceCELoss has no ignore_index). ``weight`` weighs the
    cross-entropy only and always has C values (background included), whatever
    ``include_background`` is (MONAI #7729: C or C - 1 depending on the part).
    ``include_background=False`` drops class 0 from both parts (the cross-entropy keeps its
    voxel count, see :func:`cross_entropy_loss`); MONAI's DiceCELoss drops it from the Dice
    part only, and its ``weight`` also weighs its Dice part: MONAI's value is then
    ``dice_loss(include_background=False) + cross_entropy_loss()``, and with ``weight=w``
    ``dice_loss(weight=w) + cross_entropy_loss(weight=w)``.{compound}

    Parameters
    ----------{common}
    squared_pred : bool, default False
    weight : sequence of float, optional
        Multiclass class weights of the cross-entropy (one per class, >= 0; PyTorch's
        weighted mean).
    label_smoothing : float, default 0
        Multiclass label smoothing of the cross-entropy, in [0, 1].
    lambda_dice, lambda_ce : float, default 1
        Weights of the parts (>= 0; MONAI defaults).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 1, 2, 2)); g = np.array([[[[1.0, 0.0], [1.0, 0.0]]]])
    >>> round(ss.dice_ce_loss(z, g, smooth_nr=0, smooth_dr=0), 6)  # 0.5 + log 2
    1.193147
    >>> z3 = np.zeros((1, 3, 2, 2)); labels = np.array([[[0, 1], [2, 1]]])
    >>> round(ss.dice_ce_loss(z3, labels, mode="multiclass", smooth_nr=0, smooth_dr=0), 6)  # (5/7+0.6+5/7)/3 + log 3
    1.774803
    """
    return evaluate("dice_ce_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        squared_pred=squared_pred, batch=batch, empty=empty, weight=weight,
        label_smoothing=label_smoothing, lambda_dice=lambda_dice, lambda_ce=lambda_ce, soft_label=soft_label))


@_doc(_REGION + _SOFT_LABEL)
def dice_focal_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                    reduction: str = "mean", ignore_index: Optional[float] = None,
                    include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                    squared_pred: bool = False, batch: bool = False, empty: str = "smooth",
                    alpha: Optional[float] = None, gamma: float = 2.0, lambda_dice: float = 1.0,
                    lambda_focal: float = 1.0, soft_label: bool = False, return_grad: bool = False,
                    grad_output: Any = None):
    """Dice + focal (MONAI ``DiceFocalLoss``), ``lambda_dice * Dice + lambda_focal * Focal``.

    The parts are :func:`dice_loss` and :func:`focal_loss`: sigmoid focal per element in
    binary/multilabel mode, softmax focal per voxel in multiclass mode (MONAI's
    ``use_softmax=True``: ``alpha`` on the foreground classes, ``1 - alpha`` on class 0).
    Defaults as MONAI (alpha None, gamma 2, lambdas 1).{compound}

    Parameters
    ----------{common}
    squared_pred : bool, default False
    {focal_alpha_gamma}
    lambda_dice, lambda_focal : float, default 1
        Weights of the parts (>= 0).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 1, 2, 2)); g = np.array([[[[1.0, 0.0], [1.0, 0.0]]]])
    >>> round(ss.dice_focal_loss(z, g, smooth_nr=0, smooth_dr=0), 6)  # 0.5 + 0.25 log 2
    0.673287
    """
    return evaluate("dice_focal_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        squared_pred=squared_pred, batch=batch, empty=empty, alpha=alpha,
        alpha_weighting=alpha is not None, gamma=gamma, lambda_dice=lambda_dice,
        lambda_focal=lambda_focal, soft_label=soft_label))


@_doc(_REGION)
def combo_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
               reduction: str = "mean", ignore_index: Optional[float] = None,
               include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
               batch: bool = False, empty: str = "smooth", alpha: float = 0.5, beta: float = 0.5,
               return_grad: bool = False, grad_output: Any = None):
    """Combo loss (Taghanaki et al., CMIG 2019), non-negative form
    ``alpha * CE_beta + (1 - alpha) * (1 - Dice)``.

    ``CE_beta = -[beta g log p + (1 - beta)(1 - g) log(1 - p)]`` averaged over valid voxels
    and the soft Dice of :func:`dice_loss` per (image, class). The paper (and UFL) write
    ``alpha * CE_beta - (1 - alpha) * Dice``, which can be negative; the form here differs
    by the constant ``1 - alpha`` only (same gradient, minimum 0). ``beta > 0.5``
    penalises false negatives more (paper); UFL applies ``beta`` to channel 0 of its
    (background, foreground) pair, i.e. the opposite letter (equal at the default 0.5).
    Multiclass (softmax): ``-sum_c beta_c g_c log p_c`` with ``1 - beta`` on class 0 and
    ``beta`` on the others, averaged over voxels, and the multiclass Dice.{compound}

    Parameters
    ----------{common}
    alpha : float, default 0.5
        Weight of the cross-entropy part, in [0, 1] (UFL default).
    beta : float, default 0.5
        Weight of the positive term of the cross-entropy, in (0, 1) (UFL default).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.combo_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.139152
    """
    return evaluate("combo_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, alpha=alpha, beta=beta))


@_doc(_REGION + _FLOOR)
def exp_log_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                 reduction: str = "mean", ignore_index: Optional[float] = None,
                 include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                 batch: bool = False, empty: str = "smooth", w_dice: float = 0.8, w_ce: float = 0.2,
                 gamma_dice: float = 0.3, gamma_ce: float = 0.3, floor: float = 1e-7,
                 return_grad: bool = False, grad_output: Any = None):
    """Exponential logarithmic loss (Wong et al., MICCAI 2018),
    ``w_dice * E_c[(-ln D_c)^gamma_dice] + w_ce * E_x[(-ln p_l)^gamma_ce]``.

    Where the exponents act: ``gamma_dice`` on each (image, class) Dice before the mean
    over entries, ``gamma_ce`` on each voxel's cross-entropy before the mean over voxels
    (paper). SegLoss's ``ExpLog_loss`` applies gamma to the mean Dice and none to the
    cross-entropy. For soft targets the voxel term is
    ``g (-ln p)^gamma + (1 - g)(-ln(1 - p))^gamma``. The paper's class-frequency weights of
    the cross-entropy are not applied. The bases ``-ln D`` and ``-ln p`` are clamped at
    ``floor`` (gradient 0 below): with gamma < 1 the gradient is infinite at D = 1.
    Multiclass: softmax, ``sum_c g_c (-ln p_c)^gamma_ce`` per voxel from the stable
    log-softmax.{compound}

    Parameters
    ----------{common}
    w_dice, w_ce : float, default 0.8, 0.2
        Weights of the two parts (>= 0; paper and SegLoss).
    gamma_dice, gamma_ce : float, default 0.3
        Exponents (>= 0; paper). 1 gives the log Dice and the plain cross-entropy.
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.exp_log_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.611502
    """
    return evaluate("exp_log_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, w_dice=w_dice, w_ce=w_ce, gamma_dice=gamma_dice,
        gamma_ce=gamma_ce, floor=floor))


@_doc(_REGION)
def generalized_dice_focal_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                                reduction: str = "mean", ignore_index: Optional[float] = None,
                                include_background: bool = True, smooth_nr: float = 1e-5,
                                smooth_dr: float = 1e-5, batch: bool = False, empty: str = "smooth",
                                weight_type: str = "square", alpha: Optional[float] = None, gamma: float = 2.0,
                                lambda_gdl: float = 1.0, lambda_focal: float = 1.0,
                                return_grad: bool = False, grad_output: Any = None):
    """Generalized Dice + focal (MONAI ``GeneralizedDiceFocalLoss``),
    ``lambda_gdl * GDL + lambda_focal * Focal``.

    The parts are :func:`generalized_dice_loss` (Sudre et al. 2017: classes combined per
    image with weights ``1/G_c^2``, ``1/G_c`` or 1; empty classes get the largest finite
    weight of the image instead of inf) and :func:`focal_loss` (sigmoid per element in
    binary/multilabel mode, softmax per voxel in multiclass mode). Defaults as MONAI
    (``weight_type="square"``, alpha None, gamma 2, lambdas 1). Both parts see the same
    activation, mode and ``ignore_index``.{compound}

    Parameters
    ----------{common}
    weight_type : {"square", "simple", "uniform"}, default "square"
        Class weights of the generalized Dice part.
    {focal_alpha_gamma}
    lambda_gdl, lambda_focal : float, default 1
        Weights of the parts (>= 0).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.8, 0.4]).reshape(1, 1, 1, 2); g = np.array([1.0, 0.0]).reshape(1, 1, 1, 2)
    >>> # GDL 1 - 2(0.8)/(1.2 + 1) = 3/11, focal mean of 0.04 (-ln 0.8) and 0.16 (-ln 0.6)
    >>> round(ss.generalized_dice_focal_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.318056
    """
    return evaluate("generalized_dice_focal_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, weight_type=weight_type, alpha=alpha,
        alpha_weighting=alpha is not None, gamma=gamma, lambda_gdl=lambda_gdl, lambda_focal=lambda_focal))


@_doc(_REGION)
def dice_top_k_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                    reduction: str = "mean", ignore_index: Optional[float] = None,
                    include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                    squared_pred: bool = False, batch: bool = False, empty: str = "smooth", k: float = 10.0,
                    weight: Optional[Sequence[float]] = None, label_smoothing: float = 0.0,
                    lambda_dice: float = 1.0, lambda_top_k: float = 1.0,
                    return_grad: bool = False, grad_output: Any = None):
    """Dice + top-k cross-entropy (SegLoss / nnU-Net ``DC_and_topk_loss``),
    ``lambda_dice * Dice + lambda_top_k * TopK``.

    The parts are :func:`dice_loss` and :func:`top_k_ce_loss` (the mean of the ``k`` %
    largest per-voxel cross-entropies: categorical in multiclass mode, binary per element
    otherwise). SegLoss adds the negative Dice coefficient (``TopK - D``, which is
    negative near a good fit); ``1 - D`` here keeps the loss >= 0 with the same gradient.
    ``weight`` and ``label_smoothing`` act on the cross-entropy part (multiclass).{compound}

    Parameters
    ----------{common}
    squared_pred : bool, default False
        Squared sums in the Dice denominator (V-Net).
    k : float, default 10
        Percentage of the valid voxels kept by the top-k part, in (0, 100].
    weight : sequence of C floats, optional
        Class weights of the cross-entropy (multiclass).
    label_smoothing : float, default 0
        Label smoothing of the cross-entropy (multiclass), in [0, 1].
    lambda_dice, lambda_top_k : float, default 1
        Weights of the parts (>= 0).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> # Dice 1 - 3.2/3.9; top 50 %: the mean of -ln 0.7 and -ln 0.8
    >>> round(ss.dice_top_k_loss(p, g, from_logits=False, k=50, smooth_nr=0, smooth_dr=0), 6)
    0.469396
    """
    return evaluate("dice_top_k_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        squared_pred=squared_pred, batch=batch, empty=empty, k=k, weight=weight,
        label_smoothing=label_smoothing, lambda_dice=lambda_dice, lambda_top_k=lambda_top_k))


def _fill(f):
    f.__doc__ = f.__doc__.replace("{compound}", _COMPOUND_RETURNS).replace("{focal_alpha_gamma}", _FOCAL_ALPHA_GAMMA)
    return f


#: The functions of this family, in the order shown to users.
FAMILY_LOSSES: tuple = (
    tuple(_fill(f) for f in (dice_ce_loss, dice_focal_loss, combo_loss, exp_log_loss)) + UNIFIED_FOCAL_LOSSES
    + tuple(_fill(f) for f in (generalized_dice_focal_loss, dice_top_k_loss)) + HYBRID_LOSSES)

__all__ = [f.__name__ for f in FAMILY_LOSSES]
