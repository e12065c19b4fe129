"""U-Net training: :class:`Trainer` (the maths runs in Swift), and :class:`UNet` from
``unet.py``, re-exported here.

The model is the 2-D U-Net of the SemSegLoss study: widths ``w, 2w, 4w, 8w, 16w``
(``w = base_channels``), two (3x3 conv + ReLU) blocks per level, 2x2 max-pooling, 2x2
transposed convolutions, concatenated skips and a 1x1 head producing logits. The trainer
minimises any loss of the catalogue with Adam; its analytic gradient is the network's
upstream gradient. Training is bitwise deterministic for a given seed and thread count.

>>> import numpy as np, semsegloss_swift as ss
>>> rng = np.random.default_rng(0)
>>> y = (rng.random((8, 1, 16, 16)) > 0.5).astype(np.float32)
>>> x = y + 0.1 * rng.standard_normal(y.shape).astype(np.float32)
>>> model = ss.UNet(base_channels=4, depth=2, threads=1)
>>> trainer = ss.Trainer(model, loss="dice_bce", lr=1e-2, batch_size=4)
>>> history = trainer.fit(x, y, epochs=2, verbose=False)
>>> len(history["loss"]), model.predict(x).shape
(2, (8, 1, 16, 16))
"""
from __future__ import annotations

import copy
import math
import os
import tempfile
import time
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _core, _dead_network, _fit_checks
from ._openblas_core import blas_kernels, warn_if_generic as _warn_if_generic_blas
from ._option_hints import training_hints
from ._progress import Progress
from ._training_args import (PathLike, as_float32, check_int, check_path, check_real, check_seed, check_threads,
                             loss_and_options, loss_options as encode_loss_options)
from .unet import UNet

__all__ = ["UNet", "Trainer", "blas_kernels"]

_HISTORY_KEYS = ("epoch", "loss", "val_loss", "val_iou", "val_dice", "val_accuracy", "time")


