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
        ("dice_ce_loss", [("lambda_dice", 0.7), ("lambda_ce", 1.3)]),
        ("dice_focal_loss", []),
        ("dice_focal_loss", [("alpha_weighting", 1), ("alpha", 0.3), ("gamma", 1.5), ("lambda_focal", 2)]),
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
        var compound: Bool { ["combo_loss", "exp_log_loss", "unified_focal_loss", "dice_ce_loss", "dice_focal_loss"].contains(name) }
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

    /// Multiclass mode (softmax) of every loss: label maps, one-hot, soft targets with
    /// probabilities, no background, batch, ignore_index, reduction none with grad_output.
    @Test("multiclass labels, one-hot, ignore_index, no background", arguments: lossCases)
    func gradientMulticlass(_ loss: LossCase) throws {
        var rng = TestRandom(seed: 5)
        let shape = [2, 3, 2, 3]
        let x = rng.logits(36)
        var labels = rng.labels(12, classes: 3)
        let regionOnly: [(String, Double)] = loss.region ? [("batch", 1)] : []
        for extra: [(String, Double)] in [[], [("include_background", 0)], regionOnly, [("reduction", 1)]] {
            let options = loss.options + [("mode", 2)] + extra
            let e1 = try finiteDifferenceErrorLabels(loss.name, options, x, labels, shape)
            #expect(e1 < 1e-6, "\(loss.testDescription) \(extra): \(e1)")
            let dense = oneHot(labels, classes: 3, spatial: 6)
            let a = try runLabels(loss.name, options, x, labels, shape), b = try run(loss.name, options, x, dense, shape)
            #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
        }
        // Soft targets and probabilities (each voxel's probabilities sum to 1).
        var p = rng.probs(36), g = rng.probs(36)
        for n in 0..<2 {
            for i in 0..<6 {
                let sp = (0..<3).map { p[(n * 3 + $0) * 6 + i] }.reduce(0, +)
                let sg = (0..<3).map { g[(n * 3 + $0) * 6 + i] }.reduce(0, +)
                for c in 0..<3 { p[(n * 3 + c) * 6 + i] /= sp; g[(n * 3 + c) * 6 + i] /= sg }
            }
        }
        let e2 = try finiteDifferenceError(loss.name, loss.options + [("mode", 2), ("from_logits", 0)], p, g, shape)
        #expect(e2 < 1e-6, "\(loss.testDescription) probabilities: \(e2)")
        labels[2] = 255
        labels[9] = 255
        let e3 = try finiteDifferenceErrorLabels(loss.name, loss.options + [("mode", 2), ("ignore_index", 255)], x, labels, shape)
        #expect(e3 < 1e-6, "\(loss.testDescription) ignore: \(e3)")
        guard !loss.compound else { return }
        let options = loss.options + [("mode", 2), ("reduction", 2), ("ignore_index", 255)]
        let outCount = try LossCatalog.make(loss.name, options: options).outputShape(input: try TensorShape(shape)).reduce(1, *)
        let e4 = try finiteDifferenceErrorLabels(loss.name, options, x, labels, shape, gradOutput: rng.logits(outCount))
        #expect(e4 < 1e-6, "\(loss.testDescription) none: \(e4)")
    }
}
