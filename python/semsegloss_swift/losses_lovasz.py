"""Loss family: Lovász hinge, Lovász-softmax and the SSIM loss.

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence  # noqa: F401

from . import _options
from ._loss_api import evaluate  # noqa: F401
from ._loss_docs import _COMMON, _REGION, _RETURNS, _SCALE_WEIGHTS, _doc  # noqa: F401

_options.BOOLEANS.add("per_image")
_options.CHOICES["classes"] = {"present": 0, "all": 1}

_LOVASZ_RETURNS = """
    Returns
    -------
    loss : float or ndarray
        A float for ``reduction="mean"|"sum"``; for ``"none"`` an array of shape (N, C)
        with ``per_image=True``, else (C,) (C counts the kept channels).
    grad : ndarray
        Only with ``return_grad=True``: same shape and dtype as ``input``."""

_SORT = """
    The loss is piecewise linear in the errors: the gradient is exact almost everywhere
    (the sort order and the increments Delta are constants between ties), as in the
    reference implementation. Only positive errors are sorted (the others add nothing
    and get zero gradient), with a radix sort on their float bits, in parallel over
    entries: ``per_image=False`` sorts each pooled channel on one thread."""


def _family_doc(returns):
    """Fills {common}, {returns} and {sort} in a docstring of this family."""
    def wrap(f):
        f.__doc__ = (f.__doc__.replace("{common}", _COMMON).replace("{returns}", returns)
                     .replace("{sort}", _SORT).replace("{scale_weights}", _SCALE_WEIGHTS))
        return f
    return wrap


_lovasz_doc = _family_doc(_LOVASZ_RETURNS)


@_lovasz_doc
def lovasz_hinge_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                      reduction: str = "mean", ignore_index: Optional[float] = None,
                      include_background: bool = True, per_image: bool = True,
                      return_grad: bool = False, grad_output: Any = None):
    """Lovász hinge (Berman, Rannen Triki & Blaschko, CVPR 2018), a convex surrogate of the
    Jaccard loss: ``sum_k relu(m_(k)) Delta_k``.

    Margins ``m_i = 1 - z_i (2 g_i - 1)`` on logits z are sorted in decreasing order and
    ``Delta_k = J_k - J_(k-1)`` with ``J_k = 1 - (G - A_k) / (G + B_k)``, A_k and B_k the
    numbers of positive and negative voxels among the k largest margins, G the number of
    positives (LovaszSoftmax's ``lovasz_grad``). Gradient: ``-(2 g - 1) Delta`` where the
    margin is positive. An empty target (G = 0) gives ``Delta = e_1``: only the largest
    margin is penalised. Ignored voxels are removed before sorting; all ignored gives 0.
    Binary and multilabel modes (one hinge per channel; smp pools the channels of a
    multilabel input into one sort); for exclusive classes use :func:`lovasz_softmax_loss`.
    {sort}

    Parameters
    ----------{common}
        With ``from_logits=False`` the probabilities are turned into logits
        ``log(p / (1 - p))`` (p clamped to [1e-7, 1 - 1e-7]) and the gradient is with
        respect to p (0 where the clamp is active); the hinge is meant for logits.
    per_image : bool, default True
        True: one loss per (image, channel), averaged (LovaszSoftmax's default). False:
        each channel pooled over the batch (smp's ``LovaszLoss`` default).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]); z = np.log(p / (1 - p)).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> loss, grad = ss.lovasz_hinge_loss(z, g, return_grad=True)
    >>> round(loss, 6), grad.ravel().tolist()
    (0.076351, [0.0, 0.0, -0.5, 0.0])
    """
    return evaluate("lovasz_hinge_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, per_image=per_image))


@_lovasz_doc
def lovasz_softmax_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                        reduction: str = "mean", ignore_index: Optional[float] = None,
                        include_background: bool = True, per_image: bool = False,
                        classes: str = "present", return_grad: bool = False, grad_output: Any = None):
    """Lovász-softmax (Berman, Rannen Triki & Blaschko, CVPR 2018): per class c,
    ``L_c = sum_k e_(k) Delta^c_k`` with errors ``e_i = |g_ic - p_ic|`` sorted in decreasing
    order, averaged over classes.

    ``Delta^c`` are the Jaccard-loss increments of the class's labels in that order (see
    :func:`lovasz_hinge_loss`). Gradient ``Delta^c sign(p - g)`` with respect to p, chained
    through the softmax. ``mode="multiclass"``: p = softmax(z); target a
    label map (N, *spatial) or one-hot; ``ignore_index`` applied before the one-hot step.
    LovaszSoftmax's ``lovasz_softmax`` takes probabilities: use ``from_logits=False`` for
    that (smp applies the softmax itself, as the default does). ``mode="binary"`` /
    ``"multilabel"``: p = sigmoid(z) per channel, each channel a class (the
    "Lovász-sigmoid"). ``mode`` defaults to ``"binary"`` like every loss of the library:
    pass ``mode="multiclass"`` for the softmax form. 2-D and 3-D (the reference is 2-D only).
    {sort}

    Parameters
    ----------{common}
    per_image : bool, default False
        True: per image the mean over its classes, then the mean over images
        (LovaszSoftmax's ``per_image=True``). False: classes pooled over the batch.
    classes : {"present", "all"}, default "present"
        ``"present"``: average over the classes whose target is not empty (LovaszSoftmax's
        default; absent classes are NaN under ``reduction="none"``, without gradient).
        ``"all"``: every kept class (an absent class costs its largest error).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.8, 0.3, 0.6]).reshape(1, 1, 3); g = np.array([1.0, 0.0, 0.0]).reshape(1, 1, 3)
    >>> round(ss.lovasz_softmax_loss(p, g, mode="binary", from_logits=False), 6)  # 0.6/2 + 0.3/6 + 0.2/3
    0.416667
    >>> z = np.zeros((1, 3, 2, 2)); labels = np.array([[[0, 1], [2, 2]]])
    >>> round(ss.lovasz_softmax_loss(z, labels, mode="multiclass"), 6)  # every error 2/3 or 1/3
    0.666667
    """
    return evaluate("lovasz_softmax_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, per_image=per_image, classes=classes))


_SSIM_RETURNS = """
    Returns
    -------
    loss : float or ndarray
        A float for ``reduction="mean"|"sum"``; for ``"none"`` an array of shape (N, C)
        (C counts the kept channels).
    grad : ndarray
        Only with ``return_grad=True``: same shape and dtype as ``input``."""

_ssim_doc = _family_doc(_SSIM_RETURNS)


@_ssim_doc
def ssim_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
              reduction: str = "mean", ignore_index: Optional[float] = None,
              include_background: bool = True, win_size: int = 11, kernel_sigma: float = 1.5,
              k1: float = 0.01, k2: float = 0.03, data_range: float = 1.0,
              scale_weights: Optional[Sequence[float]] = None,
              return_grad: bool = False, grad_output: Any = None):
    """Structural-similarity loss ``1 - SSIM(p, g)`` (Wang et al., IEEE TIP 2004; MONAI
    ``SSIMLoss``, SemSegLoss ``ssim_loss``), per (image, channel).

    ``SSIM = mean_j (2 mu_p mu_g + c1)(2 s_pg + c2) / ((mu_p^2 + mu_g^2 + c1)(s_p + s_g + c2))``
    with local means, variances and covariance from a normalised Gaussian window
    (``win_size``, ``kernel_sigma``) applied separably along every spatial axis without
    padding (the 'valid' map, as MONAI), ``c1 = (k1 data_range)^2``,
    ``c2 = (k2 data_range)^2``. p are probabilities (sigmoid of logits; softmax in
    multiclass mode, each class channel against its one-hot target). The analytic gradient
    is a sum of three window-filtered maps (derivation in the Swift ``SSIMLoss``).
    ``reduction="mean"`` averages the (image, channel) losses (MONAI's mean). Every spatial
    dimension must be at least ``win_size`` (ValueError naming ``input`` otherwise).
    ``ignore_index`` is not supported (ValueError): mask or crop instead. SemSegLoss uses
    TensorFlow's ``tf.image.ssim`` (same constants, also 'valid' filtering).

    Parameters
    ----------{common}
    win_size : int, default 11
        Odd window size.
    kernel_sigma : float, default 1.5
        Standard deviation of the Gaussian window (> 0).
    k1, k2 : float, default 0.01, 0.03
        Stabilising constants (> 0).
    data_range : float, default 1
        Dynamic range of the images (> 0).{scale_weights}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> g = np.zeros((1, 1, 16, 16)); g[..., 4:12, 4:12] = 1.0
    >>> round(ss.ssim_loss(g, g, from_logits=False), 6)  # identical images
    0.0
    >>> round(ss.ssim_loss(np.full_like(g, 0.5), g, from_logits=False), 4)  # flat gray
    0.9888
    >>> big = np.zeros((1, 1, 48, 48)); big[..., 12:36, 12:36] = 1.0
    >>> round(ss.ssim_loss(big, big, from_logits=False, win_size=5, scale_weights=(0.3, 0.3, 0.4)), 6)
    0.0
    """
    return evaluate("ssim_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, win_size=win_size, kernel_sigma=kernel_sigma,
        k1=k1, k2=k2, data_range=data_range, scale_weights=scale_weights))


#: The functions of this family, in the order shown to users.
FAMILY_LOSSES: tuple = (lovasz_hinge_loss, lovasz_softmax_loss, ssim_loss)

#: Wang, Simoncelli & Bovik (2003)'s exponents of five scales for ``scale_weights``
#: (MS-SSIM as in MONAI, pytorch-msssim and TensorFlow).
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)

__all__ = [f.__name__ for f in FAMILY_LOSSES]
