import Foundation
import Testing
@testable import SemSegLoss

/// Multi-scale SSIM (`SSIMLoss.scaleWeights`, `MultiScaleSSIM`): one scale is SSIM, a
/// hand-computed value through the pooling, the clamp at 0, central differences in 2-D,
/// 3-D, multiclass and the UNet 3+ hybrid, Float against Double, and bad options.
@Suite("multi-scale SSIM")
struct MultiScaleSSIMTests {
    static func weights(_ w: [Double]) -> [(String, Double)] {
        w.enumerated().map { ("scale_weights.\($0.offset)", $0.element) }
    }

    @Test("one scale with weight 1 is ssim_loss where the mean SSIM is positive (MS clamps it at 0)")
    func oneScale() throws {
        var rng = TestRandom(seed: 3)
        let g = rng.bits(2 * 2 * 13 * 12)
        let x = zip(g, rng.logits(g.count, scale: 1)).map { 3 * (2 * $0 - 1) + $1 }  // correlated with g
        let options: [(String, Double)] = [("win_size", 5), ("mode", 1)]
        let single = try run("ssim_loss", options, x, g, [2, 2, 13, 12])
        let multi = try run("ssim_loss", options + Self.weights([1]), x, g, [2, 2, 13, 12])
        #expect(abs(single.value - multi.value) < 1e-14)
        #expect(maxAbsDiff(single.gradient, multi.gradient) < 1e-14)
        // Anti-correlated data: the planes have a negative mean SSIM; MS-SSIM counts them as 0.
        let noise = zip(g, rng.logits(g.count, scale: 1)).map { -3 * (2 * $0 - 1) + $1 }
        let a = try run("ssim_loss", options + [("reduction", 2)], noise, g, [2, 2, 13, 12]).values
        let b = try run("ssim_loss", options + [("reduction", 2)] + Self.weights([1]), noise, g, [2, 2, 13, 12]).values
        #expect(a.contains { $0 > 1 }, "the data should have a plane with negative SSIM: \(a)")
        #expect(maxAbsDiff(a.map { Swift.min($0, 1) }, b) < 1e-14, "\(a) \(b)")
    }

    @Test("by hand, window 1: cs = 1 at every scale, so MS = (mean S of the pooled plane)^w_M")
    func byHand() throws {
        // A 2 x 4 plane pooled once: p̄ = (mean of the left 2x2, of the right 2x2).
        let p = [0.9, 0.2, 0.4, 0.4, 0.7, 0.1, 0.6, 0.8], g = [1.0, 0, 1, 0, 1, 1, 0, 0]
        let r = try run("ssim_loss", [("from_logits", 0), ("win_size", 1)] + Self.weights([0.5, 2]), p, g, [1, 1, 2, 4])
        let c1 = 0.0001
        let pl = (0.9 + 0.2 + 0.7 + 0.1) / 4, pr = (0.4 + 0.4 + 0.6 + 0.8) / 4
        let gl = 3.0 / 4, gr = 1.0 / 4
        func s(_ a: Double, _ b: Double) -> Double { (2 * a * b + c1) / (a * a + b * b + c1) }
        let expected = 1 - pow((s(pl, gl) + s(pr, gr)) / 2, 2)
        #expect(abs(r.value - expected) < 1e-14, "\(r.value) vs \(expected)")
    }

    @Test("a negative mean cs clamps MS to 0: loss 1, zero gradient")
    func clamp() throws {
        // p = 1 − g on a striped target: negative covariance in every window.
        let g = (0..<(12 * 12)).map { Double(($0 % 12) / 2 % 2) }, p = g.map { 0.9 - 0.8 * $0 }
        let r = try run("ssim_loss", [("from_logits", 0), ("win_size", 3)] + Self.weights([0.5, 0.5]), p, g, [1, 1, 12, 12])
        #expect(r.value == 1)
        #expect(r.gradient.allSatisfy { $0 == 0 })
    }

