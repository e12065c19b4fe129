"""Distribution family (weighted/balanced BCE, cross-entropy, softmax focal, top-k CE)
through the public API: bad input naming the argument, bad dtypes and unknown options, the
class form, defaults (``label_smoothing=None``) and identities between the BCE variants."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss


def _mc(**o):
    return dict(mode="multiclass", **o)


@pytest.mark.parametrize("name,x,t,opts,exc,arg", [
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.array([[0, 3]]), {}, ValueError, "target"),
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(weight=[1.0, 2.0]), ValueError, "weight"),
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(weight=[1.0, -2.0, 1.0]), ValueError, "weight"),
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(label_smoothing=2.0), ValueError, "label_smoothing"),
    ("cross_entropy_loss", np.full((1, 3, 2), np.nan), np.array([[0, 1]]), {}, ValueError, "input"),
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.zeros((1, 2, 2)), {}, ValueError, "target"),
    ("cross_entropy_loss", np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), dict(mode="binary", weight=[1.0]), ValueError, "weight"),
    ("cross_entropy_loss", np.zeros((1, 0, 2)), np.zeros((1, 0, 2)), {}, ValueError, "input"),
    ("focal_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(gamma=-1.0), ValueError, "gamma"),
    ("focal_loss", np.zeros((1, 1, 2)), np.array([[0, 1]]), {}, ValueError, "input"),
    ("weighted_bce_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), {}, ValueError, "mode"),
    ("weighted_bce_loss", np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), dict(mode="binary", beta=1.0), ValueError, "beta"),
    ("weighted_bce_loss", np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), dict(mode="binary", beta=0.5, pos_weight=2.0), ValueError, "pos_weight"),
    ("balanced_bce_loss", np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), dict(mode="binary", beta=0.0), ValueError, "beta"),
    ("balanced_bce_loss", np.zeros((1, 3, 2)), np.zeros((1, 3, 2)), {}, ValueError, "mode"),
    ("top_k_ce_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(k=0.0), ValueError, "k"),
    ("top_k_ce_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(k=150.0), ValueError, "k"),
    ("top_k_ce_loss", np.zeros((1, 3, 2)), np.array([[0, 9]]), {}, ValueError, "target"),
])
def test_bad_input(name, x, t, opts, exc, arg):
    o = dict(mode="multiclass")
    o.update(opts)
    with pytest.raises(exc, match=arg):
        getattr(ss, name)(x, t, **o)


def test_bad_dtype_and_unknown_option():
    with pytest.raises(TypeError):
        ss.cross_entropy_loss(np.zeros((1, 3, 2), dtype=complex), np.array([[0, 1]]))
    with pytest.raises(TypeError):
        ss.cross_entropy_loss(np.zeros((1, 3, 2)), np.array([[0, 1]]), gamma=2.0)
    with pytest.raises(TypeError):
        ss.CrossEntropyLoss(gamma=2.0)


def test_classes_and_defaults():
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    assert ss.CrossEntropyLoss(label_smoothing=0.1)(x, np.array([[[0]]])) == ss.cross_entropy_loss(
        x, np.array([[[0]]]), label_smoothing=0.1)
    # None means the default (no smoothing): smp's SoftCrossEntropyLoss failed on it (smp #372).
    assert ss.cross_entropy_loss(x, np.array([[[2]]]), label_smoothing=None) == ss.cross_entropy_loss(
        x, np.array([[[2]]])) == pytest.approx(np.log(np.exp([1.0, 2.0, 3.0]).sum()) - 3.0, rel=1e-12)
    assert "cross_entropy_loss" in ss.LOSSES
    # weighted_bce_loss(beta=b) = balanced_bce_loss(beta=b) / (1 - b)
    rng = np.random.default_rng(0)
    z, g = rng.normal(size=(2, 1, 4, 4)), (rng.random((2, 1, 4, 4)) < 0.3).astype(float)
    for b in (0.25, 0.75):
        assert abs(ss.weighted_bce_loss(z, g, beta=b) - ss.balanced_bce_loss(z, g, beta=b) / (1 - b)) < 1e-12
    assert abs(ss.weighted_bce_loss(z, g) - ss.bce_loss(z, g, pos_weight=3.0)) < 1e-12
