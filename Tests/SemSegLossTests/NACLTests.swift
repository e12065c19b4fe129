import Foundation
import Testing
@testable import SemSegLoss

/// nacl_loss: cross-entropy + α·mean d(K ∗ onehot(g) − x), in every mode.
@Suite("NACL loss")
struct NACLTests {
    /// Logits x = (0.5, −0.5, 1), g = (1, 0, 0) in a 1-D image of 3, box of 3, zero padding:
    /// u = (1/3, 1/3, 0); l1 penalty mean(1/6, 5/6, 1) = 2/3; BCE the mean of softplus(−0.5),
    /// softplus(−0.5), softplus(1).
    @Test("values and gradient by hand (binary, l1, box)")
    func byHand() throws {
        let r = try run("nacl_loss", [], [0.5, -0.5, 1], [1, 0, 0], [1, 1, 3])
        let sp = { (t: Double) in log1p(exp(t)) }
        let bce = (sp(-0.5) + sp(-0.5) + sp(1)) / 3
        #expect(abs(r.value - (bce + 0.1 * 2 / 3)) < 1e-12)
        let sig = { (t: Double) in 1 / (1 + exp(-t)) }
        let want = [(sig(0.5) - 1) / 3 + 0.1 / 3, sig(-0.5) / 3 - 0.1 / 3, sig(1) / 3 + 0.1 / 3]
        #expect(maxAbsDiff(r.gradient, want) < 1e-12)
        // l2: mean((1/6)², (5/6)², 1) = (1/36 + 25/36 + 1)/3
        let l2 = try run("nacl_loss", [("distance_type", 1), ("alpha", 1)], [0.5, -0.5, 1], [1, 0, 0], [1, 1, 3])
        #expect(abs(l2.value - (bce + (1.0 / 36 + 25.0 / 36 + 1) / 3)) < 1e-12)
        // As a 1×3 image the zero rows above and below also enter: u = (1/9, 1/9, 0).
        let flat = try run("nacl_loss", [("distance_type", 1), ("alpha", 1)], [0.5, -0.5, 1], [1, 0, 0], [1, 1, 1, 3])
        #expect(abs(flat.value - (bce + ((0.5 - 1.0 / 9) * (0.5 - 1.0 / 9) + (0.5 + 1.0 / 9) * (0.5 + 1.0 / 9) + 1) / 3)) < 1e-12)
    }

    @Test("MONAI's Gaussian kernel: erf taps, 4σ tail, not normalised")
    func gaussianTaps() {
        let taps: [Double] = NACLLoss(kernel: .gaussian, sigma: 1).taps()
        #expect(taps.count == 9)
        #expect(abs(taps[4] - erf(0.5 / 2.0.squareRoot())) < 1e-12)
        #expect(abs(taps[5] - 0.5 * (erf(1.5 / 2.0.squareRoot()) - erf(0.5 / 2.0.squareRoot()))) < 1e-12)
        #expect(abs(taps.reduce(0, +) - erf(4.5 / 2.0.squareRoot())) < 1e-12)
        let wide: [Double] = NACLLoss(kernel: .gaussian, sigma: 0.1).taps()
        #expect(wide.count == 3)  // t = ⌊max(0.4, 0.5) + 0.5⌋ = 1
    }

    /// The penalty against a direct 2-D correlation with zero padding (no separability).
    @Test("penalty equals a direct 2-D box filter", arguments: [3, 5])
    func direct(_ k: Int) throws {
        var rng = TestRandom(seed: UInt64(k))
        let h = 4, w = 5, n = h * w
        let x = rng.logits(n), g = rng.bits(n)
        let r = try run("nacl_loss", [("kernel_size", Double(k)), ("alpha", 1)], x, g, [1, 1, h, w])
        let ce = try run("bce_loss", [], x, g, [1, 1, h, w])
        var total = 0.0
        for i in 0..<h {
            for j in 0..<w {
                var u = 0.0
                for a in -(k / 2)...(k / 2) {
                    for b in -(k / 2)...(k / 2) where (0..<h).contains(i + a) && (0..<w).contains(j + b) {
                        u += g[(i + a) * w + j + b]
                    }
                }
                total += abs(u / Double(k * k) - x[i * w + j])
            }
        }
        #expect(abs(r.value - ce.value - total / Double(n)) < 1e-12)
    }

