"""NumPy oracles of SemSegLoss's Keras losses (LOSSES.md §1.1) for test_presets_peers.py:
Dice, Jaccard, Tversky, focal Tversky, log-cosh Dice, focal, weighted cross-entropy,
BCE + Dice, SSIM and the U-Net 3+ / BASNet hybrids.
"""
from __future__ import annotations

import numpy as np

from peer_inputs import _channels_last, _mean
from peer_oracles_common import CLIP, _ssim_per_image


# ============================================================================ oracles: SemSegLoss (§1.1)
# Keras, channels-last, probabilities; every region term flattens the whole tensor (micro:
# batch x space x channels); smooth = 1; the tests use one channel (the presets' note).

def _ssl_flat(p, g):
    return _channels_last(p).reshape(-1), _channels_last(g).reshape(-1)


def ssl_dice_loss(p, g, smooth=1.0):
    """SemSegLoss ``dice_loss``: ``1 - (2TP + 1)/(G + P + 1)``, micro."""
    yp, yt = _ssl_flat(p, g)
    inter = (yt * yp).sum()
    return float(1 - (2 * inter + smooth) / (yt.sum() + yp.sum() + smooth))


def ssl_jacard_loss(p, g):
    """SemSegLoss ``jacard_loss``: ``1 - TP / sum(g + p - g p)``, micro, no smoothing."""
    yp, yt = _ssl_flat(p, g)
    inter = (yt * yp).sum()
    return float(1 - inter / (yt + yp - yt * yp).sum())


def ssl_tversky_index(p, g, smooth=1.0, alpha=0.7):
    """SemSegLoss ``tversky_index``: ``(TP + 1)/(TP + 0.7 FN + 0.3 FP + 1)``, micro; its
    local alpha = 0.7 weighs the false NEGATIVES (1 - alpha the false positives)."""
    yp, yt = _ssl_flat(p, g)
    tp = (yt * yp).sum()
    fn = (yt * (1 - yp)).sum()
    fp = ((1 - yt) * yp).sum()
    return (tp + smooth) / (tp + alpha * fn + (1 - alpha) * fp + smooth)


def ssl_tversky_loss(p, g):
    """SemSegLoss ``tversky_loss``: ``1 - tversky_index``."""
    return float(1 - ssl_tversky_index(p, g))


def ssl_focal_tversky(p, g, gamma=0.75):
    """SemSegLoss ``focal_tversky``: ``(1 - TI)^0.75`` of the micro Tversky index."""
    return float((1 - ssl_tversky_index(p, g)) ** gamma)


def ssl_log_cosh_dice_loss(p, g):
    """SemSegLoss ``log_cosh_dice_loss``: x = dice_loss (smooth 1);
    ``log((e^x + e^-x)/2)``."""
    x = ssl_dice_loss(p, g)
    return float(np.log((np.exp(x) + np.exp(-x)) / 2.0))


def _ssl_convert_to_logits(p):
    """SemSegLoss ``convert_to_logits``: clip to [1e-7, 1 - 1e-7], ``log(p/(1 - p))``."""
    p = np.clip(p, CLIP, 1 - CLIP)
    return np.log(p / (1 - p)), p


def ssl_focal_loss(p, g, alpha=0.25, gamma=2.0):
    """SemSegLoss ``focal_loss``: z = logit(clip p); ``w_a = alpha (1-p)^gamma g``,
    ``w_b = (1-alpha) p^gamma (1-g)``; ``(log1p(e^-|z|) + relu(-z))(w_a + w_b) + z w_b``
    (``focal_loss_with_logits``); ``tf.reduce_mean``."""
    z, pc = _ssl_convert_to_logits(_channels_last(p))
    t = _channels_last(g)
    w_a = alpha * (1 - pc) ** gamma * t
    w_b = (1 - alpha) * pc ** gamma * (1 - t)
    loss = (np.log1p(np.exp(-np.abs(z))) + np.maximum(-z, 0)) * (w_a + w_b) + z * w_b
    return _mean(loss)


def ssl_weighted_cross_entropyloss(p, g, beta=0.25):
    """SemSegLoss ``weighted_cross_entropyloss``: z = logit(clip p), q = beta/(1 - beta) = 1/3,
    ``tf.nn.weighted_cross_entropy_with_logits`` =
    ``(1 - g) z + (1 + (q - 1) g)(log1p(e^-|z|) + max(-z, 0))``, i.e.
    ``-q g log sigmoid(z) - (1 - g) log(1 - sigmoid(z))``; mean."""
    z, _ = _ssl_convert_to_logits(_channels_last(p))
    t = _channels_last(g)
    q = beta / (1 - beta)
    loss = (1 - t) * z + (1 + (q - 1) * t) * (np.log1p(np.exp(-np.abs(z))) + np.maximum(-z, 0))
    return _mean(loss)


def ssl_bce_dice_loss(p, g):
    """SemSegLoss ``bce_dice_loss``: ``(binary_crossentropy(g, p) + dice_loss(g, p)) / 2``;
    Keras BCE clips p to [1e-7, 1 - 1e-7], ``-[g log p + (1-g) log(1-p)]`` averaged over the
    last (channel) axis, the scalar Dice broadcast, and Keras averages the per-pixel loss.

    (tf.keras >= 2.x also adds 1e-7 inside the logs, ``log(p + 1e-7)``; LOSSES.md documents
    the clip only, which is what this oracle and the preset implement: with p >= 0.02 the
    two differ by ~1e-6 relative.)"""
    yp = np.clip(_channels_last(p), CLIP, 1 - CLIP)
    t = _channels_last(g)
    bce = -(t * np.log(yp) + (1 - t) * np.log(1 - yp)).mean(axis=-1)
    return _mean((bce + ssl_dice_loss(p, g)) / 2.0)


# ============================================================================ oracles: SemSegLoss SSIM, hybrids

def ssl_ssim_loss(p, g):
    """SemSegLoss ``ssim_loss``: ``1 - tf.image.ssim(g, p, max_val=1)`` per image (TF
    defaults: Gaussian 11, sigma 1.5, k1 0.01, k2 0.03, 'valid'); Keras averages."""
    return _mean(1 - _ssim_per_image(g, p))


def ssl_unet3p_hybrid_loss(p, g):
    """SemSegLoss ``unet3p_hybrid_loss``: ``focal_loss + ssim_loss + jacard_loss``
    (single-scale SSIM)."""
    return ssl_focal_loss(p, g) + ssl_ssim_loss(p, g) + ssl_jacard_loss(p, g)


def ssl_basnet_hybrid_loss(p, g):
    """SemSegLoss ``basnet_hybrid_loss``: ``BCE(from_logits=False) + ssim_loss +
    jacard_loss``; Keras BCE clips p to [1e-7, 1 - 1e-7] (see ``ssl_bce_dice_loss`` about
    tf.keras's extra +1e-7 in the log), mean."""
    yp = np.clip(p, CLIP, 1 - CLIP)
    bce = _mean(-(g * np.log(yp) + (1 - g) * np.log(1 - yp)))
    return bce + ssl_ssim_loss(p, g) + ssl_jacard_loss(p, g)