    @Test("central differences (Double)", arguments: [
        ([1, 1, 11, 13], 5.0, [0.4, 0.6], 1.0), ([1, 1, 7, 6, 9], 3.0, [0.3, 0.7], 1.0),
        ([1, 3, 7, 8], 3.0, [0.2, 0.8], 2.0), ([1, 2, 13, 12], 3.0, [1.0, 2.0, 0.5], 1.0),
    ])
    func gradient(_ shape: [Int], _ window: Double, _ w: [Double], _ mode: Double) throws {
        var rng = TestRandom(seed: UInt64(shape.reduce(0, +)))
        let n = shape.reduce(1, *), plane = n / (shape[0] * shape[1])
        let options = [("win_size", window), ("mode", mode)] + Self.weights(w)
        // Logits correlated with the target, so that every mean v_j is positive (no clamp).
        if mode == 2 {
            let labels = (0..<(n / shape[1])).map { _ in Int64(rng.next() % UInt64(shape[1])) }
            var x = rng.logits(n, scale: 1)
            for i in 0..<n {
                let b = i / (shape[1] * plane), c = (i / plane) % shape[1], v = i % plane
                if labels[b * plane + v] == Int64(c) { x[i] += 3 }
            }
            #expect(try runLabels("ssim_loss", options, x, labels, shape).value < 0.9)
            let err = try finiteDifferenceErrorLabels("ssim_loss", options, x, labels, shape)
            #expect(err < 1e-6, "multiclass: \(err)")
        } else {
            let g = rng.bits(n)
            let x = zip(g, rng.logits(n, scale: 1)).map { 2 * (2 * $0 - 1) + $1 }
            #expect(try run("ssim_loss", options, x, g, shape).value < 0.9)
            let err = try finiteDifferenceError("ssim_loss", options, x, g, shape)
            #expect(err < 1e-6, "\(shape): \(err)")
            let hybrid = try finiteDifferenceError("unet3p_hybrid_loss", options, x, g, shape)
            #expect(hybrid < 1e-6, "unet3p \(shape): \(hybrid)")
        }
    }

    @Test("the hybrids pass scale_weights to their SSIM part")
    func hybrids() throws {
        var rng = TestRandom(seed: 8)
        let x = rng.logits(2 * 20 * 21), g = rng.bits(2 * 20 * 21)
        let options = [("win_size", 5.0)] + Self.weights([0.5, 0.5])
        let ssim = try run("ssim_loss", options, x, g, [2, 1, 20, 21]).value
        let plain = try run("ssim_loss", [("win_size", 5.0)], x, g, [2, 1, 20, 21]).value
        for name in ["unet3p_hybrid_loss", "basnet_hybrid_loss"] {
            let a = try run(name, options, x, g, [2, 1, 20, 21]).value
            let b = try run(name, [("win_size", 5.0)], x, g, [2, 1, 20, 21]).value
            #expect(abs((a - b) - (ssim - plain)) < 1e-12, "\(name)")
        }
    }

    @Test("Float agrees with Double")
    func float() throws {
        var rng = TestRandom(seed: 11)
        let x = rng.logits(2 * 24 * 26), g = rng.bits(2 * 24 * 26)
        let options = [("win_size", 5.0)] + Self.weights([0.3, 0.3, 0.4])
        let d = try run("ssim_loss", options, x, g, [2, 1, 24, 26])
        let f = try runFloat("ssim_loss", options, x, g, [2, 1, 24, 26])
        #expect(abs(Double(f.value) - d.value) < 2e-6)
        #expect(maxAbsDiff(f.gradient.map(Double.init), d.gradient) < 1e-7)
    }

    @Test("too small for the scales names input; bad weights name scale_weights")
    func errors() {
        let x = [Double](repeating: 0.5, count: 20 * 20), g = [Double](repeating: 1, count: 20 * 20)
        #expect(thrownError { _ = try run("ssim_loss", [("win_size", 5)] + Self.weights([1, 1, 1, 1]), x, g, [1, 1, 20, 20]) }?
            .argument == "input")
        #expect(thrownError { _ = try run("ssim_loss", [("win_size", 5)] + Self.weights([1, 1]), x, g, [1, 1, 20, 20]) } == nil)
        for bad in [[0.0], [-1], [1, .infinity], [Double](repeating: 1, count: 17)] {
            #expect(thrownError { _ = try run("ssim_loss", [("win_size", 1)] + Self.weights(bad), x, g, [1, 1, 20, 20]) }?
                .argument == "scale_weights", "\(bad)")
        }
    }
}
