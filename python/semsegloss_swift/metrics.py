"""Thresholded segmentation metrics computed by the Swift library.

All metrics take ``(input, target)`` like the losses. Binary and multilabel: they threshold
the prediction (``p >= threshold``; with ``from_logits=True`` p = sigmoid(input)) and the
target (``g >= 0.5``) per channel. Multiclass (``mode="multiclass"``): the predicted class
of a voxel is the argmax over C of the input (logits or probabilities alike; ``threshold``
is not used), the true class comes from an integer label map (N, *spatial) or the argmax
of a one-hot / soft target, and class c is counted one-vs-rest (smp's multiclass
``get_stats``, MONAI's metrics on one-hot argmax predictions). They count TP, FP, FN, TN
per (image, class) — or per class over the batch with ``batch=True`` — and reduce with
``reduction``. A ratio whose denominator is 0 (e.g. IoU
of an empty prediction on an empty target) gives ``empty``: NaN by default (left out of
the mean; a mean of only NaN is NaN), or 1 or 0.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _core
from ._option_hints import check_metric_reduction
from ._options import EMPTY_METRIC, encode

__all__ = ["confusion_counts", "iou", "dice_score", "precision", "recall", "specificity",
           "accuracy", "f_beta", "mcc", "METRICS"]

_PARAMS = """
    Parameters
    ----------
    input : array_like, shape (N, C, *spatial)
        Probabilities (default) or logits (``from_logits=True``).
    target : array_like
        Same shape, labels in [0, 1] (binarised at 0.5; multiclass: one-hot or soft, the
        argmax is the class), or ``ignore_index``; multiclass also an integer label map
        (N, *spatial) of classes in [0, C).
    mode : {"binary", "multilabel", "multiclass"}
    threshold : float, default 0.5
        Predicted positive where p >= threshold (0 < threshold < 1); unused by multiclass
        (argmax).
    from_logits : bool, default False
        Whether ``input`` holds logits (any finite value) or probabilities (in [0, 1]).
    ignore_index : float, optional
        Target value of voxels left out of every count (a label, or a value of any
        channel of a dense multiclass target).
    include_background : bool, default True
        Multilabel and multiclass: False drops channel (class) 0.
    batch : bool, default False
        Pool the counts over the batch per class instead of per image.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns an array (N, C) or (C,) with ``batch=True``.
    empty : {"nan", "one", "zero"}, default "nan"
        Value of a 0/0 ratio.
    image_mean : bool, default False
        With ``reduction="mean"``: average each image's non-NaN entries first, then the
        images that have one (MONAI's ``reduction="mean"``, which gives 0 where everything
        is NaN; here that is NaN). The default weighs every non-NaN (image, class) entry
        alike; the two differ only when NaN entries are spread unevenly over the images."""


def _metric(name, input, target, options):
    check_metric_reduction(options.get("reduction"))
    value, values = _core.metric(name, input, target, encode(options, empty_table=EMPTY_METRIC))
    return values if options.get("reduction") == "none" else value


def _define(name: str, formula: str, example: str, extra_params: str = ""):
    def metric(input: Any, target: Any, *, mode: str = "binary", threshold: float = 0.5,
               from_logits: bool = False, ignore_index: Optional[float] = None,
               include_background: bool = True, batch: bool = False, reduction: str = "mean",
               empty: str = "nan", image_mean: bool = False):
        return _metric(name, input, target, dict(
            mode=mode, threshold=threshold, from_logits=from_logits, ignore_index=ignore_index,
            include_background=include_background, batch=batch, reduction=reduction, empty=empty,
            image_mean=image_mean))
    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = f"{formula}\n{_PARAMS}{extra_params}\n\n    Examples\n    --------\n{example}"
    return metric


_P = ("    >>> import numpy as np, semsegloss_swift as ss\n"
      "    >>> p = np.array([0.9, 0.2, 0.7, 0.6]).reshape(1, 1, 2, 2)\n"
      "    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)\n")

iou = _define("iou", "Intersection over union, TP / (TP + FP + FN).",
              _P + "    >>> round(ss.metrics.iou(p, g), 6)\n    0.666667\n")
dice_score = _define("dice_score", "Dice (F1) score, 2TP / (2TP + FP + FN).",
                     _P + "    >>> ss.metrics.dice_score(p, g)\n    0.8\n")
precision = _define("precision", "Precision (PPV), TP / (TP + FP).",
                    _P + "    >>> round(ss.metrics.precision(p, g), 6)\n    0.666667\n")
recall = _define("recall", "Recall (sensitivity, TPR), TP / (TP + FN).",
                 _P + "    >>> ss.metrics.recall(p, g)\n    1.0\n")
specificity = _define("specificity", "Specificity (TNR), TN / (TN + FP).",
                      _P + "    >>> ss.metrics.specificity(p, g)\n    0.5\n")
accuracy = _define("accuracy", "Accuracy, (TP + TN) / (TP + FP + FN + TN) over the valid voxels.",
                   _P + "    >>> ss.metrics.accuracy(p, g)\n    0.75\n")
mcc = _define("mcc", "Matthews correlation coefficient, (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)).",
              _P + "    >>> round(ss.metrics.mcc(p, g), 6)\n    0.57735\n")


def f_beta(input: Any, target: Any, *, beta: float = 1.0, mode: str = "binary",
           threshold: float = 0.5, from_logits: bool = False, ignore_index: Optional[float] = None,
           include_background: bool = True, batch: bool = False, reduction: str = "mean",
           empty: str = "nan", image_mean: bool = False):
    """F-beta score, (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP); beta > 1 favours recall.
    {params}
    beta : float, default 1
        b (> 0); 1 gives the Dice score.

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.6]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.metrics.f_beta(p, g, beta=2.0), 6)
    0.909091
    """
    return _metric("f_beta", input, target, dict(
        beta=beta, mode=mode, threshold=threshold, from_logits=from_logits,
        ignore_index=ignore_index, include_background=include_background, batch=batch,
        reduction=reduction, empty=empty, image_mean=image_mean))


f_beta.__doc__ = f_beta.__doc__.replace("    {params}", _PARAMS)


def confusion_counts(input: Any, target: Any, *, mode: str = "binary", threshold: float = 0.5,
                     from_logits: bool = False, ignore_index: Optional[float] = None,
                     include_background: bool = True, batch: bool = False) -> np.ndarray:
    """Hard confusion counts ``[TP, FP, FN, TN]`` per (image, class) or per class.

    Returns an int64 array of shape (N, C, 4), or (C, 4) with ``batch=True``. Options as
    the metrics (``mode="multiclass"``: one-vs-rest counts of the argmax prediction).

    Examples
    --------
    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.6]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> ss.metrics.confusion_counts(p, g).tolist()
    [[[2, 1, 0, 1]]]

    Three classes, logits and a label map (argmax prediction [[0, 2], [1, 1]]):

    >>> z = np.array([[[3.0, 0.0], [0.0, 0.1]], [[1.0, 0.0], [2.0, 0.5]],
    ...               [[0.0, 1.0], [0.0, 0.2]]])[None]
    >>> labels = np.array([[[0, 2], [1, 0]]])
    >>> ss.metrics.confusion_counts(z, labels, mode="multiclass", from_logits=True).tolist()
    [[[1, 0, 1, 2], [1, 1, 0, 2], [1, 0, 0, 3]]]
    """
    return _core.confusion_counts(input, target, encode(dict(
        mode=mode, threshold=threshold, from_logits=from_logits, ignore_index=ignore_index,
        include_background=include_background, batch=batch)))


#: name -> function for the reduced metrics.
METRICS = {f.__name__: f for f in (iou, dice_score, precision, recall, specificity, accuracy,
                                   f_beta, mcc)}


from . import metrics_surface  # noqa: E402
from .metrics_surface import (SURFACE_METRICS, average_surface_distance, hausdorff_distance,  # noqa: E402
                              normalized_surface_dice)

METRICS.update(SURFACE_METRICS)
__all__ += ["hausdorff_distance", "average_surface_distance", "normalized_surface_dice",
            "SURFACE_METRICS"]

# Every metric says what an unknown option is called here (`_option_hints`).
from ._option_hints import METRIC_PEER_OPTIONS, with_option_hints  # noqa: E402

for _name in list(METRICS) + ["confusion_counts"]:
    globals()[_name] = with_option_hints(globals()[_name], peers=METRIC_PEER_OPTIONS)
    if _name in METRICS:
        METRICS[_name] = globals()[_name]
    if _name in SURFACE_METRICS:
        SURFACE_METRICS[_name] = globals()[_name]
        setattr(metrics_surface, _name, globals()[_name])
del _name
