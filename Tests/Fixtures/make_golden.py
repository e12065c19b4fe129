"""Writes golden.json: known loss/metric values shared by the Swift and Python test suites.

Cases tagged "LOSSES.md §6.13" are the survey's reference values typed in by hand (an
independent source). The others are computed here with the formulas written out in plain
Python (no NumPy, no library code): per (image, class) sums TP, P, G, then the ratio and its
derivative, or per-pixel BCE/focal terms. Run `python3 make_golden.py` to regenerate.
"""
import json
import math


def sig(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def logit(p):
    return math.log(p / (1 - p))


def prod(xs):
    r = 1
    for x in xs:
        r *= x
    return r


# ---------------------------------------------------------------- region losses

def region_term(kind, tp, ps, gs, o):
    """Loss and (dL/dTP, dL/dP) of one entry."""
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    if kind == "dice_loss":
        num, u = 2 * tp + sn, ps + gs + sd
        return 1 - num / u, -2 / u, num / u ** 2
    if kind == "jaccard_loss":
        num, v = tp + sn, ps + gs - tp + sd
        return 1 - num / v, -1 / v - num / v ** 2, num / v ** 2
    a, b = o.get("alpha", 0.3), o.get("beta", 0.7)
    num = tp + sn
    w = (1 - a - b) * tp + a * ps + b * gs + sd
    t, dt, dp = num / w, 1 / w - num * (1 - a - b) / w ** 2, -num * a / w ** 2
    if kind == "tversky_loss":
        return 1 - t, -dt, -dp
    gamma = o.get("gamma", 0.75)
    base = 1 - t
    return base ** gamma, -gamma * base ** (gamma - 1) * dt, -gamma * base ** (gamma - 1) * dp


def region_loss(kind, x, g, shape, o):
    n, c = shape[0], shape[1]
    s = prod(shape[2:])
    logits = o.get("from_logits", True)
    ign = o.get("ignore_index")
    sq = o.get("squared_pred", False)
    batch = o.get("batch", False)
    p = [sig(v) if logits else v for v in x]
    valid = [ign is None or gv != ign for gv in g]
    entries = {}
    for b in range(n):
        for ch in range(c):
            key = ch if batch else (b, ch)
            e = entries.setdefault(key, [0.0, 0.0, 0.0, 0])
            for i in range(s):
                k = (b * c + ch) * s + i
                if not valid[k]:
                    continue
                e[0] += p[k] * g[k]
                e[1] += p[k] ** 2 if sq else p[k]
                e[2] += g[k] ** 2 if sq else g[k]
                e[3] += 1
    terms = {key: region_term(kind, *e[:3], o) for key, e in entries.items()}
    red = o.get("reduction", "mean")
    keys = list(entries)
    w = 1 / len(keys) if red == "mean" else 1.0
    value = [terms[k][0] for k in keys] if red == "none" else w * sum(terms[k][0] for k in keys)
    grad = []
    for b in range(n):
        for ch in range(c):
            key = ch if batch else (b, ch)
            _, dtp, dps = terms[key]
            for i in range(s):
                k = (b * c + ch) * s + i
                if not valid[k]:
                    grad.append(0.0)
                    continue
                d = w * (dtp * g[k] + dps * (2 * p[k] if sq else 1))
                grad.append(d * p[k] * (1 - p[k]) if logits else d)
    return value, grad


# ---------------------------------------------------------------- pixel losses

def pixel_terms(kind, z, gv, o):
    """Per-voxel loss and d/dz (logits)."""
    p = sig(z)
    if kind == "bce_loss":
        q = o.get("pos_weight", 1.0)
        return -(q * gv * math.log(p) + (1 - gv) * math.log(1 - p)), p * (q * gv + 1 - gv) - q * gv
    a, gm = o.get("alpha", 0.25), o.get("gamma", 2.0)
    wp, wn = (1.0, 1.0) if a is None else (a, 1 - a)
    loss = -wp * gv * (1 - p) ** gm * math.log(p) - wn * (1 - gv) * p ** gm * math.log(1 - p)
    d = (wp * gv * (1 - p) ** gm * (gm * p * math.log(p) - (1 - p))
         + wn * (1 - gv) * p ** gm * (p - gm * (1 - p) * math.log(1 - p)))
    return loss, d


def pixel_loss(kind, x, g, shape, o):
    ign = o.get("ignore_index")
    valid = [ign is None or gv != ign for gv in g]
    terms = [pixel_terms(kind, z, gv, o) if ok else (0.0, 0.0) for z, gv, ok in zip(x, g, valid)]
    red = o.get("reduction", "mean")
    count = sum(valid)
    w = 1 / count if red == "mean" else 1.0
    value = [t[0] for t in terms] if red == "none" else w * sum(t[0] for t in terms)
    return value, [w * t[1] for t in terms]


def loss(kind, x, g, shape, o):
    if kind in ("bce_loss", "focal_loss"):
        return pixel_loss(kind, x, g, shape, o)
    if kind == "dice_bce_loss":
        ld, lb = o.get("lambda_dice", 1.0), o.get("lambda_bce", 1.0)
        dv, dg = region_loss("dice_loss", x, g, shape, o)
        bv, bg = pixel_loss("bce_loss", x, g, shape, o)
        return ld * dv + lb * bv, [ld * a + lb * b for a, b in zip(dg, bg)]
    return region_loss(kind, x, g, shape, o)


# ---------------------------------------------------------------- metrics

def counts(x, g, shape, o):
    n, c, s = shape[0], shape[1], prod(shape[2:])
    t = o.get("threshold", 0.5)
    out = []
    for b in range(n):
        row = []
        for ch in range(c):
            tp = fp = fn = tn = 0
            for i in range(s):
                k = (b * c + ch) * s + i
                pr, gt = x[k] >= t, g[k] >= 0.5
                tp += pr and gt
                fp += pr and not gt
                fn += (not pr) and gt
                tn += (not pr) and (not gt)
            row.append([tp, fp, fn, tn])
        out.append(row)
    return out


def metric_value(name, tp, fp, fn, tn, beta=1.0):
    num, den = {
        "iou": (tp, tp + fp + fn), "dice_score": (2 * tp, 2 * tp + fp + fn),
        "precision": (tp, tp + fp), "recall": (tp, tp + fn), "specificity": (tn, tn + fp),
        "accuracy": (tp + tn, tp + fp + fn + tn),
        "f_beta": ((1 + beta ** 2) * tp, (1 + beta ** 2) * tp + beta ** 2 * fn + fp),
        "mcc": (tp * tn - fp * fn, math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))),
    }[name]
    return float("nan") if den == 0 else num / den


