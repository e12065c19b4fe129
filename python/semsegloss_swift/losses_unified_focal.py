"""Loss family member: the unified focal loss (Yeung et al., 2022) and its parts on their
own: asymmetric and symmetric focal, asymmetric and symmetric focal Tversky.

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention. Listed with the compound losses (``losses_compound``).
"""
from __future__ import annotations

from typing import Any, Optional

from . import _options
from ._loss_api import evaluate
from ._loss_docs import _COMPOUND_RETURNS, _FLOOR, _REGION, _doc

_options.CHOICES["variant"] = {"asymmetric": 0, "symmetric": 1}

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


def _fill(f):
    f.__doc__ = (f.__doc__.replace("{compound}", _COMPOUND_RETURNS)
                 .replace("{ufl_classes}", "\n" + _UFL_CLASSES).replace("{ufl_fixes}", "\n" + _UFL_FIXES))
    return f


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


#: In the order shown to users.
UNIFIED_FOCAL_LOSSES: tuple = tuple(_fill(f) for f in (
    unified_focal_loss, asymmetric_focal_loss, symmetric_focal_loss, asymmetric_focal_tversky_loss,
    symmetric_focal_tversky_loss))

__all__ = [f.__name__ for f in UNIFIED_FOCAL_LOSSES]