class Trainer:
    """Trains a :class:`UNet` with Adam on in-memory arrays.

    Parameters
    ----------
    model : UNet
        The model to train (shared: ``model.predict`` sees the trained weights).
    loss : str or loss object, default "dice_bce"
        Any loss of the catalogue (``semsegloss_swift.LOSSES``), with or without the
        ``_loss`` suffix, or a configured loss object (``ss.TverskyLoss(beta=0.7)``,
        ``ss.presets.preset("smp", "dice_loss")``). It is evaluated on the logits
        (``from_logits=True``) with ``reduction="mean"``, and its analytic gradient drives
        back-propagation.
    loss_options : dict, optional
        Options of the loss, as for the loss function (``{"smooth_nr": 1.0}``,
        ``{"alpha": 0.7, "beta": 0.3}``, ``{"mode": "multilabel"}``...). ``mode``
        defaults to ``"multilabel"`` when the model has several output channels. Not
        with a loss object (TypeError): its options are used.
    lr : float, default 2e-4
        Adam learning rate (betas 0.9, 0.999, eps 1e-8, as torch.optim.Adam).
    batch_size : int, default 16
    seed : int, default 0
        Seed of the per-epoch shuffling.
    weight_decay : float, default 0
        L2 penalty added to the gradient (torch Adam's ``weight_decay``).
    threshold : float, default 0.5
        Probability threshold of the validation IoU / Dice / accuracy.

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> y = np.zeros((4, 1, 8, 8), np.float32); y[:, :, 2:6, 2:6] = 1
    >>> trainer = ss.Trainer(ss.UNet(base_channels=4, depth=1, threads=1), loss="dice", lr=1e-2, batch_size=2)
    >>> h = trainer.fit(y, y, epochs=3, validation_data=(y, y), verbose=False)
    >>> sorted(h), trainer.epoch
    (['epoch', 'loss', 'time', 'val_accuracy', 'val_dice', 'val_iou', 'val_loss'], 3)
    """

    @training_hints("Trainer", "model")
    def __init__(self, model: UNet, loss: Any = "dice_bce", loss_options: Optional[Mapping[str, Any]] = None,
                 lr: float = 2e-4, batch_size: int = 16, seed: int = 0, weight_decay: float = 0.0,
                 threshold: float = 0.5) -> None:
        if not isinstance(model, UNet):
            raise TypeError(f"model: expected a semsegloss_swift.UNet, got {type(model).__name__}")
        self.loss, loss_options = loss_and_options(loss, loss_options)
        self.loss_options: Dict[str, Any] = dict(loss_options or {})
        handle = _core.trainer_create(
            model._handle, self.loss, encode_loss_options(self.loss, loss_options), check_real("lr", lr),
            check_int("batch_size", batch_size), check_seed(seed), check_real("weight_decay", weight_decay),
            check_real("threshold", threshold))
        self._init(handle, model)

    def set_loss(self, loss: Any = None, loss_options: Optional[Mapping[str, Any]] = None) -> None:
        """Changes the loss for the following epochs (between calls to :meth:`fit`).

        Model, optimizer state, history and early stopping are kept, so a loss schedule is
        a loop over ``fit(..., epochs=1)`` calls: for instance the boundary loss's weight
        raised by 0.01 per epoch (Kervadec et al.; boundary-loss #14), or a warm-up with
        one loss before another.

        Parameters
        ----------
        loss : str or loss object, optional
            A catalogue loss or a loss object, as for the constructor; None keeps the
            current one.
        loss_options : dict, optional
            Its options; None keeps the current ones when `loss` is unchanged (a new loss
            starts from its defaults).

        Examples
        --------
        >>> import numpy as np, semsegloss_swift as ss
        >>> y = np.zeros((4, 1, 8, 8), np.float32); y[:, :, 2:6, 2:6] = 1
        >>> t = ss.Trainer(ss.UNet(base_channels=4, depth=1, threads=1), loss="dice_boundary", lr=1e-2,
        ...                loss_options={"lambda_boundary": 0.01}, batch_size=4)
        >>> for epoch in range(3):
        ...     t.set_loss(loss_options={"lambda_boundary": 0.01 * (epoch + 1)})
        ...     _ = t.fit(y, y, verbose=False)
        >>> t.epoch, t.loss_options
        (3, {'lambda_boundary': 0.03})
        """
        name, loss_options = loss_and_options(self.loss if loss is None else loss, loss_options)
        if loss_options is not None:
            options: Dict[str, Any] = dict(loss_options)
        else:
            options = dict(self.loss_options) if name == self.loss else {}
        _core.trainer_set_loss(self._handle, name, encode_loss_options(name, options))
        self.loss, self.loss_options = name, options

    def _init(self, handle: Any, model: UNet) -> None:
        self._handle = handle
        self.model = model
        self._times: Dict[int, float] = {}
        #: Whether fit has warned that the network died (`_dead_network`), once per trainer.
        self._dead_warned = False
        _warn_if_generic_blas()

    # -- state

    @property
    def state(self) -> Dict[str, Any]:
        """epoch, step, batch_size, seed, lr, weight_decay, threshold, history_length, ..."""
        return _core.trainer_info(self._handle)

    epoch = property(lambda self: self.state["epoch"], doc="Completed epochs (over resumes).")
    step = property(lambda self: self.state["step"], doc="Optimiser steps taken.")
    batch_size = property(lambda self: self.state["batch_size"], doc="Mini-batch size.")
    lr = property(lambda self: self.state["lr"], doc="Learning rate.")
    threshold = property(lambda self: self.state["threshold"], doc="Validation threshold.")

    @property
    def history(self) -> Dict[str, List[float]]:
        """Every epoch so far (over resumes): per-epoch lists ``epoch``, ``loss``,
        ``val_loss``, ``val_iou``, ``val_dice``, ``val_accuracy`` (NaN without validation
        data) and ``time`` (seconds; NaN for epochs trained before a :meth:`load`)."""
        out: Dict[str, List[float]] = {k: [] for k in _HISTORY_KEYS}
        for r in _core.trainer_history(self._handle):
            self._append(out, r, self._times.get(r["epoch"], math.nan))
        return out

    @staticmethod
    def _append(history: Dict[str, List[float]], record: Dict[str, float], seconds: float) -> None:
        for k in _HISTORY_KEYS[:-1]:
            history[k].append(record[k])
        history["time"].append(seconds)

    def __repr__(self) -> str:
        s = self.state
        return (f"Trainer(loss={self.loss!r}, lr={s['lr']:g}, batch_size={s['batch_size']}, seed={s['seed']}, "
                f"weight_decay={s['weight_decay']:g})  # epoch {s['epoch']}, {s['step']} steps")

    # -- data

    def _data(self, x: Any, y: Any, xname: str, yname: str) -> Tuple[np.ndarray, np.ndarray]:
        xs = self.model.check_images(x, xname)
        ys = as_float32(yname, y)
        out_c = self.model.out_channels
        if ys.ndim == 3 and out_c == 1:
            ys = ys[:, None]
        want = (xs.shape[0], out_c, xs.shape[2], xs.shape[3])
        if ys.ndim == 3 and out_c > 1 and ys.shape == (want[0],) + want[2:]:
            return xs, ys  # a label map of classes (the loss must be multiclass; Swift checks)
        if ys.shape != want:
            labels = f" or a label map {(want[0],) + want[2:]} (multiclass)" if out_c > 1 else ""
            raise ValueError(f"{yname}: expected shape (N, out_channels, H, W) = {want}{labels} to match "
                             f"{xname} {xs.shape}, got {ys.shape}")
        return xs, ys

    # -- training

    @training_hints("Trainer.fit", "x", "y")
    def fit(self, x: Any, y: Any, epochs: int = 1, validation_data: Optional[Tuple[Any, Any]] = None,
            early_stopping: Optional[Mapping[str, Any]] = None, checkpoint: Optional[PathLike] = None,
            verbose: Union[bool, int] = True) -> Dict[str, List[float]]:
        """Trains for up to `epochs` more epochs.

        Parameters
        ----------
        x : array_like, shape (N, in_channels, H, W)
            Images (converted to float32, must be finite).
        y : array_like, shape (N, out_channels, H, W)
            Targets in [0, 1] (or ``ignore_index``); (N, H, W) is accepted for one output
            channel, and with a multiclass loss (``loss_options={"mode": "multiclass"}``)
            as an integer label map of classes in [0, out_channels) (or ``ignore_index``).
            With a multiclass loss the validation scores count exclusive classes: the
            predicted class is the argmax logit, the true one the label (or the argmax of a
            one-hot target), and IoU / Dice pool the foreground classes 1..C-1.
        epochs : int, default 1
        validation_data : (x_val, y_val), optional
            Scored after every epoch: loss, IoU, Dice and accuracy at ``threshold``.
        early_stopping : dict, optional
            ``{"monitor": "val_iou", "patience": 5, "min_delta": 0.0}``: stop when the
            monitored score (``val_loss`` lower is better; ``val_iou``, ``val_dice``,
            ``val_accuracy`` higher) has not improved by more than ``min_delta`` for
            ``patience`` epochs. Needs `validation_data`; its state is checkpointed.
        checkpoint : str or os.PathLike, optional
            Saves the trainer there (atomically) after every epoch; resume with
            :meth:`load`.
        verbose : bool or int, default True
            True/1: a progress bar per epoch (tqdm when installed, else one line per
            epoch); 2: one line per epoch; False/0: silent. Other values are refused
            (TypeError or ValueError).

        Returns
        -------
        dict of lists
            The epochs of this call: ``epoch``, ``loss`` (mean training loss),
            ``val_loss``, ``val_iou``, ``val_dice``, ``val_accuracy`` (NaN without
            validation data) and ``time`` (seconds).

        Warns
        -----
        RuntimeWarning
            Once per trainer, after an epoch at whose end the network is dead: every
            output channel one value at every pixel of up to four validation images (or
            training images), i.e. every ReLU before the head is off and no gradient
            reaches the weights. Costs one prediction of those images per epoch.

        Notes
        -----
        The arguments, the images, every target value (its flat index in `y` is named),
        the validation data and the checkpoint path are checked before the first step, so
        a call that fails on them leaves the trainer as it was. A step that would make a
        weight NaN or infinite (a diverging run) is refused before it is applied
        (ValueError naming ``lr``), so the model keeps finite weights that can be saved.
        An epoch interrupted by an exception (such as the KeyboardInterrupt of Ctrl-C) is
        neither counted nor recorded, but the Adam steps of its finished mini-batches stay
        applied to the model; to resume exactly, load the last checkpoint (:meth:`load`).
        Early stopping counts the epochs of the monitor it is given: a `fit` with another
        ``monitor`` than the previous one starts its count afresh.

        Examples
        --------
        >>> import numpy as np, semsegloss_swift as ss
        >>> y = np.zeros((4, 1, 8, 8), np.float32); y[:, :, :4] = 1
        >>> t = ss.Trainer(ss.UNet(base_channels=4, depth=1, threads=1), lr=1e-2, batch_size=4)
        >>> h = t.fit(y, y, epochs=2, validation_data=(y, y),
        ...           early_stopping={"monitor": "val_loss", "patience": 3}, verbose=False)
        >>> h["epoch"]
        [1, 2]
        """
        epochs = check_int("epochs", epochs)
        if epochs < 0:
            raise ValueError(f"epochs: must be >= 0, got {epochs}")
        _fit_checks.check_verbose(verbose)
        xs, ys = self._data(x, y, "x", "y")
        xv = yv = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data: expected a pair (x_val, y_val)")
            xv, yv = self._data(validation_data[0], validation_data[1], "validation_data[0]", "validation_data[1]")
        monitor, patience, min_delta = _fit_checks.early_stopping(early_stopping, xv is not None)
        path = None if checkpoint is None else _fit_checks.checkpoint_location(check_path("checkpoint", checkpoint))
        # Everything that would stop the run is checked before the first step changes the model
        # (the images' and targets' values by the library's begin_epoch).
        if xv is not None:
            try:
                _core.trainer_evaluate(self._handle, xv, yv, 0)
            except ValueError as error:
                raise _fit_checks.renamed(error, {"x": "validation_data[0]", "y": "validation_data[1]"}) from None

        history: Dict[str, List[float]] = {k: [] for k in _HISTORY_KEYS}
        progress = Progress(verbose, epochs, self.epoch)
        h = self._handle
        if monitor >= 0 and _core.trainer_should_stop(h, monitor, patience):
            return history
        for _ in range(epochs):
            start = time.perf_counter()
            batches = _core.trainer_begin_epoch(h, xs, ys)
            try:
                progress.start(self.epoch + 1, batches)
                for _ in range(batches):
                    _, mean = _core.trainer_train_batches(h, xs, ys, 1)
                    progress.batch(mean)
                record, stop = _core.trainer_end_epoch(h, xv, yv, monitor, patience, min_delta, path)
            except BaseException:
                if _core.trainer_info(h)["epoch_in_progress"]:
                    _core.trainer_abort_epoch(h)
                progress.close()
                raise
            seconds = time.perf_counter() - start
            self._times[record["epoch"]] = seconds
            self._append(history, record, seconds)
            progress.end(record, seconds)
            if not self._dead_warned:
                probe = xv if xv is not None else xs
                if _dead_network.output_is_constant(self.model, probe):
                    self._dead_warned = True
                    _dead_network.warn_dead(record["epoch"], min(len(probe), _dead_network.PROBE_IMAGES))
            if stop:
                break
        return history

    def evaluate(self, x: Any, y: Any, batch_size: Optional[int] = None) -> Dict[str, float]:
        """Loss and thresholded scores of the model on (x, y).

        Returns
        -------
        dict
            ``loss`` (the training loss), ``iou``, ``dice``, ``accuracy`` (pixels pooled
            over the whole set; probability > ``threshold`` is positive).

        Examples
        --------
        >>> import numpy as np, semsegloss_swift as ss
        >>> y = np.zeros((2, 1, 8, 8), np.float32)
        >>> t = ss.Trainer(ss.UNet(base_channels=4, depth=1, threads=1))
        >>> sorted(t.evaluate(y, y))
        ['accuracy', 'dice', 'iou', 'loss']
        """
        xs, ys = self._data(x, y, "x", "y")
        b = 0 if batch_size is None else check_int("batch_size", batch_size)
        if batch_size is not None and b < 1:
            raise ValueError(f"batch_size: must be >= 1, got {b}")
        return _core.trainer_evaluate(self._handle, xs, ys, b)

    def predict(self, x: Any, batch_size: Optional[int] = None, output: str = "probabilities",
                threshold: Optional[float] = None) -> np.ndarray:
        """:meth:`UNet.predict` with the trainer's batch size and threshold as defaults."""
        s = self.state
        return self.model.predict(x, batch_size=s["batch_size"] if batch_size is None else batch_size,
                                  output=output, threshold=s["threshold"] if threshold is None else threshold)

    # -- checkpoints

    def save(self, path: PathLike) -> None:
        """Saves the model and the complete training state (Adam moments, epoch, shuffling
        generator, early-stopping state, history) atomically. The loss is not stored:
        pass the same one to :meth:`load`."""
        _core.trainer_save(self._handle, check_path("path", path))

    def __deepcopy__(self, memo: Dict[int, Any]) -> "Trainer":
        """An exact copy through :meth:`save` and :meth:`load` (in a temporary folder):
        the copy trains a copy of the model (``copy.model``) with the same loss, optimizer
        state, shuffling, early-stopping state and history."""
        if id(self.model) in memo:
            raise TypeError("Trainer: copy.deepcopy copied its model before it, and the copied trainer "
                            "brings its own copy of the model: copy the trainer first (or alone) and use "
                            "its .model")
        with tempfile.TemporaryDirectory(prefix="semsegloss-copy-") as folder:
            path = os.path.join(folder, "trainer.ckpt")
            self.save(path)
            other = type(self).load(path, loss=self.loss, loss_options=copy.deepcopy(self.loss_options, memo),
                                    threads=self.model.threads)
        other._times = dict(self._times)
        other._dead_warned = self._dead_warned
        memo[id(self)] = other
        memo[id(self.model)] = other.model
        return other

    @classmethod
    def load(cls, path: PathLike, loss: Any = "dice_bce", loss_options: Optional[Mapping[str, Any]] = None,
             threads: Optional[int] = None) -> "Trainer":
        """Restores a trainer saved by :meth:`save` (or by ``fit(checkpoint=...)``).

        Training continues exactly where it stopped: with the same loss and the saved
        thread count (the default), ``load`` + ``fit(epochs=k)`` gives bitwise the weights
        of an uninterrupted run.

        Examples
        --------
        >>> import os, tempfile, numpy as np, semsegloss_swift as ss
        >>> y = np.zeros((2, 1, 8, 8), np.float32); y[:, :, :4] = 1
        >>> t = ss.Trainer(ss.UNet(base_channels=4, depth=1, threads=1), loss="jaccard", batch_size=2)
        >>> _ = t.fit(y, y, epochs=1, verbose=False)
        >>> path = os.path.join(tempfile.mkdtemp(), "trainer.ckpt")
        >>> t.save(path)
        >>> ss.Trainer.load(path, loss="jaccard").epoch
        1
        """
        name, loss_options = loss_and_options(loss, loss_options)
        handle = _core.trainer_load(check_path("path", path), name, encode_loss_options(name, loss_options),
                                    check_threads(threads))
        trainer = cls.__new__(cls)
        trainer.loss = name
        trainer.loss_options = dict(loss_options or {})
        trainer._init(handle, UNet._wrap(_core.trainer_model(handle)))
        return trainer

