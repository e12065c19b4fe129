"""Exact Euclidean distance transforms and signed distance maps, computed by the Swift library.

Both functions treat the whole array as one image with 1 to 3 axes (pass a batch as a loop,
or use the losses, which batch internally). Any dtype that NumPy can compare with 0 is
accepted: non-zero means "inside the mask". The separable exact algorithm (Felzenszwalb &
Huttenlocher, Theory of Computing 8, 2012) runs in O(N) per axis, on all cores.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _core
from ._masked_arrays import refuse_masked_array
from ._options import choice, flat_values

__all__ = ["distance_transform_edt", "signed_distance"]

# Codes of semsegloss.h (SEMSEG_SDF_*, SEMSEG_DEGENERATE_*).
_CONVENTIONS = {"boundary_loss": 0, "symmetric": 1, "two_sided": 2}
_DEGENERATE = {"zero": 0, "inf": 1}

Sampling = Optional[Union[float, Sequence[float]]]


def _as_mask(mask: Any) -> np.ndarray:
    """Any real array -> bool (non-zero is True); NaN, object, str, complex and numpy.ma
    masked arrays (whose mask np.asarray would drop) rejected."""
    refuse_masked_array("mask", mask)
    if isinstance(mask, np.ndarray) and mask.dtype in (np.bool_, np.uint8):
        arr = mask
    else:
        try:
            arr = np.asarray(mask)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise TypeError(f"mask: cannot be converted to an array ({exc})") from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"mask: dtype {arr.dtype} is not supported; use a bool or numeric array")
        if arr.dtype.kind == "f" and np.isnan(arr).any():
            raise ValueError("mask: contains NaN; a mask must be boolean (non-zero = inside)")
        arr = arr != 0
    if arr.ndim < 1 or arr.ndim > 3:
        raise ValueError(f"mask: expected 1 to 3 dimensions, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"mask: is empty (shape {arr.shape})")
    return np.ascontiguousarray(arr)


def _sampling(sampling: Sampling, ndim: int, name: str = "sampling"):
    """`sampling` as one finite positive float per axis; a number applies to every axis."""
    if sampling is None:
        return None
    values = flat_values(sampling, name)
    if values.ndim == 0:
        values = np.full(ndim, float(values))
    if values.size != ndim:
        raise ValueError(f"{name}: needs one value per spatial axis ({ndim}), got {values.size}")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"{name}: every spacing must be a finite positive number, got {values.tolist()}")
    return [float(v) for v in values]


def distance_transform_edt(mask: Any, sampling: Sampling = None) -> np.ndarray:
    """Exact Euclidean distance transform of a binary mask (1-D to 3-D).

    For every voxel where ``mask`` is true: the distance to the nearest voxel where it is
    false, ``min ||s * (x - y)||`` with ``s`` the voxel spacing; 0 where ``mask`` is false.
    Agrees with ``scipy.ndimage.distance_transform_edt(mask, sampling=sampling)`` to
    rounding (both are exact).

    Parameters
    ----------
    mask : array_like, 1 to 3 dims
        Non-zero = inside. bool or any real dtype (NaN rejected).
    sampling : float or sequence of float, optional
        Physical voxel size per axis (finite, > 0); a single number applies to every axis.

    Returns
    -------
    ndarray of float64, the mask's shape.

    Notes
    -----
    An **all-true** mask has no false voxel to measure to: the result is ``+inf``
    everywhere (SciPy returns meaningless finite values there). An all-false mask gives
    zeros.

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> m = np.array([[0, 1, 1, 1, 0]], dtype=bool)
    >>> ss.distance_transform_edt(m).tolist()
    [[0.0, 1.0, 2.0, 1.0, 0.0]]
    >>> ss.distance_transform_edt(m, sampling=[1.0, 0.5]).tolist()
    [[0.0, 0.5, 1.0, 0.5, 0.0]]
    """
    arr = _as_mask(mask)
    return _core.distance_transform_edt(arr, arr.ndim, _sampling(sampling, arr.ndim))


def signed_distance(mask: Any, sampling: Sampling = None, convention: str = "boundary_loss",
                    degenerate: str = "zero") -> np.ndarray:
    """Signed distance map of a binary mask (1-D to 3-D), negative inside.

    With ``e_in = EDT(mask)`` and ``e_out = EDT(~mask)``:

    ================= ======================= ===================== ==========================
    convention        outside voxel           inside voxel          use
    ================= ======================= ===================== ==========================
    "boundary_loss"   ``e_out`` (>= 1 voxel)  ``-(e_in - 1)``       Kervadec's boundary loss
                                                                    (inner boundary layer = 0)
    "symmetric"       ``e_out``               ``-e_in``             plain signed distance
    "two_sided"       ``e_out``               ``e_in``              unsigned, Hausdorff-DT loss
    ================= ======================= ===================== ==========================

    The ``- 1`` of ``"boundary_loss"`` is one unit of distance whatever the spacing, as in the
    reference code (``one_hot2dist``).

    Parameters
    ----------
    mask : array_like, 1 to 3 dims
        Non-zero = inside.
    sampling : float or sequence of float, optional
        Physical voxel size per axis.
    convention : {"boundary_loss", "symmetric", "two_sided"}
    degenerate : {"zero", "inf"}, default "zero"
        Result for a mask with no boundary (empty or full): all zeros (Kervadec, MONAI), or
        ``+inf`` (empty) / ``-inf`` (full; ``+inf`` for ``"two_sided"``).

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> m = np.array([0, 0, 1, 1, 1, 1, 0], dtype=bool)
    >>> ss.signed_distance(m).tolist()
    [2.0, 1.0, 0.0, -1.0, -1.0, 0.0, 1.0]
    >>> ss.signed_distance(m, convention="symmetric").tolist()
    [2.0, 1.0, -1.0, -2.0, -2.0, -1.0, 1.0]
    """
    convention_code = choice("convention", convention, _CONVENTIONS)
    degenerate_code = choice("degenerate", degenerate, _DEGENERATE)
    arr = _as_mask(mask)
    return _core.signed_distance(arr, arr.ndim, _sampling(sampling, arr.ndim), convention_code, degenerate_code)
