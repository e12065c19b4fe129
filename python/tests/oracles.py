"""Plain-NumPy reference implementations (test oracles) of the losses and metrics.

Values only, computed in float64 from the given arrays (gradients are checked by finite
differences in test_gradients.py). Semantics follow the package docstrings and the Swift
evaluators (RegionLossEvaluator / PixelLossEvaluator):

* region losses: sums TP = sum p g, P = sum p (or p^2), G = sum g (or g^2) over the valid
  voxels of each (image, class) entry, or each class pooled over the batch (batch=True);
  an entry with no valid voxel has loss 0 and leaves the mean; empty="skip" leaves entries
  with G = 0 out (NaN under reduction="none"); include_background=False drops channel 0.
* pixel losses: per-voxel terms, 0 where ignored; the mean divides by the valid voxels
  (0 if there are none); probabilities are clamped to [1e-7, 1 - 1e-7] inside the logs.
* metrics: p >= threshold (sigmoid first with from_logits), g >= 0.5, ratio of counts,
  `empty` for 0/0; mean and sum skip NaN (all NaN gives NaN).
"""
from __future__ import annotations

import numpy as np

EPS = 1e-7
REGION_LOSSES = ("dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss")
PIXEL_LOSSES = ("bce_loss", "focal_loss")
ALL_LOSSES = PIXEL_LOSSES + REGION_LOSSES + ("dice_bce_loss",)
METRIC_NAMES = ("iou", "dice_score", "precision", "recall", "specificity", "accuracy", "f_beta", "mcc")


# ----------------------------------------------------------------------------- helpers

def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def softplus(z):
    """log(1 + e^z), stable."""
    z = np.asarray(z, dtype=np.float64)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _valid(target, ignore_index):
    if ignore_index is None:
        return np.ones(target.shape, dtype=bool)
    return target != np.asarray(ignore_index, dtype=target.dtype)


def _clamped(x):
    """Probabilities clamped in the input's own precision, then widened to float64."""
    dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    lo, hi = dt.type(EPS), dt.type(1) - dt.type(EPS)
    return np.clip(x.astype(dt), lo, hi).astype(np.float64)


def _prepare(input, target, ignore_index):
    x = np.asarray(input)
    dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    x = x.astype(dt)
    g = np.asarray(target).astype(dt)
    valid = _valid(g, ignore_index)
    return x, g, valid


# ----------------------------------------------------------------------------- region losses

def _region_term(name, tp, ps, gs, o):
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    if name == "dice_loss":
        u = ps + gs + sd
        return 0.0 if u <= 0 else 1.0 - (2 * tp + sn) / u
    if name == "jaccard_loss":
        v = ps + gs - tp + sd
        return 0.0 if v <= 0 else 1.0 - (tp + sn) / v
    a, b = o.get("alpha", 0.3), o.get("beta", 0.7)
    w = tp + a * (ps - tp) + b * (gs - tp) + sd
    t = 1.0 if w <= 0 else (tp + sn) / w
    if name == "tversky_loss":
        return 1.0 - t
    gamma, floor = o.get("gamma", 0.75), o.get("floor", 1e-7)
    return max(1.0 - t, floor) ** gamma


def softmax(z, axis=1):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def multiclass_targets(input, target, ignore_index=None):
    """(x float64, dense one-hot/soft g, valid mask broadcast to the input's shape) for
    mode='multiclass': a label map (N, *spatial) or a dense (N, C, *spatial) target;
    ignore_index is applied per voxel before the one-hot step."""
    x = np.asarray(input, dtype=np.float64)
    t = np.asarray(target)
    c = x.shape[1]
    if t.ndim == x.ndim - 1:
        lab = t.astype(np.int64)
        vox = np.ones(lab.shape, bool) if ignore_index is None else lab != int(ignore_index)
        g = np.stack([(lab == k) & vox for k in range(c)], axis=1).astype(np.float64)
    else:
        g = t.astype(np.float64)
        vox = np.ones(g.shape[:1] + g.shape[2:], bool) if ignore_index is None \
            else ~np.any(g == ignore_index, axis=1)
        g = np.where(vox[:, None], g, 0.0)
    valid = np.broadcast_to(vox[:, None], x.shape)
    return x, g, valid


def probabilities_and_targets(input, target, mode="binary", from_logits=True, ignore_index=None):
    """(p, g, valid) in float64 with p and g set to 0 on ignored voxels: sigmoid (binary,
    multilabel) or softmax (multiclass, label maps or dense targets) of logits, or the
    probabilities as given."""
    x = np.asarray(input, np.float64)
    if mode == "multiclass":
        _, g, valid = multiclass_targets(input, target, ignore_index)
        p = softmax(x) if from_logits else x
    else:
        g = np.asarray(target, np.float64)
        valid = np.ones(g.shape, bool) if ignore_index is None else g != ignore_index
        p = sigmoid(x) if from_logits else x
    return np.where(valid, p, 0.0), np.where(valid, g, 0.0), valid


