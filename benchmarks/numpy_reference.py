"""Forward + backward of each loss in plain vectorised NumPy: the speed baseline.

Written the way a user would write them (float32 arrays, logits input, per-image sums,
mean reduction, analytic gradient chained through the sigmoid). They are checked against
semsegloss_swift at the start of every benchmark run, so the comparison is between equal
results.
"""
import numpy as np

SMOOTH = 1e-5


def _sigmoid(z):
    p = 1.0 / (1.0 + np.exp(-z))
    return p, p * (1.0 - p)


def _sums(p, g):
    axes = tuple(range(2, p.ndim))
    return (p * g).sum(axis=axes), p.sum(axis=axes), g.sum(axis=axes)


def _expand(a, ndim):
    return a.reshape(a.shape + (1,) * (ndim - a.ndim))


def bce_loss(z, g):
    p, _ = _sigmoid(z)
    loss = np.mean(np.maximum(z, 0) - z * g + np.log1p(np.exp(-np.abs(z))))
    return loss, (p - g) / z.size


def focal_loss(z, g, alpha=0.25, gamma=2.0):
    p, _ = _sigmoid(z)
    log_p = -np.log1p(np.exp(-np.abs(z))) - np.maximum(-z, 0)
    log_q = -np.log1p(np.exp(-np.abs(z))) - np.maximum(z, 0)
    q = 1 - p
    loss = np.mean(-alpha * g * q ** gamma * log_p - (1 - alpha) * (1 - g) * p ** gamma * log_q)
    grad = (alpha * g * q ** gamma * (gamma * p * log_p - q)
            + (1 - alpha) * (1 - g) * p ** gamma * (p - gamma * q * log_q))
    return loss, grad / z.size


def dice_loss(z, g):
    p, dsig = _sigmoid(z)
    tp, ps, gs = _sums(p, g)
    u, num = ps + gs + SMOOTH, 2 * tp + SMOOTH
    loss = np.mean(1 - num / u)
    dp = (_expand(num / u ** 2, z.ndim) - 2 * g / _expand(u, z.ndim)) / tp.size
    return loss, dp * dsig


def jaccard_loss(z, g):
    p, dsig = _sigmoid(z)
    tp, ps, gs = _sums(p, g)
    v, num = ps + gs - tp + SMOOTH, tp + SMOOTH
    loss = np.mean(1 - num / v)
    nv, vv = _expand(num, z.ndim), _expand(v, z.ndim)
    dp = (nv * (1 - g) - g * vv) / vv ** 2 / tp.size
    return loss, dp * dsig


def _tversky_index(z, g, alpha, beta):
    p, dsig = _sigmoid(z)
    tp, ps, gs = _sums(p, g)
    num = tp + SMOOTH
    w = (1 - alpha - beta) * tp + alpha * ps + beta * gs + SMOOTH
    nv, wv = _expand(num, z.ndim), _expand(w, z.ndim)
    dt = (g * wv - nv * ((1 - alpha - beta) * g + alpha)) / wv ** 2
    return num / w, dt, dsig, tp.size


def tversky_loss(z, g, alpha=0.3, beta=0.7):
    t, dt, dsig, count = _tversky_index(z, g, alpha, beta)
    return np.mean(1 - t), -dt * dsig / count


def focal_tversky_loss(z, g, alpha=0.3, beta=0.7, gamma=0.75):
    t, dt, dsig, count = _tversky_index(z, g, alpha, beta)
    base = np.maximum(1 - t, 1e-7)
    factor = _expand(gamma * base ** (gamma - 1), z.ndim)
    return np.mean(base ** gamma), -factor * dt * dsig / count


def dice_bce_loss(z, g):
    dl, dg = dice_loss(z, g)
    bl, bg = bce_loss(z, g)
    return dl + bl, dg + bg


LOSSES = {f.__name__: f for f in (bce_loss, focal_loss, dice_loss, jaccard_loss, tversky_loss,
                                   focal_tversky_loss, dice_bce_loss)}
