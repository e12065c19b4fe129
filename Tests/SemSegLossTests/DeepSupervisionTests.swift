import Foundation
import Testing
@testable import SemSegLoss

/// DeepSupervisionLoss and NearestResample: MONAI's weights, nearest-exact indices, the
/// weighted sum of the loss on resized targets, label maps, errors.
@Suite("Deep supervision")
struct DeepSupervisionTests {
    @Test("nearest-exact source indices (PyTorch's)")
    func indices() {
        #expect(NearestResample.sourceIndices(from: 4, to: 2) == [1, 3])
        #expect(NearestResample.sourceIndices(from: 8, to: 2) == [2, 6])
        #expect(NearestResample.sourceIndices(from: 5, to: 3) == [0, 2, 4])
        #expect(NearestResample.sourceIndices(from: 3, to: 5) == [0, 0, 1, 2, 2])
        #expect(NearestResample.sourceIndices(from: 7, to: 7) == Array(0..<7))
        #expect(NearestResample.sourceIndices(from: 1, to: 3) == [0, 0, 0])
    }

    @Test("resampling a 3-D block and a label map")
    func resample() {
        let src = (0..<(2 * 4 * 4 * 2)).map { Double($0) }  // 2 slices of 4x4x2
        var out = [Double](repeating: -1, count: 2 * 2 * 2 * 1)
        src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer {
            NearestResample.resample(s.baseAddress!, slices: 2, from: [4, 4, 2], to: [2, 2, 1], into: $0.baseAddress!)
        } }
        // (z, y, x) in {1, 3} x {1, 3} x {1}: flat z*8 + y*2 + x
        let first = [1 * 8 + 1 * 2 + 1, 1 * 8 + 3 * 2 + 1, 3 * 8 + 1 * 2 + 1, 3 * 8 + 3 * 2 + 1].map(Double.init)
        #expect(out == first + first.map { $0 + 32 })
        let labels: [Int64] = [0, 1, 2, 3, 4, 5]
        var small = [Int64](repeating: -1, count: 3)
        labels.withUnsafeBufferPointer { s in small.withUnsafeMutableBufferPointer {
            NearestResample.resample(s.baseAddress!, slices: 1, from: [6], to: [3], into: $0.baseAddress!)
        } }
        #expect(small == [1, 3, 5])
    }

    @Test("weights: MONAI's exp, same, two; explicit ones checked")
    func weights() throws {
        let dice = try LossCatalog.make("dice_loss")
        #expect(try DeepSupervisionLoss(loss: dice, weightMode: .exp).levelWeights(6) == [1, 0.5, 0.25, 0.125, 0.0625, 0.0625])
        #expect(try DeepSupervisionLoss(loss: dice, weightMode: .same).levelWeights(3) == [1, 1, 1])
        #expect(try DeepSupervisionLoss(loss: dice, weightMode: .two).levelWeights(3) == [1, 0.5, 0.5])
        // a negative or zero level count is an error, not a trap (audit of 2026-12-06)
        expectError(.value, "inputs") { _ = try DeepSupervisionLoss(loss: dice).levelWeights(-1) }
        expectError(.value, "inputs") { _ = try DeepSupervisionLoss(loss: dice).levelWeights(0) }
        #expect(try DeepSupervisionLoss(loss: dice, weights: [2, 0]).levelWeights(2) == [2, 0])
        for bad in [[1.0], [1, -1], [1, .nan]] {
            let e = thrownError { _ = try DeepSupervisionLoss(loss: dice, weights: bad).levelWeights(2) }
            #expect(e?.argument == "weights")
        }
    }

    @Test("the sum of the weighted levels on resized targets, dense and label maps")
    func weightedSum() throws {
        var rng = TestRandom(seed: 5)
        let g = rng.bits(2 * 8 * 6)
        let x0 = rng.logits(2 * 8 * 6), x1 = rng.logits(2 * 4 * 3)
        let dice = try LossCatalog.make("dice_loss")
        let ds = DeepSupervisionLoss(loss: dice)
        var grad0 = [Double](repeating: 0, count: x0.count), grad1 = [Double](repeating: 0, count: x1.count)
        let value = try g.withUnsafeBufferPointer { gb in
            try x0.withUnsafeBufferPointer { a in try x1.withUnsafeBufferPointer { b in
                try grad0.withUnsafeMutableBufferPointer { d0 in try grad1.withUnsafeMutableBufferPointer { d1 in
                    try ds.evaluate(
                        inputs: [TensorView(a.baseAddress!, shape: try TensorShape([2, 1, 8, 6])),
                                 TensorView(b.baseAddress!, shape: try TensorShape([2, 1, 4, 3]))],
                        target: .dense(TensorView(gb.baseAddress!, shape: try TensorShape([2, 1, 8, 6]))),
                        gradients: [d0.baseAddress, d1.baseAddress])
                } }
            } }
        }
        // the level-1 target by hand: rows 1, 3, 5, 7 and columns 1, 3, 5 of each image
        var g1: [Double] = []
        for n in 0..<2 { for y in [1, 3, 5, 7] { for x in [1, 3, 5] { g1.append(g[n * 48 + y * 6 + x]) } } }
        let l0 = try run("dice_loss", [], x0, g, [2, 1, 8, 6]), l1 = try run("dice_loss", [], x1, g1, [2, 1, 4, 3])
        #expect(abs(value - (l0.value + 0.5 * l1.value)) < 1e-12)
        #expect(maxAbsDiff(grad0, l0.gradient) < 1e-15)
        #expect(maxAbsDiff(grad1, l1.gradient.map { 0.5 * $0 }) < 1e-15)

        // multiclass: a label map at full size equals its one-hot form
        let labels = rng.labels(2 * 8 * 6, classes: 3)
        let z0 = rng.logits(2 * 3 * 48), z1 = rng.logits(2 * 3 * 12)
        let ce = try LossCatalog.make("dice_ce_loss", options: [("mode", 2)])
        let oneHotTarget = oneHot(labels, classes: 3, spatial: 48)
        let (a, b) = try z0.withUnsafeBufferPointer { p0 in try z1.withUnsafeBufferPointer { p1 in
            let inputs = [TensorView(p0.baseAddress!, shape: try TensorShape([2, 3, 8, 6])),
                          TensorView(p1.baseAddress!, shape: try TensorShape([2, 3, 4, 3]))]
            let viaLabels = try labels.withUnsafeBufferPointer { lb in
                try DeepSupervisionLoss(loss: ce, weightMode: .same).evaluate(
                    inputs: inputs,
                    target: .labels(try LabelView(lb.baseAddress!, dims: [2, 8, 6], input: try TensorShape([2, 3, 8, 6]))),
                    gradients: [])
            }
            let viaDense = try oneHotTarget.withUnsafeBufferPointer { tb in
                try DeepSupervisionLoss(loss: ce, weightMode: .same).evaluate(
                    inputs: inputs, target: .dense(TensorView(tb.baseAddress!, shape: try TensorShape([2, 3, 8, 6]))),
                    gradients: [])
            }
            return (viaLabels, viaDense)
        } }
        #expect(abs(a - b) < 1e-12)
    }

    @Test("errors name the argument")
    func errors() throws {
        let x = [Double](repeating: 0, count: 16), g = [Double](repeating: 0, count: 16)
        func call(_ loss: ConfiguredLoss, _ shapes: [[Int]], targetShape: [Int] = [1, 1, 4, 4]) -> SegLossError? {
            thrownError {
                try x.withUnsafeBufferPointer { xb in try g.withUnsafeBufferPointer { gb in
                    _ = try DeepSupervisionLoss(loss: loss).evaluate(
                        inputs: try shapes.map { TensorView(xb.baseAddress!, shape: try TensorShape($0)) },
                        target: .dense(TensorView(gb.baseAddress!, shape: try TensorShape(targetShape))), gradients: [])
                } }
            }
        }
        let dice = try LossCatalog.make("dice_loss")
        #expect(call(dice, [])?.argument == "inputs")
        #expect(call(dice, [[1, 1, 4, 4], [1, 2, 2, 2]])?.argument == "inputs")
        #expect(call(dice, [[1, 1, 4, 4]], targetShape: [2, 1, 2, 2])?.argument == "target")
        #expect(call(try LossCatalog.make("dice_loss", options: [("reduction", 2)]), [[1, 1, 4, 4]])?.argument == "reduction")
        // The loss's own `input` error names the level: probabilities of 2 in level 1 only.
        let probabilities = try LossCatalog.make("dice_loss", options: [("from_logits", 0)])
        let levels: [[Double]] = [[Double](repeating: 0.5, count: 16), [0.5, 2, 0.5, 0.5]]
        let error = thrownError {
            try levels[0].withUnsafeBufferPointer { l0 in try levels[1].withUnsafeBufferPointer { l1 in
                try g.withUnsafeBufferPointer { gb in
                    _ = try DeepSupervisionLoss(loss: probabilities).evaluate(
                        inputs: [TensorView(l0.baseAddress!, shape: try TensorShape([1, 1, 4, 4])),
                                 TensorView(l1.baseAddress!, shape: try TensorShape([1, 1, 2, 2]))],
                        target: .dense(TensorView(gb.baseAddress!, shape: try TensorShape([1, 1, 4, 4]))), gradients: [])
                }
            } }
        }
        #expect(error?.argument == "inputs[1]" && error?.kind == .value)
    }
}
