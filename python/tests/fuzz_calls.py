"""Randomised calls of the whole public API, for `test_fuzz.py` (run in a subprocess, so
that a crash of the interpreter is a test failure and not the end of the test run).

    python python/tests/fuzz_calls.py SEED CALLS

Each call starts from a valid one (a loss, metric or distance function with arrays of a
shape it accepts) and then changes zero to three things at random: an option set to a
valid or an invalid value, the dtype, layout or shape of an array, a NaN or an infinity,
labels out of range, huge logits. Every call must either return or raise `ValueError` /
`TypeError`; when it returns, the gradient has the input's shape and a float dtype; and
the caller's arrays are never modified. Before each call its description is written to
stderr-safe `last_call` (the file named by the environment variable FUZZ_LAST_CALL), so
that a crash can be reported with the call that caused it.

Prints one line "calls=N returned=R rejected=J unexpected=U" and exits 1 when U > 0.
"""
from __future__ import annotations

import inspect
import os
import random
import sys
import warnings

import numpy as np

import semsegloss_swift as ss

#: Values an option may take that the library accepts (the defaults are added per call).
VALID = {
    "mode": ["binary", "multilabel", "multiclass"], "reduction": ["mean", "sum", "none"],
    "from_logits": [True, False], "return_grad": [True, False], "batch": [True, False],
    "include_background": [True, False], "ignore_index": [None, 0, 1, 255, -100],
    "squared_pred": [True, False], "soft_label": [True, False], "per_image": [True, False],
    "classes": ["present", "all"], "empty": ["smooth", "skip", "penalize_fp", "nan", "zero", "one"],
    "smooth_nr": [0.0, 1e-5, 1.0], "smooth_dr": [0.0, 1e-5, 1.0], "alpha": [0.0, 0.3, 0.5, 1.0],
    "beta": [0.0, 0.7, 1.0, 2.0], "gamma": [0.0, 0.5, 2.0, 4.0], "delta": [0.3, 0.6],
    "label_smoothing": [0.0, 0.1, 1.0], "k": [1.0, 10.0, 100.0], "threshold": [0.0, 0.5, 1.0],
    "weight_type": ["square", "simple", "uniform"], "variant": ["asymmetric", "symmetric"],
    "win_size": [1, 3, 11], "percentile": [None, 50, 95], "directed": [True, False],
    "spacing": [None, (1.0, 1.0), (2.5, 0.5), (1.0, 2.0, 3.0)],
    "normalize_map": ["none", "max", "diagonal"],
    "scale_weights": [None, (1.0,), (0.5, 0.5), (0.2, 0.3, 0.5)],
    "weight": [None, 0.5, (1.0, 2.0), (0.5, 1.0, 2.0)], "pos_weight": [None, 1.0, 3.0],
    "loss": ["dice_bce", "jaccard", "focal", "tversky", "focal_tversky", "lovasz_hinge_loss",
             ss.presets.preset("smp", "tversky_loss"), ss.presets.preset("monai", "dice_loss")],
    "loss_options": [None, {"gamma": 1.0}, {"alpha": 0.3, "beta": 0.7}, {"smooth": 1.0}],
    "lr": [1e-3, 0.0, 10.0], "batch_size": [1, 2, 16], "seed": [0, 7], "weight_decay": [0.0, 1e-4],
    "base_channels": [1, 2, 3], "depth": [0, 1, 2], "batch_norm": [True, False], "epochs": [0, 1, 2],
    "validation": [True, False], "output": ["probabilities", "logits", "mask"],
    "weight_mode": ["exp", "same", "two"], "weights": [None, [1.0, 0.5], [0.0, 2.0, 1.0]], "levels": [1, 2, 3],
    "mask_dtype": ["float64", "float32", "bool", "int64"], "mask_batch": ["N", 1], "mask_value": [0.0, 0.5, 1.0],
}
#: Values that are wrong for almost every option.
INVALID = [None, -1, 0, 2, -0.5, 1e300, float("nan"), float("inf"), "x", "", [], [1.0, 2.0],
           np.array([1.0, np.nan]), np.ones((2, 2)), 2 ** 40, -2 ** 63, 2 ** 64, {}, object(), b"ab",
           np.int64(-3), np.float32(0.5), True]


def train(images, masks, *, loss="dice_bce", loss_options=None, lr=2e-4, batch_size=4, seed=0,
          weight_decay=0.0, threshold=0.5, base_channels=2, depth=1, batch_norm=False, epochs=1,
          validation=False, output="probabilities"):
    """A small U-Net trained for `epochs` on (images, masks), then evaluated and used to
    predict: the training API as one fuzzable call."""
    model = ss.UNet(in_channels=np.shape(images)[1] if np.ndim(images) == 4 else 1,
                    base_channels=base_channels, depth=depth, seed=seed, batch_norm=batch_norm)
    trainer = ss.Trainer(model, loss=loss, loss_options=loss_options, lr=lr, batch_size=batch_size,
                         seed=seed, weight_decay=weight_decay, threshold=threshold)
    trainer.fit(images, masks, epochs=epochs, validation_data=(images, masks) if validation else None,
                verbose=False)
    trainer.evaluate(images, masks)
    return model.predict(images, output=output)


