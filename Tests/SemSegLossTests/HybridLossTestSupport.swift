import Foundation
import Testing
@testable import SemSegLoss

/// The compound losses built from whole catalogue losses (`HybridLosses`):
/// generalized_dice_focal_loss, dice_top_k_loss, unet3p_hybrid_loss, basnet_hybrid_loss.
/// Each one equals the weighted sum of its parts called on their own (values and
/// gradients, every mode), its gradient passes central differences in Double, and a few
/// values are worked by hand.
///
/// This parent suite holds the shared cases and option families; the tests are nested
/// suites, one concern per file: the sum of the parts (HybridLossSumOfPartsTests),
/// gradients (HybridLossGradientTests), values worked by hand (HybridLossValueTests),
/// edge cases and bad options (HybridLossEdgeCaseTests) and dice_hausdorff_dt_loss
/// (HybridLossDiceHausdorffTests).
@Suite("Hybrid losses (sums of catalogue losses)")
struct HybridLossTests {
    struct Part: Sendable {
        var name: String
        var weight: Double
        var options: [(String, Double)]
        /// Region parts take smooth_nr, smooth_dr, batch, empty.
        var region: Bool { ["generalized_dice_loss", "dice_loss", "jaccard_loss"].contains(name) }
        /// The distance-map losses take no `batch` or smoothing, and go negative (boundary).
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var options: [(String, Double)]
        var parts: [Part]
        var testDescription: String { name + options.map { " \($0.0)=\($0.1)" }.joined() }
        /// The SSIM hybrids refuse ignore_index and need every spatial size ≥ win_size.
        var hasSSIM: Bool { parts.contains { $0.name == "ssim_loss" } }
    }

    static let cases: [Case] = [
        Case(name: "generalized_dice_focal_loss", options: [], parts: [
            Part(name: "generalized_dice_loss", weight: 1, options: []),
            Part(name: "focal_loss", weight: 1, options: [("alpha_weighting", 0)]),
        ]),
        Case(name: "generalized_dice_focal_loss",
             options: [("weight_type", 1), ("lambda_gdl", 0.4), ("lambda_focal", 2), ("gamma", 1.5), ("alpha_weighting", 1), ("alpha", 0.3)],
             parts: [
                Part(name: "generalized_dice_loss", weight: 0.4, options: [("weight_type", 1)]),
                Part(name: "focal_loss", weight: 2, options: [("gamma", 1.5), ("alpha", 0.3)]),
             ]),
        Case(name: "dice_top_k_loss", options: [], parts: [
            Part(name: "dice_loss", weight: 1, options: []),
            Part(name: "top_k_ce_loss", weight: 1, options: []),
        ]),
        Case(name: "dice_top_k_loss", options: [("k", 30), ("lambda_dice", 0.5), ("lambda_top_k", 2), ("squared_pred", 1)], parts: [
            Part(name: "dice_loss", weight: 0.5, options: [("squared_pred", 1)]),
            Part(name: "top_k_ce_loss", weight: 2, options: [("k", 30)]),
        ]),
        Case(name: "unet3p_hybrid_loss", options: [("win_size", 3)], parts: [
            Part(name: "focal_loss", weight: 1, options: []),
            Part(name: "ssim_loss", weight: 1, options: [("win_size", 3)]),
            Part(name: "jaccard_loss", weight: 1, options: []),
        ]),
        Case(name: "unet3p_hybrid_loss",
             options: [("win_size", 3), ("kernel_sigma", 0.8), ("gamma", 0.5), ("alpha_weighting", 0), ("lambda_focal", 0.5),
                       ("lambda_ssim", 2), ("lambda_jaccard", 0.25)],
             parts: [
                Part(name: "focal_loss", weight: 0.5, options: [("gamma", 0.5), ("alpha_weighting", 0)]),
                Part(name: "ssim_loss", weight: 2, options: [("win_size", 3), ("kernel_sigma", 0.8)]),
                Part(name: "jaccard_loss", weight: 0.25, options: []),
             ]),
        Case(name: "basnet_hybrid_loss", options: [("win_size", 3)], parts: [
            Part(name: "cross_entropy_loss", weight: 1, options: []),
            Part(name: "ssim_loss", weight: 1, options: [("win_size", 3)]),
            Part(name: "jaccard_loss", weight: 1, options: []),
        ]),
        Case(name: "basnet_hybrid_loss", options: [("win_size", 3), ("k1", 0.05), ("lambda_ce", 0.3), ("lambda_jaccard", 0)], parts: [
            Part(name: "cross_entropy_loss", weight: 0.3, options: []),
            Part(name: "ssim_loss", weight: 1, options: [("win_size", 3), ("k1", 0.05)]),
            Part(name: "jaccard_loss", weight: 0, options: []),
        ]),
        Case(name: "dice_boundary_loss", options: [], parts: [
            Part(name: "generalized_dice_loss", weight: 1, options: []),
            Part(name: "boundary_loss", weight: 0.01, options: []),
        ]),
        Case(name: "dice_boundary_loss",
             options: [("generalized", 0), ("lambda_dice", 0.7), ("lambda_boundary", 0.3)],
             parts: [
                Part(name: "dice_loss", weight: 0.7, options: []),
                Part(name: "boundary_loss", weight: 0.3, options: []),
             ]),
        Case(name: "dice_boundary_loss", options: [("weight_type", 2), ("lambda_boundary", 1)], parts: [
            Part(name: "generalized_dice_loss", weight: 1, options: [("weight_type", 2)]),
            Part(name: "boundary_loss", weight: 1, options: []),
        ]),
    ]

