"""semsegloss_swift.torch: the PyTorch adapter. Every loss through the adapter equals the
NumPy API (value and input gradient, reduced and unreduced with an upstream gradient),
gradcheck, autograd bookkeeping (scaling, reuse, accumulation, no-grad paths, first order
only), dtypes, target kinds, strides, masks, errors, presets and loss objects, a training
loop, repr/pickling and the module's doctests."""
from __future__ import annotations

import copy
import doctest
import inspect
import io
import pickle

import numpy as np
import pytest

from conftest import assert_close, optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
import semsegloss_swift.torch as sst  # noqa: E402
from semsegloss_swift.presets import PRESETS, preset  # noqa: E402

LOSS_NAMES = list(ss.LOSSES)
H, W = 9, 7
KINDS = ("binary", "multiclass")


# MARK: - helpers

def make_case(kind: str, seed: int = 0, shape=(H, W), channels: int = 3):
    """(logits float64 array, target array, base options) for a binary (N,1,H,W) case with
    0/1 targets or a multiclass (N,C,H,W) case with an int64 label map (N,H,W)."""
    rng = np.random.default_rng(seed)
    if kind == "binary":
        x = rng.normal(0.0, 1.5, (2, 1) + tuple(shape))
        t = (rng.random(x.shape) < 0.4).astype(np.float64)
        return x, t, {}
    x = rng.normal(0.0, 1.5, (2, channels) + tuple(shape))
    t = rng.integers(0, channels, (2,) + tuple(shape)).astype(np.int64)
    return x, t, {"mode": "multiclass"}


def option_candidates(name: str, base: dict):
    """The options tried, in order: the base ones, then (for the SSIM-based losses, whose
    default 11-pixel window does not fit 9x7 images) a smaller window."""
    yield dict(base)
    if "win_size" in inspect.signature(ss.LOSSES[name]).parameters:
        yield dict(base, win_size=5)


def numpy_reference(name: str, x, t, base: dict, **extra):
    """(options, value, grad) of the first option set the NumPy API accepts (the cases are
    filtered by `accepted` when collected, so a refusal here is a failure)."""
    errors = []
    for opts in option_candidates(name, base):
        try:
            value, grad = ss.LOSSES[name](x, t, return_grad=True, **opts, **extra)
        except ValueError as error:
            errors.append(str(error))
            continue
        return opts, value, grad
    pytest.fail(f"NumPy API refuses {name} here: {errors[-1][:120]}")


def accepted(name: str, kind: str, **extra) -> bool:
    """Whether the NumPy API computes `name` on the `kind` case with `extra` options (some
    losses are binary-only or multiclass-only, some have no reduction="none")."""
    x, t, base = make_case(kind)
    for opts in option_candidates(name, base):
        try:
            ss.LOSSES[name](x, t, **opts, **extra)
            return True
        except ValueError:
            continue
    return False


#: (name, kind) pairs the NumPy API computes: only those are parametrised (no skips).
CASES = [(name, kind) for name in LOSS_NAMES for kind in KINDS if accepted(name, kind)]
UNREDUCED_CASES = [(name, kind) for name, kind in CASES if accepted(name, kind, reduction="none")]


def signature_defaults(name: str) -> dict:
    return {k: p.default for k, p in inspect.signature(ss.LOSSES[name]).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY}


def minimal(name: str, opts: dict) -> dict:
    """opts less those equal to the function's defaults (so that the adapter must supply
    the same defaults as the NumPy function, e.g. mode="multiclass" for cross_entropy)."""
    defaults = signature_defaults(name)
    return {k: v for k, v in opts.items() if not (k in defaults and _same(defaults[k], v))}


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def as_target(t):
    return torch.from_numpy(np.array(t))


def close(got, want, rtol=1e-12, atol=0.0, what=""):
    if isinstance(got, torch.Tensor):
        got = got.detach().to(torch.float64).numpy()
    assert_close(got, want, rtol=rtol, atol=atol, what=what)


def run(criterion, x_array, target, dtype=torch.float64, **kwargs):
    """(loss tensor, input grad) of criterion on a fresh leaf made from x_array."""
    z = torch.tensor(x_array, dtype=dtype, requires_grad=True)
    out = criterion(z, target, **kwargs)
    out.backward()
    return out, z.grad


