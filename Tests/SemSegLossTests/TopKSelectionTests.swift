import Foundation
import Testing
@testable import SemSegLoss

/// The top-k selection (sample pivots, counting pass, band, quickselect, tie cutoff, and
/// the parallel apply) against a sort: the K largest valid values, ties to the lowest
/// flat indices. NaN marks an invalid element.
@Suite("Top-k selection")
struct TopKSelectionTests {
    /// The selected flat indices, the threshold and the number of selected ties, by sorting.
    static func oracle<S: SegScalar>(_ a: [S], percent: Double) -> (selected: Set<Int>, threshold: S, equal: Int)? {
        let valid = a.indices.filter { !a[$0].isNaN }
        guard !valid.isEmpty else { return nil }
        let k = max(1, Int((percent * Double(valid.count) / 100).rounded(.down)))
        let order = valid.sorted { a[$0] != a[$1] ? a[$0] > a[$1] : $0 < $1 }
        let top = order.prefix(k), t = a[order[k - 1]]
        return (Set(top), t, top.filter { a[$0] == t }.count)
    }

    /// select + apply on `a`; returns the pick, the selected indices (from the gradient
    /// factors, all gradients 1) and the values output and total.
    static func run<S: SegScalar>(_ a: [S], percent: Double) -> (pick: TopKSelection.Pick<S>, selected: Set<Int>, out: [S], total: Double)? {
        var values = a, gradient = [S](repeating: 1, count: a.count), out = [S](repeating: -7, count: a.count)
        let n = a.filter { !$0.isNaN }.count
        return values.withUnsafeMutableBufferPointer { v -> (TopKSelection.Pick<S>, Set<Int>, [S], Double)? in
            guard let base = v.baseAddress,
                  let pick = TopKSelection.select(UnsafePointer(base), count: a.count, valid: n, percent: percent)
            else { return nil }
            let total = gradient.withUnsafeMutableBufferPointer { g in
                out.withUnsafeMutableBufferPointer { o in
                    TopKSelection.apply(pick, values: base, count: a.count, scale: 1, gradOutput: nil, out: o.baseAddress, gradient: g.baseAddress)
                }
            }
            return (pick, Set(gradient.indices.filter { gradient[$0] != 0 }), out, total)
        }
    }

    static func check<S: SegScalar>(_ a: [S], percent: Double, _ label: String) {
        let want = oracle(a, percent: percent)
        guard let got = run(a, percent: percent), let want else {
            #expect(want == nil && run(a, percent: percent) == nil, "\(label)")
            return
        }
        #expect(got.pick.kept == want.selected.count, "\(label): K")
        #expect(got.pick.threshold == want.threshold, "\(label): threshold")
        #expect(got.pick.equal == want.equal, "\(label): equal")
        #expect(got.selected == want.selected, "\(label): selected set")
        #expect(a.indices.allSatisfy { got.out[$0] == (want.selected.contains($0) ? a[$0] : 0) }, "\(label): values")
        let sum = want.selected.reduce(0.0) { $0 + Double(a[$1]) }
        #expect(abs(got.total - sum) <= 1e-5 * max(1, abs(sum)), "\(label): total \(got.total) vs \(sum)")
    }

    /// Values of one kind: continuous, heavy ties, sorted up or down, all equal.
    static func values(_ kind: Int, _ n: Int, _ rng: inout TestRandom) -> [Double] {
        switch kind {
        case 0: return (0..<n).map { _ in -log(max(rng.uniform(), 1e-12)) }
        case 1: return (0..<n).map { _ in Double(rng.next() % 5) }
        case 2: return (0..<n).map { _ in rng.uniform() * 10 }.sorted()
        case 3: return (0..<n).map { _ in rng.uniform() * 10 }.sorted(by: >)
        default: return [Double](repeating: 0.25, count: n)
        }
    }

    @Test("equals sorting, Float, below and above the sampling limit", arguments: [0.001, 0.5, 10, 37.5, 99, 100])
    func float(_ percent: Double) {
        var rng = TestRandom(seed: UInt64(percent * 1000) + 1)
        for n in [1, 2, 7, 1000, TopKSelection.exactLimit + 1, 2 * TopKSelection.chunkSize + 5] {
            for kind in 0..<5 {
                Self.check(Self.values(kind, n, &rng).map(Float.init), percent: percent, "Float n \(n) kind \(kind) k \(percent)")
            }
        }
    }

