"""Writes golden_distribution.json: known values of the distribution family (cross-entropy,
softmax focal, weighted/balanced BCE, top-k CE) shared by the Swift and Python suites.

Values come from the formulas written out in plain Python (cmath, no NumPy, no library
code); gradients are complex-step derivatives of those same formulas (exact to rounding,
independent of any hand-derived gradient). Run `python3 make_golden_distribution.py`.

Case fields: as golden.json (`name`, `loss`, `options` in Python spelling, `shape`,
`input`, `target`, `value` (float, or list for reduction="none"), `grad`, `tol`), and
`labels`: true when `target` is an integer label map of shape (N, *spatial).
"""
import cmath
import json
import math
from pathlib import Path

EPS = 1e-7
H = 1e-30  # complex step


def prod(xs):
    r = 1
    for x in xs:
        r *= x
    return r


# ---------------------------------------------------------------- categorical losses

def voxel_channels(x, shape, b, i):
    c, s = shape[1], prod(shape[2:])
    return [x[(b * c + k) * s + i] for k in range(c)]


def log_probs(zs, from_logits):
    """log p per class: log-softmax (max taken on real parts), or log of the probabilities."""
    if not from_logits:
        return [cmath.log(z) for z in zs]
    m = max(z.real for z in zs)
    lse = m + cmath.log(sum(cmath.exp(z - m) for z in zs))
    return [z - lse for z in zs]


def per_voxel(kind, x, target, labels, shape, o):
    """List of (loss_i, valid_i, weight_i) over voxels in (N, *spatial) order."""
    n, c, s = shape[0], shape[1], prod(shape[2:])
    ign = o.get("ignore_index")
    w = o.get("weight") or [1.0] * c
    keep = [0.0 if (k == 0 and not o.get("include_background", True)) else 1.0 for k in range(c)]
    eps = o.get("label_smoothing", 0.0)
    gamma, alpha = o.get("gamma", 2.0), o.get("alpha", 0.25)
    out = []
    for b in range(n):
        for i in range(s):
            if labels:
                y = target[b * s + i]
                valid = ign is None or y != ign
                g = [1.0 if k == y else 0.0 for k in range(c)]
            else:
                g = voxel_channels(target, shape, b, i)
                valid = ign is None or all(v != ign for v in g)
            if not valid:
                out.append((0.0, False, 0.0))
                continue
            lp = log_probs(voxel_channels(x, shape, b, i), o.get("from_logits", True))
            if kind == "focal_loss":
                a = [1.0] * c if alpha is None else [1 - alpha] + [alpha] * (c - 1)
                loss = sum(-a[k] * keep[k] * g[k] * (1 - cmath.exp(lp[k])) ** gamma * lp[k] for k in range(c))
            else:
                loss = sum(-w[k] * keep[k] * ((1 - eps) * g[k] + eps / c) * lp[k] for k in range(c))
            out.append((loss, True, sum(w[k] * keep[k] * g[k] for k in range(c))))
    return out


