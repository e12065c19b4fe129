"""Loss family member: sums of whole losses with a structural or distance part: the UNet 3+
and BASNet hybrids (focal or BCE + SSIM + Jaccard), Dice + boundary, Dice + Hausdorff DT.

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention. Listed with the compound losses (``losses_compound``).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from . import _options
from ._loss_api import evaluate
from ._loss_docs import _COMPOUND_RETURNS, _NORMALIZE_MAP, _REGION, _SCALE_WEIGHTS, _SPACING, _doc

_options.BOOLEANS.add("generalized")

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

_HYBRID_NOTES = """
    The SSIM part is :func:`ssim_loss` (per (image, channel), Gaussian window without
    padding; single-scale unless ``scale_weights`` is given), the Jaccard part :func:`jaccard_loss` (smoothed: SemSegLoss's
    unsmoothed ``jacard_loss`` is NaN when prediction and target are both empty). Every
    spatial size must be at least ``win_size`` and ``ignore_index`` is refused (SSIM is a
    windowed statistic). Multiclass mode: softmax, each part in its multiclass form.
    SemSegLoss takes probabilities and computes its Jaccard term over the whole batch
    without smoothing: ``from_logits=False, batch=True, smooth_nr=0, smooth_dr=0``
    reproduces it wherever it is finite."""


def _fill(f):
    f.__doc__ = f.__doc__.replace("{hybrid}", "\n" + _HYBRID_NOTES).replace("{compound}", _COMPOUND_RETURNS)
    return f


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


#: In the order shown to users.
HYBRID_LOSSES: tuple = tuple(_fill(f) for f in (
    unet3p_hybrid_loss, basnet_hybrid_loss, dice_boundary_loss, dice_hausdorff_dt_loss))

__all__ = [f.__name__ for f in HYBRID_LOSSES]
