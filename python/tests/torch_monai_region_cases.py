"""MONAI comparison cases (``Case``, torch_monai_peers.py) of the region losses, the focal
loss and their sums: DiceLoss (also ``jaccard=True``), TverskyLoss, GeneralizedDiceLoss,
FocalLoss, DiceCELoss, DiceFocalLoss and GeneralizedDiceFocalLoss. Run by
test_torch_monai.py, whose docstring states the conventions and documented differences."""
from __future__ import annotations

from conftest import optional_module

optional_module("torch")

import semsegloss_swift as ss  # noqa: E402  (after the optional-dependency gate)
from torch_monai_peers import (  # noqa: E402
    LOGITS, MC, MC_PEER, ML, W_NOBG, Case, F, _focal, _mono, _t, both)
from torch_peer_harness import (  # noqa: E402
    C, F32_FOCAL, F32_WEIGHTS, IGNORE, SPATIAL_3D, W3, O, binary, multiclass, multilabel)

REGION_CASES = [
    # ---- DiceLoss -----------------------------------------------------------------------
    Case("dice-binary-sigmoid-empty-image", "dice_loss", binary, lambda: O("dice_loss", **LOGITS),
         _mono("DiceLoss", sigmoid=True)),
    Case("dice-binary-probabilities", "dice_loss", lambda: binary(probs=True), lambda: O("dice_loss"),
         _mono("DiceLoss")),
    Case("dice-multilabel-3d-empty-class", "dice_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("dice_loss", **LOGITS, **ML), _mono("DiceLoss", sigmoid=True)),
    Case("dice-multiclass-absent-class", "dice_loss", multiclass, lambda: O("dice_loss", **LOGITS, **MC),
         _mono("DiceLoss", **MC_PEER)),
    Case("dice-multiclass-3d", "dice_loss", lambda: multiclass(spatial=SPATIAL_3D),
         lambda: O("dice_loss", **LOGITS, **MC), _mono("DiceLoss", **MC_PEER)),
    # squared_pred: MONAI takes squared L2 norms; with its own float32 one-hot (to_onehot_y)
    # the target's norm is rounded to float32, so the peer gets a float64 one-hot target.
    Case("dice-multiclass-squared_pred", "dice_loss", lambda: multiclass(dense_peer=True),
         lambda: O("dice_loss", **LOGITS, **MC, squared_pred=True),
         _mono("DiceLoss", softmax=True, squared_pred=True)),
    Case("dice-multilabel-squared_pred-empty-class", "dice_loss", multilabel,
         lambda: O("dice_loss", **LOGITS, **ML, squared_pred=True), _mono("DiceLoss", sigmoid=True, squared_pred=True)),
    Case("dice-multiclass-batch", "dice_loss", multiclass, lambda: O("dice_loss", **LOGITS, **MC, batch=True),
         _mono("DiceLoss", **MC_PEER, batch=True)),
    Case("dice-multilabel-batch-3d", "dice_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("dice_loss", **LOGITS, **ML, batch=True), _mono("DiceLoss", sigmoid=True, batch=True)),
    Case("dice-multiclass-no-background-weight", "dice_loss", multiclass,
         lambda: O("dice_loss", **LOGITS, **MC, include_background=False, weight=W_NOBG),
         _mono("DiceLoss", **MC_PEER, include_background=False, weight=W_NOBG[1:])),
    Case("dice-multilabel-weight", "dice_loss", multilabel, lambda: O("dice_loss", **LOGITS, **ML, weight=W3),
         _mono("DiceLoss", sigmoid=True, weight=W3)),
    Case("dice-multiclass-ignore_index", "dice_loss", lambda: multiclass(ignore=True),
         lambda: O("dice_loss", **LOGITS, **MC, ignore_index=IGNORE),
         _mono("DiceLoss", **MC_PEER, ignore_index=IGNORE)),
    Case("dice-binary-ignore_index", "dice_loss", lambda: binary(ignore=True),
         lambda: O("dice_loss", **LOGITS, ignore_index=IGNORE), _mono("DiceLoss", sigmoid=True, ignore_index=IGNORE)),
    Case("dice-multilabel-soft_label-3d", "dice_loss", lambda: multilabel(spatial=SPATIAL_3D, soft=True),
         lambda: O("dice_loss", **LOGITS, **ML, soft_label=True), _mono("DiceLoss", sigmoid=True, soft_label=True)),
    Case("dice-multilabel-soft-targets", "dice_loss", lambda: multilabel(soft=True),
         lambda: O("dice_loss", **LOGITS, **ML), _mono("DiceLoss", sigmoid=True)),
    # ---- DiceLoss(jaccard=True): jaccard_loss with halved smoothing (the preset's 5e-6) ----
    Case("jaccard-multiclass", "jaccard_loss", multiclass, lambda: O("jaccard_loss", **LOGITS, **MC),
         _mono("DiceLoss", **MC_PEER, jaccard=True)),
    Case("jaccard-binary-probabilities-empty-image", "jaccard_loss", lambda: binary(probs=True),
         lambda: O("jaccard_loss"), _mono("DiceLoss", jaccard=True)),
    Case("jaccard-multilabel-batch-3d", "jaccard_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("jaccard_loss", **LOGITS, **ML, batch=True),
         _mono("DiceLoss", sigmoid=True, jaccard=True, batch=True)),
    Case("jaccard-multiclass-no-background", "jaccard_loss", multiclass,
         lambda: O("jaccard_loss", **LOGITS, **MC, include_background=False),
         _mono("DiceLoss", **MC_PEER, jaccard=True, include_background=False)),
    # ---- TverskyLoss (alpha on FP, beta on FN on both sides) ------------------------------
    Case("tversky-binary-default", "tversky_loss", binary, lambda: O("tversky_loss", **LOGITS),
         _mono("TverskyLoss", sigmoid=True)),
    Case("tversky-multiclass-alpha-beta-no-background", "tversky_loss", multiclass,
         lambda: O("tversky_loss", **LOGITS, **MC, alpha=0.3, beta=0.7, include_background=False),
         _mono("TverskyLoss", **MC_PEER, alpha=0.3, beta=0.7, include_background=False)),
    Case("tversky-multilabel-3d-batch", "tversky_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("tversky_loss", **LOGITS, **ML, alpha=0.8, beta=0.2, batch=True),
         _mono("TverskyLoss", sigmoid=True, alpha=0.8, beta=0.2, batch=True)),
    Case("tversky-multilabel-soft_label", "tversky_loss", lambda: multilabel(soft=True),
         lambda: O("tversky_loss", **LOGITS, **ML, alpha=0.2, beta=0.8, soft_label=True),
         _mono("TverskyLoss", sigmoid=True, alpha=0.2, beta=0.8, soft_label=True)),
    Case("tversky-multiclass-ignore_index", "tversky_loss", lambda: multiclass(ignore=True),
         lambda: O("tversky_loss", **LOGITS, **MC, ignore_index=IGNORE),
         _mono("TverskyLoss", **MC_PEER, ignore_index=IGNORE)),
    Case("tversky-multilabel-probabilities", "tversky_loss", lambda: multilabel(probs=True),
         lambda: O("tversky_loss", **ML), _mono("TverskyLoss")),
    # ---- GeneralizedDiceLoss (an absent class takes the largest finite weight) ------------
    *[Case(f"gdl-multiclass-{w}-absent-class", "generalized_dice_loss", multiclass,
           lambda w=w: O("generalized_dice_loss", **LOGITS, **MC, weight_type=w),
           _mono("GeneralizedDiceLoss", **MC_PEER, w_type=w), F32_WEIGHTS) for w in ("square", "simple", "uniform")],
    *[Case(f"gdl-multilabel-batch-{w}", "generalized_dice_loss", multilabel,
           lambda w=w: O("generalized_dice_loss", **LOGITS, **ML, weight_type=w, batch=True),
           _mono("GeneralizedDiceLoss", sigmoid=True, w_type=w, batch=True), F32_WEIGHTS)
      for w in ("square", "simple", "uniform")],
    Case("gdl-multiclass-3d-no-background", "generalized_dice_loss", lambda: multiclass(spatial=SPATIAL_3D),
         lambda: O("generalized_dice_loss", **LOGITS, **MC, include_background=False),
         _mono("GeneralizedDiceLoss", **MC_PEER, include_background=False), F32_WEIGHTS),
    Case("gdl-multilabel-probabilities-empty-class", "generalized_dice_loss", lambda: multilabel(probs=True),
         lambda: O("generalized_dice_loss", **ML), _mono("GeneralizedDiceLoss"), F32_WEIGHTS),
    # ---- FocalLoss (sigmoid form; the class casts to float32) -----------------------------
    Case("focal-binary-default", "focal_loss", binary, lambda: O("focal_loss"), _mono("FocalLoss"), F32_FOCAL),
    Case("focal-multilabel-3d-alpha-gamma-no-background", "focal_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("focal_loss", **ML, alpha=0.25, gamma=1.5, include_background=False),
         _mono("FocalLoss", alpha=0.25, gamma=1.5, include_background=False), F32_FOCAL),
    Case("focal-binary-ignore_index", "focal_loss", lambda: binary(ignore=True),
         lambda: O("focal_loss", alpha=0.3, ignore_index=IGNORE), _mono("FocalLoss", alpha=0.3, ignore_index=IGNORE),
         F32_FOCAL),
    # MONAI's module-level focal functions run in the input's dtype: the same maths in float64.
    Case("focal-multilabel-float64-function", "focal_loss", multilabel,
         lambda: O("focal_loss", **ML, alpha=0.25, gamma=1.5),
         lambda M: (lambda x, t: _focal().sigmoid_focal_loss(x, t, 1.5, 0.25).mean())),
    Case("focal-binary-float64-function", "focal_loss", binary, lambda: O("focal_loss"),
         lambda M: (lambda x, t: _focal().sigmoid_focal_loss(x, t, 2.0, None).mean())),
    # Softmax form: our mean divides by the voxels, MONAI's by voxels x C (focal_loss
    # docstring: "MONAI also divides by C").
    Case("focal-multiclass-softmax-times-C", "focal_loss", multiclass,
         lambda: O("focal_loss", **MC, alpha=0.25),
         lambda M: (lambda x, t: C * M.FocalLoss(use_softmax=True, to_onehot_y=True, alpha=0.25)(x, t)), F32_FOCAL),
    Case("focal-multiclass-softmax-times-C-float64-3d", "focal_loss",
         lambda: multiclass(spatial=SPATIAL_3D, dense_peer=True),
         lambda: O("focal_loss", **MC, gamma=1.5),
         lambda M: (lambda x, t: C * _focal().softmax_focal_loss(x, t, 1.5, None).mean())),
    # With ignore_index MONAI's mean divides by the valid voxels (its mask is (N, 1, ...)),
    # not by voxels x C: then it is our mean.
    Case("focal-multiclass-softmax-ignore_index", "focal_loss", lambda: multiclass(ignore=True),
         lambda: O("focal_loss", **MC, alpha=0.25, ignore_index=IGNORE),
         _mono("FocalLoss", use_softmax=True, to_onehot_y=True, alpha=0.25, ignore_index=IGNORE), F32_FOCAL),
    # include_background=False: ours keeps the softmax over every class and drops the class-0
    # term (docstring; MONAI drops channel 0 before its softmax): MONAI's float64 softmax
    # focal terms of the full logits, classes 1.., summed per voxel, averaged.
    Case("focal-multiclass-no-background-convention", "focal_loss", lambda: multiclass(dense_peer=True),
         lambda: O("focal_loss", **MC, include_background=False),
         lambda M: (lambda x, t: _focal().softmax_focal_loss(x, t, 2.0, None)[:, 1:].sum(1).mean())),
    # ---- DiceCELoss ----------------------------------------------------------------------
    Case("dice_ce-binary-bce-empty-image", "dice_ce_loss", binary, lambda: O("dice_ce_loss"),
         _mono("DiceCELoss", sigmoid=True)),
    Case("dice_ce-multiclass", "dice_ce_loss", multiclass, lambda: O("dice_ce_loss", **MC),
         _mono("DiceCELoss", **MC_PEER)),
    Case("dice_ce-multiclass-3d", "dice_ce_loss", lambda: multiclass(spatial=SPATIAL_3D),
         lambda: O("dice_ce_loss", **MC),
         _mono("DiceCELoss", **MC_PEER)),
    Case("dice_ce-multiclass-options", "dice_ce_loss", multiclass,
         lambda: O("dice_ce_loss", **MC, label_smoothing=0.1, lambda_dice=0.7, lambda_ce=1.3, batch=True),
         _mono("DiceCELoss", **MC_PEER, label_smoothing=0.1, lambda_dice=0.7, lambda_ce=1.3, batch=True)),
    Case("dice_ce-multiclass-squared_pred", "dice_ce_loss", lambda: multiclass(dense_peer=True),
         lambda: O("dice_ce_loss", **MC, squared_pred=True), _mono("DiceCELoss", softmax=True, squared_pred=True)),
    # weight: ours weighs the cross-entropy only (docstring); MONAI weighs the Dice too.
    Case("dice_ce-weight-our-convention", "dice_ce_loss", multiclass, lambda: O("dice_ce_loss", **MC, weight=W3),
         lambda M: (lambda x, t: M.DiceLoss(**MC_PEER)(x, t) + F.cross_entropy(x, t[:, 0], weight=_t(W3)))),
    Case("dice_ce-weight-monai-as-dice-weight-plus-ce-weight", "dice_ce_loss", multiclass,
         lambda: both(O("dice_loss", **LOGITS, **MC, weight=W3), O(ss.CrossEntropyLoss(mode="multiclass", weight=W3))),
         lambda M: M.DiceCELoss(**MC_PEER, weight=_t(W3))),
    # include_background=False: ours drops the class-0 term of the cross-entropy as well
    # (cross_entropy_loss's convention); MONAI applies it to the Dice part only.
    Case("dice_ce-no-background-our-convention", "dice_ce_loss", multiclass,
         lambda: O("dice_ce_loss", **MC, include_background=False),
         lambda M: (lambda x, t: M.DiceLoss(**MC_PEER, include_background=False)(x, t)
                    + F.cross_entropy(x, t[:, 0], weight=_t([0.0, 1.0, 1.0]), reduction="sum") / t.numel())),
    Case("dice_ce-no-background-monai-as-dice-plus-full-ce", "dice_ce_loss", multiclass,
         lambda: both(O("dice_loss", **LOGITS, **MC, include_background=False),
                      O(ss.CrossEntropyLoss(mode="multiclass"))),
         lambda M: M.DiceCELoss(**MC_PEER, include_background=False)),
    # ---- DiceFocalLoss (sigmoid forms; the focal part is float32 in MONAI) ------------------
    Case("dice_focal-binary-empty-image", "dice_focal_loss", binary, lambda: O("dice_focal_loss"),
         _mono("DiceFocalLoss", sigmoid=True), F32_FOCAL),
    Case("dice_focal-multilabel-3d-options", "dice_focal_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("dice_focal_loss", **ML, alpha=0.3, gamma=1.5, include_background=False, lambda_dice=0.6,
                   lambda_focal=1.7),
         _mono("DiceFocalLoss", sigmoid=True, alpha=0.3, gamma=1.5, include_background=False, lambda_dice=0.6,
               lambda_focal=1.7), F32_FOCAL),
    # softmax=True: MONAI 1.6 pairs the softmax Dice with the sigmoid focal loss (preset
    # notes); ours is the softmax focal loss: MONAI's DiceLoss + C x FocalLoss(use_softmax).
    Case("dice_focal-multiclass-softmax-focal", "dice_focal_loss", multiclass, lambda: O("dice_focal_loss", **MC),
         lambda M: (lambda x, t: M.DiceLoss(**MC_PEER)(x, t)
                    + C * M.FocalLoss(use_softmax=True, to_onehot_y=True)(x, t)), F32_FOCAL),
    # ---- GeneralizedDiceFocalLoss -------------------------------------------------------
    Case("gdl_focal-multilabel", "generalized_dice_focal_loss", multilabel,
         lambda: O("generalized_dice_focal_loss", **ML),
         _mono("GeneralizedDiceFocalLoss", sigmoid=True), F32_FOCAL),
    Case("gdl_focal-multilabel-3d-options", "generalized_dice_focal_loss", lambda: multilabel(spatial=SPATIAL_3D),
         lambda: O("generalized_dice_focal_loss", **ML, weight_type="simple", gamma=1.5, lambda_gdl=0.4,
                   lambda_focal=2.0, include_background=False),
         _mono("GeneralizedDiceFocalLoss", sigmoid=True, w_type="simple", gamma=1.5, lambda_gdl=0.4, lambda_focal=2.0,
               include_background=False), F32_FOCAL),
    # one channel: the generalized Dice of one class (no all-empty image, see the GDL test)
    Case("gdl_focal-binary", "generalized_dice_focal_loss", lambda: binary(empty=False),
         lambda: O("generalized_dice_focal_loss"), _mono("GeneralizedDiceFocalLoss", sigmoid=True), F32_FOCAL),
    Case("gdl_focal-multiclass-softmax-focal", "generalized_dice_focal_loss", multiclass,
         lambda: O("generalized_dice_focal_loss", **MC),
         lambda M: (lambda x, t: M.GeneralizedDiceLoss(**MC_PEER)(x, t)
                    + C * M.FocalLoss(use_softmax=True, to_onehot_y=True)(x, t)), F32_FOCAL),
]
