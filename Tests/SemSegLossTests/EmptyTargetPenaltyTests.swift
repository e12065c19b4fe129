import Foundation
import Testing
@testable import SemSegLoss

/// `EmptyTargetPolicy.penalizeFalsePositives` (`empty="penalize_fp"`): an entry whose
/// target is empty counts with ℓ = P/(P + 1), whatever the loss's formula; entries with a
/// target are unchanged.
@Suite("empty targets: the false-positive penalty P/(P + 1)")
struct EmptyTargetPenaltyTests {
    static let penalize: (String, Double) = ("empty", Double(EmptyTargetPolicy.penalizeFalsePositives.rawValue))
    static let probabilities: (String, Double) = ("from_logits", 0)

    /// Every loss that takes `empty` through the region evaluators (the Swift catalogue names).
    static let losses = [
        "dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "log_cosh_dice_loss", "mcc_loss",
        "asymmetric_similarity_loss", "log_dice_loss", "generalized_dice_loss", "penalty_generalized_dice_loss",
        "distance_weighted_dice_loss", "asymmetric_focal_tversky_loss", "symmetric_focal_tversky_loss",
    ]

    @Test("hand-computed: p = (½, ½, 0, 0) on an empty target gives ½, gradient ¼ per voxel", arguments: losses)
    func handValue(_ loss: String) throws {
        // P = 1: ℓ = 1/2, ∂ℓ/∂p_i = ∂ℓ/∂P = 1/(1 + 1)² = 1/4 on every voxel.
        let r = try run(loss, [Self.penalize, Self.probabilities], [0.5, 0.5, 0, 0], [0, 0, 0, 0], [1, 1, 2, 2])
        #expect(abs(r.value - 0.5) < 1e-12, "\(loss): \(r.value)")
        #expect(r.gradient.allSatisfy { abs($0 - 0.25) < 1e-12 }, "\(loss): \(r.gradient)")
        // An empty prediction on an empty target costs nothing.
        let zero = try run(loss, [Self.penalize, Self.probabilities], [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 2, 2])
        #expect(zero.value == 0 && zero.gradient.allSatisfy { abs($0 - 1) < 1e-12 }, "\(loss): \(zero)")
    }

    @Test("squared_pred: P = Σ p², so ∂ℓ/∂p_i = 2p_i/(P + 1)²")
    func squaredPrediction() throws {
        // P = 0.25 + 0.25 = 0.5: ℓ = 1/3, ∂ℓ/∂p_1 = 2·0.5/1.5² = 4/9.
        let r = try run("dice_loss", [Self.penalize, Self.probabilities, ("squared_pred", 1)],
                        [0.5, 0.5, 0, 0], [0, 0, 0, 0], [1, 1, 2, 2])
        #expect(abs(r.value - 1.0 / 3) < 1e-12)
        let expected = [4.0 / 9, 4.0 / 9, 0, 0]
        #expect(maxAbsDiff(r.gradient, expected) < 1e-12, "\(r.gradient)")
    }

