"""Plain-NumPy oracles of the Lovász family (value and gradient), written the usual
vectorised way: ``np.argsort`` in decreasing order, ``cumsum`` for LovaszSoftmax's
``lovasz_grad``, the gradient scattered back with ``put_along_axis``.

Semantics follow the package docstrings: entries are (image, channel) pairs with
``per_image=True``, else channels pooled over the batch; ignored voxels leave the sort;
an entry without valid voxels has loss 0 and leaves the mean; ``classes="present"``
leaves out entries with an empty target (NaN under ``reduction="none"``); the mean is
per image the mean over its included entries, then over images (pooled: over entries).

``lovasz_hinge_fb`` / ``lovasz_softmax_fb`` are the benchmark's forward+backward
baselines (float32 logits, defaults), one vectorised sort over all entries at once.
"""
from __future__ import annotations

import numpy as np

EPS = {np.dtype(np.float32): np.float32(1e-7), np.dtype(np.float64): 1e-7}


def lovasz_grad(g_sorted):
    """Jaccard-loss increments of labels sorted by decreasing error (last axis)."""
    gts = g_sorted.sum(axis=-1, keepdims=True)
    intersection = gts - np.cumsum(g_sorted, axis=-1)
    union = gts + np.cumsum(1.0 - g_sorted, axis=-1)
    jaccard = 1.0 - intersection / union
    jaccard[..., 1:] = jaccard[..., 1:] - jaccard[..., :-1]
    return jaccard


def lovasz_entry(errors, labels, relu):
    """One entry: (loss, d loss / d error) for 1-D errors and labels."""
    if errors.size == 0:
        return 0.0, np.zeros(0)
    order = np.argsort(-errors, kind="stable")
    e, delta = errors[order], lovasz_grad(labels[order])
    if relu:
        delta = np.where(e > 0, delta, 0.0)
        e = np.maximum(e, 0.0)
    d = np.empty_like(errors)
    d[order] = delta
    return float(e @ delta), d


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _entries(shape, per_image, c0):
    n, c = shape[:2]
    if per_image:
        return [[(b, k)] for b in range(n) for k in range(c0, c)]
    return [[(b, k) for b in range(n)] for k in range(c0, c)]


def _reduce(losses, included, valid, reduction, per_image, n, kept, grad_output):
    """Value, unreduced values and per-entry gradient weights."""
    losses, included = np.asarray(losses), np.asarray(included)
    values = np.where(included | ~valid, losses, np.nan)
    if reduction == "none":
        w = np.ones(len(losses)) if grad_output is None else np.asarray(grad_output, np.float64).ravel()
        w = np.where(included, w, 0.0)
        return float(losses[included].sum()), values.reshape((n, kept) if per_image else (kept,)), w
    if reduction == "sum":
        return float(losses[included].sum()), None, included.astype(float)
    w = np.zeros(len(losses))
    if per_image:
        inc = included.reshape(n, kept)
        counts = inc.sum(axis=1)
        images = (counts > 0).sum()
        for b in range(n):
            if counts[b]:
                w[b * kept:(b + 1) * kept] = inc[b] / (images * counts[b])
    elif included.any():
        w = included / included.sum()
    return float(w @ losses), None, w


def _run(errors_of, x, g, valid, *, relu, present, per_image, c0, reduction, grad_output):
    """errors_of(x, g) -> (errors, d errors / d x) elementwise; returns (value, values, dx)."""
    shape = x.shape
    e_all, slope = errors_of(x, g)
    entries = _entries(shape, per_image, c0)
    losses, included, has_valid, grads = [], [], [], []
    for entry in entries:
        idx = [(b, k) for b, k in entry]
        m = np.concatenate([valid[b, k].ravel() for b, k in idx])
        e = np.concatenate([e_all[b, k].ravel() for b, k in idx])[m]
        lab = np.concatenate([g[b, k].ravel() for b, k in idx])[m]
        loss, d = lovasz_entry(e, lab, relu)
        losses.append(loss)
        has_valid.append(m.any())
        included.append(bool(m.any()) and (not present or lab.sum() > 0))
        grads.append((idx, m, d))
    n, kept = shape[0], shape[1] - c0
    value, values, w = _reduce(losses, included, np.asarray(has_valid), reduction, per_image, n, kept,
                               grad_output)
    dx = np.zeros(shape)
    spatial = int(np.prod(shape[2:]))
    for (idx, m, d), we in zip(grads, w):
        full = np.zeros(m.size)
        full[m] = d * we
        for r, (b, k) in enumerate(idx):
            dx[b, k] = full[r * spatial:(r + 1) * spatial].reshape(shape[2:])
    return value, values, dx * slope


def _dense(x, g, mode, ignore_index):
    x = np.asarray(x, np.float64)
    g = np.asarray(g)
    if mode == "multiclass" and g.ndim == x.ndim - 1:
        labels = g.astype(np.int64)
        keep = np.ones(labels.shape, bool) if ignore_index is None else labels != ignore_index
        onehot = np.zeros(x.shape)
        for k in range(x.shape[1]):
            onehot[:, k] = (labels == k) & keep
        return x, onehot, np.broadcast_to(keep[:, None], x.shape)
    g = g.astype(np.float64)
    if ignore_index is None:
        return x, g, np.ones(x.shape, bool)
    hit = g == ignore_index
    if mode == "multiclass":
        hit = np.broadcast_to(hit.any(axis=1, keepdims=True), x.shape)
    return x, np.where(hit, 0.0, g), ~hit


