import Foundation
import Testing
@testable import SemSegLoss

/// Multiclass mode of the per-channel distance-map losses (Hausdorff-DT, its log form and
/// the boundary loss): softmax probabilities against one-hot targets, label maps or dense.
@Suite("Distance losses, multiclass")
struct DistanceMulticlassTests {
    static let losses = ["hausdorff_dt_loss", "log_hausdorff_dt_loss", "boundary_loss"]

    struct Family: Sendable, CustomTestStringConvertible {
        var label: String
        var options: [(String, Double)]
        var shape: [Int]
        var ignore = false
        var gradOutput = false
        var testDescription: String { label }
    }

    static let families: [Family] = [
        Family(label: "3 classes", options: [], shape: [2, 3, 5, 4]),
        Family(label: "no background", options: [("include_background", 0)], shape: [2, 3, 4, 4]),
        Family(label: "ignore_index", options: [("ignore_index", 255)], shape: [2, 4, 4, 5], ignore: true),
        Family(label: "reduction none with grad_output", options: [("reduction", 2)], shape: [1, 3, 4, 4], gradOutput: true),
        Family(label: "3-D spatial", options: [], shape: [1, 2, 3, 4, 3]),
    ]

    @Test("analytic gradient (through the softmax) matches central differences", arguments: losses, families)
    func gradient(_ loss: String, _ family: Family) throws {
        if family.gradOutput && loss == "log_hausdorff_dt_loss" { return }  // no reduction none
        var rng = TestRandom(seed: UInt64(loss.utf8.count * 17 + family.label.utf8.count))
        let n = family.shape.reduce(1, *), classes = family.shape[1], spatial = n / (family.shape[0] * classes)
        let x = rng.logits(n, scale: 3)
        var labels = rng.labels(family.shape[0] * spatial, classes: classes)
        if family.ignore { for i in stride(from: 0, to: labels.count, by: 4) { labels[i] = 255 } }
        let options = [("mode", 2.0)] + family.options
        let configured = try LossCatalog.make(loss, options: options)
        let outCount = configured.outputShape(input: try TensorShape(family.shape)).reduce(1, *)
        let w = family.gradOutput ? rng.logits(outCount) : nil
        let err = try finiteDifferenceErrorLabels(loss, options, x, labels, family.shape, gradOutput: w)
        #expect(err < 1e-6, "\(loss) / \(family.label): relative error \(err)")
        if family.ignore {  // ignored voxels get no gradient on any class
            let r = try runLabels(loss, options, x, labels, family.shape, gradOutput: w)
            for (i, l) in labels.enumerated() where l == 255 {
                let b = i / spatial, v = i % spatial
                for c in 0..<classes { #expect(r.gradient[(b * classes + c) * spatial + v] == 0) }
            }
        }
    }

    @Test("equals the multilabel loss of the softmax probabilities, gradient chained through the softmax", arguments: losses)
    func softmaxComposition(_ loss: String) throws {
        var rng = TestRandom(seed: 5)
        let shape = [2, 3, 4, 5], spatial = 20, classes = 3
        let x = rng.logits(2 * 3 * spatial, scale: 2), labels = rng.labels(2 * spatial, classes: 3)
        var p = x
        for b in 0..<2 {
            for i in 0..<spatial {
                let idx = (0..<classes).map { (b * classes + $0) * spatial + i }
                let m = idx.map { x[$0] }.max()!, e = idx.map { exp(x[$0] - m) }, s = e.reduce(0, +)
                for (j, k) in idx.enumerated() { p[k] = e[j] / s }
            }
        }
        let multi = try runLabels(loss, [("mode", 2)], x, labels, shape)
        let inner = try run(loss, [("mode", 1), ("from_logits", 0)], p, oneHot(labels, classes: classes, spatial: spatial), shape)
        #expect(abs(multi.value - inner.value) < 1e-12)
        for b in 0..<2 {
            for i in 0..<spatial {
                let idx = (0..<classes).map { (b * classes + $0) * spatial + i }
                let dot = idx.reduce(0.0) { $0 + p[$1] * inner.gradient[$1] }
                for k in idx { #expect(abs(multi.gradient[k] - p[k] * (inner.gradient[k] - dot)) < 1e-12) }
            }
        }
        // A dense one-hot target gives the same as the label map.
        let dense = try run(loss, [("mode", 2)], x, oneHot(labels, classes: classes, spatial: spatial), shape)
        #expect(dense.value == multi.value && dense.gradient == multi.gradient)
    }

    @Test("hand-computed values and gradients on probabilities (two classes)")
    func knownValues() throws {
        // Boundary: φ₁ = [−2, −1, 0, 1, 2] (class 1 = [1, 1, 1, 0, 0]), φ₀ = [3, 2, 1, 0, −1];
        // L = (Σ φ₁p₁ + Σ φ₀p₀)/10 = (−2.2 + 0.1)/10, ∂L/∂p = φ/10.
        let p1 = [0.9, 0.8, 0.7, 0.2, 0.1]
        let boundary = try runLabels("boundary_loss", [("mode", 2), ("from_logits", 0)], p1.map { 1 - $0 } + p1, [1, 1, 1, 0, 0], [1, 2, 1, 5])
        #expect(abs(boundary.value - -0.21) < 1e-12)
        #expect(maxAbsDiff(boundary.gradient, [0.3, 0.2, 0.1, 0, -0.1, -0.2, -0.1, 0, 0.1, 0.2]) < 1e-12)
        // Without the background class: the binary value −0.44, no gradient on class 0.
        let noBackground = try runLabels("boundary_loss", [("mode", 2), ("from_logits", 0), ("include_background", 0)],
                                         p1.map { 1 - $0 } + p1, [1, 1, 1, 0, 0], [1, 2, 1, 5])
        #expect(abs(noBackground.value - -0.44) < 1e-12)
        #expect(maxAbsDiff(noBackground.gradient, [0, 0, 0, 0, 0, -0.4, -0.2, 0, 0.2, 0.4]) < 1e-12)
        // Hausdorff-DT: both classes have maps d = [2, 1, 1, 2] for prediction and target,
        // weight 2d² = [8, 2, 2, 8]; each class sums 0.56, L = 1.12/8, ∂L/∂p = 2(p − g)·2d²/8.
        let q1 = [0.9, 0.6, 0.2, 0.1]
        let hd = try runLabels("hausdorff_dt_loss", [("mode", 2), ("from_logits", 0)], q1.map { 1 - $0 } + q1, [1, 1, 0, 0], [1, 2, 1, 4])
        #expect(abs(hd.value - 0.14) < 1e-12)
        #expect(maxAbsDiff(hd.gradient, [0.2, 0.2, -0.1, -0.2, -0.2, -0.2, 0.1, 0.2]) < 1e-12)
    }

    @Test("edge cases: all ignored, one class everywhere, 1x1, logits of ±30", arguments: losses)
    func edges(_ loss: String) throws {
        let allIgnored = try runLabels(loss, [("mode", 2), ("ignore_index", 255)], [1, -1, 0.5, 2, 0, 0], [255, 255], [1, 3, 1, 2])
        #expect(allIgnored.value == 0 && allIgnored.gradient.allSatisfy { $0 == 0 })
        let confident: [Double] = [30, -30, -30, 30, -30, -30, -30, 30, 30, -30, 30, -30]
        for labels: [Int64] in [[0, 0, 0, 0], [0, 1, 2, 0]] {
            let r = try runLabels(loss, [("mode", 2)], confident, labels, [1, 3, 2, 2])
            #expect(r.value.isFinite && r.gradient.allSatisfy(\.isFinite), "\(labels)")
            let f = try LossCatalog.make(loss, options: [("mode", 2)])(confident.map { Float($0) }, labels: labels, shape: [1, 3, 2, 2])
            #expect(f.value.isFinite && f.gradient.allSatisfy(\.isFinite))
        }
        let tiny = try runLabels(loss, [("mode", 2)], [0.3, -0.2], [1], [1, 2, 1, 1])
        #expect(tiny.value.isFinite)
    }

    @Test("the cross-entropy distance losses refuse multiclass, naming mode")
    func crossEntropyRefused() {
        for loss in ["distance_penalized_ce_loss", "shape_aware_loss"] {
            #expect(thrownError { _ = try runLabels(loss, [("mode", 2)], [1, 0, 0, 1], [0, 1], [1, 2, 1, 2]) }?.argument == "mode")
        }
    }
}
