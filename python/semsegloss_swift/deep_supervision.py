"""Deep supervision: one catalogue loss summed over the outputs of a deeply supervised
network (MONAI ``DeepSupervisionLoss``, nnU-Net). Ergonomics only: the Swift library resizes
the target to every level and evaluates and weighs each level's loss and gradient."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, List, Optional, Sequence, Union

from . import _core
from ._loss_api import Loss, library_options, resolve_loss, sequence_options
from ._options import choice, encode, flag, float_array

#: weight_mode names (MONAI's) and their codes.
WEIGHT_MODES = {"same": _core.DS_WEIGHTS_SAME, "exp": _core.DS_WEIGHTS_EXP, "two": _core.DS_WEIGHTS_TWO}

def deep_supervision_loss(inputs: Sequence[Any], target: Any, *, loss: Union[str, Loss] = "dice_loss",
                          weight_mode: str = "exp", weights: Optional[Sequence[float]] = None,
                          return_grad: bool = False, **loss_options: Any):
    """Deep supervision (MONAI ``DeepSupervisionLoss``): ``sum_l w_l * loss(inputs[l], target_l)``.

    ``inputs`` holds one array per output level of the network, (N, C, *spatial_l), with the
    same N and C; level 0 is usually the full-resolution output. ``target`` is given once at
    its own resolution, dense (N, C, *spatial) or, with ``mode="multiclass"``, an integer
    label map (N, *spatial); for every level whose size differs it is resized by
    nearest-exact interpolation (PyTorch ``interpolate(mode="nearest-exact")``, as MONAI),
    which copies labels and never mixes them. Works with every catalogue loss and its
    options (``reduction="none"`` excepted: the levels differ in shape).

    Parameters
    ----------
    inputs : list or tuple of arrays
        The levels' logits (or probabilities with ``from_logits=False``), float32 or float64.
        Every level is computed in the floating type of ``inputs[0]`` (as a loss converts
        its input: float16 to float32, other real dtypes to float64): a float64 level
        after a float32 level 0 is converted to float32.
    target : array
        The full-resolution target.
    loss : str or loss object, default "dice_loss"
        A catalogue name (``"dice_ce"`` or ``"dice_ce_loss"``) with its options as keyword
        arguments, or a configured loss object such as ``ss.DiceCELoss(mode="multiclass")``.
    weight_mode : {"exp", "same", "two"}, default "exp"
        MONAI's level weights: ``"exp"`` max(0.5^l, 1/16) (1, 0.5, 0.25, ...); ``"same"``
        all 1; ``"two"`` 1 then 0.5 for every lower level.
    weights : sequence of float, optional
        One explicit weight per level (finite, >= 0), a flat sequence of numbers;
        overrides ``weight_mode``. Unlike MONAI, a list of the wrong length is an error,
        not a silent fallback.
    return_grad : bool, default False
        Also return the list of gradients, ``w_l * d loss / d inputs[l]`` for every level.
    **loss_options
        Options of the loss (mode, from_logits, include_background, smooth_nr, ...).

    Returns
    -------
    loss : float
    grads : list of ndarray
        Only with ``return_grad=True``: one per level, shaped as ``inputs[l]``, in the
        floating type every level is computed in (that of ``inputs[0]``, see ``inputs``).

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> g = np.zeros((1, 1, 4, 4)); g[..., 1::2, 1::2] = 1  # nearest-exact halving reads 1, 3
    >>> full = np.where(g > 0, 5.0, -5.0); half = np.full((1, 1, 2, 2), 5.0)
    >>> round(ss.deep_supervision_loss([full, half], g, loss="dice"), 6)  # 1 * L_0 + 0.5 * L_1
    0.014976
    >>> round(ss.dice_loss(full, g) + 0.5 * ss.dice_loss(half, np.ones((1, 1, 2, 2))), 6)
    0.014976
    """
    return_grad = flag("return_grad", return_grad)
    name, options = resolve_loss(loss, loss_options)
    mode = choice("weight_mode", weight_mode, WEIGHT_MODES)
    encoded = encode(library_options(name, options), sequences=sequence_options(name))
    level_weights = _weights(weights)
    value, grads = _core.deep_supervision_loss(name, inputs, target, encoded, mode, level_weights, return_grad)
    return (value, grads) if return_grad else value


def _weights(weights: Any) -> Optional[List[float]]:
    """``weights`` as a flat list of floats (None stays None); the library checks the count
    and the values."""
    if weights is None:
        return None
    expected = "a flat sequence of numbers, one per level"
    if isinstance(weights, (str, bytes, Mapping)) or not isinstance(weights, Iterable):
        raise TypeError(f"weights: expected {expected}, got {type(weights).__name__} {weights!r}")
    values = float_array("weights", weights if hasattr(weights, "__len__") else list(weights), expected)
    if values.ndim == 0:
        raise TypeError(f"weights: expected {expected}, got the single number {weights!r}")
    if values.ndim != 1:
        raise ValueError(f"weights: expected {expected}, got a nested sequence of shape {values.shape}")
    return values.tolist()


class DeepSupervisionLoss:
    """Class form of :func:`deep_supervision_loss`:
    ``DeepSupervisionLoss(loss, weight_mode="exp", weights=None, **loss_options)(inputs, target)``.

    ``loss`` is a catalogue name or a configured loss object, as MONAI's
    ``DeepSupervisionLoss(DiceCELoss(...))``.
    """

    def __init__(self, loss: Union[str, Loss] = "dice_loss", weight_mode: str = "exp",
                 weights: Optional[Sequence[float]] = None, **loss_options: Any) -> None:
        self.name, self.options = resolve_loss(loss, loss_options)
        choice("weight_mode", weight_mode, WEIGHT_MODES)
        self.weight_mode = weight_mode
        self.weights = _weights(weights)

    def __call__(self, inputs: Sequence[Any], target: Any, *, return_grad: bool = False):
        return deep_supervision_loss(inputs, target, loss=self.name, weight_mode=self.weight_mode,
                                     weights=self.weights, return_grad=return_grad, **self.options)

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"DeepSupervisionLoss(loss={self.name!r}, weight_mode={self.weight_mode!r}, weights={self.weights!r}{extra})"
