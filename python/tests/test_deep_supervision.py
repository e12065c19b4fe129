"""deep_supervision_loss / DeepSupervisionLoss: MONAI's weights, nearest-exact target
resizing (NumPy oracle), every level's loss and gradient, label maps, errors."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import raises_naming


def nearest_exact(a, size):
    """PyTorch interpolate(mode="nearest-exact") of the trailing len(size) axes of `a`."""
    out = a
    lead = a.ndim - len(size)
    for k, n_out in enumerate(size):
        ax = lead + k
        n_in = a.shape[ax]
        idx = np.minimum(np.floor((np.arange(n_out) + 0.5) * (n_in / n_out)).astype(int), n_in - 1)
        out = np.take(out, idx, axis=ax)
    return out


MONAI_EXP = [1.0, 0.5, 0.25, 0.125, 0.0625, 0.0625]


@pytest.mark.parametrize("mode,weights", [("exp", MONAI_EXP[:4]), ("same", [1.0] * 4), ("two", [1.0, 0.5, 0.5, 0.5])])
def test_weights_and_levels_match_the_loss_on_resized_targets(rng, mode, weights):
    g = (rng.random((2, 1, 16, 12)) < 0.4).astype(np.float64)
    levels = [rng.normal(0, 2, (2, 1, 16 // 2 ** l, 12 // 2 ** l)) for l in range(4)]
    value, grads = ss.deep_supervision_loss(levels, g, loss="dice_loss", weight_mode=mode, return_grad=True)
    want = 0.0
    for l, x in enumerate(levels):
        v, gr = ss.dice_loss(x, nearest_exact(g, x.shape[2:]), return_grad=True)
        want += weights[l] * v
        np.testing.assert_allclose(grads[l], weights[l] * gr, rtol=1e-12, atol=1e-15)
        assert grads[l].shape == x.shape and grads[l].dtype == x.dtype
    assert value == pytest.approx(want, rel=1e-12)


def test_monai_exp_weights_floor_at_one_sixteenth(rng):
    g = (rng.random((1, 1, 8, 8)) < 0.5).astype(np.float64)
    x = rng.normal(size=(1, 1, 8, 8))
    one = ss.dice_loss(x, g)
    assert ss.deep_supervision_loss([x] * 6, g) == pytest.approx(sum(MONAI_EXP) * one, rel=1e-12)
    assert ss.deep_supervision_loss([x] * 3, g, weights=[0.2, 0.0, 3.0]) == pytest.approx(3.2 * one, rel=1e-12)


def test_multiclass_label_maps_3d_and_loss_objects(rng):
    labels = rng.integers(0, 3, (2, 8, 8, 6))
    levels = [rng.normal(0, 2, (2, 3, 8 // 2 ** l, 8 // 2 ** l, 6 // 2 ** l)) for l in range(2)] + \
        [rng.normal(0, 2, (2, 3, 3, 3, 3))]  # an odd size: 8 -> 3, 6 -> 3
    opts = dict(mode="multiclass", include_background=False, lambda_ce=0.5)
    value, grads = ss.deep_supervision_loss(levels, labels, loss="dice_ce", weight_mode="two", return_grad=True, **opts)
    want = 0.0
    for l, x in enumerate(levels):
        w = 1.0 if l == 0 else 0.5
        v, gr = ss.dice_ce_loss(x, nearest_exact(labels, x.shape[2:]), return_grad=True, **opts)
        want += w * v
        np.testing.assert_allclose(grads[l], w * gr, rtol=1e-12, atol=1e-15)
    assert value == pytest.approx(want, rel=1e-12)
    wrapped = ss.DeepSupervisionLoss(ss.DiceCELoss(**opts), weight_mode="two")
    assert wrapped(levels, labels) == pytest.approx(value, rel=1e-15)
    assert "dice_ce_loss" in repr(wrapped)
    # a one-hot dense target resizes to the same thing
    one_hot = np.moveaxis(np.eye(3)[labels], -1, 1)
    assert ss.deep_supervision_loss(levels, one_hot, loss="dice_ce", weight_mode="two", **opts) == pytest.approx(value, rel=1e-12)


def test_upsampled_level_and_float32(rng):
    g = (rng.random((1, 1, 5, 7)) < 0.5).astype(np.float32)
    big = rng.normal(size=(1, 1, 10, 14)).astype(np.float32)
    value, grads = ss.deep_supervision_loss([big], g, loss="focal", return_grad=True)
    assert value == pytest.approx(ss.focal_loss(big, nearest_exact(g, (10, 14))), rel=1e-6)
    assert grads[0].dtype == np.float32


def test_gradient_is_the_derivative_of_the_sum(rng):
    g = (rng.random((1, 1, 6, 6)) < 0.5).astype(np.float64)
    levels = [rng.normal(size=(1, 1, 6, 6)), rng.normal(size=(1, 1, 3, 3))]
    _, grads = ss.deep_supervision_loss(levels, g, loss="tversky", return_grad=True)
    h = 1e-6
    for l in range(2):
        for i in range(levels[l].size):
            plus = [x.copy() for x in levels]
            minus = [x.copy() for x in levels]
            plus[l].flat[i] += h
            minus[l].flat[i] -= h
            num = (ss.deep_supervision_loss(plus, g, loss="tversky") - ss.deep_supervision_loss(minus, g, loss="tversky")) / (2 * h)
            assert grads[l].flat[i] == pytest.approx(num, rel=1e-6, abs=1e-9)


def test_errors_name_the_argument(rng):
    fn = ss.deep_supervision_loss
    g = np.zeros((1, 1, 4, 4))
    x = np.zeros((1, 1, 4, 4))
    raises_naming(TypeError, fn, x, g, names=["inputs"])
    raises_naming(ValueError, fn, [], g, names=["inputs"])
    raises_naming(ValueError, fn, [x, np.zeros((1, 2, 2, 2))], g, names=["inputs"])
    raises_naming(ValueError, fn, [x, np.zeros((1, 1, 2, 2, 2))], g, names=["inputs"])
    raises_naming(ValueError, fn, [x], np.zeros((2, 1, 4, 4)), names=["target"])
    raises_naming(ValueError, fn, [x, x], g, weights=[1.0], names=["weights"])
    raises_naming(ValueError, fn, [x, x], g, weights=[1.0, -1.0], names=["weights"])
    raises_naming(ValueError, fn, [x, x], g, weights=[1.0, np.nan], names=["weights"])
    raises_naming(ValueError, fn, [x], g, weight_mode="linear", names=["weight_mode"])
    raises_naming(ValueError, fn, [x], g, reduction="none", names=["reduction"])
    raises_naming(ValueError, fn, [x], g, loss="nope", names=["loss"])
    raises_naming(TypeError, fn, [x], g, loss="dice", alpha=0.3, names=["alpha"])
    raises_naming(TypeError, fn, [x], g, loss=ss.DiceLoss(), smooth_nr=1.0, names=["loss"])
    raises_naming(ValueError, fn, [np.full((1, 1, 4, 4), np.nan)], g, names=["input"])
    raises_naming(ValueError, fn, [x], g + 3, names=["target"])
    raises_naming(ValueError, fn, [x], g, mode="multiclass", names=["mode", "input", "channel"])
    a, b = rng.normal(size=(1, 1, 4, 4)), rng.normal(size=(1, 1, 2, 2))
    t = (rng.random((1, 1, 4, 4)) < 0.5).astype(np.float64)
    copies = [a.copy(), b.copy(), t.copy()]
    ss.deep_supervision_loss([a, b], t, return_grad=True)
    for before, after in zip(copies, [a, b, t]):
        np.testing.assert_array_equal(before, after)


def test_weights_must_be_a_flat_sequence_of_numbers(rng):
    """A dict's keys were taken as the weights, an int raised "'int' object is not
    iterable" and [[1], [2]] "expected one weight per level (2), got 2"."""
    fn = ss.deep_supervision_loss
    a, b = rng.normal(size=(1, 1, 4, 4)), rng.normal(size=(1, 1, 2, 2))
    g = (rng.random((1, 1, 4, 4)) < 0.5).astype(np.float64)
    raises_naming(TypeError, fn, [a, b], g, weights={0.25: "a", 1.0: "b"}, names=["weights", "flat sequence"])
    raises_naming(TypeError, fn, [a, b], g, weights=5, names=["weights", "flat sequence"])
    raises_naming(TypeError, fn, [a, b], g, weights="ab", names=["weights"])
    raises_naming(TypeError, fn, [a, b], g, weights=[1.0, True], names=["weights"])
    raises_naming(TypeError, ss.DeepSupervisionLoss, weights=5, names=["weights"])
    with pytest.raises(ValueError, match=r"^weights: .*flat sequence") as info:
        fn([a, b], g, weights=[[1], [2]])
    assert "got 2" not in str(info.value)
    raises_naming(ValueError, fn, [a, b], g, weights=[1, 10 ** 400], names=["weights", "range"])
    want = fn([a, b], g, weights=[1.0, 0.25])
    assert want != fn([a, b], g, weights=[1.0, 1.0])
    assert fn([a, b], g, weights=(w for w in [1.0, 0.25])) == want
    assert fn([a, b], g, weights=np.array([1.0, 0.25], np.float32)) == want
    assert ss.DeepSupervisionLoss(weights=(1, 0.25))([a, b], g) == want


