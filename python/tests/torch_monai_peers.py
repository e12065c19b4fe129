"""The MONAI side of test_torch_monai.py: the ``Case`` record of one comparison, MONAI
option sets, and the pieces the cases build peers from (``_mono``, compositions,
UFL's (background, foreground) pairs, the batch stacking for clDice, and MONAI's
internal focal and unified focal modules)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Optional

from conftest import optional_module

torch = optional_module("torch")

from torch_peer_harness import EXACT  # noqa: E402  (after the optional-dependency gate)

F = torch.nn.functional


# ============================================================================ cases and MONAI options

@dataclass(frozen=True)
class Case:
    id: str
    #: the MONAI preset this case checks (None: a documented non-preset mapping)
    preset: Optional[str]
    data: Callable[[], tuple]
    #: () -> our torch callable (x, t) -> 0-d tensor
    ours: Callable[[], Callable]
    #: monai.losses -> the peer's callable (x, t) -> 0-d tensor
    peer: Callable[[Any], Callable]
    tol: float = EXACT


def _mono(cls_name, **kw):
    return lambda M: getattr(M, cls_name)(**kw)


def _t(values):
    return torch.tensor(values, dtype=torch.float64)


LOGITS = {"from_logits": True}
ML, MC = {"mode": "multilabel"}, {"mode": "multiclass"}
MC_PEER = {"softmax": True, "to_onehot_y": True}
W_NOBG = [9.0, 2.0, 0.5]  # our weight has C values; MONAI's C - 1 without the background
#: GWDL's class distances (MONAI's docstring example).
GWDL_M = [[0.0, 1.0, 1.0], [1.0, 0.0, 0.5], [1.0, 0.5, 0.0]]
#: one whose largest entry is not 1 (both sides rescale it to max 1)
GWDL_UNSCALED = [[0.0, 2.0, 3.0], [2.0, 0.0, 1.0], [3.0, 1.0, 0.0]]


def both(*modules):
    """Our side as a sum of losses (documented compositions)."""
    return lambda x, t: sum(m(x, t) for m in modules)


def two_channels(a):
    """UFL's (background, foreground) pair [1 - a, a] of a one-channel tensor."""
    return torch.cat([1 - a, a], dim=1)


def stack_batch(p, t):
    """The kept channels (1:) of the batch as the channels of one image: MONAI 1.6's
    per-image clDice of it is clDice pooled over the batch and the kept channels (the soft
    skeletons act per channel)."""
    p, t = p[:, 1:], t[:, 1:]
    n, c = p.shape[:2]
    return p.reshape(1, n * c, *p.shape[2:]), t.reshape(1, n * c, *t.shape[2:])


def softmax(x):
    return torch.softmax(x, dim=1)


def _ufl():
    """monai.losses.unified_focal_loss (its AsymmetricFocalLoss and
    AsymmetricFocalTverskyLoss are not exported by monai.losses)."""
    return importlib.import_module("monai.losses.unified_focal_loss")


def _focal():
    """monai.losses.focal_loss: its sigmoid_focal_loss / softmax_focal_loss functions compute
    in the input's dtype (FocalLoss.forward casts to float32 before calling them)."""
    return importlib.import_module("monai.losses.focal_loss")


def _pair(x, t, peer_t):
    """What AsymmetricUnifiedFocalLoss hands its parts: the (background, foreground) pair of
    a one-channel input and target, or the one-hot target of a label map."""
    if x.shape[1] == 1:
        return two_channels(x), two_channels(t)
    return x, F.one_hot(t[:, 0].long(), x.shape[1]).movedim(-1, 1).to(x.dtype)
