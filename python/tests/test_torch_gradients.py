"""Gradients of semsegloss_swift.torch: ``torch.autograd.gradcheck`` on a set of losses
(reduced, unreduced, masked), independent formulas differentiated by torch's own autograd,
and reduction="none": values and vector-Jacobian products (explicit upstream gradients
and those autograd builds itself) equal to the NumPy API's ``grad_output`` results."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
import semsegloss_swift.torch as sst  # noqa: E402
from torch_adapter_cases import (  # noqa: E402
    UNREDUCED_CASES, as_target, close, make_case, minimal, numpy_reference, run)


# MARK: - gradcheck

GRADCHECK_CASES = [
    ("dice_loss", "binary", {}),
    ("dice_loss", "multiclass", {"mode": "multiclass"}),
    ("focal_loss", "binary", {}),
    ("tversky_loss", "binary", {"alpha": 0.7, "beta": 0.3}),
    ("cross_entropy_loss", "multiclass", {}),
    ("dice_ce_loss", "multiclass", {"mode": "multiclass"}),
    ("dice_ce_loss", "binary", {"reduction": "sum"}),
    ("dice_loss", "binary", {"reduction": "none"}),
    ("dice_loss", "multiclass", {"mode": "multiclass", "reduction": "none"}),
    ("focal_loss", "multiclass", {"mode": "multiclass", "reduction": "none"}),
]


@pytest.mark.parametrize("name,kind,opts", GRADCHECK_CASES,
                         ids=[f"{n}-{k}-{o.get('reduction', 'mean')}" for n, k, o in GRADCHECK_CASES])
def test_gradcheck(name, kind, opts):
    x, t, _ = make_case(kind, seed=3, shape=(4, 3))
    criterion = sst.Loss(name, **opts)
    target = as_target(t)
    z = torch.tensor(x, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: criterion(v, target), (z,), eps=1e-6, atol=1e-5)


def test_gradcheck_masked_dice_unreduced():
    x, t, _ = make_case("binary", seed=4, shape=(4, 3))
    m = torch.from_numpy((np.random.default_rng(4).random((2, 1, 4, 3)) < 0.7).astype(np.float64))
    criterion = sst.DiceLoss(reduction="none")
    z = torch.tensor(x, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: criterion(v, as_target(t), mask=m), (z,), eps=1e-6, atol=1e-5)


# MARK: - independent torch formulas (torch's own autograd)

def test_dice_matches_a_torch_formula():
    x, t, _ = make_case("binary", seed=5)
    z_ref = torch.tensor(x, requires_grad=True)
    g = torch.from_numpy(t)
    p = torch.sigmoid(z_ref)
    tp, ps, gs = (p * g).sum((2, 3)), p.sum((2, 3)), g.sum((2, 3))
    want = (1 - (2 * tp + 1e-5) / (ps + gs + 1e-5)).mean()
    want.backward()
    got, grad = run(sst.DiceLoss(), x, g)
    close(got, want.item(), rtol=1e-12)
    close(grad, z_ref.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_and_bce_match_torch_functional():
    x, t, _ = make_case("multiclass", seed=6)
    z_ref = torch.tensor(x, requires_grad=True)
    labels = torch.from_numpy(t)
    want = torch.nn.functional.cross_entropy(z_ref, labels)
    want.backward()
    got, grad = run(sst.CrossEntropyLoss(), x, labels)
    close(got, want.item(), rtol=1e-12)
    close(grad, z_ref.grad.numpy(), rtol=1e-10, atol=1e-15)

    xb, tb, _ = make_case("binary", seed=6)
    zb = torch.tensor(xb, requires_grad=True)
    want_b = torch.nn.functional.binary_cross_entropy_with_logits(zb, torch.from_numpy(tb), reduction="sum")
    want_b.backward()
    got_b, grad_b = run(sst.BCELoss(reduction="sum"), xb, torch.from_numpy(tb))
    close(got_b, want_b.item(), rtol=1e-12)
    close(grad_b, zb.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_hand_computed_bce_at_zero_logits():
    z = torch.zeros(1, 1, 2, 2, dtype=torch.float64, requires_grad=True)
    g = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]], dtype=torch.float64)
    out = sst.bce_loss(z, g)
    out.backward()
    assert out.item() == pytest.approx(np.log(2.0), rel=1e-14)
    # d/dz mean BCE = (sigmoid(z) - g) / n = (0.5 - g) / 4
    close(z.grad, (0.5 - g.numpy()) / 4, rtol=1e-14)


# MARK: - reduction="none"

@pytest.mark.parametrize("name,kind", UNREDUCED_CASES)
def test_reduction_none_matches_numpy(name, kind):
    x, t, base = make_case(kind, seed=1)
    opts, _, _ = numpy_reference(name, x, t, base, reduction="none")
    opts = dict(opts, reduction="none")
    function = ss.LOSSES[name]
    want_values = function(x, t, **opts)
    w = np.random.default_rng(7).normal(size=np.shape(want_values))
    _, want_grad = function(x, t, return_grad=True, grad_output=w, **opts)

    z = torch.tensor(x, requires_grad=True)
    out = sst.LOSS_CLASSES[name](**minimal(name, opts))(z, as_target(t))
    assert out.dtype == torch.float64 and out.grad_fn is not None
    assert tuple(out.shape) == np.shape(want_values)
    close(out, want_values, what=f"{name} values")
    out.backward(torch.from_numpy(w))
    close(z.grad, want_grad, what=f"{name} vjp")


@pytest.mark.parametrize("reduce", ["sum", "mean", "weighted", "slice"])
def test_reduction_none_with_derived_upstream_gradients(reduce):
    """Upstream gradients autograd builds itself (expanded, stride-0 ones from .sum(), a
    scaled one from .mean(), zeros outside a slice) give the NumPy vector-Jacobian product."""
    x, t, base = make_case("multiclass", seed=2)
    opts = dict(base, reduction="none")
    values = ss.dice_loss(x, t, **opts)
    w = {"sum": np.ones(values.shape), "mean": np.full(values.shape, 1 / values.size),
         "weighted": np.arange(values.size, dtype=np.float64).reshape(values.shape),
         "slice": np.zeros(values.shape)}[reduce]
    if reduce == "slice":
        w[:, 1] = 1.0
    _, want = ss.dice_loss(x, t, return_grad=True, grad_output=w, **opts)
    z = torch.tensor(x, requires_grad=True)
    out = sst.DiceLoss(**opts)(z, as_target(t))
    if reduce == "sum":
        out.sum().backward()
    elif reduce == "mean":
        out.mean().backward()
    elif reduce == "weighted":
        (out * torch.from_numpy(w)).sum().backward()
    else:
        out[:, 1].sum().backward()
    close(z.grad, want, rtol=1e-12, atol=1e-16)


def test_reduction_none_batch_shape():
    x, t, base = make_case("multiclass", seed=2)
    out = sst.DiceLoss(reduction="none", batch=True, **base)(torch.tensor(x, requires_grad=True), as_target(t))
    assert tuple(out.shape) == (3,)
    close(out, ss.dice_loss(x, t, reduction="none", batch=True, **base))
