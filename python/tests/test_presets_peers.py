"""Library presets (``semsegloss_swift.presets``) against independent plain-NumPy
re-implementations of the *peer* libraries' formulas, as LOSSES.md §1.1-§1.5 documents them.

Each oracle (peer_oracles_<peer>.py; the cases in peer_cases.py, the inputs in peer_inputs.py)
is written the way the peer computes its loss -- its own letters (SemSegLoss's alpha on FN,
UFL's delta), its own smoothing, its own reduction domain (micro / per image and class / batch
per class), its own sign (SegLoss returns -score) -- and never reads the preset's options.
So a wrong preset value (smoothing, swapped alpha/beta, batch vs per image, ...) makes
the value comparison fail. The gradient of our loss (``return_grad=True``) is compared with
central finite differences of the same oracle, so the preset also reproduces the peer's
gradient (with respect to what the peer differentiates: probabilities or logits).

Peer behaviours that a preset does not reproduce (its ``notes``) are kept out of the data, and
each case says how:

* smp multiplies classes absent from the batch by 0: every class has target pixels in the
  batch (asserted by ``_smp_aggregate``);
* SegLoss returns -score: the comparison is against ``1 + SegLoss's value`` (same gradient);
  its FocalTversky_loss raises the *class/image mean* to gamma: one image and one class;
* SemSegLoss flattens channels too: one channel (binary mode);
* MONAI's generalized Dice: no image has all its classes empty (the one place where the
  preset documents a different value);
* MONAI's asymmetric / unified focal losses and UFL's take a 2-channel (background,
  foreground) input: the oracle builds ``[1 - p, p]`` from our one-channel p (our binary
  mode's documented convention), so our gradient with respect to p is the peer's total
  derivative through both channels;
* MONAI's DiceFocal / GeneralizedDiceFocal are checked in their sigmoid forms only (LOSSES.md
  does not say which focal form MONAI pairs with ``softmax=True``);
* SSIM (and the SemSegLoss hybrids using it): one channel, where MONAI's mean over
  (channel, space) and TF's per-channel mean coincide.

Piecewise-smooth losses (Lovász, top-k, clDice's min/max pooling, NACL's |.|) are compared
with central differences too; only if a coordinate sits on a kink may our gradient instead
equal one of the one-sided differences.

Tolerances: values rtol 1e-9 in float64 (the sums are the same up to summation order);
gradients |ours - fd| <= 1e-8 + 1e-6 |fd| with a central step h = 1e-6 (truncation ~h^2,
rounding ~1e-16 |L| / h ~ 1e-10).
"""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import assert_close
from peer_cases import CASES
from peer_inputs import binary_probs
from peer_oracles_common import _bg_fg
from peer_oracles_monai import monai_dice_loss, monai_unified_focal_loss
from peer_oracles_segloss import sl_soft_dice_loss
from peer_oracles_semsegloss import ssl_tversky_loss
from peer_oracles_smp import smp_dice_loss, smp_mcc_loss
from peer_oracles_ufl import ufl_dice_loss

RTOL, ATOL = 1e-9, 1e-12
FD_STEP = 1e-6
FD_RTOL, FD_ATOL = 1e-6, 1e-8
N_FD_COORDS = 10


def _fd(oracle, x, g, index, h=FD_STEP):
    xp, xm = x.copy(), x.copy()
    xp[index] += h
    xm[index] -= h
    return (oracle(xp, g) - oracle(xm, g)) / (2 * h)


def _fd_one_sided(oracle, x, g, index, h=FD_STEP):
    """Forward and backward differences (for a coordinate sitting on a kink)."""
    xp, xm = x.copy(), x.copy()
    xp[index] += h
    xm[index] -= h
    f0 = oracle(x, g)
    return (oracle(xp, g) - f0) / h, (f0 - oracle(xm, g)) / h


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_preset_matches_peer(case, seed):
    x, g = case.data(seed)
    x = np.ascontiguousarray(x, dtype=np.float64)
    loss = ss.presets.preset(case.library, case.loss, **case.overrides)
    what = f"{case.id} seed={seed} {loss!r}"

    want = case.oracle(x, g)
    got, grad = loss(x, g, return_grad=True)
    assert_close(got, want, RTOL, ATOL, what=what)
    assert grad.shape == x.shape and np.isfinite(grad).all(), what

    rng = np.random.default_rng(100 + seed)
    for flat in rng.choice(x.size, N_FD_COORDS, replace=False):
        i = np.unravel_index(flat, x.shape)
        num = _fd(case.oracle, x, g, i)
        if abs(grad[i] - num) <= FD_ATOL + FD_RTOL * abs(num):
            continue
        msg = f"{what} (gradient at {i}): ours {grad[i]!r}, peer finite difference {num!r}"
        assert case.piecewise, msg
        one_sided = _fd_one_sided(case.oracle, x, g, i)
        assert any(abs(grad[i] - d) <= 1e-7 + 1e-5 * abs(d) for d in one_sided), f"{msg}, one-sided {one_sided}"


