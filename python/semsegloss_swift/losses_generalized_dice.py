"""Loss family member (region): Sudre's generalized Dice, its penalty form (Yang) and the
generalized Wasserstein Dice (Fidon).

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention. Listed with the region losses (``losses_region``).
"""
from __future__ import annotations

from typing import Any, Optional

from . import _options
from ._loss_api import evaluate
from ._loss_docs import _REGION, _doc, _examples
from ._options import float_array

_options.CHOICES["weight_type"] = {"square": 0, "simple": 1, "uniform": 2}
_options.CHOICES["weighting_mode"] = {"default": 0, "GDL": 1}

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
    return evaluate("generalized_dice_loss", input, target, return_grad, grad_output, dict(mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                 weight_type=weight_type, batch=batch, empty=empty))


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
    return evaluate("penalty_generalized_dice_loss", input, target, return_grad, grad_output, dict(mode=mode,
                 from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                 include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                 weight_type=weight_type, k=k, batch=batch, empty=empty))


def _distance_matrix(dist_matrix: Any):
    """A square matrix as a flat list of floats (None stays None)."""
    if dist_matrix is None:
        return None
    m = float_array("dist_matrix", dist_matrix, "a square matrix of numbers")
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


#: In the order shown to users.
GENERALIZED_DICE_LOSSES: tuple = (generalized_dice_loss, penalty_generalized_dice_loss,
                                  generalized_wasserstein_dice_loss)

__all__ = [f.__name__ for f in GENERALIZED_DICE_LOSSES]