# ---------------------------------------------------------------- cases

P4 = [0.9, 0.2, 0.7, 0.1]
G4 = [1.0, 0.0, 1.0, 0.0]
Z4 = [logit(v) for v in P4]
S4 = [1, 1, 2, 2]
PROBS = {"from_logits": False, "smooth_nr": 0.0, "smooth_dr": 0.0}

cases = [
    # LOSSES.md §6.13, typed in by hand
    dict(name="survey dice s=0", loss="dice_loss", options=PROBS, shape=S4, input=P4, target=G4,
         value=0.179487, grad=[-0.302433, 0.210388, -0.302433, 0.210388], tol=2e-6, source="LOSSES.md §6.13"),
    dict(name="survey dice s=1", loss="dice_loss", options={"from_logits": False, "smooth_nr": 1.0, "smooth_dr": 1.0},
         shape=S4, input=P4, target=G4, value=0.142857, grad=[-0.233236, 0.174927, -0.233236, 0.174927],
         tol=2e-6, source="LOSSES.md §6.13"),
    dict(name="survey jaccard s=0", loss="jaccard_loss", options=PROBS, shape=S4, input=P4, target=G4,
         value=0.304348, grad=[-0.434783, 0.302457, -0.434783, 0.302457], tol=2e-6, source="LOSSES.md §6.13"),
    dict(name="survey tversky fp0.3 fn0.7", loss="tversky_loss", options=dict(PROBS, alpha=0.3, beta=0.7),
         shape=S4, input=P4, target=G4, value=0.187817, grad=[-0.383932, 0.123683, -0.383932, 0.123683],
         tol=2e-6, source="LOSSES.md §6.13"),
    dict(name="survey focal tversky 0.75", loss="focal_tversky_loss",
         options=dict(PROBS, alpha=0.3, beta=0.7, gamma=0.75), shape=S4, input=P4, target=G4,
         value=0.285300, grad=[-0.437402, 0.140908, -0.437402, 0.140908], tol=2e-6, source="LOSSES.md §6.13"),
    dict(name="survey bce logits", loss="bce_loss", options={}, shape=S4, input=Z4, target=G4,
         value=0.197635, grad=[-0.025, 0.05, -0.075, 0.025], tol=2e-6, source="LOSSES.md §6.13"),
    dict(name="survey focal a0.25 g2", loss="focal_loss", options={"alpha": 0.25, "gamma": 2.0}, shape=S4,
         input=Z4, target=G4, value=0.003943, grad=[-0.000181, 0.004178, -0.004496, 0.000543], tol=2e-6,
         source="LOSSES.md §6.13"),
]