def region_loss(name, input, target, *, mode="binary", from_logits=True, reduction="mean",
                ignore_index=None, include_background=True, smooth_nr=1e-5, smooth_dr=1e-5,
                squared_pred=False, batch=False, empty="smooth", weight=None, **params):
    if mode == "multiclass":
        x, g, valid = multiclass_targets(input, target, ignore_index)
        p = softmax(x) if from_logits else x
    else:
        x, g, valid = _prepare(input, target, ignore_index)
        p = sigmoid(x) if from_logits else x.astype(np.float64)
    g = np.where(valid, g.astype(np.float64), 0.0)
    p = np.where(valid, p, 0.0)
    n, c = x.shape[:2]
    c0 = 0 if include_background else 1
    axes = tuple(range(2, x.ndim))
    tp = (p * g).sum(axis=axes)[:, c0:]
    ps = (p * p if squared_pred else p).sum(axis=axes)[:, c0:]
    gs = (g * g if squared_pred else g).sum(axis=axes)[:, c0:]
    cnt = valid.sum(axis=axes)[:, c0:]
    if batch:
        tp, ps, gs, cnt = (a.sum(axis=0, keepdims=True) for a in (tp, ps, gs, cnt))
    o = dict(params, smooth_nr=smooth_nr, smooth_dr=smooth_dr)
    values = np.zeros(tp.shape)
    included = np.zeros(tp.shape, dtype=bool)
    for idx in np.ndindex(tp.shape):
        if cnt[idx] == 0:
            continue
        if empty == "skip" and gs[idx] == 0:
            values[idx] = np.nan
            continue
        if empty == "penalize_fp" and gs[idx] == 0:  # P/(P + 1), whatever the loss
            values[idx] = ps[idx] / (ps[idx] + 1)
            included[idx] = True
            continue
        values[idx] = _region_term(name, tp[idx], ps[idx], gs[idx], o)
        included[idx] = True
    if weight is not None:  # class weights (one per channel, background included)
        values = values * np.asarray(weight, dtype=np.float64)[c0:]
    if reduction == "none":
        return values[0] if batch else values
    total = values[included].sum()
    if reduction == "sum":
        return float(total)
    k = included.sum()
    return float(total / k) if k else 0.0


def dice_loss(input, target, **o):
    return region_loss("dice_loss", input, target, **o)


def jaccard_loss(input, target, **o):
    return region_loss("jaccard_loss", input, target, **o)


def tversky_loss(input, target, *, alpha=0.3, beta=0.7, **o):
    return region_loss("tversky_loss", input, target, alpha=alpha, beta=beta, **o)


def focal_tversky_loss(input, target, *, alpha=0.3, beta=0.7, gamma=0.75, floor=1e-7, **o):
    return region_loss("focal_tversky_loss", input, target, alpha=alpha, beta=beta, gamma=gamma,
                       floor=floor, **o)


# ----------------------------------------------------------------------------- pixel losses

def _log_probs(x, from_logits):
    """(p, 1 - p, log p, log(1 - p)) in float64."""
    if from_logits:
        z = x.astype(np.float64)
        return sigmoid(z), sigmoid(-z), -softplus(-z), -softplus(z)
    p = _clamped(x)
    return p, 1.0 - p, np.log(p), np.log1p(-p)


def _pixel_reduce(terms, valid, reduction):
    terms = np.where(valid, terms, 0.0)
    if reduction == "none":
        return terms
    if reduction == "sum":
        return float(terms.sum())
    k = valid.sum()
    return float(terms.sum() / k) if k else 0.0


def _channel_mask(valid, include_background):
    if include_background:
        return valid
    valid = valid.copy()
    valid[:, 0] = False
    return valid


def bce_loss(input, target, *, mode="binary", from_logits=True, reduction="mean", ignore_index=None,
             include_background=True, pos_weight=1.0):
    x, g, valid = _prepare(input, target, ignore_index)
    valid = _channel_mask(valid, include_background)
    g = np.where(valid, g.astype(np.float64), 0.0)
    _, _, logp, logq = _log_probs(x, from_logits)
    terms = -(pos_weight * g * logp + (1 - g) * logq)
    return _pixel_reduce(terms, valid, reduction)


