"""Our losses, through the PyTorch adapter, against MONAI's implementations run in torch:
an independent oracle. For every case MONAI's value and its torch-autograd gradient with
respect to the input (logits, or probabilities where MONAI takes them) must equal our
value and our analytic gradient (``semsegloss_swift.torch``), in float64, on the small
random inputs of torch_peer_harness.py (binary, multilabel and multiclass, 2-D and 3-D).
The cases are listed in torch_monai_region_cases.py and torch_monai_other_cases.py.

Covered: every preset of ``presets_of("monai")`` (``test_every_monai_preset_is_covered``),
built as the preset's ``peer`` says, plus the documented option mappings (sigmoid /
softmax = ``from_logits=True``, ``squared_pred``, ``jaccard``, ``batch``,
``include_background``, ``weight``, ``soft_label``, ``ignore_index``, ``alpha`` /
``beta``, ``w_type``, lambdas, ...) and two non-preset losses whose formulas map
(``MCCLoss`` = ``mcc_loss(eps=0)``, ``BoundaryLoss`` = ``boundary_loss``).

Tolerances (torch_peer_harness.py): rtol 1e-9 where MONAI does the same float64 maths,
looser where it rounds part of the computation to float32.

Documented differences asserted explicitly rather than skipped (the assertion states our
convention, built from the peer's own pieces):

* DiceCELoss ``weight``: MONAI weighs its Dice part too (our ``dice_ce_loss`` weighs the
  cross-entropy only); ``include_background=False``: MONAI keeps the class-0 term in its
  cross-entropy, ours drops it (the convention of ``cross_entropy_loss``, whose docstring
  notes MONAI's; ``dice_ce_loss``'s own docstring does not say it).
* FocalLoss softmax: MONAI's mean also divides by C (not with ``ignore_index``, where it
  divides by the valid voxels); MONAI drops channel 0 before its softmax.
* DiceFocalLoss / GeneralizedDiceFocalLoss with ``softmax=True``: MONAI 1.6 still pairs
  them with the *sigmoid* focal loss; ours is the softmax focal loss.
* GeneralizedDiceLoss: an image whose classes are all empty (preset notes).
* SoftclDiceLoss / SoftDiceclDiceLoss: MONAI 1.6 (PR #8703) computes one clDice per image
  with a harmonic-mean epsilon ``smooth`` (default 1e-4) and its Dice part per (image,
  class); ours pools the batch and the kept channels and has no epsilon. Compared with
  ``smooth=1e-300`` on one image, and for two images through MONAI applied to the kept
  channels of the batch stacked into one image.
* AsymmetricFocalLoss / AsymmetricUnifiedFocalLoss: MONAI 1.6's focal part is the mean
  over (voxel, class) pairs (``loss.mean()`` of the stacked (N, 2, ...) terms), half the
  per-voxel class sum of UFL, of earlier MONAI (``torch.mean(torch.sum(stack, dim=1))``)
  and of LOSSES.md §1.3, which ours follows; asserted as "ours = 2 x MONAI 1.6" (the preset
  notes do not mention it). The focal Tversky part is compared directly.

Left out (no mapping):

* DiceCELoss in multilabel mode (C > 1 with ``sigmoid=True``): MONAI's cross-entropy part
  is then the categorical (softmax) cross-entropy of the C channels, ours the per-channel
  BCE.
* DiceLoss ``other_act``, ``weight`` of FocalLoss / DiceFocalLoss (per-class focal
  multipliers; we have none), FocalLoss ``reduction="sum"`` (MONAI averages the spatial
  dims first, preset notes), sequence ``alpha`` of FocalLoss.
* MONAI losses with no counterpart here: MaskedDiceLoss / MaskedLoss (tested in
  test_masked_loss.py against MONAI's formula), DeepSupervisionLoss, AUCMLoss, and the
  non-segmentation losses (registration, perceptual, adversarial, contrastive, ...).
"""
from __future__ import annotations

import pytest

from conftest import assert_close, optional_module

torch = optional_module("torch")

import semsegloss_swift.torch as sst  # noqa: E402  (after the optional-dependency gate)
from semsegloss_swift.presets import preset, presets_of  # noqa: E402
from torch_monai_other_cases import OTHER_CASES  # noqa: E402
from torch_monai_peers import ML, stack_batch  # noqa: E402
from torch_monai_region_cases import REGION_CASES  # noqa: E402
from torch_peer_harness import (  # noqa: E402
    EXACT, F32_WEIGHTS, NO_EPSILON, O, _compare, _run, binary, multilabel)

