"""Loss family: combo, exp-log, Dice+CE, Dice+focal, unified focal and its parts, and the
sums of whole losses (generalized Dice + focal, Dice + top-k, the UNet 3+ and BASNet
hybrids).

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention. Compound losses (a weighted sum of parts) return one number:
``reduction="none"`` is refused for them (their parts have different shapes); the parts
of the unified focal loss accept it.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from . import _options
from ._loss_api import evaluate
from ._loss_docs import _COMMON, _NORMALIZE_MAP, _REGION, _RETURNS, _SCALE_WEIGHTS, _SOFT_LABEL, _SPACING, _doc  # noqa: F401

_options.CHOICES["variant"] = {"asymmetric": 0, "symmetric": 1}
_options.BOOLEANS.add("generalized")

_COMPOUND_RETURNS = """
    (``reduction="none"`` raises ValueError: the parts have different shapes.)"""

_UFL_CLASSES = """
    Classes: in ``mode="binary"`` (and for each channel of ``"multilabel"``) the channel
    holds the foreground probability p and the background is 1 - p with target 1 - g;
    this is exactly UFL's two-channel (background, foreground) loss. In
    ``mode="multiclass"`` channel 0 is the background and every other channel a
    foreground class (a generalisation, as proposed in MONAI PR #8607)."""

_UFL_FIXES = """
    Unlike the references: logits or probabilities (UFL and MONAI take probabilities
    only, MONAI's docstring says logits), 2-D and 3-D (UFL indexes ``[:, :, :, c]``),
    empty masks are ordinary inputs (MONAI raises ValueError when a batch has no
    foreground), ``ignore_index``; UFL's file does not even parse (indentation error)."""

_FOCAL_ALPHA_GAMMA = """alpha : float or None, default None
        Focal class weight (None weighs every class 1).
    gamma : float, default 2
        Focusing exponent (>= 0)."""

_FLOOR = """
    floor : float, default 1e-7
        Lower clamp of the base of the fractional powers; below it the gradient is 0
        (keeps the gradient finite at a perfect prediction). Must be > 0 when an
        exponent is < 1."""


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


@_doc(_REGION + _FLOOR)
def unified_focal_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                       reduction: str = "mean", ignore_index: Optional[float] = None,
                       include_background: bool = True, smooth_nr: float = 1e-5,
                       smooth_dr: float = 1e-5, batch: bool = False, empty: str = "smooth",
                       variant: str = "asymmetric", weight: float = 0.5, delta: float = 0.6,
                       gamma: float = 0.5, floor: float = 1e-7,
                       return_grad: bool = False, grad_output: Any = None):
    """Unified focal loss (Yeung et al., CMIG 2022),
    ``weight * FTL_variant + (1 - weight) * FL_variant``.

    ``variant="asymmetric"`` (default; UFL's ``asym_unified_focal_loss``) combines
    :func:`asymmetric_focal_tversky_loss` and :func:`asymmetric_focal_loss`, which leave the
    foreground (rare) classes un-suppressed; ``"symmetric"`` combines the symmetric pair.
    Both parts share ``delta`` and ``gamma``. Defaults are UFL's (weight 0.5, delta 0.6,
    gamma 0.5); MONAI's ``AsymmetricUnifiedFocalLoss`` uses delta = 0.7.{ufl_classes}{ufl_fixes}
{compound}

    Parameters
    ----------{common}
    variant : {"asymmetric", "symmetric"}, default "asymmetric"
    weight : float, default 0.5
        lambda, weight of the focal Tversky part, in [0, 1].
    delta : float, default 0.6
        In [0, 1]: weight of false negatives in the Tversky index (1 - delta on false
        positives) and of the foreground in the focal part (1 - delta on the background).
    gamma : float, default 0.5
        In [0, 1]: focal Tversky exponent 1 - gamma, focal modulation (1 - p)^gamma.
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 1, 2, 2)); g = np.array([[[[1.0, 0.0], [1.0, 0.0]]]])
    >>> round(ss.unified_focal_loss(z, g, smooth_nr=0, smooth_dr=0), 6)  # (0.5/2 + 0.5**0.5/2 + 0.30597)/2
    0.454762
    """
    return evaluate("unified_focal_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, variant=variant, weight=weight, delta=delta, gamma=gamma,
        floor=floor))


