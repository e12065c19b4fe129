import Foundation
import Testing
@testable import SemSegLoss

/// generalized_wasserstein_dice_loss: MONAI's example, values by hand, finite differences.
@Suite("Generalized Wasserstein Dice loss")
struct WassersteinDiceTests {
    static let monaiMatrix: [Double] = [0, 1, 1, 1, 0, 0.5, 1, 0.5, 0]

    static func matrixOptions(_ m: [Double]) -> [(String, Double)] {
        m.enumerated().map { ("dist_matrix.\($0.offset)", $0.element) }
    }

    /// MONAI's docstring example: three images of one voxel, scores 1000 on the true class.
    @Test("MONAI's example is 0")
    func monaiExample() throws {
        let x: [Double] = [1000, 0, 0, 0, 1000, 0, 0, 0, 1000]
        let r = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2)] + Self.matrixOptions(Self.monaiMatrix),
                              x, [0, 1, 2], [3, 3, 1])
        #expect(abs(r.value) < 1e-12 && r.gradient.allSatisfy { abs($0) < 1e-12 })
    }

    /// Two voxels, two classes, M = 1 − I, probabilities (0.3, 0.7) with label 1 and (0.6, 0.4)
    /// with label 0: W = (0.3, 0.4). Default weights α = (0, 1): TP = 0.7, D = 1.4 + 0.7,
    /// L = 1/3. GDL weights α = 1/(1 + 1) each: TP = 0.65, D = 0.85 + 0.8, L = 1 − 1.3/1.65.
    @Test("values by hand, both weightings")
    func byHand() throws {
        let p: [Double] = [0.3, 0.6, 0.7, 0.4]  // (N=1, C=2, 2 voxels): channel 0 then channel 1
        let base: [(String, Double)] = [("mode", 2), ("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)]
        let standard = try runLabels("generalized_wasserstein_dice_loss", base, p, [1, 0], [1, 2, 2])
        #expect(abs(standard.value - 1.0 / 3) < 1e-12)
        // ∂L/∂W = (2α D + N(1 − 2α))/D² with N = 1.4, D = 2.1; ∂W/∂p = M[g, ·].
        let d1 = (2 * 2.1 + 1.4 * (1 - 2)) / (2.1 * 2.1), d0 = 1.4 / (2.1 * 2.1)
        #expect(maxAbsDiff(standard.gradient, [d1, 0, 0, d0]) < 1e-12)
        let gdl = try runLabels("generalized_wasserstein_dice_loss", base + [("weighting_mode", 1)], p, [1, 0], [1, 2, 2])
        #expect(abs(gdl.value - (1 - 1.3 / 1.65)) < 1e-12)
    }

    static let families: [(String, [(String, Double)])] = [
        ("default", []),
        ("GDL weights, MONAI matrix", [("weighting_mode", 1)] + matrixOptions(monaiMatrix)),
        ("unscaled matrix, batch, sum", matrixOptions(monaiMatrix.map { 3 * $0 }) + [("batch", 1), ("reduction", 1)]),
        ("smoothing 1, ignore_index", [("smooth_nr", 1), ("smooth_dr", 1), ("ignore_index", 255)]),
    ]

    @Test("gradient matches central differences (labels, one-hot, soft targets)", arguments: 0..<families.count)
    func gradient(_ f: Int) throws {
        let (label, extra) = Self.families[f]
        var rng = TestRandom(seed: UInt64(50 + f))
        let shape = [2, 3, 2, 3]
        let x = rng.logits(36)
        var labels = rng.labels(12, classes: 3)
        if label.contains("ignore") { labels[2] = 255; labels[7] = 255 }
        let options = [("mode", 2.0)] + extra
        let e1 = try finiteDifferenceErrorLabels("generalized_wasserstein_dice_loss", options, x, labels, shape)
        #expect(e1 < 1e-6, "\(label) labels: \(e1)")
        guard !label.contains("ignore") else { return }
        let dense = oneHot(labels, classes: 3, spatial: 6)
        let a = try runLabels("generalized_wasserstein_dice_loss", options, x, labels, shape)
        let b = try run("generalized_wasserstein_dice_loss", options, x, dense, shape)
        #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
        var soft = rng.probs(36)
        for n in 0..<2 {
            for i in 0..<6 {
                let s = (0..<3).map { soft[(n * 3 + $0) * 6 + i] }.reduce(0, +)
                for c in 0..<3 { soft[(n * 3 + c) * 6 + i] /= s }
            }
        }
        let e2 = try finiteDifferenceError("generalized_wasserstein_dice_loss", options, x, soft, shape)
        #expect(e2 < 1e-6, "\(label) soft: \(e2)")
    }

    @Test("reduction none with grad_output, 3-D")
    func none() throws {
        var rng = TestRandom(seed: 9)
        let shape = [2, 3, 2, 2, 3]
        let x = rng.logits(72), labels = rng.labels(24, classes: 3)
        let options: [(String, Double)] = [("mode", 2), ("reduction", 2)]
        let r = try runLabels("generalized_wasserstein_dice_loss", options, x, labels, shape)
        #expect(r.values.count == 2)
        let mean = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2)], x, labels, shape)
        #expect(abs((r.values[0] + r.values[1]) / 2 - mean.value) < 1e-12)
        let err = try finiteDifferenceErrorLabels("generalized_wasserstein_dice_loss", options, x, labels, shape, gradOutput: [0.7, -1.3])
        #expect(err < 1e-6)
    }

    @Test("edges: logits ±30, one class everywhere, 1x1, all ignored; Float agrees")
    func edges() throws {
        for labels: [Int64] in [[0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 1, 0]] {
            for s in [30.0, -30.0] {
                let x = (0..<8).map { $0 < 4 ? s : -s }
                let r = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2)], x, labels, [1, 2, 2, 2])
                #expect(r.value.isFinite && r.value >= 0 && r.gradient.allSatisfy(\.isFinite))
            }
        }
        let one = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2)], [0.2, 0.9], [1], [1, 2, 1, 1])
        #expect(one.value.isFinite && one.gradient[1] < 0)
        let ignored = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2), ("ignore_index", 255)],
                                    [0.2, 0.9, 0.1, 0.3], [255, 255], [1, 2, 1, 2])
        #expect(ignored.value == 0 && ignored.gradient.allSatisfy { $0 == 0 })
        var rng = TestRandom(seed: 3)
        let x = rng.logits(36), g = oneHot(rng.labels(12, classes: 3), classes: 3, spatial: 6)
        let d = try run("generalized_wasserstein_dice_loss", [("mode", 2)], x, g, [2, 3, 2, 3])
        let f = try runFloat("generalized_wasserstein_dice_loss", [("mode", 2)], x, g, [2, 3, 2, 3])
        #expect(abs(Double(f.value) - d.value) < 1e-6)
    }

    @Test("NaN/inf input, out-of-range targets and probabilities name the argument")
    func values() {
        let shape = [1, 2, 1, 2], name = "generalized_wasserstein_dice_loss", mc: [(String, Double)] = [("mode", 2)]
        expectError(.value, "input") { _ = try runLabels(name, mc, [1, .nan, 3, 4], [0, 1], shape) }
        expectError(.value, "input") { _ = try runLabels(name, mc, [1, .infinity, 3, 4], [0, 1], shape) }
        expectError(.value, "target") { _ = try runLabels(name, mc, [1, 2, 3, 4], [0, 2], shape) }
        expectError(.value, "target") { _ = try run(name, mc, [1, 2, 3, 4], [1, -0.5, 0, 1.5], shape) }
        expectError(.value, "input") { _ = try runLabels(name, mc + [("from_logits", 0)], [0.5, 1.5, 0.5, 0.1], [0, 1], shape) }
    }

    @Test("bad options name the argument")
    func errors() {
        let x = [0.1, 0.2, 0.3, 0.4], shape = [1, 2, 1, 2]
        expectError(.option, "mode") { _ = try run("generalized_wasserstein_dice_loss", [], [0.1, 0.2], [1, 0], [1, 1, 1, 2]) }
        expectError(.option, "include_background") {
            _ = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2), ("include_background", 0)], x, [0, 1], shape)
        }
        expectError(.shape, "dist_matrix") {
            _ = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2)] + Self.matrixOptions(Self.monaiMatrix), x, [0, 1], shape)
        }
        expectError(.value, "dist_matrix") {
            _ = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2)] + Self.matrixOptions([0, -1, 1, 0]), x, [0, 1], shape)
        }
        expectError(.value, "dist_matrix") {
            _ = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2)] + Self.matrixOptions([0, 0, 0, 0]), x, [0, 1], shape)
        }
        expectError(.option, "weighting_mode") {
            _ = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2), ("weighting_mode", 3)], x, [0, 1], shape)
        }
        expectError(.value, "smooth_dr") {
            _ = try runLabels("generalized_wasserstein_dice_loss", [("mode", 2), ("smooth_dr", -1)], x, [0, 1], shape)
        }
    }
}
