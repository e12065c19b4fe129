"""Targets and masks in semsegloss_swift.torch: every target kind (dtypes, NumPy arrays,
one-hot), no gradient into the target or the mask, tensors left unmodified,
non-contiguous inputs, targets and masks, and masked losses equal to the NumPy API's
``masked_loss`` (a mask on a loss that takes none raises)."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
import semsegloss_swift.torch as sst  # noqa: E402
from torch_adapter_cases import H, KINDS, W, as_target, close, make_case, run  # noqa: E402


# MARK: - targets, input untouched, strides

def test_binary_target_kinds_agree():
    x, t, _ = make_case("binary", seed=13)
    want_value, want_grad = ss.dice_bce_loss(x, t, return_grad=True)
    targets = {
        "float64": torch.from_numpy(t), "float32": torch.from_numpy(t).float(),
        "float16": torch.from_numpy(t).half(), "bool": torch.from_numpy(t).bool(),
        "int64": torch.from_numpy(t).long(), "uint8": torch.from_numpy(t).to(torch.uint8),
        "numpy": t, "numpy-bool": t.astype(bool),
    }
    for kind, target in targets.items():
        out, grad = run(sst.DiceBCELoss(), x, target)
        close(out, want_value, what=kind)
        close(grad, want_grad, what=kind)


def test_multiclass_label_map_kinds_agree():
    x, t, base = make_case("multiclass", seed=14)
    want_value, want_grad = ss.dice_ce_loss(x, t, return_grad=True, **base)
    labels = torch.from_numpy(t)
    targets = {"int64": labels, "int32": labels.int(), "uint8": labels.to(torch.uint8),
               "numpy-int64": t, "numpy-int32": t.astype(np.int32),
               "one-hot-float": torch.nn.functional.one_hot(labels, 3).permute(0, 3, 1, 2).double()}
    for kind, target in targets.items():
        out, grad = run(sst.DiceCELoss(**base), x, target)
        close(out, want_value, what=kind)
        close(grad, want_grad, what=kind)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_target_gets_no_grad_and_tensors_are_not_modified(reduction):
    x, t, _ = make_case("binary", seed=15)
    z = torch.tensor(x, requires_grad=True)
    target = torch.tensor(t, requires_grad=True)
    z_before, t_before = z.detach().clone(), target.detach().clone()
    out = sst.DiceLoss(reduction=reduction)(z, target)
    out.sum().backward()
    assert target.grad is None
    assert torch.equal(target.detach(), t_before)
    assert torch.equal(z.detach(), z_before)
    assert z.grad is not None and torch.isfinite(z.grad).all()


def test_target_and_mask_requiring_grad_do_not_leak_into_autograd():
    x, t, _ = make_case("binary", seed=16)
    m = torch.ones(2, 1, H, W, dtype=torch.float64, requires_grad=True)
    target = torch.tensor(t, requires_grad=True)
    z = torch.tensor(x, requires_grad=True)
    out = sst.DiceLoss()(z, target, mask=m)
    out.backward()
    assert target.grad is None and m.grad is None
    grads = torch.autograd.grad(sst.DiceLoss()(z, target, mask=m), (z, target, m), allow_unused=True)
    assert grads[0] is not None and grads[1] is None and grads[2] is None


def _noncontiguous_inputs(kind):
    x, t, base = make_case(kind, seed=17)
    n, c = x.shape[:2]
    rng = np.random.default_rng(17)
    wide = rng.normal(size=(n, c, H, 2 * W))
    extra = rng.normal(size=(n, c + 2, H, W))
    return base, t, {
        "permuted": torch.from_numpy(np.ascontiguousarray(x.transpose(0, 1, 3, 2))).permute(0, 1, 3, 2),
        "strided": torch.from_numpy(wide)[..., ::2],
        "channel-slice": torch.from_numpy(extra)[:, 1:1 + c],
        "expanded": torch.from_numpy(x[:1]).expand(n, c, H, W),
    }


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("kind", KINDS)
def test_noncontiguous_input_equals_contiguous_copy(kind, reduction):
    base, t, inputs = _noncontiguous_inputs(kind)
    opts = dict(base, reduction=reduction)
    name = "dice_loss" if reduction == "none" else "dice_ce_loss"  # dice_ce has no "none"
    criterion = sst.Loss(name, **opts)
    for label, view in inputs.items():
        assert not view.is_contiguous(), label
        leaf = view.detach().requires_grad_()
        dense = view.contiguous().detach().requires_grad_()
        out_view, out_dense = criterion(leaf, as_target(t)), criterion(dense, as_target(t))
        w = torch.linspace(0.5, 2.0, out_dense.numel(), dtype=torch.float64).reshape(out_dense.shape)
        out_view.backward(w)
        out_dense.backward(w)
        close(out_view, out_dense.detach().numpy(), what=label)
        close(leaf.grad, dense.grad.numpy(), what=label)
        close(out_dense, ss.LOSSES[name](dense.detach().numpy(), t, **opts), what=label)


def test_noncontiguous_target_and_mask():
    x, t, _ = make_case("binary", seed=18)
    rng = np.random.default_rng(18)
    m = (rng.random((2, 1, H, W)) < 0.6).astype(np.float64)
    want_value, want_grad = ss.masked_loss(x, t, m, loss="dice_loss", return_grad=True)
    t_view = torch.from_numpy(np.ascontiguousarray(t.transpose(0, 1, 3, 2))).permute(0, 1, 3, 2)
    m_view = torch.from_numpy(np.ascontiguousarray(m.transpose(0, 1, 3, 2))).permute(0, 1, 3, 2)
    assert not t_view.is_contiguous() and not m_view.is_contiguous()
    out, grad = run(sst.DiceLoss(), x, t_view, mask=m_view)
    close(out, want_value)
    close(grad, want_grad)
    # one mask for the batch, expanded (stride 0)
    m1 = m[:1]
    want_value, want_grad = ss.masked_loss(x, t, np.broadcast_to(m1, m.shape).copy(), return_grad=True)
    out, grad = run(sst.DiceLoss(), x, torch.from_numpy(t), mask=torch.from_numpy(m1).expand(2, 1, H, W))
    close(out, want_value)
    close(grad, want_grad)


# MARK: - masks

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ss.MASKABLE_LOSSES)
def test_masked_losses_match_numpy(name, kind):
    x, t, base = make_case(kind, seed=20)
    m = (np.random.default_rng(20).random((2, 1, H, W)) < 0.6).astype(np.float64)
    try:
        want_value, want_grad = ss.masked_loss(x, t, m, loss=name, return_grad=True, **base)
    except ValueError as error:
        pytest.fail(f"NumPy API refuses: {error}")
    for label, mask in {"float": torch.from_numpy(m), "bool": torch.from_numpy(m).bool(), "numpy": m}.items():
        out, grad = run(sst.LOSS_CLASSES[name](**base), x, as_target(t), mask=mask)
        close(out, want_value, what=label)
        close(grad, want_grad, what=label)
        assert np.all(grad.numpy()[np.broadcast_to(m == 0, grad.shape)] == 0)
    out, grad = run(lambda z, tt, **k: getattr(sst, name)(z, tt, **base, **k), x, as_target(t),
                    mask=torch.from_numpy(m))
    close(out, want_value)
    close(grad, want_grad)
    out, grad = run(lambda z, tt, **k: sst.loss(name, z, tt, **base, **k), x, as_target(t),
                    mask=torch.from_numpy(m))
    close(out, want_value)
    close(grad, want_grad)


def test_masked_dice_brief_example_and_reduction_none():
    x, t, _ = make_case("binary", seed=21)
    rng = np.random.default_rng(21)
    m = rng.random((2, 1, H, W))  # soft mask
    want_value, want_grad = ss.masked_loss(x, t, m, loss="dice_loss", return_grad=True)
    out, grad = run(sst.DiceLoss(), x, torch.from_numpy(t), mask=torch.from_numpy(m))
    close(out, want_value)
    close(grad, want_grad)

    values = ss.masked_loss(x, t, m, loss="dice_loss", reduction="none")
    w = rng.normal(size=values.shape)
    _, want = ss.masked_loss(x, t, m, loss="dice_loss", reduction="none", return_grad=True, grad_output=w)
    z = torch.tensor(x, requires_grad=True)
    out = sst.DiceLoss(reduction="none")(z, torch.from_numpy(t), mask=torch.from_numpy(m))
    close(out, values)
    out.backward(torch.from_numpy(w))
    close(z.grad, want)
    with torch.no_grad():
        close(sst.DiceLoss()(torch.tensor(x), torch.from_numpy(t), mask=torch.from_numpy(m)), want_value)


def test_mask_on_a_non_maskable_loss_raises():
    x, t, _ = make_case("binary", seed=22)
    z = torch.tensor(x, requires_grad=True)
    m = torch.ones(2, 1, H, W)
    for call in (lambda: sst.FocalLoss()(z, torch.from_numpy(t), mask=m),
                 lambda: sst.focal_loss(z, torch.from_numpy(t), mask=m),
                 lambda: sst.loss("bce", z, torch.from_numpy(t), mask=m),
                 lambda: sst.DiceBCELoss()(z.detach(), torch.from_numpy(t), mask=m)):
        with pytest.raises(ValueError, match="mask"):
            call()
    assert z.grad is None
