"""Gradients of the distribution family (cross-entropy, softmax focal, top-k CE) against
finite differences in multiclass mode: label maps, soft targets, probabilities, class
weights, label smoothing, ignore_index, and ``reduction="none"`` with a ``grad_output``."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from test_gradients import assert_grad_matches, finite_differences


GRAD_CASES = [
    ("cross_entropy_loss", dict(), "labels"),
    ("cross_entropy_loss", dict(weight=[0.3, 2.0, 1.0], label_smoothing=0.2, ignore_index=255), "labels"),
    ("cross_entropy_loss", dict(reduction="sum", include_background=False), "soft"),
    ("cross_entropy_loss", dict(from_logits=False, weight=[1.0, 0.5, 2.0]), "probs"),
    ("focal_loss", dict(gamma=2.0, alpha=0.25, ignore_index=255), "labels"),
    ("focal_loss", dict(gamma=0.5, alpha=None, reduction="sum"), "soft"),
    ("focal_loss", dict(gamma=3.3, from_logits=False), "probs"),
    ("top_k_ce_loss", dict(k=30.0, ignore_index=255), "labels"),
    ("top_k_ce_loss", dict(k=50.0, weight=[1.0, 2.0, 0.5], reduction="sum"), "soft"),
]


@pytest.mark.parametrize("name,opts,form", GRAD_CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(GRAD_CASES)])
def test_gradient_finite_differences(name, opts, form):
    rng = np.random.default_rng(7)
    shape = (2, 3, 3, 2)
    z = rng.normal(0, 2, shape)
    labels = rng.integers(0, 3, (2, 3, 2))
    if opts.get("ignore_index") == 255:
        labels[0, 1, 1] = 255
    o = dict(mode="multiclass", **opts)
    x = z
    target = labels
    if form == "soft":
        s = rng.random(shape)
        target = s / s.sum(1, keepdims=True)
    if form == "probs":
        x = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    fn = getattr(ss, name)
    _, grad = fn(x, target, **o, return_grad=True)
    fd = finite_differences(lambda v: fn(v, target, **o), x, h=1e-7 if form == "probs" else 1e-6)
    assert_grad_matches(grad, fd, f"{name} {opts} {form}")


def test_reduction_none_grad_output_finite_differences():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 2, (2, 4, 3))
    labels = rng.integers(0, 4, (2, 3))
    w = rng.normal(size=(2, 3))
    for name in ("cross_entropy_loss", "focal_loss"):
        fn = getattr(ss, name)
        values, grad = fn(x, labels, mode="multiclass", reduction="none", return_grad=True, grad_output=w)
        assert values.shape == (2, 3)
        fd = finite_differences(lambda v: float((fn(v, labels, mode="multiclass", reduction="none") * w).sum()), x)
        assert_grad_matches(grad, fd, name)
