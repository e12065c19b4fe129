"""Our losses, through the PyTorch adapter, against torch's own losses: an independent
oracle. For every case the torch loss's value and its autograd gradient with respect to
the logits must equal our value and our analytic gradient (``semsegloss_swift.torch``), in
float64 at rtol 1e-9 (the same maths, only the summation order differs), on the random
inputs of torch_peer_harness.py, 2-D and 3-D.

``F.binary_cross_entropy_with_logits`` (``pos_weight``) against ``bce_loss`` /
``weighted_bce_loss``; ``F.cross_entropy`` (``weight``, ``label_smoothing``,
``ignore_index``) against ``cross_entropy_loss``. Where the two conventions differ (ignored
voxels in the BCE, dense targets with class weights, ``include_background=False``), the
comparison is against a torch expression of the convention our docstrings state, and the
difference to the torch mean is asserted.
"""
from __future__ import annotations

import numpy as np
import pytest

from conftest import assert_close, optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
import semsegloss_swift.torch as sst  # noqa: E402
from torch_peer_harness import (  # noqa: E402
    C, EXACT, IGNORE, SPATIAL_2D, SPATIAL_3D, W3, O, _compare, _onehot, _run, binary, label_maps, multiclass,
    multilabel)

F = torch.nn.functional


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
