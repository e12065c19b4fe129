"""`image_mean=True`: the metrics' mean as MONAI's ``reduction="mean"`` (each image's
non-NaN entries averaged first, then the images), found missing by an audit of 2026-12-06
while README called the default mean MONAI's; the default weighs every non-NaN (image,
class) entry alike. Checked on a hand-computed case and against MONAI's DiceMetric,
ConfusionMatrixMetric and SurfaceDiceMetric on random multiclass batches with NaN entries."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import optional_module


def two_images():
    """Image 0: Dice 1 on channel 0, channel 1 empty in both (NaN); image 1: Dice 0.5 twice."""
    p = np.zeros((2, 2, 1, 4))
    g = np.zeros((2, 2, 1, 4))
    p[0, 0, 0, :2] = g[0, 0, 0, :2] = 1
    p[1, :, 0, 0] = 1
    g[1, :, 0, :3] = 1
    return p, g


def test_image_mean_by_hand():
    p, g = two_images()
    assert ss.metrics.dice_score(p, g, mode="multilabel") == pytest.approx(2 / 3, abs=1e-15)
    assert ss.metrics.dice_score(p, g, mode="multilabel", image_mean=True) == 0.75
    assert ss.metrics.recall(p, g, mode="multilabel", image_mean=True) == pytest.approx((1 + 1 / 3) / 2)
    values = ss.metrics.iou(p, g, mode="multilabel", reduction="none")
    assert ss.metrics.iou(p, g, mode="multilabel", image_mean=True) == pytest.approx(
        np.mean(np.nanmean(values, axis=1)), abs=1e-15)
    nsd = ss.metrics.normalized_surface_dice(p, g, tolerance=0.5, mode="multilabel", reduction="none")
    assert ss.metrics.normalized_surface_dice(p, g, tolerance=0.5, mode="multilabel", image_mean=True) == \
        pytest.approx(np.mean(np.nanmean(nsd, axis=1)), abs=1e-15)
    # every entry NaN: NaN (MONAI gives 0)
    assert np.isnan(ss.metrics.dice_score(np.zeros((1, 1, 4)), np.zeros((1, 1, 4)), image_mean=True))


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch=True), "image_mean: needs per-image entries"),
    (dict(reduction="sum"), "image_mean: averages images with reduction='mean'"),
])
def test_image_mean_needs_per_image_entries_and_a_mean(kwargs, message):
    p, g = two_images()
    with pytest.raises(ValueError, match="^" + message):
        ss.metrics.iou(p, g, mode="multilabel", image_mean=True, **kwargs)


def random_multiclass(seed):
    """Label maps with classes missing from some images (NaN entries spread unevenly); the
    prediction never has a class its image's labels lack, so that an entry is NaN here
    (0/0) exactly where MONAI's Dice (ignore_empty=True: empty target) is NaN."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, (4, 9, 11))
    labels[rng.random((4, 9, 11)) < 0.15] = 3  # class 3 appears in images at random
    labels[1][labels[1] == 3] = 0
    labels[2][rng.random((9, 11)) < 0.3] = 2
    pred = labels.copy()
    for i in range(len(labels)):
        noisy = rng.random((9, 11)) < 0.4
        pred[i][noisy] = rng.choice(np.unique(labels[i]), noisy.sum())
    scores = np.moveaxis(np.eye(4)[pred], -1, 1)
    return scores, labels


@pytest.mark.parametrize("seed", range(4))
def test_image_mean_equals_monai_reduction_mean(seed):
    torch = optional_module("torch")
    metrics = optional_module("monai.metrics")
    scores, labels = random_multiclass(seed)
    onehot = torch.tensor(np.moveaxis(np.eye(4)[labels], -1, 1))
    pred = torch.tensor(scores)
    ours = dict(mode="multiclass", include_background=False, image_mean=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MONAI warns about empty classes
        dice = metrics.DiceMetric(include_background=False, reduction="mean")
        dice(pred, onehot)
        recall = metrics.ConfusionMatrixMetric(include_background=False, metric_name="sensitivity",
                                               compute_sample=True, reduction="mean")
        recall(pred, onehot)
        nsd = metrics.SurfaceDiceMetric(class_thresholds=[1.0, 1.0, 1.0], include_background=False, reduction="mean")
        nsd(pred, onehot)
    assert ss.metrics.dice_score(scores, labels, **ours) == pytest.approx(float(dice.aggregate()), abs=1e-6)  # MONAI: float32
    assert ss.metrics.recall(scores, labels, **ours) == pytest.approx(float(recall.aggregate()[0]), abs=1e-6)
    assert ss.metrics.normalized_surface_dice(scores, labels, tolerance=1.0, **ours) == pytest.approx(
        float(nsd.aggregate()), abs=1e-6)
    # the default mean weighs entries, which differs here
    flat = ss.metrics.dice_score(scores, labels, mode="multiclass", include_background=False)
    values = ss.metrics.dice_score(scores, labels, mode="multiclass", include_background=False, reduction="none")
    assert flat == pytest.approx(np.nanmean(values), abs=1e-15)


@pytest.mark.parametrize("reduction, axis", [("mean_batch", 0), ("sum_channel", 1)])
def test_monai_reduction_names_are_explained(reduction, axis):
    p, g = two_images()
    for call in (lambda: ss.metrics.iou(p, g, mode="multilabel", reduction=reduction),
                 lambda: ss.metrics.hausdorff_distance(p, g, mode="multilabel", reduction=reduction)):
        with pytest.raises(ValueError, match=rf"^reduction: MONAI's reduction='{reduction}' is.*axis={axis}.*"
                                             r"MONAI's 'mean' is image_mean=True"):
            call()
