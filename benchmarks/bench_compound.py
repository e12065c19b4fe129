"""Paired timing: each round times dice_loss then the loss (forward+backward); the ratio
is the median of the per-round ratios (robust to load drift on a shared machine)."""
import sys, time, numpy as np, semsegloss_swift as ss
sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "..", "python", "tests"))
import oracles_compound as oc
rng = np.random.default_rng(0); shape = (16, 1, 256, 256)
z = (rng.standard_normal(shape) * 2).astype(np.float32); g = (rng.random(shape) < 0.3).astype(np.float32)
def t(fn):
    s = time.perf_counter(); fn(); return time.perf_counter() - s
rows = [("dice_loss", {}), ("bce_loss", {}), ("focal_loss", {}), ("dice_bce_loss", {})] + [(n, {}) for n in oc.FAMILY]
print(f"shape {shape} float32, forward+backward, 31 paired rounds")
print("| loss | median ms | median ratio to dice_loss |")
print("|---|---:|---:|")
for name, o in rows:
    fn = getattr(ss, name)
    d = lambda: ss.dice_loss(z, g, return_grad=True); f = lambda: fn(z, g, return_grad=True, **o)
    d(); f()
    pairs = [(t(d), t(f)) for _ in range(31)]
    ratio = np.median([b / a for a, b in pairs]); ms = 1e3 * np.median([b for _, b in pairs])
    print(f"| {name} | {ms:.2f} | {ratio:.2f} |")
