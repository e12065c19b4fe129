import Foundation
import Testing
@testable import SemSegLoss

@Suite("Weighted and balanced BCE")
struct DistributionBCETests {
    struct Case: CustomTestStringConvertible, Sendable {
        var loss: String, options: [(String, Double)], shape: [Int] = [2, 1, 3, 3], probabilities = false
        var testDescription: String { "\(loss) \(options.map { "\($0.0)=\($0.1)" }.joined(separator: " "))" }
    }

    static let cases: [Case] = [
        .init(loss: "weighted_bce_loss", options: []),
        .init(loss: "weighted_bce_loss", options: [("beta", 0.25), ("ignore_index", 255)]),
        .init(loss: "weighted_bce_loss", options: [("pos_weight", 5), ("from_logits", 0)], probabilities: true),
        .init(loss: "weighted_bce_loss", options: [("mode", 1), ("reduction", 2)], shape: [2, 2, 3, 2]),
        .init(loss: "balanced_bce_loss", options: []),
        .init(loss: "balanced_bce_loss", options: [("beta", 0.9), ("reduction", 1), ("ignore_index", 255)]),
        .init(loss: "balanced_bce_loss", options: [("beta", 0.3), ("from_logits", 0)], probabilities: true),
        .init(loss: "balanced_bce_loss", options: [("mode", 1), ("include_background", 0), ("reduction", 2)], shape: [2, 2, 2, 2, 2]),
    ]

    @Test("gradient matches central differences", arguments: cases)
    func gradient(_ c: Case) throws {
        var rng = TestRandom(seed: UInt64(c.options.count + c.loss.count))
        let n = c.shape.reduce(1, *)
        let x = c.probabilities ? rng.probs(n) : rng.logits(n)
        var g = rng.probs(n)
        if c.options.contains(where: { $0.0 == "ignore_index" }) { g[1] = 255; g[4] = 255 }
        let none = c.options.contains { $0.0 == "reduction" && $0.1 == 2 }
        let err = try finiteDifferenceError(c.loss, c.options, x, g, c.shape, gradOutput: none ? rng.logits(n) : nil)
        #expect(err < 1e-6, "\(c.testDescription): \(err)")
    }

    // Zero logits, g = (1, 0, 1, 0): every log term is −log 2.
    // balanced β: (2β + 2(1 − β)) log 2 / 4 = log 2 / 2; weighted default q = 3: (3 + 1) log 2 / 2.
    @Test("known values by hand and relations to bce_loss")
    func knownValues() throws {
        let z = [Double](repeating: 0, count: 4), g: [Double] = [1, 0, 1, 0], shape = [1, 1, 2, 2]
        #expect(abs(try run("balanced_bce_loss", [("beta", 0.8)], z, g, shape).value - log(2.0) / 2) < 1e-12)
        #expect(abs(try run("weighted_bce_loss", [], z, g, shape).value - 2 * log(2.0)) < 1e-12)
        var rng = TestRandom(seed: 2)
        let x = rng.logits(16), t = rng.probs(16), s = [1, 1, 4, 4]
        for beta in [0.25, 0.6] {
            let w = try run("weighted_bce_loss", [("beta", beta)], x, t, s)
            let b = try run("balanced_bce_loss", [("beta", beta)], x, t, s)
            let bce = try run("bce_loss", [("pos_weight", beta / (1 - beta))], x, t, s)
            #expect(abs(w.value - b.value / (1 - beta)) < 1e-12 && abs(w.value - bce.value) < 1e-12)
            #expect(maxAbsDiff(w.gradient, b.gradient.map { $0 / (1 - beta) }) < 1e-12)
        }
        // §6.7: balanced gradient β g (σ − 1) + (1 − β)(1 − g) σ.
        let r = try run("balanced_bce_loss", [("beta", 0.7), ("reduction", 1)], [0.5], [1], [1, 1, 1])
        #expect(abs(r.gradient[0] - 0.7 * (1 / (1 + exp(-0.5)) - 1)) < 1e-12)
    }

    @Test("bad parameters and modes throw naming the argument")
    func badInput() {
        let x: [Double] = [0.3, -1], g: [Double] = [1, 0], s = [1, 1, 2]
        func arg(_ loss: String, _ o: [(String, Double)]) -> String? { thrownError { _ = try run(loss, o, x, g, s) }?.argument }
        #expect(arg("weighted_bce_loss", [("beta", 1)]) == "beta")
        #expect(arg("weighted_bce_loss", [("beta", 0)]) == "beta")
        #expect(arg("weighted_bce_loss", [("beta", 0.5), ("pos_weight", 2)]) == "pos_weight")
        #expect(arg("weighted_bce_loss", [("pos_weight", 0)]) == "pos_weight")
        #expect(arg("balanced_bce_loss", [("beta", 1)]) == "beta")
        #expect(arg("balanced_bce_loss", [("beta", .nan)]) == "beta")
        #expect(arg("balanced_bce_loss", [("gamma", 1)]) == "gamma")
        #expect(thrownError { _ = try runLabels("weighted_bce_loss", [("mode", 2)], [0, 1, 2, 3], [0, 1], [1, 2, 2]) }?.argument == "mode")
        #expect(thrownError { _ = try runLabels("balanced_bce_loss", [("mode", 2)], [0, 1, 2, 3], [0, 1], [1, 2, 2]) }?.argument == "mode")
    }
}
