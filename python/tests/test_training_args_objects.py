"""Arguments and objects of the training API (audit of 2026-12-06): ``loss_options`` that
is not a dict, ragged and 0-d inputs to ``predict``, ``copy.deepcopy`` of a model or a
trainer, and what ``fit``'s docstring says about an interrupted epoch."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import semsegloss_swift as ss

TINY = dict(base_channels=2, depth=1, threads=1, seed=3)


def data(n=4, size=8):
    rng = np.random.default_rng(0)
    y = (rng.random((n, 1, size, size)) > 0.5).astype(np.float32)
    return (y + 0.1 * rng.standard_normal(y.shape)).astype(np.float32), y


@pytest.mark.parametrize("options", [[1], "smooth_nr", 5, [], "", 0, (("smooth_nr", 1.0),)])
def test_loss_options_that_is_not_a_dict_is_a_type_error_naming_it(options, tmp_path):
    """Before 2026-12-06 ``dict(loss_options)`` ran before the check naming the argument:
    [1], "smooth_nr" and 5 got Python's own dict() messages ("cannot convert dictionary
    update sequence element #0 to a sequence"...), and [], "" and 0 were taken as no
    options."""
    model = ss.UNet(**TINY)
    t = ss.Trainer(model, loss="dice", loss_options={"smooth_nr": 0.5})
    t.save(tmp_path / "t.ckpt")
    calls = [lambda: ss.Trainer(model, loss_options=options),
             lambda: t.set_loss(loss_options=options),
             lambda: t.set_loss("jaccard", loss_options=options),
             lambda: ss.Trainer.load(tmp_path / "t.ckpt", loss="dice", loss_options=options)]
    for call in calls:
        with pytest.raises(TypeError, match=f"^loss_options: expected a dict of loss options, got "
                                            f"{type(options).__name__}$"):
            call()
    assert (t.loss, t.loss_options) == ("dice_loss", {"smooth_nr": 0.5})


def test_a_ragged_nested_list_is_refused_naming_the_argument():
    """Before 2026-12-06 NumPy's "setting an array element with a sequence. The requested
    array has an inhomogeneous shape..." came without the argument's name."""
    m = ss.UNet(**TINY)
    t = ss.Trainer(m, batch_size=2)
    x, y = data()
    ragged = [[[[1.0, 2.0], [3.0]]]]
    for call, name in [(lambda: m.predict(ragged), "x"), (lambda: t.fit(ragged, y, verbose=False), "x"),
                       (lambda: t.fit(x, ragged, verbose=False), "y"), (lambda: t.evaluate(x, ragged), "y"),
                       (lambda: m.set_parameters(ragged), "values")]:
        with pytest.raises(ValueError, match=f"^{name}: .*same shape"):
            call()


@pytest.mark.parametrize("value", [np.float32(1), np.array(2.0), 3.0])
def test_a_0d_input_is_reported_with_its_shape(value):
    """Before 2026-12-06 np.ascontiguousarray turned a 0-d input into shape (1,), and
    predict reported "got (1,)"."""
    with pytest.raises(ValueError, match=r"^x: expected shape \(N, C, H, W\), got \(\)$"):
        ss.UNet(**TINY).predict(value)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_deepcopy_of_a_model_is_exact_and_independent(batch_norm):
    """Before 2026-12-06 copy.deepcopy(model) raised "cannot pickle 'PyCapsule' object".
    The copy holds the same weights and BatchNorm statistics (its predictions are
    bitwise equal) and its own handle: training the original leaves it as it was."""
    x, y = data()
    m = ss.UNet(**dict(TINY, batch_norm=batch_norm))
    ss.Trainer(m, batch_size=2, lr=1e-2).fit(x, y, epochs=2, verbose=False)
    c = copy.deepcopy(m)
    assert c is not m and c._handle is not m._handle and c.config == m.config
    before = m.predict(x)
    assert np.array_equal(c.predict(x), before) and np.array_equal(c.get_parameters(), m.get_parameters())
    ss.Trainer(m, batch_size=2, lr=1e-2).fit(x, y, epochs=1, verbose=False)
    assert np.array_equal(c.predict(x), before) and not np.array_equal(m.predict(x), before)


def test_deepcopy_of_a_trainer_continues_exactly():
    """Before 2026-12-06 copy.deepcopy(trainer) raised "cannot pickle 'PyCapsule' object".
    The copy has its own model and the whole training state (Adam moments, shuffling,
    early stopping, history and its times, loss): one more epoch on each gives the same
    bits, and the original is untouched by training the copy."""
    x, y = data()
    t = ss.Trainer(ss.UNet(**TINY), loss="tversky", loss_options={"alpha": 0.3, "beta": 0.7}, batch_size=2,
                   lr=1e-2, seed=5)
    t.fit(x, y, epochs=2, validation_data=(x, y), early_stopping={"patience": 9}, verbose=False)
    c = copy.deepcopy(t)
    assert c.model is not t.model and (c.loss, c.loss_options) == (t.loss, t.loss_options)
    assert c.state == t.state and c.history == t.history
    params = t.model.get_parameters()
    c.fit(x, y, epochs=1, validation_data=(x, y), early_stopping={"patience": 9}, verbose=False)
    assert np.array_equal(t.model.get_parameters(), params) and t.epoch == 2
    t.fit(x, y, epochs=1, validation_data=(x, y), early_stopping={"patience": 9}, verbose=False)
    assert np.array_equal(c.model.get_parameters(), t.model.get_parameters())
    assert c.history["loss"] == t.history["loss"] and c.step == t.step == 6
    pair = copy.deepcopy({"trainer": t, "model": t.model})
    assert pair["trainer"].model is pair["model"]
    with pytest.raises(TypeError, match="^Trainer: copy.deepcopy copied its model before it"):
        copy.deepcopy([t.model, t])  # the copied trainer could not train the copied model


def test_fit_documents_what_an_interrupted_epoch_leaves():
    """Before 2026-12-06 nothing said that a KeyboardInterrupt in mid-epoch keeps the Adam
    steps of its finished batches while the epoch is not counted."""
    doc = " ".join(ss.Trainer.fit.__doc__.split())
    assert "interrupted" in doc and "mini-batches stay applied" in doc and "load the last checkpoint" in doc
