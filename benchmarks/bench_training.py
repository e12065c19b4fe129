"""Training-step speed of the Swift U-Net (and of the same network in PyTorch when torch is
importable), measured in one run on the same data.

    python benchmarks/bench_training.py                       # batch 16, 128x128 and 256x256, w=16, 2 threads
    python benchmarks/bench_training.py --sizes 128 --repeat 10 --json benchmarks/results/training.json

A *step* is one Adam update on one batch: forward pass, loss (dice_bce: soft Dice + BCE on
logits, mean), backward pass, optimiser update. Each timing is the median of --repeat steps
after --warmup steps. The architecture is the study's default: widths w, 2w, 4w, 8w, 16w
(w = --base), two (3x3 conv + ReLU) per level, 2x2 max-pooling, 2x2/2 transposed
convolutions, concatenated skips, 1x1 head (1,940,817 parameters for w = 16).

FLOP count (analytic, convolutions only): a convolution producing an H_out x W_out x C_out
map from C_in channels with a k x k kernel costs MACs = H_out W_out C_out C_in k^2 per image
(a 2x2/2 transposed convolution: H_in W_in C_in C_out 4, each input pixel feeding 4 outputs),
and FLOPs = 2 MACs. The forward pass costs F = sum over all convolutions; the backward pass
computes the weight gradient (F again) and the input gradient (F again, except for the first
convolution, whose input is the image and needs no gradient). So a training step costs
3F - F_first per image, times the batch size. Bias additions, ReLU, pooling, concatenation,
the loss and Adam are memory-bound, O(activations), and not counted: GFLOP/s is therefore
a lower bound of the arithmetic rate and directly comparable between the two implementations.
"""
import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

import semsegloss_swift as ss
from semsegloss_swift import _core

from machine import cpu_description


# ---------------------------------------------------------------- FLOPs

def conv_flops(h, w, base, depth, in_c=1, out_c=1):
    """(forward FLOPs, forward FLOPs of the first convolution) per image."""
    convs = []  # (H_out, W_out, C_in, C_out, k*k)
    cin, hh, ww = in_c, h, w
    for level in range(depth + 1):
        width = base << level
        convs += [(hh, ww, cin, width, 9), (hh, ww, width, width, 9)]
        cin = width
        if level < depth:
            hh, ww = hh // 2, ww // 2
    for level in range(depth - 1, -1, -1):
        width = base << level
        convs.append((hh, ww, base << (level + 1), width, 4))  # transposed: MACs on the input grid
        hh, ww = hh * 2, ww * 2
        convs += [(hh, ww, 2 * width, width, 9), (hh, ww, width, width, 9)]
    convs.append((hh, ww, base, out_c, 1))
    flops = [2 * a * b * c * d * k for a, b, c, d, k in convs]
    return sum(flops), flops[0]


def step_gflop(size, batch, base, depth):
    forward, first = conv_flops(size, size, base, depth)
    return batch * (3 * forward - first) / 1e9


# ---------------------------------------------------------------- data

def batch_data(batch, size, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    y = np.zeros((batch, 1, size, size), np.float32)
    for i in range(batch):
        r = rng.uniform(size / 8, size / 4)
        cy, cx = rng.uniform(r, size - r, 2)
        y[i, 0] = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    x = (0.6 * y + rng.uniform(-0.4, 0.4, y.shape)).astype(np.float32)
    return x, y


# ---------------------------------------------------------------- Swift

def time_swift(x, y, args):
    model = ss.UNet(base_channels=args.base, depth=args.depth, seed=0, threads=args.threads)
    trainer = ss.Trainer(model, loss="dice_bce", lr=2e-4, batch_size=len(x), seed=0)
    h = trainer._handle
    times = []
    for i in range(args.warmup + args.repeat):
        t0 = time.perf_counter()
        _core.trainer_train_epoch(h, x, y)  # one batch = one step (plus an O(N) shuffle)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times), model.num_parameters


# ---------------------------------------------------------------- torch

def torch_unet(torch, base, depth):
    nn = torch.nn

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                             nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.ModuleList([block(1 if l == 0 else base << (l - 1), base << l) for l in range(depth + 1)])
            self.up = nn.ModuleList([nn.ConvTranspose2d(base << (l + 1), base << l, 2, stride=2)
                                     for l in range(depth - 1, -1, -1)])
            self.dec = nn.ModuleList([block(2 * (base << l), base << l) for l in range(depth - 1, -1, -1)])
            self.pool = nn.MaxPool2d(2)
            self.head = nn.Conv2d(base, 1, 1)

        def forward(self, x):
            skips = []
            for l, enc in enumerate(self.enc):
                x = enc(x)
                if l < depth:
                    skips.append(x)
                    x = self.pool(x)
            for up, dec in zip(self.up, self.dec):
                x = dec(torch.cat([up(x), skips.pop()], dim=1))
            return self.head(x)

    return UNet()


def time_torch(x, y, args):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = torch_unet(torch, args.base, args.depth)
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    bce = torch.nn.BCEWithLogitsLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        z = net(xt)
        p = torch.sigmoid(z)
        inter = (p * yt).sum(dim=(2, 3))
        dice = 1 - (2 * inter + 1e-5) / (p.sum(dim=(2, 3)) + yt.sum(dim=(2, 3)) + 1e-5)
        loss = dice.mean() + bce(z, yt)
        loss.backward()
        opt.step()

    times = []
    for i in range(args.warmup + args.repeat):
        t0 = time.perf_counter()
        step()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times), params, torch.__version__


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--base", type=int, default=16)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()

    print(f"# machine: {cpu_description()}, {os.cpu_count()} cores; python {platform.python_version()}, "
          f"semsegloss_swift {ss.__version__}; threads {args.threads}")
    print(f"# U-Net w={args.base}, depth {args.depth}, batch {args.batch}; median of {args.repeat} steps "
          f"after {args.warmup} warm-up steps")
    header = f"{'size':>9} {'GFLOP/step':>10} {'swift s/step':>12} {'swift GFLOP/s':>13}"
    header += f" {'torch s/step':>12} {'torch GFLOP/s':>13} {'swift/torch':>11}"
    print(header)
    results = []
    for size in args.sizes:
        x, y = batch_data(args.batch, size)
        gflop = step_gflop(size, args.batch, args.base, args.depth)
        swift_s, params = time_swift(x, y, args)
        row = {"size": size, "batch": args.batch, "base_channels": args.base, "threads": args.threads,
               "parameters": params, "gflop_per_step": gflop, "swift_s": swift_s, "swift_gflops": gflop / swift_s}
        torch_result = time_torch(x, y, args)
        line = f"{size:>4}x{size:<4} {gflop:>10.2f} {swift_s:>12.3f} {gflop / swift_s:>13.1f}"
        if torch_result is not None:
            torch_s, torch_params, version = torch_result
            assert torch_params == params, (torch_params, params)
            row.update(torch_s=torch_s, torch_gflops=gflop / torch_s, ratio=swift_s / torch_s, torch=version)
            line += f" {torch_s:>12.3f} {gflop / torch_s:>13.1f} {swift_s / torch_s:>11.2f}"
        else:
            line += f" {'-':>12} {'-':>13} {'-':>11}"
        print(line, flush=True)
        results.append(row)
    if not any("torch_s" in r for r in results):
        print("# torch is not importable: Swift only")
    print("# load average (1, 5, 15 min) at the end: %.2f %.2f %.2f" % os.getloadavg()
          + " (this run accounts for about --threads; more means other processes inflated the times)")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"machine": cpu_description(), "cores": os.cpu_count(), "load_average": os.getloadavg(),
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
