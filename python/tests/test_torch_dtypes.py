"""Input dtypes of semsegloss_swift.torch: float32 equals the NumPy API in float32,
float16 / bfloat16 are computed in float32 and rounded to the input dtype (also with
reduction="none"), and other input types (integer, bool, complex tensors, NumPy arrays,
lists) raise a TypeError naming the input."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
import semsegloss_swift.torch as sst  # noqa: E402
from torch_adapter_cases import close, make_case, run  # noqa: E402


# MARK: - dtypes

@pytest.mark.parametrize("name,kind", [("dice_loss", "binary"), ("focal_loss", "binary"),
                                       ("cross_entropy_loss", "multiclass"),
                                       ("lovasz_softmax_loss", "multiclass"),
                                       ("dice_ce_loss", "multiclass")])
def test_float32_matches_numpy_float32(name, kind):
    x, t, base = make_case(kind, seed=10)
    x32 = x.astype(np.float32)
    t_np = t.astype(np.float32) if kind == "binary" else t
    want_value, want_grad = ss.LOSSES[name](x32, t_np, return_grad=True, **base)
    assert want_grad.dtype == np.float32
    for target in (torch.from_numpy(t_np), torch.from_numpy(t)):  # float32 or float64/int64 target
        out, grad = run(sst.Loss(name, **base), x32, target, dtype=torch.float32)
        assert out.dtype == torch.float32 and grad.dtype == torch.float32
        assert out.item() == pytest.approx(want_value, rel=1e-6)
        close(grad, want_grad, rtol=0.0)

    opts = dict(base, reduction="none")
    try:
        values = ss.LOSSES[name](x32, t_np, **opts)
    except ValueError:  # the NumPy API has no reduction="none" for this loss
        return
    w = np.random.default_rng(10).normal(size=values.shape).astype(np.float32)
    _, want_none = ss.LOSSES[name](x32, t_np, return_grad=True, grad_output=w, **opts)
    z = torch.tensor(x32, requires_grad=True)
    out = sst.Loss(name, **opts)(z, torch.from_numpy(t_np))
    assert out.dtype == torch.float32
    close(out, values, rtol=0.0)
    out.backward(torch.from_numpy(w))
    assert z.grad.dtype == torch.float32
    close(z.grad, want_none, rtol=0.0)


HALF = [(torch.float16, 2e-3), (torch.bfloat16, 2e-2)]


@pytest.mark.parametrize("dtype,tol", HALF, ids=["float16", "bfloat16"])
@pytest.mark.parametrize("name,kind", [("dice_loss", "binary"), ("dice_ce_loss", "multiclass"),
                                       ("focal_loss", "binary")])
def test_half_precision_inputs(dtype, tol, name, kind):
    x, t, base = make_case(kind, seed=11)
    z = torch.tensor(x).to(dtype).requires_grad_()
    # reference: the same (rounded) logits, in float32 and float64 through the NumPy API
    x32 = z.detach().to(torch.float32).numpy()
    v32, g32 = ss.LOSSES[name](x32, t, return_grad=True, **base)
    v64, g64 = ss.LOSSES[name](x32.astype(np.float64), t, return_grad=True, **base)
    target = torch.from_numpy(t).to(dtype) if kind == "binary" else torch.from_numpy(t)
    out = sst.Loss(name, **base)(z, target)
    out.backward()
    assert out.dtype == dtype and z.grad.dtype == dtype
    # the float32 results rounded to the input dtype
    assert out.item() == torch.tensor(v32, dtype=torch.float32).to(dtype).item()
    assert torch.equal(z.grad, torch.from_numpy(g32).to(dtype))
    # and close to the exact results
    assert out.item() == pytest.approx(v64, rel=tol)
    scale = np.abs(g64).max()
    close(z.grad, g64, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_half_precision_reduction_none(dtype):
    x, t, base = make_case("multiclass", seed=12)
    opts = dict(base, reduction="none")
    z = torch.tensor(x).to(dtype).requires_grad_()
    x32 = z.detach().float().numpy()
    values = ss.dice_loss(x32, t, **opts)
    w16 = torch.from_numpy(np.random.default_rng(12).normal(size=values.shape)).to(dtype)
    _, want = ss.dice_loss(x32, t, return_grad=True, grad_output=w16.float().numpy(), **opts)
    out = sst.DiceLoss(**opts)(z, torch.from_numpy(t))
    assert out.dtype == dtype
    assert torch.equal(out, torch.from_numpy(values).to(dtype))
    out.backward(w16)
    assert z.grad.dtype == dtype
    assert torch.equal(z.grad, torch.from_numpy(want).to(dtype))


@pytest.mark.parametrize("bad", [torch.zeros(2, 1, 4, 4, dtype=torch.long),
                                 torch.zeros(2, 1, 4, 4, dtype=torch.int32),
                                 torch.zeros(2, 1, 4, 4, dtype=torch.bool),
                                 torch.zeros(2, 1, 4, 4, dtype=torch.complex64),
                                 np.zeros((2, 1, 4, 4)),
                                 [[[[0.0]]]]],
                         ids=["int64", "int32", "bool", "complex", "numpy", "list"])
def test_bad_input_types_raise_type_error_naming_input(bad):
    target = torch.ones(2, 1, 4, 4)
    for call in (lambda: sst.DiceLoss()(bad, target), lambda: sst.dice_loss(bad, target),
                 lambda: sst.DiceLoss(reduction="none")(bad, target)):
        with pytest.raises(TypeError, match="input"):
            call()
        with torch.no_grad(), pytest.raises(TypeError, match="input"):
            call()