_FOCAL_PARAMS = """
    delta : float, default 0.7
        Weight of the foreground classes (1 - delta on the background), in [0, 1].
    gamma : float, default 2
        Focusing exponent (>= 0)."""


@_doc(_FOCAL_PARAMS)
def asymmetric_focal_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                          reduction: str = "mean", ignore_index: Optional[float] = None,
                          include_background: bool = True, delta: float = 0.7, gamma: float = 2.0,
                          return_grad: bool = False, grad_output: Any = None):
    """Asymmetric focal loss (Yeung et al., CMIG 2022),
    ``(1 - delta)(1 - p_bg)^gamma CE_bg + delta CE_fg`` per voxel.

    Only the background is focally suppressed; the foreground (rare) class keeps its full
    cross-entropy. Binary: ``delta (-g log p) + (1 - delta) p^gamma (-(1 - g) log(1 - p))``,
    log-probabilities in closed form from logits. UFL defaults delta 0.7, gamma 2.
    Multiclass: softmax, ``(1 - delta)(1 - p_0)^gamma CE_0 + delta sum_{c>=1} CE_c`` per voxel
    (stable log-softmax). ``reduction="none"``: the input's shape, (N, *spatial) in
    multiclass mode.{ufl_classes}{ufl_fixes}

    Parameters
    ----------{common}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.asymmetric_focal_loss(p, g, from_logits=False), 6)
    0.081605
    """
    return evaluate("asymmetric_focal_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, delta=delta, gamma=gamma))


@_doc(_FOCAL_PARAMS)
def symmetric_focal_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                         reduction: str = "mean", ignore_index: Optional[float] = None,
                         include_background: bool = True, delta: float = 0.7, gamma: float = 2.0,
                         return_grad: bool = False, grad_output: Any = None):
    """Symmetric focal loss (Yeung et al., CMIG 2022),
    ``(1 - delta)(1 - p_bg)^gamma CE_bg + delta (1 - p_fg)^gamma CE_fg`` per voxel.

    In binary mode it equals :func:`focal_loss` with ``alpha=delta``. UFL defaults
    delta 0.7, gamma 2; in multiclass mode it is the softmax :func:`focal_loss` with
    ``alpha=delta`` (1 - alpha on class 0). ``reduction="none"``: the input's shape,
    (N, *spatial) in multiclass mode.{ufl_classes}{ufl_fixes}

    Parameters
    ----------{common}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.array([[[[2.0, -1.0], [0.5, -3.0]]]]); g = np.array([[[[1.0, 0.0], [1.0, 0.0]]]])
    >>> bool(np.isclose(ss.symmetric_focal_loss(z, g, delta=0.3), ss.focal_loss(z, g, alpha=0.3)))
    True
    """
    return evaluate("symmetric_focal_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, delta=delta, gamma=gamma))


_FTL_PARAMS = _REGION + """
    delta : float, default 0.7
        Weight of false negatives (1 - delta on false positives), in [0, 1]: UFL/MONAI's
        letter, i.e. ``beta=delta, alpha=1-delta`` of :func:`tversky_loss`.
    gamma : float, default 0.75
        UFL's gamma in [0, 1]; the exponent is ``1 - gamma``.""" + _FLOOR


@_doc(_FTL_PARAMS)
def asymmetric_focal_tversky_loss(input: Any, target: Any, *, mode: str = "binary",
                                  from_logits: bool = True, reduction: str = "mean",
                                  ignore_index: Optional[float] = None,
                                  include_background: bool = True, smooth_nr: float = 1e-5,
                                  smooth_dr: float = 1e-5, batch: bool = False,
                                  empty: str = "smooth", delta: float = 0.7, gamma: float = 0.75,
                                  floor: float = 1e-7, return_grad: bool = False,
                                  grad_output: Any = None):
    """Asymmetric focal Tversky loss (Yeung et al., CMIG 2022),
    ``mean_k [(1 - mTI_bg), max(1 - mTI_fg, floor)^(1 - gamma)]``.

    ``mTI_k = (TP + s_n) / (TP + delta FN + (1 - delta) FP + s_d)`` per (image, class);
    the exponent is applied per class before the mean (paper, UFL). Only the foreground
    terms are focal. UFL defaults delta 0.7, gamma 0.75 (smoothing here: ``smooth_nr``,
    ``smooth_dr``; UFL/MONAI use 1e-6 / 1e-7). ``reduction="none"``: (N, C).{ufl_classes}{ufl_fixes}

    Parameters
    ----------{common}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.asymmetric_focal_tversky_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.410438
    """
    return evaluate("asymmetric_focal_tversky_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, delta=delta, gamma=gamma, floor=floor))


@_doc(_FTL_PARAMS)
def symmetric_focal_tversky_loss(input: Any, target: Any, *, mode: str = "binary",
                                 from_logits: bool = True, reduction: str = "mean",
                                 ignore_index: Optional[float] = None,
                                 include_background: bool = True, smooth_nr: float = 1e-5,
                                 smooth_dr: float = 1e-5, batch: bool = False,
                                 empty: str = "smooth", delta: float = 0.7, gamma: float = 0.75,
                                 floor: float = 1e-7, return_grad: bool = False,
                                 grad_output: Any = None):
    """Symmetric focal Tversky loss (Yeung et al., CMIG 2022),
    ``mean_k max(1 - mTI_k, floor)^(1 - gamma)`` over background and foreground classes.

    ``mTI_k`` as in :func:`asymmetric_focal_tversky_loss`; every class is focal. UFL
    defaults delta 0.7, gamma 0.75. ``reduction="none"``: (N, C).{ufl_classes}{ufl_fixes}

    Parameters
    ----------{common}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.symmetric_focal_tversky_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.646644
    """
    return evaluate("symmetric_focal_tversky_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, delta=delta, gamma=gamma, floor=floor))


_SSIM_PARAMS = """
    win_size : int, default 11
        Odd window size of the SSIM part (every spatial size must be at least this).
    kernel_sigma : float, default 1.5
        Standard deviation of the SSIM part's Gaussian window (> 0).
    k1, k2 : float, default 0.01, 0.03
        SSIM's stabilising constants (> 0).
    data_range : float, default 1
        Dynamic range of the images for SSIM (> 0).""" + _SCALE_WEIGHTS.replace(
    "Default None: one\n        scale (``1 - SSIM``).", "Default None: one\n        scale (``1 - SSIM``), as SemSegLoss.")


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


_HYBRID_NOTES = """
    The SSIM part is :func:`ssim_loss` (per (image, channel), Gaussian window without
    padding; single-scale unless ``scale_weights`` is given), the Jaccard part :func:`jaccard_loss` (smoothed: SemSegLoss's
    unsmoothed ``jacard_loss`` is NaN when prediction and target are both empty). Every
    spatial size must be at least ``win_size`` and ``ignore_index`` is refused (SSIM is a
    windowed statistic). Multiclass mode: softmax, each part in its multiclass form.
    SemSegLoss takes probabilities and computes its Jaccard term over the whole batch
    without smoothing: ``from_logits=False, batch=True, smooth_nr=0, smooth_dr=0``
    reproduces it wherever it is finite."""


@_doc(_REGION + _SSIM_PARAMS)
def unet3p_hybrid_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                       reduction: str = "mean", ignore_index: Optional[float] = None,
                       include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                       batch: bool = False, empty: str = "smooth", alpha: Optional[float] = 0.25,
                       gamma: float = 2.0, win_size: int = 11, kernel_sigma: float = 1.5, k1: float = 0.01,
                       k2: float = 0.03, data_range: float = 1.0, lambda_focal: float = 1.0,
                       lambda_ssim: float = 1.0, lambda_jaccard: float = 1.0,
                       scale_weights: Optional[Sequence[float]] = None,
                       return_grad: bool = False, grad_output: Any = None):
    """UNet 3+ hybrid loss (Huang et al., ICASSP 2020; SemSegLoss ``unet3p_hybrid_loss``),
    ``lambda_focal * Focal + lambda_ssim * (1 - SSIM) + lambda_jaccard * Jaccard``.

    The focal part is :func:`focal_loss` with SemSegLoss's alpha 0.25 and gamma 2 (sigmoid
    per element; softmax in multiclass mode). The paper uses multi-scale SSIM, SemSegLoss a
    single scale (its variable is named ``ms_ssim_loss``): ``scale_weights=ss.MS_SSIM_WEIGHTS``
    gives the paper's loss (images of at least ``16 * win_size`` per axis), the default
    SemSegLoss's.{hybrid}{compound}

    Parameters
    ----------{common}
    alpha : float or None, default 0.25
        Focal weight of the positives (None weighs both classes 1).
    gamma : float, default 2
        Focusing exponent (>= 0).
    lambda_focal, lambda_ssim, lambda_jaccard : float, default 1
        Weights of the parts (>= 0; SemSegLoss sums them unweighted).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.5, 0.5]).reshape(1, 1, 1, 2); g = np.array([1.0, 0.0]).reshape(1, 1, 1, 2)
    >>> # window 1: SSIM of each voxel (2pg + c1)/(p^2 + g^2 + c1); Jaccard 1 - 0.5/1.5
    >>> round(ss.unet3p_hybrid_loss(p, g, from_logits=False, win_size=1, smooth_nr=0, smooth_dr=0), 6)
    1.353102
    """
    return evaluate("unet3p_hybrid_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, alpha=alpha, alpha_weighting=alpha is not None, gamma=gamma,
        win_size=win_size, kernel_sigma=kernel_sigma, k1=k1, k2=k2, data_range=data_range,
        lambda_focal=lambda_focal, lambda_ssim=lambda_ssim, lambda_jaccard=lambda_jaccard,
        scale_weights=scale_weights))


@_doc(_REGION + _SSIM_PARAMS)
def basnet_hybrid_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                       reduction: str = "mean", ignore_index: Optional[float] = None,
                       include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                       batch: bool = False, empty: str = "smooth", win_size: int = 11,
                       kernel_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03, data_range: float = 1.0,
                       lambda_ce: float = 1.0, lambda_ssim: float = 1.0, lambda_jaccard: float = 1.0,
                       scale_weights: Optional[Sequence[float]] = None,
                       return_grad: bool = False, grad_output: Any = None):
    """BASNet hybrid loss (Qin et al., CVPR 2019; SemSegLoss ``basnet_hybrid_loss``),
    ``lambda_ce * CE + lambda_ssim * (1 - SSIM) + lambda_jaccard * Jaccard``.

    The cross-entropy part is :func:`cross_entropy_loss`: binary cross-entropy per element
    in binary/multilabel mode (BASNet's BCE), categorical cross-entropy of the softmax in
    multiclass mode.{hybrid}{compound}

    Parameters
    ----------{common}
    lambda_ce, lambda_ssim, lambda_jaccard : float, default 1
        Weights of the parts (>= 0; BASNet and SemSegLoss sum them unweighted).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.5, 0.5]).reshape(1, 1, 1, 2); g = np.array([1.0, 0.0]).reshape(1, 1, 1, 2)
    >>> # BCE ln 2, SSIM and Jaccard as in unet3p_hybrid_loss's example
    >>> round(ss.basnet_hybrid_loss(p, g, from_logits=False, win_size=1, smooth_nr=0, smooth_dr=0), 6)
    1.959606
    """
    return evaluate("basnet_hybrid_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, win_size=win_size, kernel_sigma=kernel_sigma, k1=k1, k2=k2,
        data_range=data_range, lambda_ce=lambda_ce, lambda_ssim=lambda_ssim, lambda_jaccard=lambda_jaccard,
        scale_weights=scale_weights))


