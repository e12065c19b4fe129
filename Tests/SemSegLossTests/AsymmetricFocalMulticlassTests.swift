import Foundation
import Testing
@testable import SemSegLoss

/// The asymmetric focal loss in multiclass mode runs in one categorical sweep
/// (`AsymmetricSoftmaxFocalTerm`, its form chosen per class by `forClass`). It must equal
/// its definition as two sweeps: the softmax focal term on class 0 with weight 1 − δ, plus
/// the cross-entropy of the other classes with weight δ (Yeung et al. 2022, eq. 12).
@Suite("Asymmetric focal loss, multiclass: one sweep = focal background + CE foreground")
struct AsymmetricFocalMulticlassTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var options: LossOptions
        var gamma: Double
        var delta: Double
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "γ = 2 (squares), defaults", options: LossOptions(mode: .multiclass), gamma: 2, delta: 0.7),
        Case(label: "γ = 0.5, ignore_index", options: LossOptions(mode: .multiclass, ignoreIndex: 255), gamma: 0.5, delta: 0.6),
        Case(label: "γ = 0.5, no background, sum",
             options: LossOptions(mode: .multiclass, reduction: .sum, includeBackground: false), gamma: 0.5, delta: 0.7),
        Case(label: "γ = 3.3, none", options: LossOptions(mode: .multiclass, reduction: .none), gamma: 3.3, delta: 0.25),
        Case(label: "probabilities, γ = 0.5", options: LossOptions(mode: .multiclass, fromLogits: false), gamma: 0.5, delta: 0.7),
    ]

    static let shape = try! TensorShape([2, 3, 7, 9])

    /// Logits (or softmax probabilities) of `shape` and labels, with a stripe ignored when
    /// the case has an ignore_index; logits of ±30 in the first voxels.
    static func data(_ c: Case) -> (x: [Double], labels: [Int64]) {
        var rng = TestRandom(seed: UInt64(c.label.count))
        let spatial = 63
        var x = rng.logits(shape.count, scale: 3)
        x[0] = 30
        x[spatial] = -30
        var labels = rng.labels(2 * spatial, classes: 3)
        if let ig = c.options.ignoreIndex {
            for i in stride(from: 3, to: labels.count, by: 5) { labels[i] = Int64(ig) }
        }
        if !c.options.fromLogits {
            for n in 0..<2 {
                for i in 0..<spatial {
                    let idx = (0..<3).map { n * 3 * spatial + $0 * spatial + i }
                    let top = idx.map { x[$0] }.max()!
                    let e = idx.map { exp(x[$0] - top) }
                    let sum = e.reduce(0, +)
                    for (k, j) in idx.enumerated() { x[j] = e[k] / sum }
                }
            }
        }
        return (x, labels)
    }

    /// (value, gradient, values) of the one-sweep loss (`reference` false) or of the two
    /// sweeps it replaces.
    static func evaluate(_ c: Case, reference: Bool) throws -> (value: Double, gradient: [Double], values: [Double]) {
        let (x, labels) = data(c)
        let none = c.options.reduction == .none
        var gradient = [Double](repeating: 0, count: shape.count)
        var values = [Double](repeating: 0, count: 2 * 63), second = values
        let value = try x.withUnsafeBufferPointer { xb in
            try labels.withUnsafeBufferPointer { lb in
                try gradient.withUnsafeMutableBufferPointer { gb in
                    try values.withUnsafeMutableBufferPointer { vb in
                        try second.withUnsafeMutableBufferPointer { sb in
                            let input = TensorView(xb.baseAddress!, shape: shape)
                            let target: LossTarget<Double> = .labels(try LabelView(lb.baseAddress!, dims: [2, 7, 9], input: shape))
                            let outputs = LossOutputs(gradient: gb.baseAddress!, values: none ? vb.baseAddress! : nil)
                            if !reference {
                                return try YeungFocalLoss(variant: .asymmetric, delta: c.delta, gamma: c.gamma).evaluateMulticlass(
                                    input: input, target: target, options: c.options, outputs: outputs)
                            }
                            func weights(_ w: [Double]) throws -> [Double] {
                                try CategoricalEvaluator.foldedWeights(
                                    classes: 3, weight: w, alpha: c.delta, includeBackground: c.options.includeBackground)
                            }
                            let focal = try CategoricalEvaluator.evaluate(
                                SoftmaxFocalTerm<RealPower, Off>(gamma: c.gamma), classWeights: try weights([1, 0, 0]),
                                meanWeights: nil, input: input, target: target, options: c.options, outputs: outputs)
                            let crossEntropy = try CategoricalEvaluator.evaluate(
                                CrossEntropyTerm(smoothing: 0, classes: 3), classWeights: try weights([0, 1, 1]),
                                meanWeights: nil, input: input, target: target, options: c.options,
                                outputs: LossOutputs(gradient: gb.baseAddress!, values: none ? sb.baseAddress! : nil),
                                accumulate: true)
                            return focal + crossEntropy
                        }
                    }
                }
            }
        }
        let perVoxel = none ? zip(values, second).map { reference ? $0 + $1 : $0 } : []
        return (value, gradient, perVoxel)
    }

    @Test("value, gradient and per-voxel values equal the two-sweep definition", arguments: cases)
    func oneSweepEqualsDefinition(_ c: Case) throws {
        let fused = try Self.evaluate(c, reference: false)
        let reference = try Self.evaluate(c, reference: true)
        #expect(abs(fused.value - reference.value) <= 1e-12 * max(1, abs(reference.value)), "value")
        let scale = max(1e-300, reference.gradient.map(abs).max()!)
        #expect(maxAbsDiff(fused.gradient, reference.gradient) / scale < 1e-12, "gradient")
        #expect(maxAbsDiff(fused.values, reference.values) < 1e-12, "values")
        #expect(reference.gradient.contains { $0 != 0 })
    }

    @Test("central differences through the catalogue (labels, γ = 0.5, ignore_index)")
    func finiteDifferences() throws {
        var rng = TestRandom(seed: 11)
        let x = rng.logits(2 * 3 * 5 * 3, scale: 2)
        var labels = rng.labels(2 * 15, classes: 3)
        labels[4] = 255
        let options: [(String, Double)] = [("mode", 2), ("gamma", 0.5), ("delta", 0.6), ("ignore_index", 255)]
        let error = try finiteDifferenceErrorLabels("asymmetric_focal_loss", options, x, labels, [2, 3, 5, 3])
        #expect(error < 1e-7)
    }
}
