"""Option presets that reproduce another library's defaults (LOSSES.md §4.12 item 3, §7).

A preset is the set of options under which a loss of this library computes the same value
(and gradient) as a default-constructed loss of MONAI, segmentation_models_pytorch (smp),
SemSegLoss, SegLoss or the Unified Focal loss code, on the inputs that library accepts.
Where the peer has a bug (LOSSES.md §5) the preset does *not* copy it; the ``notes`` of the
preset say where the numbers then differ.

>>> import numpy as np, semsegloss_swift as ss
>>> ss.presets.preset_options("smp", "dice_loss")
{'from_logits': True, 'smooth_nr': 0.0, 'smooth_dr': 0.0, 'batch': True}
>>> loss = ss.presets.preset("monai", "dice_loss", include_background=False)
>>> loss
DiceLoss(from_logits=False, smooth_nr=1e-05, smooth_dr=1e-05, batch=False, include_background=False)

Keyword options given to :func:`preset` override the preset's (``mode`` is never part of
a preset: pass it as for any loss).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping

__all__ = ["Preset", "PRESETS", "LIBRARIES", "preset_options", "preset", "presets_of"]


@dataclass(frozen=True)
class Preset:
    """Options of loss ``loss`` that reproduce ``peer`` of ``library``.

    ``notes`` say which peer behaviour is not reproduced (its bugs, or cases outside
    what the options can express).
    """

    library: str
    loss: str
    peer: str
    options: Mapping[str, Any] = field(default_factory=dict)
    notes: str = ""


# MONAI applies no activation unless sigmoid=True / softmax=True: its region losses take
# probabilities by default (from_logits=False); FocalLoss and the cross-entropy parts take
# logits.
_MONAI_REGION = {"from_logits": False, "smooth_nr": 1e-5, "smooth_dr": 1e-5, "batch": False}
# smp: logits, region sums pooled over batch and space per class (dims (0, 2)), no smoothing.
_SMP_REGION = {"from_logits": True, "smooth_nr": 0.0, "smooth_dr": 0.0, "batch": True}
# SemSegLoss: probabilities, the whole batch flattened into one sum, smoothing 1.
_SSL_REGION = {"from_logits": False, "smooth_nr": 1.0, "smooth_dr": 1.0, "batch": True}
# SegLoss (nnU-Net style): probabilities (apply_nonlin=None), per image and class, smooth 1.
_SL_REGION = {"from_logits": False, "smooth_nr": 1.0, "smooth_dr": 1.0, "batch": False}
# Unified Focal loss (mlyg): probabilities, per image and class, smooth 1e-6.
_UFL_REGION = {"from_logits": False, "smooth_nr": 1e-6, "smooth_dr": 1e-6, "batch": False}

_SMP_EMPTY = ("smp multiplies a class without target pixels in the batch by 0 (and still counts it "
              "in the mean); that hides false positives on such classes (LOSSES.md §4.5) and is not "
              "copied: the numbers agree when every class is present in the batch.")
_SSL_POOLED = ("SemSegLoss flattens the whole tensor, channels included: the numbers agree for "
               "one channel (binary mode).")
_SL_SIGN = "SegLoss returns the negative score (-D); this loss is 1 - D, i.e. 1 + SegLoss's value."
_MONAI_ACT = ("MONAI's default applies no activation (probabilities in); pass from_logits=True to "
              "match sigmoid=True (binary/multilabel) or softmax=True (multiclass).")


def _entries():
    e = []

    def add(library, loss, peer, options, notes=""):
        e.append(Preset(library, loss, peer, dict(options), notes))

    # -- MONAI ------------------------------------------------------------------------
    add("monai", "dice_loss", "monai.losses.DiceLoss()", _MONAI_REGION, _MONAI_ACT)
    add("monai", "jaccard_loss", "monai.losses.DiceLoss(jaccard=True)",
        {**_MONAI_REGION, "smooth_nr": 5e-6, "smooth_dr": 5e-6},
        "MONAI's jaccard=True computes 1 - (2TP + s_n)/(2(TP + FP + FN) + s_d), i.e. the Jaccard "
        "loss with half its smoothing: s_n = s_d = 5e-6 here. " + _MONAI_ACT)
    add("monai", "tversky_loss", "monai.losses.TverskyLoss()", {**_MONAI_REGION, "alpha": 0.5, "beta": 0.5},
        "alpha weighs false positives and beta false negatives, as in MONAI. " + _MONAI_ACT)
    add("monai", "generalized_dice_loss", 'monai.losses.GeneralizedDiceLoss(w_type="square")',
        {**_MONAI_REGION, "weight_type": "square"},
        "An empty class gets the largest finite weight of its image, as MONAI; an image whose "
        "classes are all empty scores the Dice of an empty target here, where MONAI gives the "
        "constant 1 - s_n/s_d with no gradient. " + _MONAI_ACT)
    add("monai", "focal_loss", "monai.losses.FocalLoss()", {"from_logits": True, "alpha": None, "gamma": 2.0},
        "Logits, sigmoid per channel (binary/multilabel mode; MONAI's use_softmax=True is "
        "mode='multiclass'). MONAI's reduction='sum' first averages the spatial dimensions (a "
        "legacy quirk); reduction='sum' here is the plain sum.")
    add("monai", "dice_ce_loss", "monai.losses.DiceCELoss(softmax=True) / (sigmoid=True)",
        {"from_logits": True, "smooth_nr": 1e-5, "smooth_dr": 1e-5, "batch": False,
         "lambda_dice": 1.0, "lambda_ce": 1.0, "label_smoothing": 0.0},
        "MONAI's default DiceCELoss applies no activation to the Dice part (raw logits as "
        "probabilities); the preset matches softmax=True (multiclass) or sigmoid=True (binary, "
        "where MONAI uses BCEWithLogitsLoss).")
    add("monai", "dice_focal_loss", "monai.losses.DiceFocalLoss(softmax=True) / (sigmoid=True)",
        {"from_logits": True, "smooth_nr": 1e-5, "smooth_dr": 1e-5, "batch": False,
         "alpha": None, "gamma": 2.0, "lambda_dice": 1.0, "lambda_focal": 1.0},
        "Matches sigmoid=True (binary/multilabel). In multiclass mode the focal part here is the "
        "softmax focal loss; MONAI versions differ there (older ones use the sigmoid focal loss "
        "even with softmax=True), so check against your MONAI version.")
    add("monai", "generalized_dice_focal_loss", "monai.losses.GeneralizedDiceFocalLoss(softmax=True)",
        {"from_logits": True, "smooth_nr": 1e-5, "smooth_dr": 1e-5, "batch": False, "weight_type": "square",
         "alpha": None, "gamma": 2.0, "lambda_gdl": 1.0, "lambda_focal": 1.0},
        "As dice_focal_loss: checked in binary/multilabel mode (sigmoid=True).")
    add("monai", "hausdorff_dt_loss", "monai.losses.HausdorffDTLoss()",
        {"from_logits": False, "alpha": 2.0, "include_background": False},
        "MONAI drops channel 0 by default: use mode='multilabel' (or 'multiclass') with two or "
        "more channels. With one channel MONAI warns and keeps it; here pass "
        "include_background=True (binary mode refuses to drop its only channel).")
    add("monai", "log_hausdorff_dt_loss", "monai.losses.LogHausdorffDTLoss()",
        {"from_logits": False, "alpha": 2.0, "include_background": False}, "As hausdorff_dt_loss.")
    add("monai", "ssim_loss", "monai.losses.SSIMLoss(spatial_dims)",
        {"from_logits": False, "win_size": 11, "kernel_sigma": 1.5, "k1": 0.01, "k2": 0.03, "data_range": 1.0})
    add("monai", "soft_cldice_loss", "monai.losses.SoftclDiceLoss()",
        {"from_logits": False, "iterations": 3, "smooth": 1.0, "include_background": False},
        "The pooled clDice of MONAI up to 1.5: channels 1: summed over the batch (the background "
        "out); with one channel its loss was identically 0 (MONAI #8239), here pass "
        "include_background=True to use it. MONAI 1.6 (PR #8703) computes clDice per image, "
        "keeps the background by default and adds 1e-4 inside the harmonic mean: the two agree "
        "on one image up to that 1e-4.")
    add("monai", "soft_dice_cldice_loss", "monai.losses.SoftDiceclDiceLoss()",
        {"from_logits": False, "iterations": 3, "smooth": 1.0, "alpha": 0.5, "include_background": False},
        "As soft_cldice_loss.")
    add("monai", "generalized_wasserstein_dice_loss", "monai.losses.GeneralizedWassersteinDiceLoss(dist_matrix)",
        {"from_logits": True, "weighting_mode": "default", "smooth_nr": 1e-5, "smooth_dr": 1e-5},
        "Logits and a label map, as MONAI; pass dist_matrix.")
    add("monai", "nacl_loss", "monai.losses.NACLLoss(classes, dim)",
        {"from_logits": True, "alpha": 0.1, "kernel_ops": "mean", "kernel_size": 3, "distance_type": "l1"},
        "Current MONAI, whose mean filter pads the one-hot labels with zeros; an older version "
        "counted the padding as class 0, which changes the border voxels.")
    add("monai", "asymmetric_focal_loss", "monai.losses.AsymmetricFocalLoss()",
        {"from_logits": False, "delta": 0.7, "gamma": 2.0},
        "MONAI 1.6 averages over voxels and both classes, so its value and gradient are half "
        "ours, which (as the Unified Focal paper and code and earlier MONAI) sums the two class "
        "terms of a voxel and averages over voxels.")
    add("monai", "asymmetric_focal_tversky_loss", "monai.losses.AsymmetricFocalTverskyLoss()",
        {"from_logits": False, "delta": 0.7, "gamma": 0.75, "smooth_nr": 1e-7, "smooth_dr": 1e-7},
        "MONAI clamps the probabilities to [1e-7, 1 - 1e-7] and smooths with epsilon = 1e-7.")
    add("monai", "unified_focal_loss", "monai.losses.AsymmetricUnifiedFocalLoss()",
        {"from_logits": False, "variant": "asymmetric", "weight": 0.5, "delta": 0.7, "gamma": 0.5,
         "smooth_nr": 1e-7, "smooth_dr": 1e-7},
        "MONAI's weight multiplies the asymmetric focal (cross-entropy) part and 1 - weight the "
        "focal Tversky part; here weight multiplies the focal Tversky part (the Unified Focal "
        "code's order): MONAI's weight = w is weight = 1 - w here (the same at the default 0.5). "
        "MONAI before 1.6 raised on any batch with an empty mask and cast a one-channel input to "
        "class indices (LOSSES.md §1.3); neither is copied. MONAI 1.6 halves the asymmetric focal "
        "part (see asymmetric_focal_loss): it computes (1 - w)·AFT + (w/2)·AF, which no weight "
        "here reproduces unless w = 0.")

    # -- segmentation_models_pytorch --------------------------------------------------
    add("smp", "dice_loss", "smp.losses.DiceLoss(mode)", _SMP_REGION, _SMP_EMPTY)
    add("smp", "log_dice_loss", "smp.losses.DiceLoss(mode, log_loss=True)", {**_SMP_REGION, "eps": 1e-7}, _SMP_EMPTY)
    add("smp", "jaccard_loss", "smp.losses.JaccardLoss(mode)", _SMP_REGION, _SMP_EMPTY)
    add("smp", "tversky_loss", "smp.losses.TverskyLoss(mode)", {**_SMP_REGION, "alpha": 0.5, "beta": 0.5},
        "smp's gamma (default 1) raises the class mean to a power; for one class that is "
        "focal_tversky_loss(gamma=...). " + _SMP_EMPTY)
    add("smp", "focal_loss", "smp.losses.FocalLoss(mode)", {"from_logits": True, "alpha": None, "gamma": 2.0},
        "Binary and multilabel mode. smp's multiclass FocalLoss sums one-vs-rest sigmoid terms "
        "(smp #671); mode='multiclass' here is the softmax focal loss.")
    add("smp", "lovasz_hinge_loss", "smp.losses.LovaszLoss('binary')", {"from_logits": True, "per_image": False},
        "Binary mode. smp pools the channels of a multilabel input into one sort; here each "
        "channel is sorted on its own.")
    add("smp", "lovasz_softmax_loss", "smp.losses.LovaszLoss('multiclass')",
        {"from_logits": True, "per_image": False, "classes": "present"}, "mode='multiclass'.")
    add("smp", "bce_loss", "smp.losses.SoftBCEWithLogitsLoss()", {"from_logits": True, "pos_weight": 1.0},
        "With ignored voxels smp's mean still divides by all voxels; here by the valid ones.")
    add("smp", "cross_entropy_loss", "smp.losses.SoftCrossEntropyLoss(smooth_factor=0.0)",
        {"from_logits": True, "label_smoothing": 0.0},
        "smp's default smooth_factor=None raises (smp #372); with ignored voxels smp's mean "
        "still divides by all voxels.")
    add("smp", "mcc_loss", "smp.losses.MCCLoss()", {"from_logits": False, "eps": 1e-5, "batch": True},
        "Binary mode (smp's MCCLoss takes probabilities of one channel).")

    # -- SemSegLoss (Keras) -----------------------------------------------------------
    add("semsegloss", "dice_loss", "Semantic_loss_functions().dice_loss", _SSL_REGION, _SSL_POOLED)
    add("semsegloss", "jaccard_loss", "Semantic_loss_functions().jacard_loss",
        {**_SSL_REGION, "smooth_nr": 0.0, "smooth_dr": 0.0},
        "SemSegLoss gives NaN when prediction and target are both empty (0/0); this loss gives "
        "0 there. " + _SSL_POOLED)
    add("semsegloss", "tversky_loss", "Semantic_loss_functions().tversky_loss",
        {**_SSL_REGION, "alpha": 0.3, "beta": 0.7},
        "SemSegLoss's alpha = 0.7 weighs false negatives: that is beta = 0.7 here (LOSSES.md "
        "§4.9). " + _SSL_POOLED)
    add("semsegloss", "focal_tversky_loss", "Semantic_loss_functions().focal_tversky",
        {**_SSL_REGION, "alpha": 0.3, "beta": 0.7, "gamma": 0.75},
        "Below floor = 1e-7 of 1 - TI the gradient is 0 here (SemSegLoss's is infinite at a "
        "perfect prediction). " + _SSL_POOLED)
    add("semsegloss", "log_cosh_dice_loss", "Semantic_loss_functions().log_cosh_dice_loss", _SSL_REGION,
        _SSL_POOLED)
    add("semsegloss", "focal_loss", "Semantic_loss_functions().focal_loss",
        {"from_logits": False, "alpha": 0.25, "gamma": 2.0},
        "SemSegLoss clips the probabilities to [1e-7, 1 - 1e-7] before turning them into logits; "
        "so does from_logits=False here.")
    add("semsegloss", "weighted_bce_loss", "Semantic_loss_functions().weighted_cross_entropyloss",
        {"from_logits": False, "beta": 0.25},
        "beta = 0.25 gives q = 1/3, which down-weights the positives (SemSegLoss's default, kept "
        "for parity; the default here is beta = 0.75).")
    add("semsegloss", "dice_bce_loss", "Semantic_loss_functions().bce_dice_loss",
        {**_SSL_REGION, "lambda_dice": 0.5, "lambda_bce": 0.5},
        "(BCE + Dice loss) / 2, the BCE on probabilities clipped to [1e-7, 1 - 1e-7]; tf.keras 2 "
        "also adds 1e-7 inside its logarithms (relative differences of ~3e-7). " + _SSL_POOLED)
    add("semsegloss", "ssim_loss", "Semantic_loss_functions().ssim_loss",
        {"from_logits": False, "win_size": 11, "kernel_sigma": 1.5, "k1": 0.01, "k2": 0.03, "data_range": 1.0})
    add("semsegloss", "unet3p_hybrid_loss", "Semantic_loss_functions().unet3p_hybrid_loss",
        {"from_logits": False, "smooth_nr": 0.0, "smooth_dr": 0.0, "batch": True, "alpha": 0.25, "gamma": 2.0},
        "Single-scale SSIM, as SemSegLoss (the UNet 3+ paper uses MS-SSIM). " + _SSL_POOLED)
    add("semsegloss", "basnet_hybrid_loss", "Semantic_loss_functions().basnet_hybrid_loss",
        {"from_logits": False, "smooth_nr": 0.0, "smooth_dr": 0.0, "batch": True},
        "tf.keras 2's BCE adds 1e-7 inside its logarithms (relative differences of ~3e-7). " + _SSL_POOLED)

    # -- SegLoss (JunMa11) ------------------------------------------------------------
    add("segloss", "dice_loss", "SoftDiceLoss()", _SL_REGION, _SL_SIGN)
    add("segloss", "jaccard_loss", "IoULoss()", _SL_REGION, _SL_SIGN)
    add("segloss", "tversky_loss", "TverskyLoss()", {**_SL_REGION, "alpha": 0.3, "beta": 0.7}, _SL_SIGN)
    add("segloss", "focal_tversky_loss", "FocalTversky_loss()", {**_SL_REGION, "alpha": 0.3, "beta": 0.7,
                                                                   "gamma": 0.75},
        "SegLoss raises 1 - (mean Tversky index over images and classes) to gamma; here each "
        "(image, class) is raised before the mean, as in the paper: the numbers agree for one "
        "image and one class.")
    add("segloss", "asymmetric_similarity_loss", "AsymLoss()", {**_SL_REGION, "beta": 1.5}, _SL_SIGN)
    add("segloss", "sensitivity_specificity_loss", "SSLoss()",
        {"from_logits": False, "r": 0.1, "smooth_dr": 1.0, "batch": False})
    add("segloss", "top_k_ce_loss", "TopKLoss(k=10)", {"from_logits": True, "k": 10.0})
    add("segloss", "lovasz_softmax_loss", "LovaszSoftmax()",
        {"from_logits": False, "per_image": False, "classes": "all"},
        "Probabilities, all classes, the batch flattened; mode='multiclass'.")
    add("segloss", "cross_entropy_loss", "CrossentropyND()", {"from_logits": True, "label_smoothing": 0.0})

    # -- Unified Focal loss (mlyg) ----------------------------------------------------
    add("unified_focal", "dice_loss", "dice_loss(delta=0.5, smooth=1e-6)",
        {**_UFL_REGION, "smooth_nr": 2e-6, "smooth_dr": 2e-6},
        "(TP + s)/(TP + FN/2 + FP/2 + s) is the Dice with s_n = s_d = 2s.")
    add("unified_focal", "tversky_loss", "tversky_loss(delta=0.7, smooth=1e-6)",
        {**_UFL_REGION, "alpha": 0.3, "beta": 0.7}, "delta weighs false negatives: beta = delta.")
    add("unified_focal", "focal_tversky_loss", "focal_tversky_loss(delta=0.7, gamma=0.75, smooth=1e-6)",
        {**_UFL_REGION, "alpha": 0.3, "beta": 0.7, "gamma": 0.75}, "delta weighs false negatives: beta = delta.")
    add("unified_focal", "asymmetric_focal_loss", "asymmetric_focal_loss(delta=0.7, gamma=2)",
        {"from_logits": False, "delta": 0.7, "gamma": 2.0})
    add("unified_focal", "symmetric_focal_loss", "symmetric_focal_loss(delta=0.7, gamma=2)",
        {"from_logits": False, "delta": 0.7, "gamma": 2.0})
    # The focal Tversky parts of the unified loss smooth with K.epsilon() = 1e-7.
    ufl_mti = {**_UFL_REGION, "smooth_nr": 1e-7, "smooth_dr": 1e-7}
    add("unified_focal", "asymmetric_focal_tversky_loss", "asymmetric_focal_tversky_loss(delta=0.7, gamma=0.75)",
        {**ufl_mti, "delta": 0.7, "gamma": 0.75})
    add("unified_focal", "symmetric_focal_tversky_loss", "symmetric_focal_tversky_loss(delta=0.7, gamma=0.75)",
        {**ufl_mti, "delta": 0.7, "gamma": 0.75})
    add("unified_focal", "unified_focal_loss", "asym_unified_focal_loss(weight=0.5, delta=0.6, gamma=0.5)",
        {**ufl_mti, "variant": "asymmetric", "weight": 0.5, "delta": 0.6, "gamma": 0.5},
        "The published file does not parse (LOSSES.md §1.5); this is the formula it states. "
        "sym_unified_focal_loss is variant='symmetric'.")
    return e


#: library -> loss name -> Preset
PRESETS: Dict[str, Dict[str, Preset]] = {}
for _p in _entries():
    PRESETS.setdefault(_p.library, {})[_p.loss] = _p
del _p

#: the libraries with presets
LIBRARIES = tuple(PRESETS)


def _lookup(library: str, loss: str) -> Preset:
    if not isinstance(library, str) or library not in PRESETS:
        raise ValueError(f"library: unknown library {library!r}; available: {', '.join(LIBRARIES)}")
    name = loss if not isinstance(loss, str) or loss.endswith("_loss") else loss + "_loss"
    if not isinstance(name, str) or name not in PRESETS[library]:
        raise ValueError(f"loss: {library} has no preset for {loss!r}; available: "
                         f"{', '.join(PRESETS[library])}")
    return PRESETS[library][name]


def preset_options(library: str, loss: str) -> Dict[str, Any]:
    """The options (a new dict) that make ``loss`` reproduce ``library``'s default version.

    ``loss`` may omit the ``_loss`` suffix. Unknown libraries or losses raise ValueError
    naming ``library`` or ``loss`` and listing the available ones.

    >>> import semsegloss_swift as ss
    >>> ss.presets.preset_options("semsegloss", "tversky")
    {'from_logits': False, 'smooth_nr': 1.0, 'smooth_dr': 1.0, 'batch': True, 'alpha': 0.3, 'beta': 0.7}
    """
    return dict(_lookup(library, loss).options)


def preset(library: str, loss: str, **overrides: Any):
    """A configured loss object (``DiceLoss(...)``, ...) with ``library``'s defaults; keyword
    ``overrides`` (``mode=``, ``reduction=``, ...) replace or extend the preset's options.

    The object works wherever a loss object does (``Trainer(model, loss=...)``,
    ``deep_supervision_loss``, ``masked_loss``). The trainer feeds logits: a preset of a
    library that takes probabilities (``from_logits=False``: MONAI, SemSegLoss, SegLoss)
    needs ``from_logits=True`` there, e.g. ``preset("monai", "dice_loss", from_logits=True)``
    (MONAI's ``DiceLoss(sigmoid=True)``).

    >>> import numpy as np, semsegloss_swift as ss
    >>> p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    >>> g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    >>> round(ss.presets.preset("semsegloss", "dice_loss")(p, g), 6)   # 1 - (2*1.6 + 1)/(1.9 + 2 + 1)
    0.142857
    """
    from . import LOSS_CLASSES
    entry = _lookup(library, loss)
    return LOSS_CLASSES[entry.loss](**{**entry.options, **overrides})


def presets_of(library: str) -> Dict[str, Preset]:
    """Every preset of ``library`` (loss name -> :class:`Preset`, with its peer and notes)."""
    if not isinstance(library, str) or library not in PRESETS:
        raise ValueError(f"library: unknown library {library!r}; available: {', '.join(LIBRARIES)}")
    return dict(PRESETS[library])
