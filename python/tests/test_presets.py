"""The presets module: lookup, errors, overrides, and that every preset is a valid
configuration of its loss (the numbers against the peers' formulas are in
test_presets_peers.py)."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import semsegloss_swift as ss
from semsegloss_swift.presets import LIBRARIES, PRESETS, preset, preset_options, presets_of

ALL = [(lib, name) for lib in PRESETS for name in PRESETS[lib]]


def test_libraries():
    assert LIBRARIES == ("monai", "smp", "semsegloss", "segloss", "unified_focal")
    assert all(PRESETS[lib] for lib in LIBRARIES)


@pytest.mark.parametrize("library,loss", ALL, ids=[f"{a}-{b}" for a, b in ALL])
def test_preset_entry_is_consistent(library, loss):
    entry = PRESETS[library][loss]
    assert entry.library == library and entry.loss == loss and entry.peer
    assert loss in ss.LOSSES
    accepted = inspect.signature(ss.LOSSES[loss]).parameters
    for option, value in entry.options.items():
        assert option in accepted, f"{library}/{loss}: {option} is not an option of {loss}"
        assert option not in ("mode", "return_grad", "grad_output"), option
    # the object carries exactly the preset's options
    obj = preset(library, loss)
    assert type(obj) is ss.LOSS_CLASSES[loss]
    assert obj.options == dict(entry.options)


def test_preset_options_returns_a_copy():
    a = preset_options("smp", "dice_loss")
    a["batch"] = False
    assert preset_options("smp", "dice_loss")["batch"] is True
    assert PRESETS["smp"]["dice_loss"].options["batch"] is True


def test_suffix_may_be_omitted():
    assert preset_options("monai", "tversky") == preset_options("monai", "tversky_loss")
    assert type(preset("segloss", "dice")) is ss.DiceLoss


def test_overrides_replace_and_extend():
    obj = preset("monai", "dice_loss", from_logits=True, mode="multiclass", include_background=False)
    assert obj.options["from_logits"] is True
    assert obj.options["mode"] == "multiclass" and obj.options["include_background"] is False
    assert obj.options["smooth_nr"] == 1e-5


def test_preset_equals_explicit_options():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.95, (2, 1, 5, 6))
    g = (rng.random((2, 1, 5, 6)) < 0.4).astype(np.float64)
    for library, loss in [("smp", "dice_loss"), ("semsegloss", "tversky_loss"), ("segloss", "jaccard_loss"),
                          ("monai", "generalized_dice_loss"), ("unified_focal", "focal_tversky_loss")]:
        opts = preset_options(library, loss)
        x = p if not opts.get("from_logits", True) else np.log(p / (1 - p))
        a, ga = preset(library, loss)(x, g, return_grad=True)
        b, gb = ss.LOSSES[loss](x, g, return_grad=True, **opts)
        assert a == b and np.array_equal(ga, gb), (library, loss)


def test_presets_differ_where_the_libraries_do():
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.95, (2, 1, 5, 6))
    g = (rng.random((2, 1, 5, 6)) < 0.4).astype(np.float64)
    values = {lib: preset(lib, "dice_loss")(p if lib != "smp" else np.log(p / (1 - p)), g)
              for lib in ("monai", "smp", "semsegloss", "segloss")}
    assert len({round(v, 12) for v in values.values()}) == 4, values


@pytest.mark.parametrize("library", [None, 3, "keras", "MONAI"])
def test_unknown_library(library):
    with pytest.raises(ValueError, match=r"^library: unknown library .*available: monai, smp"):
        preset_options(library, "dice_loss")
    with pytest.raises(ValueError, match="^library: "):
        preset(library, "dice_loss")
    with pytest.raises(ValueError, match="^library: "):
        presets_of(library)


@pytest.mark.parametrize("loss", ["boundary_loss", "no_such_loss", None, 7])
def test_unknown_loss(loss):
    with pytest.raises(ValueError, match=r"^loss: smp has no preset for .*available: dice_loss"):
        preset_options("smp", loss)


def test_unknown_override_names_the_option():
    with pytest.raises(TypeError, match="smooth"):
        preset("smp", "dice_loss", smooth=1.0)


def test_bad_override_value_raises_on_call():
    obj = preset("smp", "dice_loss", smooth_nr=-1.0)
    with pytest.raises(ValueError, match="smooth_nr"):
        obj(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2)))


def test_presets_of_lists_notes():
    monai = presets_of("monai")
    assert "dice_loss" in monai and "jaccard=True" in monai["jaccard_loss"].peer
    assert "5e-6" in monai["jaccard_loss"].notes
    monai.clear()
    assert PRESETS["monai"], "presets_of must return a copy"


def test_preset_object_trains():
    rng = np.random.default_rng(0)
    x = rng.random((4, 1, 16, 16)).astype(np.float32)
    y = (x > 0.5).astype(np.float32)
    model = ss.UNet(in_channels=1, out_channels=1, base_channels=4, depth=2, seed=0)
    trainer = ss.Trainer(model, loss=preset("smp", "dice_loss"), batch_size=2, seed=0)
    history = trainer.fit(x, y, epochs=1, verbose=False)
    assert np.isfinite(history["loss"][0])


def test_trainer_takes_loss_objects():
    rng = np.random.default_rng(1)
    x = rng.random((4, 1, 16, 16)).astype(np.float32)
    y = (x > 0.5).astype(np.float32)
    model = ss.UNet(in_channels=1, out_channels=1, base_channels=4, depth=2, seed=0)
    with pytest.raises(ValueError, match="^from_logits: .*logits"):
        ss.Trainer(model, loss=preset("monai", "dice_loss"))
    with pytest.raises(TypeError, match="^loss_options: given next to a configured DiceLoss"):
        ss.Trainer(model, loss=ss.DiceLoss(), loss_options={"batch": True})
    with pytest.raises(TypeError, match="^loss: expected a loss name .* or a loss object"):
        ss.Trainer(model, loss=3)
    trainer = ss.Trainer(model, loss=preset("monai", "dice_loss", from_logits=True), batch_size=2, seed=0)
    assert trainer.loss == "dice_loss" and trainer.loss_options["smooth_nr"] == 1e-5
    trainer.set_loss(preset("semsegloss", "tversky_loss", from_logits=True))
    assert trainer.loss == "tversky_loss" and trainer.loss_options["beta"] == 0.7
    trainer.fit(x, y, epochs=1, verbose=False)
    with pytest.raises(TypeError, match="^loss_options: given next to"):
        trainer.set_loss(ss.DiceLoss(), loss_options={})
    assert trainer.loss == "tversky_loss"
