import Foundation
import Testing
@testable import SemSegLoss

/// smp's focal-loss options: `reduced_threshold` (reduced focal loss) and `normalized`
/// (division by the sum of the modulating factors), in every mode.
@Suite("Focal loss: reduced_threshold and normalized")
struct FocalOptionsTests {
    // MARK: Known values, worked by hand

    /// p = (0.8, 0.3), g = (1, 1), th = 0.5, γ = 2, α = nil: p_t = 0.8 ≥ th gives the factor
    /// (0.2/0.5)² = 0.16; p_t = 0.3 < th gives 1 (plain cross-entropy).
    @Test("reduced focal by hand")
    func reducedByHand() throws {
        let r = try run("focal_loss", [("from_logits", 0), ("alpha_weighting", 0), ("reduced_threshold", 0.5)],
                        [0.8, 0.3], [1, 1], [1, 1, 1, 2])
        #expect(abs(r.value - (-0.16 * log(0.8) - log(0.3)) / 2) < 1e-12)
        // d/dp of −4(1 − p)² ln p = 4[2(1 − p) ln p − (1 − p)²/p]; of −ln p: −1/p; mean over 2.
        let d0 = 4 * (2 * 0.2 * log(0.8) - 0.04 / 0.8) / 2, d1 = -1 / 0.3 / 2
        #expect(maxAbsDiff(r.gradient, [d0, d1]) < 1e-12)
    }

    /// p = (0.8, 0.3), g = (1, 0), γ = 2, α = nil: m = (0.2², 0.3²) = (0.04, 0.09), M = 0.13;
    /// mean focal (−0.04 ln 0.8 − 0.09 ln 0.7)/2 divided by M.
    @Test("normalized focal by hand")
    func normalizedByHand() throws {
        let options: [(String, Double)] = [("from_logits", 0), ("alpha_weighting", 0), ("normalized", 1)]
        let r = try run("focal_loss", options, [0.8, 0.3], [1, 0], [1, 1, 1, 2])
        let mean = (-0.04 * log(0.8) - 0.09 * log(0.7)) / 2
        #expect(abs(r.value - mean / 0.13) < 1e-12)
        // ∂/∂p: (∂mean/∂p)/M − (mean/M²)·∂M/∂p, ∂M/∂p = (−2·0.2, 2·0.3).
        let dMean = [(2 * 0.2 * log(0.8) - 0.04 / 0.8) / 2, (-2 * 0.3 * log(0.7) + 0.09 / 0.7) / 2]
        let dM = [-0.4, 0.6]
        let want = (0..<2).map { dMean[$0] / 0.13 - mean / (0.13 * 0.13) * dM[$0] }
        #expect(maxAbsDiff(r.gradient, want) < 1e-12)
        let sum = try run("focal_loss", options + [("reduction", 1)], [0.8, 0.3], [1, 0], [1, 1, 1, 2])
        #expect(abs(sum.value - 2 * mean / 0.13) < 1e-12)
    }

    // MARK: Equivalences

    @Test("threshold 1 is the plain cross-entropy; gamma 0 normalized by the element count")
    func equivalences() throws {
        var rng = TestRandom(seed: 3)
        let shape = [2, 1, 3, 4]
        let x = rng.logits(24), g = rng.bits(24)
        let bce = try run("bce_loss", [], x, g, shape)
        let reduced = try run("focal_loss", [("alpha_weighting", 0), ("reduced_threshold", 1)], x, g, shape)
        #expect(abs(reduced.value - bce.value) < 1e-12 && maxAbsDiff(reduced.gradient, bce.gradient) < 1e-12)
        // γ = 0: every factor is 1, M = 24; the sum-reduced normalized loss is the mean BCE.
        let normalized = try run("focal_loss", [("alpha_weighting", 0), ("gamma", 0), ("normalized", 1), ("reduction", 1)], x, g, shape)
        #expect(abs(normalized.value - bce.value) < 1e-12 && maxAbsDiff(normalized.gradient, bce.gradient) < 1e-12)
    }

