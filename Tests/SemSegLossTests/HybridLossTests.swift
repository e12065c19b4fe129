import Foundation
import Testing
@testable import SemSegLoss

/// The compound losses built from whole catalogue losses (`HybridLosses`):
/// generalized_dice_focal_loss, dice_top_k_loss, unet3p_hybrid_loss, basnet_hybrid_loss.
/// Each one equals the weighted sum of its parts called on their own (values and
/// gradients, every mode), its gradient passes central differences in Double, and a few
/// values are worked by hand.
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

    // MARK: The sum of the parts

    @Test("equals the weighted sum of its parts (value and gradient)", arguments: cases, families)
    func sumOfParts(_ c: Case, _ f: Family) throws {
        let (x, g) = Self.problem(f, seed: UInt64(c.name.count * 17 + f.label.count))
        if c.hasSSIM && f.ignore {
            expectError(.option, "ignore_index") { _ = try run(c.name, c.options + f.options, x, g, f.shape) }
            return
        }
        let got = try run(c.name, c.options + f.options, x, g, f.shape)
        let (value, gradient) = try Self.sumOfParts(c, f, x, g)
        #expect(abs(got.value - value) < 1e-12, "\(got.value) vs \(value)")
        #expect(maxAbsDiff(got.gradient, gradient) < 1e-12)
    }

    @Test("multiclass label maps: the sum of the parts, and label map = one-hot", arguments: cases)
    func multiclass(_ c: Case) throws {
        var rng = TestRandom(seed: 9)
        let shape = [2, 3, 3, 4]
        let x = rng.logits(72), labels = rng.labels(24, classes: 3)
        for extra: [(String, Double)] in [[], [("include_background", 0)], [("reduction", 1)]] {
            let options = [("mode", 2.0)] + extra
            let got = try runLabels(c.name, c.options + options, x, labels, shape)
            var value = 0.0, gradient = [Double](repeating: 0, count: x.count)
            for p in c.parts {
                let r = try runLabels(p.name, p.options + options, x, labels, shape)
                value += p.weight * r.value
                for i in gradient.indices { gradient[i] += p.weight * r.gradient[i] }
            }
            #expect(abs(got.value - value) < 1e-12 && maxAbsDiff(got.gradient, gradient) < 1e-12, "\(extra)")
            let dense = try run(c.name, c.options + options, x, oneHot(labels, classes: 3, spatial: 12), shape)
            #expect(abs(got.value - dense.value) < 1e-12 && maxAbsDiff(got.gradient, dense.gradient) < 1e-12, "\(extra)")
        }
    }

    // MARK: Gradients

    @Test("gradient matches central differences (Double)", arguments: cases, families)
    func gradient(_ c: Case, _ f: Family) throws {
        guard !(c.hasSSIM && f.ignore) else { return }
        let (x, g) = Self.problem(f, seed: UInt64(c.name.count * 13 + f.label.count))
        let err = try finiteDifferenceError(c.name, c.options + f.options, x, g, f.shape)
        #expect(err < 1e-6, "\(c.testDescription) / \(f.label): \(err)")
    }

    @Test("multiclass gradient matches central differences (labels, ignore_index)", arguments: cases)
    func gradientMulticlass(_ c: Case) throws {
        var rng = TestRandom(seed: 21)
        let shape = [2, 3, 3, 4]
        let x = rng.logits(72)
        var labels = rng.labels(24, classes: 3)
        let e1 = try finiteDifferenceErrorLabels(c.name, c.options + [("mode", 2)], x, labels, shape)
        #expect(e1 < 1e-6, "\(c.testDescription): \(e1)")
        guard !c.hasSSIM else { return }
        labels[3] = 255
        labels[17] = 255
        let e2 = try finiteDifferenceErrorLabels(c.name, c.options + [("mode", 2), ("ignore_index", 255)], x, labels, shape)
        #expect(e2 < 1e-6, "\(c.testDescription) ignore: \(e2)")
    }

    // MARK: Known values, worked by hand

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

    // MARK: Edge cases

    static var names: [String] { HybridLosses.names }

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

    // MARK: Dice + Hausdorff-DT (weight held at L_HD/L_Dice)

    /// The value is λ·Dice + HD with λ = HD/Dice, i.e. 2·HD, and the gradient that of
    /// λ·Dice + HD with λ held constant: checked against the parts and by central
    /// differences of that objective, in every mode.
    @Test("dice_hausdorff_dt_loss: value 2·HD, gradient (HD/Dice)·∇Dice + ∇HD", arguments: families)
    func diceHausdorff(_ f: Family) throws {
        let (x, g) = Self.problem(f, seed: UInt64(f.label.count + 3))
        let common = f.options.filter { !["batch", "smooth_nr", "smooth_dr", "empty"].contains($0.0) }
        let regionOnly = f.options.filter { ["batch", "smooth_nr", "smooth_dr", "empty"].contains($0.0) }
        let got = try run("dice_hausdorff_dt_loss", f.options + [("alpha", 1.5)], x, g, f.shape)
        let dice = try run("dice_loss", common + regionOnly, x, g, f.shape)
        let hd = try run("hausdorff_dt_loss", common + [("alpha", 1.5)], x, g, f.shape)
        let lambda = dice.value != 0 ? hd.value / dice.value : 0
        #expect(abs(got.value - (lambda * dice.value + hd.value)) < 1e-12)
        let want = zip(dice.gradient, hd.gradient).map { lambda * $0 + $1 }
        #expect(maxAbsDiff(got.gradient, want) < 1e-12)
        let err = try finiteDifferenceError(x, gradOutput: nil, h: 1e-6) { xs, _ in
            let d = try run("dice_loss", common + regionOnly, xs, g, f.shape)
            let h = try run("hausdorff_dt_loss", common + [("alpha", 1.5)], xs, g, f.shape)
            return LossResult(value: lambda * d.value + h.value, gradient: got.gradient, values: [], valuesShape: [])
        }
        #expect(err < 1e-6, "\(f.label): \(err)")
    }

    @Test("dice_hausdorff_dt_loss with labels (multiclass) and a zero Dice")
    func diceHausdorffEdges() throws {
        var rng = TestRandom(seed: 8)
        let x = rng.logits(72), labels = rng.labels(24, classes: 3)
        let got = try runLabels("dice_hausdorff_dt_loss", [("mode", 2)], x, labels, [2, 3, 3, 4])
        let hd = try runLabels("hausdorff_dt_loss", [("mode", 2)], x, labels, [2, 3, 3, 4])
        #expect(abs(got.value - 2 * hd.value) < 1e-12)
        // A perfect probability prediction: Dice 0, the weight is 0 and so is the loss.
        let perfect = try run("dice_hausdorff_dt_loss", [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)],
                              [1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 2, 2])
        #expect(perfect.value == 0 && perfect.gradient.allSatisfy(\.isFinite))
    }
}
