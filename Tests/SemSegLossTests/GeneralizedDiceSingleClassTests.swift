import Testing
@testable import SemSegLoss

/// `GeneralizedDiceSingleClass` (the generalized Dice loss with one class per entry, through
/// `RegionLossEvaluator`) against `GeneralizedDiceLoss`'s own two passes: the same value,
/// unreduced values and gradient, bit for bit.
@Suite("Generalized Dice with one class per entry")
struct GeneralizedDiceSingleClassTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var shape: [Int]
        var options: LossOptions
        var loss: GeneralizedDiceLoss
        var testDescription: String { label }
    }

    /// Rows of 1024 voxels and two per thread run row by row; the others take the two
    /// passes of `RegionLossEvaluator`.
    static var cases: [Case] {
        let rows = 2 * Parallel.workerCount
        var skip = RegionOptions()
        skip.emptyTarget = .skip
        var batch = RegionOptions()
        batch.batch = true
        return [
            Case(label: "binary, row by row", shape: [rows, 1, 32, 32], options: LossOptions(), loss: GeneralizedDiceLoss()),
            Case(label: "binary, simple weights, odd size", shape: [3, 1, 5, 7], options: LossOptions(),
                 loss: GeneralizedDiceLoss(weightType: .simple)),
            Case(label: "uniform weights, penalty 2.5, sum", shape: [rows, 1, 16, 64], options: LossOptions(reduction: .sum),
                 loss: GeneralizedDiceLoss(weightType: .uniform, penalty: 2.5)),
            Case(label: "multilabel without background", shape: [rows, 2, 9, 11],
                 options: LossOptions(mode: .multilabel, includeBackground: false), loss: GeneralizedDiceLoss()),
            Case(label: "ignore_index, probabilities", shape: [2, 1, 6, 7],
                 options: LossOptions(fromLogits: false, ignoreIndex: 255), loss: GeneralizedDiceLoss()),
            Case(label: "skip empty, reduction none", shape: [rows, 1, 32, 32], options: LossOptions(reduction: .none),
                 loss: GeneralizedDiceLoss(region: skip)),
            Case(label: "batch, 3-D", shape: [3, 1, 4, 5, 6], options: LossOptions(), loss: GeneralizedDiceLoss(region: batch)),
        ]
    }

    func run<S: SegScalar>(
        _ c: Case, _ x: [S], _ g: [S], perEntry: Bool
    ) throws -> (value: Double, values: [S], gradient: [S]) {
        let shape = try TensorShape(c.shape)
        let entries = c.options.reduction == .none ? c.loss.outputShape(input: shape, options: c.options).reduce(1, *) : 0
        var gradient = [S](repeating: .nan, count: x.count), values = [S](repeating: .nan, count: entries)
        let upstream = (0..<entries).map { S(0.5 + Double($0)) }
        let value = try x.withUnsafeBufferPointer { xb in
            try g.withUnsafeBufferPointer { gb in
                try gradient.withUnsafeMutableBufferPointer { out in
                    try values.withUnsafeMutableBufferPointer { vb in
                        try upstream.withUnsafeBufferPointer { ub in
                            try c.loss.evaluate(
                                input: TensorView(xb.baseAddress!, shape: shape), target: TensorView(gb.baseAddress!, shape: shape),
                                options: c.options,
                                outputs: LossOutputs(
                                    gradient: out.baseAddress, values: entries > 0 ? vb.baseAddress : nil,
                                    gradOutput: entries > 0 ? ub.baseAddress : nil),
                                perEntry: perEntry)
                        }
                    }
                }
            }
        }
        return (value, values, gradient)
    }

    /// Logits (or probabilities) with ±30; hard targets with an empty row, a full row and,
    /// with ignore_index, ignored voxels.
    static func problem(_ c: Case) -> ([Double], [Double]) {
        let n = c.shape.reduce(1, *), spatial = c.shape.dropFirst(2).reduce(1, *)
        var rng = TestRandom(seed: UInt64(n))
        var x = c.options.fromLogits ? rng.logits(n) : rng.probs(n)
        var g = rng.bits(n, p: 0.3)
        if c.options.fromLogits { x[0] = 30; x[n - 1] = -30 }
        for i in 0..<spatial { g[i] = 0 }
        if c.shape[0] * c.shape[1] > 2 { for i in spatial..<(2 * spatial) { g[i] = 1 } }
        if c.options.ignoreIndex != nil { g[3] = 255; g[n - 2] = 255 }
        return (x, g)
    }

    @Test("equal bit for bit to the loss's own passes (Double and Float)", arguments: cases)
    func equal(_ c: Case) throws {
        let (x, g) = Self.problem(c)
        let a = try run(c, x, g, perEntry: true), b = try run(c, x, g, perEntry: false)
        #expect(a.value.bitPattern == b.value.bitPattern || (a.value.isNaN && b.value.isNaN), "\(a.value) vs \(b.value)")
        #expect(zip(a.values, b.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        #expect(a.gradient == b.gradient)
        let xf = x.map(Float.init), gf = g.map(Float.init)
        let af = try run(c, xf, gf, perEntry: true), bf = try run(c, xf, gf, perEntry: false)
        #expect(af.value == bf.value || (af.value.isNaN && bf.value.isNaN), "\(af.value) vs \(bf.value)")
        #expect(af.gradient == bf.gradient)
    }
}
