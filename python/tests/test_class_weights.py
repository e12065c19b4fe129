"""Class weights of the overlap losses (``weight=``, MONAI ``DiceLoss(weight=...)``): each
(image, class) loss times w_c before the reduction, checked against the NumPy oracle, by
central differences, through the masked and multiclass paths, and for bad values."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from oracles import region_loss

LOSSES = ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss"]
RNG = np.random.default_rng(2026)
W = [0.25, 2.0, 0.0]


def data(shape=(2, 3, 5, 6)):
    x = RNG.normal(0, 2, shape)
    g = (RNG.random(shape) < 0.4).astype(np.float64)
    g[0, 2] = 0  # an empty class in image 0
    return x, g


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("opts", [dict(), dict(batch=True), dict(reduction="none"), dict(reduction="sum"),
                                  dict(empty="skip"), dict(empty="penalize_fp"), dict(include_background=False),
                                  dict(from_logits=False)],
                         ids=["mean", "batch", "none", "sum", "skip", "penalize_fp", "no-background", "probabilities"])
def test_matches_oracle(name, opts):
    x, g = data()
    if not opts.get("from_logits", True):
        x = 1 / (1 + np.exp(-x))
    got = getattr(ss, name)(x, g, mode="multilabel", weight=W, **opts)
    want = region_loss(name, x, g, mode="multilabel", weight=W, **opts)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", LOSSES)
def test_multiclass_label_map_and_gradient(name):
    x = RNG.normal(0, 2, (2, 3, 5, 4))
    labels = RNG.integers(0, 3, (2, 5, 4))
    fn = getattr(ss, name)
    got, grad = fn(x, labels, mode="multiclass", weight=W, include_background=False, return_grad=True)
    want = region_loss(name, x, labels, mode="multiclass", weight=W, include_background=False)
    assert got == pytest.approx(want, rel=1e-12)
    h = 1e-6
    for idx in [(0, 0, 1, 2), (1, 2, 4, 3), (0, 1, 0, 0)]:
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        fd = (fn(up, labels, mode="multiclass", weight=W, include_background=False)
              - fn(down, labels, mode="multiclass", weight=W, include_background=False)) / (2 * h)
        assert grad[idx] == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_masked_and_class_forms():
    x, g = data()
    roi = np.ones((2, 1, 5, 6))
    assert ss.masked_dice_loss(x, g, roi, mode="multilabel", weight=W) == pytest.approx(
        ss.dice_loss(x, g, mode="multilabel", weight=W), rel=1e-12)
    half = roi.copy()
    half[..., :3] = 0
    want = ss.dice_loss(x[..., 3:], g[..., 3:], mode="multilabel", weight=W)
    assert ss.masked_loss(x, g, half, loss="dice", mode="multilabel", weight=W) == pytest.approx(want, rel=1e-12)
    assert ss.DiceLoss(mode="multilabel", weight=W)(x, g) == ss.dice_loss(x, g, mode="multilabel", weight=W)
    # weights of 1 change nothing, bit for bit
    assert ss.tversky_loss(x, g, mode="multilabel", weight=[1, 1, 1]) == ss.tversky_loss(x, g, mode="multilabel")


@pytest.mark.parametrize("bad,error", [([1.0, 2.0], ValueError), ([1, -1, 1], ValueError),
                                       ([1, float("inf"), 1], ValueError), ([1, float("nan"), 1], ValueError),
                                       (2.0, ValueError), ([1, None, 1], TypeError), (["a", 1, 1], TypeError)])
def test_bad_weights(bad, error):
    x, g = data()
    for name in LOSSES:
        with pytest.raises(error, match="^weight"):
            getattr(ss, name)(x, g, mode="multilabel", weight=bad)