# MARK: - 0. the catalogue

def test_catalogue_matches_numpy_api():
    assert list(sst.LOSS_CLASSES) == LOSS_NAMES
    for name, cls in sst.LOSS_CLASSES.items():
        assert cls.__name__ == ss.LOSS_CLASSES[name].__name__
        assert getattr(sst, cls.__name__) is cls
        assert issubclass(cls, sst.Loss) and issubclass(cls, torch.nn.Module)
        assert callable(getattr(sst, name))
        assert cls.__name__ in sst.__all__ and name in sst.__all__
    assert sst.Loss().name == "dice_loss"
    assert list(sst.DiceLoss().parameters()) == []


# MARK: - 1. every loss equals the NumPy API (value and gradient)

@pytest.mark.parametrize("name,kind", CASES)
def test_every_loss_matches_numpy(name, kind):
    x, t, base = make_case(kind)
    explicit, want_value, want_grad = numpy_reference(name, x, t, base)
    opts = minimal(name, explicit)
    target = as_target(t)
    short = name[:-len("_loss")]
    routes = {
        "explicit options": lambda z: sst.LOSS_CLASSES[name](**explicit)(z, target),
        "module": lambda z: sst.LOSS_CLASSES[name](**opts)(z, target),
        "Loss(name)": lambda z: sst.Loss(name, **opts)(z, target),
        "Loss(short)": lambda z: sst.Loss(short, **opts)(z, target),
        "function": lambda z: getattr(sst, name)(z, target, **opts),
        "loss()": lambda z: sst.loss(short, z, target, **opts),
        "Loss(object)": lambda z: sst.Loss(ss.LOSS_CLASSES[name](**opts))(z, target),
    }
    for route, call in routes.items():
        z = torch.tensor(x, requires_grad=True)
        out = call(z)
        assert out.dtype == torch.float64 and out.shape == () and out.requires_grad, route
        out.backward()
        close(out, want_value, what=f"{name} {kind} {route} value")
        assert z.grad is not None and z.grad.shape == z.shape, route
        close(z.grad, want_grad, what=f"{name} {kind} {route} grad")


#: Values tried for options whose default is None (or that need a specific kind of value).
SPECIAL_VALUES = {
    "weight": [[0.2, 0.3, 0.5]], "alpha": [0.25], "reduced_threshold": [0.5], "beta": [0.3],
    "pos_weight": [2.0], "spacing": [(1.0, 2.0)], "weight_type": ["simple", "uniform"],
    "dist_matrix": [np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5], [1.0, 0.5, 0.0]])],
    "classes": ["all"], "variant": ["symmetric"], "weighting_mode": ["GDL"], "distance_type": ["l2"],
    "kernel_ops": ["gaussian"], "normalize_map": ["max"], "empty": ["skip", "penalize_fp"],
}
SKIPPED_OPTIONS = {"mode", "from_logits", "reduction", "ignore_index", "return_grad", "grad_output",
                   "scale_weights", "win_size", "soft_label", "include_background"}


def alternatives(name: str, option: str, default):
    """A few non-default values of `option` (each checked through the NumPy API first)."""
    annotation = str(inspect.signature(ss.LOSSES[name]).parameters[option].annotation)
    values = list(SPECIAL_VALUES.get(option, []))
    if isinstance(default, bool):
        values.append(not default)
    elif isinstance(default, int):
        values.append(default + 2)
    elif isinstance(default, float):
        values.append(default * 0.5 + 0.05)
    if default is not None and "Optional" in annotation:
        values.append(None)
    return [v for v in values if not _same(v, default)]