def focal_loss(input, target, *, mode="binary", from_logits=True, reduction="mean", ignore_index=None,
               include_background=True, alpha=0.25, gamma=2.0):
    x, g, valid = _prepare(input, target, ignore_index)
    valid = _channel_mask(valid, include_background)
    g = np.where(valid, g.astype(np.float64), 0.0)
    p, q, logp, logq = _log_probs(x, from_logits)
    wp, wn = (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)
    terms = -(wp * g * q ** gamma * logp + wn * (1 - g) * p ** gamma * logq)
    return _pixel_reduce(terms, valid, reduction)


def dice_bce_loss(input, target, *, mode="binary", from_logits=True, reduction="mean", ignore_index=None,
                  include_background=True, smooth_nr=1e-5, smooth_dr=1e-5, squared_pred=False,
                  batch=False, empty="smooth", pos_weight=1.0, lambda_dice=1.0, lambda_bce=1.0):
    common = dict(mode=mode, from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                  include_background=include_background)
    d = dice_loss(input, target, smooth_nr=smooth_nr, smooth_dr=smooth_dr, squared_pred=squared_pred,
                  batch=batch, empty=empty, **common)
    b = bce_loss(input, target, pos_weight=pos_weight, **common)
    return lambda_dice * d + lambda_bce * b


LOSSES = {f.__name__: f for f in (bce_loss, focal_loss, dice_loss, jaccard_loss, tversky_loss,
                                   focal_tversky_loss, dice_bce_loss)}


# ----------------------------------------------------------------------------- metrics

def confusion_counts(input, target, *, mode="binary", threshold=0.5, from_logits=False, ignore_index=None,
                     include_background=True, batch=False):
    x, g, valid = _prepare(input, target, ignore_index)
    if from_logits:
        pred = sigmoid(x) >= threshold
    else:
        pred = x >= x.dtype.type(threshold)
    pos = g >= 0.5
    axes = tuple(range(2, x.ndim))
    out = np.stack([(valid & pred & pos).sum(axis=axes), (valid & pred & ~pos).sum(axis=axes),
                    (valid & ~pred & pos).sum(axis=axes), (valid & ~pred & ~pos).sum(axis=axes)],
                   axis=-1).astype(np.int64)
    out = out[:, (0 if include_background else 1):]
    return out.sum(axis=0) if batch else out


def multiclass_confusion_counts(input, target, *, ignore_index=None, include_background=True, batch=False):
    """One-vs-rest counts of argmax(input) against the label map, or the argmax of a dense
    target; ignored voxels (label == ignore_index, or a dense channel equal to it) left out."""
    x = np.asarray(input)
    pred = np.argmax(x, axis=1)
    t = np.asarray(target)
    if t.ndim == x.ndim - 1:
        truth = t.astype(np.int64)
        valid = np.ones(truth.shape, bool) if ignore_index is None else truth != ignore_index
    else:
        truth = np.argmax(t, axis=1)
        valid = np.ones(truth.shape, bool) if ignore_index is None else ~(t == ignore_index).any(axis=1)
    axes = tuple(range(1, pred.ndim))
    out = []
    for c in range(x.shape[1]):
        p, y = valid & (pred == c), valid & (truth == c)
        tp = (p & y).sum(axis=axes)
        out.append(np.stack([tp, (p & ~y).sum(axis=axes), (~p & y & valid).sum(axis=axes),
                             (valid & ~p & ~y).sum(axis=axes)], axis=-1))
    out = np.stack(out, axis=1).astype(np.int64)[:, (0 if include_background else 1):]
    return out.sum(axis=0) if batch else out


def metric_from_counts(name, counts, beta=1.0, empty="nan"):
    tp, fp, fn, tn = (counts[..., i].astype(np.float64) for i in range(4))
    b2 = beta * beta
    num, den = {
        "iou": (tp, tp + fp + fn),
        "dice_score": (2 * tp, 2 * tp + fp + fn),
        "precision": (tp, tp + fp),
        "recall": (tp, tp + fn),
        "specificity": (tn, tn + fp),
        "accuracy": (tp + tn, tp + fp + fn + tn),
        "f_beta": ((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp),
        "mcc": (tp * tn - fp * fn, np.sqrt((tp + fp) * (tp + fn)) * np.sqrt((tn + fp) * (tn + fn))),
    }[name]
    fill = {"nan": np.nan, "one": 1.0, "zero": 0.0}[empty]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den == 0, fill, num / np.where(den == 0, 1.0, den))


def reduce_metric(values, reduction):
    if reduction == "none":
        return values
    kept = values[~np.isnan(values)]
    if kept.size == 0:
        return float("nan")
    return float(kept.mean() if reduction == "mean" else kept.sum())


def metric(name, input, target, *, beta=1.0, reduction="mean", empty="nan", **o):
    values = metric_from_counts(name, confusion_counts(input, target, **o), beta=beta, empty=empty)
    return reduce_metric(values, reduction)
