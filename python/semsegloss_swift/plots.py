"""PNG figures of a loss study (matplotlib, Agg backend): learning curves, a bar chart of
test metrics with error bars over seeds, and image / mask / prediction overlays per loss.

Each loss keeps one colour in every figure; in the learning curves the seeds of a loss are
line styles of that colour, and the legend names every loss once. Undefined metrics (NaN,
e.g. IoU when every mask and prediction is empty) are left out: the bar of a metric that
is NaN for every seed of a loss is absent and labelled "n/a", and the error bars (std over
seeds, as in ``results.md``) use the seeds whose value is defined. The figures grow with
the number of losses, so that their labels fit.
"""
from __future__ import annotations

import json
import math
import os
from typing import Dict, List

import numpy as np

#: Line styles of the seeds of one loss (first seed solid); more seeds repeat them, fainter.
SEED_STYLES = ("-", "--", ":", "-.")


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def loss_colours(losses: List[str]) -> Dict[str, tuple]:
    """One distinct colour per loss (tab10 up to 10 losses, tab20 up to 20, else evenly
    spaced hues of ``turbo``)."""
    from matplotlib import colormaps
    n = len(losses)
    if n <= 10:
        cmap, at = colormaps["tab10"], [i for i in range(n)]
    elif n <= 20:
        cmap, at = colormaps["tab20"], [i for i in range(n)]
    else:
        cmap, at = colormaps["turbo"], list(np.linspace(0.05, 0.95, n))
    return {loss: tuple(cmap(a)) for loss, a in zip(losses, at)}


