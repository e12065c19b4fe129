"""Gradients of the compound family (combo, exp-log, unified focal and its parts) against
central finite differences: binary (logits and probabilities), multilabel (ignore_index,
3-D, no background, batch, sum), ``reduction="none"`` with a ``grad_output``, and
multiclass label maps with an ignored voxel."""
from __future__ import annotations

import numpy as np
import pytest

import oracles_compound as oc
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad
from oracles_compound import REGION


FAMILIES = {
    "binary logits": ((2, 1, 3, 4), dict()),
    "binary probabilities": ((2, 1, 3, 4), dict(from_logits=False)),
    "multilabel ignore 3-D": ((1, 2, 2, 2, 3), dict(mode="multilabel", ignore_index=255.0)),
    "multilabel no background batch sum": ((2, 3, 2, 3), dict(mode="multilabel", include_background=False,
                                                              reduction="sum")),
}


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("name", oc.FAMILY)
def test_gradient_finite_differences(name, family, rng):
    shape, opts = FAMILIES[family]
    opts = dict(opts)
    if "batch" in family and name in REGION:
        opts["batch"] = True
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    g = (rng.random(shape) < 0.5).astype(np.float64)
    if "ignore" in family:
        g.flat[[1, 4, 7]] = 255.0
    fn = getattr(ss, name)
    _, grad = fn(x, g, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: fn(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=f"{name} {family}")


@pytest.mark.parametrize("name", [n for n in oc.PARTS])
def test_gradient_reduction_none_grad_output(name, rng):
    x, g = rng.normal(0, 2, (2, 2, 3)), (rng.random((2, 2, 3)) < 0.5) * 1.0
    fn = getattr(ss, name)
    values = fn(x, g, mode="multilabel", reduction="none")
    w = rng.normal(size=values.shape)
    _, grad = fn(x, g, mode="multilabel", reduction="none", return_grad=True, grad_output=w)
    numeric = numeric_grad(lambda xs: float((fn(xs, g, mode="multilabel", reduction="none") * w).sum()), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=name)


@pytest.mark.parametrize("name", oc.FAMILY)
def test_multiclass_gradient_finite_differences(name, rng):
    x = rng.normal(0, 2, (2, 3, 2, 3))
    labels = rng.integers(0, 3, (2, 2, 3))
    labels[0, 1, 1] = 255
    fn = getattr(ss, name)
    opts = dict(mode="multiclass", ignore_index=255)
    _, grad = fn(x, labels, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: fn(xs, labels, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=name)