    @Test("entries with a target keep the loss's formula; reduction none mixes both")
    func mixedEntries() throws {
        var rng = TestRandom(seed: 71)
        let x = rng.logits(2 * 3 * 16, scale: 2)
        var g = rng.bits(2 * 3 * 16)
        for i in 16..<32 { g[i] = 0 }  // image 0, class 1 empty
        let shape = [2, 3, 4, 4]
        for loss in ["dice_loss", "tversky_loss", "mcc_loss", "log_dice_loss"] {
            let smooth = try run(loss, [("mode", 1), ("reduction", 2)], x, g, shape)
            let penal = try run(loss, [("mode", 1), ("reduction", 2), Self.penalize], x, g, shape)
            for e in 0..<6 where e != 1 { #expect(smooth.values[e] == penal.values[e], "\(loss) entry \(e)") }
            let p = (16..<32).reduce(0.0) { $0 + 1 / (1 + exp(-x[$1])) }
            #expect(abs(penal.values[1] - p / (p + 1)) < 1e-12, "\(loss): \(penal.values[1]) vs \(p / (p + 1))")
        }
    }

    static let gradientCases: [(String, [Int], [(String, Double)])] = [
        ("dice_loss", [2, 1, 3, 5], []),
        ("jaccard_loss", [2, 2, 3, 3], [("mode", 1), ("reduction", 1)]),
        ("tversky_loss", [3, 1, 4, 4], [("batch", 0), ("ignore_index", 255)]),
        ("focal_tversky_loss", [2, 1, 3, 4], []),
        ("log_cosh_dice_loss", [2, 1, 2, 2, 3], []),
        ("mcc_loss", [2, 2, 3, 3], [("mode", 1)]),
        ("log_dice_loss", [2, 1, 3, 3], [("squared_pred", 1)]),
        ("generalized_dice_loss", [2, 3, 3, 3], [("mode", 1), ("include_background", 0)]),
        ("generalized_dice_loss", [2, 1, 3, 3], []),
        ("distance_weighted_dice_loss", [2, 1, 4, 4], []),
        ("dice_bce_loss", [2, 1, 4, 4], []),
        ("exp_log_loss", [2, 1, 3, 4], []),
        ("unified_focal_loss", [2, 1, 3, 4], []),
    ]

    @Test("gradient matches central differences (Double), an empty entry in the batch",
          arguments: 0..<gradientCases.count)
    func gradient(_ k: Int) throws {
        let (loss, shape, extra) = Self.gradientCases[k]
        var rng = TestRandom(seed: UInt64(80 + k))
        let count = shape.reduce(1, *), plane = shape[2...].reduce(1, *)
        let x = rng.logits(count, scale: 1.5)
        var g = rng.bits(count)
        // Image 0 has an empty target in every channel, the rest random.
        for i in 0..<(shape[1] * plane) { g[i] = 0 }
        if extra.contains(where: { $0.0 == "ignore_index" }) { g[count - 1] = 255; g[count - 3] = 255 }
        let options = extra + [Self.penalize]
        let err = try finiteDifferenceError(loss, options, x, g, shape)
        #expect(err < 1e-6, "\(loss) \(extra): \(err)")
        // The penalty changes the loss (image 0 is no longer charged ~1 with ~0 gradient).
        let smooth = try run(loss, extra, x, g, shape), penal = try run(loss, options, x, g, shape)
        #expect(smooth.value != penal.value, "\(loss)")
        #expect(penal.value.isFinite && penal.gradient.allSatisfy(\.isFinite))
    }

    @Test("multiclass label maps: an absent class is charged P/(P + 1) through the softmax")
    func multiclassLabels() throws {
        var rng = TestRandom(seed: 91)
        let x = rng.logits(2 * 3 * 12, scale: 2)
        var labels = rng.labels(24, classes: 3)
        for i in 0..<24 where labels[i] == 2 { labels[i] = 0 }  // class 2 absent everywhere
        let options: [(String, Double)] = [("mode", 2), Self.penalize, ("reduction", 2)]
        let r = try runLabels("dice_loss", options, x, labels, [2, 3, 3, 4])
        for n in 0..<2 {
            var p = 0.0
            for i in 0..<12 {
                let z = (0..<3).map { x[(n * 3 + $0) * 12 + i] }, m = z.max()!
                let e = z.map { exp($0 - m) }
                p += e[2] / e.reduce(0, +)
            }
            #expect(abs(r.values[n * 3 + 2] - p / (p + 1)) < 1e-12)
        }
        let err = try finiteDifferenceErrorLabels("dice_loss", [("mode", 2), Self.penalize], x, labels, [2, 3, 3, 4])
        #expect(err < 1e-6, "\(err)")
    }

    @Test("edge cases: logits ±30, 1x1, all ignored, Float")
    func edges() throws {
        let x = (0..<15).map { i in i % 2 == 0 ? 30.0 : -30.0 }
        let r = try run("dice_loss", [Self.penalize], x, [Double](repeating: 0, count: 15), [1, 1, 3, 5])
        // P = 8·σ(30) + 7·σ(−30) ≈ 8: ℓ ≈ 8/9, every gradient finite.
        #expect(abs(r.value - 8.0 / 9) < 1e-9 && r.gradient.allSatisfy(\.isFinite))
        let one = try run("jaccard_loss", [Self.penalize, Self.probabilities], [0.25], [0], [1, 1, 1, 1])
        #expect(abs(one.value - 0.2) < 1e-12 && abs(one.gradient[0] - 0.64) < 1e-12)
        let ignored = try run("dice_loss", [Self.penalize, ("ignore_index", 255)], [1, 2, 3, 4], [255, 255, 255, 255], [1, 1, 2, 2])
        #expect(ignored.value == 0 && ignored.gradient.allSatisfy { $0 == 0 })
        let f = try runFloat("tversky_loss", [Self.penalize], x, [Double](repeating: 0, count: 15), [1, 1, 3, 5])
        #expect(abs(f.value - r.value) < 1e-6)
    }

    @Test("sensitivity_specificity_loss refuses it, naming empty")
    func sensitivityRefuses() {
        do {
            _ = try run("sensitivity_specificity_loss", [Self.penalize], [1, 2], [0, 1], [1, 1, 1, 2])
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("empty") && "\(error)".contains("penalize_fp"), "\(error)")
        }
        do {
            _ = try run("dice_loss", [("empty", 3)], [1, 2], [0, 1], [1, 1, 1, 2])
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("penalize_fp"), "the message lists the codes: \(error)")
        }
    }
}
