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

from . import _core
from ._loss_api import Loss, make_class
from .losses import (LOSSES, bce_loss, dice_bce_loss, dice_loss, focal_loss, focal_tversky_loss,
                     jaccard_loss, tversky_loss)
from . import metrics
from .losses import (boundary_loss, distance_penalized_ce_loss, hausdorff_dt_loss,
                     log_hausdorff_dt_loss, shape_aware_loss)
from .distance import distance_transform_edt, signed_distance
from .training import Trainer, UNet

__version__ = _core.version()


def _camel(name: str) -> str:
    special = {"bce": "BCE", "dt": "DT", "ce": "CE"}
    return "".join(special.get(p, p.capitalize()) for p in name.split("_"))


BCELoss = make_class(bce_loss, "BCELoss")
FocalLoss = make_class(focal_loss, "FocalLoss")
DiceLoss = make_class(dice_loss, "DiceLoss")
JaccardLoss = make_class(jaccard_loss, "JaccardLoss")
TverskyLoss = make_class(tversky_loss, "TverskyLoss")
FocalTverskyLoss = make_class(focal_tversky_loss, "FocalTverskyLoss")
DiceBCELoss = make_class(dice_bce_loss, "DiceBCELoss")
HausdorffDTLoss = make_class(hausdorff_dt_loss, "HausdorffDTLoss")
LogHausdorffDTLoss = make_class(log_hausdorff_dt_loss, "LogHausdorffDTLoss")
BoundaryLoss = make_class(boundary_loss, "BoundaryLoss")
DistancePenalizedCELoss = make_class(distance_penalized_ce_loss, "DistancePenalizedCELoss")
ShapeAwareLoss = make_class(shape_aware_loss, "ShapeAwareLoss")

#: loss name -> class
LOSS_CLASSES = {name: globals()[_camel(name)] for name in LOSSES}

# The Swift catalogue and the Python API must list the same losses.
if sorted(_core.loss_names()) != sorted(LOSSES):  # pragma: no cover - packaging error
    raise ImportError(f"semsegloss_swift: Python losses {sorted(LOSSES)} do not match the "
                      f"Swift catalogue {sorted(_core.loss_names())}")

__all__ = ["LOSSES", "LOSS_CLASSES", "Loss", "metrics", "distance_transform_edt", "signed_distance", *LOSSES, *(c.__name__ for c in LOSS_CLASSES.values())]
__all__ += ["UNet", "Trainer"]