    @Test("alpha 0 is the cross-entropy; label map equals one-hot")
    func equivalences() throws {
        var rng = TestRandom(seed: 4)
        let shape = [2, 3, 3, 4]
        let x = rng.logits(72), labels = rng.labels(24, classes: 3)
        let ce = try runLabels("cross_entropy_loss", [("mode", 2)], x, labels, shape)
        let zero = try runLabels("nacl_loss", [("mode", 2), ("alpha", 0)], x, labels, shape)
        #expect(abs(ce.value - zero.value) < 1e-12 && maxAbsDiff(ce.gradient, zero.gradient) < 1e-12)
        let a = try runLabels("nacl_loss", [("mode", 2)], x, labels, shape)
        let b = try run("nacl_loss", [("mode", 2)], x, oneHot(labels, classes: 3, spatial: 12), shape)
        #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    static let families: [(String, [Int], [(String, Double)])] = [
        ("binary logits", [2, 1, 3, 4], []),
        ("binary probabilities l2", [2, 1, 3, 4], [("from_logits", 0), ("distance_type", 1)]),
        ("multilabel gaussian, no background, ignore", [1, 3, 4, 4], [("mode", 1), ("kernel_ops", 1), ("include_background", 0), ("ignore_index", 255)]),
        ("3-D box 5, sum", [1, 1, 3, 3, 4], [("kernel_size", 5), ("reduction", 1)]),
        ("1-D", [2, 2, 7], [("mode", 1)]),
        // From `NACLLoss.fusedFromPlanes` (image, channel) planes: both parts in one sweep.
        ("binary batch of 8, one sweep", [8, 1, 3, 4], []),
        ("multilabel one sweep, probabilities, no background, ignore", [3, 3, 4, 4],
         [("mode", 1), ("from_logits", 0), ("include_background", 0), ("ignore_index", 255), ("kernel_ops", 1)]),
    ]

    @Test("gradient matches central differences (Double)", arguments: 0..<families.count)
    func gradient(_ f: Int) throws {
        let (label, shape, options) = Self.families[f]
        var rng = TestRandom(seed: UInt64(30 + f))
        let n = shape.reduce(1, *)
        let x = label.contains("probabilities") ? rng.probs(n) : rng.logits(n)
        var g = rng.bits(n)
        if label.contains("ignore") { g[3] = 255; g[20] = 255 }
        let err = try finiteDifferenceError("nacl_loss", options, x, g, shape)
        #expect(err < 1e-6, "\(label): \(err)")
    }

    /// Batches of 8+ planes run both parts in one sweep over the planes
    /// (`NACLLoss.evaluateFused`); each image alone has fewer planes and runs the two
    /// sweeps. Sums over the images, and their gradients side by side, must agree.
    @Test("one sweep over 8+ planes equals the images evaluated one by one", arguments: [
        ([8, 1, 5, 6], [("reduction", 1.0)]),
        ([8, 1, 5, 6], [("reduction", 1.0), ("ignore_index", 255), ("distance_type", 1), ("kernel_size", 5)]),
        ([3, 3, 4, 7], [("reduction", 1.0), ("mode", 1), ("include_background", 0), ("kernel_ops", 1)]),
        ([4, 2, 3, 3, 4], [("reduction", 1.0), ("mode", 1), ("from_logits", 0), ("ignore_index", 255)]),
    ] as [([Int], [(String, Double)])])
    func oneSweep(_ shape: [Int], _ options: [(String, Double)]) throws {
        #expect(shape[0] * shape[1] >= NACLLoss.fusedFromPlanes && shape[1] < NACLLoss.fusedFromPlanes)
        var rng = TestRandom(seed: UInt64(shape.reduce(0, +)))
        let n = shape.reduce(1, *), perImage = n / shape[0]
        let probabilities = options.contains { $0 == ("from_logits", 0) }
        let x = probabilities ? rng.probs(n) : rng.logits(n)
        var g = rng.bits(n)
        if options.contains(where: { $0.0 == "ignore_index" }) { for i in stride(from: 2, to: n, by: 7) { g[i] = 255 } }
        let batch = try run("nacl_loss", options, x, g, shape)
        var value = 0.0, gradient: [Double] = []
        for i in 0..<shape[0] {
            let part = i * perImage..<(i + 1) * perImage
            let r = try run("nacl_loss", options, Array(x[part]), Array(g[part]), [1] + shape.dropFirst())
            value += r.value
            gradient += r.gradient
        }
        #expect(abs(batch.value - value) <= 1e-12 * max(1, abs(value)))
        #expect(maxAbsDiff(batch.gradient, gradient) < 1e-12)
        // The mean divides both parts by the kept elements of the batch.
        let mean = try run("nacl_loss", options.filter { $0.0 != "reduction" }, x, g, shape)
        let kept = Double(zip(g.indices, g).filter { i, t in
            t != 255 && (!options.contains { $0 == ("include_background", 0) } || (i / (n / shape[0] / shape[1])) % shape[1] > 0)
        }.count)
        #expect(abs(mean.value - value / kept) <= 1e-12 * max(1, value / kept))
        #expect(maxAbsDiff(mean.gradient, gradient.map { $0 / kept }) < 1e-12)
        // Float agrees; a NaN input is named.
        let f = try runFloat("nacl_loss", options, x, g, shape)
        #expect(abs(Double(f.value) - batch.value) <= 1e-5 * max(1, abs(batch.value)))
        var bad = x
        bad[n - 1] = .nan
        expectError(.value, "input") { _ = try run("nacl_loss", options, bad, g, shape) }
    }