def top_k(terms, k):
    """Indices of the K = max(1, floor(k n / 100)) largest valid terms (ties: lower index)."""
    valid = [(t.real, j) for j, (t, v, _) in enumerate(terms) if v]
    if not valid:
        return set()
    count = max(1, int(k * len(valid) // 100))
    order = sorted(valid, key=lambda tj: (-tj[0], tj[1]))
    return {j for _, j in order[:count]}, count


def categorical(kind, x, target, labels, shape, o):
    terms = per_voxel(kind, x, target, labels, shape, o)
    red = o.get("reduction", "mean")
    if kind == "top_k_ce_loss":
        chosen = top_k(terms, o.get("k", 10.0))
        if not chosen:
            return [0.0] * len(terms) if red == "none" else 0.0
        sel, count = chosen
        vals = [t if j in sel else 0.0 for j, (t, _, _) in enumerate(terms)]
        if red == "none":
            return vals
        return sum(vals) / (count if red == "mean" else 1)
    if red == "none":
        return [t for t, _, _ in terms]
    total = sum(t for t, v, _ in terms if v)
    if red == "sum":
        return total
    den = (sum(wv for _, v, wv in terms if v) if o.get("weight") else sum(1 for _, v, _ in terms if v))
    return total / den if den else 0.0


# ---------------------------------------------------------------- binary (sigmoid) losses

def log_sigmoid(z):
    """log sigma(z) without overflow, analytic on each side of 0."""
    return -cmath.log(1 + cmath.exp(-z)) if z.real >= 0 else z - cmath.log(1 + cmath.exp(z))


def bce_terms(x, g, o, q, r):
    out = []
    for z, gv in zip(x, g):
        if o.get("ignore_index") is not None and gv == o["ignore_index"]:
            out.append((0.0, False))
            continue
        if o.get("from_logits", True):
            lp, lq = log_sigmoid(z), log_sigmoid(-z)
        else:
            lp, lq = cmath.log(z), cmath.log(1 - z)
        out.append((-(q * gv * lp + r * (1 - gv) * lq), True))
    return out


def binary(kind, x, g, o):
    if kind == "weighted_bce_loss":
        beta = o.get("beta")
        q, r = (o["pos_weight"] if o.get("pos_weight") is not None else (beta or 0.75) / (1 - (beta or 0.75))), 1.0
    elif kind == "balanced_bce_loss":
        beta = o.get("beta", 0.5)
        q, r = beta, 1 - beta
    else:  # cross_entropy_loss / top_k_ce_loss in binary or multilabel mode: plain BCE
        q, r = 1.0, 1.0
    terms = bce_terms(x, g, o, q, r)
    red = o.get("reduction", "mean")
    if kind == "top_k_ce_loss":
        chosen = top_k([(t, v, 0) for t, v in terms], o.get("k", 10.0))
        if not chosen:
            return [0.0] * len(terms) if red == "none" else 0.0
        sel, count = chosen
        vals = [t if j in sel else 0.0 for j, (t, _) in enumerate(terms)]
        return vals if red == "none" else sum(vals) / (count if red == "mean" else 1)
    if red == "none":
        return [t for t, _ in terms]
    total = sum(t for t, v in terms if v)
    nv = sum(1 for _, v in terms if v)
    return total if red == "sum" else (total / nv if nv else 0.0)


# ---------------------------------------------------------------- driver

def loss(kind, x, target, labels, shape, o):
    if o.get("mode", "binary") == "multiclass":
        return categorical(kind, x, target, labels, shape, o)
    return binary(kind, x, target, o)


def case(name, kind, shape, x, target, options, labels=False, grad_output=None, tol=1e-9):
    xs = [complex(v) for v in x]
    value = loss(kind, xs, target, labels, shape, options)

    def objective(v):
        if isinstance(v, list):
            return sum(a * b for a, b in zip(v, grad_output or [1.0] * len(v)))
        return v
    grad = []
    for j in range(len(x)):
        xp = list(xs)
        xp[j] = complex(x[j], H)
        grad.append(objective(loss(kind, xp, target, labels, shape, options)).imag / H)
    out_value = [complex(v).real for v in value] if isinstance(value, list) else complex(value).real
    c = dict(name=name, loss=kind, options=options, shape=shape, input=x, target=target,
             labels=labels, value=out_value, grad=grad, tol=tol)
    if grad_output is not None:
        c["grad_output"] = grad_output
    return c


def cases():
    z3 = [1.0, 0.0, 2.0, 0.0, 3.0, 0.0]  # (1, 3, 1, 2): voxel 0 logits (1, 2, 3), voxel 1 (0, 0, 0)
    zr = [0.3, -1.2, 2.5, 0.0, -0.7, 1.1, 0.4, -2.0, 1.6, 0.9, -0.1, -1.5]  # (1, 3, 2, 2)
    lab = [0, 2, 1, 2]
    soft = [0.7, 0.1, 0.2, 0.0, 0.2, 0.3, 0.5, 0.5, 0.1, 0.6, 0.3, 0.5]
    probs = [0.6, 0.1, 0.3, 0.2, 0.3, 0.3, 0.2, 0.5, 0.1, 0.6, 0.5, 0.3]
    zr3 = [0.5, -1.0, 0.25, 1.5, -0.5, 2.0, 0.0, 1.0, -1.5, 0.75, 1.25, -0.25]  # (1, 2, 1, 2, 3)
    mc = dict(mode="multiclass")
    out = [
        case("ce labels by hand", "cross_entropy_loss", [1, 3, 1, 2], z3, [0, 2], dict(mc), labels=True),
        case("ce label smoothing", "cross_entropy_loss", [1, 3, 2, 2], zr, lab, dict(mc, label_smoothing=0.1), labels=True),
        case("ce class weights", "cross_entropy_loss", [1, 3, 2, 2], zr, lab, dict(mc, weight=[0.5, 2.0, 1.0]), labels=True),
        case("ce ignore_index none", "cross_entropy_loss", [1, 3, 2, 2], zr, [0, 255, 1, 2],
             dict(mc, ignore_index=255, reduction="none"), labels=True),
        case("ce soft targets sum", "cross_entropy_loss", [1, 3, 2, 2], zr, soft, dict(mc, reduction="sum")),
        case("ce probabilities", "cross_entropy_loss", [1, 3, 2, 2], probs, lab, dict(mc, from_logits=False), labels=True),
        case("ce no background", "cross_entropy_loss", [1, 3, 2, 2], zr, lab, dict(mc, include_background=False), labels=True),
        case("ce 3-D", "cross_entropy_loss", [1, 2, 1, 2, 3], zr3, [0, 1, 1, 0, 1, 0], dict(mc), labels=True),
        case("ce binary is bce", "cross_entropy_loss", [1, 1, 2, 2], [2.0, -1.0, 0.5, -3.0], [1.0, 0.0, 1.0, 0.0], dict(mode="binary")),
        case("focal softmax by hand", "focal_loss", [1, 3, 1, 2], z3, [0, 2], dict(mc, gamma=2.0, alpha=0.25), labels=True),
        case("focal softmax gamma 0.5 no alpha", "focal_loss", [1, 3, 2, 2], zr, lab, dict(mc, gamma=0.5, alpha=None), labels=True),
        case("focal softmax soft none", "focal_loss", [1, 3, 2, 2], zr, soft, dict(mc, gamma=3.0, alpha=0.4, reduction="none")),
        case("weighted bce default beta", "weighted_bce_loss", [1, 1, 2, 2], [2.0, -1.0, 0.5, -3.0], [1.0, 0.0, 1.0, 0.0], dict(mode="binary")),
        case("weighted bce semsegloss beta", "weighted_bce_loss", [1, 1, 2, 2], [0.9, 0.2, 0.7, 0.1], [1.0, 0.0, 1.0, 0.0],
             dict(mode="binary", beta=0.25, from_logits=False)),
        case("weighted bce pos_weight multilabel none", "weighted_bce_loss", [1, 2, 1, 2], [2.0, -1.0, 0.5, -3.0], [1.0, 255.0, 0.3, 0.0],
             dict(mode="multilabel", pos_weight=2.5, ignore_index=255.0, reduction="none")),
        case("balanced bce", "balanced_bce_loss", [1, 1, 2, 2], [2.0, -1.0, 0.5, -3.0], [1.0, 0.0, 1.0, 0.0], dict(mode="binary", beta=0.8)),
        case("balanced bce probabilities sum", "balanced_bce_loss", [1, 1, 2, 2], [0.9, 0.2, 0.7, 0.1], [1.0, 0.0, 0.6, 0.0],
             dict(mode="binary", from_logits=False, reduction="sum")),
    ]
    return out


def main():
    path = Path(__file__).with_name("golden_distribution.json")
    path.write_text(json.dumps(dict(losses=cases()), indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
