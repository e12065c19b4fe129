import Foundation
import Testing
@testable import SemSegLoss

/// The one-sweep evaluation of the region + pixel compound losses (`RegionPixelEvaluator`,
/// `RegionPixelRowKernel`) against the region evaluator followed by the pixel evaluator
/// (`CompoundParts.regionPlusPixel(fused: false)`), and against central differences.
@Suite("Compound losses: region and pixel parts in one sweep")
struct RegionPixelFusionTests {
    /// The (region, pixel) pairs of the compound losses, with their weights.
    static let pairs = ["dice+focal", "dice+bce", "combo", "unified asymmetric", "unified symmetric", "exp-log", "gdl+focal"]

    /// w_r·region + w_p·pixel of `pair`, fused (nil when the sweep does not apply) or not.
    static func evaluate<S: SegScalar>(
        _ pair: String, fused: Bool, _ x: TensorView<S>, _ g: TensorView<S>, _ options: LossOptions,
        _ outputs: LossOutputs<S>
    ) throws -> Double? {
        func both<R: RegionObjective, P: PixelObjective>(_ r: R, _ wr: Double, _ p: P, _ wp: Double) throws -> Double? {
            fused
                ? try RegionPixelEvaluator.evaluate(r, wr, p, wp, input: x, target: g, options: options, outputs: outputs)
                : try CompoundParts.regionPlusPixel(
                    r, wr, p, wp, input: x, target: g, options: options, outputs: outputs, fused: false)
        }
        let unified = UnifiedFocalLoss(weight: 0.4)
        var symmetric = unified
        symmetric.variant = .symmetric
        switch pair {
        case "dice+focal": return try both(DiceLoss(), 0.8, FocalLoss(alpha: 0.3, gamma: 2), 1.5)
        case "dice+bce": return try both(DiceLoss(), 1, BCELoss(), 1)
        case "combo": return try both(DiceLoss(), 0.3, BCELoss(posWeight: 0.7, negativeWeight: 0.3), 0.7)
        case "unified asymmetric":
            return try both(unified.tverskyPart(exclusiveClasses: false), 0.4, unified.focalPart, 0.6)
        case "unified symmetric":
            return try both(symmetric.tverskyPart(exclusiveClasses: false), 0.4, symmetric.focalPart, 0.6)
        case "gdl+focal":
            return try both(GeneralizedDiceSingleClass(loss: GeneralizedDiceLoss(penalty: 1.5)), 0.7, FocalLoss(alpha: nil, gamma: 2), 1.2)
        case "exp-log":
            let l = ExpLogLoss()
            return try both(l.dice, l.weightDice, l.crossEntropy, l.weightCE)
        default: fatalError(pair)
        }
    }

    /// Value and gradient of `pair` on (x, g), fused or not; nil when fused does not apply.
    static func run<S: SegScalar>(
        _ pair: String, fused: Bool, _ x: [S], _ g: [S], _ shape: [Int], _ options: LossOptions = LossOptions()
    ) throws -> (value: Double, gradient: [S])? {
        let s = try TensorShape(shape)
        var gradient = [S](repeating: .nan, count: x.count)
        let value = try x.withUnsafeBufferPointer { xb in
            try g.withUnsafeBufferPointer { gb in
                try gradient.withUnsafeMutableBufferPointer { out in
                    try evaluate(
                        pair, fused: fused, TensorView(xb.baseAddress!, shape: s), TensorView(gb.baseAddress!, shape: s),
                        options, LossOutputs(gradient: out.baseAddress))
                }
            }
        }
        return value.map { ($0, gradient) }
    }

    /// A batch with enough rows for the sweep (two per worker thread).
    static var batch: Int { 2 * Parallel.workerCount }

    /// Logits with ±30 and hard labels with an empty and a full row (rows of `spatial`).
    static func problem(rows: Int, spatial: Int, seed: UInt64) -> ([Double], [Double]) {
        var rng = TestRandom(seed: seed)
        var x = rng.logits(rows * spatial), g = rng.bits(rows * spatial, p: 0.3)
        x[0] = 30
        x[1] = -30
        x[2 * spatial - 1] = 30
        for i in 0..<spatial { g[i] = 0 }  // empty mask
        if rows > 2 { for i in spatial..<(2 * spatial) { g[i] = 1 } }  // full mask
        return (x, g)
    }

    @Test("equal bit for bit to the two evaluators on rows of whole chunks (Float)", arguments: pairs)
    func bitForBit(_ pair: String) throws {
        let spatial = RegionPixelRowKernel.chunkSize  // 128x128: one pixel-evaluator chunk per row
        let (x, g) = Self.problem(rows: Self.batch, spatial: spatial, seed: 3)
        let xf = x.map(Float.init), gf = g.map(Float.init), shape = [Self.batch, 1, 128, 128]
        let fused = try #require(try Self.run(pair, fused: true, xf, gf, shape))
        let plain = try #require(try Self.run(pair, fused: false, xf, gf, shape))
        #expect(fused.value == plain.value, "\(pair): \(fused.value) vs \(plain.value)")
        let differing = zip(fused.gradient, plain.gradient).filter { $0 != $1 }.count
        #expect(differing == 0, "\(pair): \(differing) gradient elements differ")
    }

