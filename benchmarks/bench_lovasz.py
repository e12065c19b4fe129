"""Forward+backward time of the Lovász family vs dice_loss and the NumPy baselines of
python/tests/oracles_lovasz.py, 16x1x256x256 float32 logits, median of 25 calls (wall and
process CPU time).

    PYTHONPATH=python python3 benchmarks/bench_lovasz.py
"""
import sys, time, numpy as np
sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "..", "python", "tests"))
import semsegloss_swift as ss, oracles_lovasz as O
def med(fn, r=25):
    fn(); t=[]; c=[]
    for _ in range(r):
        t0=time.perf_counter(); c0=time.process_time(); fn(); t.append(time.perf_counter()-t0); c.append(time.process_time()-c0)
    print(f"   wall {1e3*np.median(t):.2f} ms, cpu {1e3*np.median(c):.2f} ms")
    return 1e3*float(np.median(t))
rng=np.random.default_rng(0)
shape=(16,1,256,256)
z=(rng.standard_normal(shape)*2).astype(np.float32); g=(rng.random(shape)<0.3).astype(np.float32)
v,gr=ss.lovasz_hinge_loss(z,g,return_grad=True); rv,rg=O.lovasz_hinge_fb(z.astype(np.float64),g.astype(np.float64))
print("hinge agree", v, rv, np.abs(gr-rg).max())
v,gr=ss.lovasz_softmax_loss(z,g,return_grad=True); rv,rg=O.lovasz_softmax_fb(z.astype(np.float64),g.astype(np.float64))
print("softmax agree", v, rv, np.abs(gr-rg).max())
d=med(lambda: ss.dice_loss(z,g,return_grad=True))
res={"dice":d}
for name,f,o in [("lovasz_hinge_loss",ss.lovasz_hinge_loss,O.lovasz_hinge_fb),("lovasz_softmax_loss",ss.lovasz_softmax_loss,O.lovasz_softmax_fb)]+([("ssim_loss",ss.ssim_loss,O.ssim_fb)] if hasattr(ss,"ssim_loss") else []):
    t=med(lambda: f(z,g,return_grad=True))
    tp=med(lambda: f(z,g,return_grad=True,per_image=False)) if name!="ssim_loss" else float('nan')
    tn=med(lambda: o(z,g),5) if o else float('nan')
    print(f"{name}: {t:.2f} ms (per_image=False {tp:.2f}), dice {d:.3f} ms, ratio {t/d:.1f}, numpy {tn:.1f} ms, speedup {tn/t:.1f}x")
