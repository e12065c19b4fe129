"""What to say about an option a loss, a metric or the trainer does not take.

Users moving from MONAI, segmentation_models_pytorch (smp), SemSegLoss, SegLoss,
LovaszSoftmax or medpy pass those libraries' option names (``sigmoid=True``,
``smooth=1.0``, ``to_onehot_y=True``, ``zero_division=1`` ...). The TypeError then says
what the option is called here, or suggests close spellings of the accepted options, and
lists them. A peer's name is only explained where the function takes the options the
explanation names.
"""
from __future__ import annotations

import difflib
import functools
import inspect
from typing import Any, Callable, Iterable, Optional

#: Losses: peer option -> (our options the advice relies on, the advice). The options
#: listed first must all be accepted by the loss for the advice to be given.
PEER_OPTIONS = {
    "sigmoid": (("from_logits",), "MONAI's sigmoid=True is from_logits=True here (the default): the "
                "activation follows mode, sigmoid for 'binary' and 'multilabel', softmax for 'multiclass'"),
    "softmax": (("from_logits", "mode"), "MONAI's softmax=True is mode='multiclass' with from_logits=True here"),
    "use_softmax": (("from_logits", "mode"), "MONAI's use_softmax=True is mode='multiclass' with "
                    "from_logits=True here"),
    "other_act": (("from_logits",), "MONAI's other_act: apply the activation yourself and pass the "
                  "probabilities with from_logits=False"),
    "to_onehot_y": (("mode",), "MONAI's to_onehot_y=True is not needed: with mode='multiclass' an integer "
                    "label map (N, *spatial) is one-hot encoded by the library"),
    "apply_nonlin": (("from_logits",), "SegLoss's apply_nonlin is from_logits here: True (the default) "
                     "applies sigmoid or softmax by mode, False takes probabilities"),
    "smooth": (("smooth_nr", "smooth_dr"), "the smooth of smp, SemSegLoss and SegLoss is smooth_nr and "
               "smooth_dr here (MONAI's names); ss.presets.preset(library, loss) sets both as that library does"),
    "eps": (("smooth_dr",), "smp's eps (a lower bound on the denominator) has no equivalent here; "
            "ss.presets.preset('smp', loss) gives smp's numbers"),
    "log_loss": ((), "smp's DiceLoss(log_loss=True) is log_dice_loss here"),
    "smooth_factor": (("label_smoothing",), "smp's smooth_factor is label_smoothing here"),
    "ignore": (("ignore_index",), "LovaszSoftmax's ignore is ignore_index here"),
    "only_present": (("classes",), "LovaszSoftmax's only_present=True is classes='present' here (the default)"),
    "jaccard": ((), "MONAI's DiceLoss(jaccard=True) is jaccard_loss here; "
                "ss.presets.preset('monai', 'jaccard_loss') has MONAI's smoothing"),
    "batch_dice": (("batch",), "SegLoss's and nnU-Net's batch_dice is batch here"),
    "do_bg": (("include_background",), "SegLoss's do_bg=False is include_background=False here"),
    "loss_mask": ((), "masks go through ss.masked_loss(input, target, mask, loss=...) here"),
    "mask": ((), "masks go through ss.masked_loss(input, target, mask, loss=...) here"),
    "ignore_empty": (("empty",), "MONAI's ignore_empty: empty='skip' leaves entries with an empty target "
                     "out of the mean here"),
    "per_image": (("batch",), "per_image=True is batch=False here (the default: one value per image and "
                  "class, then the mean), per_image=False is batch=True"),
}

#: Metrics: the same, for MONAI's and smp's metric options and medpy's.
METRIC_PEER_OPTIONS = {
    "zero_division": (("empty",), "smp's zero_division=1 is empty='one' here and zero_division=0 is "
                      "empty='zero'; the default empty='nan' leaves 0/0 entries out of the mean, as MONAI"),
    "ignore_empty": (("empty",), "MONAI's ignore_empty=True (its default) is close to empty='nan' here (ours): a "
                     "0/0 entry is NaN and left out of the mean, but an empty target with false "
                     "positives scores 0 here where MONAI gives NaN; ignore_empty=False is empty='one'"),
    "get_not_nans": (("reduction",), "MONAI's get_not_nans has no equivalent: reduction='none' returns every "
                     "entry, NaN where it is undefined"),
    "num_classes": (("mode",), "the number of classes is the input's channel count here"),
    "class_weights": (("reduction",), "smp's class_weights: take reduction='none' and weigh the per-class "
                      "values yourself"),
    "sigmoid": (("from_logits",), "MONAI's sigmoid=True is from_logits=True here: the threshold applies "
                "to the sigmoid (binary, multilabel), multiclass takes the argmax"),
    "softmax": (("mode",), "MONAI's softmax: mode='multiclass' takes the argmax over the channels here"),
    "voxelspacing": (("spacing",), "medpy's voxelspacing is spacing here"),
    "class_thresholds": (("tolerance",), "MONAI's class_thresholds is tolerance here"),
    "distance_metric": (("spacing",), "only the Euclidean distance is computed here (spacing scales the axes)"),
}