def lovasz_hinge(x, g, mode="binary", from_logits=True, reduction="mean", ignore_index=None,
                 include_background=True, per_image=True, grad_output=None, eps=1e-7):
    """(value, values or None, gradient) of lovasz_hinge_loss."""
    x, g, valid = _dense(x, g, mode, ignore_index)

    def errors(xv, gv):
        s = 2 * gv - 1
        if from_logits:
            return 1 - xv * s, -s
        q = np.clip(xv, eps, 1 - eps)
        inside = (xv > eps) & (xv < 1 - eps)
        return 1 - np.log(q / (1 - q)) * s, np.where(inside, -s / (xv * (1 - xv)), 0.0)

    return _run(errors, x, g, valid, relu=True, present=False, per_image=per_image,
                c0=0 if include_background else 1, reduction=reduction, grad_output=grad_output)


def lovasz_softmax(x, g, mode="binary", from_logits=True, reduction="mean", ignore_index=None,
                   include_background=True, per_image=False, classes="present", grad_output=None):
    """(value, values or None, gradient) of lovasz_softmax_loss."""
    x, g, valid = _dense(x, g, mode, ignore_index)
    if mode == "multiclass" and from_logits:
        ez = np.exp(x - x.max(axis=1, keepdims=True))
        p = ez / ez.sum(axis=1, keepdims=True)
    elif from_logits:
        p = _sigmoid(x)
    else:
        p = x

    def errors(pv, gv):
        return np.abs(gv - pv), np.sign(pv - gv)

    value, values, dp = _run(errors, p, g, valid, relu=False, present=classes == "present",
                             per_image=per_image, c0=0 if include_background else 1,
                             reduction=reduction, grad_output=grad_output)
    if from_logits and mode == "multiclass":
        dp = p * (dp - (p * dp).sum(axis=1, keepdims=True))
    elif from_logits:
        dp = dp * p * (1 - p)
    return value, values, dp


# ----------------------------------------------------------------- benchmark baselines

def lovasz_hinge_fb(z, g):
    """Forward + backward, binary logits, per_image=True, mean: one argsort for all images."""
    n = z.shape[0] * z.shape[1]
    zf, gf = z.reshape(n, -1), g.reshape(n, -1)
    s = 2 * gf - 1
    m = 1 - zf * s
    order = np.argsort(-m, axis=1)
    m_sorted = np.take_along_axis(m, order, axis=1)
    delta = lovasz_grad(np.take_along_axis(gf, order, axis=1))
    loss = float((np.maximum(m_sorted, 0) * delta).sum(axis=1).mean())
    d_sorted = np.where(m_sorted > 0, delta, 0) / n
    grad = np.empty_like(zf)
    np.put_along_axis(grad, order, d_sorted, axis=1)
    return loss, (-s * grad).reshape(z.shape)


def lovasz_softmax_fb(z, g):
    """Forward + backward, binary logits (sigmoid), pooled, classes present, mean."""
    p = _sigmoid(z)
    c = z.shape[1]
    pf = np.moveaxis(p, 1, 0).reshape(c, -1)
    gf = np.moveaxis(g, 1, 0).reshape(c, -1)
    e = np.abs(gf - pf)
    order = np.argsort(-e, axis=1)
    delta = lovasz_grad(np.take_along_axis(gf, order, axis=1))
    present = gf.sum(axis=1) > 0
    losses = (np.take_along_axis(e, order, axis=1) * delta).sum(axis=1)
    loss = float(losses[present].mean()) if present.any() else 0.0
    d = np.empty_like(pf)
    np.put_along_axis(d, order, delta, axis=1)
    d = d * (present[:, None] / max(present.sum(), 1)) * np.sign(pf - gf)
    dp = np.moveaxis(d.reshape((c, z.shape[0]) + z.shape[2:]), 0, 1)
    return loss, dp * p * (1 - p)


def _ssim_taps(win=11, sigma=1.5):
    d = np.arange(win) - (win - 1) / 2
    w = np.exp(-0.5 * (d / sigma) ** 2)
    return w / w.sum()


def _valid(a, w):
    """Separable 'valid' window over the spatial axes (2..) of a (N, C, *spatial) array."""
    for ax in range(2, a.ndim):
        a = np.lib.stride_tricks.sliding_window_view(a, len(w), axis=ax) @ w
    return a


def _full(a, w):
    """Adjoint of _valid: scatter back to the full size along every spatial axis."""
    for ax in range(2, a.ndim):
        n = a.shape[ax]
        shape = list(a.shape)
        shape[ax] = n + len(w) - 1
        out = np.zeros(shape)
        for k, wk in enumerate(w):
            sl = [slice(None)] * a.ndim
            sl[ax] = slice(k, k + n)
            out[tuple(sl)] += wk * a
        a = out
    return a


def ssim_fb(z, g, win=11, sigma=1.5, k1=0.01, k2=0.03):
    """Forward + backward of ssim_loss on logits (sigmoid), mean over (image, channel)."""
    w = _ssim_taps(win, sigma)
    p = _sigmoid(z)
    c1, c2 = k1 ** 2, k2 ** 2
    mp, mg = _valid(p, w), _valid(g, w)
    a, b = 2 * mp * mg + c1, 2 * (_valid(p * g, w) - mp * mg) + c2
    c, d = mp ** 2 + mg ** 2 + c1, _valid(p * p, w) - mp ** 2 + _valid(g * g, w) - mg ** 2 + c2
    s = a * b / (c * d)
    axes = tuple(range(2, z.ndim))
    m = int(np.prod(s.shape[2:]))
    loss = float((1 - s.mean(axis=axes)).mean())
    alpha = 2 * mg * (b - a) / (c * d) - 2 * mp * s * (1 / c - 1 / d)
    beta, gamma = -s / d, 2 * a / (c * d)
    dp = -(_full(alpha, w) + 2 * p * _full(beta, w) + g * _full(gamma, w)) / (m * z.shape[0] * z.shape[1])
    return loss, dp * p * (1 - p)