    @Test("multiclass gradient (labels, ignore_index, no background, gaussian l2)")
    func gradientMulticlass() throws {
        var rng = TestRandom(seed: 12)
        let shape = [2, 3, 4, 3]
        let x = rng.logits(72)
        var labels = rng.labels(24, classes: 3)
        labels[5] = 255
        for options: [(String, Double)] in [[("mode", 2)], [("mode", 2), ("ignore_index", 255), ("include_background", 0)],
                                             [("mode", 2), ("ignore_index", 255), ("kernel_ops", 1), ("distance_type", 1), ("sigma", 0.7)]] {
            let l = options.contains { $0.0 == "ignore_index" } ? labels : labels.map { $0 == 255 ? 0 : $0 }
            let err = try finiteDifferenceErrorLabels("nacl_loss", options, x, l, shape)
            #expect(err < 1e-6, "\(options): \(err)")
        }
    }

    @Test("edges: ±30 logits, empty and full masks, 1x1, all ignored; Float agrees")
    func edges() throws {
        for g in [[0.0, 0, 0, 0], [1.0, 1, 1, 1]] {
            for x in [[30.0, -30, 30, -30], [-30.0, -30, -30, -30]] {
                let r = try run("nacl_loss", [], x, g, [1, 1, 2, 2])
                #expect(r.value.isFinite && r.value >= 0 && r.gradient.allSatisfy(\.isFinite))
                let f = try runFloat("nacl_loss", [], x, g, [1, 1, 2, 2])
                #expect(abs(Double(f.value) - r.value) <= 1e-5 * max(1, r.value))
            }
        }
        let one = try run("nacl_loss", [("kernel_size", 5)], [0.3], [1], [1, 1, 1, 1])
        // u = 1/25 (zero padding), the penalty pulls the logit 0.3 down; BCE pulls it up.
        #expect(abs(one.value - (log1p(exp(-0.3)) + 0.1 * abs(0.3 - 1.0 / 25))) < 1e-12)
        let ignored = try run("nacl_loss", [("ignore_index", 255)], [0.3, -1, 2, 0], [255, 255, 255, 255], [1, 1, 2, 2])
        #expect(ignored.value == 0 && ignored.gradient.allSatisfy { $0 == 0 })
    }

    @Test("bad options name the argument")
    func errors() {
        let x = [0.1, 0.2], g = [1.0, 0], shape = [1, 1, 1, 2]
        for k in [0.0, 2, -3, 1.5, .nan] {
            expectError(.value, "kernel_size") { _ = try run("nacl_loss", [("kernel_size", k)], x, g, shape) }
        }
        for s in [0.0, -1, .infinity] {
            expectError(.value, "sigma") { _ = try run("nacl_loss", [("sigma", s)], x, g, shape) }
        }
        expectError(.value, "alpha") { _ = try run("nacl_loss", [("alpha", -0.1)], x, g, shape) }
        expectError(.option, "reduction") { _ = try run("nacl_loss", [("reduction", 2)], x, g, shape) }
        expectError(.option, "kernel_ops") { _ = try run("nacl_loss", [("kernel_ops", 7)], x, g, shape) }
        expectError(.option, "distance_type") { _ = try run("nacl_loss", [("distance_type", 2)], x, g, shape) }
    }
}
