"""Our losses, through the PyTorch adapter, against the real peer implementations run in
torch: an independent oracle. For every case the peer's value and its torch-autograd
gradient with respect to the input (logits, or probabilities where the peer takes them)
must equal our value and our analytic gradient (``semsegloss_swift.torch``), in float64,
on small random inputs: binary (C = 1), multilabel (C = 3, sigmoid) and multiclass
(C = 3, softmax, label maps (N, H, W) for us and (N, 1, H, W) with ``to_onehot_y=True``
for MONAI), 2-D (2 x C x 9 x 7) and 3-D (2 x C x 5 x 6 x 4).

* torch-native: ``F.binary_cross_entropy_with_logits`` (``pos_weight``) against
  ``bce_loss`` / ``weighted_bce_loss``; ``F.cross_entropy`` (``weight``,
  ``label_smoothing``, ``ignore_index``) against ``cross_entropy_loss``. Where the two
  conventions differ (ignored voxels in the BCE, dense targets with class weights,
  ``include_background=False``), the comparison is against a torch expression of the
  convention our docstrings state, and the difference to the torch mean is asserted.
* MONAI: every preset of ``presets_of("monai")`` (``test_every_monai_preset_is_covered``),
  built as the preset's ``peer`` says, plus the documented option mappings (sigmoid /
  softmax = ``from_logits=True``, ``squared_pred``, ``jaccard``, ``batch``,
  ``include_background``, ``weight``, ``soft_label``, ``ignore_index``, ``alpha`` /
  ``beta``, ``w_type``, lambdas, ...) and two non-preset losses whose formulas map
  (``MCCLoss`` = ``mcc_loss(eps=0)``, ``BoundaryLoss`` = ``boundary_loss``).

Tolerance: rtol 1e-9 where the peer does the same float64 maths (only the summation order
differs); looser, with the reason next to the constant, where MONAI rounds part of the
computation to float32 (FocalLoss casts its inputs, GeneralizedDiceLoss its weights,
HausdorffDTLoss / BoundaryLoss their distance maps, NACLLoss its filtered one-hot
target, SSIMLoss everything). Gradients: elementwise ``|ours - peer| <= tol * (|peer| +
max |peer|)``.

Documented differences asserted explicitly rather than skipped (the assertion states our
convention, built from the peer's own pieces):

* DiceCELoss ``weight``: MONAI weighs its Dice part too (our ``dice_ce_loss`` weighs the
  cross-entropy only); ``include_background=False``: MONAI keeps the class-0 term in its
  cross-entropy, ours drops it (the convention of ``cross_entropy_loss``, whose docstring
  notes MONAI's; ``dice_ce_loss``'s own docstring does not say it).
* FocalLoss softmax: MONAI's mean also divides by C (not with ``ignore_index``, where it
  divides by the valid voxels); MONAI drops channel 0 before its softmax.
* DiceFocalLoss / GeneralizedDiceFocalLoss with ``softmax=True``: MONAI 1.6 still pairs
  them with the *sigmoid* focal loss; ours is the softmax focal loss.
* GeneralizedDiceLoss: an image whose classes are all empty (preset notes).
* SoftclDiceLoss / SoftDiceclDiceLoss: MONAI 1.6 (PR #8703) computes one clDice per image
  with a harmonic-mean epsilon ``smooth`` (default 1e-4) and its Dice part per (image,
  class); ours pools the batch and the kept channels and has no epsilon. Compared with
  ``smooth=1e-300`` on one image, and for two images through MONAI applied to the kept
  channels of the batch stacked into one image.
* AsymmetricFocalLoss / AsymmetricUnifiedFocalLoss: MONAI 1.6's focal part is the mean
  over (voxel, class) pairs (``loss.mean()`` of the stacked (N, 2, ...) terms), half the
  per-voxel class sum of UFL, of earlier MONAI (``torch.mean(torch.sum(stack, dim=1))``)
  and of LOSSES.md §1.3, which ours follows; asserted as "ours = 2 x MONAI 1.6" (the preset
  notes do not mention it). The focal Tversky part is compared directly.

Left out (no mapping):

* DiceCELoss in multilabel mode (C > 1 with ``sigmoid=True``): MONAI's cross-entropy part
  is then the categorical (softmax) cross-entropy of the C channels, ours the per-channel
  BCE.
* DiceLoss ``other_act``, ``weight`` of FocalLoss / DiceFocalLoss (per-class focal
  multipliers; we have none), FocalLoss ``reduction="sum"`` (MONAI averages the spatial
  dims first, preset notes), sequence ``alpha`` of FocalLoss.
* MONAI losses with no counterpart here: MaskedDiceLoss / MaskedLoss (tested in
  test_masked_loss.py against MONAI's formula), DeepSupervisionLoss, AUCMLoss, and the
  non-segmentation losses (registration, perceptual, adversarial, contrastive, ...).
"""
from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
import pytest

from conftest import assert_close, optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
import semsegloss_swift.torch as sst  # noqa: E402
from semsegloss_swift.presets import preset, presets_of  # noqa: E402

F = torch.nn.functional

# ============================================================================ tolerances

#: Same float64 maths on both sides: only the summation order differs.
EXACT = 1e-9
#: MONAI's GeneralizedDiceLoss computes its class weights from ``ground_o.float()``
#: (float32 1/G^2, relative error ~6e-8; seen: 3e-9 on the value, 3e-8 on the gradient).
F32_WEIGHTS = 1e-6
#: MONAI's FocalLoss.forward runs ``input.float()`` / ``target.float()``: the focal terms
#: (also inside DiceFocal / GeneralizedDiceFocal) are float32 (seen: 1e-7 / 3e-7).
F32_FOCAL = 2e-6
#: HausdorffDTLoss and BoundaryLoss cast their distance maps to float32 (seen: 1e-8 / 7e-8).
F32_DISTANCE = 1e-6
#: NACLLoss filters a float32 one-hot target with a float32 kernel (seen: 5e-10 / 1.3e-9).
F32_FILTER = 1e-7
#: SSIMLoss converts both images to float32 (``convert_data_type(dtype=torch.float)``) and
#: its variances E[x^2] - E[x]^2 cancel (seen: 4e-7 on the value and the gradient).
F32_SSIM = 1e-5
#: ``smooth`` of MONAI 1.6's SoftclDiceLoss (harmonic-mean epsilon, must be > 0): this
#: small it vanishes next to Tprec + Tsens ~ 1, as in our formula (no epsilon).
NO_EPSILON = 1e-300

IGNORE = 255
C = 3
SPATIAL_2D = (9, 7)
SPATIAL_3D = (5, 6, 4)


# ============================================================================ data
# Every generator returns (input, our target, the peer's target), float64 inputs.

def _rng(seed):
    return np.random.default_rng(seed)


def _logits(rng, shape):
    """N(0, 2) logits, none within 1e-3 of 0 (sigmoid 0.5: the distance losses threshold
    there, and an L1 penalty has its kink nowhere near)."""
    z = rng.normal(0.0, 2.0, shape)
    return np.where(np.abs(z) < 1e-3, z + 0.01, z)


