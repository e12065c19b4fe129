import Foundation
import Testing
@testable import SemSegLoss

/// soft_cldice_loss and soft_dice_cldice_loss: the soft skeleton by hand, values,
/// finite-difference gradients through the skeleton's reverse pass, edges.
@Suite("Soft clDice")
struct SoftClDiceTests {
    /// A line p = (0.2, 0.9, 0.3): erode (0.2, 0.2, 0.3), open (0.2, 0.3, 0.3), δ₀ = (0, 0.6, 0);
    /// then x₁ = (0.2, 0.2, 0.3) opens to 0.2 everywhere, δ₁ = (0, 0, 0.1), s₁ = (0, 0.6, 0.1);
    /// later steps add nothing. g = (0, 1, 0) has skeleton (0, 1, 0).
    @Test("skeletons and value by hand")
    func byHand() throws {
        let sk = SoftSkeleton<Double>(spatial: [3], iterations: 3)
        let sp = [0.2, 0.9, 0.3].withUnsafeBufferPointer { sk.forward($0.baseAddress!, record: false).skeleton }
        #expect(maxAbsDiff(sp, [0, 0.6, 0.1]) < 1e-12)
        let sg = [0.0, 1, 0].withUnsafeBufferPointer { sk.forward($0.baseAddress!, record: false).skeleton }
        #expect(maxAbsDiff(sg, [0, 1, 0]) < 1e-12)
        let r = try run("soft_cldice_loss", [("from_logits", 0)], [0.2, 0.9, 0.3], [0, 1, 0], [1, 1, 3])
        let tprec = 1.6 / 1.7, tsens = 1.9 / 2.0
        #expect(abs(r.value - (1 - 2 * tprec * tsens / (tprec + tsens))) < 1e-12)
        let d = try run("soft_dice_cldice_loss", [("from_logits", 0), ("alpha", 0.3)], [0.2, 0.9, 0.3], [0, 1, 0], [1, 1, 3])
        let dice = 1 - (2 * 0.9 + 1) / (1.4 + 1 + 1)
        #expect(abs(d.value - (0.7 * dice + 0.3 * (1 - 2 * tprec * tsens / (tprec + tsens)))) < 1e-12)
    }

    @Test("the skeleton of a filled square: its centre, nothing outside")
    func square() {
        var g = [Double](repeating: 0, count: 81)
        for y in 2..<7 { for x in 2..<7 { g[y * 9 + x] = 1 } }
        let sk = SoftSkeleton<Double>(spatial: [9, 9], iterations: 3)
        let s = g.withUnsafeBufferPointer { sk.forward($0.baseAddress!, record: false).skeleton }
        #expect(abs(s[4 * 9 + 4] - 1) < 1e-12)
        #expect(s.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect((0..<81).allSatisfy { g[$0] == 1 || s[$0] == 0 })
    }

    static let families: [(String, [Int], [(String, Double)])] = [
        ("binary logits 2-D", [1, 1, 6, 7], []),
        ("binary probabilities, 2 iterations", [2, 1, 5, 5], [("from_logits", 0), ("iterations", 2)]),
        ("multilabel no background, ignore", [1, 3, 5, 4], [("mode", 1), ("include_background", 0), ("ignore_index", 255)]),
        ("3-D, smooth 0.5", [1, 1, 3, 4, 4], [("smooth", 0.5)]),
        ("1-D", [2, 1, 9], []),
    ]

    @Test("gradient matches central differences (Double)", arguments: 0..<families.count, ["soft_cldice_loss", "soft_dice_cldice_loss"])
    func gradient(_ f: Int, _ name: String) throws {
        let (label, shape, options) = Self.families[f]
        var rng = TestRandom(seed: UInt64(60 + f))
        let n = shape.reduce(1, *)
        let x = label.contains("probabilities") ? rng.probs(n) : rng.logits(n)
        var g = rng.bits(n, p: 0.4)
        if label.contains("ignore") { g[3] = 255; g[11] = 255 }
        let err = try finiteDifferenceError(name, options, x, g, shape)
        #expect(err < 1e-6, "\(name) \(label): \(err)")
    }

