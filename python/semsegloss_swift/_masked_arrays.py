"""numpy.ma masked arrays, refused where the Python layer converts arrays itself (images and
masks for training, distance-transform masks; the C layer refuses them for the losses and
metrics): ``np.asarray`` would drop the mask and use the values under it as if valid."""
from __future__ import annotations

from typing import Any

import numpy as np


def refuse_masked_array(name: str, value: Any) -> None:
    """TypeError naming `name` if `value` is a numpy.ma masked array."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name}: numpy.ma masked arrays are not accepted (the values under the mask "
                        f"would be used as if valid); pass a.filled(value) or np.ma.getdata(a)")
