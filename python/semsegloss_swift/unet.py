"""The U-Net of the SemSegLoss study (:class:`UNet`); the maths runs in Swift.

Widths ``w, 2w, 4w, 8w, 16w`` (``w = base_channels``), two (3x3 conv + ReLU) blocks per
level, 2x2 max-pooling, 2x2 transposed convolutions, concatenated skips and a 1x1 head
producing logits. Trained by :class:`semsegloss_swift.Trainer` (``training.py``).
"""
from __future__ import annotations

import os
import tempfile
from typing import Any, Dict, Optional

import numpy as np

from . import _core
from ._option_hints import training_hints
from ._training_args import (CODES, PathLike, as_float32, check_int, check_path, check_real, check_seed,
                             check_threads)

__all__ = ["UNet"]


class UNet:
    """The U-Net of the SemSegLoss study, computed by the Swift library.

    Parameters
    ----------
    in_channels, out_channels : int, default 1
        Image channels and output (logit) channels.
    base_channels : int, default 16
        Width ``w`` of the first level; level ``l`` has ``w * 2**l`` channels.
    depth : int, default 4
        Number of 2x2 poolings; input height and width must be divisible by ``2**depth``.
    seed : int, default 0
        Seed of the initialisation (PyTorch's defaults: kaiming-uniform weights with
        ``a = sqrt(5)``, uniform ``+-1/sqrt(fan_in)`` biases).
    batch_norm : bool, default False
        conv -> BatchNorm -> ReLU blocks instead of conv (with bias) -> ReLU. Advisable
        at high learning rates (1e-3 and up): without it, ``study --quick``'s small U-Net
        collapsed at seed 1 to a nearly constant output (one class at every pixel).
    threads : int, optional
        Worker threads (default: one per core). Results are bitwise reproducible for a
        given thread count.

    Notes
    -----
    The defaults have 1,940,817 parameters. A model is safe to share between Python
    threads (calls on one model are serialised; the GIL is released while it computes).

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> ss.UNet().num_parameters
    1940817
    >>> model = ss.UNet(base_channels=4, depth=2, seed=1, threads=1)
    >>> p = model.predict(np.zeros((2, 1, 8, 8), dtype=np.float32))
    >>> p.shape, p.dtype, bool(((p > 0) & (p < 1)).all())
    ((2, 1, 8, 8), dtype('float32'), True)
    """

    @training_hints("UNet")
    def __init__(self, in_channels: int = 1, out_channels: int = 1, base_channels: int = 16,
                 depth: int = 4, seed: int = 0, batch_norm: bool = False,
                 threads: Optional[int] = None) -> None:
        if not isinstance(batch_norm, (bool, np.bool_)):
            raise TypeError(f"batch_norm: expected True or False, got {batch_norm!r}")
        self._handle = _core.unet_create(
            check_int("in_channels", in_channels), check_int("out_channels", out_channels),
            check_int("base_channels", base_channels), check_int("depth", depth), bool(batch_norm),
            check_seed(seed), check_threads(threads))

    @classmethod
    def _wrap(cls, handle: Any) -> "UNet":
        model = cls.__new__(cls)
        model._handle = handle
        return model

    # -- description

    @property
    def config(self) -> Dict[str, Any]:
        """Architecture: in/out/base channels, depth, batch_norm, threads, parameter count."""
        return _core.unet_info(self._handle)

    in_channels = property(lambda self: self.config["in_channels"], doc="Input channels.")
    out_channels = property(lambda self: self.config["out_channels"], doc="Output (logit) channels.")
    base_channels = property(lambda self: self.config["base_channels"], doc="Width of level 0.")
    depth = property(lambda self: self.config["depth"], doc="Number of poolings.")
    batch_norm = property(lambda self: self.config["batch_norm"], doc="Whether blocks use BatchNorm.")
    threads = property(lambda self: self.config["threads"], doc="Worker threads.")

    @property
    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return self.config["parameter_count"]

    def __repr__(self) -> str:
        c = self.config
        return (f"UNet(in_channels={c['in_channels']}, out_channels={c['out_channels']}, "
                f"base_channels={c['base_channels']}, depth={c['depth']}, batch_norm={c['batch_norm']}, "
                f"threads={c['threads']})  # {c['parameter_count']:,} parameters")

    # -- inference

    def check_images(self, x: Any, name: str = "x") -> np.ndarray:
        """`x` as float32 (N, in_channels, H, W), checked against the architecture."""
        arr = as_float32(name, x)
        c = self.config
        if arr.ndim != 4:
            raise ValueError(f"{name}: expected shape (N, C, H, W), got {arr.shape}")
        if arr.shape[1] != c["in_channels"]:
            raise ValueError(f"{name}: has {arr.shape[1]} channels but the model expects "
                             f"in_channels = {c['in_channels']}, shape {arr.shape}")
        div = 2 ** c["depth"]
        if arr.shape[2] % div or arr.shape[3] % div:
            raise ValueError(f"{name}: height and width must be divisible by 2**depth = {div}, "
                             f"got {arr.shape[2]} x {arr.shape[3]}")
        return arr

    def predict(self, x: Any, batch_size: int = 16, output: str = "probabilities",
                threshold: float = 0.5) -> np.ndarray:
        """Runs the model (evaluation mode) on images `x`.

        Parameters
        ----------
        x : array_like, shape (N, in_channels, H, W)
            Images (converted to float32); H and W divisible by ``2**depth``.
        batch_size : int, default 16
            Images per forward pass (memory and speed). The same batch size gives the same
            bits; another one may differ in the last bit, since the BLAS kernels may
            block a larger matrix differently (seen with OpenBLAS's Zen kernels).
        output : {"probabilities", "logits", "mask", "softmax"}
            Sigmoid per channel, raw logits, ``sigmoid > threshold`` as 0/1, or softmax
            over the channels.
        threshold : float, default 0.5
            Probability threshold of ``output="mask"``.

        Returns
        -------
        ndarray, float32, shape (N, out_channels, H, W)

        Examples
        --------
        >>> import numpy as np, semsegloss_swift as ss
        >>> m = ss.UNet(base_channels=2, depth=1, threads=1)
        >>> mask = m.predict(np.ones((1, 1, 4, 4)), output="mask")
        >>> sorted(set(mask.ravel().tolist())) in ([0.0], [1.0], [0.0, 1.0])
        True
        """
        if not isinstance(output, str) or output not in CODES["predict"]:
            raise ValueError(f"output: expected one of {', '.join(map(repr, CODES['predict']))}, got {output!r}")
        return _core.unet_predict(self._handle, self.check_images(x), CODES["predict"][output],
                                  check_real("threshold", threshold), check_int("batch_size", batch_size))

    # -- parameters and files

    def get_parameters(self) -> np.ndarray:
        """A float32 copy of all trainable parameters (checkpoint order)."""
        return _core.unet_get_parameters(self._handle)

    def set_parameters(self, values: Any) -> None:
        """Overwrites the parameters with `num_parameters` finite values (checkpoint order)."""
        _core.unet_set_parameters(self._handle, as_float32("values", values).ravel())

    def save(self, path: PathLike) -> None:
        """Saves architecture and weights (no optimiser state) atomically to `path`.

        Examples
        --------
        >>> import os, tempfile, numpy as np, semsegloss_swift as ss
        >>> m = ss.UNet(base_channels=2, depth=1, threads=1)
        >>> path = os.path.join(tempfile.mkdtemp(), "unet.ckpt")
        >>> m.save(path)
        >>> bool((ss.UNet.load(path).get_parameters() == m.get_parameters()).all())
        True
        """
        _core.unet_save(self._handle, check_path("path", path))

    def __deepcopy__(self, memo: Dict[int, Any]) -> "UNet":
        """An exact copy (weights, BatchNorm statistics, thread count) with its own
        handle, through :meth:`save` and :meth:`load` in a temporary folder."""
        with tempfile.TemporaryDirectory(prefix="semsegloss-copy-") as folder:
            path = os.path.join(folder, "model.ckpt")
            self.save(path)
            other = type(self).load(path, threads=self.threads)
        memo[id(self)] = other
        return other

    @classmethod
    def load(cls, path: PathLike, threads: Optional[int] = None) -> "UNet":
        """Loads a model saved by :meth:`save` or :meth:`Trainer.save` (OSError when the
        file is missing, truncated or corrupt)."""
        return cls._wrap(_core.unet_load(check_path("path", path), check_threads(threads)))
