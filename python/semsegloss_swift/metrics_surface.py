"""Surface-distance metrics computed by the Swift library: Hausdorff distance (and its
percentiles), average surface distance, normalized surface Dice; re-exported by
``semsegloss_swift.metrics``, whose thresholding and ``mode`` conventions they share.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _core
from ._option_hints import check_metric_reduction
from ._options import check_in_range, encode, flag, flat_values

_SURFACE_PARAMS = """
    Parameters
    ----------
    input : array_like, shape (N, C, *spatial), 1 to 3 spatial dims
        Probabilities (default) or logits (``from_logits=True``), thresholded at
        ``threshold`` (predicted object where p >= threshold).
    target : array_like
        Same shape, labels in [0, 1] (object where g >= 0.5), or ``ignore_index``;
        multiclass: an integer label map (N, *spatial), or one-hot / soft (argmax).
    spacing : float or sequence of float, optional
        Physical voxel size per spatial axis (finite, > 0); distances are in these units.
    threshold : float, default 0.5
        Unused by multiclass, whose masks are ``argmax(input) == c`` and ``target == c``.
    from_logits : bool, default False
    mode : {"binary", "multilabel", "multiclass"}
    ignore_index : float, optional
        Voxels whose target equals it are background in both masks.
    include_background : bool, default True
        Multilabel and multiclass: False drops channel (class) 0 (MONAI's default for these
        metrics is False).
    reduction : {"mean", "sum", "none"}
        Over the (image, channel) entries, NaN entries left out (a mean of only NaN is NaN);
        ``"none"`` returns an array (N, C).
    empty : "nan" or (both, one), default "nan"
        Result of an entry whose prediction and/or target is empty (no surface). ``"nan"``
        is the default policy (MONAI: NaN, skipped by the reduction; the normalized surface
        Dice gives 0 when exactly one mask is empty). A pair sets the result when both are
        empty and when exactly one is, each ``"nan"``, ``"inf"``, ``"image_diagonal"`` (the
        physical image diagonal, a worst-case distance as medpy / boundary-loss use;
        distances only) or a number.
    image_mean : bool, default False
        With ``reduction="mean"``: average each image's non-NaN entries first, then the
        images that have one (MONAI's ``reduction="mean"``, which gives 0 where everything
        is NaN; here NaN). The default weighs every non-NaN entry alike."""

_SURFACE_NOTES = """
    Notes
    -----
    Surfaces are the border voxels of each mask: object voxels with at least one of their
    2*d face neighbours in the background or outside the image (``mask ^
    binary_erosion(mask)`` with SciPy's default structure and ``border_value=0``, as MONAI,
    medpy and DeepMind's ``surface-distance`` count them). An object touching the image
    border has surface voxels along that border. Distances between surface voxels are exact
    Euclidean distances in physical units."""

_EMPTY_CODES = {"nan": 0, "inf": 2, "image_diagonal": 3}


def _surface_options(empty, options):
    if isinstance(empty, str):
        if empty != "nan":
            raise ValueError(f"empty: expected 'nan' or a pair (both, one), got {empty!r}")
        return options
    if not isinstance(empty, (tuple, list)) or len(empty) != 2:
        raise ValueError(f"empty: expected 'nan' or a pair (both, one), got {empty!r}")
    for key, item in zip(("empty_both", "empty_one"), empty):
        if isinstance(item, str):
            if item not in _EMPTY_CODES:
                raise ValueError(f"empty: expected 'nan', 'inf', 'image_diagonal' or a number, got {item!r}")
            options[key] = _EMPTY_CODES[item]
        elif isinstance(item, (int, float, np.integer, np.floating)) and not isinstance(item, (bool, np.bool_)):
            check_in_range("empty", item)
            options[key] = 1
            options[key + "_value"] = float(item)
        else:
            raise TypeError(f"empty: expected 'nan', 'inf', 'image_diagonal' or a number, got {item!r}")
    return options


def _spacing(spacing, input):
    """A number or a flat sequence of numbers as a 1-D float64 array (the library checks
    the count and the values); an empty sequence, which the library would read as "no
    spacing", is refused."""
    if spacing is None:
        return None
    values = flat_values(spacing, "spacing")
    if values.ndim == 0:
        return np.full(max(np.ndim(input) - 2, 1), float(values))
    if values.size == 0:
        raise ValueError("spacing: needs one value per spatial axis, got an empty sequence (None means 1 "
                         "on every axis)")
    return values


def _surface(name, input, target, spacing, empty, options):
    check_metric_reduction(options.get("reduction"))
    for key in ("directed", "percentile_mode"):
        if key in options:
            options[key] = int(flag(key, options[key]))
    opts = encode(_surface_options(empty, options))
    value, values = _core.surface_metric(name, input, target, opts, _spacing(spacing, input))
    return values if options.get("reduction") == "none" else value


def hausdorff_distance(input: Any, target: Any, *, percentile: Optional[float] = None,
                       directed: bool = False, spacing: Any = None, threshold: float = 0.5,
                       from_logits: bool = False, mode: str = "binary",
                       ignore_index: Optional[float] = None, include_background: bool = True,
                       reduction: str = "mean", empty: Any = "nan", percentile_mode: str = "pooled",
                       image_mean: bool = False):
    """Hausdorff distance between the surfaces of prediction and target, per (image, channel).

    With ``A->B`` the distances from each surface voxel of A to the surface of B:
    ``percentile=None`` gives ``max(max P->T, max T->P)``; ``percentile=95`` the HD95.
    {params}
    percentile : float in [0, 100], optional
        None: the maximum. Percentiles use NumPy's default (linear) interpolation.
    directed : bool, default False
        Prediction -> target only (MONAI ``directed=True``).
    percentile_mode : {"pooled", "max_of_directed"}, default "pooled"
        How a percentile combines both directions: of all distances pooled (medpy ``hd95``),
        or the larger of the two directed percentiles (MONAI, DeepMind).
{notes}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.zeros((1, 1, 1, 8)); p[..., 1:3] = 1
    >>> g = np.zeros((1, 1, 1, 8)); g[..., 1:6] = 1
    >>> ss.metrics.hausdorff_distance(p, g)
    3.0
    >>> ss.metrics.hausdorff_distance(p, g, spacing=(1.0, 0.5))
    1.5
    """
    if percentile_mode not in ("pooled", "max_of_directed"):
        raise ValueError(f"percentile_mode: expected 'pooled' or 'max_of_directed', got {percentile_mode!r}")
    return _surface("hausdorff_distance", input, target, spacing, empty, dict(
        percentile=percentile, directed=directed, threshold=threshold, from_logits=from_logits,
        mode=mode, ignore_index=ignore_index, include_background=include_background,
        reduction=reduction, percentile_mode=percentile_mode == "max_of_directed",
        image_mean=image_mean))


def average_surface_distance(input: Any, target: Any, *, directed: bool = False, spacing: Any = None,
                             threshold: float = 0.5, from_logits: bool = False, mode: str = "binary",
                             ignore_index: Optional[float] = None, include_background: bool = True,
                             reduction: str = "mean", empty: Any = "nan", image_mean: bool = False):
    """Average surface distance, symmetric by default (ASSD), per (image, channel).

    Symmetric: ``(sum P->T + sum T->P) / (|dP| + |dT|)``, the mean of both directions
    pooled (MONAI ``symmetric=True``; medpy's ``assd`` averages the two directed means
    instead). Directed: the mean of P->T.
    {params}
    directed : bool, default False
        Prediction -> target only.
{notes}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.zeros((1, 1, 1, 8)); p[..., 1:3] = 1
    >>> g = np.zeros((1, 1, 1, 8)); g[..., 1:6] = 1
    >>> round(ss.metrics.average_surface_distance(p, g), 6)  # (0+0 + 0+0+1+2+3) / 7
    0.857143
    """
    return _surface("average_surface_distance", input, target, spacing, empty, dict(
        directed=directed, threshold=threshold, from_logits=from_logits, mode=mode,
        ignore_index=ignore_index, include_background=include_background, reduction=reduction,
        image_mean=image_mean))


def normalized_surface_dice(input: Any, target: Any, *, tolerance: float, spacing: Any = None,
                            threshold: float = 0.5, from_logits: bool = False, mode: str = "binary",
                            ignore_index: Optional[float] = None, include_background: bool = True,
                            reduction: str = "mean", empty: Any = "nan", image_mean: bool = False):
    """Normalized surface Dice at ``tolerance`` (Nikolov et al. 2021), per (image, channel).

    ``(|{p in dP: d(p, dT) <= tau}| + |{t in dT: d(t, dP) <= tau}|) / (|dP| + |dT|)``,
    counting surface voxels (MONAI ``compute_surface_dice`` with ``use_subvoxels=False``).
    {params}
    tolerance : float
        tau, in the units of ``spacing`` (>= 0). Required.
{notes}

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.zeros((1, 1, 1, 8)); p[..., 1:3] = 1
    >>> g = np.zeros((1, 1, 1, 8)); g[..., 1:6] = 1
    >>> round(ss.metrics.normalized_surface_dice(p, g, tolerance=1.0), 6)  # 5 of 7 within 1
    0.714286
    """
    return _surface("normalized_surface_dice", input, target, spacing, empty, dict(
        tolerance=tolerance, threshold=threshold, from_logits=from_logits, mode=mode,
        ignore_index=ignore_index, include_background=include_background, reduction=reduction,
        image_mean=image_mean))


for _f in (hausdorff_distance, average_surface_distance, normalized_surface_dice):
    _f.__doc__ = _f.__doc__.replace("    {params}", _SURFACE_PARAMS).replace("{notes}", _SURFACE_NOTES)

#: name -> function for the surface-distance metrics.

SURFACE_METRICS = {f.__name__: f for f in (hausdorff_distance, average_surface_distance,
                                           normalized_surface_dice)}
