"""PNG figures of a loss study (matplotlib, Agg backend): learning curves, a bar chart of
test metrics with error bars over seeds, and image / mask / prediction overlays per loss."""
from __future__ import annotations

import json
import os
from typing import Dict, List

import numpy as np


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def learning_curves(out: str, losses: List[str], seeds: List[int]) -> str:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for loss in losses:
        for seed in seeds:
            path = os.path.join(out, "runs", f"{loss}-seed{seed}", "history.json")
            if not os.path.exists(path):
                continue
            with open(path) as f:
                h = json.load(f)
            label = loss if seed == seeds[0] else None
            # each series against its own epochs: a run stopped mid-way or a history
            # written by hand may hold fewer validation scores than training losses
            loss_values = h.get("loss") or []
            line = axes[0].plot(np.arange(1, len(loss_values) + 1), loss_values, label=label)[0]
            iou = h.get("val_iou") or []
            if iou:
                axes[1].plot(np.arange(1, len(iou) + 1), iou, color=line.get_color(), label=label)
    axes[0].set(title="training loss", xlabel="epoch", yscale="log")
    axes[1].set(title="validation IoU", xlabel="epoch")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    path = os.path.join(out, "learning_curves.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def metric_bars(out: str, rows: List[Dict[str, float]], losses: List[str], multiclass: bool = False) -> str:
    plt = _plt()
    keys = [("iou", "IoU"), ("dice", "Dice"), ("accuracy", "accuracy" if multiclass else "binary accuracy")]
    fig, axes = plt.subplots(1, len(keys), figsize=(12, 3.8))
    for ax, (key, title) in zip(axes, keys):
        means, stds = [], []
        for loss in losses:
            vals = np.array([r[key] for r in rows if r["loss"] == loss], dtype=float)
            means.append(np.nanmean(vals) if len(vals) else np.nan)
            stds.append(np.nanstd(vals) if len(vals) else 0)
        ax.bar(range(len(losses)), means, yerr=stds, capsize=4, color="tab:blue")
        ax.set_xticks(range(len(losses)), losses, rotation=30, ha="right", fontsize=8)
        finite = [m for m in means if np.isfinite(m)]
        if finite:
            lo = max(0.0, min(finite) - 0.1)
            ax.set_ylim(lo, min(1.0, max(finite) + 0.05))
        ax.set_title(title)
    fig.tight_layout()
    path = os.path.join(out, "test_metrics.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def overlays(out: str, losses: List[str], seed: int, x_test: np.ndarray, y_test: np.ndarray, count: int = 3) -> str:
    plt = _plt()
    count = min(count, len(x_test))
    fig, axes = plt.subplots(count, len(losses) + 1, figsize=(2.2 * (len(losses) + 1), 2.2 * count), squeeze=False)
    for i in range(count):
        axes[i, 0].imshow(x_test[i, 0], cmap="gray")
        axes[i, 0].contour(y_test[i, 0], levels=[0.5], colors="lime", linewidths=0.8)
        axes[i, 0].set_title("image + mask" if i == 0 else "", fontsize=8)
        for j, loss in enumerate(losses, start=1):
            path = os.path.join(out, "runs", f"{loss}-seed{seed}", "test_prob_sample.npy")
            axes[i, j].imshow(x_test[i, 0], cmap="gray")
            if os.path.exists(path):
                prob = np.load(path)
                if i < len(prob):
                    axes[i, j].contour(y_test[i, 0], levels=[0.5], colors="lime", linewidths=0.8)
                    axes[i, j].contour(prob[i, 0], levels=[0.5], colors="red", linewidths=0.8)
            axes[i, j].set_title(loss if i == 0 else "", fontsize=8)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle("green: ground truth, red: prediction (p = 0.5)", fontsize=9)
    fig.tight_layout()
    path = os.path.join(out, "overlays.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def make_all(cfg, rows, splits) -> List[str]:
    x_te, y_te = splits[2]
    multiclass = cfg.classes >= 2
    if multiclass:  # overlays of the foreground (every class but 0), as the saved predictions
        y_te = (y_te > 0).astype(np.float32)
    return [learning_curves(cfg.out, cfg.losses, cfg.seeds),
            metric_bars(cfg.out, rows, cfg.losses, multiclass),
            overlays(cfg.out, cfg.losses, cfg.seeds[0], x_te, y_te)]