def deep_supervision(input, target, *, loss="dice", weight_mode="exp", weights=None, levels=2, mode="binary",
                     from_logits=True, return_grad=False):
    """The deep-supervision API as one fuzzable call: `levels` outputs made from `input` by
    striding its spatial axes (level 0 is the input itself, later ones are strided views);
    with return_grad, level 0's gradient is returned for the shape check."""
    x = input
    strided = isinstance(x, np.ndarray) and x.ndim >= 3
    if isinstance(levels, int) and not isinstance(levels, bool) and 0 <= levels <= 8:
        outs = [x[(Ellipsis,) + (slice(None, None, 2 ** l),) * (x.ndim - 2)] if strided else x for l in range(levels)]
    else:  # an invalid level count goes to the library as the `inputs` argument itself
        outs = levels
    result = ss.deep_supervision_loss(outs, target, loss=loss, weight_mode=weight_mode, weights=weights,
                                      return_grad=return_grad, mode=mode, from_logits=from_logits)
    return (result[0], result[1][0]) if return_grad else result


def masked(input, target, *, loss="dice", mode="binary", from_logits=True, reduction="mean", mask_dtype="float64",
           mask_batch="N", mask_value=0.5, return_grad=False):
    """The masked-loss API as one fuzzable call: a mask of `mask_value` (its first voxel 0)
    of shape (N or 1, 1, *spatial) derived from the input's shape."""
    shape = np.shape(input)
    batch = shape[0] if mask_batch == "N" and shape else 1 if mask_batch == 1 else 3  # 3: usually a wrong batch
    mshape = ((batch, 1) + tuple(shape[2:])) if len(shape) >= 3 else shape
    mask = np.full(mshape, mask_value)
    if mask.size:
        mask.flat[0] = 0
    mask = mask.astype(mask_dtype)
    return ss.masked_loss(input, target, mask, loss=loss, mode=mode, from_logits=from_logits, reduction=reduction,
                          return_grad=return_grad)


def functions():
    """(name, callable) for every loss, every metric and the distance functions."""
    calls = [(n, getattr(ss, n)) for n in ss.LOSSES]
    calls += [(n, getattr(ss.metrics, n)) for n in ss.metrics.__all__
              if inspect.isfunction(getattr(ss.metrics, n))]
    calls += [(f"{n}(class)", cls()) for n, cls in list(ss.LOSS_CLASSES.items())[:8]]
    calls += [("train", train)] * 3
    calls += [("deep_supervision", deep_supervision)] * 3
    calls += [("masked", masked)] * 3
    calls += [("distance_transform_edt", ss.distance_transform_edt), ("signed_distance", ss.signed_distance)]
    return calls