def _seed_style(k: int):
    """(linestyle, alpha) of the k-th seed."""
    return SEED_STYLES[k % len(SEED_STYLES)], max(0.35, 1.0 - 0.25 * (k // len(SEED_STYLES)))


def _legend_columns(n: int) -> int:
    return max(1, math.ceil(n / 24))


def learning_curves(out: str, losses: List[str], seeds: List[int]) -> str:
    """``learning_curves.png``: training loss and validation IoU per epoch; one colour per
    loss, one line style per seed; a legend naming each loss once (and the seeds' styles)."""
    plt = _plt()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator
    colours = loss_colours(losses)
    histories = []
    for loss in losses:
        for k, seed in enumerate(seeds):
            path = os.path.join(out, "runs", f"{loss}-seed{seed}", "history.json")
            if not os.path.exists(path):
                continue
            with open(path) as f:
                h = json.load(f)
            histories.append((loss, k, h))
    plotted = [loss for loss in losses if any(l == loss for l, _, _ in histories)]
    columns = _legend_columns(len(plotted))
    fig = plt.figure(figsize=(11 + 2.6 * columns, max(4.0, 0.2 * len(plotted) / columns + 1.5)),
                     layout="constrained")
    axes = fig.subplots(1, 2)
    train_values = []
    for loss, k, h in histories:
        style, alpha = _seed_style(k)
        # each series against its own epochs: a run stopped mid-way or a history
        # written by hand may hold fewer validation scores than training losses
        loss_values = np.asarray(h.get("loss") or [], dtype=float)
        train_values.append(loss_values)
        if len(loss_values):
            axes[0].plot(np.arange(1, len(loss_values) + 1), loss_values, color=colours[loss],
                         linestyle=style, alpha=alpha)
        iou = np.asarray(h.get("val_iou") or [], dtype=float)
        if len(iou):
            axes[1].plot(np.arange(1, len(iou) + 1), iou, color=colours[loss], linestyle=style, alpha=alpha)
    values = np.concatenate(train_values) if train_values else np.zeros(0)
    values = values[np.isfinite(values)]
    # a log scale needs positive values (some losses reach 0 or below); else linear
    log = len(values) > 0 and bool((values > 0).all())
    axes[0].set(title="training loss" + (" (log scale)" if log else ""), xlabel="epoch",
                yscale="log" if log else "linear")
    axes[1].set(title="validation IoU", xlabel="epoch")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if plotted:
        handles = [Line2D([], [], color=colours[loss], label=loss) for loss in plotted]
        style = dict(handles=handles, fontsize=8, ncol=columns, title="loss", title_fontsize=8)
        try:
            fig.legend(loc="outside right upper", **style)    # matplotlib >= 3.7
        except ValueError:
            axes[1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), **style)
    if len(seeds) > 1 and plotted:
        handles = [Line2D([], [], color="0.3", linestyle=_seed_style(k)[0], alpha=_seed_style(k)[1],
                          label=f"seed {seed}") for k, seed in enumerate(seeds)]
        axes[0].legend(handles=handles, fontsize=8, title="seed", title_fontsize=8)
    path = os.path.join(out, "learning_curves.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _mean_std(values: np.ndarray):
    """Mean and (population) std over the defined (non-NaN) values, as ``results.md``;
    (NaN, 0) when none is defined. No numpy warning for an empty or all-NaN slice."""
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan"), 0.0
    return float(values.mean()), float(values.std())


def metric_bars(out: str, rows: List[Dict[str, float]], losses: List[str], multiclass: bool = False) -> str:
    """``test_metrics.png``: one horizontal bar per loss and metric (mean over seeds, error
    bar: std over seeds); a metric that is NaN for every seed of a loss has no bar, "n/a"."""
    plt = _plt()
    keys = [("iou", "IoU"), ("dice", "Dice"), ("accuracy", "accuracy" if multiclass else "binary accuracy")]
    colours = loss_colours(losses)
    n = len(losses)
    fig = plt.figure(figsize=(12, max(3.8, 0.26 * n + 1.4)), layout="constrained")
    axes = fig.subplots(1, len(keys), sharey=True)
    positions = np.arange(n)
    for ax, (key, title) in zip(axes, keys):
        stats = [_mean_std(np.array([r[key] for r in rows if r["loss"] == loss], dtype=float)) for loss in losses]
        means = np.array([m for m, _ in stats])
        stds = np.array([s for _, s in stats])
        defined = np.isfinite(means)
        if defined.any():
            ax.barh(positions[defined], means[defined], xerr=stds[defined], capsize=3,
                    color=[colours[loss] for loss, d in zip(losses, defined) if d])
            lo = max(0.0, float((means - stds)[defined].min()) - 0.05)
            hi = min(1.0, float((means + stds)[defined].max()) + 0.05)
            ax.set_xlim(lo, hi if hi > lo else lo + 0.1)
        else:
            ax.set_xlim(0.0, 1.0)
        left = ax.get_xlim()[0]
        for i in positions[~defined]:
            ax.text(left, i, " n/a", va="center", ha="left", fontsize=8, color="0.4")
        ax.set_title(title)
        ax.set_yticks(positions, losses, fontsize=8)
    axes[0].set_ylim(n - 0.5, -0.5)   # the first loss on top
    path = os.path.join(out, "test_metrics.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _boundary(ax, mask: np.ndarray, colour: str, shade: bool = False) -> None:
    """The outline of ``mask > 0.5``, the image edge included (a mask that fills the image
    is outlined along its border; an empty mask draws nothing, and no warning); `shade`
    also tints the area inside."""
    m = np.asarray(mask) > 0.5
    if not m.any():
        return
    h, w = m.shape
    if shade:
        from matplotlib.colors import to_rgba
        tint = np.zeros((h, w, 4), np.float32)
        tint[m] = to_rgba(colour, 0.2)
        ax.imshow(tint, interpolation="nearest")
    padded = np.pad(m, 1).astype(np.float32)   # background around: the contour closes at the edge
    lines = ax.contour(np.arange(-1, w + 1), np.arange(-1, h + 1), padded, levels=[0.5], colors=colour,
                       linewidths=0.8)
    lines.set_clip_on(False)   # a line along the image edge, not half of it
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)


def overlays(out: str, losses: List[str], seed: int, x_test: np.ndarray, y_test: np.ndarray, count: int = 3,
             name: str = "overlays.png") -> str:
    """`name` in `out`: the first `count` test images with the ground truth (green outline)
    and each loss's prediction of seed `seed` (red outline and tint, p = 0.5)."""
    plt = _plt()
    count = min(count, len(x_test))
    fig, axes = plt.subplots(count, len(losses) + 1, figsize=(2.2 * (len(losses) + 1), 2.2 * count + 0.4),
                             squeeze=False, layout="constrained")
    for i in range(count):
        axes[i, 0].imshow(x_test[i, 0], cmap="gray")
        _boundary(axes[i, 0], y_test[i, 0], "lime")
        axes[i, 0].set_title("image + mask" if i == 0 else "", fontsize=8)
        for j, loss in enumerate(losses, start=1):
            path = os.path.join(out, "runs", f"{loss}-seed{seed}", "test_prob_sample.npy")
            axes[i, j].imshow(x_test[i, 0], cmap="gray")
            if os.path.exists(path):
                prob = np.load(path)
                if i < len(prob):
                    _boundary(axes[i, j], y_test[i, 0], "lime")
                    _boundary(axes[i, j], prob[i, 0], "red", shade=True)
            axes[i, j].set_title(loss if i == 0 else "", fontsize=8)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle(f"green: ground truth, red: prediction (p = 0.5) of seed {seed}", fontsize=9)
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def make_all(cfg, rows, splits) -> List[str]:
    x_te, y_te = splits[2]
    multiclass = cfg.classes >= 2
    if multiclass:  # overlays of the foreground (every class but 0), as the saved predictions
        y_te = (y_te > 0).astype(np.float32)
    # The first seed's overlays in overlays.png, each further seed's in overlays-seed<k>.png.
    names = ["overlays.png"] + [f"overlays-seed{seed}.png" for seed in cfg.seeds[1:]]
    return ([learning_curves(cfg.out, cfg.losses, cfg.seeds),
             metric_bars(cfg.out, rows, cfg.losses, multiclass)]
            + [overlays(cfg.out, cfg.losses, seed, x_te, y_te, name=name) for seed, name in zip(cfg.seeds, names)])
