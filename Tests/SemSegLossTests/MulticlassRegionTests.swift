import Foundation
import Testing
@testable import SemSegLoss

/// Multiclass mode of the foundation's region losses: softmax over channels, label maps
/// or one-hot targets, ignore_index before one-hot, and the softmax chain rule.
@Suite("Multiclass region losses")
struct MulticlassRegionTests {
    static let regionLosses = ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss"]

    @Test("softmax probabilities sum to one and survive logits of ±1000")
    func softmax() throws {
        let shape = try TensorShape([1, 3, 2])
        let z: [Double] = [1000, -1000, 0, 0, -1000, 1000]
        var p = [Double](repeating: 0, count: 6)
        let bad = z.withUnsafeBufferPointer { zb in
            p.withUnsafeMutableBufferPointer { SoftmaxKernel.probabilities(TensorView(zb.baseAddress!, shape: shape), into: $0.baseAddress!) }
        }
        #expect(bad == 0)
        #expect(abs(p[0] - 1) < 1e-12 && p[2] < 1e-300 && abs(p[5] - 1) < 1e-12)
        #expect(abs(p[1] + p[3] + p[5] - 1) < 1e-12)
    }

    @Test("label map equals its one-hot form", arguments: regionLosses)
    func labelsEqualOneHot(_ loss: String) throws {
        var rng = TestRandom(seed: 3)
        let shape = [2, 3, 3, 4], spatial = 12
        let x = rng.logits(72), labels = rng.labels(24, classes: 3)
        let options: [(String, Double)] = [("mode", 2)]
        let a = try runLabels(loss, options, x, labels, shape)
        let b = try run(loss, options, x, oneHot(labels, classes: 3, spatial: spatial), shape)
        #expect(abs(a.value - b.value) < 1e-12)
        #expect(maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    struct Family: CustomTestStringConvertible, Sendable {
        var label: String
        var options: [(String, Double)]
        var testDescription: String { label }
    }

    static let families: [Family] = [
        Family(label: "logits", options: [("mode", 2)]),
        Family(label: "no background, batch", options: [("mode", 2), ("include_background", 0), ("batch", 1)]),
        Family(label: "ignore_index 255", options: [("mode", 2), ("ignore_index", 255)]),
        Family(label: "reduction none", options: [("mode", 2), ("reduction", 2)]),
        Family(label: "smoothing 1", options: [("mode", 2), ("smooth_nr", 1), ("smooth_dr", 1), ("reduction", 1)]),
    ]

    @Test("gradient through the softmax matches central differences", arguments: regionLosses, families)
    func gradientLabels(_ loss: String, _ family: Family) throws {
        var rng = TestRandom(seed: UInt64(loss.count * 17 + family.label.count))
        let shape = [2, 3, 2, 3]
        let x = rng.logits(36)
        var labels = rng.labels(12, classes: 3)
        if family.options.contains(where: { $0.0 == "ignore_index" }) { labels[1] = 255; labels[7] = 255 }
        var options = family.options
        if loss == "focal_tversky_loss" { options.append(("gamma", 1.5)) }
        let reductionNone = options.contains { $0.0 == "reduction" && $0.1 == 2 }
        let outCount = try LossCatalog.make(loss, options: options).outputShape(input: try TensorShape(shape)).reduce(1, *)
        let w = reductionNone ? rng.logits(outCount) : nil
        let err = try finiteDifferenceErrorLabels(loss, options, x, labels, shape, gradOutput: w)
        #expect(err < 1e-6, "\(loss) / \(family.label): \(err)")
    }

    @Test("soft dense targets and probabilities input", arguments: regionLosses)
    func softTargetsProbabilities(_ loss: String) throws {
        var rng = TestRandom(seed: 21)
        let shape = [1, 3, 5]
        // Probabilities: a softmax of random logits per voxel; targets: soft distributions.
        func simplex(_ v: [Double]) -> [Double] {
            var out = v
            for i in 0..<5 {
                let e = (0..<3).map { exp(v[$0 * 5 + i]) }
                let s = e.reduce(0, +)
                for c in 0..<3 { out[c * 5 + i] = e[c] / s }
            }
            return out
        }
        let p = simplex(rng.logits(15)), g = simplex(rng.logits(15))
        var options: [(String, Double)] = [("mode", 2), ("from_logits", 0)]
        if loss == "focal_tversky_loss" { options.append(("gamma", 1.5)) }
        #expect(try finiteDifferenceError(loss, options, p, g, shape) < 1e-6)
        let logitsOptions: [(String, Double)] = options.filter { $0.0 != "from_logits" }
        #expect(try finiteDifferenceError(loss, logitsOptions, rng.logits(15), g, shape) < 1e-6)
    }

