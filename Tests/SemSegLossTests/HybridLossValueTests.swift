import Foundation
import Testing
@testable import SemSegLoss

extension HybridLossTests {
    /// Values (and gradients) of tiny problems worked by hand.
    @Suite("known values, worked by hand")
    struct ValueTests {
        /// p = (0.8, 0.4), g = (1, 0), no smoothing, α = nil, γ = 2. GDL of one class (any
        /// weight cancels): 1 − 2·0.8/(1.2 + 1) = 3/11. Focal: mean of −(1 − 0.8)²·ln 0.8
        /// and −0.4²·ln 0.6.
        @Test("generalized_dice_focal_loss by hand")
        func gdlFocalByHand() throws {
            let r = try run("generalized_dice_focal_loss", [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)],
                            [0.8, 0.4], [1, 0], [1, 1, 1, 2])
            let focal = (-0.04 * log(0.8) - 0.16 * log(0.6)) / 2
            #expect(abs(r.value - (3.0 / 11 + focal)) < 1e-12)
            // ∂GDL/∂p = −2G/(P+G)² per voxel for g = 1 minus... : d(1 − 2TP/U) = −2g/U + 2TP/U².
            let u = 2.2, tp = 0.8
            let dGDL = [-2 / u + 2 * tp / (u * u), 2 * tp / (u * u)]
            // Focal ∂/∂p: g = 1: [2(1−p)·ln p − (1−p)²/p]/2; g = 0: [−2p·ln(1−p) + p²/(1−p)]/2.
            let dFocal = [(2 * 0.2 * log(0.8) - 0.04 / 0.8) / 2, (-2 * 0.4 * log(0.6) + 0.16 / 0.6) / 2]
            #expect(maxAbsDiff(r.gradient, [dGDL[0] + dFocal[0], dGDL[1] + dFocal[1]]) < 1e-12)
        }

        /// p = (0.9, 0.2, 0.7, 0.1), g = (1, 0, 1, 0), k = 50 %: K = 2 of the BCE values
        /// (−ln 0.9, −ln 0.8, −ln 0.7, −ln 0.9), the largest two −ln 0.7 and −ln 0.8. Dice
        /// without smoothing: 1 − 2·1.6/(1.9 + 2).
        @Test("dice_top_k_loss by hand")
        func diceTopKByHand() throws {
            let r = try run("dice_top_k_loss", [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0), ("k", 50)],
                            [0.9, 0.2, 0.7, 0.1], [1, 0, 1, 0], [1, 1, 2, 2])
            let topK = (-log(0.7) - log(0.8)) / 2
            #expect(abs(r.value - (1 - 3.2 / 3.9 + topK)) < 1e-12)
            // The unselected voxels 0 and 3 get the Dice gradient only: −2g/U + 2TP/U².
            let u = 3.9, tp = 1.6
            #expect(abs(r.gradient[0] - (-2 / u + 2 * tp / (u * u))) < 1e-12)
            #expect(abs(r.gradient[3] - 2 * tp / (u * u)) < 1e-12)
            // Voxel 2 (g = 1, p = 0.7) also gets (1/K)·(−1/p).
            #expect(abs(r.gradient[2] - (-2 / u + 2 * tp / (u * u) - 0.5 / 0.7)) < 1e-12)
        }

        /// win_size 1 turns SSIM into a per-voxel (2pg + c₁)/(p² + g² + c₁) (variances 0).
        /// p = (0.5, 0.5), g = (1, 0): SSIM part 1 − (1.0001/1.2501 + 0.0001/0.2501)/2; the
        /// Jaccard part without smoothing 1 − 0.5/(1 + 1 − 0.5) = 2/3; focal (α = 0.25, γ = 2)
        /// mean of 0.25·0.25·ln 2 and 0.75·0.25·ln 2; BCE ln 2.
        @Test("unet3p_hybrid_loss and basnet_hybrid_loss by hand")
        func hybridsByHand() throws {
            let options: [(String, Double)] = [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0), ("win_size", 1)]
            let ssim = 1 - (1.0001 / 1.2501 + 0.0001 / 0.2501) / 2
            let jaccard = 2.0 / 3
            let focal = (0.0625 + 0.1875) * log(2) / 2
            let u = try run("unet3p_hybrid_loss", options, [0.5, 0.5], [1, 0], [1, 1, 1, 2])
            #expect(abs(u.value - (focal + ssim + jaccard)) < 1e-12)
            let b = try run("basnet_hybrid_loss", options, [0.5, 0.5], [1, 0], [1, 1, 1, 2])
            #expect(abs(b.value - (log(2) + ssim + jaccard)) < 1e-12)
            let w = try run("basnet_hybrid_loss", options + [("lambda_ce", 2), ("lambda_ssim", 0.5), ("lambda_jaccard", 0)],
                            [0.5, 0.5], [1, 0], [1, 1, 1, 2])
            #expect(abs(w.value - (2 * log(2) + 0.5 * ssim)) < 1e-12)
        }
    }
}