def _probs(rng, shape):
    """Probabilities in (0.02, 0.98) (no peer clamp at 1e-7 is active), none within 1e-3
    of the 0.5 threshold."""
    p = rng.uniform(0.02, 0.98, shape)
    return np.where(np.abs(p - 0.5) < 1e-3, p + 0.01, p)


def _hard(rng, shape, empty=()):
    """0/1 target with a foreground and a background voxel in every (image, channel),
    except the (image, channel) pairs of ``empty``, which are all background."""
    g = (rng.random(shape) < 0.4).astype(np.float64)
    for b in range(shape[0]):
        for c in range(shape[1]):
            flat = g[b, c].reshape(-1)
            flat[0], flat[1] = 1.0, 0.0
    for index in empty:
        g[index] = 0.0
    return g


def binary(seed=0, spatial=SPATIAL_2D, probs=False, empty=True, ignore=False):
    """(2, 1, *spatial); image 1 has an empty target when ``empty``; with ``ignore`` a
    block of image 0 holds the ignore value 255."""
    rng = _rng(seed)
    shape = (2, 1) + spatial
    x = _probs(rng, shape) if probs else _logits(rng, shape)
    g = _hard(rng, shape, empty=[(1,)] if empty else [])
    if ignore:
        g[0, 0, :2, :3] = IGNORE
    return x, g, g


def multilabel(seed=1, spatial=SPATIAL_2D, probs=False, empty=True, soft=False):
    """(2, 3, *spatial); (image 1, channel 2) empty when ``empty``; ``soft``: targets
    uniform in [0, 1]."""
    rng = _rng(seed)
    shape = (2, C) + spatial
    x = _probs(rng, shape) if probs else _logits(rng, shape)
    if soft:
        g = rng.uniform(0.0, 1.0, shape)
        if empty:
            g[1, 2] = 0.0
    else:
        g = _hard(rng, shape, empty=[(1, 2)] if empty else [])
    return x, g, g


def _labels(rng, n, c, spatial, absent=True):
    """Label map (n, *spatial): every class in image 0; class c-1 absent from image 1 when
    ``absent`` (its other classes present)."""
    lab = rng.integers(0, c - 1 if absent else c, (n,) + spatial)
    for b in range(n):
        k = c - 1 if (absent and b == 1) else c
        flat = lab[b].reshape(-1)
        flat[:k] = np.arange(k)
    return lab.astype(np.int64)


def _onehot(labels, c):
    return np.moveaxis(np.eye(c)[labels], -1, 1)


def multiclass(seed=2, spatial=SPATIAL_2D, c=C, absent=True, ignore=False, dense_peer=False,
               probs=False):
    """Logits (2, c, *spatial), our label map (2, *spatial) and MONAI's (2, 1, *spatial)
    (or a float64 one-hot target with ``dense_peer``); class c-1 absent from image 1 when
    ``absent``; ``ignore``: some voxels labelled 255 in both images. ``probs``: softmax
    probabilities instead of logits."""
    rng = _rng(seed)
    x = _logits(rng, (2, c) + spatial)
    if probs:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        x = e / e.sum(axis=1, keepdims=True)
    lab = _labels(rng, 2, c, spatial, absent=absent)
    if ignore:
        lab[0, -2:, :3] = IGNORE
        lab[1, -1, -1] = IGNORE
    peer = _onehot(lab, c) if dense_peer else lab[:, None]
    return x, lab, peer


def one_image(data):
    """The first image of a data generator's arrays."""
    return lambda: tuple(a[:1] for a in data())


def label_maps(data):
    """A multiclass generator whose peer target is our (N, *spatial) label map too."""
    return lambda: (lambda d: (d[0], d[1], d[1]))(data())


# ============================================================================ running both sides

def _run(fn, x, t):
    """(value, d value / d x) of fn(x, t) in torch float64, x a leaf requiring grad."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MONAI's single-channel warnings
        value = fn(xt, torch.as_tensor(t))
    assert value.dim() == 0, value.shape
    value.backward()
    return value.item(), xt.grad.detach().numpy().copy()


def _compare(ours, peer, tol, what=""):
    (v_ours, g_ours), (v_peer, g_peer) = ours, peer
    assert np.isfinite(v_peer) and np.isfinite(g_peer).all(), f"{what}: peer not finite"
    assert_close(v_ours, v_peer, rtol=tol, atol=1e-15, what=f"{what} value")
    assert_close(g_ours, g_peer, rtol=tol, atol=tol * float(np.abs(g_peer).max()), what=f"{what} gradient")
    assert np.abs(g_peer).max() > 0, f"{what}: the peer's gradient is zero (nothing compared)"


def O(loss, **overrides):
    """Our side: a torch module (``sst.Loss``) of a MONAI preset name (with overrides) or
    of a loss object."""
    if isinstance(loss, str):
        return sst.Loss(preset("monai", loss, **overrides))
    assert not overrides
    return sst.Loss(loss)


def both(*modules):
    """Our side as a sum of losses (documented compositions)."""
    return lambda x, t: sum(m(x, t) for m in modules)


def two_channels(a):
    """UFL's (background, foreground) pair [1 - a, a] of a one-channel tensor."""
    return torch.cat([1 - a, a], dim=1)


def stack_batch(p, t):
    """The kept channels (1:) of the batch as the channels of one image: MONAI 1.6's
    per-image clDice of it is clDice pooled over the batch and the kept channels (the soft
    skeletons act per channel)."""
    p, t = p[:, 1:], t[:, 1:]
    n, c = p.shape[:2]
    return p.reshape(1, n * c, *p.shape[2:]), t.reshape(1, n * c, *t.shape[2:])


def softmax(x):
    return torch.softmax(x, dim=1)


@pytest.fixture(scope="module")
def M():
    """``monai.losses`` (the MONAI tests need it; the torch-native ones do not)."""
    return optional_module("monai.losses")


# ============================================================================ torch-native

def _bce_torch(pos_weight=None):
    return lambda x, t: F.binary_cross_entropy_with_logits(
        x, t, pos_weight=None if pos_weight is None else torch.tensor(pos_weight, dtype=torch.float64))


NATIVE_CASES = [
    # BCE: identical definitions (mean over all elements; pos_weight q on the positive term).
    ("bce-binary-empty-image", binary, lambda: O(ss.BCELoss()), _bce_torch()),
    ("bce-multilabel-pos_weight", multilabel, lambda: O(ss.BCELoss(mode="multilabel", pos_weight=2.5)),
     _bce_torch(2.5)),
    ("weighted_bce-pos_weight-3d", lambda: multilabel(spatial=SPATIAL_3D),
     lambda: O(ss.WeightedBCELoss(mode="multilabel", pos_weight=2.5)), _bce_torch(2.5)),
    # weighted_bce_loss's beta is q = beta / (1 - beta): beta 0.75 is pos_weight 3.
    ("weighted_bce-beta", multilabel, lambda: O(ss.WeightedBCELoss(mode="multilabel", beta=0.75)), _bce_torch(3.0)),
    ("weighted_bce-default-beta", binary, lambda: O(ss.WeightedBCELoss()), _bce_torch(3.0)),
]

W3 = [0.2, 1.0, 3.0]


