"""Shared tables of the hybrid-loss tests (test_hybrid_losses_*.py): tolerances of the
oracle comparisons, the weight options (lambdas) of each hybrid, and the problem families
of the finite-difference gradient tests."""
from __future__ import annotations

import numpy as np

TOL = {np.float64: (1e-10, 1e-12), np.float32: (1e-5, 2e-5)}
LAMBDAS = {"generalized_dice_focal_loss": ("lambda_gdl", "lambda_focal"),
           "dice_top_k_loss": ("lambda_dice", "lambda_top_k"),
           "unet3p_hybrid_loss": ("lambda_focal", "lambda_ssim", "lambda_jaccard"),
           "basnet_hybrid_loss": ("lambda_ce", "lambda_ssim", "lambda_jaccard")}

FAMILIES = {
    "binary logits": ((2, 1, 4, 5), dict()),
    "binary probabilities": ((2, 1, 3, 4), dict(from_logits=False)),
    "multilabel no background sum": ((2, 3, 3, 3), dict(mode="multilabel", include_background=False, reduction="sum")),
    "multilabel batch 3-D": ((2, 2, 3, 3, 3), dict(mode="multilabel", batch=True)),
    "multilabel ignore": ((2, 2, 3, 4), dict(mode="multilabel", ignore_index=255.0)),
    "multiclass labels": ((2, 3, 3, 4), dict(mode="multiclass")),
    "multiclass labels ignore": ((2, 3, 3, 4), dict(mode="multiclass", ignore_index=255)),
}