    @Test("multiclass with two classes equals the binary form on z1 - z0", arguments: [
        [("reduced_threshold", 0.5)], [("normalized", 1.0)], [("normalized", 1.0), ("reduced_threshold", 0.3), ("gamma", 1.5)],
    ] as [[(String, Double)]])
    func twoClasses(_ extra: [(String, Double)]) throws {
        var rng = TestRandom(seed: 11)
        let z = rng.logits(12), labels = rng.labels(12, classes: 2)
        let binary = try run("focal_loss", [("alpha_weighting", 0)] + extra, z, labels.map { Double($0) }, [2, 1, 2, 3])
        // multiclass logits (0, z) per voxel: channel 0 zeros, channel 1 = z
        var x2 = [Double](repeating: 0, count: 24)
        for n in 0..<2 { for i in 0..<6 { x2[(n * 2 + 1) * 6 + i] = z[n * 6 + i] } }
        let multi = try runLabels("focal_loss", [("alpha_weighting", 0), ("mode", 2)] + extra, x2, labels, [2, 2, 2, 3])
        #expect(abs(binary.value - multi.value) < 1e-12)
        for n in 0..<2 {
            for i in 0..<6 {
                #expect(abs(binary.gradient[n * 6 + i] - multi.gradient[(n * 2 + 1) * 6 + i]) < 1e-12)
            }
        }
    }

    // MARK: Gradients

    static let variants: [[(String, Double)]] = [
        [("reduced_threshold", 0.5)],
        [("reduced_threshold", 0.3), ("gamma", 1.5), ("alpha", 0.4)],
        [("normalized", 1)],
        [("normalized", 1), ("gamma", 0.5), ("alpha_weighting", 0)],
        [("normalized", 1), ("reduced_threshold", 0.6), ("reduction", 1)],
    ]

    static let families: [(String, [Int], [(String, Double)])] = [
        ("binary logits", [2, 1, 3, 4], []),
        ("binary probabilities", [2, 1, 3, 4], [("from_logits", 0)]),
        ("multilabel ignore, no background", [2, 3, 2, 3], [("mode", 1), ("ignore_index", 255), ("include_background", 0)]),
        ("3-D soft targets", [1, 1, 2, 3, 3], []),
        ("binary ignore, probabilities", [2, 1, 3, 4], [("ignore_index", 255), ("from_logits", 0)]),
        ("multilabel ignore", [2, 3, 2, 3], [("mode", 1), ("ignore_index", 255)]),
    ]

    /// Central differences in Double, away from the reduced factor's jump (no p_t within
    /// 1e-3 of th in these problems: checked).
    @Test("gradient matches central differences", arguments: 0..<variants.count, 0..<families.count)
    func gradient(_ v: Int, _ f: Int) throws {
        let (label, shape, options) = Self.families[f]
        var rng = TestRandom(seed: UInt64(17 * v + f))
        let n = shape.reduce(1, *)
        let x = label.contains("probabilities") ? rng.probs(n) : rng.logits(n)
        var g = label.contains("soft") ? rng.probs(n) : rng.bits(n)
        if label.contains("ignore") { g[2] = 255; g[7] = 255 }
        let all = Self.variants[v] + options
        if let th = all.first(where: { $0.0 == "reduced_threshold" })?.1 {
            let p = label.contains("probabilities") ? x : x.map { 1 / (1 + exp(-$0)) }
            #expect(p.allSatisfy { abs($0 - th) > 1e-3 && abs(1 - $0 - th) > 1e-3 }, "problem too close to the jump")
        }
        let err = try finiteDifferenceError("focal_loss", all, x, g, shape)
        #expect(err < 1e-6, "\(Self.variants[v]) / \(label): \(err)")
    }

    @Test("multiclass gradient (labels, ignore_index, no background) matches central differences", arguments: 0..<variants.count)
    func gradientMulticlass(_ v: Int) throws {
        var rng = TestRandom(seed: UInt64(40 + v))
        let shape = [2, 3, 2, 3]
        let x = rng.logits(36)
        var labels = rng.labels(12, classes: 3)
        labels[4] = 255
        for extra: [(String, Double)] in [[], [("ignore_index", 255), ("include_background", 0)]] {
            let options = Self.variants[v] + [("mode", 2)] + extra
            let err = try finiteDifferenceErrorLabels("focal_loss", options, x, extra.isEmpty ? labels.map { $0 == 255 ? 1 : $0 } : labels, shape)
            #expect(err < 1e-6, "\(options): \(err)")
        }
    }

    // MARK: The one-sweep normalized form

