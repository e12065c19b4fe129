"""semsegloss_swift.torch inside torch's autograd: upstream scaling, reuse of the loss in
a graph, accumulation and retained graphs, the no-grad paths (``torch.no_grad``,
``inference_mode``, inputs not requiring a gradient), first order only (second
derivatives raise), and a tiny training loop."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
import semsegloss_swift.torch as sst  # noqa: E402
from torch_adapter_cases import as_target, close, make_case  # noqa: E402


# MARK: - scaling, reuse, accumulation

@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_upstream_scaling_reuse_and_accumulation(reduction):
    x, t, base = make_case("binary", seed=8)
    criterion = sst.DiceBCELoss(reduction=reduction)
    target = as_target(t)
    _, want = ss.dice_bce_loss(x, t, return_grad=True, reduction=reduction)

    z = torch.tensor(x, requires_grad=True)
    (3.0 * criterion(z, target)).backward()
    close(z.grad, 3.0 * want, rtol=1e-14)

    z = torch.tensor(x, requires_grad=True)
    (criterion(z, target) + criterion(z, target)).backward()
    close(z.grad, 2.0 * want, rtol=1e-14)

    z = torch.tensor(x, requires_grad=True)
    out = criterion(z, target)
    out.backward(retain_graph=True)
    close(z.grad, want, rtol=1e-14)
    out.backward()
    close(z.grad, 2.0 * want, rtol=1e-14)

    # the loss inside a larger graph: d/dz [loss * c + sum(z^2)]
    z = torch.tensor(x, requires_grad=True)
    (criterion(z, target) * -0.5 + (z ** 2).sum()).backward()
    close(z.grad, -0.5 * want + 2 * x, rtol=1e-12, atol=1e-15)


def test_reduction_none_reuse_and_retain_graph():
    x, t, base = make_case("multiclass", seed=9)
    opts = dict(base, reduction="none")
    criterion = sst.FocalLoss(**opts)
    values = ss.focal_loss(x, t, **opts)
    w = np.random.default_rng(9).normal(size=values.shape)
    _, want = ss.focal_loss(x, t, return_grad=True, grad_output=w, **opts)
    z = torch.tensor(x, requires_grad=True)
    out = criterion(z, as_target(t))
    out.backward(torch.from_numpy(w), retain_graph=True)
    out.backward(torch.from_numpy(w))
    close(z.grad, 2 * want, rtol=1e-14)


# MARK: - no-grad paths

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_no_grad_paths(reduction):
    x, t, base = make_case("multiclass", seed=19)
    opts = dict(base, reduction=reduction)
    want = ss.dice_loss(x, t, **opts)
    criterion = sst.DiceLoss(**opts)
    target = as_target(t)
    results = []
    z = torch.tensor(x, requires_grad=True)
    with torch.no_grad():
        results.append(criterion(z, target))
    with torch.inference_mode():
        results.append(criterion(torch.tensor(x), target))
    results.append(criterion(torch.tensor(x), target))
    results.append(sst.dice_loss(torch.tensor(x), target, **opts))
    for out in results:
        assert out.grad_fn is None and not out.requires_grad
        assert out.dtype == torch.float64
        assert tuple(out.shape) == np.shape(want)
        close(out, want)
    assert z.grad is None
    with_grad = criterion(z, target)
    close(with_grad, want)


# MARK: - first order only

@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_second_order_gradients_raise(reduction):
    x, t, _ = make_case("binary", seed=24)
    criterion = sst.DiceLoss(reduction=reduction)
    target = torch.from_numpy(t)

    z = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(criterion(z, target).sum(), z, create_graph=True)
    with pytest.raises(RuntimeError):
        (g ** 2).sum().backward()
    assert z.grad is None

    # a gradient penalty where the upstream gradient itself depends on z
    z = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad((criterion(z, target) ** 2).sum(), z, create_graph=True)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(g.sum(), z)


# MARK: - training

def test_tiny_training_loop_decreases_the_loss():
    torch.manual_seed(0)
    x = torch.randn(4, 1, 12, 12)
    target = (torch.nn.functional.avg_pool2d(x, 3, 1, 1) > 0.1).float()
    model = torch.nn.Conv2d(1, 1, 3, padding=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    criterion = sst.DiceBCELoss()
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = criterion(model(x), target)
        loss.backward()
        for p in model.parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
        optimizer.step()
        losses.append(loss.item())
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0], losses
    assert min(losses[-5:]) < min(losses[:5])
