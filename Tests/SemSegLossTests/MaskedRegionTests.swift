import Foundation
import Testing
@testable import SemSegLoss

/// Overlap losses with a voxel mask: a 0/1 mask equals ignore_index, soft masks by hand and
/// by finite differences, broadcasting, all modes, errors.
@Suite("Masked overlap losses")
struct MaskedRegionTests {
    static let names = ConfiguredLoss.maskableNames

    func runMasked(_ name: String, _ options: [(String, Double)], _ x: [Double], _ g: [Double], _ m: [Double],
                   maskDims: [Int], _ shape: [Int]) throws -> LossResult<Double> {
        try LossCatalog.make(name, options: options)(x, g, mask: m, maskDims: maskDims, shape: shape)
    }

    @Test("a 0/1 mask is ignore_index on the masked voxels", arguments: names)
    func binaryMaskIsIgnore(_ name: String) throws {
        var rng = TestRandom(seed: 3)
        let shape = [2, 3, 4, 5], x = rng.logits(120), g = rng.bits(120)
        let m = rng.bits(40, p: 0.7)  // (2, 1, 4, 5)
        var gi = g
        for n in 0..<2 { for c in 0..<3 { for i in 0..<20 where m[n * 20 + i] == 0 { gi[(n * 3 + c) * 20 + i] = 255 } } }
        let options: [(String, Double)] = [("mode", 1)]
        let a = try runMasked(name, options, x, g, m, maskDims: [2, 1, 4, 5], shape)
        let b = try run(name, options + [("ignore_index", 255)], x, gi, shape)
        #expect(abs(a.value - b.value) < 1e-12, "\(name): \(a.value) vs \(b.value)")
        #expect(maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    @Test("soft mask: Dice by hand")
    func byHand() throws {
        // p = (0.9, 0.2, 0.7, 0.1), g = (1, 0, 1, 1), m = (1, 0.5, 1, 0.25):
        // TP = 0.9 + 0.7 + 0.025 = 1.625, P = 0.9 + 0.1 + 0.7 + 0.025 = 1.725, G = 2.25
        let r = try runMasked("dice_loss", [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)],
                              [0.9, 0.2, 0.7, 0.1], [1, 0, 1, 1], [1, 0.5, 1, 0.25], maskDims: [1, 1, 2, 2], [1, 1, 2, 2])
        let u = 1.725 + 2.25
        #expect(abs(r.value - (1 - 3.25 / u)) < 1e-12)
        let expected = [1.0, 0.5, 1, 0.25].enumerated().map { i, m in m * (-2 * [1.0, 0, 1, 1][i] / u + 3.25 / (u * u)) }
        #expect(maxAbsDiff(r.gradient, expected) < 1e-12)
    }

    static let families: [(String, [Int], [Int], [(String, Double)])] = [
        ("binary logits", [2, 1, 4, 5], [2, 1, 4, 5], []),
        ("probabilities, one mask for the batch", [3, 1, 3, 3], [1, 1, 3, 3], [("from_logits", 0)]),
        ("multilabel no background, batch", [2, 3, 3, 4], [2, 1, 3, 4], [("mode", 1), ("include_background", 0), ("batch", 1)]),
        ("3-D, ignore, sum", [1, 2, 2, 3, 3], [1, 1, 2, 3, 3], [("mode", 1), ("ignore_index", 255), ("reduction", 1)]),
    ]

    @Test("soft masks: gradient matches central differences (Double)", arguments: names, 0..<families.count)
    func gradient(_ name: String, _ f: Int) throws {
        let (label, shape, maskDims, options) = Self.families[f]
        var rng = TestRandom(seed: UInt64(40 + f))
        let n = shape.reduce(1, *)
        let x = label.contains("probabilities") ? rng.probs(n) : rng.logits(n)
        var g = rng.bits(n, p: 0.4)
        if label.contains("ignore") { g[2] = 255; g[7] = 255 }
        let m = (0..<maskDims.reduce(1, *)).map { _ in rng.uniform() }
        let err = try finiteDifferenceError(x, gradOutput: nil, h: 1e-6) { xs, _ in
            try runMasked(name, options, xs, g, m, maskDims: maskDims, shape)
        }
        #expect(err < 1e-6, "\(name) \(label): \(err)")
    }