def _ce_torch(**kw):
    if "weight" in kw:
        kw["weight"] = torch.tensor(kw["weight"], dtype=torch.float64)
    return lambda x, t: F.cross_entropy(x, t, **kw)


# Class-index targets: torch's weighted mean divides by sum_i w[y_i] over the non-ignored
# voxels, its label smoothing is (1 - eps) NLL + eps/C sum_c w_c (-log p_c) under the same
# denominator: exactly our documented convention, so plain equality.
_CE_OPTIONS = [
    {}, {"weight": W3}, {"label_smoothing": 0.2}, {"weight": W3, "label_smoothing": 0.2},
    {"ignore_index": IGNORE}, {"ignore_index": IGNORE, "weight": W3},
    {"ignore_index": IGNORE, "label_smoothing": 0.2},
    {"ignore_index": IGNORE, "weight": W3, "label_smoothing": 0.2},
]
for _opts in _CE_OPTIONS:
    _ignore = "ignore_index" in _opts
    for _spatial in (SPATIAL_2D, SPATIAL_3D):
        NATIVE_CASES.append((
            "cross_entropy-" + ("-".join(_opts) or "plain") + ("-3d" if len(_spatial) == 3 else ""),
            label_maps(lambda s=_spatial, i=_ignore: multiclass(spatial=s, ignore=i)),
            (lambda o=_opts: O(ss.CrossEntropyLoss(mode="multiclass", **o))),
            _ce_torch(**dict(_opts))))


@pytest.mark.parametrize("name, data, ours, peer", NATIVE_CASES, ids=[c[0] for c in NATIVE_CASES])
def test_torch_native(name, data, ours, peer):
    x, t, t_peer = data()
    _compare(_run(ours(), x, t), _run(peer, x, t_peer), EXACT, name)


def test_bce_ignore_index_divides_by_the_valid_voxels():
    """torch's BCE has no ignore_index; ours removes the ignored voxels from the mean
    (LOSSES.md §4.7): the torch expression of that convention is the BCE weighted by the
    valid mask, summed, over the valid count."""
    x, g, _ = binary(ignore=True)
    valid = torch.as_tensor(g != IGNORE, dtype=torch.float64)

    def convention(a, t):
        return F.binary_cross_entropy_with_logits(a, t * valid, weight=valid, reduction="sum") / valid.sum()

    _compare(_run(O(ss.BCELoss(ignore_index=IGNORE)), x, g), _run(convention, x, g), EXACT, "bce ignore")
    ours = _run(O(ss.BCELoss(ignore_index=IGNORE)), x, g)[0]
    torch_mean_over_all = _run(lambda a, t: F.binary_cross_entropy_with_logits(a, t * valid, weight=valid), x, g)[0]
    assert_close(torch_mean_over_all, ours * float(valid.sum()) / valid.numel(), rtol=EXACT)


def test_cross_entropy_dense_target_with_weights_normalises_by_the_weighted_count():
    """One-hot (dense) targets with class weights: ours divides by sum_i sum_c w_c g_ic
    (docstring of ``weight``), torch by the voxel count (its probability-target mean)."""
    x, lab, _ = multiclass()
    dense = _onehot(lab, C)
    w = torch.tensor(W3, dtype=torch.float64)
    weighted_count = float((np.asarray(W3)[:, None, None] * dense).sum())
    ours = _run(O(ss.CrossEntropyLoss(mode="multiclass", weight=W3)), x, dense)
    convention = _run(lambda a, t: F.cross_entropy(a, t, weight=w, reduction="sum") / weighted_count, x, dense)
    _compare(ours, convention, EXACT, "dense weighted CE")
    # and the same loss from the label map (torch's class-index mean)
    _compare(_run(O(ss.CrossEntropyLoss(mode="multiclass", weight=W3)), x, lab), convention, EXACT, "label map")
    torch_mean = _run(lambda a, t: F.cross_entropy(a, t, weight=w), x, dense)[0]
    assert_close(torch_mean, ours[0] * weighted_count / dense[:, 0].size, rtol=EXACT)


def test_cross_entropy_without_background_keeps_the_voxel_count():
    """``include_background=False`` drops the class-0 term of every voxel, background
    voxels still count in the (unweighted) mean: torch's CE with weight (0, 1, 1), summed,
    over all voxels."""
    for spatial in (SPATIAL_2D, SPATIAL_3D):
        x, lab, _ = multiclass(spatial=spatial)
        convention = _run(lambda a, t: F.cross_entropy(a, t, weight=torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64),
                                                       reduction="sum") / t.numel(), x, lab)
        _compare(_run(O(ss.CrossEntropyLoss(mode="multiclass", include_background=False)), x, lab), convention,
                 EXACT, f"CE without background {spatial}")


def test_cross_entropy_default_mode_is_multiclass():
    """``cross_entropy_loss`` defaults to ``mode="multiclass"`` (its signature), and the
    adapter promises the NumPy API's defaults: ``sst.CrossEntropyLoss(weight=...)`` without
    a mode is ``F.cross_entropy``."""
    x, lab, _ = multiclass()
    peer = _run(_ce_torch(weight=W3), x, lab)
    _compare(_run(O(ss.CrossEntropyLoss(weight=W3)), x, lab), peer, EXACT, "loss object, default mode")
    _compare(_run(sst.CrossEntropyLoss(weight=W3), x, lab), peer, EXACT, "sst.CrossEntropyLoss, default mode")


# ============================================================================ MONAI cases

@dataclass(frozen=True)
class Case:
    id: str
    #: the MONAI preset this case checks (None: a documented non-preset mapping)
    preset: Optional[str]
    data: Callable[[], tuple]
    #: () -> our torch callable (x, t) -> 0-d tensor
    ours: Callable[[], Callable]
    #: monai.losses -> the peer's callable (x, t) -> 0-d tensor
    peer: Callable[[Any], Callable]
    tol: float = EXACT


def _mono(cls_name, **kw):
    return lambda M: getattr(M, cls_name)(**kw)


def _t(values):
    return torch.tensor(values, dtype=torch.float64)


LOGITS = {"from_logits": True}
ML, MC = {"mode": "multilabel"}, {"mode": "multiclass"}
MC_PEER = {"softmax": True, "to_onehot_y": True}
W_NOBG = [9.0, 2.0, 0.5]  # our weight has C values; MONAI's C - 1 without the background
#: GWDL's class distances (MONAI's docstring example).
GWDL_M = [[0.0, 1.0, 1.0], [1.0, 0.0, 0.5], [1.0, 0.5, 0.0]]
#: one whose largest entry is not 1 (both sides rescale it to max 1)
GWDL_UNSCALED = [[0.0, 2.0, 3.0], [2.0, 0.0, 1.0], [3.0, 1.0, 0.0]]

