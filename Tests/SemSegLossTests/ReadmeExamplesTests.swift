import Testing
import SemSegLoss

// MARK: - The README's Swift example for the losses, as a Swift user would write it

/// The statements of the README's first ```swift block, on a small input: the block must
/// compile and run against the library as it is. `python/tests/test_readme_swift.py` checks
/// that every statement of the README block appears here (numbers aside), so the README
/// cannot drift from code that is built and run.
@Suite struct ReadmeExamplesTests {
    @Test func lossExampleRunsAndAgrees() throws {
        let count = 2 * 1 * 8 * 8
        let logits = (0..<count).map { Float(($0 * 37) % 19) / 3 - 3 }
        let target = (0..<count).map { $0 * 7 % 5 < 2 ? Float(1) : 0 }
        var gradientBuffer = [Float](repeating: 0, count: count)

        let dice = try LossCatalog.make("dice_loss", options: [("smooth_nr", 1), ("smooth_dr", 1)])
        let result = try dice(logits, target, shape: [2, 1, 8, 8])   // [Float] or [Double]
        print(result.value, result.gradient.count)
        #expect(result.value > 0 && result.value < 1 && result.gradient.count == count)

        let shape = try TensorShape([2, 1, 8, 8])
        let value = try logits.withUnsafeBufferPointer { xb in
            try target.withUnsafeBufferPointer { gb in
                try gradientBuffer.withUnsafeMutableBufferPointer { db in
                    let (xPtr, gPtr, gradPtr) = (xb.baseAddress!, gb.baseAddress!, db.baseAddress!)
                    let loss = ConfiguredLoss(name: "tversky", function: .tversky(TverskyLoss(alpha: 0.3, beta: 0.7)),
                                              options: LossOptions(mode: .binary, fromLogits: true))
                    let value = try loss.evaluate(input: TensorView(xPtr, shape: shape), target: TensorView(gPtr, shape: shape),
                                                  outputs: LossOutputs(gradient: gradPtr))
                    return value
                }
            }
        }
        let reference = try LossCatalog.make("tversky_loss", options: [("alpha", 0.3), ("beta", 0.7)])(logits, target, shape: shape.dims)
        #expect(value == reference.value && gradientBuffer == reference.gradient)
    }
}
