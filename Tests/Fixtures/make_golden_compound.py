"""Writes golden_compound.json: known values of the compound family (combo, exp-log, unified
focal and its parts) shared by the Swift (CompoundGoldenTests.swift) and Python
(test_compound_golden.py) suites.

Independent of the library: the losses are written out below in plain Python (no NumPy)
from the papers' formulas as documented (LOSSES.md §1.5, §2 rows 13-14, 31-32, 47-49):
per (image, class) sums TP, P, G over valid voxels, the ratio, the transform, the mean;
per voxel cross-entropy terms. Gradients are central finite differences of these plain
formulas (h = 1e-5; error ~1e-10). Run `python3 make_golden_compound.py` to regenerate.
"""
import json
import math
import random

EPS = 1e-7


def sig(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def neg_logs(x, logits):
    """(-log p, -log(1 - p), p)."""
    if logits:
        sp = lambda t: max(t, 0) + math.log1p(math.exp(-abs(t)))  # log(1 + e^t)
        return sp(-x), sp(x), sig(x)
    p = min(max(x, EPS), 1 - EPS)
    return -math.log(p), -math.log(1 - p), p


def layout(shape):
    n, c = shape[0], shape[1]
    s = 1
    for d in shape[2:]:
        s *= d
    return n, c, s


def entries(x, g, shape, o):
    """{entry: (TP, P, G, V)} of the foreground channels over valid voxels."""
    n, c, s = layout(shape)
    logits, ign = o.get("from_logits", True), o.get("ignore_index")
    out = {}
    for b in range(n):
        for ch in range(c):
            key = ch if o.get("batch") else (b, ch)
            tp, ps, gs, v = out.get(key, (0, 0, 0, 0))
            for i in range(s):
                k = (b * c + ch) * s + i
                if ign is not None and g[k] == ign:
                    continue
                p = sig(x[k]) if logits else x[k]
                tp, ps, gs, v = tp + p * g[k], ps + p, gs + g[k], v + 1
            out[key] = (tp, ps, gs, v)
    return out


def mean_entries(terms):
    terms = [t for t in terms if t is not None]
    return sum(terms) / len(terms) if terms else 0.0


def one_minus_tversky(tp, ps, gs, delta, o):
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    fn, fp = gs - tp, ps - tp
    return 1 - (tp + sn) / (tp + delta * fn + (1 - delta) * fp + sd)


def powf(base, e, floor):
    return max(base, floor) ** e


def ftl(x, g, shape, o, symmetric):
    delta, gamma = o.get("delta", 0.7), o.get("gamma", 0.75)
    floor = o.get("floor", 1e-7)
    terms = []
    for (tp, ps, gs, v) in entries(x, g, shape, o).values():
        if v == 0:
            terms.append(None)
            continue
        fg = powf(one_minus_tversky(tp, ps, gs, delta, o), 1 - gamma, floor)
        # background: probabilities 1 - p, target 1 - g
        bgb = one_minus_tversky(v - ps - gs + tp, v - ps, v - gs, delta, o)
        bg = powf(bgb, 1 - gamma, floor) if symmetric else bgb
        terms.append((fg + bg) / 2)
    return terms


def voxel_mean(x, g, o, term):
    ign = o.get("ignore_index")
    vals = [term(xi, gi) for xi, gi in zip(x, g) if ign is None or gi != ign]
    return sum(vals) / len(vals) if vals else 0.0


def yeung_focal(x, g, o, symmetric):
    d, gm, logits = o.get("delta", 0.7), o.get("gamma", 2.0), o.get("from_logits", True)

    def term(xi, gi):
        a, b, p = neg_logs(xi, logits)
        fg = d * gi * a * ((1 - p) ** gm if symmetric else 1)
        return fg + (1 - d) * (1 - gi) * p ** gm * b
    return term


def softmax_parts(x, shape, logits):
    """p and log p per element of (N, C, S) logits (softmax over C) or probabilities."""
    n, c, s = layout(shape)
    p, lp = [0.0] * len(x), [0.0] * len(x)
    for b in range(n):
        for i in range(s):
            idx = [(b * c + ch) * s + i for ch in range(c)]
            if logits:
                m = max(x[k] for k in idx)
                lse = m + math.log(sum(math.exp(x[k] - m) for k in idx))
                for k in idx:
                    lp[k] = x[k] - lse
                    p[k] = math.exp(lp[k])
            else:
                for k in idx:
                    p[k] = x[k]
                    lp[k] = math.log(min(max(x[k], EPS), 1 - EPS))
    return p, lp


def multiclass_loss(name, x, g, shape, o):
    """Multiclass mode (dense one-hot targets, no ignore_index in these cases)."""
    n, c, s = layout(shape)
    p, lp = softmax_parts(x, shape, o.get("from_logits", True))
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    stats = []  # (class, TP, P, G) per (image, class)
    for b in range(n):
        for ch in range(c):
            ks = range((b * c + ch) * s, (b * c + ch + 1) * s)
            stats.append((ch, sum(p[k] * g[k] for k in ks), sum(p[k] for k in ks), sum(g[k] for k in ks)))
    voxels = n * s

    def cat(term):  # mean over voxels of sum over classes of term(class, k)
        return sum(term(k // s % c, k) for k in range(len(x))) / voxels
    dice = sum(1 - (2 * tp + sn) / (ps + gs + sd) for _, tp, ps, gs in stats) / len(stats)
    if name == "dice_ce_loss":
        return o.get("lambda_dice", 1) * dice + o.get("lambda_ce", 1) * cat(lambda ch, k: -g[k] * lp[k])
    if name == "dice_focal_loss":
        gm = o.get("gamma", 2.0)
        return dice + cat(lambda ch, k: -g[k] * (1 - p[k]) ** gm * lp[k])
    if name == "combo_loss":
        a, be = o.get("alpha", 0.5), o.get("beta", 0.5)
        return a * cat(lambda ch, k: -(be if ch else 1 - be) * g[k] * lp[k]) + (1 - a) * dice
    if name == "exp_log_loss":
        gd, gc, fl = o.get("gamma_dice", 0.3), o.get("gamma_ce", 0.3), o.get("floor", 1e-7)
        ed = sum(powf(-math.log((2 * tp + sn) / (ps + gs + sd)), gd, fl) for _, tp, ps, gs in stats) / len(stats)
        return 0.8 * ed + 0.2 * cat(lambda ch, k: g[k] * powf(-lp[k], gc, fl))
    if name == "unified_focal_loss":
        sym = o.get("variant", "asymmetric") == "symmetric"
        d, gm, lam = o.get("delta", 0.6), o.get("gamma", 0.5), o.get("weight", 0.5)
        ftl_terms = []
        for ch, tp, ps, gs in stats:
            base = one_minus_tversky(tp, ps, gs, d, o)
            ftl_terms.append(base if (ch == 0 and not sym) else powf(base, 1 - gm, 1e-7))
        fl = cat(lambda ch, k: -(1 - d) * (1 - p[k]) ** gm * g[k] * lp[k] if ch == 0
                 else -d * ((1 - p[k]) ** gm if sym else 1) * g[k] * lp[k])
        return lam * sum(ftl_terms) / len(ftl_terms) + (1 - lam) * fl
    raise ValueError(name)


HYBRIDS = ("generalized_dice_focal_loss", "dice_top_k_loss", "unet3p_hybrid_loss", "basnet_hybrid_loss",
           "dice_boundary_loss", "dice_hausdorff_dt_loss")


def region_mean(x, g, shape, o, ratio):
    """Mean over (image, channel) entries with valid voxels of 1 - ratio(TP, P, G)."""
    return mean_entries([None if v == 0 else 1 - ratio(tp, ps, gs)
                         for (tp, ps, gs, v) in entries(x, g, shape, o).values()])


def generalized_dice(x, g, shape, o):
    """Sudre's GDL per image over its channels, w_c = 1/G_c^2 (square) or 1/G_c (simple);
    the cases keep every class non-empty."""
    n, c, _ = layout(shape)
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    stats = entries(x, g, shape, dict(o, batch=False))
    power = 1 if o.get("weight_type") == "simple" else 2
    terms = []
    for b in range(n):
        num = den = 0.0
        for ch in range(c):
            tp, ps, gs, _ = stats[(b, ch)]
            w = 1 / gs ** power
            num, den = num + w * tp, den + w * (ps + gs)
        terms.append(1 - (2 * num + sn) / (den + sd))
    return sum(terms) / len(terms)


def sigmoid_focal(o):
    alpha, gm, logits = o.get("alpha"), o.get("gamma", 2.0), o.get("from_logits", True)
    wp, wn = (1.0, 1.0) if alpha is None else (alpha, 1 - alpha)

    def term(xi, gi):
        a, b, p = neg_logs(xi, logits)
        if not logits:
            p = min(max(xi, EPS), 1 - EPS)
        return wp * gi * (1 - p) ** gm * a + wn * (1 - gi) * p ** gm * b
    return term


def bce(o):
    def term(xi, gi):
        a, b, _ = neg_logs(xi, o.get("from_logits", True))
        return gi * a + (1 - gi) * b
    return term


def top_k(x, g, o, k):
    """Mean of the K = max(1, floor(k n / 100)) largest BCE values over the valid elements."""
    ign = o.get("ignore_index")
    vals = sorted((bce(o)(xi, gi) for xi, gi in zip(x, g) if ign is None or gi != ign), reverse=True)
    kk = max(1, int(k * len(vals) / 100))
    return sum(vals[:kk]) / kk


def gaussian_window(size, sigma):
    r = size // 2
    w = [math.exp(-((i - r) ** 2) / (2 * sigma ** 2)) for i in range(size)]
    return [v / sum(w) for v in w]


def ssim_loss(x, g, shape, o):
    """1 - mean SSIM per (image, channel), Gaussian window applied without padding."""
    import itertools
    n, c, s = layout(shape)
    spatial = shape[2:]
    size, sigma = o.get("win_size", 11), o.get("kernel_sigma", 1.5)
    c1, c2 = (o.get("k1", 0.01) * 1.0) ** 2, (o.get("k2", 0.03) * 1.0) ** 2
    w = gaussian_window(size, sigma)
    logits = o.get("from_logits", True)
    strides = [1] * len(spatial)
    for d in range(len(spatial) - 2, -1, -1):
        strides[d] = strides[d + 1] * spatial[d + 1]
    out = [d - size + 1 for d in spatial]
    terms = []
    for b in range(n):
        for ch in range(c):
            base = (b * c + ch) * s
            p = [sig(v) if logits else v for v in x[base:base + s]]
            t = g[base:base + s]
            total = 0.0
            for j in itertools.product(*[range(m) for m in out]):
                mp = mg = epp = egg = epg = 0.0
                for off in itertools.product(range(size), repeat=len(spatial)):
                    wt = 1.0
                    for a in off:
                        wt *= w[a]
                    k = sum((j[d] + off[d]) * strides[d] for d in range(len(spatial)))
                    mp, mg = mp + wt * p[k], mg + wt * t[k]
                    epp, egg, epg = epp + wt * p[k] ** 2, egg + wt * t[k] ** 2, epg + wt * p[k] * t[k]
                sp, sg, spg = epp - mp * mp, egg - mg * mg, epg - mp * mg
                total += ((2 * mp * mg + c1) * (2 * spg + c2)) / ((mp * mp + mg * mg + c1) * (sp + sg + c2))
            count = 1
            for m in out:
                count *= m
            terms.append(1 - total / count)
    return sum(terms) / len(terms)


def other_class_distances(mask, spatial):
    """Per voxel of a row, the Euclidean distance to the nearest voxel of the other class
    (brute force); None when the row is empty or full (no boundary)."""
    import itertools
    coords = list(itertools.product(*[range(d) for d in spatial]))
    if all(mask) or not any(mask):
        return None
    return [min(math.dist(a, b) for b, mb in zip(coords, mask) if mb != ma) for a, ma in zip(coords, mask)]


def distance_mean(x, g, shape, o, term):
    """Mean over voxels of term(p, g, d_pred, d_target, inside_target) per row (binary cases)."""
    n, c, s = layout(shape)
    logits = o.get("from_logits", True)
    total, count = 0.0, 0
    for row in range(n * c):
        ks = range(row * s, (row + 1) * s)
        p = [sig(x[k]) if logits else x[k] for k in ks]
        t = [g[k] for k in ks]
        dg = other_class_distances([v > 0.5 for v in t], shape[2:])
        dp = other_class_distances([v > 0.5 for v in p], shape[2:])
        for i in range(s):
            total += term(p[i], t[i], 0.0 if dp is None else dp[i], 0.0 if dg is None else dg[i], dg is None)
            count += 1
    return total / count


def boundary(x, g, shape, o):
    """Kervadec: p·phi, phi = distance to G outside, -(distance to background - 1) inside."""
    def term(p, t, dp, dg, no_boundary):
        if no_boundary:
            return 0.0
        return p * (dg if t <= 0.5 else -(dg - 1))
    return distance_mean(x, g, shape, o, term)


def hausdorff_dt(x, g, shape, o):
    a = o.get("alpha", 2.0)
    return distance_mean(x, g, shape, o, lambda p, t, dp, dg, _: (p - t) ** 2 * (dp ** a + dg ** a))


def hybrid_loss(name, x, g, shape, o):
    """The sums of whole losses (binary/multilabel cases)."""
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    dice = region_mean(x, g, shape, o, lambda tp, ps, gs: (2 * tp + sn) / (ps + gs + sd))
    if name == "dice_boundary_loss":
        region = generalized_dice(x, g, shape, o) if o.get("generalized", True) else dice
        return o.get("lambda_dice", 1) * region + o.get("lambda_boundary", 0.01) * boundary(x, g, shape, o)
    if name == "dice_hausdorff_dt_loss":
        weight = o["_balance"] if "_balance" in o else hausdorff_dt(x, g, shape, o) / dice
        return weight * dice + hausdorff_dt(x, g, shape, o)
    if name == "generalized_dice_focal_loss":
        return (o.get("lambda_gdl", 1) * generalized_dice(x, g, shape, o)
                + o.get("lambda_focal", 1) * voxel_mean(x, g, o, sigmoid_focal(o)))
    if name == "dice_top_k_loss":
        return o.get("lambda_dice", 1) * dice + o.get("lambda_top_k", 1) * top_k(x, g, o, o.get("k", 10))
    jaccard = region_mean(x, g, shape, o, lambda tp, ps, gs: (tp + sn) / (ps + gs - tp + sd))
    if name == "unet3p_hybrid_loss":
        first = o.get("lambda_focal", 1) * voxel_mean(x, g, o, sigmoid_focal(dict(o, alpha=o.get("alpha", 0.25))))
    else:
        first = o.get("lambda_ce", 1) * voxel_mean(x, g, o, bce(o))
    return first + o.get("lambda_ssim", 1) * ssim_loss(x, g, shape, o) + o.get("lambda_jaccard", 1) * jaccard


def loss(name, x, g, shape, o):
    logits = o.get("from_logits", True)
    if name in HYBRIDS:
        return hybrid_loss(name, x, g, shape, o)
    if o.get("mode") == "multiclass":
        return multiclass_loss(name, x, g, shape, o)
    if name == "dice_ce_loss":
        return (o.get("lambda_dice", 1) * loss("combo_loss", x, g, shape, dict(o, alpha=0.0))
                + o.get("lambda_ce", 1) * 2 * loss("combo_loss", x, g, shape, dict(o, alpha=1.0, beta=0.5)))
    if name == "dice_focal_loss":
        gm = o.get("gamma", 2.0)

        def focal(xi, gi):
            a, b, p = neg_logs(xi, logits)
            return gi * (1 - p) ** gm * a + (1 - gi) * p ** gm * b
        return loss("combo_loss", x, g, shape, dict(o, alpha=0.0)) + voxel_mean(x, g, o, focal)
    if name in ("asymmetric_focal_tversky_loss", "symmetric_focal_tversky_loss"):
        return mean_entries(ftl(x, g, shape, o, name.startswith("symmetric")))
    if name in ("asymmetric_focal_loss", "symmetric_focal_loss"):
        return voxel_mean(x, g, o, yeung_focal(x, g, o, name.startswith("symmetric")))
    if name == "unified_focal_loss":
        sym = o.get("variant", "asymmetric") == "symmetric"
        oo = dict(o, delta=o.get("delta", 0.6), gamma=o.get("gamma", 0.5))
        lam = o.get("weight", 0.5)
        return (lam * mean_entries(ftl(x, g, shape, oo, sym))
                + (1 - lam) * voxel_mean(x, g, oo, yeung_focal(x, g, oo, sym)))
    sn, sd = o.get("smooth_nr", 1e-5), o.get("smooth_dr", 1e-5)
    if name == "combo_loss":
        a, be = o.get("alpha", 0.5), o.get("beta", 0.5)

        def ce(xi, gi):
            la, lb, _ = neg_logs(xi, logits)
            return be * gi * la + (1 - be) * (1 - gi) * lb
        dice = mean_entries([None if v == 0 else 1 - (2 * tp + sn) / (ps + gs + sd)
                             for (tp, ps, gs, v) in entries(x, g, shape, o).values()])
        return a * voxel_mean(x, g, o, ce) + (1 - a) * dice
    if name == "exp_log_loss":
        wd, wc = o.get("w_dice", 0.8), o.get("w_ce", 0.2)
        gd, gc, fl = o.get("gamma_dice", 0.3), o.get("gamma_ce", 0.3), o.get("floor", 1e-7)

        def ce(xi, gi):
            la, lb, _ = neg_logs(xi, logits)
            return gi * powf(la, gc, fl) + (1 - gi) * powf(lb, gc, fl)
        dice = mean_entries([None if v == 0 else powf(-math.log((2 * tp + sn) / (ps + gs + sd)), gd, fl)
                             for (tp, ps, gs, v) in entries(x, g, shape, o).values()])
        return wd * dice + wc * voxel_mean(x, g, o, ce)
    raise ValueError(name)


def values_none(name, x, g, shape, o):
    """Unreduced values of the parts: focal -> per element, focal Tversky -> per entry."""
    if name.endswith("focal_loss"):
        ign = o.get("ignore_index")
        term = yeung_focal(x, g, o, name.startswith("symmetric"))
        return [0.0 if (ign is not None and gi == ign) else term(xi, gi) for xi, gi in zip(x, g)]
    return [float("nan") if t is None else t for t in ftl(x, g, shape, o, name.startswith("symmetric"))]


def case(label, name, options, shape, x, g, grad_output=None):
    reduced = options.get("reduction", "mean")
    held = dict(options)
    if name == "dice_hausdorff_dt_loss":  # the Dice weight L_HD/L_Dice is held constant
        sn, sd = options.get("smooth_nr", 1e-5), options.get("smooth_dr", 1e-5)
        dice = region_mean(x, g, shape, options, lambda tp, ps, gs: (2 * tp + sn) / (ps + gs + sd))
        held["_balance"] = hausdorff_dt(x, g, shape, options) / dice

    def objective(xs):
        if reduced == "none":
            return sum(w * v for w, v in zip(grad_output, values_none(name, xs, g, shape, options)))
        total = loss(name, xs, g, shape, held)
        if reduced == "sum":
            raise ValueError("sum cases are not generated")
        return total
    h = 1e-5
    grad = []
    for i in range(len(x)):
        xp, xm = list(x), list(x)
        xp[i] += h
        xm[i] -= h
        grad.append((objective(xp) - objective(xm)) / (2 * h))
    value = (values_none(name, x, g, shape, options) if reduced == "none"
             else loss(name, x, g, shape, options))
    out = dict(name=label, loss=name, options=options, shape=shape, input=x, target=g,
               value=value, grad=grad, tol=1e-7)
    if grad_output is not None:
        out["grad_output"] = grad_output
    return out


def main():
    rnd = random.Random(2024)
    p613 = [0.9, 0.2, 0.7, 0.1]
    g613 = [1.0, 0.0, 1.0, 0.0]
    s4 = [1, 1, 2, 2]
    probs0 = dict(from_logits=False, smooth_nr=0.0, smooth_dr=0.0)

    def logits(n):
        return [round(rnd.gauss(0, 2), 6) for _ in range(n)]

    def bits(n):
        return [float(rnd.random() < 0.5) for _ in range(n)]

    x12, g12 = logits(12), bits(12)
    g12i = list(g12)
    g12i[3] = 255.0
    g12i[8] = 255.0
    x18, g18 = logits(18), bits(18)
    x12b, g12b = logits(12), [round(rnd.random(), 4) for _ in range(12)]
    go = [round(rnd.gauss(0, 1), 4) for _ in range(12)]
    x24 = logits(24)
    lab = [rnd.randrange(3) for _ in range(8)]
    onehot = [float(lab[b * 4 + i] == ch) for b in range(2) for ch in range(3) for i in range(4)]
    mc = [2, 3, 2, 2]
    cases = [
        case("dice_ce binary logits ignore", "dice_ce_loss", dict(ignore_index=255.0, lambda_ce=0.5),
             [2, 1, 2, 3], x12, g12i),
        case("dice_ce multiclass one-hot", "dice_ce_loss", dict(mode="multiclass"), mc, x24, onehot),
        case("dice_focal binary probabilities", "dice_focal_loss", dict(from_logits=False), s4, p613, g613),
        case("dice_focal multiclass one-hot", "dice_focal_loss", dict(mode="multiclass"), mc, x24, onehot),
        case("combo multiclass beta 0.7", "combo_loss", dict(mode="multiclass", beta=0.7, alpha=0.4), mc, x24, onehot),
        case("exp_log multiclass", "exp_log_loss", dict(mode="multiclass"), mc, x24, onehot),
        case("unified asymmetric multiclass", "unified_focal_loss", dict(mode="multiclass"), mc, x24, onehot),
        case("unified symmetric multiclass", "unified_focal_loss", dict(mode="multiclass", variant="symmetric"),
             mc, x24, onehot),
        case("combo §6.13 probabilities", "combo_loss", probs0, s4, p613, g613),
        case("combo multilabel alpha 0.3 beta 0.7 ignore batch", "combo_loss",
             dict(mode="multilabel", alpha=0.3, beta=0.7, ignore_index=255.0, batch=True), [2, 2, 3], x12, g12i),
        case("exp_log §6.13 probabilities", "exp_log_loss", probs0, s4, p613, g613),
        case("exp_log multilabel gammas 0.5 1.5 soft", "exp_log_loss",
             dict(mode="multilabel", gamma_dice=0.5, gamma_ce=1.5, w_dice=0.6, w_ce=0.4), [1, 2, 2, 3], x12b, g12b),
        case("asymmetric focal §6.13 probabilities", "asymmetric_focal_loss", dict(from_logits=False), s4, p613, g613),
        case("asymmetric focal logits ignore", "asymmetric_focal_loss",
             dict(mode="multilabel", ignore_index=255.0, delta=0.6, gamma=1.5), [2, 2, 3], x12, g12i),
        case("symmetric focal none grad_output", "symmetric_focal_loss",
             dict(mode="multilabel", reduction="none", gamma=0.5), [1, 2, 2, 3], x12b, g12b, go),
        case("asymmetric focal Tversky §6.13 probabilities", "asymmetric_focal_tversky_loss", probs0, s4, p613, g613),
        case("symmetric focal Tversky §6.13 probabilities", "symmetric_focal_tversky_loss", probs0, s4, p613, g613),
        case("asymmetric focal Tversky 3-D logits", "asymmetric_focal_tversky_loss",
             dict(delta=0.6, gamma=0.5, smooth_nr=1.0, smooth_dr=1.0), [1, 1, 2, 3, 3], x18, g18),
        case("symmetric focal Tversky none multilabel", "symmetric_focal_tversky_loss",
             dict(mode="multilabel", reduction="none"), [2, 2, 3], x12, g12, go[:4]),
        case("unified focal default logits", "unified_focal_loss", {}, [2, 1, 2, 3], x12, g12),
        case("unified focal symmetric 3-D", "unified_focal_loss",
             dict(variant="symmetric", weight=0.3, delta=0.7, gamma=0.4), [1, 1, 2, 3, 3], x18, g18),
        case("unified focal probabilities ignore", "unified_focal_loss",
             dict(from_logits=False, ignore_index=255.0), [2, 1, 2, 3], [sig(v) for v in x12], g12i),
    ]
    # Sums of whole losses (drawn after the cases above, which stay unchanged).
    x20, x24b = logits(20), logits(24)
    g12n = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0]  # every (image, channel) non-empty
    p12 = [round(0.05 + 0.9 * rnd.random(), 4) for _ in range(12)]
    g20 = bits(20)
    g24 = bits(24)
    x27, g27, x25, g25 = logits(27), bits(27), logits(25), bits(25)
    cases += [
        case("gdl_focal binary logits", "generalized_dice_focal_loss", {}, [2, 1, 2, 3], x12, g12n),
        case("gdl_focal multilabel simple alpha gamma probabilities", "generalized_dice_focal_loss",
             dict(mode="multilabel", from_logits=False, weight_type="simple", alpha=0.25, gamma=1.5,
                  lambda_gdl=0.5, lambda_focal=2.0), [1, 2, 2, 3], p12, g12n),
        case("dice_top_k binary logits k 25", "dice_top_k_loss", dict(k=25.0), [2, 1, 2, 3], x12, g12n),
        case("dice_top_k multilabel ignore lambdas", "dice_top_k_loss",
             dict(mode="multilabel", ignore_index=255.0, lambda_dice=0.5, lambda_top_k=2.0), [2, 2, 3], x12, g12i),
        case("unet3p binary logits window 3", "unet3p_hybrid_loss", dict(win_size=3), [1, 1, 4, 5], x20, g20),
        case("unet3p 3-D window 3 sigma 1 lambdas", "unet3p_hybrid_loss",
             dict(win_size=3, kernel_sigma=1.0, gamma=1.0, lambda_ssim=2.0, lambda_jaccard=0.5),
             [1, 1, 3, 3, 3], x27, g27),
        case("basnet multilabel probabilities window 3", "basnet_hybrid_loss",
             dict(mode="multilabel", from_logits=False, win_size=3, smooth_nr=0.0, smooth_dr=0.0),
             [1, 2, 3, 4], [round(0.2 + 0.6 * sig(v), 6) for v in x24b], g24),
        case("basnet binary logits window 5 k1 k2", "basnet_hybrid_loss",
             dict(win_size=5, k1=0.05, k2=0.1, lambda_ce=0.3), [1, 1, 5, 5], x25, g25),
    ]
    # Distance-map compounds (maps are constants; no prediction crosses 0.5 within h).
    x12d = logits(12)
    g12d = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    cases += [
        case("dice_boundary GDL default", "dice_boundary_loss", {}, [2, 1, 2, 3], x12d, g12d),
        case("dice_boundary soft Dice lambdas", "dice_boundary_loss",
             dict(generalized=False, lambda_dice=0.5, lambda_boundary=0.5, smooth_nr=0.0, smooth_dr=0.0),
             [1, 1, 3, 4], x12d, g12d),
        case("dice_hausdorff_dt balanced", "dice_hausdorff_dt_loss", {}, [2, 1, 2, 3], x12d, g12d),
        case("dice_hausdorff_dt alpha 1 probabilities", "dice_hausdorff_dt_loss", dict(alpha=1.0, from_logits=False),
             [1, 1, 3, 4], [round(0.1 + 0.8 * sig(v), 6) for v in x12d], g12d),
    ]
    with open("golden_compound.json", "w") as f:
        json.dump({"losses": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":
    main()
