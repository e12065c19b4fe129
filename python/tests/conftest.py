"""Shared fixtures: the golden file, tolerance helpers, hypothesis settings, loss tables."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # make `import oracles` work whatever the rootdir
    sys.path.insert(0, str(HERE))

REPO_ROOT = HERE.parents[1]
GOLDEN_PATH = REPO_ROOT / "Tests" / "Fixtures" / "golden.json"

settings.register_profile("semseg", deadline=None, max_examples=30, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("semseg")

#: Region losses accept these options (besides the common ones).
REGION_LOSSES = ("dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss")
PIXEL_LOSSES = ("bce_loss", "focal_loss")
ALL_LOSSES = PIXEL_LOSSES + REGION_LOSSES + ("dice_bce_loss",)
SQUARED_LOSSES = ("dice_loss", "jaccard_loss", "dice_bce_loss")
#: Distance-map losses and surface metrics (issue 4): tested in test_boundary_losses*.py and
#: test_distance_metrics.py (spatial maps, no region options, no golden-file entries); the
#: Hausdorff erosion loss (per-voxel values too) has its own test_hausdorff_er.py.
DISTANCE_LOSSES = ("hausdorff_dt_loss", "log_hausdorff_dt_loss", "boundary_loss",
                   "distance_penalized_ce_loss", "shape_aware_loss", "hausdorff_er_loss")
#: The Lovász family (issue 3): tested in test_lovasz_*.py (own golden file).
LOVASZ_LOSSES = ("lovasz_hinge_loss", "lovasz_softmax_loss", "ssim_loss")
SURFACE_METRIC_NAMES = ("hausdorff_distance", "average_surface_distance", "normalized_surface_dice")
METRIC_NAMES = ("iou", "dice_score", "precision", "recall", "specificity", "accuracy", "f_beta", "mcc")


def load_golden() -> dict:
    with open(GOLDEN_PATH) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def golden() -> dict:
    """The whole golden fixture shared with the Swift suite."""
    return load_golden()


def pytest_generate_tests(metafunc):
    """`golden_loss_case` / `golden_metric_case` parametrize over every case of golden.json."""
    if "golden_loss_case" in metafunc.fixturenames or "golden_metric_case" in metafunc.fixturenames:
        data = load_golden()
        if "golden_loss_case" in metafunc.fixturenames:
            cases = data["losses"]
            metafunc.parametrize("golden_loss_case", cases, ids=[c["name"].replace(" ", "_") for c in cases])
        if "golden_metric_case" in metafunc.fixturenames:
            cases = data["metrics"]
            metafunc.parametrize("golden_metric_case", cases, ids=[c["name"] for c in cases])


def golden_options(case: dict) -> dict:
    """Python keyword options of a golden case, passed verbatim (None is a Python value:
    ``ignore_index=None`` is "no ignore index", ``alpha=None`` is "no class weighting")."""
    return dict(case["options"])


def golden_arrays(case: dict, dtype) -> tuple:
    shape = tuple(case["shape"])
    x = np.asarray(case["input"], dtype=np.float64).reshape(shape).astype(dtype)
    g = np.asarray(case["target"], dtype=np.float64).reshape(shape).astype(dtype)
    return x, g


def assert_close(got, want, rtol, atol=0.0, what=""):
    """Elementwise |got - want| <= atol + rtol |want|; NaN must match NaN, +-inf the same inf."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    nan_got, nan_want = np.isnan(got), np.isnan(want)
    assert np.array_equal(nan_got, nan_want), f"{what}: NaN pattern differs\n got={got}\nwant={want}"
    inf_want = np.isinf(want)
    assert np.array_equal(got[inf_want], want[inf_want]), f"{what}: infinities differ\n got={got}\nwant={want}"
    ok = ~nan_want & ~inf_want
    err = np.abs(got[ok] - want[ok])
    bound = atol + rtol * np.abs(want[ok])
    if err.size and not np.all(err <= bound):
        i = int(np.argmax(err - bound))
        raise AssertionError(f"{what}: max violation at {i}: got {got[ok][i]!r}, want {want[ok][i]!r} "
                             f"(|err| {err[i]:.3g} > {bound[i]:.3g}; rtol={rtol}, atol={atol})")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def numeric_grad(fn, x, h=1e-6):
    """d fn(x) / dx by central differences, element by element (fn returns a float)."""
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        out[i] = (fn(xp) - fn(xm)) / (2 * h)
    return out


def raises_naming(exc, fn, *args, names=(), **kwargs):
    """Calls fn, expecting exc whose message contains every string of names."""
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    for n in names:
        assert n in str(info.value), (n, str(info.value))


def optional_module(name: str):
    """Imports an optional dependency of a test module (torch, monai). Without it the
    module is skipped, unless SEMSEG_REQUIRE_OPTIONAL=1 (set by scripts/test.sh, which
    installs them): then the import error fails the run instead of hiding the tests."""
    import importlib
    import os
    if os.environ.get("SEMSEG_REQUIRE_OPTIONAL") == "1":
        return importlib.import_module(name)
    return pytest.importorskip(name)
