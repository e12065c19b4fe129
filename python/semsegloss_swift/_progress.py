"""Progress reporting of ``Trainer.fit``: a tqdm bar per epoch when tqdm is importable,
plain lines otherwise."""
from __future__ import annotations

import math
import sys
from typing import Any, Dict


class Progress:
    """tqdm bar per epoch when tqdm is importable and ``verbose`` is 1/True; otherwise one
    plain line per epoch (``verbose=2`` forces lines); nothing when ``verbose`` is falsy."""

    def __init__(self, verbose: Any, epochs: int, first_epoch: int) -> None:
        self.mode = "off"
        self.total = first_epoch + epochs
        if verbose:
            self.mode = "lines"
            if verbose is True or verbose == 1:
                try:
                    from tqdm.auto import tqdm
                    self.tqdm = tqdm
                    self.mode = "tqdm"
                except ImportError:
                    pass
        self.bar = None

    def start(self, epoch: int, batches: int) -> None:
        if self.mode == "tqdm":
            self.bar = self.tqdm(total=batches, desc=f"epoch {epoch}/{self.total}", unit="batch", leave=True)

    def batch(self, mean_loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{mean_loss:.4f}", refresh=False)

    def end(self, record: Dict[str, float], seconds: float) -> None:
        parts = [f"loss {record['loss']:.4f}"]
        parts += [f"{k} {record[k]:.4f}" for k in ("val_loss", "val_iou", "val_dice", "val_accuracy")
                  if not math.isnan(record[k])]
        if self.bar is not None:
            self.bar.set_postfix_str(" - ".join(parts))
            self.close()
        elif self.mode == "lines":
            print(f"epoch {record['epoch']}/{self.total} - " + " - ".join(parts) + f" - {seconds:.1f}s",
                  file=sys.stdout, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