def test_a_bad_level_is_named_by_its_index(rng):
    """The loss reports its own argument, ``input``; the message names ``inputs[l]``."""
    fn = ss.deep_supervision_loss
    a, b, c = rng.normal(size=(2, 1, 8, 8)), rng.normal(size=(2, 1, 4, 4)), rng.normal(size=(2, 1, 2, 2))
    g = (rng.random((2, 1, 8, 8)) < 0.5).astype(np.float64)
    for level in range(3):
        levels = [a.copy(), b.copy(), c.copy()]
        levels[level][1, 0, 1, 0] = np.nan
        with pytest.raises(ValueError, match=rf"^inputs\[{level}\]: must be finite"):
            fn(levels, g)
    probabilities = [1 / (1 + np.exp(-a)), 1 / (1 + np.exp(-b)), np.full((2, 1, 2, 2), 1.5)]
    with pytest.raises(ValueError, match=r"^inputs\[2\]: "):
        fn(probabilities, g, from_logits=False)
    with pytest.raises(ValueError, match=r"^weights: "):  # other arguments keep their own name
        fn([a, b, c], g, weights=[1.0, -1.0, 1.0])


def test_levels_are_computed_in_the_type_of_level_0(rng):
    """As documented: a float64 level after a float32 level 0 is computed (and its gradient
    returned) in float32, and the other way round."""
    a, b = rng.normal(size=(1, 1, 4, 4)), rng.normal(size=(1, 1, 2, 2))
    g = (rng.random((1, 1, 4, 4)) < 0.5).astype(np.float64)
    for first, other in [(np.float32, np.float64), (np.float64, np.float32)]:
        _, grads = ss.deep_supervision_loss([a.astype(first), b.astype(other)], g, return_grad=True)
        assert [x.dtype for x in grads] == [np.dtype(first)] * 2
        assert [x.shape for x in grads] == [a.shape, b.shape]
    doc = ss.deep_supervision_loss.__doc__
    assert "typed as ``inputs[l]``" not in doc and "that of ``inputs[0]``" in doc
