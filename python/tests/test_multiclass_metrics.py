"""Multiclass metrics (``mode="multiclass"``): argmax prediction, label-map / one-hot / soft
targets, one-vs-rest counts per class, against the NumPy oracle of oracles.py; surface
metrics against the binary metrics on the class masks; bad input."""
from __future__ import annotations

import numpy as np
import pytest

import oracles
import semsegloss_swift as ss
from conftest import METRIC_NAMES

SHAPES = [(1, 2, 1, 1), (2, 3, 5, 7), (3, 4, 6, 5), (2, 3, 3, 4, 5)]


def batch(shape, dtype=np.float64, seed=0):
    """Logits, a label map, and the label map's one-hot form."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    labels = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    one_hot = np.moveaxis(np.eye(shape[1], dtype=dtype)[labels], -1, 1)
    return x, labels, one_hot


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_pooled", [False, True])
@pytest.mark.parametrize("include_background", [True, False])
def test_counts_match_oracle_for_every_target_form(shape, dtype, batch_pooled, include_background):
    x, labels, one_hot = batch(shape, dtype, seed=sum(shape))
    opts = dict(mode="multiclass", from_logits=True, batch=batch_pooled, include_background=include_background)
    want = oracles.multiclass_confusion_counts(x, labels, batch=batch_pooled, include_background=include_background)
    for target in (labels, labels.astype(np.int32), labels.astype(np.uint8), one_hot, 0.1 + 0.5 * one_hot):
        got = ss.metrics.confusion_counts(x, target, **opts)
        np.testing.assert_array_equal(got, want)
    # Every valid voxel falls in exactly one of the four counts of each class.
    voxels = np.prod(shape[2:]) * (shape[0] if batch_pooled else 1)
    assert (want.sum(axis=-1) == voxels).all()


@pytest.mark.parametrize("name", METRIC_NAMES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("empty", ["nan", "one", "zero"])
def test_metrics_match_oracle(name, reduction, empty):
    x, labels, _ = batch((3, 4, 6, 5), seed=5)
    labels[0][labels[0] == 3] = 1  # class 3 absent from image 0: empty ratios
    x[0, 3] = -10
    extra = {"beta": 2.0} if name == "f_beta" else {}
    got = getattr(ss.metrics, name)(x, labels, mode="multiclass", from_logits=True, reduction=reduction,
                                   empty=empty, **extra)
    counts = oracles.multiclass_confusion_counts(x, labels)
    want = oracles.reduce_metric(oracles.metric_from_counts(name, counts, empty=empty, **extra), reduction)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_probabilities_and_logits_give_the_same_classes():
    x, labels, _ = batch((2, 3, 4, 6), seed=3)
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    a = ss.metrics.confusion_counts(x, labels, mode="multiclass", from_logits=True)
    b = ss.metrics.confusion_counts(p, labels, mode="multiclass")
    np.testing.assert_array_equal(a, b)


def test_hand_counted_example():
    z = np.array([[[3.0, 0.0], [0.0, 0.1]], [[1.0, 0.0], [2.0, 0.5]], [[0.0, 1.0], [0.0, 0.2]]])[None]
    labels = np.array([[[0, 2], [1, 0]]])  # argmax of z: [[0, 2], [1, 1]]
    counts = ss.metrics.confusion_counts(z, labels, mode="multiclass", from_logits=True)
    assert counts.tolist() == [[[1, 0, 1, 2], [1, 1, 0, 2], [1, 0, 0, 3]]]
    iou = ss.metrics.iou(z, labels, mode="multiclass", from_logits=True, reduction="none")
    np.testing.assert_array_equal(iou, [[0.5, 0.5, 1.0]])
    assert ss.metrics.iou(z, labels, mode="multiclass", from_logits=True) == pytest.approx(2 / 3)
    # Ties go to the first class (NumPy's argmax): all-equal logits predict class 0.
    flat = np.zeros((1, 3, 2, 2))
    assert ss.metrics.confusion_counts(flat, labels, mode="multiclass", from_logits=True)[0, :, 0].tolist() == [2, 0, 0]


def test_ignore_index_with_label_maps_and_dense_targets():
    x, labels, one_hot = batch((2, 3, 5, 5), seed=8)
    ignored = np.random.default_rng(1).random(labels.shape) < 0.3
    lab = np.where(ignored, 255, labels)
    dense = one_hot.copy()
    dense[:, 0][ignored] = -1.0  # one channel equal to ignore_index marks the voxel
    want = oracles.multiclass_confusion_counts(x, lab, ignore_index=255)
    np.testing.assert_array_equal(ss.metrics.confusion_counts(x, lab, mode="multiclass", from_logits=True,
                                                              ignore_index=255), want)
    np.testing.assert_array_equal(ss.metrics.confusion_counts(x, dense, mode="multiclass", from_logits=True,
                                                              ignore_index=-1), want)
    assert (want.sum(axis=-1) == (~ignored).sum(axis=(1, 2))[:, None]).all()


@pytest.mark.parametrize("name,extra", [("hausdorff_distance", {}), ("hausdorff_distance", {"percentile": 95}),
                                        ("average_surface_distance", {}),
                                        ("normalized_surface_dice", {"tolerance": 1.0})])
def test_surface_metrics_are_the_binary_metrics_of_the_class_masks(name, extra):
    x, labels, one_hot = batch((2, 3, 9, 8), seed=11)
    labels[1, :4] = 255
    fn = getattr(ss.metrics, name)
    got = fn(x, labels, mode="multiclass", from_logits=True, ignore_index=255, reduction="none",
             spacing=(1.0, 0.5), **extra)
    predicted = np.moveaxis(np.eye(3)[np.argmax(x, axis=1)], -1, 1)
    truth = np.moveaxis(np.eye(3)[np.where(labels == 255, 0, labels)], -1, 1)
    keep = (labels != 255)[:, None]
    want = fn(predicted * keep, truth * keep, mode="multilabel", reduction="none", spacing=(1.0, 0.5), **extra)
    np.testing.assert_allclose(got, want, equal_nan=True)
    assert got.shape == (2, 3)
    no_bg = fn(x, labels, mode="multiclass", from_logits=True, ignore_index=255, reduction="none",
               include_background=False, spacing=(1.0, 0.5), **extra)
    np.testing.assert_allclose(no_bg, want[:, 1:], equal_nan=True)


@pytest.mark.parametrize("fn", [ss.metrics.iou, ss.metrics.confusion_counts, ss.metrics.hausdorff_distance],
                         ids=lambda f: f.__name__)
def test_bad_multiclass_input(fn):
    x, labels, one_hot = batch((2, 3, 4, 4), seed=2)
    opts = dict(mode="multiclass", from_logits=True)
    with pytest.raises(ValueError, match="target: labels must lie in \\[0, 3\\)"):
        fn(x, labels + 1, **opts)
    with pytest.raises(ValueError, match="ignore_index"):
        fn(x, labels, ignore_index=0.5, **opts)
    with pytest.raises(ValueError, match="target"):
        fn(x, labels[:, :3], **opts)
    with pytest.raises(ValueError, match="target"):
        fn(x, one_hot * 2, **opts)
    with pytest.raises(ValueError, match="input"):
        fn(x, labels, mode="multiclass")  # logits are not probabilities
    bad = x.copy()
    bad[1, 2, 3, 0] = np.nan
    with pytest.raises(ValueError, match="input"):
        fn(bad, labels, **opts)
    with pytest.raises(ValueError, match="target"):  # a label map needs mode="multiclass"
        fn(x, labels, mode="multilabel", from_logits=True)
    with pytest.raises(ValueError, match="input"):
        fn(x[:, :1], labels * 0, **opts)  # one channel: not a multiclass input
