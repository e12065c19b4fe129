"""Loss family: combo, exp-log, Dice+CE, Dice+focal, unified focal, SSIM.

Thin keyword wrappers over the Swift library (all maths is in Swift); see losses.py for
the calling convention.
"""
from __future__ import annotations

from typing import Any, Optional  # noqa: F401

from ._loss_api import evaluate  # noqa: F401
from ._loss_docs import _COMMON, _REGION, _RETURNS, _doc  # noqa: F401

#: The functions of this family, in the order shown to users.
FAMILY_LOSSES: tuple = ()

__all__ = [f.__name__ for f in FAMILY_LOSSES]
