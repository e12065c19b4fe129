"""Docstring pieces shared by the loss functions (see losses.py)."""

_COMMON = """
    input : array_like, shape (N, C, *spatial)
        Logits (``from_logits=True``) or probabilities, float32 or float64 (other real
        dtypes are converted to float64, float16 to float32). 1 to 3 spatial dims.
    target : array_like
        Same shape as ``input``: binary, one-hot or soft labels in [0, 1] (values equal
        to ``ignore_index`` excepted); with ``mode="multiclass"`` also an integer label
        map of shape (N, *spatial) with class indices in [0, C).
    mode : {"binary", "multilabel", "multiclass"}
        ``"binary"``: one channel, the foreground (sigmoid). ``"multilabel"``: C
        independent channels (sigmoid each). ``"multiclass"``: C exclusive classes
        (softmax over channels, computed stably).
    from_logits : bool, default True
        Apply the activation (sigmoid, or softmax in multiclass mode) inside; with False
        the input holds probabilities and the gradient is with respect to them.
    reduction : {"mean", "sum", "none"}
    ignore_index : float, optional
        Target value marking voxels to ignore (e.g. 255): they leave every sum, numerator
        and denominator, and get zero gradient. All voxels ignored gives 0. Multiclass:
        a label (label maps; applied before any one-hot step) or, for dense targets, a
        value in any channel of the voxel. Region losses (one value per image and class,
        or per image): an entry whose voxels are all ignored is left out of
        ``reduction="mean"`` but is 0 in the ``reduction="none"`` output, so the mean of
        the ``"none"`` values is then not the ``"mean"`` value.
    include_background : bool, default True
        Multilabel/multiclass: False drops channel 0 from the loss (in multiclass mode
        its logit still gets gradient through the softmax).
    return_grad : bool, default False
        Also return d(loss)/d(input).
    grad_output : array_like, optional
        With ``reduction="none"``: upstream gradient of the unreduced loss; the returned
        gradient is then the vector-Jacobian product."""

_REGION = """
    smooth_nr, smooth_dr : float, default 1e-5
        Smoothing added to numerator and denominator (MONAI's names and defaults).
    batch : bool, default False
        False: one score per (image, class), then averaged (MONAI). True: sums pooled
        over the batch per class (smp, nnU-Net "batch dice").
    empty : {"smooth", "skip", "penalize_fp"}, default "smooth"
        Entries whose target is empty: ``"smooth"`` lets the smoothing decide (loss 0 for
        an empty prediction, or the ``floor`` clamp's small value where the loss has one;
        ~1 with ~0 gradient otherwise); ``"skip"`` leaves them out
        of the mean (NaN under ``reduction="none"``); ``"penalize_fp"`` gives them the
        loss ``P / (P + 1)``, ``P = sum p`` over the entry (0 for an empty prediction,
        gradient ``1 / (P + 1)**2`` per unit of ``P``), whatever the loss's formula."""

_CLASS_WEIGHT = """
    weight : sequence of float, optional
        Per-class multipliers ``w_c >= 0`` of each (image, class) loss before the reduction
        (MONAI ``DiceLoss(weight=...)``): ``mean_{b,c} w_c l_bc``, still divided by the
        number of entries (not a weighted mean, as MONAI). One value per input channel,
        background included, whatever ``include_background`` is (MONAI wants C - 1 values
        without the background; here the background's weight is then unused). Also
        weighs the ``empty="penalize_fp"`` penalty of that class. Default: all 1."""

_SOFT_LABEL = """
    soft_label : bool, default False
        Intersection ``TP = sum min(p, g)`` instead of ``sum p g`` (MONAI ``soft_label``,
        JDTLoss): with soft targets the loss is then minimal at ``p = g`` (MONAI #8094).
        Identical for hard targets. Gradient: ``1[p < g]`` (1/2 at ties) replaces ``g``
        in the intersection term. Not with ``squared_pred``."""

_RETURNS = """
    Returns
    -------
    loss : float or ndarray
        A float for ``reduction="mean"|"sum"``; for ``"none"`` an array of shape
        (N, C) for region losses ((C,) with ``batch=True``) or the input's shape for
        pixel losses.
    grad : ndarray
        Only with ``return_grad=True``: same shape and dtype as ``input``."""


def _doc(extra: str = ""):
    def wrap(f):
        f.__doc__ = f.__doc__.replace("{common}", _COMMON + extra).replace("{returns}", _RETURNS)
        return f
    return wrap


_SCALE_WEIGHTS = """
    scale_weights : sequence of float, optional
        Multi-scale SSIM (Wang, Simoncelli & Bovik 2003): one exponent (> 0) per scale,
        ``MS = prod_j max(v_j, 0)^w_j`` where scale j + 1 is the 2x average pooling of scale
        j (``floor(n/2)`` per axis, as MONAI's ``MultiScaleSSIMMetric``), ``v_j`` the mean
        contrast-structure term ``cs`` at the first M - 1 scales and the mean SSIM at the
        last; the loss is ``1 - MS``. ``ss.MS_SSIM_WEIGHTS`` are Wang et al.'s five
        weights (every spatial size then needs ``>= 16 * win_size``). Default None: one
        scale (``1 - SSIM``)."""

_NORMALIZE_MAP = """
    normalize_map : {"none", "max", "diagonal"}, default "none"
        Scale of the signed distance map ``phi`` (in voxels, or ``spacing`` units, by
        default, so the loss grows with the image): ``"max"`` divides each (image, class)
        map by its largest ``|phi|`` (values in [-1, 1]; a zero map stays 0), ``"diagonal"``
        divides every map by the image diagonal ``sqrt(sum (n_i s_i)^2)`` (one factor for
        the batch). boundary-loss #25, #18."""

_SPACING = """
    spacing : sequence of float, optional
        Physical voxel size per spatial axis (one positive number per axis, e.g.
        ``(3.0, 0.8, 0.8)`` for a CT volume); distances are then in those units, as
        boundary-loss's ``resolution`` and MONAI's metrics' ``spacing``. Default: 1 on
        every axis (distances in voxels)."""

_COMPOUND_RETURNS = """
    (``reduction="none"`` raises ValueError: the parts have different shapes.)"""

_FLOOR = """
    floor : float, default 1e-7
        Lower clamp of the base of the fractional powers; below it the gradient is 0
        (keeps the gradient finite at a perfect prediction). Must be > 0 when an
        exponent is < 1."""

_EXAMPLE_DATA = """    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)"""


def _examples(f):
    """Puts the shared 2x2 example arrays in place of ``{example_data}``."""
    f.__doc__ = f.__doc__.replace("{example_data}", _EXAMPLE_DATA)
    return f
