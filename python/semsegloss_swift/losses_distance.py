"""Loss family: the distance-map losses (Hausdorff DT, log Hausdorff DT, boundary,
distance-penalized CE, shape-aware, Hausdorff erosion).

Thin keyword wrappers over the Swift library (all maths is in Swift, the exact distance
transforms too); see losses.py for the calling convention.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from . import _options
from ._loss_api import evaluate
from ._loss_docs import _COMMON, _NORMALIZE_MAP, _SPACING

_DISTANCE = """
    Distance maps are exact Euclidean distance transforms (in voxels, or in the units of
    ``spacing`` where the loss takes it) recomputed on every call from the thresholded masks (target ``g > 0.5``, prediction ``p > 0.5``,
    i.e. ``z > 0`` from logits; ignored voxels count as background of the target). They are
    constants: no gradient flows through them. Reduction is per voxel: ``"none"`` returns
    the input's shape, ``"mean"`` averages over valid voxels of the included channels."""

_DISTANCE_RETURNS = """
    Returns
    -------
    loss : float or ndarray
        A float for ``reduction="mean"|"sum"``; for ``"none"`` an array of the input's shape.
    grad : ndarray
        Only with ``return_grad=True``: same shape and dtype as ``input``."""


_options.CHOICES["normalize_map"] = {"none": 0, "max": 1, "diagonal": 2}


def _distance_doc(f):
    f.__doc__ = (f.__doc__.replace("{common}", _COMMON).replace("{distance}", _DISTANCE)
                 .replace("{spacing}", _SPACING).replace("{normalize_map}", _NORMALIZE_MAP)
                 .replace("{returns}", _DISTANCE_RETURNS))
    return f


