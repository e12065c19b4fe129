import Foundation
import Testing
@testable import SemSegLoss

/// poly_loss (Poly-1): values by hand, ε = 0 is the cross-entropy, finite differences in
/// every mode, edges and bad options.
@Suite("Poly-1 loss")
struct PolyLossTests {
    static let name = "poly_loss"

    /// z = (0, 0), label 1: CE = ln 2, p_t = ½: ℓ = ln 2 + ε/2. Gradient: p − g = (½, −½)
    /// plus −ε·p_k(g_k − p_t) = (¼, −¼)·ε.
    @Test("values and gradients by hand, multiclass and binary")
    func byHand() throws {
        for eps in [1.0, 2.0, -1.0] {
            let r = try runLabels(Self.name, [("mode", 2), ("epsilon", eps)], [0, 0], [1], [1, 2, 1])
            #expect(abs(r.value - (log(2) + eps / 2)) < 1e-12)
            #expect(maxAbsDiff(r.gradient, [0.5 + 0.25 * eps, -0.5 - 0.25 * eps]) < 1e-12)
            // binary z = 0, g = 1: BCE ln 2, 1 − p_t = ½; ∂/∂z = (p − g) + ε(1 − 2g)p(1 − p) = −½ − ε/4
            let b = try run(Self.name, [("mode", 0), ("epsilon", eps)], [0], [1], [1, 1, 1])
            #expect(abs(b.value - (log(2) + eps / 2)) < 1e-12)
            #expect(abs(b.gradient[0] - (-0.5 - eps / 4)) < 1e-12)
        }
    }

    @Test("epsilon = 0 is the cross-entropy, in every mode and with its options")
    func epsilonZero() throws {
        var rng = TestRandom(seed: 2)
        let x = rng.logits(60), labels = rng.labels(20, classes: 3), bits = rng.bits(60)
        for options: [(String, Double)] in [[], [("weight.0", 0.5), ("weight.1", 2), ("weight.2", 1)], [("label_smoothing", 0.2)],
                                             [("include_background", 0)], [("from_logits", 0)],
                                             [("include_background", 0), ("weight.0", 2), ("weight.1", 1), ("weight.2", 0.5)]] {
            let xs = options.contains { $0.0 == "from_logits" } ? x.map { 1 / (1 + exp(-$0)) } : x
            let a = try runLabels(Self.name, options + [("mode", 2), ("epsilon", 0)], xs, labels, [2, 3, 2, 5])
            let b = try runLabels("cross_entropy_loss", options + [("mode", 2)], xs, labels, [2, 3, 2, 5])
            #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12, "\(options)")
        }
        let a = try run(Self.name, [("mode", 1), ("epsilon", 0)], x, bits, [2, 3, 2, 5])
        let b = try run("cross_entropy_loss", [("mode", 1)], x, bits, [2, 3, 2, 5])
        #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    static let families: [(String, [(String, Double)])] = [
        ("multiclass logits", []),
        ("weights, smoothing, epsilon 2", [("weight.0", 0.3), ("weight.1", 1), ("weight.2", 2), ("label_smoothing", 0.1), ("epsilon", 2)]),
        ("no background, ignore, sum", [("include_background", 0), ("ignore_index", -1), ("reduction", 1)]),
        ("probabilities, epsilon -1", [("from_logits", 0), ("epsilon", -1)]),
    ]

    @Test("gradient matches central differences (Double)", arguments: 0..<families.count)
    func gradient(_ f: Int) throws {
        let (label, options) = Self.families[f]
        var rng = TestRandom(seed: UInt64(70 + f))
        var x = rng.logits(60)
        if label.contains("probabilities") { x = rng.probs(60) }
        var labels = rng.labels(20, classes: 3)
        if label.contains("ignore") { labels[3] = -1; labels[9] = -1 }
        let err = try finiteDifferenceErrorLabels(Self.name, options + [("mode", 2)], x, labels, [2, 3, 2, 5])
        #expect(err < 1e-6, "\(label): \(err)")
    }

    @Test("binary, multilabel, soft targets and reduction none: central differences")
    func otherForms() throws {
        var rng = TestRandom(seed: 81)
        let x = rng.logits(24), g = rng.bits(24)
        #expect(try finiteDifferenceError(Self.name, [("mode", 0)], x, g, [2, 1, 3, 4]) < 1e-6)
        #expect(try finiteDifferenceError(Self.name, [("mode", 1), ("from_logits", 0)], rng.probs(24), g, [2, 3, 2, 2]) < 1e-6)
        // soft labels summing to 1 over 3 classes
        var soft = [Double](repeating: 0, count: 24)
        for n in 0..<2 { for i in 0..<4 {
            let a = rng.uniform(), b = rng.uniform() * (1 - a)
            soft[(n * 3) * 4 + i] = a; soft[(n * 3 + 1) * 4 + i] = b; soft[(n * 3 + 2) * 4 + i] = 1 - a - b
        } }
        #expect(try finiteDifferenceError(Self.name, [("mode", 2)], x, soft, [2, 3, 2, 2]) < 1e-6)
        let w = (0..<8).map { Double($0) / 4 - 1 }
        #expect(try finiteDifferenceError(Self.name, [("mode", 2), ("reduction", 2)], x, soft, [2, 3, 2, 2], gradOutput: w) < 1e-6)
    }

    @Test("edges: logits of ±30 and ±300, all ignored, 1x1")
    func edges() throws {
        for s in [30.0, -30.0, 300.0] {
            let r = try runLabels(Self.name, [("mode", 2)], [s, -s, 0], [0], [1, 3, 1])
            #expect(r.value.isFinite && r.gradient.allSatisfy(\.isFinite))
        }
        let perfect = try runLabels(Self.name, [("mode", 2)], [30, -30], [0], [1, 2, 1])
        #expect(perfect.value < 1e-12)
        let ignored = try runLabels(Self.name, [("mode", 2), ("ignore_index", 5)], [0.3, -1, 2, 0.5], [5, 5], [1, 2, 2])
        #expect(ignored.value == 0 && ignored.gradient.allSatisfy { $0 == 0 })
    }

    @Test("bad options name the argument")
    func bad() {
        let x: [Double] = [0, 0], labels: [Int64] = [1]
        for (options, argument) in [([("epsilon", -2.0)], "epsilon"), ([("epsilon", Double.nan)], "epsilon"),
                                    ([("label_smoothing", 2)], "label_smoothing"), ([("weight.0", -1), ("weight.1", 1)], "weight")] {
            #expect(thrownError { _ = try runLabels(Self.name, options + [("mode", 2)], x, labels, [1, 2, 1]) }?.argument == argument, "\(options)")
        }
        #expect(thrownError { _ = try run(Self.name, [("mode", 0), ("weight.0", 1)], [0], [1], [1, 1, 1]) }?.argument == "weight")
    }
}
