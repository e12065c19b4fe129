"""Loss family: log-cosh Dice, sensitivity-specificity, generalized Dice, MCC, F-beta, log Dice,
Wasserstein Dice, soft clDice, distance-weighted Dice.

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention. Every loss works in ``mode="binary" | "multilabel" | "multiclass"``
(softmax and integer label maps in multiclass mode), 2-D and 3-D.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from . import _options
from ._loss_api import evaluate
from ._loss_docs import _REGION, _SOFT_LABEL, _SPACING, _doc

_options.CHOICES["weight_type"] = {"square": 0, "simple": 1, "uniform": 2}
_options.CHOICES["weighting_mode"] = {"default": 0, "GDL": 1}
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

_EXAMPLE_DATA = """    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)"""


def _examples(f):
    f.__doc__ = f.__doc__.replace("{example_data}", _EXAMPLE_DATA)
    return f


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


_WEIGHT_TYPE = """
    weight_type : {"square", "simple", "uniform"}, default "square"
        Class weights from the target volume G_c: ``1/G_c^2`` (Sudre, MONAI default),
        ``1/G_c`` or 1."""


@_examples
@_doc(_REGION + _WEIGHT_TYPE)
def generalized_dice_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                          reduction: str = "mean", ignore_index: Optional[float] = None,
                          include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                          weight_type: str = "square", batch: bool = False, empty: str = "smooth",
                          return_grad: bool = False, grad_output: Any = None):
    """Generalized Dice loss (Sudre et al., DLMIA 2017), classes combined per image.

    ``1 - (2 sum_c w_c TP_c + s_n) / (sum_c w_c (P_c + G_c) + s_d)`` for each image (or
    the whole batch with ``batch=True``). The weights depend on the target only and are
    constants of the gradient. A class with an empty target (infinite weight) gets the
    largest finite weight of the same image, as MONAI does; if every class of an image is
    empty all weights are 1, so the value is the Dice of an empty target (MONAI instead
    gives the constant ``1 - s_n/s_d`` with zero gradient). SegLoss and boundary-loss use
    ``1/(G_c + 1e-10)^2``, which lets an empty class dominate. The weights are not
    normalised (as MONAI), so with ``"square"`` the smoothing counts relatively more than in
    :func:`dice_loss`. ``reduction="none"`` returns shape (N,), or (1,) with ``batch=True``;
    ``empty="skip"`` leaves out images whose kept classes are all empty, and
    ``empty="penalize_fp"`` charges them ``P / (P + 1)``, ``P`` summed over their kept
    classes. With one channel
    the weight cancels and the loss is :func:`dice_loss` (without smoothing): use
    ``mode="multiclass"`` or ``"multilabel"``.

    Parameters
    ----------{common}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 3, 2, 2)); labels = np.array([[[0, 1], [2, 2]]])
    >>> round(ss.generalized_dice_loss(z, labels, mode="multiclass", smooth_nr=0, smooth_dr=0), 6)
    0.69697
    """
    return _call("generalized_dice_loss", input, target, return_grad, grad_output, mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                 weight_type=weight_type, batch=batch, empty=empty)


@_examples
@_doc(_REGION + _WEIGHT_TYPE)
def penalty_generalized_dice_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                                  reduction: str = "mean", ignore_index: Optional[float] = None,
                                  include_background: bool = True, smooth_nr: float = 1e-5,
                                  smooth_dr: float = 1e-5, weight_type: str = "square", k: float = 2.5,
                                  batch: bool = False, empty: str = "smooth", return_grad: bool = False,
                                  grad_output: Any = None):
    """Penalty generalized Dice loss (Yang et al., MIDL 2019), ``L / (1 + k (1 - L))``.

    ``L`` is :func:`generalized_dice_loss` of each image (or of the batch with
    ``batch=True``), with the same options; the penalty weighs false positives and false
    negatives up, and its gradient is the generalized Dice gradient times
    ``(1 + k) / (1 + k (1 - L))^2``. SegLoss's ``PenaltyGDiceLoss`` (k = 2.5) applies the
    formula to its GDice output ``-GDSC`` in [-1, 0] instead of the paper's ``1 - GDSC``,
    which changes the loss's shape; here ``L`` is the paper's. ``k=0`` is the plain
    generalized Dice loss.

    Parameters
    ----------{common}
    k : float, default 2.5
        Penalty weight (>= 0).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 3, 2, 2)); labels = np.array([[[0, 1], [2, 2]]])
    >>> opts = dict(mode="multiclass", smooth_nr=0, smooth_dr=0)
    >>> gdl = ss.generalized_dice_loss(z, labels, **opts)
    >>> round(ss.penalty_generalized_dice_loss(z, labels, **opts), 6) == round(gdl / (1 + 2.5 * (1 - gdl)), 6)
    True
    """
    return _call("penalty_generalized_dice_loss", input, target, return_grad, grad_output, mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                 weight_type=weight_type, k=k, batch=batch, empty=empty)


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


def _distance_matrix(dist_matrix: Any):
    """A square matrix as a flat list of floats (None stays None)."""
    if dist_matrix is None:
        return None
    import numpy as np
    try:
        m = np.asarray(dist_matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"dist_matrix: expected a square matrix of numbers, got {dist_matrix!r}") from error
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"dist_matrix: expected a square C x C matrix, got shape {m.shape}")
    return m.ravel().tolist()


@_doc()
def generalized_wasserstein_dice_loss(input: Any, target: Any, *, mode: str = "multiclass", from_logits: bool = True,
                                      reduction: str = "mean", ignore_index: Optional[float] = None,
                                      include_background: bool = True, dist_matrix: Any = None,
                                      weighting_mode: str = "default", smooth_nr: float = 1e-5,
                                      smooth_dr: float = 1e-5, batch: bool = False,
                                      return_grad: bool = False, grad_output: Any = None):
    """Generalized Wasserstein Dice loss (Fidon et al., BrainLes 2017; MONAI
    ``GeneralizedWassersteinDiceLoss``), multiclass only.

    With the class distance matrix M (``dist_matrix``, C x C, scaled so that its largest
    entry is 1 as MONAI; default ``1 - I``), per image (or the batch with ``batch=True``)::

        W_i = sum_c M[g_i, c] p_ic          (voxel i's Wasserstein distance)
        TP  = sum_i alpha[g_i] (1 - W_i)
        D   = 2 TP + sum_i W_i              ("default": alpha 0 on class 0, 1 elsewhere)
        D   = sum_i alpha[g_i] (2 - W_i)    ("GDL": alpha_l = 1 / (volume_l + 1))
        L   = 1 - (2 TP + smooth_nr) / (D + smooth_dr)

    p = softmax(z) (or the probabilities with ``from_logits=False``). A mistake between
    close classes (small M) costs less than one between distant classes. Targets: label
    maps as MONAI, or one-hot / soft targets (the expectation over g). ``ignore_index``
    removes voxels from every sum and volume (MONAI has none). ``include_background``
    must stay True (the background's weight is alpha's business). ``reduction="none"``
    returns one value per image ((1,) with ``batch=True``).

    Parameters
    ----------{common}
    dist_matrix : array_like (C, C), optional
        Distances between classes (>= 0, not all 0); M[c, c] = 0 makes a perfect prediction
        cost 0. Default ``1 - I``.
    weighting_mode : {"default", "GDL"}, default "default"
    smooth_nr, smooth_dr : float, default 1e-5
    batch : bool, default False
        Pool the batch into one entry.
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> m = [[0.0, 1.0, 1.0], [1.0, 0.0, 0.5], [1.0, 0.5, 0.0]]   # MONAI's docstring example
    >>> scores = np.array([[1000.0, 0, 0], [0, 1000, 0], [0, 0, 1000]]).reshape(3, 3, 1)
    >>> round(ss.generalized_wasserstein_dice_loss(scores, np.array([[0], [1], [2]]), dist_matrix=m), 6)
    0.0
    >>> p = np.array([[0.3, 0.6], [0.7, 0.4]]).reshape(1, 2, 2)   # W = (0.3, 0.4)
    >>> round(ss.generalized_wasserstein_dice_loss(p, np.array([[1, 0]]), from_logits=False,
    ...                                            smooth_nr=0, smooth_dr=0), 6)  # 1 - 1.4/2.1
    0.333333
    """
    return evaluate("generalized_wasserstein_dice_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, dist_matrix=_distance_matrix(dist_matrix),
        weighting_mode=weighting_mode, smooth_nr=smooth_nr, smooth_dr=smooth_dr, batch=batch))


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


soft_cldice_loss.__doc__ = soft_cldice_loss.__doc__.replace("{cldice}", _CLDICE.strip("\n"))
soft_dice_cldice_loss.__doc__ = soft_dice_cldice_loss.__doc__.replace("{cldice}", _CLDICE.strip("\n"))


#: The functions of this family, in the order shown to users.
FAMILY_LOSSES: tuple = (log_cosh_dice_loss, sensitivity_specificity_loss, generalized_dice_loss,
                        penalty_generalized_dice_loss, mcc_loss, asymmetric_similarity_loss, log_dice_loss,
                        generalized_wasserstein_dice_loss, soft_cldice_loss, soft_dice_cldice_loss,
                        distance_weighted_dice_loss)

__all__ = [f.__name__ for f in FAMILY_LOSSES]
