"""Distance-map losses (Hausdorff-DT, log HD-DT, boundary, distance-penalized CE, shape-aware)
and the Hausdorff erosion loss: values and gradients against the NumPy + SciPy oracle
(oracles_boundary.py), reduction="none" with ignore_index, and finite differences (issue 4).

Spacing and normalised maps, multiclass mode, special cases and bad input are in
test_boundary_losses_*.py.
"""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import DISTANCE_LOSSES
from oracles_boundary import RNG, blob_data, central_differences, data, oracle, sigmoid


# ---------------------------------------------------------------- values and gradients vs oracle

CASES = [
    ("binary 2-D", (2, 1, 24, 20), {}),
    ("binary 3-D", (1, 1, 6, 10, 9), {}),
    ("multilabel", (2, 3, 16, 12), {"mode": "multilabel"}),
    ("no background", (2, 3, 12, 12), {"mode": "multilabel", "include_background": False}),
    ("probabilities", (2, 1, 18, 15), {"from_logits": False}),
    ("sum", (2, 1, 10, 11), {"reduction": "sum"}),
    ("1-D", (3, 2, 40), {"mode": "multilabel"}),
]


@pytest.mark.parametrize("name", DISTANCE_LOSSES)
@pytest.mark.parametrize("label,shape,opts", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_matches_oracle(name, label, shape, opts, dtype):
    x, g = blob_data(shape)
    if not opts.get("from_logits", True):
        x = sigmoid(x)
    extra = {"alpha": 1.5} if "hausdorff" in name and label == "multilabel" else {}
    value, grad = getattr(ss, name)(x.astype(dtype), g.astype(dtype), return_grad=True, **opts, **extra)
    want, want_grad = oracle(name, x.astype(dtype).astype(np.float64), g, **opts, **extra)
    rtol = 1e-10 if dtype == np.float64 else 2e-5
    assert grad.dtype == dtype and grad.shape == x.shape
    assert value == pytest.approx(want, rel=rtol, abs=rtol)
    np.testing.assert_allclose(grad, want_grad, rtol=rtol, atol=rtol * np.abs(want_grad).max())


#: Not the erosion loss: its voxels are coupled, so the vector-Jacobian product with
#: grad_output is not grad_output times the gradient (test_hausdorff_er.py checks it).
@pytest.mark.parametrize("name", [n for n in DISTANCE_LOSSES if n not in ("log_hausdorff_dt_loss", "hausdorff_er_loss")])
def test_ignore_index_and_reduction_none(name):
    x, g = blob_data((2, 2, 14, 13))
    g[:, :, ::3, ::2] = 255
    opts = dict(mode="multilabel", ignore_index=255)
    values, grad = getattr(ss, name)(x, g, reduction="none", return_grad=True, **opts)
    want, want_grad = oracle(name, x, g, reduction="none", **opts)
    np.testing.assert_allclose(values, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-12)
    assert (values[g == 255] == 0).all() and (grad[g == 255] == 0).all()
    w = RNG.normal(size=x.shape)
    _, vjp = getattr(ss, name)(x, g, reduction="none", return_grad=True, grad_output=w, **opts)
    np.testing.assert_allclose(vjp, w * want_grad, rtol=1e-10, atol=1e-12)
    mean = getattr(ss, name)(x, g, **opts)
    assert mean == pytest.approx(want.sum() / (g != 255).sum(), rel=1e-10)


@pytest.mark.parametrize("name", DISTANCE_LOSSES)
@pytest.mark.parametrize("opts", [{}, {"from_logits": False}, {"mode": "multilabel", "ignore_index": 255},
                                  {"reduction": "sum"}], ids=str)
def test_finite_differences(name, opts):
    shape = (2, 2 if opts.get("mode") else 1, 5, 6)
    x, g = data(shape, probabilities=not opts.get("from_logits", True))
    if "ignore_index" in opts:
        g.flat[::4] = 255
    _, grad = getattr(ss, name)(x, g, return_grad=True, **opts)
    np.testing.assert_allclose(grad, central_differences(getattr(ss, name), x, g, **opts), rtol=1e-5, atol=1e-7)