CASES = [
    # ---- DiceLoss -----------------------------------------------------------------------
    Case("dice-binary-sigmoid-empty-image", "dice_loss", binary, lambda: O("dice_loss", **LOGITS),
         _mono("DiceLoss", sigmoid=True)),
    Case("dice-binary-probabilities", "dice_loss", lambda: binary(probs=True), lambda: O("dice_loss"),
         _mono("DiceLoss")),
    Case("dice-multilabel-3d-empty-class", "dice_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("dice_loss", **LOGITS, **ML), _mono("DiceLoss", sigmoid=True)),
    Case("dice-multiclass-absent-class", "dice_loss", multiclass, lambda: O("dice_loss", **LOGITS, **MC),
         _mono("DiceLoss", **MC_PEER)),
    Case("dice-multiclass-3d", "dice_loss", lambda: multiclass(spatial=SPATIAL_3D),
         lambda: O("dice_loss", **LOGITS, **MC), _mono("DiceLoss", **MC_PEER)),
    # squared_pred: MONAI takes squared L2 norms; with its own float32 one-hot (to_onehot_y)
    # the target's norm is rounded to float32, so the peer gets a float64 one-hot target.
    Case("dice-multiclass-squared_pred", "dice_loss", lambda: multiclass(dense_peer=True),
         lambda: O("dice_loss", **LOGITS, **MC, squared_pred=True),
         _mono("DiceLoss", softmax=True, squared_pred=True)),
    Case("dice-multilabel-squared_pred-empty-class", "dice_loss", multilabel,
         lambda: O("dice_loss", **LOGITS, **ML, squared_pred=True), _mono("DiceLoss", sigmoid=True, squared_pred=True)),
    Case("dice-multiclass-batch", "dice_loss", multiclass, lambda: O("dice_loss", **LOGITS, **MC, batch=True),
         _mono("DiceLoss", **MC_PEER, batch=True)),
    Case("dice-multilabel-batch-3d", "dice_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("dice_loss", **LOGITS, **ML, batch=True), _mono("DiceLoss", sigmoid=True, batch=True)),
    Case("dice-multiclass-no-background-weight", "dice_loss", multiclass,
         lambda: O("dice_loss", **LOGITS, **MC, include_background=False, weight=W_NOBG),
         _mono("DiceLoss", **MC_PEER, include_background=False, weight=W_NOBG[1:])),
    Case("dice-multilabel-weight", "dice_loss", multilabel, lambda: O("dice_loss", **LOGITS, **ML, weight=W3),
         _mono("DiceLoss", sigmoid=True, weight=W3)),
    Case("dice-multiclass-ignore_index", "dice_loss", lambda: multiclass(ignore=True),
         lambda: O("dice_loss", **LOGITS, **MC, ignore_index=IGNORE),
         _mono("DiceLoss", **MC_PEER, ignore_index=IGNORE)),
    Case("dice-binary-ignore_index", "dice_loss", lambda: binary(ignore=True),
         lambda: O("dice_loss", **LOGITS, ignore_index=IGNORE), _mono("DiceLoss", sigmoid=True, ignore_index=IGNORE)),
    Case("dice-multilabel-soft_label-3d", "dice_loss", lambda: multilabel(spatial=SPATIAL_3D, soft=True),
         lambda: O("dice_loss", **LOGITS, **ML, soft_label=True), _mono("DiceLoss", sigmoid=True, soft_label=True)),
    Case("dice-multilabel-soft-targets", "dice_loss", lambda: multilabel(soft=True),
         lambda: O("dice_loss", **LOGITS, **ML), _mono("DiceLoss", sigmoid=True)),
    # ---- DiceLoss(jaccard=True): jaccard_loss with halved smoothing (the preset's 5e-6) ----
    Case("jaccard-multiclass", "jaccard_loss", multiclass, lambda: O("jaccard_loss", **LOGITS, **MC),
         _mono("DiceLoss", **MC_PEER, jaccard=True)),
    Case("jaccard-binary-probabilities-empty-image", "jaccard_loss", lambda: binary(probs=True),
         lambda: O("jaccard_loss"), _mono("DiceLoss", jaccard=True)),
    Case("jaccard-multilabel-batch-3d", "jaccard_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("jaccard_loss", **LOGITS, **ML, batch=True),
         _mono("DiceLoss", sigmoid=True, jaccard=True, batch=True)),
    Case("jaccard-multiclass-no-background", "jaccard_loss", multiclass,
         lambda: O("jaccard_loss", **LOGITS, **MC, include_background=False),
         _mono("DiceLoss", **MC_PEER, jaccard=True, include_background=False)),
    # ---- TverskyLoss (alpha on FP, beta on FN on both sides) ------------------------------
    Case("tversky-binary-default", "tversky_loss", binary, lambda: O("tversky_loss", **LOGITS),
         _mono("TverskyLoss", sigmoid=True)),
    Case("tversky-multiclass-alpha-beta-no-background", "tversky_loss", multiclass,
         lambda: O("tversky_loss", **LOGITS, **MC, alpha=0.3, beta=0.7, include_background=False),
         _mono("TverskyLoss", **MC_PEER, alpha=0.3, beta=0.7, include_background=False)),
    Case("tversky-multilabel-3d-batch", "tversky_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("tversky_loss", **LOGITS, **ML, alpha=0.8, beta=0.2, batch=True),
         _mono("TverskyLoss", sigmoid=True, alpha=0.8, beta=0.2, batch=True)),
    Case("tversky-multilabel-soft_label", "tversky_loss", lambda: multilabel(soft=True),
         lambda: O("tversky_loss", **LOGITS, **ML, alpha=0.2, beta=0.8, soft_label=True),
         _mono("TverskyLoss", sigmoid=True, alpha=0.2, beta=0.8, soft_label=True)),
    Case("tversky-multiclass-ignore_index", "tversky_loss", lambda: multiclass(ignore=True),
         lambda: O("tversky_loss", **LOGITS, **MC, ignore_index=IGNORE),
         _mono("TverskyLoss", **MC_PEER, ignore_index=IGNORE)),
    Case("tversky-multilabel-probabilities", "tversky_loss", lambda: multilabel(probs=True),
         lambda: O("tversky_loss", **ML), _mono("TverskyLoss")),
    # ---- GeneralizedDiceLoss (an absent class takes the largest finite weight) ------------
    *[Case(f"gdl-multiclass-{w}-absent-class", "generalized_dice_loss", multiclass,
           lambda w=w: O("generalized_dice_loss", **LOGITS, **MC, weight_type=w),
           _mono("GeneralizedDiceLoss", **MC_PEER, w_type=w), F32_WEIGHTS) for w in ("square", "simple", "uniform")],
    *[Case(f"gdl-multilabel-batch-{w}", "generalized_dice_loss", multilabel,
           lambda w=w: O("generalized_dice_loss", **LOGITS, **ML, weight_type=w, batch=True),
           _mono("GeneralizedDiceLoss", sigmoid=True, w_type=w, batch=True), F32_WEIGHTS)
      for w in ("square", "simple", "uniform")],
    Case("gdl-multiclass-3d-no-background", "generalized_dice_loss", lambda: multiclass(spatial=SPATIAL_3D),
         lambda: O("generalized_dice_loss", **LOGITS, **MC, include_background=False),
         _mono("GeneralizedDiceLoss", **MC_PEER, include_background=False), F32_WEIGHTS),
    Case("gdl-multilabel-probabilities-empty-class", "generalized_dice_loss", lambda: multilabel(probs=True),
         lambda: O("generalized_dice_loss", **ML), _mono("GeneralizedDiceLoss"), F32_WEIGHTS),
    # ---- FocalLoss (sigmoid form; the class casts to float32) -----------------------------
    Case("focal-binary-default", "focal_loss", binary, lambda: O("focal_loss"), _mono("FocalLoss"), F32_FOCAL),
    Case("focal-multilabel-3d-alpha-gamma-no-background", "focal_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("focal_loss", **ML, alpha=0.25, gamma=1.5, include_background=False),
         _mono("FocalLoss", alpha=0.25, gamma=1.5, include_background=False), F32_FOCAL),
    Case("focal-binary-ignore_index", "focal_loss", lambda: binary(ignore=True),
         lambda: O("focal_loss", alpha=0.3, ignore_index=IGNORE), _mono("FocalLoss", alpha=0.3, ignore_index=IGNORE),
         F32_FOCAL),
    # MONAI's module-level focal functions run in the input's dtype: the same maths in float64.
    Case("focal-multilabel-float64-function", "focal_loss", multilabel,
         lambda: O("focal_loss", **ML, alpha=0.25, gamma=1.5),
         lambda M: (lambda x, t: _focal().sigmoid_focal_loss(x, t, 1.5, 0.25).mean())),
    Case("focal-binary-float64-function", "focal_loss", binary, lambda: O("focal_loss"),
         lambda M: (lambda x, t: _focal().sigmoid_focal_loss(x, t, 2.0, None).mean())),
    # Softmax form: our mean divides by the voxels, MONAI's by voxels x C (focal_loss
    # docstring: "MONAI also divides by C").
    Case("focal-multiclass-softmax-times-C", "focal_loss", multiclass,
         lambda: O("focal_loss", **MC, alpha=0.25),
         lambda M: (lambda x, t: C * M.FocalLoss(use_softmax=True, to_onehot_y=True, alpha=0.25)(x, t)), F32_FOCAL),
    Case("focal-multiclass-softmax-times-C-float64-3d", "focal_loss",
         lambda: multiclass(spatial=SPATIAL_3D, dense_peer=True),
         lambda: O("focal_loss", **MC, gamma=1.5),
         lambda M: (lambda x, t: C * _focal().softmax_focal_loss(x, t, 1.5, None).mean())),
    # With ignore_index MONAI's mean divides by the valid voxels (its mask is (N, 1, ...)),
    # not by voxels x C: then it is our mean.
    Case("focal-multiclass-softmax-ignore_index", "focal_loss", lambda: multiclass(ignore=True),
         lambda: O("focal_loss", **MC, alpha=0.25, ignore_index=IGNORE),
         _mono("FocalLoss", use_softmax=True, to_onehot_y=True, alpha=0.25, ignore_index=IGNORE), F32_FOCAL),
    # include_background=False: ours keeps the softmax over every class and drops the class-0
    # term (docstring; MONAI drops channel 0 before its softmax): MONAI's float64 softmax
    # focal terms of the full logits, classes 1.., summed per voxel, averaged.
    Case("focal-multiclass-no-background-convention", "focal_loss", lambda: multiclass(dense_peer=True),
         lambda: O("focal_loss", **MC, include_background=False),
         lambda M: (lambda x, t: _focal().softmax_focal_loss(x, t, 2.0, None)[:, 1:].sum(1).mean())),
    # ---- DiceCELoss ----------------------------------------------------------------------
    Case("dice_ce-binary-bce-empty-image", "dice_ce_loss", binary, lambda: O("dice_ce_loss"),
         _mono("DiceCELoss", sigmoid=True)),
    Case("dice_ce-multiclass", "dice_ce_loss", multiclass, lambda: O("dice_ce_loss", **MC),
         _mono("DiceCELoss", **MC_PEER)),
    Case("dice_ce-multiclass-3d", "dice_ce_loss", lambda: multiclass(spatial=SPATIAL_3D),
         lambda: O("dice_ce_loss", **MC),
         _mono("DiceCELoss", **MC_PEER)),
    Case("dice_ce-multiclass-options", "dice_ce_loss", multiclass,
         lambda: O("dice_ce_loss", **MC, label_smoothing=0.1, lambda_dice=0.7, lambda_ce=1.3, batch=True),
         _mono("DiceCELoss", **MC_PEER, label_smoothing=0.1, lambda_dice=0.7, lambda_ce=1.3, batch=True)),
    Case("dice_ce-multiclass-squared_pred", "dice_ce_loss", lambda: multiclass(dense_peer=True),
         lambda: O("dice_ce_loss", **MC, squared_pred=True), _mono("DiceCELoss", softmax=True, squared_pred=True)),
    # weight: ours weighs the cross-entropy only (docstring); MONAI weighs the Dice too.
    Case("dice_ce-weight-our-convention", "dice_ce_loss", multiclass, lambda: O("dice_ce_loss", **MC, weight=W3),
         lambda M: (lambda x, t: M.DiceLoss(**MC_PEER)(x, t) + F.cross_entropy(x, t[:, 0], weight=_t(W3)))),
    Case("dice_ce-weight-monai-as-dice-weight-plus-ce-weight", "dice_ce_loss", multiclass,
         lambda: both(O("dice_loss", **LOGITS, **MC, weight=W3), O(ss.CrossEntropyLoss(mode="multiclass", weight=W3))),
         lambda M: M.DiceCELoss(**MC_PEER, weight=_t(W3))),
    # include_background=False: ours drops the class-0 term of the cross-entropy as well
    # (cross_entropy_loss's convention); MONAI applies it to the Dice part only.
    Case("dice_ce-no-background-our-convention", "dice_ce_loss", multiclass,
         lambda: O("dice_ce_loss", **MC, include_background=False),
         lambda M: (lambda x, t: M.DiceLoss(**MC_PEER, include_background=False)(x, t)
                    + F.cross_entropy(x, t[:, 0], weight=_t([0.0, 1.0, 1.0]), reduction="sum") / t.numel())),
    Case("dice_ce-no-background-monai-as-dice-plus-full-ce", "dice_ce_loss", multiclass,
         lambda: both(O("dice_loss", **LOGITS, **MC, include_background=False),
                      O(ss.CrossEntropyLoss(mode="multiclass"))),
         lambda M: M.DiceCELoss(**MC_PEER, include_background=False)),
    # ---- DiceFocalLoss (sigmoid forms; the focal part is float32 in MONAI) ------------------
    Case("dice_focal-binary-empty-image", "dice_focal_loss", binary, lambda: O("dice_focal_loss"),
         _mono("DiceFocalLoss", sigmoid=True), F32_FOCAL),
    Case("dice_focal-multilabel-3d-options", "dice_focal_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("dice_focal_loss", **ML, alpha=0.3, gamma=1.5, include_background=False, lambda_dice=0.6,
                   lambda_focal=1.7),
         _mono("DiceFocalLoss", sigmoid=True, alpha=0.3, gamma=1.5, include_background=False, lambda_dice=0.6,
               lambda_focal=1.7), F32_FOCAL),
    # softmax=True: MONAI 1.6 pairs the softmax Dice with the sigmoid focal loss (preset
    # notes); ours is the softmax focal loss: MONAI's DiceLoss + C x FocalLoss(use_softmax).
    Case("dice_focal-multiclass-softmax-focal", "dice_focal_loss", multiclass, lambda: O("dice_focal_loss", **MC),
         lambda M: (lambda x, t: M.DiceLoss(**MC_PEER)(x, t)
                    + C * M.FocalLoss(use_softmax=True, to_onehot_y=True)(x, t)), F32_FOCAL),
    # ---- GeneralizedDiceFocalLoss -------------------------------------------------------
    Case("gdl_focal-multilabel", "generalized_dice_focal_loss", multilabel,
         lambda: O("generalized_dice_focal_loss", **ML),
         _mono("GeneralizedDiceFocalLoss", sigmoid=True), F32_FOCAL),
    Case("gdl_focal-multilabel-3d-options", "generalized_dice_focal_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("generalized_dice_focal_loss", **ML, weight_type="simple", gamma=1.5, lambda_gdl=0.4,
                   lambda_focal=2.0, include_background=False),
         _mono("GeneralizedDiceFocalLoss", sigmoid=True, w_type="simple", gamma=1.5, lambda_gdl=0.4, lambda_focal=2.0,
               include_background=False), F32_FOCAL),
    # one channel: the generalized Dice of one class (no all-empty image, see the GDL test)
    Case("gdl_focal-binary", "generalized_dice_focal_loss", lambda: binary(empty=False),
         lambda: O("generalized_dice_focal_loss"), _mono("GeneralizedDiceFocalLoss", sigmoid=True), F32_FOCAL),
    Case("gdl_focal-multiclass-softmax-focal", "generalized_dice_focal_loss", multiclass,
         lambda: O("generalized_dice_focal_loss", **MC),
         lambda M: (lambda x, t: M.GeneralizedDiceLoss(**MC_PEER)(x, t)
                    + C * M.FocalLoss(use_softmax=True, to_onehot_y=True)(x, t)), F32_FOCAL),
    # ---- HausdorffDTLoss / LogHausdorffDTLoss (channel 0 dropped by default) --------------
    Case("hd-multilabel-probabilities-empty-class", "hausdorff_dt_loss", lambda: multilabel(probs=True),
         lambda: O("hausdorff_dt_loss", **ML), _mono("HausdorffDTLoss"), F32_DISTANCE),
    Case("hd-multilabel-sigmoid-background-alpha", "hausdorff_dt_loss", multilabel,
         lambda: O("hausdorff_dt_loss", **ML, **LOGITS, include_background=True, alpha=1.5),
         _mono("HausdorffDTLoss", sigmoid=True, include_background=True, alpha=1.5), F32_DISTANCE),
    Case("hd-multiclass-softmax", "hausdorff_dt_loss", multiclass, lambda: O("hausdorff_dt_loss", **MC, **LOGITS),
         _mono("HausdorffDTLoss", **MC_PEER), F32_DISTANCE),
    # one channel: MONAI warns and keeps it, as include_background=True here
    Case("hd-binary-empty-image", "hausdorff_dt_loss", lambda: binary(probs=True),
         lambda: O("hausdorff_dt_loss", include_background=True), _mono("HausdorffDTLoss"), F32_DISTANCE),
    Case("hd-multilabel-3d", "hausdorff_dt_loss", lambda: multilabel(spatial=SPATIAL_3D, probs=True),
         lambda: O("hausdorff_dt_loss", **ML), _mono("HausdorffDTLoss"), F32_DISTANCE),
    Case("log_hd-multilabel", "log_hausdorff_dt_loss", lambda: multilabel(probs=True),
         lambda: O("log_hausdorff_dt_loss", **ML), _mono("LogHausdorffDTLoss"), F32_DISTANCE),
    Case("log_hd-multiclass-3d", "log_hausdorff_dt_loss", lambda: multiclass(spatial=SPATIAL_3D),
         lambda: O("log_hausdorff_dt_loss", **MC, **LOGITS), _mono("LogHausdorffDTLoss", **MC_PEER), F32_DISTANCE),
    # ---- SSIMLoss (probabilities; MONAI averages (channel, space) per image) ---------------
    Case("ssim-binary-empty-image", "ssim_loss", lambda: binary(spatial=(16, 15), probs=True), lambda: O("ssim_loss"),
         _mono("SSIMLoss", spatial_dims=2), F32_SSIM),
    Case("ssim-multilabel", "ssim_loss", lambda: multilabel(spatial=(13, 12), probs=True), lambda: O("ssim_loss", **ML),
         _mono("SSIMLoss", spatial_dims=2), F32_SSIM),
    Case("ssim-binary-logits-options", "ssim_loss", lambda: binary(spatial=(12, 14)),
         lambda: O("ssim_loss", **LOGITS, win_size=7, kernel_sigma=1.0, k1=0.02, k2=0.05, data_range=2.0),
         lambda M: (lambda x, t: M.SSIMLoss(spatial_dims=2, win_size=7, kernel_sigma=1.0, k1=0.02, k2=0.05,
                                            data_range=2.0)(torch.sigmoid(x), t)), F32_SSIM),
    Case("ssim-3d", "ssim_loss", lambda: binary(spatial=(9, 8, 7), probs=True), lambda: O("ssim_loss", win_size=5),
         _mono("SSIMLoss", spatial_dims=3, win_size=5), F32_SSIM),
    # ---- SoftclDiceLoss / SoftDiceclDiceLoss (see the module docstring) --------------------
    Case("cldice-multilabel-pooled", "soft_cldice_loss", lambda: multilabel(probs=True),
         lambda: O("soft_cldice_loss", **ML),
         lambda M: (lambda x, t: M.SoftclDiceLoss(smooth=NO_EPSILON)(*stack_batch(x, t)))),
    Case("cldice-multilabel-sigmoid-3d-pooled", "soft_cldice_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("soft_cldice_loss", **ML, **LOGITS, iterations=2, smooth=0.5),
         lambda M: (lambda x, t: M.SoftclDiceLoss(smooth=NO_EPSILON, iter_=2, smooth_nr=0.5, smooth_dr=0.5)(
             *stack_batch(torch.sigmoid(x), t)))),
    Case("cldice-multiclass-softmax-pooled", "soft_cldice_loss", lambda: multiclass(dense_peer=True),
         lambda: O("soft_cldice_loss", **MC, **LOGITS),
         lambda M: (lambda x, t: M.SoftclDiceLoss(smooth=NO_EPSILON)(*stack_batch(softmax(x), t)))),
    # one image, one kept channel: MONAI's per-image, per-class values are the pooled ones
    # (one channel: MONAI warns and keeps it, include_background=True here)
    Case("cldice-one-image-binary", "soft_cldice_loss", one_image(lambda: binary(probs=True, empty=False)),
         lambda: O("soft_cldice_loss", include_background=True), _mono("SoftclDiceLoss", smooth=NO_EPSILON)),
    Case("cldice-one-image-multiclass-3d", "soft_cldice_loss",
         one_image(lambda: multiclass(spatial=SPATIAL_3D, c=2, absent=False)),
         lambda: O("soft_cldice_loss", **MC, **LOGITS),
         _mono("SoftclDiceLoss", smooth=NO_EPSILON, **MC_PEER, include_background=False)),
    Case("dice_cldice-one-image-binary", "soft_dice_cldice_loss", one_image(lambda: binary(probs=True, empty=False)),
         lambda: O("soft_dice_cldice_loss", include_background=True), _mono("SoftDiceclDiceLoss", smooth=NO_EPSILON)),
    Case("dice_cldice-one-image-binary-options", "soft_dice_cldice_loss",
         one_image(lambda: binary(probs=True, empty=False)),
         lambda: O("soft_dice_cldice_loss", include_background=True, alpha=0.3, iterations=2, smooth=0.5),
         _mono("SoftDiceclDiceLoss", smooth=NO_EPSILON, alpha=0.3, iter_=2, smooth_nr=0.5, smooth_dr=0.5)),
    Case("dice_cldice-one-image-multiclass-3d", "soft_dice_cldice_loss",
         one_image(lambda: multiclass(spatial=SPATIAL_3D, c=2, absent=False)),
         lambda: O("soft_dice_cldice_loss", **MC, **LOGITS),
         _mono("SoftDiceclDiceLoss", smooth=NO_EPSILON, **MC_PEER, include_background=False)),
    # ---- GeneralizedWassersteinDiceLoss (logits, label maps; mode left at its default) -----
    *[Case(f"gwdl-{mode}{'-3d' if len(sp) == 3 else ''}", "generalized_wasserstein_dice_loss",
           label_maps(lambda sp=sp: multiclass(spatial=sp)),
           lambda mode=mode: O("generalized_wasserstein_dice_loss", dist_matrix=GWDL_M, weighting_mode=mode),
           lambda M, mode=mode: M.GeneralizedWassersteinDiceLoss(dist_matrix=_t(GWDL_M), weighting_mode=mode),
           # "GDL" mode: MONAI's alpha = 1/(volume + 1) is float32
           EXACT if mode == "default" else F32_WEIGHTS)
      for mode in ("default", "GDL") for sp in (SPATIAL_2D, SPATIAL_3D)],
    Case("gwdl-unscaled-matrix", "generalized_wasserstein_dice_loss",
         label_maps(lambda: multiclass(absent=False)),
         lambda: O("generalized_wasserstein_dice_loss", dist_matrix=GWDL_UNSCALED),
         lambda M: M.GeneralizedWassersteinDiceLoss(dist_matrix=_t(GWDL_UNSCALED))),
    # ---- NACLLoss (label maps (N, H, W) on both sides; mode left at its default) -----------
    *[Case("nacl-" + ("-".join(f"{k}={v}" for k, v in kw.items()) or "default") + ("-3d" if len(sp) == 3 else ""),
           "nacl_loss", label_maps(lambda sp=sp: multiclass(spatial=sp)),
           lambda kw=kw: O("nacl_loss", **kw),
           lambda M, kw=kw, sp=sp: M.NACLLoss(classes=C, dim=len(sp), **kw), F32_FILTER)
      for kw, sp in [({}, SPATIAL_2D), ({"distance_type": "l2"}, SPATIAL_2D), ({"kernel_ops": "gaussian"}, SPATIAL_2D),
                     ({"kernel_ops": "gaussian", "sigma": 0.7, "alpha": 0.3}, SPATIAL_2D),
                     ({"kernel_size": 5}, SPATIAL_2D), ({}, SPATIAL_3D), ({"kernel_ops": "gaussian"}, SPATIAL_3D)]],
    # ---- Unified focal family (probabilities; binary = UFL's [1 - p, p] pair) -------------
    Case("aftl-binary-empty-image", "asymmetric_focal_tversky_loss", lambda: binary(probs=True),
         lambda: O("asymmetric_focal_tversky_loss"),
         lambda M: (lambda x, t: _ufl().AsymmetricFocalTverskyLoss()(two_channels(x), two_channels(t)))),
    Case("aftl-binary-3d-options", "asymmetric_focal_tversky_loss", lambda: binary(probs=True, spatial=SPATIAL_3D),
         lambda: O("asymmetric_focal_tversky_loss", delta=0.6, gamma=0.5),
         lambda M: (lambda x, t: _ufl().AsymmetricFocalTverskyLoss(delta=0.6, gamma=0.5)(two_channels(x),
                                                                                         two_channels(t)))),
    Case("aftl-two-class-label-map", "asymmetric_focal_tversky_loss",
         lambda: multiclass(c=2, probs=True, absent=False), lambda: O("asymmetric_focal_tversky_loss", **MC),
         lambda M: (lambda x, t: _ufl().AsymmetricFocalTverskyLoss(to_onehot_y=True)(x, t))),
    # AsymmetricFocalLoss: MONAI 1.6 averages over (voxel, class) pairs, i.e. half the
    # per-voxel class sum of UFL / MONAI <= 1.5 / LOSSES.md §1.3 that ours computes.
    Case("afl-binary-ours-is-twice-monai-1.6", "asymmetric_focal_loss", lambda: binary(probs=True),
         lambda: O("asymmetric_focal_loss"),
         lambda M: (lambda x, t: 2 * _ufl().AsymmetricFocalLoss()(two_channels(x), two_channels(t)))),
    Case("afl-two-class-3d-ours-is-twice-monai-1.6", "asymmetric_focal_loss",
         lambda: multiclass(c=2, probs=True, absent=False, spatial=SPATIAL_3D),
         lambda: O("asymmetric_focal_loss", **MC, delta=0.6, gamma=1.5),
         lambda M: (lambda x, t: 2 * _ufl().AsymmetricFocalLoss(to_onehot_y=True, delta=0.6, gamma=1.5)(x, t))),
    # AsymmetricUnifiedFocalLoss(weight=w) = w AFL_1.6 + (1 - w) AFTL; ours with weight = 1 - w
    # (preset notes) is w (2 AFL_1.6) + (1 - w) AFTL = MONAI's value + w AFL_1.6.
    *[Case(f"unified-{kind}-weight-{w}", "unified_focal_loss", data,
           lambda w=w, kw=kw, extra=extra: O("unified_focal_loss", weight=1 - w, **kw, **extra),
           lambda M, w=w, kw=kw, peer_t=peer_t: (
               lambda x, t: M.AsymmetricUnifiedFocalLoss(weight=w, **kw, **peer_t)(x, t)
               + w * _ufl().AsymmetricFocalLoss(**kw)(*_pair(x, t, peer_t))))
      for kind, data, extra, peer_t in [
          ("binary-empty-image", lambda: binary(probs=True), {}, {}),
          ("binary-3d", lambda: binary(probs=True, spatial=SPATIAL_3D), {}, {}),
          ("two-class-label-map", lambda: multiclass(c=2, probs=True, absent=False), MC, {"to_onehot_y": True})]
      for w, kw in [(0.5, {"delta": 0.7, "gamma": 0.5}), (0.3, {"delta": 0.6, "gamma": 0.4})]],
    # ---- MCCLoss (no preset): mcc_loss(eps=0) is MONAI's MCC with smooth_nr = 0 ------------
    # smooth_dr = 0: the same formula (no empty entry: MONAI gives 0/0 there).
    Case("mcc-binary-smooth_dr-0", None, lambda: binary(empty=False), lambda: O(ss.MCCLoss(eps=0.0)),
         _mono("MCCLoss", sigmoid=True, smooth_dr=0.0)),
    # MONAI's default smooth_dr = 1e-5 sits under the square root of a product of counts
    # ~1e5-1e6 here: a relative change < 1e-10; an empty entry is MCC 0 (loss 1, no
    # gradient) on both sides.
    Case("mcc-multilabel-empty-class", None, multilabel, lambda: O(ss.MCCLoss(eps=0.0, mode="multilabel")),
         _mono("MCCLoss", sigmoid=True)),
    Case("mcc-binary-empty-image-3d", None, lambda: binary(spatial=SPATIAL_3D), lambda: O(ss.MCCLoss(eps=0.0)),
         _mono("MCCLoss", sigmoid=True)),
    Case("mcc-multiclass-batch-no-background", None, multiclass,
         lambda: O(ss.MCCLoss(eps=0.0, mode="multiclass", batch=True, include_background=False)),
         _mono("MCCLoss", **MC_PEER, batch=True, include_background=False)),
    Case("mcc-multilabel-probabilities", None, lambda: multilabel(probs=True, empty=False),
         lambda: O(ss.MCCLoss(eps=0.0, mode="multilabel", from_logits=False)), _mono("MCCLoss", smooth_dr=0.0)),
    # ---- BoundaryLoss (no preset): the same signed map, mean(p phi) per (image, class) -----
    Case("boundary-multilabel-probabilities-empty-class", None, lambda: multilabel(probs=True),
         lambda: O(ss.BoundaryLoss(from_logits=False, mode="multilabel")), _mono("BoundaryLoss"), F32_DISTANCE),
    Case("boundary-multiclass-softmax-no-background", None, multiclass,
         lambda: O(ss.BoundaryLoss(mode="multiclass", include_background=False)),
         _mono("BoundaryLoss", **MC_PEER, include_background=False), F32_DISTANCE),
    Case("boundary-binary-sigmoid-empty-image-3d", None, lambda: binary(spatial=SPATIAL_3D),
         lambda: O(ss.BoundaryLoss()), _mono("BoundaryLoss", sigmoid=True), F32_DISTANCE),
]