@pytest.mark.parametrize("name,kind", CASES)
def test_non_default_options_match_numpy(name, kind):
    """Each option of each loss set to a non-default value (derived options such as focal's
    alpha=None, converted ones such as dist_matrix or spacing) and the common ones
    (include_background=False, ignore_index, reduction="sum"): the adapter equals NumPy."""
    x, t, base = make_case(kind, seed=31)
    opts, _, _ = numpy_reference(name, x, t, base)
    trials = [{"include_background": False}, {"reduction": "sum"}]
    if kind == "multiclass":
        trials.append({"ignore_index": 2})
    for option, default in signature_defaults(name).items():
        if option not in SKIPPED_OPTIONS:
            trials += [{option: value} for value in alternatives(name, option, default)]
    checked = 0
    for extra in trials:
        options = dict(opts, **extra)
        try:
            want_value, want_grad = ss.LOSSES[name](x, t, return_grad=True, **options)
        except ValueError:
            continue
        out, grad = run(sst.LOSS_CLASSES[name](**options), x, as_target(t))
        close(out, want_value, what=f"{name} {extra} value")
        close(grad, want_grad, what=f"{name} {extra} grad")
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("name,kind", [("dice_loss", "binary"), ("hausdorff_dt_loss", "binary"),
                                       ("dice_ce_loss", "multiclass"), ("lovasz_softmax_loss", "multiclass")])
def test_volumes_match_numpy(name, kind):
    """(N, C, D, H, W) inputs: the adapter is not tied to 2-D images."""
    x, t, base = make_case(kind, seed=32, shape=(4, 5, 3))
    want_value, want_grad = ss.LOSSES[name](x, t, return_grad=True, **base)
    out, grad = run(sst.Loss(name, **base), x, as_target(t))
    close(out, want_value)
    close(grad, want_grad)


# MARK: - 2. gradcheck

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


# MARK: - 3. reduction="none"

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


# MARK: - 4. scaling, reuse, accumulation

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


# MARK: - 5. dtypes

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


# MARK: - 6. targets, input untouched, strides

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


# MARK: - 7. no-grad paths

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


# MARK: - 8. masks

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


# MARK: - 9. errors

def test_errors_name_the_argument():
    x, t, _ = make_case("binary", seed=23)
    z = torch.tensor(x, requires_grad=True)
    target = torch.from_numpy(t)
    with pytest.raises(TypeError, match="smooth"):
        sst.DiceLoss(smoooth_nr=1.0)
    with pytest.raises(TypeError, match="bogus"):
        sst.Loss("dice", bogus=1)
    with pytest.raises(TypeError, match="bogus"):
        sst.dice_loss(z, target, bogus=1)
    with pytest.raises(TypeError, match="bogus"):
        sst.loss("dice", z, target, bogus=1)
    with pytest.raises(ValueError, match="loss"):
        sst.Loss("no_such")
    with pytest.raises(ValueError, match="loss"):
        sst.loss("no_such", z, target)
    with pytest.raises(TypeError, match="loss"):
        sst.Loss(42)
    # values are checked by the library on the call
    criterion = sst.DiceLoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        criterion(z, target)
    with pytest.raises(ValueError, match="target"):
        sst.DiceLoss()(z, target[:, :, :5])
    with pytest.raises(ValueError, match="target"):
        sst.DiceLoss(reduction="none")(z, target[:, :, :5])
    with pytest.raises(ValueError, match="input"):
        sst.CrossEntropyLoss()(z, target.long()[:, 0])  # one channel: not multiclass
    bad = torch.tensor(x)
    bad[0, 0, 1, 2] = float("nan")
    for leaf in (bad.clone().requires_grad_(), bad):
        for reduction in ("mean", "none"):
            with pytest.raises(ValueError, match="input"):
                sst.DiceLoss(reduction=reduction)(leaf, target)
    bad[0, 0, 1, 2] = float("inf")
    with pytest.raises(ValueError, match="input"):
        sst.DiceLoss()(bad.requires_grad_(), target)
    assert z.grad is None


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


# MARK: - 10. presets and loss objects

PRESET_CASES = [(lib, name) for lib, table in PRESETS.items() for name in table]


@pytest.mark.parametrize("library,name", PRESET_CASES, ids=[f"{a}-{b}" for a, b in PRESET_CASES])
def test_presets_through_the_adapter(library, name):
    candidates = [("binary", preset(library, name)), ("multiclass", preset(library, name)),
                  ("multiclass", preset(library, name, mode="multiclass"))]
    for kind, obj in candidates:
        x, t, _ = make_case(kind, seed=25, shape=(12, 11))
        if not obj.options.get("from_logits", True):
            x = 1 / (1 + np.exp(-x)) if kind == "binary" else np.exp(x) / np.exp(x).sum(1, keepdims=True)
        try:
            want_value, want_grad = obj(x, t, return_grad=True)
        except ValueError:
            continue
        for criterion in (sst.Loss(obj), lambda z, tt: sst.loss(obj, z, tt)):
            out, grad = run(criterion, x, as_target(t))
            close(out, want_value, what=kind)
            close(grad, want_grad, what=kind)
        return
    pytest.fail("NumPy API refuses both binary and multiclass inputs")