    @Test("equals sorting, Double, with invalid (NaN) elements", arguments: [0.5, 10, 50])
    func doubleMasked(_ percent: Double) {
        var rng = TestRandom(seed: UInt64(percent * 10) + 7)
        for n in [5, 5000, 100_003] {
            for kind in 0..<5 {
                var a = Self.values(kind, n, &rng)
                Self.check(a, percent: percent, "Double n \(n) kind \(kind)")
                for i in a.indices where rng.uniform() < 0.3 { a[i] = .nan }
                Self.check(a, percent: percent, "Double masked n \(n) kind \(kind)")
                // The valid values in one contiguous run (most chunks hold none).
                let run = (0..<n).map { $0 >= n / 3 && $0 < n / 2 ? a[$0].isNaN ? 1.0 : a[$0] : .nan }
                Self.check(run, percent: percent, "Double run n \(n) kind \(kind)")
            }
        }
        let none = [Double](repeating: .nan, count: 10)
        #expect(Self.run(none, percent: 10) == nil)
    }

    @Test("a misleading sample only widens the band")
    func adversarialSample() {
        // Every sampled position (multiples of the stride) holds a huge value.
        let n = 200_000, stride = n / TopKSelection.sampleSize
        var rng = TestRandom(seed: 5)
        let a: [Float] = (0..<n).map { $0 % stride == 0 ? 1000 + Float(rng.uniform()) : Float(rng.uniform()) }
        for percent in [1.0, 10, 60] { Self.check(a, percent: percent, "adversarial k \(percent)") }
    }

    @Test("band collection equals a filter: lengths around the 32-value masks, NaN, no upper bound, capacity")
    func collectBand() {
        var rng = TestRandom(seed: 9)
        for m in [0, 1, 31, 32, 33, 64, 95, 1000, 4099] {
            var v: [Float] = (0..<m).map { _ in Float(rng.uniform()) }
            for i in stride(from: 3, to: m, by: 17) { v[i] = .nan }
            for (low, high) in [(Float(0.3), Float(0.35)), (0.5, Float.nan), (0, 1), (0.99, 2)] {
                let want = v.indices.filter { v[$0] >= low && (high.isNaN || v[$0] < high) }
                for capacity in [want.count, want.count / 2] {
                    var values = [Float](repeating: -1, count: max(1, want.count))
                    var indices = [Int](repeating: -1, count: max(1, want.count))
                    v.withUnsafeBufferPointer { vb in
                        values.withUnsafeMutableBufferPointer { ob in
                            indices.withUnsafeMutableBufferPointer { ib in
                                TopKSelection.collectBand(
                                    vb.baseAddress!, m, base: 1000, low: low, high: high,
                                    values: ob.baseAddress!, indices: ib.baseAddress!, capacity: capacity)
                            }
                        }
                    }
                    let label = "m \(m) band [\(low), \(high)) capacity \(capacity)"
                    #expect(Array(indices.prefix(capacity)) == want.prefix(capacity).map { $0 + 1000 }, "\(label)")
                    #expect(Array(values.prefix(capacity)) == want.prefix(capacity).map { v[$0] }, "\(label)")
                    #expect(values.dropFirst(capacity).allSatisfy { $0 == -1 }, "\(label): nothing past the capacity")
                }
            }
        }
    }

    @Test("quickselect agrees with sorting and partitions, with many duplicates and sorted input")
    func quickselect() {
        var rng = TestRandom(seed: 1)
        for trial in 0..<200 {
            let n = 1 + Int(rng.next() % 300)
            var a: [Double] = (0..<n).map { _ in Double(rng.next() % (trial % 3 == 0 ? 3 : 1000)) }
            if trial % 7 == 0 { a.sort() }
            if trial % 11 == 0 { a = [Double](repeating: 1, count: n) }
            let kth = Int(rng.next() % UInt64(n))
            var copy = a
            let v = TopKSelection.kthLargest(&copy, kth)
            #expect(v == a.sorted(by: >)[kth])
            #expect(copy[..<kth].allSatisfy { $0 >= v } && copy[kth...].allSatisfy { $0 <= v })
        }
    }
}
