import Testing
@testable import SemSegLoss

/// The vectorised walk (`LovaszEntryKernel.walkHard`: prefix count, Δ by one division,
/// scatter) and the blocked gathering/compaction, on Float, against the definition; the
/// Double path (generic walk) on the same data.
@Suite("Lovász hinge: Float hard walk and compaction against the definition")
struct LovaszWalkTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var shape: [Int]
        var pooled = false, ignore = false
        var x: @Sendable (inout TestRandom, Int) -> [Double]
        var g: @Sendable (inout TestRandom, Int) -> [Double]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "random, 2x1x40x50 (a partial block)", shape: [2, 1, 40, 50],
             x: { r, n in r.logits(n, scale: 2) }, g: { r, n in r.bits(n, p: 0.3) }),
        Case(label: "heavy ties", shape: [2, 1, 33, 31],
             x: { r, n in (0..<n).map { _ in Double(Int(r.uniform() * 5)) * 0.5 - 1 } }, g: { r, n in r.bits(n, p: 0.5) }),
        Case(label: "G = 0", shape: [2, 1, 16, 16],
             x: { r, n in r.logits(n, scale: 2) }, g: { _, n in [Double](repeating: 0, count: n) }),
        Case(label: "all positives", shape: [1, 1, 16, 20],
             x: { r, n in r.logits(n, scale: 2) }, g: { _, n in [Double](repeating: 1, count: n) }),
        Case(label: "all errors ≤ 0", shape: [2, 1, 8, 8],
             x: { r, n in (0..<n).map { i in i % 2 == 0 ? 2 : -1 } }, g: { _, n in (0..<n).map { i in i % 2 == 0 ? 1 : 0 } }),
        Case(label: "1x1", shape: [1, 1, 1, 1], x: { _, _ in [0.25] }, g: { _, _ in [1] }),
        Case(label: "ignore_index 255", shape: [2, 1, 30, 40], ignore: true,
             x: { r, n in r.logits(n, scale: 2) }, g: { r, n in (0..<n).map { _ in r.uniform() < 0.1 ? 255 : (r.uniform() < 0.3 ? 1 : 0) } }),
        Case(label: "multilabel pooled (two rows per entry)", shape: [2, 3, 20, 30], pooled: true,
             x: { r, n in r.logits(n, scale: 2) }, g: { r, n in r.bits(n, p: 0.3) }),
    ]

    @Test("entries and gradient equal the definition (Float and Double)", arguments: cases)
    func againstDefinition(_ c: Case) throws {
        var rng = TestRandom(seed: UInt64(c.label.count))
        let n = c.shape.reduce(1, *), N = c.shape[0], C = c.shape[1], spatial = n / (N * C)
        let x = c.x(&rng, n).map { Double(Float($0)) }, g = c.g(&rng, n)
        var options: [(String, Double)] = [("reduction", 2), ("mode", C > 1 ? 1 : 0), ("per_image", c.pooled ? 0 : 1)]
        if c.ignore { options.append(("ignore_index", 255)) }
        let entries: [[Int]] = c.pooled
            ? (0..<C).map { k in (0..<N).flatMap { b in (0..<spatial).map { (b * C + k) * spatial + $0 } } }
            : (0..<(N * C)).map { row in (0..<spatial).map { row * spatial + $0 } }
        // Reference entries and gradient, for margins computed in Float or in Double.
        func reference(float: Bool) -> ([Double], [Double]) {
            var values = [Double](), grad = [Double](repeating: 0, count: n)
            for idx in entries {
                let kept = idx.filter { !c.ignore || g[$0] != 255 }
                let e = kept.map { float ? Double(1 - Float(x[$0]) * (2 * Float(g[$0]) - 1)) : 1 - x[$0] * (2 * g[$0] - 1) }
                let (l, d) = naiveLovasz(e, kept.map { g[$0] })
                values.append(l)
                for (k, i) in kept.enumerated() { grad[i] = d[k] * (1 - 2 * g[i]) }
            }
            return (values, grad)
        }
        let (values, grad) = reference(float: true)
        let f = try runFloat("lovasz_hinge_loss", options, x, g, c.shape)
        #expect(maxAbsDiff(f.values.map(Double.init), values) < 1e-5 * max(1, values.map(abs).max() ?? 0))
        #expect(maxAbsDiff(f.gradient.map(Double.init), grad) < 1e-6)
        // Zero gradient exactly where the reference has none (ignored, error ≤ 0).
        #expect(zip(f.gradient, grad).allSatisfy { ($0 == 0) == ($1 == 0) || abs($1) < 1e-7 })
        let (dValues, dGrad) = reference(float: false)
        let d = try run("lovasz_hinge_loss", options, x, g, c.shape)
        #expect(maxAbsDiff(d.values, dValues) < 1e-12)
        #expect(maxAbsDiff(d.gradient, dGrad) < 1e-12)
    }

    @Test("gathering: the items with error > 0 in voxel order, keys, labels, counts and key range")
    func gathering() {
        // 2 500 voxels (three staging blocks) from entry offset 70 000, every fifth ignored.
        let n = 2_500, offset = 70_000
        var x = [Float](), t = [Float]()
        for i in 0..<n {
            x.append(Float((i * 7919) % 2000) / 250 - 4)  // logits in [-4, 4)
            t.append(i % 5 == 4 ? 255 : Float(i % 3 == 0 ? 1 : 0))
        }
        x[10] = 1  // margin exactly 0 for a positive: not sorted
        t[10] = 1
        let hinge = HingeOnLogits<Float>()
        for ignoring in [false, true] {
            var c = LovaszEntryKernel.GatherCounts()
            var items = [UInt64](repeating: 0, count: n)
            var tt = t
            if !ignoring { for i in 0..<n where tt[i] == 255 { tt[i] = 0 } }
            items.withUnsafeMutableBufferPointer { ib in
                LovaszEntryKernel.gatherRow(
                    hinge, x, tt, spatial: n, offset: offset, ignore: 255, ignoring: ignoring,
                    items: ib.baseAddress!, into: &c)
            }
            var expected = [UInt64](), valid: Int32 = 0, ones: Int32 = 0
            for i in 0..<n where !(ignoring && tt[i] == 255) {
                valid += 1
                if tt[i] == 1 { ones += 1 }
                let e = hinge.error(x[i], tt[i])
                if e > 0 { expected.append(LovaszSort.item(e, offset + i, label: tt[i] == 1)) }
            }
            #expect(c.count == expected.count)
            #expect(Array(items[0..<c.count]) == expected)
            #expect(c.rowValid == valid && c.rowOnes == ones)
            #expect(c.badInput == 0 && c.badTarget == 0 && c.soft == 0)
            let keys = expected.map { UInt32(truncatingIfNeeded: $0 >> 32) }
            #expect(c.keyLow == keys.min()! && c.keyHigh == keys.max()!)
        }
    }

    @Test("gathering flags bad input, bad targets, soft labels; tiny errors stay sorted")
    func gatheringEdgeCases() {
        func gather<E: LovaszErrorFunction>(_ f: E, _ x: [E.S], _ t: [E.S]) -> LovaszEntryKernel.GatherCounts {
            var c = LovaszEntryKernel.GatherCounts()
            var items = [UInt64](repeating: 0, count: x.count)
            items.withUnsafeMutableBufferPointer { ib in
                LovaszEntryKernel.gatherRow(
                    f, x, t, spatial: x.count, offset: 0, ignore: 0, ignoring: false, items: ib.baseAddress!, into: &c)
            }
            return c
        }
        let abs = AbsoluteErrorOnProbabilities<Float>()
        #expect(gather(abs, [0.5, .nan], [1, 0]).badInput == 1)
        #expect(gather(abs, [0.5, 0.2], [1, 2]).badTarget == 1)
        #expect(gather(abs, [0.5, 0.2], [1, 0.5]).soft == 1)
        let clean = gather(abs, [0.5, 0.2], [1, 0])
        #expect(clean.badInput == 0 && clean.badTarget == 0 && clean.soft == 0 && clean.count == 2)
        // A subnormal Float error and a Double error that rounds to Float 0 are sorted.
        #expect(gather(abs, [Float(bitPattern: 71_362)], [0]).count == 1)  // 1e-40
        #expect(gather(AbsoluteErrorOnProbabilities<Double>(), [1e-50], [0]).count == 1)
        #expect(gather(abs, [0.3], [0.3]).count == 0)  // error 0
    }
}
