import Foundation
import Testing
@testable import SemSegLoss

/// distance_weighted_dice_loss: the weights by hand, values, finite-difference gradients,
/// SegLoss's degenerate cases (NaN there), the 2-channel softmax form, edges.
@Suite("Distance-weighted Dice")
struct DistanceWeightedDiceTests {
    static let name = "distance_weighted_dice_loss"
    static let exact: [(String, Double)] = [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)]

    /// One row g = (0, 1, 1, 1, 1, 1, 0): inside distances (1, 2, 3, 2, 1) give
    /// Φ = (1, ½, 0, ½, 1); both outside voxels are at distance 1, Φ = 1. So
    /// w = (2, 2, 1.5, 1, 1.5, 2, 2). With p = g: TP_w = 8, U = 10, ℓ = 1 − 16/10 = −0.6.
    /// With p = (0.2, 0.9, 0.8, 0.5, 0.8, 0.9, 0.2): TP_w = 1.8 + 1.2 + 0.5 + 1.2 + 1.8 = 6.5,
    /// P = 4.3, G = 5, U = 9.3, ℓ = 1 − 13/9.3; ∂ℓ/∂p_i = −2g_i·w_i/U + 13/U².
    @Test("weights and value by hand on one row")
    func byHand() throws {
        let g: [Double] = [0, 1, 1, 1, 1, 1, 0]
        let perfect = try run(Self.name, Self.exact, g, g, [1, 1, 7])
        #expect(abs(perfect.value - -0.6) < 1e-12)
        let p: [Double] = [0.2, 0.9, 0.8, 0.5, 0.8, 0.9, 0.2]
        let r = try run(Self.name, Self.exact, p, g, [1, 1, 7])
        let u = 9.3
        #expect(abs(r.value - (1 - 13 / u)) < 1e-12)
        let w: [Double] = [2, 2, 1.5, 1, 1.5, 2, 2]
        let expected = (0..<7).map { -2 * g[$0] * w[$0] / u + 13 / (u * u) }
        #expect(maxAbsDiff(r.gradient, expected) < 1e-12)
    }

    @Test("the 2x2 example of the docstring: −0.641026")
    func docExample() throws {
        let r = try run(Self.name, Self.exact, [0.9, 0.2, 0.7, 0.1], [1, 0, 1, 0], [1, 1, 2, 2])
        #expect(abs(r.value - (1 - 6.4 / 3.9)) < 1e-12)
    }

    static let families: [(String, [Int], [(String, Double)])] = [
        ("binary logits 2-D", [2, 1, 6, 7], []),
        ("binary probabilities", [1, 1, 5, 5], [("from_logits", 0)]),
        ("multilabel no background, ignore", [1, 3, 5, 4], [("mode", 1), ("include_background", 0), ("ignore_index", 255)]),
        ("3-D, batch, smooth 1", [2, 1, 3, 4, 4], [("batch", 1), ("smooth_nr", 1), ("smooth_dr", 1)]),
        ("1-D, sum", [2, 1, 9], [("reduction", 1)]),
        ("empty skip", [3, 1, 4, 4], [("empty", 1)]),
    ]

    @Test("gradient matches central differences (Double)", arguments: 0..<families.count)
    func gradient(_ f: Int) throws {
        let (label, shape, options) = Self.families[f]
        var rng = TestRandom(seed: UInt64(90 + f))
        let n = shape.reduce(1, *)
        let x = label.contains("probabilities") ? rng.probs(n) : rng.logits(n)
        var g = rng.bits(n, p: 0.4)
        if label.contains("ignore") { g[3] = 255; g[11] = 255 }
        if label.contains("empty") { for i in 0..<16 { g[i] = 0 } }
        let err = try finiteDifferenceError(Self.name, options, x, g, shape)
        #expect(err < 1e-6, "\(label): \(err)")
    }

    @Test("reduction none: one value per (image, class), vector-Jacobian product")
    func none() throws {
        var rng = TestRandom(seed: 97)
        let shape = [2, 2, 4, 5], x = rng.logits(80), g = rng.bits(80)
        let options: [(String, Double)] = [("mode", 1), ("reduction", 2)]
        let r = try run(Self.name, options, x, g, shape)
        #expect(r.valuesShape == [2, 2])
        let mean = try run(Self.name, [("mode", 1)], x, g, shape)
        #expect(abs(r.values.reduce(0, +) / 4 - mean.value) < 1e-12)
        let err = try finiteDifferenceError(Self.name, options, x, g, shape, gradOutput: [0.5, -1, 2, 0.25])
        #expect(err < 1e-6)
    }

    /// SegLoss's normalisation divides by zero on these rows; here they stay finite, and a
    /// row without a boundary (empty or full target) is plain Dice.
    @Test("SegLoss's NaN cases: thin line, one voxel, empty and full targets")
    func degenerate() throws {
        var rng = TestRandom(seed: 3)
        let x = rng.logits(25)
        let line = (0..<25).map { $0 % 5 == 2 ? 1.0 : 0.0 }
        var dot = [Double](repeating: 0, count: 25)
        dot[12] = 1
        for g in [line, dot] {
            let r = try run(Self.name, [], x, g, [1, 1, 5, 5])
            #expect(r.value.isFinite && r.gradient.allSatisfy(\.isFinite))
            // every object voxel is on the boundary: w = 2 on the object
            let p = x.map { 1 / (1 + exp(-$0)) }
            let tp = zip(p, g).reduce(0) { $0 + 2 * $1.0 * $1.1 }
            let u = p.reduce(0, +) + g.reduce(0, +) + 1e-5
            #expect(abs(r.value - (1 - (2 * tp + 1e-5) / u)) < 1e-12)
        }
        for g in [[Double](repeating: 0, count: 25), [Double](repeating: 1, count: 25)] {
            let r = try run(Self.name, [], x, g, [1, 1, 5, 5])
            let dice = try run("dice_loss", [], x, g, [1, 1, 5, 5])
            #expect(abs(r.value - dice.value) < 1e-12 && maxAbsDiff(r.gradient, dice.gradient) < 1e-12)
        }
    }

    @Test("multiclass: label maps = one-hot; two channels without background = binary on z1 − z0")
    func multiclass() throws {
        var rng = TestRandom(seed: 71)
        let shape = [2, 3, 4, 5]
        let x = rng.logits(120), labels = rng.labels(40, classes: 3)
        let options: [(String, Double)] = [("mode", 2), ("include_background", 0)]
        let err = try finiteDifferenceErrorLabels(Self.name, options, x, labels, shape)
        #expect(err < 1e-6, "\(err)")
        let a = try runLabels(Self.name, options, x, labels, shape)
        let b = try run(Self.name, options, x, oneHot(labels, classes: 3, spatial: 20), shape)
        #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)

        // SegLoss's form: softmax over (background, foreground), Dice of channel 1 per image.
        let z = rng.logits(40), fg = rng.bits(40)
        var two = [Double](repeating: 0, count: 80)
        for b in 0..<2 { for i in 0..<20 { two[b * 40 + 20 + i] = z[b * 20 + i] } }
        let twoLabels = fg.map { Int64($0) }
        let soft = try runLabels(Self.name, options, two, twoLabels, [2, 2, 4, 5])
        let binary = try run(Self.name, [], z, fg, [2, 1, 4, 5])
        #expect(abs(soft.value - binary.value) < 1e-12)
        for b in 0..<2 {
            let g1 = Array(soft.gradient[(b * 40 + 20)..<(b * 40 + 40)]), g0 = Array(soft.gradient[(b * 40)..<(b * 40 + 20)])
            #expect(maxAbsDiff(g1, Array(binary.gradient[(b * 20)..<(b * 20 + 20)])) < 1e-12)
            #expect(maxAbsDiff(g0, g1.map { -$0 }) < 1e-12)
        }
    }

    @Test("ignored voxels: no gradient, out of the sums, background for the map")
    func ignored() throws {
        // Row (0, 1, 1, 1, 255, 1, 0): the ignored voxel splits the object for the map, so
        // the weights are those of (0, 1, 1, 1, 0, 1, 0) restricted to the valid voxels.
        let p: [Double] = [0.2, 0.9, 0.8, 0.5, 0.4, 0.8, 0.1]
        let r = try run(Self.name, Self.exact + [("ignore_index", 255)], p, [0, 1, 1, 1, 255, 1, 0], [1, 1, 7])
        // inside distances (1, 2, 1 | 1) → Φ = (1, 0, 1, 1); outside (0 and 6) at distance 1 → Φ = 1
        let tp: Double = 1.8 + 0.8 + 1.0 + 1.6
        let u: Double = 3.3 + 4
        #expect(abs(r.value - (1 - 2 * tp / u)) < 1e-12)
        #expect(r.gradient[4] == 0)
        let all = try run(Self.name, [("ignore_index", 255)], [0.3, -1, 2, 0.5], [255, 255, 255, 255], [1, 1, 2, 2])
        #expect(all.value == 0 && all.gradient.allSatisfy { $0 == 0 })
    }

    @Test("edges: ±30 logits, 1x1, odd 3-D sizes; Float agrees; deterministic on large rows")
    func edges() throws {
        for g in [[0.0, 1, 0, 1, 1, 1, 0, 1, 0], [Double](repeating: 1, count: 9), [Double](repeating: 0, count: 9)] {
            for s in [30.0, -30.0] {
                let x = g.map { $0 > 0 ? s : -s }
                let r = try run(Self.name, [], x, g, [1, 1, 3, 3])
                #expect(r.value.isFinite && r.value >= -1 && r.value <= 1 && r.gradient.allSatisfy(\.isFinite))
            }
        }
        var rng = TestRandom(seed: 11)
        for shape in [[1, 1, 1, 1], [3, 1, 3, 5], [1, 2, 3, 1, 5], [2, 3, 1, 1, 1]] {
            let n = shape.reduce(1, *)
            let r = try run(Self.name, [("mode", shape[1] == 1 ? 0 : 1)], rng.logits(n), rng.bits(n), shape)
            #expect(r.value.isFinite && r.gradient.allSatisfy(\.isFinite), "\(shape)")
        }
        let shape = [2, 2, 160, 150], n = shape.reduce(1, *)
        let x = rng.logits(n), g = rng.bits(n, p: 0.3)
        let a = try run(Self.name, [("mode", 1)], x, g, shape), b = try run(Self.name, [("mode", 1)], x, g, shape)
        #expect(a.value == b.value && a.gradient == b.gradient)
        let f = try runFloat(Self.name, [("mode", 1)], x, g, shape)
        #expect(abs(f.value - a.value) < 1e-4)
        #expect(maxAbsDiff(a.gradient, f.gradient.map(Double.init)) < 1e-6)
    }

    @Test("bad options name the argument")
    func badOptions() {
        let x: [Double] = [0.2, 0.4, 0.6, 0.8], g: [Double] = [0, 1, 1, 0], s = [1, 1, 2, 2]
        for (options, argument) in [([("smooth_nr", -1.0)], "smooth_nr"), ([("smooth_dr", Double.nan)], "smooth_dr"),
                                    ([("soft_label", 1)], "soft_label"), ([("squared_pred", 1)], "squared_pred"),
                                    ([("empty", 4)], "empty")] {
            #expect(thrownError { _ = try run(Self.name, options, x, g, s) }?.argument == argument, "\(options)")
        }
    }
}
