"""smp's focal-loss options through the public API: ``reduced_threshold`` (reduced focal
loss) and ``normalized``. A NumPy oracle of the documented formulas on random problems
(binary, multilabel, multiclass), smp's own formula on hard targets, finite-difference
gradients, edge cases and bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import semsegloss_swift as ss
from conftest import assert_close, numeric_grad
from strategies import include_background, problems

EPS = 1e-7
TOL = {np.float64: (1e-10, 1e-12), np.float32: (2e-5, 2e-5)}


def _modulation(x, pt, gamma, th):
    """x^gamma, or smp's reduced factor ((x/th)^gamma where pt >= th, else 1)."""
    base = x ** gamma
    return base if th is None else np.where(pt >= th, base / th ** gamma, 1.0)


def oracle(input, target, *, mode="binary", from_logits=True, reduction="mean", ignore_index=None,
           include_background=True, alpha=0.25, gamma=2.0, reduced_threshold=None, normalized=False):
    """The focal loss with both options, float64 (docstring formulas)."""
    x = np.asarray(input)
    dt = x.dtype.type if x.dtype in (np.float32, np.float64) else np.float64
    th = reduced_threshold
    if mode == "multiclass":
        c = x.shape[1]
        t = np.asarray(target)
        lab = t.astype(np.int64)
        valid = np.ones(lab.shape, bool) if ignore_index is None else lab != ignore_index
        g = np.stack([(lab == k) & valid for k in range(c)], 1).astype(np.float64)
        z = x.astype(np.float64)
        if from_logits:
            logp = z - z.max(1, keepdims=True)
            logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
            p = np.exp(logp)
        else:
            p = z
            logp = np.log(np.clip(z, EPS, 1 - EPS))
        w = np.array([1.0] * c) if alpha is None else np.array([1 - alpha] + [alpha] * (c - 1))
        if not include_background:
            w[0] = 0.0
        keep = (w > 0).astype(np.float64).reshape((1, c) + (1,) * (x.ndim - 2))
        w = w.reshape(keep.shape)
        m = _modulation(np.maximum(1 - p, 0), p, gamma, th)
        terms = -(w * g * m * logp).sum(1)
        total, count = terms[valid].sum(), valid.sum()
        msum = (keep * g * m).sum()
    else:
        g = np.asarray(target, dtype=np.float64)
        valid = np.ones(g.shape, bool) if ignore_index is None else g != ignore_index
        if not include_background:
            valid[:, 0] = False
        g = np.where(valid, g, 0.0)
        z = x.astype(np.float64)
        if from_logits:
            sp = lambda t: np.maximum(t, 0) + np.log1p(np.exp(-np.abs(t)))  # noqa: E731
            logp, logq = -sp(-z), -sp(z)
            p = np.exp(logp)
        else:
            p = np.clip(x, dt(EPS), dt(1) - dt(EPS)).astype(np.float64)
            logp, logq = np.log(p), np.log1p(-p)
        wp, wn = (1.0, 1.0) if alpha is None else (alpha, 1 - alpha)
        mpos, mneg = _modulation(1 - p, p, gamma, th), _modulation(p, 1 - p, gamma, th)
        terms = -(wp * g * mpos * logp + wn * (1 - g) * mneg * logq)
        total, count = terms[valid].sum(), valid.sum()
        msum = (g * mpos + (1 - g) * mneg)[valid].sum()
    value = total if reduction == "sum" else (total / count if count else 0.0)
    return value / max(msum, 1e-6) if normalized else value


def _far_from_threshold(pr, th):
    """The reduced factor jumps at p_t = th: keep the random problems 1e-4 away from it."""
    if th is None or pr.mode == "multiclass":
        return True
    p = 1 / (1 + np.exp(-pr.x.astype(np.float64))) if pr.from_logits else pr.x.astype(np.float64)
    return bool(np.all(np.abs(p - th) > 1e-4) and np.all(np.abs(1 - p - th) > 1e-4))


@st.composite
def cases(draw):
    pr = draw(problems())
    opts = dict(pr.common(), reduction=draw(st.sampled_from(["mean", "sum"])),
                include_background=include_background(draw, pr),
                alpha=draw(st.sampled_from([None, 0.25, 0.7])), gamma=draw(st.sampled_from([2.0, 0.0, 0.5, 1.5])),
                reduced_threshold=draw(st.sampled_from([None, 0.5, 0.2, 0.9, 1.0])), normalized=draw(st.booleans()))
    return pr, opts


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@given(data=st.data())
def test_matches_oracle(dtype, data):
    pr, opts = data.draw(cases())
    pr = pr.astype(dtype)
    if not _far_from_threshold(pr, opts["reduced_threshold"]):
        return
    got = ss.focal_loss(pr.x, pr.g, **opts)
    assert_close(got, oracle(pr.x, pr.g, **opts), *TOL[dtype], what=str(opts))


@given(data=st.data())
def test_multiclass_matches_oracle(data):
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    spatial = tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.normal(0, 3, (n, c) + spatial)
    labels = rng.integers(0, c, (n,) + spatial)
    opts = dict(mode="multiclass", reduction=data.draw(st.sampled_from(["mean", "sum"])),
                include_background=data.draw(st.booleans()), alpha=data.draw(st.sampled_from([None, 0.25])),
                gamma=data.draw(st.sampled_from([2.0, 0.5])),
                reduced_threshold=data.draw(st.sampled_from([None, 0.5, 0.3])), normalized=data.draw(st.booleans()))
    if data.draw(st.booleans()):
        labels[rng.random(labels.shape) < 0.2] = 255
        opts["ignore_index"] = 255
    got = ss.focal_loss(x, labels, **opts)
    assert_close(got, oracle(x, labels, **opts), 1e-10, 1e-12, what=str(opts))


