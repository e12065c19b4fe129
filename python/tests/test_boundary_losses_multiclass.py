"""Distance-map losses in multiclass mode (softmax over the classes, label maps or one-hot
targets): the oracle of oracles_boundary.py on the softmax probabilities, finite
differences with ignore_index, known values and bad labels (issue 4)."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import DISTANCE_LOSSES
from oracles_boundary import CROSS_ENTROPY_LOSSES, RNG, central_differences, oracle, softmax


# ---------------------------------------------------------------- multiclass

MULTICLASS_LOSSES = [n for n in DISTANCE_LOSSES if n not in CROSS_ENTROPY_LOSSES]


def multiclass_data(shape, rng=RNG):
    """Logits favouring a label map of a few blobs, the label map, and its one-hot form."""
    grid = np.indices(shape[2:])
    labels = np.zeros((shape[0],) + shape[2:], np.int64)
    for b in range(shape[0]):
        for c in range(1, shape[1]):
            centre = [rng.uniform(0, n) for n in shape[2:]]
            r = rng.uniform(2, max(3, min(shape[2:]) / 3))
            labels[b][sum((q - m) ** 2 for q, m in zip(grid, centre)) <= r * r] = c
    one_hot = np.moveaxis(np.eye(shape[1])[labels], -1, 1)
    return 3 * one_hot + rng.normal(0, 2, shape), labels, one_hot


@pytest.mark.parametrize("name", MULTICLASS_LOSSES)
@pytest.mark.parametrize("opts", [{}, {"include_background": False}, {"reduction": "sum"}], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 14, 12), (1, 4, 5, 7, 6)], ids=["2-D", "3-D"])
def test_multiclass_is_the_oracle_on_softmax_probabilities(name, opts, shape):
    z, labels, one_hot = multiclass_data(shape)
    p = softmax(z)
    value, grad = getattr(ss, name)(z, labels, mode="multiclass", return_grad=True, **opts)
    want, dp = oracle(name, p, one_hot, mode="multilabel", from_logits=False, **opts)
    want_grad = p * (dp - (p * dp).sum(axis=1, keepdims=True))  # softmax chain rule
    assert value == pytest.approx(want, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-12)
    dense = getattr(ss, name)(z, one_hot, mode="multiclass", return_grad=True, **opts)
    assert dense[0] == value and np.array_equal(dense[1], grad)


@pytest.mark.parametrize("name", MULTICLASS_LOSSES)
def test_multiclass_finite_differences_and_ignore_index(name):
    z, labels, _ = multiclass_data((2, 3, 5, 6))
    labels.flat[::5] = 255
    opts = dict(mode="multiclass", ignore_index=255)
    _, grad = getattr(ss, name)(z, labels, return_grad=True, **opts)
    np.testing.assert_allclose(grad, central_differences(getattr(ss, name), z, labels, **opts), rtol=1e-5, atol=1e-7)
    assert (np.moveaxis(grad, 1, -1)[labels == 255] == 0).all()


def test_multiclass_known_values():
    p1 = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    p = np.stack([1 - p1, p1])[None, :, None, :]
    labels = np.array([[[1, 1, 1, 0, 0]]])
    # phi_1 = [-2, -1, 0, 1, 2], phi_0 = [3, 2, 1, 0, -1]: (-2.2 + 0.1) / 10
    value, grad = ss.boundary_loss(p, labels, mode="multiclass", from_logits=False, return_grad=True)
    assert value == pytest.approx(-0.21, abs=1e-12)
    np.testing.assert_allclose(grad.ravel(), [0.3, 0.2, 0.1, 0, -0.1, -0.2, -0.1, 0, 0.1, 0.2], atol=1e-12)
    q1 = np.array([0.9, 0.6, 0.2, 0.1])
    q = np.stack([1 - q1, q1])[None, :, None, :]
    assert ss.hausdorff_dt_loss(q, labels[..., :4] * 0 + np.array([1, 1, 0, 0]), mode="multiclass",
                                from_logits=False) == pytest.approx(0.14, abs=1e-12)


@pytest.mark.parametrize("name", MULTICLASS_LOSSES)
def test_multiclass_bad_labels(name):
    z, labels, _ = multiclass_data((1, 3, 4, 4))
    with pytest.raises(ValueError, match="target"):
        getattr(ss, name)(z, labels + 3, mode="multiclass")
    with pytest.raises(ValueError, match="target"):
        getattr(ss, name)(z, labels[:, :2], mode="multiclass")
    with pytest.raises(ValueError, match="input"):
        getattr(ss, name)(z[:, :1], labels * 0, mode="multiclass")