CASES = REGION_CASES + OTHER_CASES


@pytest.fixture(scope="module")
def M():
    """``monai.losses`` (the MONAI tests need it; the torch-native ones do not)."""
    return optional_module("monai.losses")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_monai(case, M):
    x, t, t_peer = case.data()
    _compare(_run(case.ours(), x, t), _run(case.peer(M), x, t_peer), case.tol, case.id)


def test_every_monai_preset_is_covered():
    """Each preset of library "monai" is compared with its peer by at least one case, in
    each mode the preset's notes say it reproduces."""
    covered = {c.preset for c in CASES}
    missing = sorted(set(presets_of("monai")) - covered)
    assert not missing, f"MONAI presets without a peer comparison: {missing}"
    unknown = sorted(covered - set(presets_of("monai")) - {None})
    assert not unknown, unknown
    ids = {p: [c.id for c in CASES if c.preset == p] for p in covered}
    for name in ("dice_loss", "tversky_loss", "jaccard_loss", "focal_loss"):
        assert any("binary" in i for i in ids[name]) and any("multiclass" in i for i in ids[name]), name
    assert any("3d" in i for i in sum(ids.values(), []))


def test_generalized_dice_all_empty_image_is_the_documented_difference(M):
    """An image whose classes are all empty (preset notes): MONAI gives the constant
    1 - s_n/s_d = 0 with no gradient; ours gives every class weight 1, i.e. MONAI's
    w_type="uniform" loss of that image (the Dice of an empty target, ~1). Other images:
    equal."""
    x, g, _ = multilabel(probs=True)
    g[1] = 0.0
    per_image = sst.Loss(preset("monai", "generalized_dice_loss", mode="multilabel", reduction="none"))(
        torch.tensor(x), torch.tensor(g)).numpy()
    monai_square = M.GeneralizedDiceLoss(reduction="none")(torch.tensor(x), torch.tensor(g)).flatten().numpy()
    monai_uniform = M.GeneralizedDiceLoss(reduction="none", w_type="uniform")(
        torch.tensor(x), torch.tensor(g)).flatten().numpy()
    assert_close(per_image[0], monai_square[0], rtol=F32_WEIGHTS)
    assert monai_square[1] == 0.0 and per_image[1] > 0.99
    assert_close(per_image[1], monai_uniform[1], rtol=EXACT)
    # gradients: image 0 as MONAI's square weights, image 1 as its uniform weights
    def mixed(a, t):
        return (M.GeneralizedDiceLoss()(a[:1], t[:1]) + M.GeneralizedDiceLoss(w_type="uniform")(a[1:], t[1:])) / 2

    _compare(_run(O("generalized_dice_loss", **ML), x, g), _run(mixed, x, g), F32_WEIGHTS, "all-empty image")
    # the binary (one-channel) form: an empty image is all-empty
    xb, gb, _ = binary(probs=True)
    ours_b = _run(O("generalized_dice_loss"), xb, gb)
    _compare(ours_b, _run(mixed, xb, gb), F32_WEIGHTS, "binary all-empty image")
    assert abs(ours_b[0] - _run(M.GeneralizedDiceLoss(), xb, gb)[0]) > 0.4


def test_cldice_per_image_and_epsilon_of_monai_1_6_differ_from_the_pooled_loss(M):
    """MONAI 1.6's SoftclDiceLoss averages per-image values and adds smooth = 1e-4 to the
    harmonic mean; ours pools the batch (one value): equal only through the stacking of
    ``stack_batch`` and with smooth -> 0."""
    x, g, _ = multilabel(probs=True)
    ours = _run(O("soft_cldice_loss", **ML), x, g)[0]
    per_image = _run(M.SoftclDiceLoss(smooth=NO_EPSILON, include_background=False), x, g)[0]
    default_epsilon = _run(lambda a, t: M.SoftclDiceLoss()(*stack_batch(a, t)), x, g)[0]
    pooled = _run(lambda a, t: M.SoftclDiceLoss(smooth=NO_EPSILON)(*stack_batch(a, t)), x, g)[0]
    assert_close(ours, pooled, rtol=EXACT)
    assert abs(per_image - ours) > 1e-4 and abs(default_epsilon - ours) > 1e-6