def _ufl():
    """monai.losses.unified_focal_loss (its AsymmetricFocalLoss and
    AsymmetricFocalTverskyLoss are not exported by monai.losses)."""
    return importlib.import_module("monai.losses.unified_focal_loss")


def _focal():
    """monai.losses.focal_loss: its sigmoid_focal_loss / softmax_focal_loss functions compute
    in the input's dtype (FocalLoss.forward casts to float32 before calling them)."""
    return importlib.import_module("monai.losses.focal_loss")


def _pair(x, t, peer_t):
    """What AsymmetricUnifiedFocalLoss hands its parts: the (background, foreground) pair of
    a one-channel input and target, or the one-hot target of a label map."""
    if x.shape[1] == 1:
        return two_channels(x), two_channels(t)
    return x, F.one_hot(t[:, 0].long(), x.shape[1]).movedim(-1, 1).to(x.dtype)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_monai(case, M):
    x, t, t_peer = case.data()
    _compare(_run(case.ours(), x, t), _run(case.peer(M), x, t_peer), case.tol, case.id)


def test_every_monai_preset_is_covered():
    """Each preset of library "monai" is compared with its peer by at least one case, in
    each mode the preset's notes say it reproduces."""
    covered = {c.preset for c in CASES}
    missing = sorted(set(presets_of("monai")) - covered)
    assert not missing, f"MONAI presets without a peer comparison: {missing}"
    unknown = sorted(covered - set(presets_of("monai")) - {None})
    assert not unknown, unknown
    ids = {p: [c.id for c in CASES if c.preset == p] for p in covered}
    for name in ("dice_loss", "tversky_loss", "jaccard_loss", "focal_loss"):
        assert any("binary" in i for i in ids[name]) and any("multiclass" in i for i in ids[name]), name
    assert any("3d" in i for i in sum(ids.values(), []))


