import Foundation
import Testing
@testable import SemSegLoss

@Suite("SSIM loss")
struct SSIMTests {
    // MARK: Known values

    /// win_size 1: μ = x and every variance is 0, so S = (2pg + c₁)/(p² + g² + c₁):
    /// p = 0.5, g = 1 gives 1.0001/1.2501 = 0.800016, loss 0.199984 per voxel.
    @Test("window of one voxel, worked by hand")
    func windowOne() throws {
        let r = try run("ssim_loss", [("win_size", 1), ("from_logits", 0)], [0.5, 0.5], [1, 1], [1, 1, 2])
        #expect(abs(r.value - (1 - 1.0001 / 1.2501)) < 1e-12)
        // ∂/∂p of −mean S: −(1/2)·[2g·C − A·2p]/C² with A = 1.0001, C = 1.2501.
        let d = -0.5 * (2 * 1.2501 - 1.0001 * 1.0) / (1.2501 * 1.2501)
        #expect(maxAbsDiff(r.gradient, [d, d]) < 1e-12)
    }

    @Test("identical images: loss 0, gradient 0")
    func identical() throws {
        var rng = TestRandom(seed: 1)
        let g = rng.bits(2 * 13 * 12)
        let r = try run("ssim_loss", [("from_logits", 0)], g, g, [2, 1, 13, 12])
        #expect(abs(r.value) < 1e-12 && r.gradient.allSatisfy { abs($0) < 1e-12 })
    }

    @Test("symmetric in prediction and target")
    func symmetric() throws {
        var rng = TestRandom(seed: 2)
        let a = rng.probs(144), b = rng.probs(144)
        let ab = try run("ssim_loss", [("from_logits", 0)], a, b, [1, 1, 12, 12])
        let ba = try run("ssim_loss", [("from_logits", 0)], b, a, [1, 1, 12, 12])
        #expect(abs(ab.value - ba.value) < 1e-13)
    }

    // MARK: Gradients

