import Foundation
import Testing
@testable import SemSegLoss

/// Edge cases and bad parameters of the region family.
@Suite("Region family edge cases")
struct RegionFamilyEdgeTests {
    // Own suites: WassersteinDiceTests (multiclass only), SoftClDiceTests (one pooled value).
    static let losses = RegionFamily.names.filter { !["generalized_wasserstein_dice_loss", "soft_cldice_loss", "soft_dice_cldice_loss"].contains($0) }

    @Test("empty and full masks: finite values and gradients, perfect predictions near 0", arguments: losses)
    func masks(_ loss: String) throws {
        for (x, g) in [([-30.0, -30, -30, -30], [0.0, 0, 0, 0]), ([30.0, 30, 30, 30], [1.0, 1, 1, 1]),
                       ([30.0, -30, 30, -30], [1.0, 0, 1, 0]), ([-30.0, 30, -30, 30], [1.0, 0, 1, 0])] {
            let r = try run(loss, [], x, g, [1, 1, 2, 2])
            #expect(r.value.isFinite && r.gradient.allSatisfy { $0.isFinite }, "\(loss) \(g)")
        }
        // Perfect predictions: ~0, except MCC's eps artefact on an empty or full target
        // (documented: M → 1/2) and the sensitivity-specificity's exact 0.
        // Distance-weighted Dice: both object voxels lie on the boundary (w = 2), so a
        // perfect prediction scores 1 − 2 = −1 (documented; SegLoss's value).
        let perfect = try run(loss, [], [30, -30, 30, -30], [1, 0, 1, 0], [1, 1, 2, 2])
        let floor = loss == "distance_weighted_dice_loss" ? -1.0 : 0.0
        #expect(perfect.value - floor < 1e-4 && perfect.value >= floor - 1e-12, "\(loss): \(perfect.value)")
        let full = try run(loss, [], [30, 30, 30, 30], [1, 1, 1, 1], [1, 1, 2, 2])
        #expect(loss == "mcc_loss" ? abs(full.value - 0.5) < 1e-4 : full.value < 1e-4, "\(loss): \(full.value)")
    }

    @Test("MCC: skipping empty targets removes the eps artefact; eps = 0 degenerate entries give 1")
    func mccEmpty() throws {
        let x: [Double] = [-30, -30, -30, -30, 30, -30, 30, -30], g: [Double] = [0, 0, 0, 0, 1, 0, 1, 0]
        let skip = try run("mcc_loss", [("empty", 1)], x, g, [2, 1, 2, 2])
        #expect(skip.value < 1e-4 && skip.gradient[0..<4].allSatisfy { $0 == 0 })
        let degenerate = try run("mcc_loss", [("eps", 0), ("from_logits", 0)], [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 2, 2])
        #expect(degenerate.value == 1 && degenerate.gradient.allSatisfy { $0 == 0 })
    }

    @Test("all voxels ignored: loss 0, zero gradient", arguments: losses)
    func allIgnored(_ loss: String) throws {
        let r = try run(loss, [("ignore_index", 255)], [0.3, -1, 2, 0.5], [255, 255, 255, 255], [1, 1, 2, 2])
        #expect(r.value == 0 && r.gradient.allSatisfy { $0 == 0 })
        let labels = try runLabels(loss, [("mode", 2), ("ignore_index", -1)], [0.3, -1, 2, 0.5, 1, 0, 0, 1], [-1, -1, -1, -1], [1, 2, 2, 2])
        #expect(labels.value == 0 && labels.gradient.allSatisfy { $0 == 0 })
    }

    // Not distance-weighted Dice: its weights depend on where voxels lie (DistanceWeightedDiceTests).
    @Test("ignored voxels equal dropping them", arguments: losses.filter { $0 != "distance_weighted_dice_loss" })
    func ignoredEqualsDropped(_ loss: String) throws {
        var rng = TestRandom(seed: 77)
        let x = rng.logits(12), g = rng.bits(12)
        var gi = g
        gi[2] = 255
        gi[7] = 255
        let r = try run(loss, [("ignore_index", 255)], x, gi, [1, 1, 3, 4])
        let keep = (0..<12).filter { $0 != 2 && $0 != 7 }
        let d = try run(loss, [], keep.map { x[$0] }, keep.map { g[$0] }, [1, 1, 1, 10])
        #expect(abs(r.value - d.value) < 1e-12)
        #expect(r.gradient[2] == 0 && r.gradient[7] == 0)
        #expect(maxAbsDiff(keep.map { r.gradient[$0] }, d.gradient) < 1e-12)
    }