def test_smp_dice_preset_and_configured_objects():
    x, t, _ = make_case("binary", seed=26)
    obj = preset("smp", "dice")
    want_value, want_grad = obj(x, t, return_grad=True)
    out, grad = run(sst.Loss(obj), x, torch.from_numpy(t))
    close(out, want_value)
    close(grad, want_grad)

    tversky = ss.TverskyLoss(alpha=0.7, beta=0.3)
    want_value, want_grad = tversky(x, t, return_grad=True)
    out, grad = run(sst.Loss(tversky), x, torch.from_numpy(t))
    close(out, want_value)
    close(grad, want_grad)
    # the same as sst.TverskyLoss(alpha=0.7, beta=0.3) and different from the default
    close(sst.TverskyLoss(alpha=0.7, beta=0.3)(torch.tensor(x), torch.from_numpy(t)), want_value)
    assert sst.TverskyLoss()(torch.tensor(x), torch.from_numpy(t)).item() != pytest.approx(want_value, rel=1e-6)

    with pytest.raises(TypeError):
        sst.Loss(tversky, alpha=0.5)
    with pytest.raises(TypeError):
        sst.loss(tversky, torch.tensor(x), torch.from_numpy(t), alpha=0.5)


def test_loss_object_options_are_copied():
    obj = ss.DiceLoss(smooth_nr=0.5)
    criterion = sst.Loss(obj)
    obj.options["smooth_nr"] = 3.0
    assert criterion.options == {"smooth_nr": 0.5}


# MARK: - 11. training

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


# MARK: - 12. repr, copies, pickling

def test_repr_shows_name_and_options():
    text = repr(sst.DiceLoss(smooth_nr=0.0, batch=True))
    assert "DiceLoss" in text and "'dice_loss'" in text
    assert "smooth_nr=0.0" in text and "batch=True" in text
    text = repr(sst.Loss(ss.TverskyLoss(alpha=0.7, beta=0.3)))
    assert "tversky_loss" in text and "alpha=0.7" in text and "beta=0.3" in text
    assert "focal_tversky_loss" in repr(sst.Loss("focal_tversky"))


def test_copies_and_pickles_compute_the_same():
    x, t, base = make_case("multiclass", seed=27)
    criterion = sst.DiceFocalLoss(gamma=1.5, **base)
    want, want_grad = run(criterion, x, as_target(t))
    buffer = io.BytesIO()
    torch.save(criterion, buffer)
    buffer.seek(0)
    copies = [copy.deepcopy(criterion), pickle.loads(pickle.dumps(criterion)),
              torch.load(buffer, weights_only=False),
              torch.nn.Sequential(criterion).__getitem__(0)]
    for other in copies:
        assert type(other) is type(criterion)
        assert other.name == criterion.name and other.options == criterion.options
        out, grad = run(other, x, as_target(t))
        assert out.item() == want.item()
        assert torch.equal(grad, want_grad)


# MARK: - 13. doctests

def test_module_doctests():
    with_examples = {test.name for test in doctest.DocTestFinder().find(sst) if test.examples}
    for own in ("semsegloss_swift.torch", "semsegloss_swift.torch.Loss", "semsegloss_swift.torch.loss"):
        assert own in with_examples
    result = doctest.testmod(sst, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_peer_option_names_get_the_name_used_here():
    """MONAI's sigmoid=True and smp's smooth in the torch adapter: the same TypeError as the
    NumPy functions (`_option_hints`)."""
    x, y = torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    for call in (lambda: sst.DiceLoss(sigmoid=True), lambda: sst.dice_loss(x, y, sigmoid=True)):
        with pytest.raises(TypeError, match=r"^dice_loss: unknown option 'sigmoid': MONAI's sigmoid=True is from_logits"):
            call()
    with pytest.raises(TypeError, match=r"smooth_nr and smooth_dr here"):
        sst.Loss("dice", smooth=1.0)
