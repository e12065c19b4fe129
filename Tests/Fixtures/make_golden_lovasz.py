"""Writes golden_lovasz.json: reference values of the Lovász family (lovasz_hinge_loss,
lovasz_softmax_loss, ssim_loss), read by the Swift suite (LovaszGoldenTests) and by pytest
(python/tests/test_lovasz_golden.py).

Plain Python/NumPy, independent of the library: the Lovász losses straight from Berman
et al.'s `lovasz_grad` (sort, cumulative sums; gradients from the increments), SSIM with
a direct (non-separable) 'valid' Gaussian window and gradients by central differences in
float64. Inputs avoid ties between errors. Same case format as golden.json.

    python3 Tests/Fixtures/make_golden_lovasz.py
"""
import itertools
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


# ------------------------------------------------------------------ Lovász

def lovasz_entry(errors, labels, relu):
    order = sorted(range(len(errors)), key=lambda i: -errors[i])
    G = sum(labels)
    a = b = prev = loss = 0.0
    d = [0.0] * len(errors)
    for i in order:
        a += labels[i]
        b += 1 - labels[i]
        j = 1 - (G - a) / (G + b)
        delta = j - prev
        prev = j
        e = max(errors[i], 0.0) if relu else errors[i]
        loss += e * delta
        d[i] = delta if (not relu or errors[i] > 0) else 0.0
    return loss, d


