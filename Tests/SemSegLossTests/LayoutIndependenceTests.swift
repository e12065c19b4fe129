import Testing
@testable import SemSegLoss

/// A loss is the same number whatever the buffers' places in memory and whether a
/// gradient is asked for. LLVM vectorises a loop that reads the input and writes the
/// gradient only after a run-time check that the two do not overlap within a vector's
/// reach; a gradient buffer right after the input fails that check and the scalar loop
/// runs. Sums kept in a loop's vector lanes then come out in another order (this made a
/// golden test flaky: loss-only ≠ with-gradient by one Float ulp, depending on where
/// NumPy put the arrays). Here the gradient is placed right after the input on purpose.
@Suite("Results do not depend on memory layout")
struct LayoutIndependenceTests {
    static let losses = ["bce_loss", "focal_loss", "weighted_bce_loss", "asymmetric_focal_loss", "dice_bce_loss",
                         "dice_focal_loss", "combo_loss", "exp_log_loss", "dice_loss", "tversky_loss"]

    /// (loss only, with a gradient in a separate buffer, with the gradient right after the input).
    func values(_ loss: String, count n: Int) throws -> (Float, Float, Float) {
        var rng = TestRandom(seed: UInt64(n))
        let x = rng.logits(n, scale: 3).map { Float($0) }, g = rng.bits(n, p: 0.4).map { Float($0) }
        let configured = try LossCatalog.make(loss, options: [])
        let shape = try TensorShape([1, 1, n])
        var joint = x + [Float](repeating: 0, count: n)  // input, then the gradient
        var separate = [Float](repeating: 0, count: n)
        return try g.withUnsafeBufferPointer { gb in
            let target = TensorView(gb.baseAddress!, shape: shape)
            let lossOnly = try x.withUnsafeBufferPointer { xb in
                try configured.evaluate(input: TensorView(xb.baseAddress!, shape: shape), target: target)
            }
            let apart = try x.withUnsafeBufferPointer { xb in
                try separate.withUnsafeMutableBufferPointer { sb in
                    try configured.evaluate(input: TensorView(xb.baseAddress!, shape: shape), target: target,
                                            outputs: LossOutputs(gradient: sb.baseAddress!))
                }
            }
            let adjacent = try joint.withUnsafeMutableBufferPointer { jb in
                try configured.evaluate(input: TensorView(UnsafePointer(jb.baseAddress!), shape: shape), target: target,
                                        outputs: LossOutputs(gradient: jb.baseAddress! + n))
            }
            #expect(Array(joint[n...]) == separate, "\(loss) n=\(n): gradients differ")
            return (Float(lossOnly), Float(apart), Float(adjacent))
        }
    }

    @Test("loss only = with gradient = with the gradient right after the input", arguments: losses)
    func sameValue(_ loss: String) throws {
        for n in [4, 7, 33, 100, 1000, 5000] {
            let (a, b, c) = try values(loss, count: n)
            #expect(a == b && b == c, "\(loss) n=\(n): \(a) \(b) \(c)")
        }
    }
}
