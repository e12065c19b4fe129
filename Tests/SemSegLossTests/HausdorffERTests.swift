import Foundation
import Testing
@testable import SemSegLoss

/// hausdorff_er_loss: the erosions by hand, the stencil, finite-difference gradients through
/// the recorded steps, modes, edges and bad options.
@Suite("Hausdorff erosion loss")
struct HausdorffERTests {
    static let name = "hausdorff_er_loss"

    /// Row b₀ = (0, 1, 1, 1, 0) (p = (0, 1, 1, 1, 0), g = 0), 1-D kernel 1/3:
    /// c₁ = (1, 2, 3, 2, 1)/3, r₁ = (0, 1/6, 1/2, 1/6, 0), b₁ = (0, 1/3, 1, 1/3, 0);
    /// c₂ = (1, 4, 5, 4, 1)/9, r₂ = (0, 0, 1/18, 0, 0), b₂ = (0, 0, 1, 0, 0).
    /// α = 2: ℓ = b₁ + 4·b₂ = (0, 1/3, 5, 1/3, 0), mean 17/15.
    @Test("two erosions of one row by hand")
    func byHand() throws {
        let options: [(String, Double)] = [("from_logits", 0), ("erosions", 2), ("reduction", 2)]
        let r = try run(Self.name, options, [0, 1, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 5])
        #expect(maxAbsDiff(r.values, [0, 1.0 / 3, 5, 1.0 / 3, 0]) < 1e-12)
        let mean = try run(Self.name, [("from_logits", 0), ("erosions", 2)], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 5])
        #expect(abs(mean.value - 17.0 / 15) < 1e-12)
        // α = 0 weighs every step 1: ℓ = b₁ + b₂.
        let flat = try run(Self.name, [("from_logits", 0), ("erosions", 2), ("alpha", 0)], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 5])
        #expect(abs(flat.value - (2.0 / 3 + 2) / 5) < 1e-12)
    }

    @Test("the cross stencil: 2-D and 3-D weights, zero padding, self-adjoint")
    func stencil() {
        let s2 = CrossStencil(spatial: [3, 4])
        var e = [Double](repeating: 0, count: 12)
        e[5] = 1  // (1, 1)
        var out = [Double](repeating: 0, count: 12)
        e.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { s2.apply(src.baseAddress!, into: $0.baseAddress!) } }
        #expect(Set((0..<12).filter { out[$0] != 0 }) == [1, 4, 5, 6, 9])
        #expect(out.allSatisfy { $0 == 0 || abs($0 - 0.2) < 1e-15 })
        var rng = TestRandom(seed: 4)
        let s3 = CrossStencil(spatial: [3, 4, 5])
        let a = rng.logits(60), b = rng.logits(60)
        var ka = [Double](repeating: 0, count: 60), kb = ka
        a.withUnsafeBufferPointer { src in ka.withUnsafeMutableBufferPointer { s3.apply(src.baseAddress!, into: $0.baseAddress!) } }
        b.withUnsafeBufferPointer { src in kb.withUnsafeMutableBufferPointer { s3.apply(src.baseAddress!, into: $0.baseAddress!) } }
        let lhs = zip(ka, b).reduce(0) { $0 + $1.0 * $1.1 }, rhs = zip(a, kb).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(lhs - rhs) < 1e-12)
        // the centre of a 3x3x3 block of ones sees its 7-point cross: 1
        var ones = [Double](repeating: 0, count: 27)
        for i in 0..<27 { ones[i] = 1 }
        var o3 = ones
        let c3 = CrossStencil(spatial: [3, 3, 3])
        ones.withUnsafeBufferPointer { src in o3.withUnsafeMutableBufferPointer { c3.apply(src.baseAddress!, into: $0.baseAddress!) } }
        #expect(abs(o3[13] - 1) < 1e-15 && abs(o3[0] - 4.0 / 7) < 1e-15)
    }

    @Test("a compact error region costs more than the same number of scattered errors")
    func compactVersusScattered() throws {
        var square = [Double](repeating: 0, count: 81), scattered = square
        for y in 3..<6 { for x in 3..<6 { square[y * 9 + x] = 1 } }
        for k in 0..<9 { scattered[(k / 3) * 36 + (k % 3) * 3] = 1 }  // isolated voxels, 2 apart
        let zero = [Double](repeating: 0, count: 81)
        let a = try run(Self.name, [("from_logits", 0)], square, zero, [1, 1, 9, 9])
        let b = try run(Self.name, [("from_logits", 0)], scattered, zero, [1, 1, 9, 9])
        #expect(b.value == 0 && a.value > 0.1)
    }

    static let families: [(String, [Int], [(String, Double)])] = [
        ("binary logits 2-D", [2, 1, 6, 7], []),
        ("binary probabilities, 3 erosions, alpha 1", [1, 1, 5, 5], [("from_logits", 0), ("erosions", 3), ("alpha", 1)]),
        ("multilabel no background, ignore", [1, 3, 5, 4], [("mode", 1), ("include_background", 0), ("ignore_index", 255)]),
        ("3-D, sum", [1, 1, 3, 4, 4], [("reduction", 1)]),
        ("1-D", [2, 1, 9], []),
    ]

    /// Targets are the complement of a thresholded noisy prediction, so that (p − g)² is
    /// large on compact regions and the erosions keep something (else the loss is flat 0).
    static func problem(_ rng: inout TestRandom, _ n: Int, probabilities: Bool) -> (x: [Double], g: [Double]) {
        let x = probabilities ? rng.probs(n) : rng.logits(n, scale: 3)
        let g = x.map { v -> Double in (probabilities ? v > 0.5 : v > 0) ? 0 : 1 }
        return (x, g)
    }

    @Test("gradient matches central differences (Double)", arguments: 0..<families.count)
    func gradient(_ f: Int) throws {
        let (label, shape, options) = Self.families[f]
        var rng = TestRandom(seed: UInt64(120 + f))
        let n = shape.reduce(1, *)
        var (x, g) = Self.problem(&rng, n, probabilities: label.contains("probabilities"))
        if label.contains("ignore") { g[3] = 255; g[11] = 255 }
        let value = try run(Self.name, options, x, g, shape).value
        #expect(value > 0, "\(label): the erosions keep something")
        let err = try finiteDifferenceError(Self.name, options, x, g, shape)
        #expect(err < 1e-6, "\(label): \(err)")
    }

    @Test("reduction none: ℓ per voxel, vector-Jacobian product")
    func none() throws {
        var rng = TestRandom(seed: 131)
        let shape = [2, 1, 5, 6]
        let (x, g) = Self.problem(&rng, 60, probabilities: false)
        let none = try run(Self.name, [("reduction", 2)], x, g, shape)
        #expect(none.valuesShape == shape)
        let mean = try run(Self.name, [], x, g, shape)
        #expect(abs(none.values.reduce(0, +) / 60 - mean.value) < 1e-12)
        let w = (0..<60).map { Double($0 % 7) / 3 - 1 }
        let err = try finiteDifferenceError(Self.name, [("reduction", 2)], x, g, shape, gradOutput: w)
        #expect(err < 1e-6)
    }

    @Test("multiclass: label maps = one-hot, gradient through the softmax")
    func multiclass() throws {
        var rng = TestRandom(seed: 71)
        let shape = [2, 3, 5, 5]
        let x = rng.logits(150, scale: 3), labels = rng.labels(50, classes: 3)
        let options: [(String, Double)] = [("mode", 2)]
        #expect(try runLabels(Self.name, options, x, labels, shape).value > 0)
        let err = try finiteDifferenceErrorLabels(Self.name, options, x, labels, shape)
        #expect(err < 1e-6, "\(err)")
        let a = try runLabels(Self.name, options + [("include_background", 0)], x, labels, shape)
        let b = try run(Self.name, options + [("include_background", 0)], x, oneHot(labels, classes: 3, spatial: 25), shape)
        #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    @Test("edges: perfect and ±30 logits give 0, 1x1, odd sizes, all ignored; Float agrees; deterministic")
    func edges() throws {
        for g in [[0.0, 1, 0, 1, 1, 1, 0, 1, 0], [Double](repeating: 1, count: 9), [Double](repeating: 0, count: 9)] {
            for s in [30.0, -30.0] {
                let r = try run(Self.name, [], g.map { $0 > 0 ? s : -s }, g, [1, 1, 3, 3])
                #expect(r.value.isFinite && r.value >= 0 && r.gradient.allSatisfy(\.isFinite))
                if s == 30 { #expect(r.value < 1e-12) }
            }
        }
        var rng = TestRandom(seed: 11)
        for shape in [[1, 1, 1, 1], [3, 1, 3, 5], [1, 2, 3, 1, 5], [2, 3, 1, 1, 1]] {
            let n = shape.reduce(1, *)
            let r = try run(Self.name, [("mode", shape[1] == 1 ? 0 : 1)], rng.logits(n), rng.bits(n), shape)
            #expect(r.value.isFinite && r.gradient.allSatisfy(\.isFinite), "\(shape)")
        }
        let all = try run(Self.name, [("ignore_index", 255)], [0.3, -1, 2, 0.5], [255, 255, 255, 255], [1, 1, 2, 2])
        #expect(all.value == 0 && all.gradient.allSatisfy { $0 == 0 })
        let shape = [2, 2, 96, 80], n = shape.reduce(1, *)
        let (x, g) = Self.problem(&rng, n, probabilities: false)
        let a = try run(Self.name, [("mode", 1)], x, g, shape), b = try run(Self.name, [("mode", 1)], x, g, shape)
        #expect(a.value == b.value && a.gradient == b.gradient)
        let f = try runFloat(Self.name, [("mode", 1)], x, g, shape)
        #expect(abs(f.value - a.value) < 1e-4 * max(1, a.value))
    }

    @Test("bad options and inputs name the argument")
    func bad() {
        let x: [Double] = [0.2, 0.4, 0.6, 0.8], g: [Double] = [0, 1, 1, 0], s = [1, 1, 2, 2]
        for (options, argument) in [([("alpha", -1.0)], "alpha"), ([("alpha", Double.nan)], "alpha"),
                                    ([("erosions", 0)], "erosions"), ([("erosions", 2.5)], "erosions"),
                                    ([("erosions", 1001)], "erosions"), ([("smooth_nr", 1)], "smooth_nr")] {
            #expect(thrownError { _ = try run(Self.name, options, x, g, s) }?.argument == argument, "\(options)")
        }
        // Values built in Swift are checked too (no trap on 1...0).
        for loss in [HausdorffERLoss(erosions: 0), HausdorffERLoss(alpha: -1)] {
            let configured = ConfiguredLoss(name: Self.name, function: .hausdorffER(loss), options: LossOptions())
            #expect(thrownError { _ = try configured(x, g, shape: s) }?.argument != nil)
        }
        #expect(thrownError { _ = try run(Self.name, [], [0, .nan, 0, 0], g, s) }?.argument == "input")
        #expect(thrownError { _ = try run(Self.name, [], x, [0, 2, 1, 0], s) }?.argument == "target")
        #expect(thrownError { _ = try run(Self.name, [("reduction", 2)], x, g, s, gradOutput: [1, .nan, 1, 1]) }?.argument == "grad_output")
    }
}
