"""Shared pieces of the PyTorch adapter tests (test_torch_*.py, the peer comparisons apart):
random binary / multiclass cases, the NumPy API reference of a loss on them, the
(name, kind) pairs it computes (``CASES``, ``UNREDUCED_CASES``), option helpers, and the
torch-side helpers ``as_target``, ``close`` and ``run``."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from conftest import assert_close, optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)

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
