"""Loss functions: thin keyword wrappers over the Swift library (all maths is in Swift).

Every function has the signature ``name(input, target, **options)`` and returns the loss,
or ``(loss, grad)`` with ``return_grad=True`` where ``grad`` is d(loss)/d(input) with the
input's shape and dtype. See DESIGN.md §2 and the README's loss table.

This module holds the foundation's losses (BCE, focal, Dice, Jaccard, Tversky, focal
Tversky, Dice + BCE) and ``LOSSES``, the registry of every loss; the other families live
in ``losses_distribution``, ``losses_region`` (with ``losses_generalized_dice`` and
``losses_cldice``), ``losses_lovasz``, ``losses_compound`` (with
``losses_unified_focal`` and ``losses_hybrid``) and ``losses_distance``, and are all
re-exported here.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from ._loss_api import evaluate

from ._loss_docs import _CLASS_WEIGHT, _REGION, _SOFT_LABEL, _doc


@_doc()
def bce_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
             reduction: str = "mean", ignore_index: Optional[float] = None,
             include_background: bool = True, pos_weight: float = 1.0,
             return_grad: bool = False, grad_output: Any = None):
    """Binary cross-entropy, ``-[q g log p + (1 - g) log(1 - p)]``.

    From logits it is computed as ``(1-g) z + (1 + (q-1) g)(log1p(exp(-|z|)) + max(-z, 0))``,
    which never overflows; from probabilities, p is clamped to [1e-7, 1 - 1e-7].

    Parameters
    ----------{common}
    pos_weight : float, default 1
        q, the weight of the positive term (> 0). SemSegLoss's weighted CE uses
        q = beta / (1 - beta).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.array([[[[2.0, -1.0], [0.5, -3.0]]]], dtype=np.float32)
    >>> g = np.array([[[[1.0, 0.0], [1.0, 0.0]]]], dtype=np.float32)
    >>> round(ss.bce_loss(z, g), 6)
    0.240714
    """
    return evaluate("bce_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, pos_weight=pos_weight))


@_doc()
def focal_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
               reduction: str = "mean", ignore_index: Optional[float] = None,
               include_background: bool = True, alpha: Optional[float] = 0.25, gamma: float = 2.0,
               reduced_threshold: Optional[float] = None, normalized: bool = False,
               return_grad: bool = False, grad_output: Any = None):
    """Focal loss (Lin et al., ICCV 2017): sigmoid form in binary/multilabel mode, softmax
    (categorical) form in multiclass mode.

    Binary/multilabel (soft-target form, per element):
    ``-alpha g (1-p)^gamma log p - (1-alpha)(1-g) p^gamma log(1-p)``, p = sigmoid(z);
    log-probabilities come from the logits in closed form.

    ``mode="multiclass"``: ``-sum_c alpha_c g_c (1 - p_c)^gamma log p_c`` per voxel with
    p = softmax(z) (stable log-softmax; label map or one-hot/soft target), as MONAI's
    ``FocalLoss(use_softmax=True)``: ``alpha_c = 1 - alpha`` for class 0 (background) and
    ``alpha`` for the other classes (so two classes reproduce the sigmoid form on
    ``z_1 - z_0``); ``alpha=None`` weighs every class 1, and ``gamma=0, alpha=None`` is
    :func:`cross_entropy_loss`. Terms are summed over classes: ``reduction="none"``
    returns (N, *spatial) and ``"mean"`` divides by the valid voxels (MONAI also divides
    by C). ``include_background=False`` drops the class-0 term (the softmax still runs
    over every class; MONAI drops channel 0 before its softmax) and keeps ``alpha`` on
    the other classes, a constant factor on the loss (MONAI then drops ``alpha``: pass
    ``alpha=None`` for its scale). smp's multiclass
    FocalLoss sums one-vs-rest sigmoid terms instead (smp #671). For gamma < 1 the
    gradient stays finite at p = 1.

    smp's two options: ``reduced_threshold=th`` (reduced focal loss, Sergievskiy &
    Ponamarev 2019) replaces each modulating factor ``(1 - p_t)^gamma`` by
    ``((1 - p_t)/th)^gamma`` where ``p_t >= th`` and by 1 (plain cross-entropy) where
    ``p_t < th``, with p_t = p for the positive term and 1 - p for the negative one (hard
    targets: smp's values; the factor jumps at ``p_t = th`` unless th = 0.5, as smp's).
    ``normalized=True`` divides the loss by ``M = max(sum_i m_i, 1e-6)``, the sum of the
    modulating factors (``g m(1-p) + (1-g) m(p)`` per element, without alpha) over the
    elements the loss sums over, and differentiates M too; as smp, which divides each
    element by M before its mean or sum. ``reduction="none"`` is refused with
    ``normalized=True``. Multiclass: both act on ``(1 - p_c)^gamma`` of the softmax form.

    Parameters
    ----------{common}
    alpha : float or None, default 0.25
        Weight of the positive class (paper, torchvision, SemSegLoss); None weighs both 1
        (smp / MONAI default). Multiclass: alpha for classes 1..C-1, 1 - alpha for class 0.
    gamma : float, default 2
        Focusing exponent (>= 0). gamma=0, alpha=None is BCE.
    reduced_threshold : float or None, default None
        smp's reduced focal threshold th, in (0, 1].
    normalized : bool, default False
        smp's normalized focal loss (divide by the sum of the modulating factors).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 1, 2, 2)); g = np.array([[[[1.0, 0.0], [1.0, 0.0]]]])
    >>> round(ss.focal_loss(z, g, alpha=None, gamma=0.0), 6)  # = BCE = log 2
    0.693147
    >>> p = np.array([0.8, 0.3]).reshape(1, 1, 1, 2)
    >>> # reduced: factor (0.2/0.5)^2 where p_t = 0.8 >= 0.5, 1 where p_t = 0.3 < 0.5
    >>> round(ss.focal_loss(p, np.ones_like(p), from_logits=False, alpha=None, reduced_threshold=0.5), 6)
    0.619838
    >>> # normalized: the mean focal loss divided by M = 0.2^2 + 0.3^2
    >>> round(ss.focal_loss(p, np.array([1.0, 0.0]).reshape(p.shape), from_logits=False, alpha=None,
    ...                     normalized=True), 6)
    0.157794
    """
    return evaluate("focal_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, alpha=alpha, alpha_weighting=alpha is not None,
        gamma=gamma, reduced_threshold=reduced_threshold, normalized=normalized))


@_doc(_REGION + _SOFT_LABEL + _CLASS_WEIGHT)
def dice_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
              reduction: str = "mean", ignore_index: Optional[float] = None,
              include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
              squared_pred: bool = False, batch: bool = False, empty: str = "smooth",
              soft_label: bool = False, weight: Optional[Sequence[float]] = None,
              return_grad: bool = False, grad_output: Any = None):
    """Soft Dice loss, ``1 - (2 TP + s_n) / (P + G + s_d)`` (Milletari et al., V-Net 2016).

    TP = sum p g, P = sum p, G = sum g over the voxels of each (image, class).

    Parameters
    ----------{common}
    squared_pred : bool, default False
        V-Net denominator ``sum p^2 + sum g^2`` (MONAI ``squared_pred``).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.dice_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.179487
    >>> loss, grad = ss.dice_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0, return_grad=True)
    >>> np.round(grad.ravel(), 6).tolist()
    [-0.302433, 0.210388, -0.302433, 0.210388]
    """
    return evaluate("dice_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        squared_pred=squared_pred, batch=batch, empty=empty, soft_label=soft_label, weight=weight))


@_doc(_REGION + _SOFT_LABEL + _CLASS_WEIGHT)
def jaccard_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                 reduction: str = "mean", ignore_index: Optional[float] = None,
                 include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                 squared_pred: bool = False, batch: bool = False, empty: str = "smooth",
                 soft_label: bool = False, weight: Optional[Sequence[float]] = None,
                 return_grad: bool = False, grad_output: Any = None):
    """Soft Jaccard (IoU) loss, ``1 - (TP + s_n) / (P + G - TP + s_d)``.

    Unlike SemSegLoss's unsmoothed ``jacard_loss`` it is finite when prediction and target
    are both empty (loss 0 with the default equal smoothing). MONAI's ``jaccard=True``
    uses ``(2TP + s_n)/(2(P + G - TP) + s_d)`` instead (halved smoothing).

    Parameters
    ----------{common}
    squared_pred : bool, default False
        Use sums of squares for P and G.
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.jaccard_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.304348
    """
    return evaluate("jaccard_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        squared_pred=squared_pred, batch=batch, empty=empty, soft_label=soft_label, weight=weight))


_TVERSKY_LETTERS = """
    alpha : float, default 0.3
        Weight of false positives (MONAI / smp meaning).
    beta : float, default 0.7
        Weight of false negatives. SemSegLoss and the focal Tversky paper use the opposite
        letters: their ``alpha=0.7`` (on FN) is ``beta=0.7`` here."""


@_doc(_REGION + _TVERSKY_LETTERS + _SOFT_LABEL + _CLASS_WEIGHT)
def tversky_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                 reduction: str = "mean", ignore_index: Optional[float] = None,
                 include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                 batch: bool = False, empty: str = "smooth", alpha: float = 0.3, beta: float = 0.7,
                 soft_label: bool = False, weight: Optional[Sequence[float]] = None,
                 return_grad: bool = False, grad_output: Any = None):
    """Tversky loss (Salehi et al., MLMI 2017), ``1 - (TP + s_n)/(TP + alpha FP + beta FN + s_d)``.

    alpha = beta = 0.5 is Dice (with doubled smoothing); alpha = beta = 1 is Jaccard.

    Parameters
    ----------{common}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.tversky_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.187817
    """
    return evaluate("tversky_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, alpha=alpha, beta=beta, soft_label=soft_label, weight=weight))


@_doc(_REGION + _TVERSKY_LETTERS + _SOFT_LABEL + _CLASS_WEIGHT)
def focal_tversky_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                       reduction: str = "mean", ignore_index: Optional[float] = None,
                       include_background: bool = True, smooth_nr: float = 1e-5,
                       smooth_dr: float = 1e-5, batch: bool = False, empty: str = "smooth",
                       alpha: float = 0.3, beta: float = 0.7, gamma: float = 0.75,
                       floor: float = 1e-7, soft_label: bool = False, weight: Optional[Sequence[float]] = None,
                       return_grad: bool = False, grad_output: Any = None):
    """Focal Tversky loss (Abraham & Khan, ISBI 2019), ``max(1 - T_c, floor)^gamma`` per class.

    The exponent is applied per (image, class) before averaging, as in the paper (smp and
    SegLoss apply it after the class mean). ``gamma`` is the exponent itself: the paper's
    1/γ with γ = 4/3, i.e. 0.75. For gamma < 1 the gradient of (1 - T)^gamma diverges at a
    perfect prediction (the NaN reported in SemSegLoss issue #2): the base is clamped at
    ``floor``, where the gradient is 0.

    Parameters
    ----------{common}
    gamma : float, default 0.75
        Exponent (>= 0).
    floor : float, default 1e-7
        Lower clamp of the base 1 - T (must be > 0 when gamma < 1).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.focal_tversky_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0), 6)
    0.2853
    """
    return evaluate("focal_tversky_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        batch=batch, empty=empty, alpha=alpha, beta=beta, gamma=gamma, floor=floor, soft_label=soft_label,
        weight=weight))


@_doc(_REGION + _SOFT_LABEL)
def dice_bce_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                  reduction: str = "mean", ignore_index: Optional[float] = None,
                  include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                  squared_pred: bool = False, batch: bool = False, empty: str = "smooth",
                  pos_weight: float = 1.0, lambda_dice: float = 1.0, lambda_bce: float = 1.0,
                  soft_label: bool = False, return_grad: bool = False, grad_output: Any = None):
    """Dice + BCE, ``lambda_dice * Dice + lambda_bce * BCE``.

    Defaults 1, 1 (MONAI's DiceCE weighting); SemSegLoss's ``bce_dice_loss`` is
    ``lambda_dice=0.5, lambda_bce=0.5``. ``reduction="none"`` is not available (the two
    parts have different shapes).

    Parameters
    ----------{common}
    squared_pred : bool, default False
    pos_weight : float, default 1
        BCE positive weight.
    lambda_dice, lambda_bce : float, default 1
        Weights of the two parts (>= 0).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 1, 2, 2)); g = np.array([[[[1.0, 0.0], [1.0, 0.0]]]])
    >>> round(ss.dice_bce_loss(z, g, smooth_nr=0, smooth_dr=0), 6)  # 0.5 + log 2
    1.193147
    """
    return evaluate("dice_bce_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        squared_pred=squared_pred, batch=batch, empty=empty, pos_weight=pos_weight,
        lambda_dice=lambda_dice, lambda_bce=lambda_bce, soft_label=soft_label))


from .losses_distribution import *  # noqa: E402,F401,F403
from .losses_region import *  # noqa: E402,F401,F403
from .losses_lovasz import *  # noqa: E402,F401,F403
from .losses_compound import *  # noqa: E402,F401,F403
from .losses_distance import *  # noqa: E402,F401,F403
from . import losses_distribution, losses_region, losses_lovasz, losses_compound, losses_distance  # noqa: E402

_FAMILIES = (losses_distribution, losses_region, losses_lovasz, losses_compound, losses_distance)

#: name -> function, for every loss of the library (the foundation's, then each family's).
LOSSES = {f.__name__: f for f in (bce_loss, focal_loss, dice_loss, jaccard_loss, tversky_loss,
                                   focal_tversky_loss, dice_bce_loss)}
for _family in _FAMILIES:
    LOSSES.update({f.__name__: f for f in _family.FAMILY_LOSSES})

# Every loss function says what an unknown option is called here (`_option_hints`): the
# wrapped function replaces the original in LOSSES, in this module, in the module that
# defines it and in the family that lists it.
from ._option_hints import with_option_hints  # noqa: E402
import sys as _sys  # noqa: E402

for _name, _function in list(LOSSES.items()):
    LOSSES[_name] = with_option_hints(_function)
    globals()[_name] = LOSSES[_name]
    for _module in (_sys.modules[_function.__module__], *_FAMILIES):
        if getattr(_module, _name, None) is _function:
            setattr(_module, _name, LOSSES[_name])
del _name, _function, _module