@_doc(_REGION + _SPACING + _NORMALIZE_MAP)
def dice_boundary_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                       reduction: str = "mean", ignore_index: Optional[float] = None,
                       include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                       batch: bool = False, empty: str = "smooth", generalized: bool = True,
                       weight_type: Optional[str] = None, lambda_dice: float = 1.0, lambda_boundary: float = 0.01,
                       spacing: Optional[Sequence[float]] = None, normalize_map: str = "none",
                       return_grad: bool = False, grad_output: Any = None):
    """Region + boundary loss (Kervadec et al., MIDL 2019 / MedIA 2021; SegLoss
    ``DC_and_BD_loss``), ``lambda_dice * R + lambda_boundary * boundary_loss``.

    R is :func:`generalized_dice_loss` (``generalized=True``, Kervadec's ``L_GDL + a L_B``)
    or :func:`dice_loss` (``generalized=False``, SegLoss). :func:`boundary_loss` is
    ``mean(p phi_G)`` with the target's signed distance map (a constant, recomputed on
    every call) and is negative by design, so the sum can be negative. Kervadec starts with
    ``lambda_boundary = 0.01`` and raises it by 0.01 per epoch ("rebalance"); the convex
    form ``(1 - a) R + a L_B`` is ``lambda_dice = 1 - a``.{compound}

    Parameters
    ----------{common}
    generalized : bool, default True
        Generalized Dice (Sudre) as the region part, else the soft Dice.
    weight_type : {"square", "simple", "uniform"}, optional
        Class weights of the generalized Dice part (default "square"; only with
        ``generalized=True``).
    lambda_dice, lambda_boundary : float, default 1, 0.01
        Weights of the parts (>= 0).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> g = np.zeros((1, 1, 5, 5)); g[0, 0, 1:4, 1:4] = 1.0
    >>> # a perfect prediction: Dice 0, boundary mean(g phi) = -1/25 (the centre pixel, phi = -1)
    >>> round(ss.dice_boundary_loss(g.copy(), g, from_logits=False, lambda_boundary=1.0), 6)
    -0.04
    """
    options = dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, generalized=generalized, lambda_dice=lambda_dice, lambda_boundary=lambda_boundary,
        spacing=spacing, normalize_map=normalize_map)
    if weight_type is not None:
        options["weight_type"] = weight_type
    return evaluate("dice_boundary_loss", input, target, return_grad, grad_output, options)


