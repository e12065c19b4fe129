import Foundation
import Testing
@testable import SemSegLoss

/// Finite-difference gradient checks (Double) of the compound family, for every loss and
/// option family: binary logits/probabilities, multilabel, no background, ignore_index,
/// batch, reduction sum / none with grad_output, 3-D, multiclass labels and one-hot.
@Suite("Compound losses: gradients")
struct CompoundGradientTests {
    /// Every loss with the options that select it (variants of unified focal included).
    static let losses: [(String, [(String, Double)])] = [
        ("combo_loss", [("alpha", 0.3), ("beta", 0.7)]),
        ("exp_log_loss", []),
        ("exp_log_loss", [("gamma_dice", 1.5), ("gamma_ce", 0.5), ("w_dice", 0.4), ("w_ce", 0.6)]),
        ("unified_focal_loss", []),
        ("unified_focal_loss", [("variant", 1), ("weight", 0.3), ("gamma", 0.2)]),
        ("asymmetric_focal_loss", []),
        ("asymmetric_focal_loss", [("gamma", 0.5), ("delta", 0.4)]),
        ("symmetric_focal_loss", []),
        ("asymmetric_focal_tversky_loss", []),
        ("symmetric_focal_tversky_loss", [("gamma", 0.3), ("delta", 0.6)]),
    ]
    static var lossCases: [LossCase] { losses.map { LossCase(name: $0.0, options: $0.1) } }

    struct LossCase: CustomTestStringConvertible, Sendable {
        var name: String
        var options: [(String, Double)]
        var testDescription: String { name + options.map { " \($0.0)=\($0.1)" }.joined() }
        /// Compound losses refuse reduction none; the parts accept it.
        var compound: Bool { ["combo_loss", "exp_log_loss", "unified_focal_loss"].contains(name) }
        var region: Bool { name.hasSuffix("tversky_loss") || compound }
    }

    struct Family: CustomTestStringConvertible, Sendable {
        var label: String
        var shape: [Int]
        var options: [(String, Double)]
        var probabilities = false
        var ignore = false
        var testDescription: String { label }
    }

    static let families: [Family] = [
        Family(label: "binary logits", shape: [2, 1, 3, 4], options: []),
        Family(label: "binary probabilities", shape: [2, 1, 3, 4], options: [("from_logits", 0)], probabilities: true),
        Family(label: "multilabel", shape: [2, 3, 2, 3], options: [("mode", 1)]),
        Family(label: "multilabel no background", shape: [1, 3, 2, 3], options: [("mode", 1), ("include_background", 0)]),
        Family(label: "ignore_index 255", shape: [2, 2, 3, 3], options: [("mode", 1), ("ignore_index", 255)], ignore: true),
        Family(label: "sum, smoothing 1", shape: [2, 1, 3, 3], options: [("reduction", 1), ("smooth_nr", 1), ("smooth_dr", 1)]),
        Family(label: "batch", shape: [3, 2, 2, 2], options: [("mode", 1), ("batch", 1)]),
        Family(label: "3-D", shape: [1, 1, 2, 3, 2], options: []),
        Family(label: "odd 3x5 soft targets", shape: [1, 1, 3, 5], options: [("empty", 1)]),
    ]

    static func problem(_ f: Family, seed: UInt64) -> ([Double], [Double]) {
        var rng = TestRandom(seed: seed)
        let n = f.shape.reduce(1, *)
        let x = f.probabilities ? rng.probs(n) : rng.logits(n)
        var g = f.label.contains("soft") ? rng.probs(n) : rng.bits(n)
        if f.ignore { g[1] = 255; g[5] = 255; g[n - 2] = 255 }
        return (x, g)
    }

    /// Options a loss does not take are dropped (pixel losses have no region options).
    static func options(_ loss: LossCase, _ f: Family) -> [(String, Double)] {
        let regionOnly: Set<String> = ["smooth_nr", "smooth_dr", "batch", "empty"]
        return loss.options + f.options.filter { loss.region || !regionOnly.contains($0.0) }
    }

    @Test("matches central differences", arguments: lossCases, families)
    func gradient(_ loss: LossCase, _ f: Family) throws {
        let (x, g) = Self.problem(f, seed: UInt64(loss.name.count * 31 + f.label.count))
        let err = try finiteDifferenceError(loss.name, Self.options(loss, f), x, g, f.shape)
        #expect(err < 1e-6, "\(loss.testDescription) / \(f.label): \(err)")
    }

    @Test("reduction none with grad_output", arguments: lossCases.filter { !$0.compound })
    func gradientNone(_ loss: LossCase) throws {
        var rng = TestRandom(seed: 77)
        let shape = [2, 2, 2, 3]
        let x = rng.logits(24), g = rng.bits(24)
        let options = loss.options + [("mode", 1), ("reduction", 2)]
        let outCount = try LossCatalog.make(loss.name, options: options).outputShape(input: try TensorShape(shape)).reduce(1, *)
        let err = try finiteDifferenceError(loss.name, options, x, g, shape, gradOutput: rng.logits(outCount))
        #expect(err < 1e-6, "\(loss.testDescription): \(err)")
    }

    /// Multiclass mode of the losses that have it (the focal Tversky parts; the others
    /// need the distribution family's softmax cross-entropy / focal).
    static let multiclassLosses = ["asymmetric_focal_tversky_loss", "symmetric_focal_tversky_loss"]

    @Test("multiclass labels, one-hot, ignore_index, no background", arguments: multiclassLosses)
    func gradientMulticlass(_ loss: String) throws {
        var rng = TestRandom(seed: 5)
        let shape = [2, 3, 2, 3]
        let x = rng.logits(36)
        var labels = rng.labels(12, classes: 3)
        for options: [(String, Double)] in [[("mode", 2)], [("mode", 2), ("include_background", 0), ("gamma", 0.4)], [("mode", 2), ("batch", 1)]] {
            #expect(try finiteDifferenceErrorLabels(loss, options, x, labels, shape) < 1e-6)
            let dense = oneHot(labels, classes: 3, spatial: 6)
            #expect(try finiteDifferenceError(loss, options, x, dense, shape) < 1e-6)
        }
        labels[2] = 255
        labels[9] = 255
        #expect(try finiteDifferenceErrorLabels(loss, [("mode", 2), ("ignore_index", 255)], x, labels, shape) < 1e-6)
        let go = rng.logits(6)
        #expect(try finiteDifferenceErrorLabels(loss, [("mode", 2), ("reduction", 2), ("ignore_index", 255)], x, labels, shape, gradOutput: go) < 1e-6)
    }
}