    @Test("equal bit for bit on rows of whole blocks: 3-D, multilabel without background, sum (Double)",
          arguments: pairs)
    func wholeBlocks(_ pair: String) throws {
        let cases: [([Int], LossOptions)] = [
            ([Self.batch, 1, 32, 32], LossOptions()),
            ([Self.batch, 1, 4, 16, 48], LossOptions(reduction: .sum)),
            ([Self.batch, 3, 32, 64], LossOptions(mode: .multilabel, includeBackground: false)),
            ([Self.batch + 1, 3, 96, 96], LossOptions(mode: .multilabel)),
        ]
        for (shape, options) in cases {
            let rows = shape[0] * shape[1], spatial = shape.dropFirst(2).reduce(1, *)
            let (x, g) = Self.problem(rows: rows, spatial: spatial, seed: UInt64(spatial))
            let fused = try #require(try Self.run(pair, fused: true, x, g, shape, options), "\(pair) \(shape)")
            let plain = try #require(try Self.run(pair, fused: false, x, g, shape, options))
            #expect(fused.value == plain.value, "\(pair) \(shape): \(fused.value) vs \(plain.value)")
            #expect(zip(fused.gradient, plain.gradient).allSatisfy { $0 == $1 }, "\(pair) \(shape)")
            #expect(fused.gradient.allSatisfy { $0.isFinite })
            if !options.includeBackground {
                // Channel 0 is left out of both parts: zero gradient.
                for n in 0..<shape[0] {
                    #expect(fused.gradient[(n * shape[1]) * spatial..<(n * shape[1] + 1) * spatial].allSatisfy { $0 == 0 })
                }
            }
        }
    }

    @Test("the fused gradient matches central differences (Double)", arguments: pairs)
    func centralDifferences(_ pair: String) throws {
        let shape = [Self.batch, 1, 32, 32], n = shape.reduce(1, *)
        var rng = TestRandom(seed: 5)
        let x = rng.logits(n), g = rng.bits(n)
        let r = try #require(try Self.run(pair, fused: true, x, g, shape))
        let h = 1e-6
        var worst = 0.0
        // Voxels of every row, at both ends and inside.
        for i in stride(from: 0, to: n, by: 97) + [n - 1] {
            var up = x, down = x
            up[i] += h
            down[i] -= h
            let numeric = (try #require(try Self.run(pair, fused: true, up, g, shape)).value
                - (try #require(try Self.run(pair, fused: true, down, g, shape)).value)) / (2 * h)
            worst = max(worst, abs(numeric - r.gradient[i]))
        }
        #expect(worst < 1e-7, "\(pair): \(worst)")
    }

    @Test("soft labels in some rows (the hard-label form is chosen row by row)")
    func softRows() throws {
        let spatial = 1024, rows = Self.batch
        var (x, g) = Self.problem(rows: rows, spatial: spatial, seed: 9)
        var rng = TestRandom(seed: 10)
        for i in (spatial * (rows - 1))..<(spatial * rows) { g[i] = rng.uniform() }  // last row soft
        for pair in Self.pairs {
            let fused = try #require(try Self.run(pair, fused: true, x, g, [rows, 1, 32, 32]))
            let plain = try #require(try Self.run(pair, fused: false, x, g, [rows, 1, 32, 32]))
            #expect(fused.value == plain.value, "\(pair)")
            #expect(zip(fused.gradient, plain.gradient).allSatisfy { $0 == $1 }, "\(pair)")
        }
        x[3] = .nan
        for pair in Self.pairs {
            expectError(.value, "input") { _ = try Self.run(pair, fused: true, x, g, [rows, 1, 32, 32]) }
        }
    }

    @Test("does not apply where the region passes cannot run row by row")
    func notApplied() throws {
        let rows = Self.batch, (x, g) = Self.problem(rows: rows, spatial: 6, seed: 4)
        let refused: [([Int], LossOptions)] = [
            ([rows, 1, 2, 3], LossOptions(fromLogits: false)),
            ([rows, 1, 2, 3], LossOptions(ignoreIndex: 255)),
            ([1, 1, 2, 3], LossOptions()),  // fewer rows than two per thread
            ([rows, 1, 1, 6], LossOptions()),  // rows not a multiple of a block
            ([rows, 1, 1, 1], LossOptions()),
        ]
        for (shape, options) in refused {
            let count = shape.reduce(1, *)
            let xs = options.fromLogits ? Array(x[0..<count]) : x[0..<count].map { 1 / (1 + exp(-$0)) }
            for pair in Self.pairs {
                let fused = try Self.run(pair, fused: true, xs, Array(g[0..<count]), shape, options)
                #expect(fused == nil, "\(pair) \(shape)")
                // The compound then runs the two evaluators.
                let plain = try Self.run(pair, fused: false, xs, Array(g[0..<count]), shape, options)
                #expect(plain?.value.isFinite == true)
            }
        }
    }
}
