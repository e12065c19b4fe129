"""NumPy oracles of the Hausdorff erosion loss: SegLoss's forward (SciPy convolution per
image, as its HausdorffERLoss.perform_erosion) and a vectorised forward + backward over all
(image, channel) rows, used by test_hausdorff_er.py and as the benchmark's NumPy baseline."""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def cross_kernel(ndim):
    """The cross (voxel + axis neighbours), weights 1/(2 ndim + 1)."""
    k = np.zeros((3,) * ndim)
    centre = (1,) * ndim
    k[centre] = 1
    for ax in range(ndim):
        for off in (0, 2):
            idx = list(centre)
            idx[ax] = off
            k[tuple(idx)] = 1
    return k / (2 * ndim + 1)


def segloss_forward(p, g, alpha=2.0, erosions=10):
    """SegLoss's per-image loop (2-D: kernel cross * 0.2 over a (1, x, y) image) for one
    channel: returns the mean of the accumulated erosions. p, g: (N, 1, *spatial)."""
    bound = (p - g) ** 2
    eroded = np.zeros_like(bound)
    kernel = cross_kernel(p.ndim - 2)[None]
    for b in range(bound.shape[0]):
        for k in range(erosions):
            dilation = ndimage.convolve(bound[b], kernel, mode="constant", cval=0.0)
            erosion = dilation - 0.5
            erosion[erosion < 0] = 0
            if np.ptp(erosion) != 0:
                erosion = (erosion - erosion.min()) / np.ptp(erosion)
            bound[b] = erosion
            eroded[b] += erosion * (k + 1) ** alpha
    return eroded.mean()


def _stencil(a):
    """Cross stencil with zero padding on (R, *spatial)."""
    out = a.copy()
    for ax in range(1, a.ndim):
        lo = [slice(None)] * a.ndim
        hi = [slice(None)] * a.ndim
        lo[ax], hi[ax] = slice(1, None), slice(None, -1)
        out[tuple(lo)] += a[tuple(hi)]
        out[tuple(hi)] += a[tuple(lo)]
    return out / (2 * (a.ndim - 1) + 1)


def forward_backward(p, g, valid=None, alpha=2.0, erosions=10, upstream=None):
    """Per-voxel losses and d(sum upstream * loss)/dp, rows (R, *spatial) in float64."""
    rows = p.shape[0]
    valid = np.ones(p.shape, bool) if valid is None else valid
    d = np.where(valid, p - g, 0.0)
    b = d * d
    loss = np.zeros(p.shape)
    tape = []
    flat = (rows, -1)
    for k in range(1, erosions + 1):
        c = _stencil(b)
        act = c > 0.5
        r = np.where(act, c - 0.5, 0.0).reshape(flat)
        lo, hi = r.argmin(1), r.argmax(1)
        low, high = r.min(1, keepdims=True), r.max(1, keepdims=True)
        span = high - low
        e = np.where(span > 0, (r - low) / np.where(span > 0, span, 1), r)
        b = e.reshape(p.shape)
        tape.append((act, lo, hi, span[:, 0], e))
        loss += k ** alpha * b
    if upstream is None:
        return loss, None
    u = np.where(valid, upstream, 0.0).reshape(flat)
    adj = np.zeros((rows, u.shape[1]))
    idx = np.arange(rows)
    for k in range(erosions, 0, -1):
        act, lo, hi, span, e = tape[k - 1]
        delta = adj + k ** alpha * u
        total, dot = delta.sum(1), (delta * e).sum(1)
        norm = span > 0
        safe = np.where(norm, span, 1.0)
        dr = np.where(norm[:, None], delta / safe[:, None], delta)
        dr[idx[norm], lo[norm]] -= (total - dot)[norm] / safe[norm]
        dr[idx[norm], hi[norm]] -= dot[norm] / safe[norm]
        dr = np.where(act.reshape(flat), dr, 0.0)
        adj = _stencil(dr.reshape(p.shape)).reshape(flat)
    return loss, (2 * d * adj.reshape(p.shape))


def hausdorff_er_fb(z, g, alpha=2.0, erosions=10):
    """Binary logits (N, 1, *spatial): mean loss and d/dz, the benchmark's NumPy baseline."""
    z = np.asarray(z, np.float64)
    g = np.asarray(g, np.float64)
    p = 1 / (1 + np.exp(-z))
    shape = (-1,) + z.shape[2:]
    pr, gr = p.reshape(shape), g.reshape(shape)
    n = z.size
    loss, dp = forward_backward(pr, gr, alpha=alpha, erosions=erosions, upstream=np.full(pr.shape, 1 / n))
    return loss.sum() / n, (dp.reshape(z.shape) * p * (1 - p))