    struct Family: CustomTestStringConvertible, Sendable {
        var label: String
        var shape: [Int]
        var options: [(String, Double)]
        var probabilities = false
        var ignore = false
        var testDescription: String { label }
    }

    static let families: [Family] = [
        Family(label: "binary logits", shape: [2, 1, 4, 5], options: []),
        Family(label: "binary probabilities", shape: [2, 1, 3, 4], options: [("from_logits", 0)], probabilities: true),
        Family(label: "multilabel no background, sum", shape: [2, 3, 3, 4], options: [("mode", 1), ("include_background", 0), ("reduction", 1)]),
        Family(label: "batch, smoothing 1, skip empty", shape: [3, 2, 3, 3],
               options: [("mode", 1), ("batch", 1), ("smooth_nr", 1), ("smooth_dr", 1), ("empty", 1)]),
        Family(label: "3-D odd sizes", shape: [1, 1, 3, 3, 5], options: []),
        Family(label: "ignore_index 255", shape: [2, 2, 3, 4], options: [("mode", 1), ("ignore_index", 255)], ignore: true),
    ]

    static func problem(_ f: Family, seed: UInt64) -> ([Double], [Double]) {
        var rng = TestRandom(seed: seed)
        let n = f.shape.reduce(1, *)
        let x = f.probabilities ? rng.probs(n) : rng.logits(n)
        var g = rng.bits(n, p: 0.4)
        if f.ignore { g[1] = 255; g[6] = 255; g[n - 2] = 255 }
        return (x, g)
    }

    static func options(_ part: Part, _ f: Family) -> [(String, Double)] {
        let regionOnly: Set<String> = ["smooth_nr", "smooth_dr", "batch", "empty"]
        return part.options + f.options.filter { part.region || !regionOnly.contains($0.0) }
    }

    /// Σ w·part (value and gradient) on a dense target.
    static func sumOfParts(_ c: Case, _ f: Family, _ x: [Double], _ g: [Double]) throws -> (Double, [Double]) {
        var value = 0.0, gradient = [Double](repeating: 0, count: x.count)
        for p in c.parts {
            let r = try run(p.name, options(p, f), x, g, f.shape)
            value += p.weight * r.value
            for i in gradient.indices { gradient[i] += p.weight * r.gradient[i] }
        }
        return (value, gradient)
    }

    /// Every hybrid loss (the arguments of the edge-case suite).
    static var names: [String] { HybridLosses.names }
}