#: MONAI's metric reductions that have no code here: how to get them (README, Metrics).
MONAI_METRIC_REDUCTIONS = {
    "mean_batch": "per class over the images: np.nanmean(values, axis=0) (or batch=True to pool the counts)",
    "sum_batch": "per class over the images: np.nansum(values, axis=0)",
    "mean_channel": "per image over the classes: np.nanmean(values, axis=1)",
    "sum_channel": "per image over the classes: np.nansum(values, axis=1)",
}


def check_metric_reduction(value: Any) -> None:
    """ValueError naming ``reduction`` that explains a MONAI reduction name; other values
    are left to the library's own check."""
    if isinstance(value, str) and value in MONAI_METRIC_REDUCTIONS:
        raise ValueError(f"reduction: MONAI's reduction={value!r} is, with values = the metric with "
                         f"reduction='none' (entries (N, C), NaN where undefined), "
                         f"{MONAI_METRIC_REDUCTIONS[value]}; MONAI's 'mean' is image_mean=True")


#: UNet, Trainer and Trainer.fit: Keras' and PyTorch's names (the SemSegLoss study was Keras).
TRAINING_PEER_OPTIONS = {
    "learning_rate": (("lr",), "Keras' learning_rate is lr here"),
    "optimizer": (("lr",), "the optimizer is Adam (betas 0.9, 0.999), set by lr and weight_decay"),
    "epochs": ((), "epochs is an argument of Trainer.fit"),
    "criterion": (("loss",), "the loss is loss here: a name such as 'dice' or a loss object such as ss.DiceLoss()"),
    "loss_fn": (("loss",), "the loss is loss here: a name such as 'dice' or a loss object such as ss.DiceLoss()"),
    "batch_size": ((), "batch_size is an argument of ss.Trainer(...)"),
    "lr": ((), "lr is an argument of ss.Trainer(...)"),
    "validation_split": (("validation_data",), "pass the held-out images as validation_data=(x_val, y_val)"),
    "callbacks": (("early_stopping", "checkpoint"), "Keras' EarlyStopping and ModelCheckpoint are "
                  "early_stopping={'patience': ...} and checkpoint=path here"),
    "shuffle": ((), "fit shuffles the images every epoch, from the Trainer's seed"),
    "metrics": ((), "fit records validation IoU, Dice and accuracy in its history"),
    "filters": (("base_channels",), "a Keras U-Net's filters (of the first level) is base_channels here"),
    "n_filters": (("base_channels",), "n_filters (of the first level) is base_channels here"),
    "start_filters": (("base_channels",), "start_filters is base_channels here"),
    "num_classes": (("out_channels",), "the number of classes is out_channels here"),
    "n_classes": (("out_channels",), "the number of classes is out_channels here"),
    "classes": (("out_channels",), "the number of classes is out_channels here"),
    "n_channels": (("in_channels",), "the number of image channels is in_channels here"),
}


def unknown_option_message(owner: str, option: str, accepted: Iterable[str], peers: Optional[dict] = None) -> str:
    """``owner: unknown option 'x': <peer advice>. Accepted: ...``, or with ``; did you
    mean 'y'?`` for a close spelling."""
    accepted = list(accepted)
    message = f"{owner}: unknown option {option!r}"
    peer = (PEER_OPTIONS if peers is None else peers).get(option)
    close = difflib.get_close_matches(option, accepted, n=3, cutoff=0.6)
    if peer is not None and all(name in accepted for name in peer[0]):
        message += f": {peer[1]}."
    elif close:
        message += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    else:
        message += "."
    return message + f" Accepted: {', '.join(accepted)}."


def unknown_options(given: Iterable[str], accepted: Iterable[str]) -> list:
    """The names of `given` that are not in `accepted`, in the order given."""
    accepted = set(accepted)
    return [name for name in given if name not in accepted]


def with_option_hints(function: Callable[..., Any], accepted: Optional[Iterable[str]] = None,
                      peers: Optional[dict] = None, owner: Optional[str] = None) -> Callable[..., Any]:
    """`function` with the TypeError for an unknown keyword replaced by
    `unknown_option_message` (same exception type; any other TypeError passes unchanged).
    `accepted`: the options to list (default: the keyword-only parameters); `peers`: the
    table of peer names (default `PEER_OPTIONS`, the losses'); `owner`: the name the
    message starts with (default the function's)."""
    parameters = inspect.signature(function).parameters
    names = frozenset(parameters)
    listed = list(accepted) if accepted is not None else [
        p.name for p in parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    owner = owner or function.__name__

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except TypeError:
            unknown = unknown_options(kwargs, names)
            if not unknown:
                raise
            raise TypeError(unknown_option_message(owner, unknown[0], listed, peers)) from None

    return checked


def training_hints(owner: str, *positional: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for `UNet.__init__`, `Trainer.__init__` and `Trainer.fit`: unknown keywords
    get `TRAINING_PEER_OPTIONS`; the accepted list leaves out ``self`` and `positional`."""
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        skip = {"self", *positional}
        accepted = [name for name in inspect.signature(function).parameters if name not in skip]
        return with_option_hints(function, accepted, TRAINING_PEER_OPTIONS, owner)
    return decorate
