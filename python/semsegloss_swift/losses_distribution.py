"""Loss family: weighted/balanced BCE, cross-entropy, top-k cross-entropy, NACL, Poly-1.

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention. The softmax focal loss is ``focal_loss(mode="multiclass")``.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from . import _options
from ._loss_api import evaluate
from ._loss_docs import _COMMON, _RETURNS, _doc  # noqa: F401

_options.CHOICES["kernel_ops"] = {"mean": 0, "gaussian": 1}
_options.CHOICES["distance_type"] = {"l1": 0, "l2": 1}

_CATEGORICAL_RETURNS = """
    Returns
    -------
    loss : float or ndarray
        A float for ``reduction="mean"|"sum"``; for ``"none"`` an array of shape
        (N, *spatial) in multiclass mode (the per-voxel sum over classes), the input's
        shape in binary/multilabel mode.
    grad : ndarray
        Only with ``return_grad=True``: same shape and dtype as ``input``."""

_CE_OPTIONS = """
    weight : sequence of float, optional
        Class weights, one per class (>= 0; multiclass only), as PyTorch/MONAI ``weight``.
        With ``reduction="mean"`` the weighted sum is divided by ``sum_i w[y_i]`` over the
        valid voxels (``sum_i sum_c w_c g_ic`` for dense targets), as
        ``torch.nn.CrossEntropyLoss`` does for class-index targets (for soft targets PyTorch
        divides by the voxel count instead). Without ``weight`` the mean divides by the
        valid voxels, so all-ones weights give the unweighted value. With
        ``include_background=False`` the background's term leaves the numerator only: the
        denominator keeps its voxels (with ``w[0]``).
    label_smoothing : float, default 0
        epsilon in [0, 1] (multiclass only): the target becomes ``(1 - eps) g + eps / C``,
        i.e. ``(1 - eps) NLL + eps / C * sum_c -log p_c`` (PyTorch / MONAI
        ``label_smoothing``, smp ``smooth_factor``; smp's ``SoftCrossEntropyLoss`` crashes
        with its default ``smooth_factor=None``, smp #372)."""


def _categorical_doc(extra: str):
    def wrap(f):
        f.__doc__ = (f.__doc__.replace("{common}", _COMMON + extra)
                     .replace("{returns}", _CATEGORICAL_RETURNS))
        return f
    return wrap


@_doc()
def weighted_bce_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                      reduction: str = "mean", ignore_index: Optional[float] = None,
                      include_background: bool = True, beta: Optional[float] = None,
                      pos_weight: Optional[float] = None, return_grad: bool = False,
                      grad_output: Any = None):
    """Weighted binary cross-entropy, ``-[q g log p + (1 - g) log(1 - p)]`` (SemSegLoss's
    ``weighted_cross_entropyloss``), with ``q = beta / (1 - beta)`` or ``q = pos_weight``.

    Binary/multilabel (sigmoid per channel), computed stably from the logits; this is
    :func:`bce_loss` with its own defaults. For exclusive classes use
    :func:`cross_entropy_loss` with ``weight=[...]``.

    SemSegLoss's default ``beta = 0.25`` gives ``q = 1/3``, which *down*-weights the
    positives, the opposite of the purpose of the weighting (and its TF-1 keyword
    ``targets=`` fails on TF 2). Here the default is ``beta = 0.75`` (``q = 3``); pass
    ``beta=0.25`` to reproduce SemSegLoss. ``weighted_bce_loss(beta=b)`` equals
    ``balanced_bce_loss(beta=b) / (1 - b)``.

    Parameters
    ----------{common}
    beta : float, optional
        In (0, 1): ``q = beta / (1 - beta)``. Default 0.75 (q = 3) when neither ``beta``
        nor ``pos_weight`` is given.
    pos_weight : float, optional
        q itself (> 0), as PyTorch/smp ``pos_weight``; give either this or ``beta``.
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 1, 2, 2)); g = np.array([[[[1.0, 0.0], [1.0, 0.0]]]])
    >>> round(ss.weighted_bce_loss(z, g), 6)  # (3 log 2 + log 2) / 2
    1.386294
    """
    return evaluate("weighted_bce_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, beta=beta, pos_weight=pos_weight))


@_doc()
def balanced_bce_loss(input: Any, target: Any, *, mode: str = "binary", from_logits: bool = True,
                      reduction: str = "mean", ignore_index: Optional[float] = None,
                      include_background: bool = True, beta: float = 0.5,
                      return_grad: bool = False, grad_output: Any = None):
    """Balanced binary cross-entropy, ``-[beta g log p + (1 - beta)(1 - g) log(1 - p)]``
    (Xie & Tu, HED, ICCV 2015; listed in SemSegLoss's README, used inside the combo loss of
    the Unified Focal loss code).

    Binary/multilabel, computed stably from the logits (gradient
    ``beta g (sigma - 1) + (1 - beta)(1 - g) sigma``). ``beta = 0.5`` (default, as the
    unified-focal combo loss) is half the BCE; HED sets beta to the fraction of negative
    voxels. For exclusive classes use :func:`cross_entropy_loss` with ``weight=[...]``.

    Parameters
    ----------{common}
    beta : float, default 0.5
        Weight of the positive term, in (0, 1); 1 - beta weighs the negative term.
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 1, 2, 2)); g = np.array([[[[1.0, 0.0], [1.0, 0.0]]]])
    >>> round(ss.balanced_bce_loss(z, g, beta=0.75), 6)  # (0.75 + 0.25) log 2 / 2
    0.346574
    """
    return evaluate("balanced_bce_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, beta=beta))


@_categorical_doc(_CE_OPTIONS)
def cross_entropy_loss(input: Any, target: Any, *, mode: str = "multiclass", from_logits: bool = True,
                       reduction: str = "mean", ignore_index: Optional[float] = None,
                       include_background: bool = True, weight: Optional[Sequence[float]] = None,
                       label_smoothing: float = 0.0, return_grad: bool = False,
                       grad_output: Any = None):
    """Categorical cross-entropy, ``-sum_c w_c g_c log softmax(z)_c`` per voxel.

    ``log softmax`` is computed stably (log-sum-exp), so logits of any size are fine; the
    gradient is ``p * sum_c w_c g_c - w g`` (``p - g`` for one-hot targets). The target is an
    integer label map (N, *spatial) or one-hot / soft labels with the input's shape;
    ``ignore_index`` is applied before any one-hot step.

    ``include_background=False`` drops the class-0 term of every voxel (the softmax still
    runs over all classes): background voxels then contribute 0 but still count in the
    mean (weighted or not). MONAI's ``DiceCELoss`` applies ``include_background`` to its Dice
    part only; leave it True to match its CE. ``from_logits=False``: the input holds
    probabilities (not checked to sum to 1), clamped to [1e-7, 1 - 1e-7] inside the log.

    In ``mode="binary"``/``"multilabel"`` this is the per-element binary cross-entropy
    (sigmoid per channel, :func:`bce_loss`), as MONAI's DiceCE does for one channel;
    ``weight`` and ``label_smoothing`` are multiclass-only.

    Parameters
    ----------{common}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    >>> round(ss.cross_entropy_loss(z, np.array([[[0]]])), 6)  # log(e + e^2 + e^3) - 1
    2.407606
    >>> loss, grad = ss.cross_entropy_loss(z, np.array([[[0]]]), return_grad=True)
    >>> np.round(grad.ravel(), 6).tolist()  # softmax(z) - one_hot(0)
    [-0.909969, 0.244728, 0.665241]
    """
    return evaluate("cross_entropy_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, weight=weight, label_smoothing=label_smoothing))


@_categorical_doc(_CE_OPTIONS)
def top_k_ce_loss(input: Any, target: Any, *, mode: str = "multiclass", from_logits: bool = True,
                  reduction: str = "mean", ignore_index: Optional[float] = None,
                  include_background: bool = True, k: float = 10.0,
                  weight: Optional[Sequence[float]] = None, label_smoothing: float = 0.0,
                  return_grad: bool = False, grad_output: Any = None):
    """Top-k cross-entropy (SegLoss ``TopKLoss``, nnU-Net ``DC_and_topk_loss``): the mean
    of the ``k`` % largest per-voxel cross-entropy values (online hard-voxel mining).

    ``K = max(1, floor(k n / 100))`` with n the number of valid voxels; the gradient is
    that of the K selected voxels only, divided by K. Ties at the K-th value go to the lower
    flat index (deterministic); the selection is an O(n) quickselect. Per-voxel values are
    those of :func:`cross_entropy_loss` (with ``weight`` / ``label_smoothing``; the top-k
    mean is a plain mean, as SegLoss); in binary/multilabel mode the per-element BCE.
    Unlike SegLoss, ignored voxels are excluded from n and from the selection (SegLoss
    counts them as zeros) and K >= 1 (SegLoss's ``int(n k / 100)`` can be 0, giving NaN).
    ``reduction="sum"`` sums the K values; ``"none"`` returns the per-voxel values of the
    selected voxels and 0 elsewhere.

    Parameters
    ----------{common}
    k : float, default 10
        Percentage of voxels kept, in (0, 100]; 100 is :func:`cross_entropy_loss`
        (without class weights).
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.array([[0.0, 0, 0, 0], [2, 0, -1, 1]]).reshape(1, 2, 4)
    >>> round(ss.top_k_ce_loss(z, np.zeros((1, 4), dtype=np.int64), k=50), 6)  # two hardest voxels
    1.720095
    """
    return evaluate("top_k_ce_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, k=k, weight=weight, label_smoothing=label_smoothing))


@_doc()
def nacl_loss(input: Any, target: Any, *, mode: str = "multiclass", from_logits: bool = True,
              reduction: str = "mean", ignore_index: Optional[float] = None,
              include_background: bool = True, alpha: float = 0.1, kernel_ops: str = "mean",
              kernel_size: int = 3, sigma: float = 1.0, distance_type: str = "l1",
              return_grad: bool = False, grad_output: Any = None):
    """Neighbor-aware calibration loss (Murugesan et al., MICCAI 2023; MONAI ``NACLLoss``),
    ``CE + alpha * mean d(K * onehot(g) - x)``.

    The penalty pulls each logit toward the class proportions of the voxel's
    neighbourhood: ``K`` is a box of ``kernel_size`` voxels per axis with taps
    ``1/kernel_size`` (``kernel_ops="mean"``) or MONAI's Gaussian filter (``"gaussian"``:
    erf taps over ``+-floor(4 sigma + 0.5)``, not normalised), applied separably to every
    (image, class) plane of the one-hot target with zero padding ('same' size, as MONAI).
    The smoothed target is a constant; ``d`` is ``|.|`` (``"l1"``, gradient its sign, 0 at
    equality) or ``(.)^2`` (``"l2"``). The mean runs over every valid (voxel, kept class);
    the cross-entropy is :func:`cross_entropy_loss`. Default mode multiclass as MONAI
    (label map or one-hot target); in binary/multilabel mode (an extension) the binary
    cross-entropy per element and the penalty on each channel against ``K * g``.
    ``ignore_index``: ignored voxels are 0 in the one-hot target before the smoothing and
    leave both means (MONAI has no ignore_index). ``include_background=False`` drops class
    0 from both parts. ``from_logits=False``: cross-entropy of the probabilities and the
    penalty on the probabilities. ``reduction="sum"``: sum CE + alpha sum d;
    ``"none"`` is refused (the parts have different shapes).

    Parameters
    ----------{common}
    alpha : float, default 0.1
        Weight of the penalty (>= 0).
    kernel_ops : {"mean", "gaussian"}, default "mean"
    kernel_size : int, default 3
        Odd box size (``kernel_ops="mean"``).
    sigma : float, default 1
        Standard deviation of the Gaussian kernel (> 0).
    distance_type : {"l1", "l2"}, default "l1"
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 2, 3)); labels = np.array([[0, 1, 1]])
    >>> # CE ln 2; smoothed one-hot (1/3, 1/3, 0) and (1/3, 2/3, 2/3): mean |u - 0| = 7/18
    >>> round(ss.nacl_loss(z, labels), 6)
    0.732036
    """
    return evaluate("nacl_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, alpha=alpha, kernel_ops=kernel_ops, kernel_size=kernel_size,
        sigma=sigma, distance_type=distance_type))


@_categorical_doc(_CE_OPTIONS + """
    epsilon : float, default 1
        Weight of the polynomial term ``1 - p_t``; >= -1 (-1 cancels the first term of
        the cross-entropy's expansion).""")
def poly_loss(input: Any, target: Any, *, mode: str = "multiclass", from_logits: bool = True,
              reduction: str = "mean", ignore_index: Optional[float] = None,
              include_background: bool = True, epsilon: float = 1.0,
              weight: Optional[Sequence[float]] = None, label_smoothing: float = 0.0,
              return_grad: bool = False, grad_output: Any = None):
    """Poly-1 loss (Leng et al., ICLR 2022), ``CE + epsilon * (1 - p_t)`` per voxel.

    ``p_t = sum_c g_c p_c`` is the probability of the target class (softmax); in
    ``mode="binary"``/``"multilabel"`` it is ``g p + (1 - g)(1 - p)`` per element and the
    cross-entropy is the binary one. ``epsilon = 1`` is the paper's default. As in the
    paper's code, ``label_smoothing`` applies to the cross-entropy only; class weights and
    ``include_background=False`` scale both parts of a voxel's loss (weighted mean as
    :func:`cross_entropy_loss`). Requested by SegLoss users (SegLoss #41); none of the peer
    libraries has it.

    Parameters
    ----------{common}
{returns}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> z = np.zeros((1, 2, 1, 1)); labels = np.array([[[1]]])
    >>> round(ss.poly_loss(z, labels), 6)  # ln 2 + (1 - 1/2)
    1.193147
    """
    return evaluate("poly_loss", input, target, return_grad, grad_output, dict(
        mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
        include_background=include_background, epsilon=epsilon, weight=weight, label_smoothing=label_smoothing))


#: The functions of this family, in the order shown to users.
FAMILY_LOSSES: tuple = (weighted_bce_loss, balanced_bce_loss, cross_entropy_loss, top_k_ce_loss, nacl_loss,
                        poly_loss)

__all__ = [f.__name__ for f in FAMILY_LOSSES]