    struct Case: CustomTestStringConvertible, Sendable {
        var label: String, options: [(String, Double)], shape: [Int], probabilities = false
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "binary logits, window 11", options: [], shape: [1, 1, 12, 13]),
        Case(label: "binary probabilities, window 5", options: [("from_logits", 0), ("win_size", 5)], shape: [2, 1, 6, 7], probabilities: true),
        Case(label: "multilabel no background, sum", options: [("mode", 1), ("include_background", 0), ("reduction", 1), ("win_size", 3)], shape: [2, 3, 4, 5]),
        Case(label: "reduction none", options: [("mode", 1), ("reduction", 2), ("win_size", 3), ("kernel_sigma", 0.7)], shape: [2, 2, 5, 4]),
        Case(label: "3-D window 3", options: [("win_size", 3), ("k1", 0.05), ("k2", 0.1), ("data_range", 2)], shape: [1, 1, 4, 3, 5]),
        Case(label: "1-D window 5", options: [("win_size", 5)], shape: [2, 1, 9]),
    ]

    @Test("gradient matches central differences (Double)", arguments: cases)
    func gradient(_ c: Case) throws {
        var rng = TestRandom(seed: UInt64(c.label.count))
        let n = c.shape.reduce(1, *)
        let x = c.probabilities ? rng.probs(n) : rng.logits(n, scale: 1.5)
        let g = rng.bits(n, p: 0.4)
        let none = c.options.contains { $0 == ("reduction", 2) }
        let outCount = try LossCatalog.make("ssim_loss", options: c.options).outputShape(input: try TensorShape(c.shape)).reduce(1, *)
        let w = none ? rng.logits(outCount) : nil
        let err = try finiteDifferenceError("ssim_loss", c.options, x, g, c.shape, gradOutput: w)
        #expect(err < 1e-6, "\(c.label): \(err)")
    }

    @Test("multiclass with label maps: central differences through the softmax")
    func gradientLabels() throws {
        var rng = TestRandom(seed: 7)
        let shape = [2, 3, 4, 4], options: [(String, Double)] = [("mode", 2), ("win_size", 3)]
        let x = rng.logits(96), labels = rng.labels(32, classes: 3)
        let err = try finiteDifferenceErrorLabels("ssim_loss", options, x, labels, shape)
        #expect(err < 1e-6)
        let dense = try run("ssim_loss", options, x, oneHot(labels, classes: 3, spatial: 16), shape)
        #expect(abs(dense.value - (try runLabels("ssim_loss", options, x, labels, shape)).value) < 1e-12)
    }

    // MARK: Edge cases and bad input

    /// Hard labels skip the filter of g² (g² = g, so E[g²] = μg); a target whose zeros are
    /// −0 is not hard bit for bit and takes the filter. Both must give the same numbers.
    @Test("hard labels: E[g²] taken from μg equals filtering g² (Float and Double, 2-D and 3-D)",
          arguments: [[2, 1, 23, 19], [1, 2, 12, 11, 13]])
    func hardLabelShortcut(_ shape: [Int]) throws {
        var rng = TestRandom(seed: 21)
        let n = shape.reduce(1, *)
        let x = rng.logits(n), hard = rng.bits(n, p: 0.4)
        let negativeZeros = hard.map { $0 == 0 ? -0.0 : $0 }
        let o: [(String, Double)] = shape[1] > 1 ? [("mode", 1)] : []
        for (a, b) in [(try run("ssim_loss", o, x, hard, shape), try run("ssim_loss", o, x, negativeZeros, shape))] {
            #expect(a.value == b.value, "\(a.value) vs \(b.value)")
            #expect(zip(a.gradient, b.gradient).allSatisfy { $0 == $1 })
        }
        let a = try runFloat("ssim_loss", o, x, hard, shape), b = try runFloat("ssim_loss", o, x, negativeZeros, shape)
        #expect(a.value == b.value, "\(a.value) vs \(b.value)")
        #expect(zip(a.gradient, b.gradient).allSatisfy { $0 == $1 })
    }

    @Test("logits ±30 and Float: finite")
    func saturated() throws {
        var rng = TestRandom(seed: 3)
        let x = (0..<169).map { i in i % 3 == 0 ? 30.0 : -30.0 }, g = rng.bits(169)
        let r = try run("ssim_loss", [], x, g, [1, 1, 13, 13])
        #expect(r.value.isFinite && r.gradient.allSatisfy(\.isFinite))
        let f = try runFloat("ssim_loss", [], rng.logits(169), g, [1, 1, 13, 13])
        #expect(f.value.isFinite && f.gradient.allSatisfy(\.isFinite))
    }

    @Test("bad input names the argument")
    func badInput() {
        let x = [Double](repeating: 0, count: 100), g = [Double](repeating: 1, count: 100)
        #expect(thrownError { _ = try run("ssim_loss", [], x, g, [1, 1, 10, 10]) }?.argument == "input")
        #expect(thrownError { _ = try run("ssim_loss", [("ignore_index", 255)], x, g, [1, 1, 10, 10]) }?.argument == "ignore_index")
        for w in [0.0, 4, 2.5, -3, .infinity] {
            #expect(thrownError { _ = try run("ssim_loss", [("win_size", w)], x, g, [1, 1, 10, 10]) }?.argument == "win_size")
        }
        for name in ["kernel_sigma", "k1", "k2", "data_range"] {
            #expect(thrownError { _ = try run("ssim_loss", [(name, 0)], x, g, [1, 1, 10, 10]) }?.argument == name)
        }
        var bad = x
        bad[5] = .nan
        #expect(thrownError { _ = try run("ssim_loss", [("win_size", 3)], bad, g, [1, 1, 10, 10]) }?.argument == "input")
        #expect(thrownError { _ = try run("ssim_loss", [("win_size", 3)], x, bad, [1, 1, 10, 10]) }?.argument == "target")
    }
}
