"""Every preset of every peer library (``semsegloss_swift.presets``) builds a loss that runs:
a finite value and gradient in its natural mode (the values against the peers' formulas are
in test_presets_peers.py)."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from peer_inputs import _hard_target, _labels, _probs, _softmax_probs


MULTICLASS = {"lovasz_softmax_loss", "generalized_wasserstein_dice_loss", "nacl_loss", "generalized_dice_loss",
              "generalized_dice_focal_loss", "cross_entropy_loss", "top_k_ce_loss"}
MULTILABEL_NO_BG = {"hausdorff_dt_loss", "log_hausdorff_dt_loss", "soft_cldice_loss", "soft_dice_cldice_loss"}
ALL_PRESETS = [(lib, name) for lib, table in ss.presets.PRESETS.items() for name in table]


@pytest.mark.parametrize("library,name", ALL_PRESETS, ids=[f"{lib}-{n}" for lib, n in ALL_PRESETS])
def test_every_preset_runs(library, name):
    """Every preset builds a loss that gives a finite value and gradient in its natural mode
    (12 x 13 images: SSIM's 11 x 11 window fits)."""
    rng = np.random.default_rng(7)
    opts = ss.presets.preset_options(library, name)
    extra = {}
    if name in MULTICLASS:
        extra["mode"] = "multiclass"
        shape = (2, 3, 12, 13)
        target = _labels(rng, 2, 3, shape[2:])
        x = rng.normal(0, 2, shape) if opts.get("from_logits", True) else _softmax_probs(rng, shape)
        if name == "generalized_wasserstein_dice_loss":
            extra["dist_matrix"] = np.ones((3, 3)) - np.eye(3)
    else:
        shape = (2, 3, 12, 13) if name in MULTILABEL_NO_BG else (2, 1, 12, 13)
        if name in MULTILABEL_NO_BG:
            extra.update(mode="multilabel", include_background=False)
        target = _hard_target(rng, shape)
        x = rng.normal(0, 2, shape) if opts.get("from_logits", True) else _probs(rng, shape)
    loss = ss.presets.preset(library, name, **extra)
    value, grad = loss(x, target, return_grad=True)
    assert np.isfinite(value), (library, name, value)
    assert grad.shape == x.shape and np.isfinite(grad).all(), (library, name)
    assert np.abs(grad).max() > 0, (library, name)
    assert ss.presets.PRESETS[library][name].peer