ML_SHAPE = [2, 2, 1, 3]
ML_X = [0.5, -1.0, 2.0, 0.3, -0.2, 1.1, -2.5, 0.7, 0.0, 1.5, -0.4, -1.2]
ML_G = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
ML_IGN = [1.0, 255.0, 1.0, 0.0, 0.0, 255.0, 0.0, 1.0, 1.0, 1.0, 255.0, 0.0]
SOFT_G = [0.8, 0.1, 1.0, 0.3, 0.0, 0.6, 0.2, 0.9, 1.0, 0.5, 0.0, 0.4]
X3D = [0.5, -1.0, 2.0, 0.3, -0.2, 1.1, -2.5, 0.7]
G3D = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0]

computed = [
    ("dice multilabel per image", "dice_loss", {"mode": "multilabel"}, ML_SHAPE, ML_X, ML_G),
    ("dice multilabel batch", "dice_loss", {"mode": "multilabel", "batch": True}, ML_SHAPE, ML_X, ML_G),
    ("dice reduction none", "dice_loss", {"mode": "multilabel", "reduction": "none"}, ML_SHAPE, ML_X, ML_G),
    ("dice ignore 255", "dice_loss", {"mode": "multilabel", "ignore_index": 255.0}, ML_SHAPE, ML_X, ML_IGN),
    ("dice squared", "dice_loss", {"mode": "multilabel", "squared_pred": True, "smooth_nr": 1.0, "smooth_dr": 1.0},
     ML_SHAPE, ML_X, SOFT_G),
    ("dice soft target probs", "dice_loss", {"mode": "multilabel", "from_logits": False},
     ML_SHAPE, [sig(v) for v in ML_X], SOFT_G),
    ("jaccard sum", "jaccard_loss", {"mode": "multilabel", "reduction": "sum"}, ML_SHAPE, ML_X, ML_G),
    ("tversky 3d", "tversky_loss", {"alpha": 0.4, "beta": 0.6, "smooth_nr": 1.0, "smooth_dr": 1.0},
     [1, 1, 2, 2, 2], X3D, G3D),
    ("focal tversky gamma 1.5 batch", "focal_tversky_loss", {"mode": "multilabel", "gamma": 1.5, "batch": True},
     ML_SHAPE, ML_X, ML_G),
    ("bce pos_weight ignore", "bce_loss", {"mode": "multilabel", "pos_weight": 3.0, "ignore_index": 255.0},
     ML_SHAPE, ML_X, ML_IGN),
    ("bce none", "bce_loss", {"mode": "multilabel", "reduction": "none"}, ML_SHAPE, ML_X, SOFT_G),
    ("focal no alpha gamma 1.5", "focal_loss", {"mode": "multilabel", "alpha": None, "gamma": 1.5},
     ML_SHAPE, ML_X, SOFT_G),
    ("focal sum", "focal_loss", {"mode": "multilabel", "reduction": "sum"}, ML_SHAPE, ML_X, ML_G),
    ("dice_bce semsegloss weights", "dice_bce_loss",
     {"mode": "multilabel", "lambda_dice": 0.5, "lambda_bce": 0.5, "smooth_nr": 1.0, "smooth_dr": 1.0},
     ML_SHAPE, ML_X, ML_G),
    ("dice empty target", "dice_loss", {"from_logits": False}, [1, 1, 1, 4], [0.2, 0.0, 0.1, 0.3],
     [0.0, 0.0, 0.0, 0.0]),
]
for name, kind, o, shape, x, g in computed:
    value, grad = loss(kind, x, g, shape, o)
    cases.append(dict(name=name, loss=kind, options=o, shape=shape, input=x, target=g, value=value,
                      grad=grad, tol=1e-9, source="make_golden.py formulas"))

M_X = [0.9, 0.2, 0.7, 0.6, 0.4, 0.55, 0.1, 0.8]
M_G = [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
M_SHAPE = [2, 1, 2, 2]
mc = counts(M_X, M_G, M_SHAPE, {})
metrics = []
for name in ("iou", "dice_score", "precision", "recall", "specificity", "accuracy", "f_beta", "mcc"):
    opts = {"beta": 2.0} if name == "f_beta" else {}
    per = [metric_value(name, *mc[b][0], beta=opts.get("beta", 1.0)) for b in range(2)]
    metrics.append(dict(name=name, options=opts, shape=M_SHAPE, input=M_X, target=M_G,
                        values=per, value=sum(per) / 2, counts=mc, source="make_golden.py formulas"))

with open("golden.json", "w") as f:
    json.dump({"losses": cases, "metrics": metrics}, f, indent=1)
print(f"{len(cases)} loss cases, {len(metrics)} metric cases")
