import Foundation
import Testing
@testable import SemSegLoss

/// Known values, invariants, edge cases and parameter checks of the region family:
/// log-cosh Dice, sensitivity-specificity, generalized Dice, MCC, asymmetric similarity,
/// log Dice. Gradients: RegionFamilyGradientTests.swift; golden file:
/// RegionFamilyGoldenTests.swift.
@Suite("Region family")
struct RegionFamilyTests {
    // Own suites: WassersteinDiceTests (multiclass only), SoftClDiceTests (one pooled value).
    static let losses = RegionFamily.names.filter { !["generalized_wasserstein_dice_loss", "soft_cldice_loss", "soft_dice_cldice_loss"].contains($0) }
    static let p4: [Double] = [0.9, 0.2, 0.7, 0.1], g4: [Double] = [1, 0, 1, 0]
    static let s4 = [1, 1, 2, 2]
    static let probs: [(String, Double)] = [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)]

    // MARK: Known values

    @Test("LOSSES.md §6.13: log-cosh Dice 0.016022 and its gradient")
    func logCoshReference() throws {
        let r = try run("log_cosh_dice_loss", Self.probs, Self.p4, Self.g4, Self.s4)
        #expect(abs(r.value - 0.016022) < 1e-6)
        #expect(maxAbsDiff(r.gradient, [-0.053707, 0.037362, -0.053707, 0.037362]) < 1e-6)
        // From logits: the same value, gradient times p(1 − p).
        let z = Self.p4.map { log($0 / (1 - $0)) }
        let rz = try run("log_cosh_dice_loss", [("smooth_nr", 0), ("smooth_dr", 0)], z, Self.g4, Self.s4)
        #expect(abs(rz.value - r.value) < 1e-12)
        #expect(maxAbsDiff(rz.gradient, zip(r.gradient, Self.p4).map { $0 * $1 * (1 - $1) }) < 1e-12)
    }

    @Test("LOSSES.md §6.13: MCC loss 0.349186 and its gradient (eps = 0)")
    func mccReference() throws {
        let r = try run("mcc_loss", [("from_logits", 0), ("eps", 0)], Self.p4, Self.g4, Self.s4)
        #expect(abs(r.value - 0.349186) < 1e-6)
        #expect(maxAbsDiff(r.gradient, [-0.484315, 0.516937, -0.484315, 0.516937]) < 1e-6)
        // smp's eps = 1e-5 moves it only slightly.
        let smp = try run("mcc_loss", [("from_logits", 0)], Self.p4, Self.g4, Self.s4)
        #expect(abs(smp.value - r.value) < 1e-4)
    }

    /// TP = 1.6, P = 1.9, G = 2 with s = 0: D = 3.2/3.9.
    @Test("log Dice is −ln D; asymmetric similarity with beta = 1 is Dice")
    func diceRelatives() throws {
        let d = 3.2 / 3.9
        let log = try run("log_dice_loss", Self.probs, Self.p4, Self.g4, Self.s4)
        #expect(abs(log.value + Foundation.log(d)) < 1e-12)
        let dice = try run("dice_loss", Self.probs, Self.p4, Self.g4, Self.s4)
        #expect(maxAbsDiff(log.gradient, dice.gradient.map { $0 / d }) < 1e-12, "∂(−ln D) = ∂(1 − D)/D")
        let f1 = try run("asymmetric_similarity_loss", Self.probs + [("beta", 1)], Self.p4, Self.g4, Self.s4)
        #expect(abs(f1.value - dice.value) < 1e-12 && maxAbsDiff(f1.gradient, dice.gradient) < 1e-12)
        // beta = 1.5: w = 2.25/3.25 on FN = 0.4, 1 − w on FP = 0.3:
        // 1 − 1.6/(1.6 + 0.4w + 0.3(1 − w)).
        let w = 2.25 / 3.25
        let f15 = try run("asymmetric_similarity_loss", Self.probs, Self.p4, Self.g4, Self.s4)
        #expect(abs(f15.value - (1 - 1.6 / (1.6 + 0.4 * w + 0.3 * (1 - w)))) < 1e-12)
        let tv = try run("tversky_loss", Self.probs + [("alpha", 1 - w), ("beta", w)], Self.p4, Self.g4, Self.s4)
        #expect(abs(tv.value - f15.value) < 1e-15 && tv.gradient == f15.gradient)
    }

    /// A = Σ(g−p)²g = 0.01 + 0.09 = 0.1, B = 0.04 + 0.01 = 0.05, G = 2, Σ(1−g) = 2, s = 1:
    /// r·0.1/3 + (1 − r)·0.05/3.
    @Test("sensitivity-specificity by hand", arguments: [0.05, 0.1, 0.5])
    func sensitivitySpecificity(_ r: Double) throws {
        let res = try run("sensitivity_specificity_loss", [("from_logits", 0), ("r", r)], Self.p4, Self.g4, Self.s4)
        #expect(abs(res.value - (r * 0.1 / 3 + (1 - r) * 0.05 / 3)) < 1e-12)
        // ∂ℓ/∂p_i = 2(p_i − g_i)(r g_i + (1 − r)(1 − g_i))/3
        let expected = zip(Self.p4, Self.g4).map { p, g in 2 * (p - g) * (r * g + (1 - r) * (1 - g)) / 3 }
        #expect(maxAbsDiff(res.gradient, expected) < 1e-12)
    }

    /// Two classes, one image, 4 voxels; class 0: g = (1,1,1,0), p = (.8,.6,.9,.3):
    /// TP = 2.3, P = 2.6, G = 3; class 1: g = (0,0,0,1), p = (.2,.4,.1,.7): TP = .7, P = 1.4, G = 1.
    static let weightTypes: [(Double, Double, Double)] = [(0, 1 / 9.0, 1), (1, 1 / 3.0, 1), (2, 1, 1)]

    @Test("generalized Dice by hand for each weight type", arguments: weightTypes)
    func generalizedDice(_ code: Double, _ w0: Double, _ w1: Double) throws {
        let p: [Double] = [0.8, 0.6, 0.9, 0.3, 0.2, 0.4, 0.1, 0.7], g: [Double] = [1, 1, 1, 0, 0, 0, 0, 1]
        let r = try run("generalized_dice_loss", Self.probs + [("mode", 1), ("weight_type", code)], p, g, [1, 2, 2, 2])
        let expected = 1 - 2 * (w0 * 2.3 + w1 * 0.7) / (w0 * 5.6 + w1 * 2.4)
        #expect(abs(r.value - expected) < 1e-12)
    }

    @Test("generalized Dice: an empty class takes the largest finite weight; all empty gives weight 1")
    func generalizedDiceEmpty() throws {
        // class 1 empty: w1 = w0 = 1/G0² (the ratio does not depend on the common scale).
        let p: [Double] = [0.8, 0.6, 0.9, 0.3, 0.2, 0.4, 0.1, 0.7], g: [Double] = [1, 1, 1, 0, 0, 0, 0, 0]
        let r = try run("generalized_dice_loss", Self.probs + [("mode", 1)], p, g, [1, 2, 2, 2])
        #expect(abs(r.value - (1 - 2 * 2.3 / (2.6 + 3 + 1.4))) < 1e-12)
        #expect(r.gradient.allSatisfy { $0.isFinite })
        let none = try run("generalized_dice_loss", Self.probs + [("mode", 1)], p, [Double](repeating: 0, count: 8), [1, 2, 2, 2])
        #expect(abs(none.value - 1) < 1e-12, "Dice of an empty target with predictions and s = 0")
        let skip = try run("generalized_dice_loss", [("mode", 1), ("empty", 1), ("from_logits", 0)], p, [Double](repeating: 0, count: 8), [1, 2, 2, 2])
        #expect(skip.value == 0 && skip.gradient.allSatisfy { $0 == 0 })
    }

    // MARK: Invariants

    @Test("penalty generalized Dice is L/(1 + k(1 − L)) of the generalized Dice, per entry; k = 0 is the plain loss")
    func penaltyGeneralizedDice() throws {
        var rng = TestRandom(seed: 31)
        let x = rng.logits(48), g = rng.bits(48), shape = [2, 3, 2, 4]
        let plain = try run("generalized_dice_loss", [("mode", 1), ("reduction", 2)], x, g, shape)
        for k in [0.0, 1.0, 2.5] {
            let r = try run("penalty_generalized_dice_loss", [("mode", 1), ("reduction", 2), ("k", k)], x, g, shape)
            for (a, b) in zip(r.values, plain.values) { #expect(abs(a - b / (1 + k * (1 - b))) < 1e-12) }
        }
        // Default k = 2.5; the gradient of a mean is the GDL gradient scaled per image.
        let mean = try run("penalty_generalized_dice_loss", [("mode", 1)], x, g, shape)
        #expect(abs(mean.value - plain.values.map { $0 / (1 + 2.5 * (1 - $0)) }.reduce(0, +) / 2) < 1e-12)
        // Hand-computed: one image, one class, p = g (L = 0): value 0; p = 1 − g, no smoothing: L = 1.
        let exact = try run("penalty_generalized_dice_loss", [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)],
                            [1, 0, 1, 0], [1, 0, 1, 0], [1, 1, 2, 2])
        #expect(abs(exact.value) < 1e-15)
        let wrong = try run("penalty_generalized_dice_loss", [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)],
                            [0, 1, 0, 1], [1, 0, 1, 0], [1, 1, 2, 2])
        #expect(abs(wrong.value - 1) < 1e-15)
        // p = 0.5 everywhere, G = 2: TP = 1, P = 2, L = 1 − 2·1/(2 + 2) = 1/2; penalty (1/2)/(1 + 2.5/2).
        let half = try run("penalty_generalized_dice_loss", [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)],
                           [0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0], [1, 1, 2, 2])
        #expect(abs(half.value - 0.5 / 2.25) < 1e-12)
    }

    @Test("generalized Dice of one class equals Dice, per image and with batch", arguments: [0.0, 1.0])
    func generalizedDiceOneClass(_ batch: Double) throws {
        var rng = TestRandom(seed: 4)
        let x = rng.logits(24), g = rng.bits(24)
        // Any weight without smoothing (one weight cancels); uniform weights with smoothing.
        for (type, smooth) in [(0.0, 0.0), (1, 0), (2, 0), (2, 1e-5), (2, 1)] {
            let options: [(String, Double)] = [("batch", batch), ("smooth_nr", smooth), ("smooth_dr", smooth)]
            let gd = try run("generalized_dice_loss", options + [("weight_type", type)], x, g, [2, 1, 3, 4])
            let d = try run("dice_loss", options, x, g, [2, 1, 3, 4])
            #expect(abs(gd.value - d.value) < 1e-12 && maxAbsDiff(gd.gradient, d.gradient) < 1e-12, "\(type) \(smooth)")
        }
    }

    @Test("MCC is unchanged when both classes swap (p → 1 − p, g → 1 − g)")
    func mccSymmetry() throws {
        var rng = TestRandom(seed: 9)
        let p = rng.probs(12), g = rng.bits(12)
        let a = try run("mcc_loss", [("from_logits", 0), ("eps", 0)], p, g, [1, 1, 3, 4])
        let b = try run("mcc_loss", [("from_logits", 0), ("eps", 0)], p.map { 1 - $0 }, g.map { 1 - $0 }, [1, 1, 3, 4])
        #expect(abs(a.value - b.value) < 1e-12)
        #expect(maxAbsDiff(a.gradient, b.gradient.map { -$0 }) < 1e-12)
    }

    @Test("log-cosh Dice ≈ x²/2 for a small Dice loss x, and below Dice")
    func logCoshSmall() throws {
        let x: [Double] = [8, -8, 8, -8], g = Self.g4
        let lc = try run("log_cosh_dice_loss", [], x, g, Self.s4), d = try run("dice_loss", [], x, g, Self.s4)
        #expect(abs(lc.value - d.value * d.value / 2) < 1e-9 && lc.value < d.value)
    }

    @Test("values lie in the documented ranges on random inputs", arguments: losses)
    func ranges(_ loss: String) throws {
        var rng = TestRandom(seed: UInt64(loss.count))
        for _ in 0..<5 {
            let r = try run(loss, [("mode", 1), ("reduction", 2)], rng.logits(36), rng.bits(36), [2, 3, 2, 3])
            let upper = loss == "mcc_loss" ? 2.0 : loss == "log_dice_loss" ? -Foundation.log(1e-7) : 1.0
            let lower = loss == "distance_weighted_dice_loss" ? -1.0 : 0.0  // weighted TP can exceed (P + G)/2
            #expect(r.values.allSatisfy { $0 >= lower - 1e-12 && $0 <= upper + 1e-12 }, "\(loss): \(r.values)")
        }
    }

    @Test("mean equals sum over the entries; none has the documented shape", arguments: losses)
    func reductions(_ loss: String) throws {
        var rng = TestRandom(seed: 12)
        let x = rng.logits(36), g = rng.bits(36), shape = [2, 3, 2, 3]
        let mean = try run(loss, [("mode", 1)], x, g, shape)
        let sum = try run(loss, [("mode", 1), ("reduction", 1)], x, g, shape)
        let none = try run(loss, [("mode", 1), ("reduction", 2)], x, g, shape)
        let perImage = loss.hasSuffix("generalized_dice_loss")  // one value per image, classes combined
        let entries = perImage ? 2 : 6
        #expect(none.valuesShape == (perImage ? [2] : [2, 3]))
        #expect(abs(mean.value * Double(entries) - sum.value) < 1e-12)
        #expect(abs(none.values.reduce(0, +) - sum.value) < 1e-12)
        let batched = try run(loss, [("mode", 1), ("reduction", 2), ("batch", 1)], x, g, shape)
        #expect(batched.valuesShape == (perImage ? [1] : [3]))
    }

    @Test("Float agrees with Double", arguments: losses)
    func floatDouble(_ loss: String) throws {
        var rng = TestRandom(seed: 31)
        let x = rng.logits(60), g = rng.bits(60)
        let d = try run(loss, [("mode", 1)], x, g, [2, 2, 3, 5])
        let f = try runFloat(loss, [("mode", 1)], x, g, [2, 2, 3, 5])
        #expect(abs(d.value - f.value) < 1e-5)
        #expect(maxAbsDiff(d.gradient, f.gradient.map(Double.init)) < 1e-5)
    }
}