def test_cases_cover_requested_presets():
    """Every case names an existing preset; the requested ones all have a case."""
    have = {(c.library, c.loss) for c in CASES}
    for lib, name in have:
        assert name in ss.presets.PRESETS[lib], (lib, name)
    required = {
        "monai": ["dice_loss", "jaccard_loss", "tversky_loss", "generalized_dice_loss", "focal_loss",
                  "dice_ce_loss"],
        "smp": ["dice_loss", "jaccard_loss", "tversky_loss", "log_dice_loss", "focal_loss", "mcc_loss"],
        "semsegloss": ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "log_cosh_dice_loss",
                       "focal_loss", "weighted_bce_loss", "dice_bce_loss"],
        "segloss": ["dice_loss", "jaccard_loss", "tversky_loss", "asymmetric_similarity_loss",
                    "sensitivity_specificity_loss", "focal_tversky_loss"],
        "unified_focal": ["dice_loss", "tversky_loss", "focal_tversky_loss", "asymmetric_focal_loss",
                          "asymmetric_focal_tversky_loss"],
    }
    missing = [(lib, n) for lib, names in required.items() for n in names if (lib, n) not in have]
    assert not missing, missing


# ============================================================================ the oracles themselves
# A few hand-checkable anchors, so that an oracle that drifted towards the preset would show.

P4 = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
G4 = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)


def test_oracle_anchors():
    # LOSSES.md §6.13 (no smoothing) against the oracles' formulas with smoothing removed.
    assert abs(monai_dice_loss(P4, G4, smooth_nr=0, smooth_dr=0) - 0.179487) < 1e-6
    assert abs(smp_mcc_loss(P4, G4, eps=0.0) - 0.349186) < 1e-6
    # SemSegLoss's alpha 0.7 is on FN: TP = 1.6, FN = 0.4, FP = 0.3 -> (2.6)/(1.6 + 0.28 + 0.09 + 1).
    assert abs(ssl_tversky_loss(P4, G4) - (1 - 2.6 / 2.97)) < 1e-12
    # smp Dice: batch-pooled, s = 0 -> 1 - 3.2 / 3.9 on the §6.13 vector.
    z4 = np.log(P4 / (1 - P4))
    assert abs(smp_dice_loss(z4, G4, "binary") - (1 - 3.2 / 3.9)) < 1e-12
    # SegLoss returns the negative Dice: -(3.2 + 1)/(3.9 + 1).
    assert abs(sl_soft_dice_loss(P4, G4) + 4.2 / 4.9) < 1e-12
    # UFL dice with delta = 0.5 is the Dice with twice its smoothing.
    yp, yt = _bg_fg(P4, G4)
    d0 = (2 * 1.6 + 2e-6) / (3.9 + 2e-6)
    d1 = (2 * 1.7 + 2e-6) / (4.1 + 2e-6)   # background: p = (0.1, 0.8, 0.3, 0.9), g = (0, 1, 0, 1)
    assert abs(ufl_dice_loss(yp, yt) - (1 - (d0 + d1) / 2)) < 1e-12


# ============================================================================ known disagreements

def test_monai_unified_focal_weight_has_the_opposite_meaning():
    """MONAI's AsymmetricUnifiedFocalLoss weighs weight * AFL + (1 - weight) * AFTL (LOSSES.md
    §1.3); unified_focal_loss weighs weight * FTL + (1 - weight) * FL (the Unified Focal code's
    order), as the preset's notes say: MONAI's weight = w is weight = 1 - w here."""
    p, g = binary_probs(0)
    y_pred, y_true = _bg_fg(p, g)
    peer = monai_unified_focal_loss(y_pred, y_true, weight=0.3)
    assert_close(ss.presets.preset("monai", "unified_focal_loss", weight=0.7)(p, g), peer, RTOL, ATOL,
                 what="monai unified_focal_loss, MONAI weight=0.3")
    assert abs(ss.presets.preset("monai", "unified_focal_loss", weight=0.3)(p, g) - peer) > 1e-3
    assert "1 - w" in ss.presets.PRESETS["monai"]["unified_focal_loss"].notes