    @Test("1x1 images, odd sizes, 3-D", arguments: losses)
    func sizes(_ loss: String) throws {
        var rng = TestRandom(seed: 5)
        for shape in [[1, 1, 1, 1], [3, 1, 3, 5], [1, 2, 3, 1, 5], [2, 3, 1, 1, 1]] {
            let n = shape.reduce(1, *)
            let r = try run(loss, [("mode", shape[1] == 1 ? 0 : 1)], rng.logits(n), rng.bits(n), shape)
            #expect(r.value.isFinite && r.gradient.allSatisfy { $0.isFinite }, "\(loss) \(shape)")
        }
    }

    @Test("large chunked rows agree with the single-thread sums", arguments: losses)
    func largeRows(_ loss: String) throws {
        var rng = TestRandom(seed: 8)
        let shape = [2, 2, 160, 150], n = shape.reduce(1, *)
        let x = rng.logits(n), g = rng.bits(n, p: 0.3)
        let a = try run(loss, [("mode", 1)], x, g, shape), b = try run(loss, [("mode", 1)], x, g, shape)
        #expect(a.value == b.value && a.gradient == b.gradient, "deterministic")
        let f = try runFloat(loss, [("mode", 1)], x, g, shape)
        #expect(abs(f.value - a.value) < 1e-4)
    }

    // MARK: Bad input

    @Test("bad parameters throw naming the argument")
    func badParameters() throws {
        let x: [Double] = [0.2, 0.4, 0.6, 0.8], g: [Double] = [0, 1, 1, 0], s = [1, 1, 2, 2]
        let cases: [(String, [(String, Double)], String)] = [
            ("sensitivity_specificity_loss", [("r", 1.5)], "r"),
            ("sensitivity_specificity_loss", [("r", .infinity)], "r"),
            ("sensitivity_specificity_loss", [("smooth_dr", -1)], "smooth_dr"),
            ("sensitivity_specificity_loss", [("smooth_nr", 1)], "smooth_nr"),
            ("generalized_dice_loss", [("weight_type", 3)], "weight_type"),
            ("generalized_dice_loss", [("smooth_nr", -1)], "smooth_nr"),
            ("generalized_dice_loss", [("k", 1)], "k"),  // k belongs to the penalty form only
            ("penalty_generalized_dice_loss", [("k", -1)], "k"),
            ("penalty_generalized_dice_loss", [("k", .infinity)], "k"),
            ("mcc_loss", [("eps", -1)], "eps"),
            ("mcc_loss", [("eps", .infinity)], "eps"),
            ("mcc_loss", [("smooth_dr", 1)], "smooth_dr"),
            ("asymmetric_similarity_loss", [("beta", -0.5)], "beta"),
            ("asymmetric_similarity_loss", [("beta", .infinity)], "beta"),
            ("log_dice_loss", [("eps", 2)], "eps"),
            ("log_dice_loss", [("eps", 0), ("smooth_nr", 0)], "eps"),
            ("log_cosh_dice_loss", [("smooth_dr", .nan)], "smooth_dr"),
            ("log_cosh_dice_loss", [("empty", 5)], "empty"),
        ]
        for (loss, options, argument) in cases {
            let e = thrownError { _ = try run(loss, options, x, g, s) }
            #expect(e?.argument == argument, "\(loss) \(options): \(String(describing: e))")
        }
    }

    @Test("bad inputs and targets are rejected naming the argument", arguments: losses)
    func badInputs(_ loss: String) throws {
        let s = [1, 1, 2, 2]
        #expect(thrownError { _ = try run(loss, [], [0, .nan, 0, 0], [0, 1, 1, 0], s) }?.argument == "input")
        #expect(thrownError { _ = try run(loss, [("from_logits", 0)], [0, 1.5, 0, 0], [0, 1, 1, 0], s) }?.argument == "input")
        #expect(thrownError { _ = try run(loss, [], [0, 0, 0, 0], [0, 2, 1, 0], s) }?.argument == "target")
        #expect(thrownError { _ = try run(loss, [], [0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 1, 1, 0], [1, 2, 2, 2]) }?.argument == "input")
        #expect(thrownError { _ = try runLabels(loss, [("mode", 1)], [0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 1, 0], [1, 2, 2, 2]) }?.argument == "target")
        #expect(thrownError { _ = try runLabels(loss, [("mode", 2)], [0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 0], [1, 2, 2, 2]) }?.argument == "target")
        let go = thrownError { _ = try run(loss, [("reduction", 2)], [0, 0, 0, 0], [0, 1, 1, 0], s, gradOutput: [.nan]) }
        #expect(go?.argument == "grad_output")
    }
}
