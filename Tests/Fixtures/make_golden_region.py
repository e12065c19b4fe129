"""Writes golden_region.json: known values of the region family (log-cosh Dice,
sensitivity-specificity, generalized Dice, MCC, asymmetric similarity, log Dice, Wasserstein
Dice, soft clDice, distance-weighted Dice), shared by
the Swift suite (RegionFamilyGoldenTests.swift) and pytest (test_region_golden.py).

Cases tagged "LOSSES.md §6.13" are the survey's reference values typed in by hand. The
others are computed here in plain Python (no NumPy, no library code): per-entry sums,
the loss and its partial derivatives written out by hand, the reduction, and the chain
rule through the sigmoid or the softmax. Run `python3 make_golden_region.py` to regenerate.
"""
import json
import math
import random


def sig(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


# ---------------------------------------------------------------- per-entry terms

def dice_parts(tp, ps, gs, o):
    """Soft Dice D and its partials dD/dTP, dD/dP."""
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    u = ps + gs + sd
    return (2 * tp + sn) / u, 2 / u, -(2 * tp + sn) / u ** 2


def term(kind, s, o):
    """Loss of one entry and its derivative with respect to each voxel's p, as a function
    (g_i, p_i) -> dL/dp_i. `s` holds the entry's sums tp, ps, gs, v, a (= sum (g-p)^2 g),
    b (= sum (g-p)^2 (1-g))."""
    tp, ps, gs, v = s["tp"], s["ps"], s["gs"], s["v"]
    sq = o.get("squared_pred", False)
    dP = (lambda p: 2 * p) if sq else (lambda p: 1.0)
    if kind == "log_cosh_dice_loss":
        d, dd_tp, dd_p = dice_parts(tp, ps, gs, o)
        x = 1 - d
        return math.log(math.cosh(x)), lambda g, p: -math.tanh(x) * (dd_tp * g + dd_p * dP(p))
    if kind == "log_dice_loss":
        d, dd_tp, dd_p = dice_parts(tp, ps, gs, o)
        return -math.log(d), lambda g, p: -(dd_tp * g + dd_p * dP(p)) / d
    if kind == "asymmetric_similarity_loss":
        sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
        beta = o.get("beta", 1.5)
        w = beta ** 2 / (1 + beta ** 2)
        fp, fn = ps - tp, gs - tp
        den = tp + w * fn + (1 - w) * fp + sd
        num = tp + sn
        # d den/dp_i = g + w(-g) + (1 - w)(1 - g)
        return 1 - num / den, lambda g, p: -(g * den - num * (g - w * g + (1 - w) * (1 - g))) / den ** 2
    if kind == "mcc_loss":
        e = o.get("eps", 1e-5)
        TP, FP, FN, TN = tp + e, ps - tp + e, gs - tp + e, v - ps - gs + tp + e
        A, B, C, E = TP + FP, TP + FN, TN + FP, TN + FN
        D = math.sqrt(A * B * C * E)
        M = (TP * TN - FP * FN) / D
        # dN/dp_i = g (TN + FP) - (1 - g)(TP + FN) (counts carry eps); dA = 1, dE = -1
        return 1 - M, lambda g, p: -((g * (TN + FP) - (1 - g) * (TP + FN)) / D - M / 2 * (1 / A - 1 / E))
    if kind == "sensitivity_specificity_loss":
        r, sm = o.get("r", 0.05), o.get("smooth_dr", 1.0)
        cf, cb = r / (gs + sm), (1 - r) / (v - gs + sm)
        return cf * s["a"] + cb * s["b"], lambda g, p: 2 * (p - g) * (cf * g + cb * (1 - g))
    raise ValueError(kind)


# ---------------------------------------------------------------- whole losses

def activations(x, shape, o):
    """p per element, and the chain rule dL/dp -> dL/dx."""
    n, c, s = shape[0], shape[1], math.prod(shape[2:])
    logits, mc = o.get("from_logits", True), o.get("mode", "binary") == "multiclass"
    if not logits:
        return list(x), lambda dp: dp
    if not mc:
        p = [sig(v) for v in x]
        return p, lambda dp: [d * q * (1 - q) for d, q in zip(dp, p)]
    p = [0.0] * len(x)
    for b in range(n):
        for i in range(s):
            ks = [(b * c + k) * s + i for k in range(c)]
            m = max(x[k] for k in ks)
            e = [math.exp(x[k] - m) for k in ks]
            for k, ev in zip(ks, e):
                p[k] = ev / sum(e)

    def chain(dp):
        out = [0.0] * len(x)
        for b in range(n):
            for i in range(s):
                ks = [(b * c + k) * s + i for k in range(c)]
                dot = sum(p[k] * dp[k] for k in ks)
                for k in ks:
                    out[k] = p[k] * (dp[k] - dot)
        return out
    return p, chain


def region(kind, x, g, shape, o):
    n, c, s = shape[0], shape[1], math.prod(shape[2:])
    p, chain = activations(x, shape, o)
    ign = o.get("ignore_index")
    sq = o.get("squared_pred", False)
    c0 = 0 if o.get("include_background", True) else 1
    batch = o.get("batch", False)
    valid = [ign is None or gv != ign for gv in g]
    gz = [gv if ok else 0.0 for gv, ok in zip(g, valid)]
    # sums per (image, class)
    sums = {}
    for b in range(n):
        for ch in range(c0, c):
            key = (0 if batch else b, ch)
            e = sums.setdefault(key, dict(tp=0.0, ps=0.0, gs=0.0, v=0, a=0.0, b=0.0))
            for i in range(s):
                k = (b * c + ch) * s + i
                if not valid[k]:
                    continue
                e["tp"] += p[k] * gz[k]
                e["ps"] += p[k] ** 2 if sq else p[k]
                e["gs"] += gz[k] ** 2 if sq else gz[k]
                e["v"] += 1
                e["a"] += (gz[k] - p[k]) ** 2 * gz[k]
                e["b"] += (gz[k] - p[k]) ** 2 * (1 - gz[k])
    keys = sorted(sums)
    if kind in ("generalized_dice_loss", "penalty_generalized_dice_loss"):
        k = o.get("k", 2.5) if kind == "penalty_generalized_dice_loss" else 0.0
        return generalized_dice(sums, keys, p, gz, valid, chain, shape, o, k)
    terms = {key: term(kind, sums[key], o) for key in keys}
    red = o.get("reduction", "mean")
    w = 1 / len(keys) if red == "mean" else 1.0
    value = [terms[k][0] for k in keys] if red == "none" else w * sum(terms[k][0] for k in keys)
    dp = [0.0] * len(x)
    for b in range(n):
        for ch in range(c0, c):
            deriv = terms[(0 if batch else b, ch)][1]
            for i in range(s):
                k = (b * c + ch) * s + i
                if valid[k]:
                    dp[k] = w * deriv(gz[k], p[k])
    return value, chain(dp)


def generalized_dice(sums, keys, p, gz, valid, chain, shape, o, k=0.0):
    """Generalized Dice per entry; with k > 0 the penalty form L/(1 + k(1 - L)) (Yang,
    MIDL 2019), whose gradient is the GDL's times (1 + k)/(1 + k(1 - L))^2."""
    n, c, s = shape[0], shape[1], math.prod(shape[2:])
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    wt = o.get("weight_type", "square")
    entries = sorted({k[0] for k in keys})
    values, coef = [], {}
    for e in entries:
        classes = [k for k in keys if k[0] == e]
        raw = {k: (1.0 if wt == "uniform" else math.inf if sums[k]["gs"] == 0 else
                   1 / sums[k]["gs"] ** (2 if wt == "square" else 1)) for k in classes}
        finite = [v for v in raw.values() if math.isfinite(v)]
        wts = {k: (v if math.isfinite(v) else (max(finite) if finite else 1.0)) if finite else 1.0
               for k, v in raw.items()}
        num = sum(wts[k] * sums[k]["tp"] for k in classes)
        u = sum(wts[k] * (sums[k]["ps"] + sums[k]["gs"]) for k in classes) + sd
        loss = 1 - (2 * num + sn) / u
        d = 1 + k * (1 - loss)
        values.append(loss / d if k else loss)
        for key in classes:  # dL/dp_i = w_c [(2N + s_n) - 2 g_i U] / U^2, times the penalty factor
            coef[key] = (wts[key] * ((1 + k) / d ** 2 if k else 1.0), num, u)
    red = o.get("reduction", "mean")
    rw = 1 / len(entries) if red == "mean" else 1.0
    value = values if red == "none" else rw * sum(values)
    dp = [0.0] * len(p)
    batch = o.get("batch", False)
    for b in range(n):
        for ch in range(c):
            key = (0 if batch else b, ch)
            if key not in coef:
                continue
            wc, num, u = coef[key]
            for i in range(s):
                k = (b * c + ch) * s + i
                if valid[k]:
                    dp[k] = rw * wc * ((2 * num + sn) - 2 * gz[k] * u) / u ** 2
    return value, chain(dp)


# ---------------------------------------------------------------- cases

P4 = [0.9, 0.2, 0.7, 0.1]
G4 = [1.0, 0.0, 1.0, 0.0]
S4 = [1, 1, 2, 2]
PROBS = {"from_logits": False, "smooth_nr": 0.0, "smooth_dr": 0.0}

cases = [
    dict(name="survey log-cosh dice s=0", loss="log_cosh_dice_loss", options=PROBS, shape=S4, input=P4,
         target=G4, value=0.016022, grad=[-0.053707, 0.037362, -0.053707, 0.037362], tol=2e-6,
         source="LOSSES.md §6.13"),
    dict(name="survey mcc no eps", loss="mcc_loss", options={"from_logits": False, "eps": 0.0}, shape=S4,
         input=P4, target=G4, value=0.349186, grad=[-0.484315, 0.516937, -0.484315, 0.516937], tol=2e-6,
         source="LOSSES.md §6.13"),
]

rng = random.Random(20240603)


def logits(k):
    return [round(rng.gauss(0, 2), 3) for _ in range(k)]


def bits(k, p=0.5):
    return [1.0 if rng.random() < p else 0.0 for _ in range(k)]


def labels_one_hot(n, c, s, ignore=None, ignored=()):
    out = [0.0] * (n * c * s)
    for b in range(n):
        for i in range(s):
            lab = rng.randrange(c)
            for k in range(c):
                idx = (b * c + k) * s + i
                out[idx] = ignore if (b * s + i) in ignored else (1.0 if k == lab else 0.0)
    return out


ML = [2, 3, 2, 3]           # multilabel / multiclass, 2-D
V3 = [2, 1, 2, 2, 3]        # binary, 3-D
ml_x, ml_g = logits(36), bits(36)
ml_g[6:12] = [0.0] * 6      # image 0, class 1 empty
v3_x, v3_g = logits(24), bits(24, 0.4)
mc_x, mc_g = logits(36), labels_one_hot(2, 3, 6)
ign_g = list(ml_g)
ign_g[2], ign_g[20] = 255.0, 255.0
soft_g = [round(rng.random(), 3) for _ in range(36)]

specs = [
    ("log_cosh_dice_loss", "multilabel logits", {"mode": "multilabel"}, ML, ml_x, ml_g),
    ("log_cosh_dice_loss", "3-D smooth 1 batch", {"smooth_nr": 1.0, "smooth_dr": 1.0, "batch": True}, V3, v3_x, v3_g),
    ("log_dice_loss", "multilabel none", {"mode": "multilabel", "reduction": "none"}, ML, ml_x, ml_g),
    ("log_dice_loss", "squared 3-D", {"squared_pred": True, "reduction": "sum"}, V3, v3_x, v3_g),
    ("mcc_loss", "multilabel default eps", {"mode": "multilabel"}, ML, ml_x, ml_g),
    ("mcc_loss", "multiclass no background eps 1e-3", {"mode": "multiclass", "include_background": False, "eps": 1e-3}, ML, mc_x, mc_g),
    ("mcc_loss", "3-D batch", {"batch": True}, V3, v3_x, v3_g),
    ("asymmetric_similarity_loss", "multilabel ignore", {"mode": "multilabel", "ignore_index": 255.0}, ML, ml_x, ign_g),
    ("asymmetric_similarity_loss", "beta 0.5 multiclass", {"mode": "multiclass", "beta": 0.5, "reduction": "none"}, ML, mc_x, mc_g),
    ("generalized_dice_loss", "square multilabel empty class", {"mode": "multilabel"}, ML, ml_x, ml_g),
    ("generalized_dice_loss", "simple multiclass none", {"mode": "multiclass", "weight_type": "simple", "reduction": "none"}, ML, mc_x, mc_g),
    ("generalized_dice_loss", "uniform batch soft", {"mode": "multilabel", "weight_type": "uniform", "batch": True}, ML, ml_x, soft_g),
    ("generalized_dice_loss", "square multiclass no background smooth 1", {"mode": "multiclass", "include_background": False, "smooth_nr": 1.0, "smooth_dr": 1.0}, ML, mc_x, mc_g),
    ("penalty_generalized_dice_loss", "k 2.5 multiclass", {"mode": "multiclass"}, ML, mc_x, mc_g),
    ("penalty_generalized_dice_loss", "k 1 simple multilabel none", {"mode": "multilabel", "weight_type": "simple", "k": 1.0, "reduction": "none"}, ML, ml_x, ml_g),
    ("sensitivity_specificity_loss", "multilabel default", {"mode": "multilabel"}, ML, ml_x, ml_g),
    ("sensitivity_specificity_loss", "r 0.1 smooth 0 3-D none", {"r": 0.1, "smooth_dr": 0.0, "reduction": "none"}, V3, v3_x, v3_g),
    ("sensitivity_specificity_loss", "multiclass ignore batch", {"mode": "multiclass", "batch": True, "ignore_index": 255.0}, ML, mc_x, labels_one_hot(2, 3, 6, 255.0, {1, 8})),
]

for loss, label, options, shape, x, g in specs:
    value, grad = region(loss, x, g, shape, options)
    cases.append(dict(name=f"{loss} {label}", loss=loss, options=options, shape=shape, input=x, target=g,
                      value=value, grad=grad, tol=1e-9, source="make_golden_region.py"))



# ---------------------------------------------------------------- generalized Wasserstein Dice

def wasserstein_value(x, g, shape, o):
    """Fidon's generalized Wasserstein Dice (multiclass, dense one-hot g, softmax of x),
    written out per entry: W_i = sum_l g_il sum_c M[l][c] p_ic, weights alpha."""
    n, c, s = shape[0], shape[1], math.prod(shape[2:])
    p, _ = activations(x, shape, o)
    m = o.get("dist_matrix") or [[0.0 if a == b else 1.0 for b in range(c)] for a in range(c)]
    top = max(max(r) for r in m)
    m = [[v / top for v in r] for r in m]
    batch, gdl = o.get("batch", False), o.get("weighting_mode", "default") == "GDL"
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    entries = [list(range(n))] if batch else [[b] for b in range(n)]
    losses = []
    for images in entries:
        vol = [sum(g[(b * c + l) * s + i] for b in images for i in range(s)) for l in range(c)]
        alpha = [1 / (v + 1) for v in vol] if gdl else [0.0] + [1.0] * (c - 1)
        tp = err = den_gdl = 0.0
        for b in images:
            for i in range(s):
                gl = [g[(b * c + l) * s + i] for l in range(c)]
                w = sum(gl[l] * m[l][k] * p[(b * c + k) * s + i] for l in range(c) for k in range(c))
                a = sum(gl[l] * alpha[l] for l in range(c))
                tp, err, den_gdl = tp + a * (1 - w), err + w, den_gdl + a * (2 - w)
        den = (den_gdl if gdl else 2 * tp + err) + sd
        losses.append(1 - (2 * tp + sn) / den)
    red = o.get("reduction", "mean")
    return losses if red == "none" else (sum(losses) if red == "sum" else sum(losses) / len(losses))


def central_difference_case(loss, label, options, shape, x, g, value, tol, h=1e-6, objective=None):
    """A case whose gradient is the central difference (step h) of `objective(x, g, shape, o)`
    (default `value`, the case's value)."""
    objective = objective or value
    grad = []
    for k in range(len(x)):
        xp, xm = list(x), list(x)
        xp[k] += h
        xm[k] -= h
        grad.append((objective(xp, g, shape, options) - objective(xm, g, shape, options)) / (2 * h))
    return dict(name=f"{loss} {label}", loss=loss, options=options, shape=shape, input=x, target=g,
                value=value(x, g, shape, options), grad=grad, tol=tol, source="make_golden_region.py")


def wasserstein_case(label, options, shape, x, g, grad_output=None):
    def objective(xs, g_, shape_, o):
        v = wasserstein_value(xs, g_, shape_, o)
        return sum(a * b for a, b in zip(v, grad_output)) if grad_output else v
    return central_difference_case("generalized_wasserstein_dice_loss", label, options, shape, x, g,
                                   wasserstein_value, 1e-8, h=1e-5, objective=objective)


MONAI_M = [[0.0, 1.0, 1.0], [1.0, 0.0, 0.5], [1.0, 0.5, 0.0]]
cases.append(wasserstein_case("MONAI matrix multiclass", {"mode": "multiclass", "dist_matrix": MONAI_M}, ML, mc_x, mc_g))
cases.append(wasserstein_case("GDL weights batch smooth 1", {"mode": "multiclass", "weighting_mode": "GDL", "batch": True,
                                                           "smooth_nr": 1.0, "smooth_dr": 1.0}, ML, mc_x, mc_g))

# ---------------------------------------------------------------- soft clDice

def _morph(img, h, w, pick, offsets):
    """pick(...) over the in-bounds offsets around every pixel of an h x w plane."""
    out = []
    for y in range(h):
        for x in range(w):
            vals = [img[(y + dy) * w + x + dx] for dy, dx in offsets if 0 <= y + dy < h and 0 <= x + dx < w]
            out.append(pick(vals))
    return out


def soft_erode(img, h, w):
    vertical = _morph(img, h, w, min, [(-1, 0), (0, 0), (1, 0)])
    horizontal = _morph(img, h, w, min, [(0, -1), (0, 0), (0, 1)])
    return [min(a, b) for a, b in zip(vertical, horizontal)]


def soft_dilate(img, h, w):
    return _morph(img, h, w, max, [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])


def soft_skel(img, h, w, iterations):
    opened = soft_dilate(soft_erode(img, h, w), h, w)
    skel = [max(a - b, 0.0) for a, b in zip(img, opened)]
    for _ in range(iterations):
        img = soft_erode(img, h, w)
        opened = soft_dilate(soft_erode(img, h, w), h, w)
        delta = [max(a - b, 0.0) for a, b in zip(img, opened)]
        skel = [s + max(d - s * d, 0.0) for s, d in zip(skel, delta)]
    return skel


def cldice_value(x, g, shape, o):
    """Pooled soft clDice (and the Dice + clDice mix) of binary/multilabel 2-D planes."""
    n, c, h, w = shape
    p = [sig(v) for v in x] if o.get("from_logits", True) else list(x)
    c0 = 0 if o.get("include_background", True) else 1
    k, sm = o.get("iterations", 3), o.get("smooth", 1.0)
    spg = sp = sgp = sg = pg = ps = gs = 0.0
    for b in range(n):
        for ch in range(c0, c):
            lo = (b * c + ch) * h * w
            pp, gg = p[lo:lo + h * w], g[lo:lo + h * w]
            skp, skg = soft_skel(pp, h, w, k), soft_skel(gg, h, w, k)
            spg += sum(a * b_ for a, b_ in zip(skp, gg))
            sp += sum(skp)
            sgp += sum(a * b_ for a, b_ in zip(skg, pp))
            sg += sum(skg)
            pg += sum(a * b_ for a, b_ in zip(pp, gg))
            ps += sum(pp)
            gs += sum(gg)
    tprec, tsens = (spg + sm) / (sp + sm), (sgp + sm) / (sg + sm)
    cl = 1 - 2 * tprec * tsens / (tprec + tsens)
    if "alpha" not in o:
        return cl
    return (1 - o["alpha"]) * (1 - (2 * pg + sm) / (ps + gs + sm)) + o["alpha"] * cl


def cldice_case(loss, label, options, shape, x, g):
    return central_difference_case(loss, label, options, shape, x, g, cldice_value, 1e-7)


cl_x, cl_g = logits(30), bits(30)
cases.append(cldice_case("soft_cldice_loss", "binary 5x6 logits", {}, [1, 1, 5, 6], cl_x, cl_g))
cases.append(cldice_case("soft_dice_cldice_loss", "multilabel no background alpha 0.3 two iterations",
                         {"mode": "multilabel", "include_background": False, "alpha": 0.3, "iterations": 2},
                         [1, 2, 3, 5], cl_x, cl_g))


# ---------------------------------------------------------------- distance-weighted Dice

def proximity_weights(mask, valid, h, w):
    """w = 1 + phi of one 2-D plane by brute force: e = distance to the nearest voxel of
    the other side; phi = (M - e)/(M - m) per side over the valid voxels (1 if M = m);
    phi = 0 on a plane whose mask is empty or full."""
    n = h * w
    if all(mask) or not any(mask):
        return [1.0] * n
    e = []
    for i in range(n):
        y, x = divmod(i, w)
        e.append(min(math.hypot(y - j // w, x - j % w) for j in range(n) if mask[j] != mask[i]))
    out = []
    for side in (True, False):
        vals = [e[i] for i in range(n) if mask[i] == side and valid[i]]
        top, low = (max(vals), min(vals)) if vals else (0.0, 0.0)
        out.append((top, low))
    res = []
    for i in range(n):
        top, low = out[0] if mask[i] else out[1]
        res.append(1 + ((top - e[i]) / (top - low) if top > low else 1.0))
    return res


def weighted_dice_value(x, g, shape, o):
    """Distance-weighted Dice of binary/multilabel 2-D planes, per (image, class) or pooled."""
    n, c, h, w = shape
    hw = h * w
    ign = o.get("ignore_index")
    p = [sig(v) for v in x] if o.get("from_logits", True) else list(x)
    c0 = 0 if o.get("include_background", True) else 1
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    sums = {}
    for b in range(n):
        for ch in range(c0, c):
            lo = (b * c + ch) * hw
            valid = [g[lo + i] != ign for i in range(hw)]
            mask = [valid[i] and g[lo + i] > 0.5 for i in range(hw)]
            wt = proximity_weights(mask, valid, h, w)
            key = ch if o.get("batch", False) else (b, ch)
            t = sums.setdefault(key, [0.0, 0.0, 0.0])
            for i in range(hw):
                if valid[i]:
                    t[0] += p[lo + i] * g[lo + i] * wt[i]
                    t[1] += p[lo + i]
                    t[2] += g[lo + i]
    losses = [1 - (2 * tp + sn) / (ps + gs + sd) for tp, ps, gs in sums.values()]
    return sum(losses) / len(losses)


def weighted_dice_case(label, options, shape, x, g):
    return central_difference_case("distance_weighted_dice_loss", label, options, shape, x, g, weighted_dice_value, 1e-7)


dw_x = logits(60)
dw_g = [1.0 if 1 <= r <= 3 and 2 <= q <= 5 else 0.0 for r in range(5) for q in range(6)]  # a 3x4 block
dw_line = [1.0 if q == 2 else 0.0 for r in range(5) for q in range(6)]  # one-voxel-thin line (SegLoss: NaN)
cases.append(weighted_dice_case("binary block and thin line, 2 images", {}, [2, 1, 5, 6], dw_x, dw_g + dw_line))
dw_ign = list(dw_g)
dw_ign[0] = dw_ign[7] = 255.0
cases.append(weighted_dice_case("multilabel no background, batch, ignore, smooth 1",
                                {"mode": "multilabel", "include_background": False, "batch": True, "ignore_index": 255,
                                 "smooth_nr": 1, "smooth_dr": 1},
                                [1, 2, 5, 6], dw_x, dw_line + dw_ign))

if __name__ == "__main__":
    import pathlib
    out = pathlib.Path(__file__).with_name("golden_region.json")
    out.write_text(json.dumps({"losses": cases}, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {out}")