    @Test("ignored voxels leave the loss and get no gradient")
    func ignored() throws {
        var rng = TestRandom(seed: 5)
        let shape = [1, 3, 6], x = rng.logits(18)
        let labels: [Int64] = [0, 1, 255, 2, 1, 255]
        let r = try runLabels("dice_loss", [("mode", 2), ("ignore_index", 255)], x, labels, shape)
        for c in 0..<3 { #expect(r.gradient[c * 6 + 2] == 0 && r.gradient[c * 6 + 5] == 0) }
        // Same as dropping those voxels.
        let keep = [0, 1, 3, 4]
        let x2 = (0..<3).flatMap { c in keep.map { x[c * 6 + $0] } }
        let r2 = try runLabels("dice_loss", [("mode", 2)], x2, keep.map { labels[$0] }, [1, 3, 4])
        #expect(abs(r.value - r2.value) < 1e-12)
    }

    @Test("perfect one-hot prediction gives ~0 loss, confident wrong gives ~1")
    func extremes() throws {
        let labels: [Int64] = [0, 1, 2, 1]
        let oneHotLogits = oneHot(labels, classes: 3, spatial: 4).map { $0 == 1 ? 30.0 : -30.0 }
        let good = try runLabels("dice_loss", [("mode", 2)], oneHotLogits, labels, [1, 3, 2, 2])
        #expect(good.value < 1e-9 && good.gradient.allSatisfy { $0.isFinite })
        let wrong = try runLabels("dice_loss", [("mode", 2)], oneHotLogits, [1, 2, 0, 0], [1, 3, 2, 2])
        #expect(wrong.value > 0.99)
    }

    @Test("bad targets and modes are reported, naming the argument")
    func errors() throws {
        let x = [Double](repeating: 0, count: 12)
        let badLabel = thrownError { _ = try runLabels("dice_loss", [("mode", 2)], x, [0, 1, 3, 0], [1, 3, 2, 2]) }
        #expect(badLabel?.argument == "target" && badLabel?.message.contains("ignore_index=3") == true)
        #expect(thrownError { _ = try runLabels("dice_loss", [("mode", 1)], x, [0, 1, 2, 0], [1, 3, 2, 2]) }?.argument == "target")
        let bce = thrownError { _ = try runLabels("bce_loss", [("mode", 2)], x, [0, 1, 2, 0], [1, 3, 2, 2]) }
        #expect(bce?.argument == "mode" && bce?.message.contains("cross_entropy_loss") == true)
        #expect(thrownError { _ = try runLabels("dice_loss", [("mode", 2)], [Double](repeating: 0, count: 4), [0, 0, 0, 0], [1, 1, 2, 2]) }?.argument == "input")
        #expect(throws: SegLossError.self) { try runLabels("dice_loss", [("mode", 2), ("ignore_index", 0.5)], x, [0, 1, 2, 0], [1, 3, 2, 2]) }
        var nan = x
        nan[3] = .nan
        #expect(throws: SegLossError.self) { try runLabels("dice_loss", [("mode", 2)], nan, [0, 1, 2, 0], [1, 3, 2, 2]) }
    }

    @Test("list options are read as name.0, name.1, …")
    func listOptions() throws {
        var r = try OptionReader(owner: "x", pairs: [("weight.1", 2), ("weight.0", 1), ("weight.2", 3)])
        #expect(try r.doubles("weight") == [1, 2, 3])
        try r.finish()
        var gap = try OptionReader(owner: "x", pairs: [("weight.0", 1), ("weight.2", 3)])
        #expect(throws: SegLossError.self) { try gap.doubles("weight") }
        var unknown = try OptionReader(owner: "x", pairs: [("other.0", 1)])
        _ = try unknown.doubles("weight")
        #expect(thrownError { try unknown.finish() }?.argument == "other")
    }
}
