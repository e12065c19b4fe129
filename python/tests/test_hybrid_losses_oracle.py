"""The sums of whole losses (generalized_dice_focal_loss, dice_top_k_loss,
unet3p_hybrid_loss, basnet_hybrid_loss) against reference values: the NumPy oracles (the
parts' independent oracles summed, oracles_hybrid.py) on random problems, multiclass label
maps included, and SemSegLoss's own formulas for its two hybrids. The golden values are in
golden_compound.json (test_compound_losses_oracle.py::test_golden)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_hybrid as oh
import semsegloss_swift as ss
from conftest import assert_close
from hybrid_cases import LAMBDAS, TOL
from strategies import include_background, problems, smooth_values


def own_options(draw, name, spatial):
    weights = st.sampled_from([1.0, 0.0, 0.3, 2.0])
    o = {lam: draw(weights) for lam in LAMBDAS[name]}
    if name == "generalized_dice_focal_loss":
        o.update(weight_type=draw(st.sampled_from(["square", "simple", "uniform"])),
                 alpha=draw(st.sampled_from([None, 0.25, 0.8])), gamma=draw(st.sampled_from([2.0, 0.0, 1.5])))
    elif name == "dice_top_k_loss":
        o.update(k=draw(st.sampled_from([10.0, 1.0, 50.0, 100.0])), squared_pred=draw(st.booleans()))
    else:
        largest = min(min(spatial), 7)
        o.update(win_size=draw(st.sampled_from([w for w in (1, 3, 5, 7) if w <= largest])),
                 kernel_sigma=draw(st.sampled_from([1.5, 0.7])), k1=draw(st.sampled_from([0.01, 0.1])))
        if name == "unet3p_hybrid_loss":
            o.update(alpha=draw(st.sampled_from([0.25, None])), gamma=draw(st.sampled_from([2.0, 0.5])))
    return o


@st.composite
def cases(draw, name):
    pr = draw(problems())
    if name in oh.SSIM_HYBRIDS and pr.ignore_index is not None:
        pr.g = np.where(pr.g == pr.ignore_index, 0.0, pr.g)
        pr.ignore_index = None
    opts = dict(pr.common(), reduction=draw(st.sampled_from(["mean", "sum"])),
                include_background=include_background(draw, pr), smooth_nr=draw(smooth_values),
                smooth_dr=draw(smooth_values), batch=draw(st.booleans()),
                empty=draw(st.sampled_from(["smooth", "skip", "penalize_fp"])))
    opts.update(own_options(draw, name, pr.x.shape[2:]))
    return pr, opts


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", oh.HYBRIDS)
@given(data=st.data())
def test_matches_oracle(name, dtype, data):
    pr, opts = data.draw(cases(name))
    pr = pr.astype(dtype)
    got = getattr(ss, name)(pr.x, pr.g, **opts)
    want = oh.ORACLES[name](pr.x, pr.g, **opts)
    assert isinstance(got, float)
    assert_close(got, want, *TOL[dtype], what=f"{name} {opts}")


@pytest.mark.parametrize("name", oh.HYBRIDS)
@given(data=st.data())
def test_multiclass_label_maps_match_oracle(name, data):
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    spatial = tuple(data.draw(st.lists(st.integers(3, 6), min_size=2, max_size=3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.normal(0, 3, (n, c) + spatial)
    labels = rng.integers(0, c, (n,) + spatial)
    opts = dict(mode="multiclass", include_background=data.draw(st.booleans()),
                reduction=data.draw(st.sampled_from(["mean", "sum"])), batch=data.draw(st.booleans()))
    opts.update(own_options(data.draw, name, spatial))
    if name not in oh.SSIM_HYBRIDS and data.draw(st.booleans()):
        labels[rng.random(labels.shape) < 0.2] = 255
        opts["ignore_index"] = 255
    got = getattr(ss, name)(x, labels, **opts)
    assert_close(got, oh.ORACLES[name](x, labels, **opts), 1e-10, 1e-12, what=f"{name} {opts}")


# ------------------------------------------------------------------ SemSegLoss's formulas

def _ssl_ssim(p, g):
    """tf.image.ssim with SemSegLoss's arguments (11x11 Gaussian, sigma 1.5, 'valid'), per image."""
    d = np.arange(11) - 5.0
    w = np.exp(-d ** 2 / (2 * 1.5 ** 2))
    w /= w.sum()
    window = np.outer(w, w)
    out = []
    for a, b in zip(p[:, 0], g[:, 0]):
        win = np.lib.stride_tricks.sliding_window_view
        f = lambda m: np.einsum("ijkl,kl->ij", win(m, (11, 11)), window)  # noqa: E731
        ma, mb = f(a), f(b)
        va, vb, cov = f(a * a) - ma ** 2, f(b * b) - mb ** 2, f(a * b) - ma * mb
        c1, c2 = 0.01 ** 2, 0.03 ** 2
        s = (2 * ma * mb + c1) * (2 * cov + c2) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))
        out.append(s.mean())
    return np.array(out)


def _ssl_hybrid(name, p, g):
    """SemSegLoss's unet3p_hybrid_loss / basnet_hybrid_loss on probabilities, Keras-averaged."""
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    if name == "unet3p_hybrid_loss":
        first = np.mean(-0.25 * g * (1 - pc) ** 2 * np.log(pc) - 0.75 * (1 - g) * pc ** 2 * np.log(1 - pc))
    else:
        first = np.mean(-(g * np.log(pc) + (1 - g) * np.log(1 - pc)))
    ssim = np.mean(1 - _ssl_ssim(p, g))
    tp = np.sum(g * p)
    jaccard = 1 - tp / (np.sum(g) + np.sum(p) - tp)
    return first + ssim + jaccard


@pytest.mark.parametrize("name", oh.SSIM_HYBRIDS)
def test_reproduces_semsegloss(name, rng):
    """from_logits=False, batch=True and no smoothing give SemSegLoss's numbers."""
    p = rng.uniform(0.02, 0.98, (3, 1, 14, 12))
    g = (rng.random(p.shape) < 0.4).astype(np.float64)
    got = getattr(ss, name)(p, g, from_logits=False, batch=True, smooth_nr=0.0, smooth_dr=0.0)
    assert got == pytest.approx(_ssl_hybrid(name, p, g), rel=1e-12)