def lovasz(x, g, *, kind, per_image, present, reduction, ignore=None, from_logits=True,
           multiclass=False, c0=0):
    """Value (scalar or per-entry list) and gradient of the Lovász losses."""
    x = np.asarray(x, float)
    g = np.asarray(g, float)
    n, c = x.shape[:2]
    valid = np.ones(x.shape, bool) if ignore is None else (g != ignore)
    if multiclass and ignore is not None:
        valid = np.broadcast_to(~(g == ignore).any(axis=1, keepdims=True), x.shape)
    gz = np.where(valid, g, 0.0)
    if kind == "hinge":
        s = 2 * gz - 1
        if from_logits:
            err, slope = 1 - x * s, -s
        else:
            z = np.log(x / (1 - x))
            err, slope = 1 - z * s, -s / (x * (1 - x))
    else:
        if multiclass:
            ez = np.exp(x - x.max(axis=1, keepdims=True))
            p = ez / ez.sum(axis=1, keepdims=True)
        else:
            p = 1 / (1 + np.exp(-x)) if from_logits else x
        err, slope = np.abs(gz - p), np.sign(p - gz)
    entries = ([[(b, k)] for b in range(n) for k in range(c0, c)] if per_image
               else [[(b, k) for b in range(n)] for k in range(c0, c)])
    losses, incl, grads = [], [], []
    for entry in entries:
        pos = [(b, k, i) for b, k in entry for i in np.ndindex(x.shape[2:]) if valid[(b, k) + i]]
        e = [float(err[(b, k) + i]) for b, k, i in pos]
        lab = [float(gz[(b, k) + i]) for b, k, i in pos]
        loss, d = lovasz_entry(e, lab, kind == "hinge")
        losses.append(loss)
        incl.append(len(pos) > 0 and (not present or sum(lab) > 0))
        grads.append((pos, d))
    if reduction == "mean":
        if per_image:
            kept = c - c0
            w = []
            counts = [sum(incl[b * kept:(b + 1) * kept]) for b in range(n)]
            images = sum(1 for k in counts if k)
            for e_ in range(len(entries)):
                w.append(1 / (images * counts[e_ // kept]) if incl[e_] else 0.0)
        else:
            w = [1 / sum(incl) if i else 0.0 for i in incl]
        value = sum(wi * li for wi, li in zip(w, losses))
    else:
        w = [1.0 if i else 0.0 for i in incl]
        value = [li if (i or not gr[0]) else float("nan") for li, i, gr in zip(losses, incl, grads)] \
            if reduction == "none" else sum(li for li, i in zip(losses, incl) if i)
    dx = np.zeros(x.shape)
    for (pos, d), wi in zip(grads, w):
        for (b, k, i), di in zip(pos, d):
            dx[(b, k) + i] = wi * di * slope[(b, k) + i]
    if kind == "softmax" and multiclass:
        dx = p * (dx - (p * dx).sum(axis=1, keepdims=True))
    elif kind == "softmax" and from_logits:
        dx = dx * p * (1 - p)
    return value, dx


# ------------------------------------------------------------------ SSIM

def gaussian(size, sigma):
    d = np.arange(size) - (size - 1) / 2
    w = np.exp(-0.5 * (d / sigma) ** 2)
    return w / w.sum()


def valid_filter(a, w):
    """Direct 'valid' correlation with the outer product of w along every axis."""
    nd = a.ndim
    kernel = np.ones((len(w),) * nd)
    for ax in range(nd):
        shape = [1] * nd
        shape[ax] = len(w)
        kernel = kernel * w.reshape(shape)
    out_shape = tuple(s - len(w) + 1 for s in a.shape)
    out = np.zeros(out_shape)
    for off in itertools.product(range(len(w)), repeat=nd):
        sl = tuple(slice(o, o + s) for o, s in zip(off, out_shape))
        out += kernel[off] * a[sl]
    return out


def ssim_value(p, g, win=11, sigma=1.5, k1=0.01, k2=0.03, r=1.0):
    w = gaussian(win, sigma)
    c1, c2 = (k1 * r) ** 2, (k2 * r) ** 2
    mp, mg = valid_filter(p, w), valid_filter(g, w)
    spp = valid_filter(p * p, w) - mp ** 2
    sgg = valid_filter(g * g, w) - mg ** 2
    spg = valid_filter(p * g, w) - mp * mg
    s = (2 * mp * mg + c1) * (2 * spg + c2) / ((mp ** 2 + mg ** 2 + c1) * (spp + sgg + c2))
    return float(s.mean())


def ssim(x, g, *, from_logits, reduction, grad_output=None, **kw):
    x, g = np.asarray(x, float), np.asarray(g, float)

    def per_entry(xv):
        p = 1 / (1 + np.exp(-xv)) if from_logits else xv
        return np.array([[1 - ssim_value(p[b, k], g[b, k], **kw) for k in range(x.shape[1])]
                         for b in range(x.shape[0])])

    def objective(xv):
        v = per_entry(xv)
        if reduction == "mean":
            return v.mean()
        if reduction == "sum":
            return v.sum()
        return (v * grad_output).sum()

    h = 1e-6
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        grad[i] = (objective(xp) - objective(xm)) / (2 * h)
    v = per_entry(x)
    value = float(v.mean()) if reduction == "mean" else float(v.sum()) if reduction == "sum" \
        else v.ravel().tolist()
    return value, grad


# ------------------------------------------------------------------ cases

def case(name, loss, options, x, g, value, grad, tol):
    return dict(name=name, loss=loss, options=options, shape=list(np.shape(x)),
                input=np.asarray(x, float).ravel().tolist(), target=np.asarray(g, float).ravel().tolist(),
                value=value, grad=np.asarray(grad).ravel().tolist(), tol=tol)


def main():
    rng = np.random.default_rng(2024)
    cases = []
    p = np.array([0.9, 0.2, 0.7, 0.1])
    z = np.log(p / (1 - p)).reshape(1, 1, 2, 2)
    g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    v, d = lovasz(z, g, kind="hinge", per_image=True, present=False, reduction="mean")
    cases.append(case("hinge LOSSES 6.13", "lovasz_hinge_loss", {}, z, g, v, d, 1e-9))

    x = rng.normal(0, 2, (1, 1, 3, 4)); t = np.zeros_like(x)
    v, d = lovasz(x, t, kind="hinge", per_image=True, present=False, reduction="mean")
    cases.append(case("hinge empty target", "lovasz_hinge_loss", {}, x, t, v, d, 1e-9))

    x = rng.normal(0, 2, (2, 3, 3, 3)); t = (rng.random(x.shape) < 0.4).astype(float)
    v, d = lovasz(x, t, kind="hinge", per_image=False, present=False, reduction="none")
    cases.append(case("hinge multilabel pooled none", "lovasz_hinge_loss",
                      {"mode": "multilabel", "per_image": False, "reduction": "none"}, x, t, v, d, 1e-9))

    x = rng.uniform(0.05, 0.95, (2, 1, 4, 3)); t = (rng.random(x.shape) < 0.5).astype(float)
    v, d = lovasz(x, t, kind="hinge", per_image=True, present=False, reduction="sum", from_logits=False)
    cases.append(case("hinge probabilities sum", "lovasz_hinge_loss",
                      {"from_logits": False, "reduction": "sum"}, x, t, v, d, 1e-9))

    x = rng.normal(0, 2, (2, 1, 2, 3, 3)); t = (rng.random(x.shape) < 0.4).astype(float)
    t[rng.random(x.shape) < 0.2] = 255
    v, d = lovasz(x, t, kind="hinge", per_image=True, present=False, reduction="mean", ignore=255)
    cases.append(case("hinge 3-D ignore 255", "lovasz_hinge_loss", {"ignore_index": 255.0}, x, t, v, d, 1e-9))

    x = np.array([0.8, 0.3, 0.6]).reshape(1, 1, 3); t = np.array([1.0, 0.0, 0.0]).reshape(1, 1, 3)
    v, d = lovasz(x, t, kind="softmax", per_image=False, present=True, reduction="mean", from_logits=False)
    cases.append(case("softmax sigmoid-free binary by hand", "lovasz_softmax_loss",
                      {"from_logits": False}, x, t, v, d, 1e-9))

    x = rng.normal(0, 2, (2, 3, 4, 3)); t = (rng.random(x.shape) < 0.3).astype(float); t[0, 1] = 0
    v, d = lovasz(x, t, kind="softmax", per_image=True, present=True, reduction="sum")
    cases.append(case("softmax multilabel per image present sum", "lovasz_softmax_loss",
                      {"mode": "multilabel", "per_image": True, "reduction": "sum"}, x, t, v, d, 1e-9))

    x = rng.normal(0, 2, (2, 3, 3, 4)); labels = rng.integers(0, 3, (2, 3, 4)); labels[0][labels[0] == 1] = 2
    t = np.stack([(labels == k).astype(float) for k in range(3)], axis=1)
    for classes, per_image in (("present", False), ("all", True)):
        v, d = lovasz(x, t, kind="softmax", per_image=per_image, present=classes == "present",
                      reduction="mean", multiclass=True)
        cases.append(case(f"softmax multiclass one-hot {classes} per_image={per_image}", "lovasz_softmax_loss",
                          {"mode": "multiclass", "classes": classes, "per_image": per_image}, x, t, v, d, 1e-9))

    # SSIM: 2-D default window, small windows in 2-D and 3-D, multilabel logits.
    t = np.zeros((1, 1, 12, 13)); t[..., 3:9, 4:10] = 1
    x = np.clip(t * 0.8 + rng.uniform(0, 0.2, t.shape), 0, 1)
    v, d = ssim(x, t, from_logits=False, reduction="mean")
    cases.append(case("ssim 12x13 window 11 probabilities", "ssim_loss", {"from_logits": False}, x, t, v, d, 1e-7))

    x = rng.normal(0, 1.5, (2, 2, 6, 5)); t = (rng.random(x.shape) < 0.5).astype(float)
    v, d = ssim(x, t, from_logits=True, reduction="none", grad_output=np.ones((2, 2)), win=3, sigma=1.0)
    cases.append(case("ssim multilabel logits window 3 none", "ssim_loss",
                      {"mode": "multilabel", "reduction": "none", "win_size": 3, "kernel_sigma": 1.0},
                      x, t, v, d, 1e-7))

    x = rng.uniform(0.05, 0.95, (1, 1, 4, 5, 4)); t = rng.uniform(0, 1, x.shape)
    v, d = ssim(x, t, from_logits=False, reduction="sum", win=3, sigma=0.8, k1=0.05, k2=0.1, r=1.0)
    cases.append(case("ssim 3-D window 3 soft target sum", "ssim_loss",
                      {"from_logits": False, "reduction": "sum", "win_size": 3, "kernel_sigma": 0.8,
                       "k1": 0.05, "k2": 0.1}, x, t, v, d, 1e-7))

    with open(os.path.join(HERE, "golden_lovasz.json"), "w") as f:
        json.dump({"losses": cases}, f, indent=1, allow_nan=False)
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":
    main()
