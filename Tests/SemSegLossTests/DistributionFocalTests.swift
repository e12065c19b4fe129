import Foundation
import Testing
@testable import SemSegLoss

/// focal_loss in multiclass mode: the softmax (categorical) focal loss.
@Suite("Softmax focal loss")
struct DistributionFocalTests {
    static let mc: (String, Double) = ("mode", 2)

    static let families: [DistributionFamilyCase] = [
        .init(label: "labels gamma 2 alpha 0.25", options: [mc]),
        .init(label: "one-hot", options: [mc, ("gamma", 3.3)], target: .oneHot),
        .init(label: "soft targets", options: [mc, ("alpha", 0.6)], target: .soft),
        .init(label: "ignore_index labels", options: [mc, ("ignore_index", 255)]),
        .init(label: "ignore_index dense", options: [mc, ("ignore_index", 255), ("gamma", 1)], target: .oneHot),
        .init(label: "gamma 0.5 no alpha", options: [mc, ("gamma", 0.5), ("alpha_weighting", 0)]),
        .init(label: "no background sum", options: [mc, ("include_background", 0), ("reduction", 1)]),
        .init(label: "reduction none", options: [mc, ("reduction", 2), ("ignore_index", 255)]),
        .init(label: "probabilities", options: [mc, ("from_logits", 0)], target: .soft),
        .init(label: "probabilities labels gamma 0.5", options: [mc, ("from_logits", 0), ("gamma", 0.5)]),
        .init(label: "3-D", options: [mc, ("ignore_index", 255)], shape: [2, 3, 2, 2, 3]),
        .init(label: "4 classes 1x1 none", options: [mc, ("reduction", 2)], shape: [1, 4, 1, 1]),
    ]

    @Test("gradient matches central differences", arguments: families)
    func gradient(_ f: DistributionFamilyCase) throws {
        let err = try distributionGradientError("focal_loss", f, seed: UInt64(f.label.count + 7))
        #expect(err < 1e-6, "\(f.label): \(err)")
    }

    // By hand: logits (0, 0), label 1: p = 0.5, α_1 = 0.25, (1 − p)² = 0.25, −log p = log 2:
    // ℓ = 0.0625·log 2 = 0.0433216988; as the sigmoid focal at z = 0, g = 1.
    @Test("known value by hand")
    func knownValue() throws {
        let r = try runLabels("focal_loss", [Self.mc], [0, 0], [1], [1, 2, 1])
        #expect(abs(r.value - 0.0625 * log(2.0)) < 1e-12)
    }

    @Test("two classes equal the sigmoid focal loss on the logit difference", arguments: [0.0, 0.5, 2.0, 3.3])
    func twoClassesAreSigmoidFocal(_ gamma: Double) throws {
        var rng = TestRandom(seed: 4)
        let z = rng.logits(8), g = rng.probs(8)
        for alpha: Double? in [nil, 0.25, 0.8] {
            let a: [(String, Double)] = alpha.map { [("alpha", $0)] } ?? [("alpha_weighting", 0)]
            let sigmoid = try run("focal_loss", a + [("gamma", gamma)], z, g, [1, 1, 8])
            let x = [Double](repeating: 0, count: 8) + z, t = g.map { 1 - $0 } + g
            let softmax = try run("focal_loss", a + [("gamma", gamma), Self.mc], x, t, [1, 2, 8])
            #expect(abs(softmax.value - sigmoid.value) < 1e-12)
            #expect(maxAbsDiff(Array(softmax.gradient[8...]), sigmoid.gradient) < 1e-12)
            #expect(maxAbsDiff(Array(softmax.gradient[..<8]), sigmoid.gradient.map { -$0 }) < 1e-12)
        }
    }

    @Test("gamma 0 without alpha is the cross-entropy")
    func gammaZeroIsCrossEntropy() throws {
        var rng = TestRandom(seed: 6)
        let x = rng.logits(60), labels = rng.labels(20, classes: 3)
        for extra: [(String, Double)] in [[], [("reduction", 2)], [("include_background", 0), ("reduction", 1)]] {
            let ce = try runLabels("cross_entropy_loss", [Self.mc] + extra, x, labels, [2, 3, 10])
            let fl = try runLabels("focal_loss", [Self.mc, ("gamma", 0), ("alpha_weighting", 0)] + extra, x, labels, [2, 3, 10])
            #expect(abs(ce.value - fl.value) < 1e-12)
            #expect(maxAbsDiff(ce.gradient, fl.gradient) < 1e-12 && maxAbsDiff(ce.values, fl.values) < 1e-12)
        }
    }

    @Test("perfect predictions: finite gradients for gamma < 1, zero loss at p = 1")
    func perfect() throws {
        for gamma in [0.25, 0.5, 2.0] {
            let x: [Double] = [60, -60, -60, 60]  // p_t ≈ 1 for both voxels
            let r = try runLabels("focal_loss", [Self.mc, ("gamma", gamma)], x, [0, 1], [1, 2, 2])
            #expect(r.value >= 0 && r.value < 1e-20 && r.gradient.allSatisfy(\.isFinite))
            let p = try runLabels("focal_loss", [Self.mc, ("gamma", gamma), ("from_logits", 0)], [1, 0, 0, 1], [0, 1], [1, 2, 2])
            #expect(p.value.isFinite && p.gradient.allSatisfy(\.isFinite))
        }
    }

    @Test("reduction none has shape (N, *spatial) and sums to the sum reduction")
    func shapes() throws {
        let loss = try LossCatalog.make("focal_loss", options: [Self.mc, ("reduction", 2)])
        #expect(loss.outputShape(input: try TensorShape([2, 3, 4, 5])) == [2, 4, 5])
        var rng = TestRandom(seed: 2)
        let x = rng.logits(36), labels = rng.labels(12, classes: 3)
        let none = try runLabels("focal_loss", [Self.mc, ("reduction", 2)], x, labels, [2, 3, 6])
        let sum = try runLabels("focal_loss", [Self.mc, ("reduction", 1)], x, labels, [2, 3, 6])
        #expect(none.values.count == 12 && abs(none.values.reduce(0, +) - sum.value) < 1e-12)
    }

    @Test("bad parameters throw naming the argument")
    func badParameters() throws {
        func arg(_ options: [(String, Double)]) -> String? {
            thrownError { _ = try runLabels("focal_loss", options, [0, 1, 2, 3], [0, 1], [1, 2, 2]) }?.argument
        }
        #expect(arg([Self.mc, ("gamma", -1)]) == "gamma")
        #expect(arg([Self.mc, ("alpha", 1.5)]) == "alpha")
        #expect(arg([Self.mc, ("weight.0", 1), ("weight.1", 1)]) == "weight")  // not an option of focal_loss
        #expect(thrownError { _ = try runLabels("focal_loss", [Self.mc], [0, 1, 2, 3], [0, 7], [1, 2, 2]) }?.argument == "target")
    }
}
