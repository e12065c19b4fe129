"""An option a loss does not take: the TypeError (ValueError for the trainer's
loss_options) names it, says what a peer library's option is called here, or suggests a
close spelling, and lists the accepted options (`_option_hints`)."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import semsegloss_swift as ss
from semsegloss_swift._loss_api import option_names
from semsegloss_swift._option_hints import PEER_OPTIONS, unknown_option_message

Z = np.zeros((1, 1, 12, 12))
G = np.zeros((1, 1, 12, 12))
NAMES = sorted(ss.LOSSES)


def message(fn, *args, exc=TypeError, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_monai_sigmoid_is_translated_for_every_loss(name):
    msg = message(ss.LOSSES[name], Z, G, sigmoid=True)
    assert msg.startswith(f"{name}: unknown option 'sigmoid': MONAI's sigmoid=True is from_logits=True")
    assert "Accepted: " in msg and "from_logits" in msg.split("Accepted: ")[1]


@pytest.mark.parametrize("name", NAMES)
def test_class_form_gives_the_same_advice(name):
    cls = ss.LOSS_CLASSES[name]
    msg = message(cls, to_onehot_y=True)
    assert msg.startswith(f"{cls.__name__}: unknown option 'to_onehot_y': MONAI's to_onehot_y=True is not needed")


def test_peer_advice_only_where_the_loss_has_the_options_it_names():
    msg = message(ss.dice_loss, Z, G, smooth=1.0)
    assert "smooth_nr and smooth_dr here" in msg
    msg = message(ss.bce_loss, Z, G, smooth=1.0)  # no smoothing options: no advice about them
    assert "smooth_nr" not in msg and msg.startswith("bce_loss: unknown option 'smooth'. Accepted: ")


def test_close_spellings_are_suggested():
    msg = message(ss.dice_loss, Z, G, smoth_nr=1.0)
    assert "did you mean 'smooth_nr'" in msg
    msg = message(ss.DiceLoss, smoth_nr=1.0)
    assert msg.startswith("DiceLoss: unknown option 'smoth_nr'; did you mean 'smooth_nr'")
    msg = message(ss.focal_loss, Z, G, gama=2.0)
    assert "did you mean 'gamma'" in msg
    assert message(ss.dice_loss, Z, G, xyz=1) == (
        "dice_loss: unknown option 'xyz'. Accepted: " + ", ".join(inspect.signature(ss.dice_loss).parameters)[
            len("input, target, "):] + ".")


def test_peer_names_that_are_options_here_still_work():
    assert np.isfinite(ss.soft_cldice_loss(Z, G, smooth=1.0))
    assert np.isfinite(ss.lovasz_softmax_loss(Z, G, per_image=True, classes="all"))
    assert np.isfinite(ss.mcc_loss(Z, G, eps=1e-6))


def test_other_type_errors_pass_unchanged():
    msg = message(ss.dice_loss, Z, G, return_grad="yes")
    assert "unknown option" not in msg and "return_grad" in msg
    msg = message(ss.dice_loss, Z, G, 3)
    assert "positional" in msg


def test_masked_and_trainer_options():
    msg = message(ss.masked_loss, Z, G, np.ones_like(G), loss="dice", sigmoid=True)
    assert "dice_loss: unknown option 'sigmoid': MONAI's sigmoid=True" in msg
    model = ss.UNet(base_channels=4, depth=1, threads=1)
    msg = message(ss.Trainer, model, loss="dice", loss_options={"smooth": 1.0}, exc=ValueError)
    assert msg.startswith("loss_options of dice_loss: unknown option 'smooth': the smooth of smp")


def test_wrapping_keeps_signature_docs_and_identity():
    for name, fn in ss.LOSSES.items():
        assert getattr(ss, name) is fn and fn.__name__ == name
        assert "return_grad" in inspect.signature(fn).parameters
        assert fn.__doc__ and "Examples" in fn.__doc__
        assert fn.__wrapped__.__module__ == fn.__module__


def test_every_advice_names_real_options_and_functions():
    """The options an advice relies on exist in some loss, and the functions it points to
    exist, so that no advice sends a user to something that is not there."""
    every = {option for name in ss.LOSSES for option in option_names(name)} | {"return_grad", "grad_output"}
    for peer, (needed, advice) in PEER_OPTIONS.items():
        assert set(needed) <= every, peer
        for function in ("jaccard_loss", "log_dice_loss", "masked_loss"):
            if function in advice:
                assert hasattr(ss, function), (peer, function)
    assert ss.presets.preset("monai", "jaccard_loss") is not None
    assert ss.presets.preset("smp", "dice_loss") is not None


def test_message_format():
    assert unknown_option_message("f", "a", ["b", "c"]) == "f: unknown option 'a'. Accepted: b, c."
    assert unknown_option_message("f", "bb", ["b", "c"]) == "f: unknown option 'bb'; did you mean 'b'? Accepted: b, c."


@pytest.mark.parametrize("name", sorted(ss.metrics.METRICS) + ["confusion_counts"])
def test_metrics_translate_peer_names_and_spellings(name):
    fn = getattr(ss.metrics, name)
    assert ss.metrics.METRICS.get(name, fn) is fn
    msg = message(fn, Z, G, num_classes=2)
    assert msg.startswith(f"{name}: unknown option 'num_classes': the number of classes is the input's channel count")
    msg = message(fn, Z, G, treshold=0.3)
    assert "did you mean 'threshold'" in msg and "Accepted: " in msg


def test_metric_advice_where_the_metric_has_the_option():
    assert "empty='one'" in message(ss.metrics.iou, Z, G, zero_division=1)
    assert "medpy's voxelspacing is spacing" in message(ss.metrics.hausdorff_distance, Z, G, voxelspacing=(1, 1))
    # confusion_counts has no `empty`: no advice about it
    msg = message(ss.metrics.confusion_counts, Z, G, zero_division=1)
    assert "empty=" not in msg and msg.startswith("confusion_counts: unknown option 'zero_division'. Accepted: ")


def test_every_metric_advice_names_real_options():
    from semsegloss_swift._option_hints import METRIC_PEER_OPTIONS
    every = {p for f in list(ss.metrics.METRICS.values()) + [ss.metrics.confusion_counts]
             for p in inspect.signature(f).parameters}
    for peer, (needed, _) in METRIC_PEER_OPTIONS.items():
        assert set(needed) <= every, peer


def test_wrapped_functions_pickle_by_reference():
    """multiprocessing and joblib pickle functions by module and name: the wrappers must be
    what those names hold."""
    import pickle
    functions = list(ss.LOSSES.values()) + list(ss.metrics.METRICS.values()) + [ss.metrics.confusion_counts]
    for fn in functions:
        assert pickle.loads(pickle.dumps(fn)) is fn, fn.__name__


def test_unet_and_trainer_translate_keras_names():
    """The SemSegLoss study was Keras: its users pass learning_rate, epochs to the wrong
    call, batch_size to fit, filters and num_classes to the U-Net."""
    cases = [
        (lambda: ss.UNet(filters=16), "UNet: unknown option 'filters': a Keras U-Net's filters"),
        (lambda: ss.UNet(num_classes=3), "UNet: unknown option 'num_classes': the number of classes is out_channels"),
        (lambda: ss.UNet(batchnorm=True), "UNet: unknown option 'batchnorm'; did you mean 'batch_norm'?"),
        (lambda: ss.Trainer(TINY, learning_rate=1e-3), "Trainer: unknown option 'learning_rate': Keras' learning_rate is lr"),
        (lambda: ss.Trainer(TINY, epochs=3), "Trainer: unknown option 'epochs': epochs is an argument of Trainer.fit"),
        (lambda: ss.Trainer(TINY).fit(X, X, batch_size=2), "Trainer.fit: unknown option 'batch_size': batch_size is an argument of ss.Trainer"),
        (lambda: ss.Trainer(TINY).fit(X, X, callbacks=[]), "Trainer.fit: unknown option 'callbacks': Keras' EarlyStopping"),
    ]
    for call, start in cases:
        msg = message(call)
        assert msg.startswith(start), msg
        assert "Accepted: " in msg and "self" not in msg.split("Accepted: ")[1]
    # arguments the wrappers pass on keep their own checks
    assert "lr" in message(lambda: ss.Trainer(TINY, lr="x"))
    model = ss.UNet(base_channels=4, depth=1, out_channels=1, seed=0, threads=1)
    assert model is not None and ss.Trainer(model, lr=1e-3).fit(X, X, epochs=1, verbose=False)["epoch"] == [1]


def test_training_advice_names_real_arguments():
    from semsegloss_swift._option_hints import TRAINING_PEER_OPTIONS
    every = set()
    for fn in (ss.UNet.__init__, ss.Trainer.__init__, ss.Trainer.fit):
        every |= set(inspect.signature(fn).parameters)
    for peer, (needed, _) in TRAINING_PEER_OPTIONS.items():
        assert set(needed) <= every, peer


X = np.zeros((2, 1, 8, 8), np.float32)
TINY = ss.UNet(base_channels=4, depth=1, threads=1)
