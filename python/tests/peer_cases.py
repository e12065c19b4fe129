"""The case table of test_presets_peers.py: which preset (library, loss, option overrides) is
compared with which peer oracle (peer_oracles_*.py) on which inputs (peer_inputs.py). A
case's ``id`` (library-loss-mode-input generator) names its test.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict

import numpy as np

from peer_inputs import (
    binary_logits, binary_logits_missed, binary_probs, binary_probs_small, binary_probs_ssim, gdl_probs_onehot,
    multiclass_logits_labels, multiclass_logits_labels_absent, multiclass_logits_labels_large,
    multiclass_probs_labels_absent, multilabel_logits, multilabel_probs, multilabel_probs_maps,
    multilabel_probs_with_empty, one_image_one_class, two_channel_probs)
from peer_oracles_common import _on_bg_fg
from peer_oracles_monai import (
    monai_asymmetric_focal_loss, monai_asymmetric_focal_tversky_loss, monai_dice_ce_loss_sigmoid,
    monai_dice_ce_loss_softmax, monai_dice_focal_loss_sigmoid, monai_dice_loss, monai_focal_loss,
    monai_generalized_dice_focal_loss_sigmoid, monai_generalized_dice_loss, monai_generalized_wasserstein_dice_loss,
    monai_nacl_loss, monai_tversky_loss, monai_unified_focal_loss)
from peer_oracles_monai_structural import (
    monai_hausdorff_dt_loss, monai_log_hausdorff_dt_loss, monai_soft_cldice_loss, monai_soft_dice_cldice_loss,
    monai_ssim_loss)
from peer_oracles_segloss import (
    sl_asym_loss, sl_crossentropy_nd, sl_focal_tversky_loss, sl_iou_loss, sl_lovasz_softmax, sl_soft_dice_loss,
    sl_ss_loss, sl_topk_loss, sl_tversky_loss)
from peer_oracles_semsegloss import (
    ssl_basnet_hybrid_loss, ssl_bce_dice_loss, ssl_dice_loss, ssl_focal_loss, ssl_focal_tversky, ssl_jacard_loss,
    ssl_log_cosh_dice_loss, ssl_ssim_loss, ssl_tversky_loss, ssl_unet3p_hybrid_loss, ssl_weighted_cross_entropyloss)
from peer_oracles_smp import (
    smp_dice_loss, smp_focal_loss, smp_jaccard_loss, smp_lovasz_hinge, smp_lovasz_softmax, smp_mcc_loss,
    smp_soft_bce_with_logits_loss, smp_soft_cross_entropy_loss, smp_tversky_loss)
from peer_oracles_ufl import (
    ufl_asym_unified_focal_loss, ufl_asymmetric_focal_loss, ufl_asymmetric_focal_tversky_loss, ufl_dice_loss,
    ufl_focal_tversky_loss, ufl_symmetric_focal_loss, ufl_symmetric_focal_tversky_loss, ufl_tversky_loss)


# ============================================================================ cases

@dataclass(frozen=True)
class Case:
    library: str
    loss: str
    data: Callable[[int], tuple]
    oracle: Callable[[np.ndarray, np.ndarray], float]
    overrides: Dict = field(default_factory=dict)
    #: piecewise-smooth loss (sorts, min/max pooling, |.|): at a kink our gradient may be
    #: either one-sided derivative (checked with one-sided differences there)
    piecewise: bool = False

    @property
    def id(self):
        mode = self.overrides.get("mode", "binary")
        return f"{self.library}-{self.loss}-{mode}-{self.data.__name__}"


def _sign_flipped(fn):
    """SegLoss returns -score; the preset's loss is 1 - score = 1 + SegLoss's value."""
    def oracle(p, g):
        return 1.0 + fn(p, g)
    oracle.__name__ = fn.__name__
    return oracle


ML = {"mode": "multilabel"}
MC = {"mode": "multiclass"}
#: a class distance matrix with largest entry 2 (MONAI rescales it to 1)
GWDL_M = [[0.0, 2.0, 2.0], [2.0, 0.0, 1.0], [2.0, 1.0, 0.0]]

CASES = [
    # -- MONAI: probabilities, per (image, class), s = 1e-5 -------------------------
    Case("monai", "dice_loss", multilabel_probs_with_empty, monai_dice_loss, ML),
    Case("monai", "dice_loss", binary_probs, monai_dice_loss),
    Case("monai", "jaccard_loss", multilabel_probs_with_empty,
         lambda p, g: monai_dice_loss(p, g, jaccard=True), ML),
    Case("monai", "tversky_loss", multilabel_probs_with_empty, monai_tversky_loss, ML),
    Case("monai", "generalized_dice_loss", gdl_probs_onehot, monai_generalized_dice_loss, MC),
    Case("monai", "focal_loss", binary_logits, monai_focal_loss),
    Case("monai", "focal_loss", multilabel_logits, monai_focal_loss, ML),
    Case("monai", "dice_ce_loss", multiclass_logits_labels, monai_dice_ce_loss_softmax, MC),
    Case("monai", "dice_ce_loss", binary_logits, monai_dice_ce_loss_sigmoid),
    # The sigmoid forms of the focal compounds (the multiclass forms are not checked here).
    Case("monai", "dice_focal_loss", binary_logits, monai_dice_focal_loss_sigmoid),
    Case("monai", "generalized_dice_focal_loss", multilabel_logits, monai_generalized_dice_focal_loss_sigmoid, ML),
    Case("monai", "generalized_wasserstein_dice_loss", multiclass_logits_labels,
         lambda z, t: monai_generalized_wasserstein_dice_loss(z, t, GWDL_M), {**MC, "dist_matrix": GWDL_M}),
    Case("monai", "nacl_loss", multiclass_logits_labels, monai_nacl_loss, MC, piecewise=True),
    Case("monai", "hausdorff_dt_loss", multilabel_probs_maps, monai_hausdorff_dt_loss, ML),
    Case("monai", "log_hausdorff_dt_loss", multilabel_probs_maps, monai_log_hausdorff_dt_loss, ML),
    Case("monai", "soft_cldice_loss", multilabel_probs_maps, monai_soft_cldice_loss, ML, piecewise=True),
    Case("monai", "soft_dice_cldice_loss", multilabel_probs_maps, monai_soft_dice_cldice_loss, ML, piecewise=True),
    Case("monai", "ssim_loss", binary_probs_ssim, monai_ssim_loss),
    # MONAI's asymmetric losses take the 2-channel (bg, fg) input: our binary mode on p.
    Case("monai", "asymmetric_focal_loss", binary_probs, _on_bg_fg(monai_asymmetric_focal_loss)),
    Case("monai", "asymmetric_focal_tversky_loss", binary_probs, _on_bg_fg(monai_asymmetric_focal_tversky_loss)),
    Case("monai", "unified_focal_loss", binary_probs, _on_bg_fg(monai_unified_focal_loss)),
    Case("monai", "asymmetric_focal_tversky_loss", binary_probs_small,
         _on_bg_fg(monai_asymmetric_focal_tversky_loss)),
    Case("monai", "unified_focal_loss", binary_probs_small, _on_bg_fg(monai_unified_focal_loss)),
    # -- smp: logits, batch-pooled per class, no smoothing (every class present) ---
    Case("smp", "dice_loss", binary_logits, lambda z, g: smp_dice_loss(z, g, "binary")),
    Case("smp", "dice_loss", multiclass_logits_labels, lambda z, t: smp_dice_loss(z, t, "multiclass"), MC),
    Case("smp", "jaccard_loss", binary_logits, lambda z, g: smp_jaccard_loss(z, g, "binary")),
    Case("smp", "jaccard_loss", multiclass_logits_labels, lambda z, t: smp_jaccard_loss(z, t, "multiclass"), MC),
    Case("smp", "tversky_loss", binary_logits, lambda z, g: smp_tversky_loss(z, g, "binary")),
    Case("smp", "tversky_loss", multiclass_logits_labels, lambda z, t: smp_tversky_loss(z, t, "multiclass"), MC),
    Case("smp", "log_dice_loss", binary_logits, lambda z, g: smp_dice_loss(z, g, "binary", log_loss=True)),
    Case("smp", "log_dice_loss", multiclass_logits_labels,
         lambda z, t: smp_dice_loss(z, t, "multiclass", log_loss=True), MC),
    # A missed object: the score is below smp's eps clamp (checks the preset's eps).
    Case("smp", "log_dice_loss", binary_logits_missed, lambda z, g: smp_dice_loss(z, g, "binary", log_loss=True)),
    Case("smp", "focal_loss", binary_logits, smp_focal_loss),
    Case("smp", "mcc_loss", binary_probs, smp_mcc_loss),
    Case("smp", "bce_loss", binary_logits, smp_soft_bce_with_logits_loss),
    Case("smp", "cross_entropy_loss", multiclass_logits_labels, smp_soft_cross_entropy_loss, MC),
    Case("smp", "lovasz_hinge_loss", binary_logits, smp_lovasz_hinge, piecewise=True),
    # Class 2 absent from the batch: smp's classes="present" leaves it out.
    Case("smp", "lovasz_softmax_loss", multiclass_logits_labels_absent, smp_lovasz_softmax, MC, piecewise=True),
    # -- SemSegLoss: probabilities, micro (one channel), smooth 1 ------------------
    Case("semsegloss", "dice_loss", binary_probs, ssl_dice_loss),
    Case("semsegloss", "jaccard_loss", binary_probs, ssl_jacard_loss),
    Case("semsegloss", "tversky_loss", binary_probs, ssl_tversky_loss),
    Case("semsegloss", "focal_tversky_loss", binary_probs, ssl_focal_tversky),
    Case("semsegloss", "log_cosh_dice_loss", binary_probs, ssl_log_cosh_dice_loss),
    Case("semsegloss", "focal_loss", binary_probs, ssl_focal_loss),
    Case("semsegloss", "weighted_bce_loss", binary_probs, ssl_weighted_cross_entropyloss),
    Case("semsegloss", "dice_bce_loss", binary_probs, ssl_bce_dice_loss),
    Case("semsegloss", "ssim_loss", binary_probs_ssim, ssl_ssim_loss),
    Case("semsegloss", "unet3p_hybrid_loss", binary_probs_ssim, ssl_unet3p_hybrid_loss),
    Case("semsegloss", "basnet_hybrid_loss", binary_probs_ssim, ssl_basnet_hybrid_loss),
    # -- SegLoss: probabilities, per (image, class), smooth 1, compared as 1 + value --
    Case("segloss", "dice_loss", multilabel_probs, _sign_flipped(sl_soft_dice_loss), ML),
    Case("segloss", "dice_loss", binary_probs, _sign_flipped(sl_soft_dice_loss)),
    Case("segloss", "jaccard_loss", multilabel_probs, _sign_flipped(sl_iou_loss), ML),
    Case("segloss", "tversky_loss", multilabel_probs, _sign_flipped(sl_tversky_loss), ML),
    Case("segloss", "asymmetric_similarity_loss", multilabel_probs, _sign_flipped(sl_asym_loss), ML),
    Case("segloss", "sensitivity_specificity_loss", multilabel_probs, sl_ss_loss, ML),
    # gamma after the mean over (image, class) in SegLoss: one image, one class.
    Case("segloss", "focal_tversky_loss", one_image_one_class, sl_focal_tversky_loss),
    Case("segloss", "cross_entropy_loss", multiclass_logits_labels, sl_crossentropy_nd, MC),
    Case("segloss", "top_k_ce_loss", multiclass_logits_labels_large, sl_topk_loss, MC, piecewise=True),
    # Class 2 absent from the batch: SegLoss's LovaszSoftmax still averages it in.
    Case("segloss", "lovasz_softmax_loss", multiclass_probs_labels_absent, sl_lovasz_softmax, MC, piecewise=True),
    # -- Unified Focal: probabilities, 2 channels (bg, fg), per (image, class) ---------
    # The generic region losses see UFL's own 2-channel input in multiclass mode (both
    # channels are classes of the mean, as in UFL).
    Case("unified_focal", "dice_loss", two_channel_probs, ufl_dice_loss, MC),
    Case("unified_focal", "tversky_loss", two_channel_probs, ufl_tversky_loss, MC),
    Case("unified_focal", "focal_tversky_loss", two_channel_probs, ufl_focal_tversky_loss, MC),
    # The asymmetric/symmetric losses: our binary mode on p against UFL on [1 - p, p].
    Case("unified_focal", "asymmetric_focal_loss", binary_probs, _on_bg_fg(ufl_asymmetric_focal_loss)),
    Case("unified_focal", "symmetric_focal_loss", binary_probs, _on_bg_fg(ufl_symmetric_focal_loss)),
    Case("unified_focal", "asymmetric_focal_tversky_loss", binary_probs,
         _on_bg_fg(ufl_asymmetric_focal_tversky_loss)),
    Case("unified_focal", "symmetric_focal_tversky_loss", binary_probs,
         _on_bg_fg(ufl_symmetric_focal_tversky_loss)),
    Case("unified_focal", "unified_focal_loss", binary_probs, _on_bg_fg(ufl_asym_unified_focal_loss)),
    # Epsilon-smoothed (1e-7) losses again on tiny images, where the smoothing shows.
    Case("unified_focal", "asymmetric_focal_tversky_loss", binary_probs_small,
         _on_bg_fg(ufl_asymmetric_focal_tversky_loss)),
    Case("unified_focal", "symmetric_focal_tversky_loss", binary_probs_small,
         _on_bg_fg(ufl_symmetric_focal_tversky_loss)),
    Case("unified_focal", "unified_focal_loss", binary_probs_small, _on_bg_fg(ufl_asym_unified_focal_loss)),
]
