"""The public surface of semsegloss_swift.torch: errors naming the argument (and peer
option names pointing to ours), presets and configured loss objects through the adapter,
repr, copies and pickles, and the module's doctests."""
from __future__ import annotations

import copy
import doctest
import io
import pickle

import numpy as np
import pytest

from conftest import optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
import semsegloss_swift.torch as sst  # noqa: E402
from semsegloss_swift.presets import PRESETS, preset  # noqa: E402
from torch_adapter_cases import as_target, close, make_case, run  # noqa: E402


# MARK: - errors

def test_errors_name_the_argument():
    x, t, _ = make_case("binary", seed=23)
    z = torch.tensor(x, requires_grad=True)
    target = torch.from_numpy(t)
    with pytest.raises(TypeError, match="smooth"):
        sst.DiceLoss(smoooth_nr=1.0)
    with pytest.raises(TypeError, match="bogus"):
        sst.Loss("dice", bogus=1)
    with pytest.raises(TypeError, match="bogus"):
        sst.dice_loss(z, target, bogus=1)
    with pytest.raises(TypeError, match="bogus"):
        sst.loss("dice", z, target, bogus=1)
    with pytest.raises(ValueError, match="loss"):
        sst.Loss("no_such")
    with pytest.raises(ValueError, match="loss"):
        sst.loss("no_such", z, target)
    with pytest.raises(TypeError, match="loss"):
        sst.Loss(42)
    # values are checked by the library on the call
    criterion = sst.DiceLoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        criterion(z, target)
    with pytest.raises(ValueError, match="target"):
        sst.DiceLoss()(z, target[:, :, :5])
    with pytest.raises(ValueError, match="target"):
        sst.DiceLoss(reduction="none")(z, target[:, :, :5])
    with pytest.raises(ValueError, match="input"):
        sst.CrossEntropyLoss()(z, target.long()[:, 0])  # one channel: not multiclass
    bad = torch.tensor(x)
    bad[0, 0, 1, 2] = float("nan")
    for leaf in (bad.clone().requires_grad_(), bad):
        for reduction in ("mean", "none"):
            with pytest.raises(ValueError, match="input"):
                sst.DiceLoss(reduction=reduction)(leaf, target)
    bad[0, 0, 1, 2] = float("inf")
    with pytest.raises(ValueError, match="input"):
        sst.DiceLoss()(bad.requires_grad_(), target)
    assert z.grad is None


def test_peer_option_names_get_the_name_used_here():
    """MONAI's sigmoid=True and smp's smooth in the torch adapter: the same TypeError as the
    NumPy functions (`_option_hints`)."""
    x, y = torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    for call in (lambda: sst.DiceLoss(sigmoid=True), lambda: sst.dice_loss(x, y, sigmoid=True)):
        with pytest.raises(TypeError, match=r"^dice_loss: unknown option 'sigmoid': MONAI's sigmoid=True is from_logits"):
            call()
    with pytest.raises(TypeError, match=r"smooth_nr and smooth_dr here"):
        sst.Loss("dice", smooth=1.0)


# MARK: - presets and loss objects

PRESET_CASES = [(lib, name) for lib, table in PRESETS.items() for name in table]


@pytest.mark.parametrize("library,name", PRESET_CASES, ids=[f"{a}-{b}" for a, b in PRESET_CASES])
def test_presets_through_the_adapter(library, name):
    candidates = [("binary", preset(library, name)), ("multiclass", preset(library, name)),
                  ("multiclass", preset(library, name, mode="multiclass"))]
    for kind, obj in candidates:
        x, t, _ = make_case(kind, seed=25, shape=(12, 11))
        if not obj.options.get("from_logits", True):
            x = 1 / (1 + np.exp(-x)) if kind == "binary" else np.exp(x) / np.exp(x).sum(1, keepdims=True)
        try:
            want_value, want_grad = obj(x, t, return_grad=True)
        except ValueError:
            continue
        for criterion in (sst.Loss(obj), lambda z, tt: sst.loss(obj, z, tt)):
            out, grad = run(criterion, x, as_target(t))
            close(out, want_value, what=kind)
            close(grad, want_grad, what=kind)
        return
    pytest.fail("NumPy API refuses both binary and multiclass inputs")


def test_smp_dice_preset_and_configured_objects():
    x, t, _ = make_case("binary", seed=26)
    obj = preset("smp", "dice")
    want_value, want_grad = obj(x, t, return_grad=True)
    out, grad = run(sst.Loss(obj), x, torch.from_numpy(t))
    close(out, want_value)
    close(grad, want_grad)

    tversky = ss.TverskyLoss(alpha=0.7, beta=0.3)
    want_value, want_grad = tversky(x, t, return_grad=True)
    out, grad = run(sst.Loss(tversky), x, torch.from_numpy(t))
    close(out, want_value)
    close(grad, want_grad)
    # the same as sst.TverskyLoss(alpha=0.7, beta=0.3) and different from the default
    close(sst.TverskyLoss(alpha=0.7, beta=0.3)(torch.tensor(x), torch.from_numpy(t)), want_value)
    assert sst.TverskyLoss()(torch.tensor(x), torch.from_numpy(t)).item() != pytest.approx(want_value, rel=1e-6)

    with pytest.raises(TypeError):
        sst.Loss(tversky, alpha=0.5)
    with pytest.raises(TypeError):
        sst.loss(tversky, torch.tensor(x), torch.from_numpy(t), alpha=0.5)


def test_loss_object_options_are_copied():
    obj = ss.DiceLoss(smooth_nr=0.5)
    criterion = sst.Loss(obj)
    obj.options["smooth_nr"] = 3.0
    assert criterion.options == {"smooth_nr": 0.5}


# MARK: - repr, copies, pickling

def test_repr_shows_name_and_options():
    text = repr(sst.DiceLoss(smooth_nr=0.0, batch=True))
    assert "DiceLoss" in text and "'dice_loss'" in text
    assert "smooth_nr=0.0" in text and "batch=True" in text
    text = repr(sst.Loss(ss.TverskyLoss(alpha=0.7, beta=0.3)))
    assert "tversky_loss" in text and "alpha=0.7" in text and "beta=0.3" in text
    assert "focal_tversky_loss" in repr(sst.Loss("focal_tversky"))


def test_copies_and_pickles_compute_the_same():
    x, t, base = make_case("multiclass", seed=27)
    criterion = sst.DiceFocalLoss(gamma=1.5, **base)
    want, want_grad = run(criterion, x, as_target(t))
    buffer = io.BytesIO()
    torch.save(criterion, buffer)
    buffer.seek(0)
    copies = [copy.deepcopy(criterion), pickle.loads(pickle.dumps(criterion)),
              torch.load(buffer, weights_only=False),
              torch.nn.Sequential(criterion).__getitem__(0)]
    for other in copies:
        assert type(other) is type(criterion)
        assert other.name == criterion.name and other.options == criterion.options
        out, grad = run(other, x, as_target(t))
        assert out.item() == want.item()
        assert torch.equal(grad, want_grad)


# MARK: - doctests

def test_module_doctests():
    with_examples = {test.name for test in doctest.DocTestFinder().find(sst) if test.examples}
    for own in ("semsegloss_swift.torch", "semsegloss_swift.torch.Loss", "semsegloss_swift.torch.loss"):
        assert own in with_examples
    result = doctest.testmod(sst, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