def test_generalized_dice_all_empty_image_is_the_documented_difference(M):
    """An image whose classes are all empty (preset notes): MONAI gives the constant
    1 - s_n/s_d = 0 with no gradient; ours gives every class weight 1, i.e. MONAI's
    w_type="uniform" loss of that image (the Dice of an empty target, ~1). Other images:
    equal."""
    x, g, _ = multilabel(probs=True)
    g[1] = 0.0
    per_image = sst.Loss(preset("monai", "generalized_dice_loss", mode="multilabel", reduction="none"))(
        torch.tensor(x), torch.tensor(g)).numpy()
    monai_square = M.GeneralizedDiceLoss(reduction="none")(torch.tensor(x), torch.tensor(g)).flatten().numpy()
    monai_uniform = M.GeneralizedDiceLoss(reduction="none", w_type="uniform")(
        torch.tensor(x), torch.tensor(g)).flatten().numpy()
    assert_close(per_image[0], monai_square[0], rtol=F32_WEIGHTS)
    assert monai_square[1] == 0.0 and per_image[1] > 0.99
    assert_close(per_image[1], monai_uniform[1], rtol=EXACT)
    # gradients: image 0 as MONAI's square weights, image 1 as its uniform weights
    def mixed(a, t):
        return (M.GeneralizedDiceLoss()(a[:1], t[:1]) + M.GeneralizedDiceLoss(w_type="uniform")(a[1:], t[1:])) / 2

    _compare(_run(O("generalized_dice_loss", **ML), x, g), _run(mixed, x, g), F32_WEIGHTS, "all-empty image")
    # the binary (one-channel) form: an empty image is all-empty
    xb, gb, _ = binary(probs=True)
    ours_b = _run(O("generalized_dice_loss"), xb, gb)
    _compare(ours_b, _run(mixed, xb, gb), F32_WEIGHTS, "binary all-empty image")
    assert abs(ours_b[0] - _run(M.GeneralizedDiceLoss(), xb, gb)[0]) > 0.4


def test_cldice_per_image_and_epsilon_of_monai_1_6_differ_from_the_pooled_loss(M):
    """MONAI 1.6's SoftclDiceLoss averages per-image values and adds smooth = 1e-4 to the
    harmonic mean; ours pools the batch (one value): equal only through the stacking of
    ``stack_batch`` and with smooth -> 0."""
    x, g, _ = multilabel(probs=True)
    ours = _run(O("soft_cldice_loss", **ML), x, g)[0]
    per_image = _run(M.SoftclDiceLoss(smooth=NO_EPSILON, include_background=False), x, g)[0]
    default_epsilon = _run(lambda a, t: M.SoftclDiceLoss()(*stack_batch(a, t)), x, g)[0]
    pooled = _run(lambda a, t: M.SoftclDiceLoss(smooth=NO_EPSILON)(*stack_batch(a, t)), x, g)[0]
    assert_close(ours, pooled, rtol=EXACT)
    assert abs(per_image - ours) > 1e-4 and abs(default_epsilon - ours) > 1e-6