    @Test("multiclass: label maps = one-hot, gradient through the softmax")
    func multiclass() throws {
        var rng = TestRandom(seed: 71)
        let shape = [2, 3, 4, 5]
        let x = rng.logits(120), labels = rng.labels(40, classes: 3)
        for name in ["soft_cldice_loss", "soft_dice_cldice_loss"] {
            let options: [(String, Double)] = [("mode", 2), ("include_background", 0)]
            let err = try finiteDifferenceErrorLabels(name, options, x, labels, shape)
            #expect(err < 1e-6, "\(name): \(err)")
            let a = try runLabels(name, options, x, labels, shape)
            let b = try run(name, options, x, oneHot(labels, classes: 3, spatial: 20), shape)
            #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
        }
    }

    @Test("edges: ±30 logits, empty and full masks, 1x1, all ignored; Float agrees")
    func edges() throws {
        for name in ["soft_cldice_loss", "soft_dice_cldice_loss"] {
            for g in [[Double](repeating: 0, count: 9), [Double](repeating: 1, count: 9), [0, 1, 0, 1, 1, 1, 0, 1, 0]] {
                for s in [30.0, -30.0] {
                    let x = g.map { $0 > 0 ? s : -s }
                    let r = try run(name, [], x, g, [1, 1, 3, 3])
                    #expect(r.value.isFinite && r.value >= 0 && r.value <= 1 && r.gradient.allSatisfy(\.isFinite))
                    let f = try runFloat(name, [], x, g, [1, 1, 3, 3])
                    #expect(abs(Double(f.value) - r.value) < 1e-5)
                }
            }
            let one = try run(name, [], [0.4], [1], [1, 1, 1, 1])
            #expect(one.value.isFinite && one.gradient.allSatisfy(\.isFinite))
            let ignored = try run(name, [("ignore_index", 255)], [0.3, -1, 2, 0], [255, 255, 255, 255], [1, 1, 2, 2])
            #expect(ignored.value == 0 && ignored.gradient.allSatisfy { $0 == 0 })
        }
    }

    @Test("bad options and inputs name the argument")
    func errors() {
        let x = [0.1, 0.2, 0.3, 0.4], g = [1.0, 0, 1, 0], shape = [1, 1, 2, 2]
        for k in [-1.0, 1.5, .nan] {
            expectError(.value, "iterations") { _ = try run("soft_cldice_loss", [("iterations", k)], x, g, shape) }
        }
        expectError(.value, "smooth") { _ = try run("soft_cldice_loss", [("smooth", 0)], x, g, shape) }
        expectError(.value, "alpha") { _ = try run("soft_dice_cldice_loss", [("alpha", 1.5)], x, g, shape) }
        expectError(.option, "alpha") { _ = try run("soft_cldice_loss", [("alpha", 0.5)], x, g, shape) }
        expectError(.option, "reduction") { _ = try run("soft_cldice_loss", [("reduction", 2)], x, g, shape) }
        expectError(.value, "input") { _ = try run("soft_cldice_loss", [], [0.1, .nan, 0.3, 0.4], g, shape) }
        expectError(.value, "input") { _ = try run("soft_cldice_loss", [("from_logits", 0)], [0.1, 1.2, 0.3, 0.4], g, shape) }
        expectError(.value, "target") { _ = try run("soft_cldice_loss", [], x, [1, 2, 1, 0], shape) }
        expectError(.shape, "target") { _ = try run("soft_cldice_loss", [], x, [1, 0, 1], shape) }
    }
}

extension SoftClDiceTests {
    /// The value-only morphology (used without a tape) equals the recorded one.
    @Test("value-only erosion and dilation equal the recorded ones", arguments: [[7, 9], [3, 4, 5], [11]])
    func valueOnly(_ dims: [Int]) {
        var rng = TestRandom(seed: UInt64(dims.count))
        let x = rng.logits(dims.reduce(1, *))
        let sk = SoftSkeleton<Double>(spatial: dims[...], iterations: 3)
        #expect(sk.erodeValues(x) == sk.erode(x).0)
        #expect(sk.dilateValues(x) == sk.dilate(x).0)
        let a = x.withUnsafeBufferPointer { sk.forward($0.baseAddress!, record: false).skeleton }
        let b = x.withUnsafeBufferPointer { sk.forward($0.baseAddress!, record: true).skeleton }
        #expect(a == b)
    }
}