    @Test("multiclass: label maps, softmax chain; squared_pred; reduction none")
    func multiclassAndOptions() throws {
        var rng = TestRandom(seed: 9)
        let shape = [2, 3, 3, 4], x = rng.logits(72), labels = rng.labels(24, classes: 3)
        let m = (0..<24).map { _ in rng.uniform() }
        let dice = try LossCatalog.make("dice_loss", options: [("mode", 2), ("include_background", 0)])
        func viaLabels(_ xs: [Double]) throws -> LossResult<Double> {
            var gradient = [Double](repeating: 0, count: 72)
            let value = try xs.withUnsafeBufferPointer { xb in try labels.withUnsafeBufferPointer { lb in
                try m.withUnsafeBufferPointer { mb in try gradient.withUnsafeMutableBufferPointer { gb in
                    let s = try TensorShape(shape)
                    return try dice.evaluate(
                        input: TensorView(xb.baseAddress!, shape: s),
                        target: .labels(try LabelView(lb.baseAddress!, dims: [2, 3, 4], input: s)),
                        mask: try RegionMask(mb.baseAddress!, dims: [2, 1, 3, 4], input: s),
                        outputs: LossOutputs(gradient: gb.baseAddress))
                } }
            } }
            return LossResult(value: value, gradient: gradient, values: [], valuesShape: [])
        }
        let err = try finiteDifferenceError(x, gradOutput: nil, h: 1e-6) { xs, _ in try viaLabels(xs) }
        #expect(err < 1e-6)
        let dense = try runMasked("dice_loss", [("mode", 2), ("include_background", 0)], x, oneHot(labels, classes: 3, spatial: 12),
                                  m, maskDims: [2, 1, 3, 4], shape)
        #expect(abs(try viaLabels(x).value - dense.value) < 1e-12)

        let sq = try finiteDifferenceError(x, gradOutput: nil, h: 1e-6) { xs, _ in
            try runMasked("dice_loss", [("mode", 1), ("squared_pred", 1)], xs, oneHot(labels, classes: 3, spatial: 12),
                          m, maskDims: [2, 1, 3, 4], shape)
        }
        #expect(sq < 1e-6)
        let none = try runMasked("jaccard_loss", [("mode", 1), ("reduction", 2)], x, oneHot(labels, classes: 3, spatial: 12),
                                 m, maskDims: [2, 1, 3, 4], shape)
        #expect(none.valuesShape == [2, 3])
        let mean = try runMasked("jaccard_loss", [("mode", 1)], x, oneHot(labels, classes: 3, spatial: 12), m, maskDims: [2, 1, 3, 4], shape)
        #expect(abs(none.values.reduce(0, +) / 6 - mean.value) < 1e-12)
    }

    @Test("an empty mask: loss 0, no gradient; a full mask: the plain loss")
    func emptyAndFull() throws {
        var rng = TestRandom(seed: 1)
        let x = rng.logits(8), g = rng.bits(8)
        for name in Self.names {
            let empty = try runMasked(name, [], x, g, [Double](repeating: 0, count: 8), maskDims: [1, 1, 2, 4], [1, 1, 2, 4])
            #expect(empty.value == 0 && empty.gradient.allSatisfy { $0 == 0 }, "\(name)")
            let full = try runMasked(name, [], x, g, [Double](repeating: 1, count: 8), maskDims: [1, 1, 2, 4], [1, 1, 2, 4])
            let plain = try run(name, [], x, g, [1, 1, 2, 4])
            #expect(abs(full.value - plain.value) < 1e-12 && maxAbsDiff(full.gradient, plain.gradient) < 1e-12, "\(name)")
        }
    }

    @Test("errors name the argument")
    func errors() {
        let x: [Double] = [0.2, 0.4, 0.6, 0.8], g: [Double] = [0, 1, 1, 0], m: [Double] = [1, 1, 0, 1], s = [1, 1, 2, 2]
        #expect(thrownError { _ = try runMasked("focal_loss", [], x, g, m, maskDims: s, s) }?.argument == "loss")
        #expect(thrownError { _ = try runMasked("dice_loss", [], x, g, m, maskDims: [1, 2, 2, 1], s) }?.argument == "mask")
        #expect(thrownError { _ = try runMasked("dice_loss", [], x, g, m + m, maskDims: [2, 1, 2, 2], s) }?.argument == "mask")
        #expect(thrownError { _ = try runMasked("dice_loss", [], x, g, [1, 1.5, 0, 1], maskDims: s, s) }?.argument == "mask")
        #expect(thrownError { _ = try runMasked("dice_loss", [], x, g, [1, .nan, 0, 1], maskDims: s, s) }?.argument == "mask")
        #expect(thrownError { _ = try runMasked("dice_loss", [("soft_label", 1)], x, g, m, maskDims: s, s) }?.argument == "soft_label")
        #expect(thrownError { _ = try runMasked("dice_loss", [], [0, .nan, 0, 0], g, m, maskDims: s, s) }?.argument == "input")
        #expect(thrownError { _ = try runMasked("dice_loss", [], x, [0, 2, 1, 0], m, maskDims: s, s) }?.argument == "target")
    }
}
