import Foundation
import Testing
@testable import SemSegLoss

extension HybridLossTests {
    /// Empty and full masks, saturated logits, a single voxel, a perfect prediction,
    /// every voxel ignored, and bad options that must name the argument.
    @Suite("edge cases and bad options")
    struct EdgeCaseTests {
        @Test("empty and full masks, 1x1, logits of ±30: finite, Float agrees with Double", arguments: names)
        func edges(_ name: String) throws {
            let win: [(String, Double)] = name.contains("hybrid") ? [("win_size", 1)] : []
            let boundary = name == "dice_boundary_loss"  // negative by design
            for g in [[0.0, 0, 0, 0, 0, 0], [1.0, 1, 1, 1, 1, 1]] {
                for x in [[30.0, -30, 30, -30, 30, -30], [-30.0, -30, -30, -30, -30, -30], [0.3, -1, 2, 0, -0.5, 1]] {
                    let r = try run(name, win, x, g, [1, 1, 2, 3])
                    #expect(r.value.isFinite && (r.value >= 0 || boundary) && r.gradient.allSatisfy(\.isFinite), "\(name) g=\(g[0]) x=\(x[0])")
                    let f = try runFloat(name, win, x, g, [1, 1, 2, 3])
                    #expect(abs(Double(f.value) - r.value) < 1e-5 * max(1, r.value), "\(name): \(f.value) vs \(r.value)")
                }
            }
            let one = try run(name, win, [0.7], [1], [1, 1, 1, 1])
            #expect(one.value.isFinite && one.gradient.count == 1 && one.gradient[0].isFinite && one.gradient[0] <= 0)
            // A perfect prediction with probabilities: every part is (near) 0, except the
            // boundary part, Σ_{i∈G} φ_i/n = 0 here (every target voxel is on the boundary).
            let perfect = try run(name, win + [("from_logits", 0)], [1, 0, 1, 0], [1, 0, 1, 0], [1, 1, 2, 2])
            #expect(abs(perfect.value) < 1e-4, "\(name): \(perfect.value)")
        }

        @Test("all voxels ignored: 0 with zero gradient; the SSIM hybrids refuse ignore_index", arguments: names)
        func allIgnored(_ name: String) throws {
            let options: [(String, Double)] = [("mode", 1), ("ignore_index", 255)]
            if name.contains("hybrid") {
                expectError(.option, "ignore_index") { _ = try run(name, options, [0.1, 0.2, 0.3, 0.4], [255, 255, 255, 255], [1, 1, 2, 2]) }
                return
            }
            let r = try run(name, options, [0.1, 0.2, 0.3, 0.4], [255, 255, 255, 255], [1, 1, 2, 2])
            #expect(r.value == 0 && r.gradient.allSatisfy { $0 == 0 })
        }

        @Test("bad options name the argument", arguments: names)
        func badOptions(_ name: String) throws {
            let x = [0.1, 0.2, 0.3, 0.4], g = [1.0, 0, 1, 0], shape = [1, 1, 2, 2]
            let win: [(String, Double)] = name.contains("hybrid") ? [("win_size", 1)] : []
            expectError(.option, "reduction") { _ = try run(name, win + [("reduction", 2)], x, g, shape) }
            let lambdas = ["generalized_dice_focal_loss": ["lambda_gdl", "lambda_focal"], "dice_top_k_loss": ["lambda_dice", "lambda_top_k"],
                           "unet3p_hybrid_loss": ["lambda_focal", "lambda_ssim", "lambda_jaccard"],
                           "basnet_hybrid_loss": ["lambda_ce", "lambda_ssim", "lambda_jaccard"],
                           "dice_boundary_loss": ["lambda_dice", "lambda_boundary"], "dice_hausdorff_dt_loss": []][name]!
            for lambda in lambdas {
                expectError(.value, lambda) { _ = try run(name, win + [(lambda, -1)], x, g, shape) }
                expectError(.value, lambda) { _ = try run(name, win + [(lambda, .nan)], x, g, shape) }
            }
            expectError(.option, "lambda_bce") { _ = try run(name, win + [("lambda_bce", 1)], x, g, shape) }
            if name.contains("hybrid") {
                expectError(.value, "win_size") { _ = try run(name, [("win_size", 2)], x, g, shape) }
                expectError(.shape, "input") { _ = try run(name, [], x, g, shape) }  // 2x2 < window 11
            }
            if name == "dice_boundary_loss" {
                expectError(.option, "weight_type") { _ = try run(name, [("generalized", 0), ("weight_type", 1)], x, g, shape) }
            }
            if name == "dice_hausdorff_dt_loss" {
                expectError(.value, "alpha") { _ = try run(name, [("alpha", 0)], x, g, shape) }
            }
        }
    }
}
