"""semsegloss_swift.torch against the NumPy API: the catalogue of loss classes, and every
loss (binary and multiclass) through every route (loss class, ``Loss`` by name, short
name or loss object, function, ``loss()``), with each non-default option and on volumes:
the same value and input gradient."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from conftest import optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
import semsegloss_swift.torch as sst  # noqa: E402
from torch_adapter_cases import (  # noqa: E402
    CASES, LOSS_NAMES, _same, as_target, close, make_case, minimal, numpy_reference, run, signature_defaults)


# MARK: - the catalogue

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


# MARK: - every loss equals the NumPy API (value and gradient)

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
    values = [v for v in SPECIAL_VALUES.get(option, [])  # a list only where the option takes one (not
              if not (annotation == "float" and isinstance(v, list))]  # unified focal's scalar weight)
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