def _smp_focal(z, g, gamma, alpha, th, normalized):
    """smp's focal_loss_with_logits on hard targets, then the mean."""
    logpt = np.maximum(z, 0) - z * g + np.log1p(np.exp(-np.abs(z)))
    pt = np.exp(-logpt)
    term = (1 - pt) ** gamma if th is None else np.where(pt < th, 1.0, ((1 - pt) / th) ** gamma)
    loss = term * logpt
    if alpha is not None:
        loss = loss * (alpha * g + (1 - alpha) * (1 - g))
    if normalized:
        loss = loss / max(term.sum(), 1e-6)
    return loss.mean()


@pytest.mark.parametrize("th", [None, 0.5, 0.25])
@pytest.mark.parametrize("normalized", [False, True])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_matches_smp_on_hard_targets(th, normalized, alpha, rng):
    z = rng.normal(0, 2, (2, 1, 7, 6))
    g = (rng.random(z.shape) < 0.3).astype(np.float64)
    got = ss.focal_loss(z, g, alpha=alpha, reduced_threshold=th, normalized=normalized)
    assert got == pytest.approx(_smp_focal(z, g, 2.0, alpha, th, normalized), rel=1e-12)


# ------------------------------------------------------------------ gradients

VARIANTS = [dict(reduced_threshold=0.5), dict(reduced_threshold=0.3, gamma=1.5), dict(normalized=True),
            dict(normalized=True, reduced_threshold=0.6, alpha=None, reduction="sum")]
FAMILIES = {
    "binary logits": ((2, 1, 3, 4), dict()),
    "binary probabilities": ((2, 1, 3, 4), dict(from_logits=False)),
    "multilabel ignore no background": ((2, 3, 2, 3), dict(mode="multilabel", ignore_index=255.0,
                                                           include_background=False)),
    "multiclass labels ignore": ((2, 3, 2, 3), dict(mode="multiclass", ignore_index=255)),
}


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("variant", range(len(VARIANTS)))
def test_gradient_finite_differences(variant, family, rng):
    shape, opts = FAMILIES[family]
    opts = dict(opts, **VARIANTS[variant])
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    if opts.get("mode") == "multiclass":
        g = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    else:
        g = (rng.random(shape) < 0.5).astype(np.float64)
    g.flat[[1, 4]] = 255 if "ignore_index" in opts else g.flat[[1, 4]]
    th = opts.get("reduced_threshold")
    if th is not None and opts.get("mode") != "multiclass":
        p = x if opts.get("from_logits") is False else 1 / (1 + np.exp(-x))
        assert np.all(np.abs(p - th) > 1e-4) and np.all(np.abs(1 - p - th) > 1e-4)
    _, grad = ss.focal_loss(x, g, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: ss.focal_loss(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=f"{VARIANTS[variant]} {family}")


# ------------------------------------------------------------------ edges and bad input

@pytest.mark.parametrize("opts", [dict(reduced_threshold=0.5), dict(normalized=True),
                                  dict(normalized=True, reduced_threshold=0.2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_edges_are_finite(opts, dtype):
    for g in (np.zeros((1, 1, 2, 3)), np.ones((1, 1, 2, 3)), np.array([1.0, 0, 1, 0, 0, 1]).reshape(1, 1, 2, 3)):
        g = g.astype(dtype)
        for x in (np.where(g > 0, 30.0, -30.0), np.where(g > 0, -30.0, 30.0), np.full(g.shape, 200.0)):
            loss, grad = ss.focal_loss(x.astype(dtype), g, return_grad=True, **opts)
            assert np.isfinite(loss) and loss >= 0 and np.all(np.isfinite(grad)) and grad.dtype == dtype
    x = np.random.default_rng(0).normal(size=(1, 1, 3, 3)).astype(dtype)
    loss, grad = ss.focal_loss(x, np.full(x.shape, 255.0, dtype), ignore_index=255, return_grad=True, **opts)
    assert loss == 0.0 and not grad.any()
    loss, grad = ss.focal_loss(np.array([[[[0.7]]]], dtype), np.ones((1, 1, 1, 1), dtype), return_grad=True, **opts)
    assert np.isfinite(loss) and grad[0, 0, 0, 0] <= 0


def test_bad_values_name_the_argument():
    x, g = np.zeros((1, 1, 2, 2)), np.ones((1, 1, 2, 2))
    for th in (0.0, -1.0, 1.5, np.nan, np.inf):
        with pytest.raises(ValueError, match="reduced_threshold"):
            ss.focal_loss(x, g, reduced_threshold=th)
    with pytest.raises(ValueError, match="reduced_threshold"):
        ss.focal_loss(x, g, reduced_threshold=1e-4, gamma=10.0)  # th^-gamma = 1e40 overflows Float
    with pytest.raises(ValueError, match="reduction"):
        ss.focal_loss(x, g, normalized=True, reduction="none")
    with pytest.raises(TypeError, match="normalized"):
        ss.focal_loss(x, g, normalized="yes")
    x0, g0 = x.copy(), g.copy()
    ss.FocalLoss(normalized=True, reduced_threshold=0.5)(x, g, return_grad=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)