class Fuzzer:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.rng = np.random.default_rng(seed)

    def valid_arrays(self, multiclass):
        r, rng = self.r, self.rng
        spatial = tuple(r.choice([1, 2, 3, 5, 8]) for _ in range(r.choice([2, 2, 3])))
        n, c = r.choice([1, 2, 3]), r.choice([2, 3, 4]) if multiclass else r.choice([1, 1, 2])
        x = (rng.standard_normal((n, c) + spatial) * r.choice([0.5, 2.0, 30.0])).astype(r.choice([np.float32, np.float64]))
        if multiclass and r.random() < 0.6:
            t = rng.integers(0, c, (n,) + spatial)
        else:
            t = (rng.random(x.shape) < 0.4).astype(x.dtype)
        return x, t

    def mutate_array(self, a, what):
        """`a` changed in one random way, and the name of the change."""
        if not isinstance(a, np.ndarray) or a.ndim == 0:
            return a, "none"
        try:  # an earlier change may make this one impossible (object arrays, big ints)
            with np.errstate(all="ignore"):
                return self._mutate(a, what)
        except (OverflowError, ValueError, TypeError):
            return a, "none"

    def _mutate(self, a, what):
        r, rng = self.r, self.rng
        kind = r.choice(["dtype", "layout", "nan", "inf", "huge", "shape", "empty", "scalar",
                         "object", "labels", "soft", "probabilities"])
        if kind == "dtype":
            return a.astype(r.choice([np.float16, np.int64, np.int32, np.uint8, np.bool_, np.complex64])), kind
        if kind == "layout":
            return np.asfortranarray(a)[..., ::-1], kind
        if kind in ("nan", "inf", "huge") and a.size and a.dtype.kind == "f":
            a = a.copy()
            a.flat[r.randrange(a.size)] = {"nan": np.nan, "inf": -np.inf, "huge": 1e30}[kind]
            return a, kind
        if kind == "shape":
            return a.reshape(a.shape[:-1] + (1, a.shape[-1])) if r.random() < 0.5 else a[..., :max(1, a.shape[-1] - 1)], kind
        if kind == "empty":
            return a[..., :0], kind
        if kind == "scalar":
            return np.float64(1.0) if r.random() < 0.5 else a.ravel(), kind
        if kind == "object":
            return a.astype(object), kind
        if kind == "labels" and what == "target":
            return (a * 7 - 3).astype(np.int64), kind
        if kind in ("soft", "probabilities"):
            return rng.random(a.shape).astype(a.dtype if a.dtype.kind == "f" else np.float64), kind
        return a, "none"

    def option(self, param):
        r = self.r
        if param.name == "epochs" and r.random() < 0.9:  # 2**40 epochs would be honoured
            return r.choice(VALID["epochs"] + [-1, 1.5, None, 2 ** 64])
        if param.name in VALID and r.random() < 0.7:
            return r.choice(VALID[param.name])
        if param.default is not inspect.Parameter.empty and r.random() < 0.3:
            return param.default
        return r.choice(INVALID)

    def call(self, name, fn):
        """One randomised call: (description, arrays before the call, thunk)."""
        r = self.r
        try:
            params = [p for p in inspect.signature(fn).parameters.values() if p.kind == p.KEYWORD_ONLY]
        except (TypeError, ValueError):
            params = []
        multiclass = r.random() < 0.4
        x, t = self.valid_arrays(multiclass)
        if name == "train":  # images and masks of one channel, as the trainer takes
            multiclass = False
            x, t = self.rng.random((r.choice([1, 3, 5]), 1, 8, 8)).astype(np.float32), None
            t = (x > 0.5).astype(np.float32)
        if name in ss.metrics.__all__:  # metrics take probabilities by default
            x = (1 / (1 + np.exp(-x))).astype(x.dtype)
        kw = {"mode": "multiclass"} if multiclass and any(p.name == "mode" for p in params) else {}
        if any(p.name == "tolerance" for p in params):
            kw["tolerance"] = 1.0
        notes = []
        for _ in range(r.choice([0, 0, 1, 1, 2, 3])):
            if params and r.random() < 0.6:
                p = r.choice(params)
                kw[p.name] = self.option(p)
                notes.append(f"{p.name}={kw[p.name]!r}")
            elif r.random() < 0.5:
                x, kind = self.mutate_array(x, "input")
                notes.append(f"input:{kind}")
            else:
                t, kind = self.mutate_array(t, "target")
                notes.append(f"target:{kind}")
        if "grad_output" in kw and isinstance(kw["grad_output"], np.ndarray) and r.random() < 0.5:
            kw["grad_output"] = np.ones(3)
        if r.random() < 0.02:
            kw["no_such_option"] = 1
            notes.append("no_such_option")
        one_array = name in ("distance_transform_edt", "signed_distance")
        args = (t if t.dtype.kind != "O" else x,) if one_array else (x, t)
        desc = f"{name} x={getattr(x, 'dtype', type(x))}{getattr(x, 'shape', '')} " \
               f"t={getattr(t, 'dtype', type(t))}{getattr(t, 'shape', '')} {'; '.join(notes)}"
        return desc, args, lambda: fn(*args, **kw), kw.get("return_grad") is True


def same(a, b):
    """Whether array `a` still equals its copy `b` (NaN equal to NaN, any dtype)."""
    if a.dtype.kind == "O":
        return all(x == y or (x != x and y != y) for x, y in zip(a.ravel(), b.ravel()))
    return np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def check_result(result, args, want_grad):
    """Problems with a returned result ('' when none)."""
    if not want_grad or not isinstance(result, tuple):
        return ""
    x = np.asarray(args[0])
    grad = result[1]
    if not isinstance(grad, np.ndarray) or grad.shape != x.shape or grad.dtype not in (np.float32, np.float64):
        return f"gradient {type(grad).__name__} {getattr(grad, 'shape', None)} {getattr(grad, 'dtype', None)} for input {x.shape}"
    return ""


def main(seed, calls, last_call_path=None):
    warnings.simplefilter("ignore")
    fuzz, fns = Fuzzer(seed), functions()
    returned = rejected = 0
    unexpected = []
    for _ in range(calls):
        name, fn = fuzz.r.choice(fns)
        desc, args, thunk, want_grad = fuzz.call(name, fn)
        if last_call_path:
            with open(last_call_path, "w") as f:
                f.write(desc)
        before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        try:
            problem = check_result(thunk(), args, want_grad)
            returned += 1
        except (ValueError, TypeError):
            problem = ""
            rejected += 1
        except Exception as e:  # noqa: BLE001 - anything else is a finding
            problem = f"{type(e).__name__}: {str(e)[:160]}"
        for a, b in zip(args, before):
            if isinstance(a, np.ndarray) and not same(a, b):
                problem += " (an input array was modified)"
        if problem:
            unexpected.append(f"{desc}: {problem}")
    print(f"calls={calls} returned={returned} rejected={rejected} unexpected={len(unexpected)}")
    for line in unexpected[:20]:
        print("  " + line)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2]), os.environ.get("FUZZ_LAST_CALL")))
