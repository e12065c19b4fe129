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

    @Test("items staged for compaction: key 0 unless sorted, keep flag in bit 63")
    func stagedItems() {
        #expect(LovaszSort.item(Float(0.5), 7, label: true, sorted: true) == LovaszSort.item(Float(0.5), 7, label: true))
        #expect(LovaszSort.item(Float(0.5), 7, label: true, sorted: true) >> 63 == 1)
        #expect(LovaszSort.item(Float(1e-40), 3, label: false, sorted: true) >> 63 == 1)  // subnormal
        #expect(LovaszSort.item(Double(1e-50), 3, label: false, sorted: true) >> 63 == 1)  // Float 0
        let off = LovaszSort.item(Float(-1), 5, label: true, sorted: false)
        #expect(off >> 63 == 0 && LovaszSort.index(off) == 5 && LovaszSort.label(off) == 1)
    }
}