    /// Binary / multilabel `normalized` runs one sweep (`evaluateNormalizedInOneSweep`);
    /// it must equal the definition evaluated apart: the plain focal loss, the factor sum
    /// M (`modulationSum`), and ∂L = ∂L̄/M − (L̄/M²)·∂M.
    @Test("one sweep equals the focal loss and the factor sum evaluated apart", arguments: [
        (FocalLoss(alpha: 0.25, gamma: 2, normalized: true), LossOptions(mode: .multilabel)),
        (FocalLoss(alpha: nil, gamma: 0.5, normalized: true), LossOptions(mode: .multilabel, fromLogits: false, reduction: .sum)),
        (FocalLoss(alpha: 0.4, gamma: 1.5, reducedThreshold: 0.3, normalized: true), LossOptions(mode: .multilabel, ignoreIndex: 255)),
        (FocalLoss(alpha: 0.25, gamma: 2, reducedThreshold: 0.5, normalized: true),
         LossOptions(mode: .multilabel, fromLogits: false, ignoreIndex: 255)),
    ])
    func oneSweepEqualsDefinition(_ loss: FocalLoss, _ options: LossOptions) throws {
        var rng = TestRandom(seed: 23)
        let shape = try TensorShape([2, 3, 5, 7]), n = shape.count
        let x = options.fromLogits ? rng.logits(n) : rng.probs(n)
        var g = rng.bits(n)
        if options.ignoreIndex != nil { for i in stride(from: 1, to: n, by: 7) { g[i] = 255 } }
        var fused = [Double](repeating: 0, count: n), plainGradient = fused, factorGradient = fused
        var plain = loss
        plain.normalized = false
        var sum = options
        sum.reduction = .sum
        let (value, focal, m) = try x.withUnsafeBufferPointer { xb in
            try g.withUnsafeBufferPointer { gb in
                let input = TensorView(xb.baseAddress!, shape: shape), target = TensorView(gb.baseAddress!, shape: shape)
                let value = try fused.withUnsafeMutableBufferPointer { fb in
                    try loss.evaluateNormalized(input: input, target: .dense(target), options: options, outputs: LossOutputs(gradient: fb.baseAddress!))
                }
                let focal = try plainGradient.withUnsafeMutableBufferPointer { pb in
                    try PixelLossEvaluator.evaluate(plain, input: input, target: target, options: options, outputs: LossOutputs(gradient: pb.baseAddress!))
                }
                let m = try factorGradient.withUnsafeMutableBufferPointer { mb in
                    try loss.modulationSum(input: input, target: .dense(target), options: options, gradient: mb.baseAddress!)
                }
                return (value, focal, m)
            }
        }
        #expect(abs(value - focal / m) <= 1e-12 * max(1, value))
        let want = (0..<n).map { plainGradient[$0] / m - focal / (m * m) * factorGradient[$0] }
        #expect(maxAbsDiff(fused, want) <= 1e-12 * max(1, want.map(abs).max()!))
    }

    // MARK: Edges and errors

    @Test("logits of ±30, empty and full masks, all ignored: finite; Float agrees")
    func edges() throws {
        for extra: [(String, Double)] in [[("reduced_threshold", 0.5)], [("normalized", 1)], [("normalized", 1), ("reduced_threshold", 0.2)]] {
            for g in [[0.0, 0, 0, 0], [1.0, 1, 1, 1], [1.0, 0, 1, 0]] {
                for x in [[30.0, -30, 30, -30], [-30.0, 30, -30, 30], [0.1, -0.2, 2, -1]] {
                    let r = try run("focal_loss", extra, x, g, [1, 1, 2, 2])
                    #expect(r.value.isFinite && r.value >= 0 && r.gradient.allSatisfy(\.isFinite), "\(extra) \(g) \(x)")
                    let f = try runFloat("focal_loss", extra, x, g, [1, 1, 2, 2])
                    #expect(abs(Double(f.value) - r.value) <= 1e-5 * max(1, r.value), "\(extra) \(g) \(x)")
                }
            }
            let ignored = try run("focal_loss", extra + [("ignore_index", 255)], [0.3, 1, -2, 0], [255, 255, 255, 255], [1, 1, 2, 2])
            #expect(ignored.value == 0 && ignored.gradient.allSatisfy { $0 == 0 })
        }
    }

    @Test("bad values name the argument")
    func errors() {
        let x = [0.1, 0.2], g = [1.0, 0], shape = [1, 1, 1, 2]
        for th in [0.0, -0.5, 1.5, .infinity, .nan] {
            expectError(.value, "reduced_threshold") { _ = try run("focal_loss", [("reduced_threshold", th)], x, g, shape) }
        }
        expectError(.value, "reduced_threshold") { _ = try run("focal_loss", [("reduced_threshold", 1e-4), ("gamma", 10)], x, g, shape) }
        expectError(.option, "reduction") { _ = try run("focal_loss", [("normalized", 1), ("reduction", 2)], x, g, shape) }
        expectError(.option, "reduction") {
            _ = try runLabels("focal_loss", [("normalized", 1), ("reduction", 2), ("mode", 2)], [0.1, 0.2, 0.3, 0.4], [0, 1], [1, 2, 1, 2])
        }
    }
}