@_doc(_REGION + _SPACING)
def dice_hausdorff_dt_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                           reduction: str = "mean", ignore_index: Optional[float] = None,
                           include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                           batch: bool = False, empty: str = "smooth", alpha: float = 2.0,
                           spacing: Optional[Sequence[float]] = None, return_grad: bool = False,
                           grad_output: Any = None):
    """Dice + Hausdorff-DT loss balanced as Karimi & Salcudean (IEEE TMI 2020; SegLoss
    ``DC_and_HD_loss``), ``lam * Dice + HD`` with ``lam = HD / Dice`` at the current input.

    ``lam`` is held constant in the gradient ("detached" in SegLoss): the value is
    ``2 HD`` and the gradient ``(HD / Dice) grad(Dice) + grad(HD)``, so the Dice gradient is
    scaled to the magnitude of the HD term. ``lam = 0`` when the Dice loss is 0. The parts
    are :func:`dice_loss` and :func:`hausdorff_dt_loss` (distance maps of the thresholded
    prediction and target, recomputed on every call, no gradient through them). On thin
    structures (vessels) this balance has been seen to drive the prediction to all
    background (PatRyg99/HausdorffLoss#4): a fixed weighting such as
    ``dice_loss(...) + 0.1 * hausdorff_dt_loss(...)``, with the HD weight raised over the
    epochs, is then the safer choice.{compound}

    Parameters
    ----------{common}
    alpha : float, default 2
        Exponent of the distances in the Hausdorff-DT part (> 0).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.array([2.0, -1.0, 1.0, -2.0]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 0.0, 1.0]).reshape(1, 1, 2, 2)
    >>> bool(np.isclose(ss.dice_hausdorff_dt_loss(z, g), 2 * ss.hausdorff_dt_loss(z, g)))
    True
    """
    return evaluate("dice_hausdorff_dt_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, alpha=alpha, spacing=spacing))


def _fill(f):
    f.__doc__ = (f.__doc__.replace("{compound}", _COMPOUND_RETURNS if "compound" in f.__doc__ and
                                   f.__name__ in _COMPOUND else "")
                 .replace("{ufl_classes}", "\n" + _UFL_CLASSES).replace("{ufl_fixes}", "\n" + _UFL_FIXES)
                 .replace("{hybrid}", "\n" + _HYBRID_NOTES).replace("{focal_alpha_gamma}", _FOCAL_ALPHA_GAMMA))
    return f


_COMPOUND = ("dice_ce_loss", "dice_focal_loss", "combo_loss", "exp_log_loss", "unified_focal_loss",
             "generalized_dice_focal_loss", "dice_top_k_loss", "unet3p_hybrid_loss", "basnet_hybrid_loss",
             "dice_boundary_loss", "dice_hausdorff_dt_loss")

#: The functions of this family, in the order shown to users.
FAMILY_LOSSES: tuple = tuple(_fill(f) for f in (
    dice_ce_loss, dice_focal_loss, combo_loss, exp_log_loss, unified_focal_loss, asymmetric_focal_loss, symmetric_focal_loss,
    asymmetric_focal_tversky_loss, symmetric_focal_tversky_loss, generalized_dice_focal_loss, dice_top_k_loss,
    unet3p_hybrid_loss, basnet_hybrid_loss, dice_boundary_loss, dice_hausdorff_dt_loss))

__all__ = [f.__name__ for f in FAMILY_LOSSES]
