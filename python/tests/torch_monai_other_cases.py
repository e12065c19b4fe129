"""MONAI comparison cases (``Case``, torch_monai_peers.py) of the other losses:
HausdorffDTLoss and LogHausdorffDTLoss, SSIMLoss, SoftclDiceLoss and SoftDiceclDiceLoss,
GeneralizedWassersteinDiceLoss, NACLLoss, the unified focal family, and the non-preset
MCCLoss and BoundaryLoss. Run by test_torch_monai.py, whose docstring states the
conventions and documented differences."""
from __future__ import annotations

from conftest import optional_module

torch = optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
from torch_monai_peers import (  # noqa: E402
    GWDL_M, GWDL_UNSCALED, LOGITS, MC, MC_PEER, ML, Case, _mono, _pair, _t, _ufl, softmax, stack_batch,
    two_channels)
from torch_peer_harness import (  # noqa: E402
    C, EXACT, F32_DISTANCE, F32_FILTER, F32_SSIM, F32_WEIGHTS, NO_EPSILON, SPATIAL_2D, SPATIAL_3D, O, binary,
    label_maps, multiclass, multilabel, one_image)

OTHER_CASES = [
    # ---- HausdorffDTLoss / LogHausdorffDTLoss (channel 0 dropped by default) --------------
    Case("hd-multilabel-probabilities-empty-class", "hausdorff_dt_loss", lambda: multilabel(probs=True),
         lambda: O("hausdorff_dt_loss", **ML), _mono("HausdorffDTLoss"), F32_DISTANCE),
    Case("hd-multilabel-sigmoid-background-alpha", "hausdorff_dt_loss", multilabel,
         lambda: O("hausdorff_dt_loss", **ML, **LOGITS, include_background=True, alpha=1.5),
         _mono("HausdorffDTLoss", sigmoid=True, include_background=True, alpha=1.5), F32_DISTANCE),
    Case("hd-multiclass-softmax", "hausdorff_dt_loss", multiclass, lambda: O("hausdorff_dt_loss", **MC, **LOGITS),
         _mono("HausdorffDTLoss", **MC_PEER), F32_DISTANCE),
    # one channel: MONAI warns and keeps it, as include_background=True here
    Case("hd-binary-empty-image", "hausdorff_dt_loss", lambda: binary(probs=True),
         lambda: O("hausdorff_dt_loss", include_background=True), _mono("HausdorffDTLoss"), F32_DISTANCE),
    Case("hd-multilabel-3d", "hausdorff_dt_loss", lambda: multilabel(spatial=SPATIAL_3D, probs=True),
         lambda: O("hausdorff_dt_loss", **ML), _mono("HausdorffDTLoss"), F32_DISTANCE),
    Case("log_hd-multilabel", "log_hausdorff_dt_loss", lambda: multilabel(probs=True),
         lambda: O("log_hausdorff_dt_loss", **ML), _mono("LogHausdorffDTLoss"), F32_DISTANCE),
    Case("log_hd-multiclass-3d", "log_hausdorff_dt_loss", lambda: multiclass(spatial=SPATIAL_3D),
         lambda: O("log_hausdorff_dt_loss", **MC, **LOGITS), _mono("LogHausdorffDTLoss", **MC_PEER), F32_DISTANCE),
    # ---- SSIMLoss (probabilities; MONAI averages (channel, space) per image) ---------------
    Case("ssim-binary-empty-image", "ssim_loss", lambda: binary(spatial=(16, 15), probs=True), lambda: O("ssim_loss"),
         _mono("SSIMLoss", spatial_dims=2), F32_SSIM),
    Case("ssim-multilabel", "ssim_loss", lambda: multilabel(spatial=(13, 12), probs=True), lambda: O("ssim_loss", **ML),
         _mono("SSIMLoss", spatial_dims=2), F32_SSIM),
    Case("ssim-binary-logits-options", "ssim_loss", lambda: binary(spatial=(12, 14)),
         lambda: O("ssim_loss", **LOGITS, win_size=7, kernel_sigma=1.0, k1=0.02, k2=0.05, data_range=2.0),
         lambda M: (lambda x, t: M.SSIMLoss(spatial_dims=2, win_size=7, kernel_sigma=1.0, k1=0.02, k2=0.05,
                                            data_range=2.0)(torch.sigmoid(x), t)), F32_SSIM),
    Case("ssim-3d", "ssim_loss", lambda: binary(spatial=(9, 8, 7), probs=True), lambda: O("ssim_loss", win_size=5),
         _mono("SSIMLoss", spatial_dims=3, win_size=5), F32_SSIM),
    # ---- SoftclDiceLoss / SoftDiceclDiceLoss (see test_torch_monai.py's docstring) ----------
    Case("cldice-multilabel-pooled", "soft_cldice_loss", lambda: multilabel(probs=True),
         lambda: O("soft_cldice_loss", **ML),
         lambda M: (lambda x, t: M.SoftclDiceLoss(smooth=NO_EPSILON)(*stack_batch(x, t)))),
    Case("cldice-multilabel-sigmoid-3d-pooled", "soft_cldice_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("soft_cldice_loss", **ML, **LOGITS, iterations=2, smooth=0.5),
         lambda M: (lambda x, t: M.SoftclDiceLoss(smooth=NO_EPSILON, iter_=2, smooth_nr=0.5, smooth_dr=0.5)(
             *stack_batch(torch.sigmoid(x), t)))),
    Case("cldice-multiclass-softmax-pooled", "soft_cldice_loss", lambda: multiclass(dense_peer=True),
         lambda: O("soft_cldice_loss", **MC, **LOGITS),
         lambda M: (lambda x, t: M.SoftclDiceLoss(smooth=NO_EPSILON)(*stack_batch(softmax(x), t)))),
    # one image, one kept channel: MONAI's per-image, per-class values are the pooled ones
    # (one channel: MONAI warns and keeps it, include_background=True here)
    Case("cldice-one-image-binary", "soft_cldice_loss", one_image(lambda: binary(probs=True, empty=False)),
         lambda: O("soft_cldice_loss", include_background=True), _mono("SoftclDiceLoss", smooth=NO_EPSILON)),
    Case("cldice-one-image-multiclass-3d", "soft_cldice_loss",
         one_image(lambda: multiclass(spatial=SPATIAL_3D, c=2, absent=False)),
         lambda: O("soft_cldice_loss", **MC, **LOGITS),
         _mono("SoftclDiceLoss", smooth=NO_EPSILON, **MC_PEER, include_background=False)),
    Case("dice_cldice-one-image-binary", "soft_dice_cldice_loss", one_image(lambda: binary(probs=True, empty=False)),
         lambda: O("soft_dice_cldice_loss", include_background=True), _mono("SoftDiceclDiceLoss", smooth=NO_EPSILON)),
    Case("dice_cldice-one-image-binary-options", "soft_dice_cldice_loss",
         one_image(lambda: binary(probs=True, empty=False)),
         lambda: O("soft_dice_cldice_loss", include_background=True, alpha=0.3, iterations=2, smooth=0.5),
         _mono("SoftDiceclDiceLoss", smooth=NO_EPSILON, alpha=0.3, iter_=2, smooth_nr=0.5, smooth_dr=0.5)),
    Case("dice_cldice-one-image-multiclass-3d", "soft_dice_cldice_loss",
         one_image(lambda: multiclass(spatial=SPATIAL_3D, c=2, absent=False)),
         lambda: O("soft_dice_cldice_loss", **MC, **LOGITS),
         _mono("SoftDiceclDiceLoss", smooth=NO_EPSILON, **MC_PEER, include_background=False)),
    # ---- GeneralizedWassersteinDiceLoss (logits, label maps; mode left at its default) -----
    *[Case(f"gwdl-{mode}{'-3d' if len(sp) == 3 else ''}", "generalized_wasserstein_dice_loss",
           label_maps(lambda sp=sp: multiclass(spatial=sp)),
           lambda mode=mode: O("generalized_wasserstein_dice_loss", dist_matrix=GWDL_M, weighting_mode=mode),
           lambda M, mode=mode: M.GeneralizedWassersteinDiceLoss(dist_matrix=_t(GWDL_M), weighting_mode=mode),
           # "GDL" mode: MONAI's alpha = 1/(volume + 1) is float32
           EXACT if mode == "default" else F32_WEIGHTS)
      for mode in ("default", "GDL") for sp in (SPATIAL_2D, SPATIAL_3D)],
    Case("gwdl-unscaled-matrix", "generalized_wasserstein_dice_loss",
         label_maps(lambda: multiclass(absent=False)),
         lambda: O("generalized_wasserstein_dice_loss", dist_matrix=GWDL_UNSCALED),
         lambda M: M.GeneralizedWassersteinDiceLoss(dist_matrix=_t(GWDL_UNSCALED))),
    # ---- NACLLoss (label maps (N, H, W) on both sides; mode left at its default) -----------
    *[Case("nacl-" + ("-".join(f"{k}={v}" for k, v in kw.items()) or "default") + ("-3d" if len(sp) == 3 else ""),
           "nacl_loss", label_maps(lambda sp=sp: multiclass(spatial=sp)),
           lambda kw=kw: O("nacl_loss", **kw),
           lambda M, kw=kw, sp=sp: M.NACLLoss(classes=C, dim=len(sp), **kw), F32_FILTER)
      for kw, sp in [({}, SPATIAL_2D), ({"distance_type": "l2"}, SPATIAL_2D), ({"kernel_ops": "gaussian"}, SPATIAL_2D),
                     ({"kernel_ops": "gaussian", "sigma": 0.7, "alpha": 0.3}, SPATIAL_2D),
                     ({"kernel_size": 5}, SPATIAL_2D), ({}, SPATIAL_3D), ({"kernel_ops": "gaussian"}, SPATIAL_3D)]],
    # ---- Unified focal family (probabilities; binary = UFL's [1 - p, p] pair) -------------
    Case("aftl-binary-empty-image", "asymmetric_focal_tversky_loss", lambda: binary(probs=True),
         lambda: O("asymmetric_focal_tversky_loss"),
         lambda M: (lambda x, t: _ufl().AsymmetricFocalTverskyLoss()(two_channels(x), two_channels(t)))),
    Case("aftl-binary-3d-options", "asymmetric_focal_tversky_loss", lambda: binary(probs=True, spatial=SPATIAL_3D),
         lambda: O("asymmetric_focal_tversky_loss", delta=0.6, gamma=0.5),
         lambda M: (lambda x, t: _ufl().AsymmetricFocalTverskyLoss(delta=0.6, gamma=0.5)(two_channels(x),
                                                                                         two_channels(t)))),
    Case("aftl-two-class-label-map", "asymmetric_focal_tversky_loss",
         lambda: multiclass(c=2, probs=True, absent=False), lambda: O("asymmetric_focal_tversky_loss", **MC),
         lambda M: (lambda x, t: _ufl().AsymmetricFocalTverskyLoss(to_onehot_y=True)(x, t))),
    # AsymmetricFocalLoss: MONAI 1.6 averages over (voxel, class) pairs, i.e. half the
    # per-voxel class sum of UFL / MONAI <= 1.5 / LOSSES.md §1.3 that ours computes.
    Case("afl-binary-ours-is-twice-monai-1.6", "asymmetric_focal_loss", lambda: binary(probs=True),
         lambda: O("asymmetric_focal_loss"),
         lambda M: (lambda x, t: 2 * _ufl().AsymmetricFocalLoss()(two_channels(x), two_channels(t)))),
    Case("afl-two-class-3d-ours-is-twice-monai-1.6", "asymmetric_focal_loss",
         lambda: multiclass(c=2, probs=True, absent=False, spatial=SPATIAL_3D),
         lambda: O("asymmetric_focal_loss", **MC, delta=0.6, gamma=1.5),
         lambda M: (lambda x, t: 2 * _ufl().AsymmetricFocalLoss(to_onehot_y=True, delta=0.6, gamma=1.5)(x, t))),
    # AsymmetricUnifiedFocalLoss(weight=w) = w AFL_1.6 + (1 - w) AFTL; ours with weight = 1 - w
    # (preset notes) is w (2 AFL_1.6) + (1 - w) AFTL = MONAI's value + w AFL_1.6.
    *[Case(f"unified-{kind}-weight-{w}", "unified_focal_loss", data,
           lambda w=w, kw=kw, extra=extra: O("unified_focal_loss", weight=1 - w, **kw, **extra),
           lambda M, w=w, kw=kw, peer_t=peer_t: (
               lambda x, t: M.AsymmetricUnifiedFocalLoss(weight=w, **kw, **peer_t)(x, t)
               + w * _ufl().AsymmetricFocalLoss(**kw)(*_pair(x, t, peer_t))))
      for kind, data, extra, peer_t in [
          ("binary-empty-image", lambda: binary(probs=True), {}, {}),
          ("binary-3d", lambda: binary(probs=True, spatial=SPATIAL_3D), {}, {}),
          ("two-class-label-map", lambda: multiclass(c=2, probs=True, absent=False), MC, {"to_onehot_y": True})]
      for w, kw in [(0.5, {"delta": 0.7, "gamma": 0.5}), (0.3, {"delta": 0.6, "gamma": 0.4})]],
    # ---- MCCLoss (no preset): mcc_loss(eps=0) is MONAI's MCC with smooth_nr = 0 ------------
    # smooth_dr = 0: the same formula (no empty entry: MONAI gives 0/0 there).
    Case("mcc-binary-smooth_dr-0", None, lambda: binary(empty=False), lambda: O(ss.MCCLoss(eps=0.0)),
         _mono("MCCLoss", sigmoid=True, smooth_dr=0.0)),
    # MONAI's default smooth_dr = 1e-5 sits under the square root of a product of counts
    # ~1e5-1e6 here: a relative change < 1e-10; an empty entry is MCC 0 (loss 1, no
    # gradient) on both sides.
    Case("mcc-multilabel-empty-class", None, multilabel, lambda: O(ss.MCCLoss(eps=0.0, mode="multilabel")),
         _mono("MCCLoss", sigmoid=True)),
    Case("mcc-binary-empty-image-3d", None, lambda: binary(spatial=SPATIAL_3D), lambda: O(ss.MCCLoss(eps=0.0)),
         _mono("MCCLoss", sigmoid=True)),
    Case("mcc-multiclass-batch-no-background", None, multiclass,
         lambda: O(ss.MCCLoss(eps=0.0, mode="multiclass", batch=True, include_background=False)),
         _mono("MCCLoss", **MC_PEER, batch=True, include_background=False)),
    Case("mcc-multilabel-probabilities", None, lambda: multilabel(probs=True, empty=False),
         lambda: O(ss.MCCLoss(eps=0.0, mode="multilabel", from_logits=False)), _mono("MCCLoss", smooth_dr=0.0)),
    # ---- BoundaryLoss (no preset): the same signed map, mean(p phi) per (image, class) -----
    Case("boundary-multilabel-probabilities-empty-class", None, lambda: multilabel(probs=True),
         lambda: O(ss.BoundaryLoss(from_logits=False, mode="multilabel")), _mono("BoundaryLoss"), F32_DISTANCE),
    Case("boundary-multiclass-softmax-no-background", None, multiclass,
         lambda: O(ss.BoundaryLoss(mode="multiclass", include_background=False)),
         _mono("BoundaryLoss", **MC_PEER, include_background=False), F32_DISTANCE),
    Case("boundary-binary-sigmoid-empty-image-3d", None, lambda: binary(spatial=SPATIAL_3D),
         lambda: O(ss.BoundaryLoss()), _mono("BoundaryLoss", sigmoid=True), F32_DISTANCE),
]
