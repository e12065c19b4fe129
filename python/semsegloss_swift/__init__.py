"""semsegloss_swift: segmentation losses with analytic gradients and metrics, computed
by a Swift library through a C ABI (see README.md and DESIGN.md).

>>> import numpy as np, semsegloss_swift as ss
>>> logits = np.zeros((2, 1, 8, 8), dtype=np.float32)
>>> target = np.ones((2, 1, 8, 8), dtype=np.float32)
>>> loss, grad = ss.dice_loss(logits, target, return_grad=True)
>>> grad.shape, grad.dtype
((2, 1, 8, 8), dtype('float32'))
"""
from __future__ import annotations

import numpy as _numpy  # first, so that NumPy's own OpenBLAS keeps its own kernel choice

from . import _openblas_core

with _openblas_core.chosen_for_import():  # loading _core loads OpenBLAS: pick its kernels first
    from . import _core
from ._loss_api import Loss, make_class
from .losses import LOSSES
from .losses_lovasz import MS_SSIM_WEIGHTS
from .losses import *  # noqa: F401,F403  (every loss function)
from . import metrics
from . import presets
from .distance import distance_transform_edt, signed_distance
from .deep_supervision import DeepSupervisionLoss, deep_supervision_loss
from .masked import MASKABLE_LOSSES, MaskedDiceLoss, MaskedLoss, masked_dice_loss, masked_loss
from .training import Trainer, UNet

__version__ = _core.version()


def scratch_memory_bytes() -> int:
    """Bytes of scratch memory the library keeps between calls.

    Losses that need buffers as large as their input (Lovász sort buffers, top-k CE values,
    SSIM statistics, multiclass softmax probabilities) reuse them from call to call instead
    of having the operating system fault in fresh pages each time; at most 256 MiB are kept.

    >>> import semsegloss_swift as ss
    >>> ss.scratch_memory_bytes() >= 0
    True
    """
    return _core.scratch_bytes()


def release_scratch_memory() -> None:
    """Frees the scratch memory kept between calls (like ``torch.cuda.empty_cache``).

    The next large call allocates again; results never depend on it.
    """
    _core.release_scratch()


def _camel(name: str) -> str:
    special = {"bce": "BCE", "dt": "DT", "er": "ER", "ce": "CE", "mcc": "MCC", "ssim": "SSIM"}
    return "".join(special.get(p, p.capitalize()) for p in name.split("_"))


#: loss name -> class (``DiceLoss``, ``FocalTverskyLoss``, ... : CamelCase of the name)
LOSS_CLASSES = {name: make_class(function, _camel(name)) for name, function in LOSSES.items()}
globals().update({cls.__name__: cls for cls in LOSS_CLASSES.values()})
globals().update(LOSSES)

# The Swift catalogue and the Python API must list the same losses.
if sorted(_core.loss_names()) != sorted(LOSSES):  # pragma: no cover - packaging error
    raise ImportError(f"semsegloss_swift: Python losses {sorted(LOSSES)} do not match the "
                      f"Swift catalogue {sorted(_core.loss_names())}")

#: Submodules loaded on first use (``ss.datasets.chest_xray_phantom(...)`` after
#: ``import semsegloss_swift as ss``), so that importing the package stays cheap: ``torch``
#: imports PyTorch, ``plots`` matplotlib.
_LAZY_SUBMODULES = ("datasets", "study", "plots", "demo", "torch")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))


__all__ = ["LOSSES", "LOSS_CLASSES", "Loss", "metrics", "presets", "MS_SSIM_WEIGHTS", "distance_transform_edt", "signed_distance", *LOSSES, *(c.__name__ for c in LOSS_CLASSES.values())]
__all__ += ["UNet", "Trainer", "scratch_memory_bytes", "release_scratch_memory", "DeepSupervisionLoss",
            "deep_supervision_loss", "MASKABLE_LOSSES", "MaskedLoss", "MaskedDiceLoss", "masked_loss", "masked_dice_loss"]