@_distance_doc
def hausdorff_dt_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                      reduction: str = "mean", ignore_index: Optional[float] = None,
                      include_background: bool = True, alpha: float = 2.0,
                      spacing: Optional[Sequence[float]] = None, return_grad: bool = False,
                      grad_output: Any = None):
    """Hausdorff distance-transform loss (Karimi & Salcudean, IEEE TMI 2020),
    ``mean((p - g)^2 (d_p^alpha + d_g^alpha))``.

    ``d_g = EDT(G) + EDT(~G)`` is, on every voxel, the distance to the nearest voxel of the
    other class of the target mask, ``d_p`` the same for the thresholded prediction. A mask
    that is empty or full has no boundary: its map is 0 (as MONAI). The paper trains
    ``L_HD + lambda * L_Dice``: add ``dice_loss`` outside. MONAI's ``HausdorffDTLoss`` gives
    the same mean (its default ``include_background=False`` corresponds to
    ``mode="multilabel", include_background=False`` here).

    Multiclass (``mode="multiclass"``): p = softmax(z) over the C channels, the target a
    label map (N, *spatial) or one-hot / soft, and the loss of every class channel as in
    multilabel mode on those probabilities (prediction mask ``p_c > 0.5``), the gradient
    taken through the softmax: MONAI's ``HausdorffDTLoss(softmax=True, to_onehot_y=True)``.
    {distance}

    Parameters
    ----------{common}
    alpha : float, default 2
        Exponent of the distances (> 0).{spacing}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([[[[0.9, 0.6, 0.2, 0.1]]]]); g = np.array([[[[1.0, 1.0, 0.0, 0.0]]]])
    >>> round(ss.hausdorff_dt_loss(p, g, from_logits=False), 6)  # both maps [2, 1, 1, 2]
    0.14
    """
    return evaluate("hausdorff_dt_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, alpha=alpha, spacing=spacing))


@_distance_doc
def log_hausdorff_dt_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                          reduction: str = "mean", ignore_index: Optional[float] = None,
                          include_background: bool = True, alpha: float = 2.0,
                          spacing: Optional[Sequence[float]] = None, return_grad: bool = False,
                          grad_output: Any = None):
    """Log Hausdorff distance-transform loss, ``log(1 + L_HD)`` of the reduced
    :func:`hausdorff_dt_loss` (MONAI ``LogHausdorffDTLoss``); gradient scaled by
    ``1 / (1 + L_HD)``. ``reduction="none"`` is not available (the logarithm applies to
    the reduced loss). Multiclass as :func:`hausdorff_dt_loss` (softmax, one-hot targets).
    {distance}

    Parameters
    ----------{common}
    alpha : float, default 2
        Exponent of the distances (> 0).{spacing}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([[[[0.9, 0.6, 0.2, 0.1]]]]); g = np.array([[[[1.0, 1.0, 0.0, 0.0]]]])
    >>> round(ss.log_hausdorff_dt_loss(p, g, from_logits=False), 6)  # log(1 + 0.14)
    0.131028
    """
    return evaluate("log_hausdorff_dt_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, alpha=alpha, spacing=spacing))


@_distance_doc
def boundary_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                  reduction: str = "mean", ignore_index: Optional[float] = None,
                  include_background: bool = True, spacing: Optional[Sequence[float]] = None,
                  normalize_map: str = "none", return_grad: bool = False, grad_output: Any = None):
    """Boundary (surface) loss (Kervadec et al., MIDL 2019 / MedIA 2021), ``mean(p * phi_G)``.

    ``phi_G`` is the signed distance map of the target (:func:`signed_distance`,
    ``convention="boundary_loss"``): ``EDT(~G)`` outside, ``-(EDT(G) - 1)`` inside (0 on the
    inner boundary layer), 0 for an empty or full target.

    **Negative by design**: the minimum, reached by predicting exactly the object, is the
    sum of the negative interior distances. Alone it drives the prediction toward an empty
    foreground. Pair it with a region loss as the paper does, e.g.
    ``generalized Dice + a * boundary_loss`` with ``a = 0.01`` at the start, increased by
    0.01 per epoch (the "rebalance" schedule), or ``(1 - a) * dice + a * boundary``. For
    binary problems use the foreground channel only (binary mode, or multilabel with
    ``include_background=False``): background maps reach hundreds of voxels.

    Multiclass (``mode="multiclass"``, the paper's multi-organ setting): p = softmax(z), one
    map per class from the label map or one-hot target, ``mean(sum_c p_c * phi_c)`` over the
    included classes (usually ``include_background=False``), gradient through the softmax.
    {distance}

    Parameters
    ----------{common}{spacing}{normalize_map}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([[[[0.9, 0.8, 0.7, 0.2, 0.1]]]]); g = np.array([[[[1.0, 1.0, 1.0, 0.0, 0.0]]]])
    >>> round(ss.boundary_loss(p, g, from_logits=False), 6)  # phi = [-2, -1, 0, 1, 2]: negative
    -0.44
    >>> round(ss.boundary_loss(p, g, from_logits=False, normalize_map="max"), 6)  # phi / 2
    -0.22
    >>> two = np.concatenate([1 - p, p], axis=1)  # classes 0 and 1; label map [1, 1, 1, 0, 0]
    >>> round(ss.boundary_loss(two, g[:, 0].astype(int), mode="multiclass", from_logits=False), 6)
    -0.21
    """
    return evaluate("boundary_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, spacing=spacing, normalize_map=normalize_map))


@_distance_doc
def distance_penalized_ce_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                               reduction: str = "mean", ignore_index: Optional[float] = None,
                               include_background: bool = True, spacing: Optional[Sequence[float]] = None,
                               return_grad: bool = False, grad_output: Any = None):
    """Distance-map penalized cross-entropy (Caliva et al., MIDL 2019), ``mean((1 + Phi) * BCE)``.

    ``Phi`` is the normalised inverted distance map of the target, per (image, channel) and
    separately inside and outside the object: ``(M - e) / (M - m)`` with ``e`` the distance
    to the other class and ``M``, ``m`` its maximum and minimum on that side, so ``Phi = 1``
    on the boundary layers and 0 on the farthest voxels (weight in [1, 2]); 1 on a side whose
    voxels are all equally far; 0 for an empty or full target (plain BCE). This is SegLoss's
    ``DisPenalizedCE`` with its weight actually applied. Binary and multilabel only (the
    paper defines no categorical form): for exclusive classes use ``mode="multilabel"`` with
    one-hot targets.
    {distance}

    Parameters
    ----------{common}{spacing}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 1, 1, 4)); g = np.array([[[[1.0, 1.0, 0.0, 0.0]]]])
    >>> round(ss.distance_penalized_ce_loss(z, g), 6)  # weights [1, 2, 2, 1] times log 2
    1.039721
    """
    return evaluate("distance_penalized_ce_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, spacing=spacing))


@_distance_doc
def shape_aware_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                     reduction: str = "mean", ignore_index: Optional[float] = None,
                     include_background: bool = True, shape_weight: float = 1.0,
                     spacing: Optional[Sequence[float]] = None, return_grad: bool = False,
                     grad_output: Any = None):
    """Shape-aware loss (Al Arif, Knapp & Slabaugh, MICCAI MSKI 2017), ``mean((1 + w E) * BCE)``.

    ``E``, one number per (image, channel), is the average point-to-curve distance from the
    contour of the thresholded prediction to the contour of the target (the directed
    average surface distance, contours as in :func:`metrics.average_surface_distance`):
    images whose predicted shape is far from the target's get a larger cross-entropy
    weight. Formula as summarised by Jadon (IEEE CIBCB 2020, eqs. 14-15) for the
    SemSegLoss catalogue, written as a weight (the survey's minus signs are a typo). ``E = 0``
    (plain BCE) when either contour is empty. Binary and multilabel only, as
    :func:`distance_penalized_ce_loss`.
    {distance}

    Parameters
    ----------{common}
    shape_weight : float, default 1
        ``w`` (>= 0), the weight of the shape term; E is in voxels (or ``spacing`` units).{spacing}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([[[[0.9, 0.2, 0.2, 0.6]]]]); g = np.array([[[[1.0, 1.0, 0.0, 0.0]]]])
    >>> round(ss.shape_aware_loss(p, g, from_logits=False), 6)  # E = (0 + 2)/2 = 1
    1.427116
    """
    return evaluate("shape_aware_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, shape_weight=shape_weight, spacing=spacing))


@_distance_doc
def hausdorff_er_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                      reduction: str = "mean", ignore_index: Optional[float] = None,
                      include_background: bool = True, alpha: float = 2.0, erosions: int = 10,
                      return_grad: bool = False, grad_output: Any = None):
    """Hausdorff erosion loss (Karimi & Salcudean, IEEE TMI 2020, HD_ER),
    ``mean(sum_k k^alpha * b_k)`` over ``k = 1..erosions``.

    Starting from the squared error ``b_0 = (p - g)^2``, each step convolves with the cross
    kernel (the voxel and its axis neighbours, weights ``1/(2d + 1)``: 1/5 in 2-D, 1/7 in
    3-D, zero padding), keeps what exceeds 1/2 (``max(c - 1/2, 0)``, a soft erosion) and
    rescales the result to [0, 1] per (image, channel) by its min and max. Error regions
    that survive many erosions, i.e. thick ones far from where prediction and target agree,
    weigh most: a differentiable stand-in for the Hausdorff distance. Scattered one-voxel
    errors vanish after the first step.

    **Gradient.** SegLoss's ``HausdorffERLoss`` runs in NumPy under ``no_grad``: its loss
    trains nothing (SegLoss #21). Here the gradient goes through every step (the ReLU, the
    min-max rescaling, the convolution) and is checked against finite differences. Its 3-D
    kernel is applied with the channel axis first, so it never erodes along the first
    spatial axis; here the 7-point cross acts on all three. Ignored voxels start at
    ``b_0 = 0`` and leave the mean. Multiclass: softmax and one-hot targets, every class
    channel as in multilabel mode (Kornia's per-class form). Nothing is recomputed from
    thresholded masks: the loss is a smooth function of ``p`` between the ReLU's kinks.

    Parameters
    ----------{common}
    alpha : float, default 2
        Exponent of the step weights ``k^alpha``, in [0, 10].
    erosions : int, default 10
        Number of erosion steps, 1 to 1000.
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([[[0.0, 1.0, 1.0, 1.0, 0.0]]]); g = np.zeros((1, 1, 5))
    >>> # b_1 = [0, 1/3, 1, 1/3, 0], b_2 = [0, 0, 1, 0, 0]: mean of b_1 + 4 b_2
    >>> round(ss.hausdorff_er_loss(p, g, from_logits=False, erosions=2), 6)
    1.133333
    """
    return evaluate("hausdorff_er_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, alpha=alpha, erosions=erosions))

#: The functions of this family, in the order shown to users.
FAMILY_LOSSES: tuple = (hausdorff_dt_loss, log_hausdorff_dt_loss, boundary_loss, distance_penalized_ce_loss,
                        shape_aware_loss, hausdorff_er_loss)

__all__ = [f.__name__ for f in FAMILY_LOSSES]
