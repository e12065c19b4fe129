import Testing
@testable import SemSegLoss

/// `LovaszSort.sortSegments` (exact LSD passes, parallel over parts, items given in
/// segments with gaps) and `sort` above `exactPassesAbove`, where it uses those passes:
/// always the order of a stable sort by decreasing error.
@Suite("Lovász sort: exact parallel passes over segments")
struct LovaszParallelSortTests {
    /// Decreasing errors, equal errors in index order (NumPy's stable argsort(−e)).
    private func expectedOrder(_ errors: [Float]) -> [Int] {
        errors.indices.sorted { errors[$0] > errors[$1] || (errors[$0] == errors[$1] && $0 < $1) }
    }

    /// Sorts `errors` cut into segments of the given lengths, each placed after a gap of
    /// `gap` slots filled with junk items; checks the order, labels and errors.
    private func check(_ errors: [Float], lengths: [Int], gap: Int) {
        #expect(lengths.reduce(0, +) == errors.count)
        let capacity = errors.count + gap * lengths.count
        var source = [UInt64](repeating: 0xDEAD_BEEF, count: capacity)
        var other = [UInt64](repeating: 0, count: capacity)
        var segments = [LovaszSort.Segment](), next = 0, position = 0
        for n in lengths {
            position += gap
            for i in 0..<n { source[position + i] = LovaszSort.item(errors[next + i], next + i, label: (next + i) % 3 == 0) }
            segments.append(LovaszSort.Segment(start: position, count: n))
            position += n
            next += n
        }
        let keys = errors.map { ~$0.bitPattern }
        let range = LovaszSort.KeyRange(low: keys.min() ?? 0, high: keys.max() ?? 0)
        var result = [UInt64]()
        source.withUnsafeMutableBufferPointer { sb in
            other.withUnsafeMutableBufferPointer { ob in
                let p = LovaszSort.sortSegments(sb.baseAddress!, segments: segments, other: ob.baseAddress!, keys: range)
                #expect(p == sb.baseAddress! || p == ob.baseAddress!)
                result = Array(UnsafeBufferPointer(start: p, count: errors.count))
            }
        }
        let order = expectedOrder(errors)
        // Booleans, so that a failure does not print ~10⁵ elements.
        let sameOrder = result.map(LovaszSort.index) == order
        let sameLabels = result.map(LovaszSort.label) == order.map { $0 % 3 == 0 ? 1 : 0 }
        let sameErrors = result.map(LovaszSort.error) == order.map { errors[$0] }
        #expect(sameOrder && sameLabels && sameErrors, "order \(sameOrder), labels \(sameLabels), errors \(sameErrors)")
    }

    /// Error distributions: sigmoid-like absolute errors (keys spanning ~2³⁰: three
    /// passes), hinge margins, heavy ties, all equal (one copying pass), a narrow range
    /// (one pass) and the widest range.
    static let kinds = ["absolute", "hinge", "ties", "equal", "narrow", "widest"]

    private func errors(_ kind: String, _ n: Int, seed: UInt64) -> [Float] {
        var rng = TestRandom(seed: seed)
        return (0..<n).map { i -> Float in
            switch kind {
            case "absolute": return max(Float(1 / (1 + Double.sexp(-rng.normal(2)))), 1e-9)
            case "hinge": return max(Float(1 - rng.normal(2)), 1e-7)
            case "ties": return Float(1 + Int(rng.uniform() * 7)) * 0.125
            case "equal": return 0.5
            case "narrow": return Float(bitPattern: Float(1).bitPattern + UInt32(rng.uniform() * 1500))
            default: return i == 0 ? 3e38 : (i == 1 ? Float(bitPattern: 71_362) : Float(rng.uniform() * 10 + 1e-3))  // 1e-40, subnormal
            }
        }
    }

    @Test("segments with gaps, in parallel parts", arguments: kinds)
    func segmentsWithGaps(_ kind: String) {
        let lengths = [5000, 0, 1, 70_000, 33, 65_536, 12_345]
        check(errors(kind, lengths.reduce(0, +), seed: 5), lengths: lengths, gap: 17)
    }

    @Test("one segment, small sizes", arguments: [1, 2, 3, 64, 1000])
    func oneSegment(_ n: Int) {
        for kind in Self.kinds { check(errors(kind, n, seed: UInt64(n)), lengths: [n], gap: 0) }
    }

    /// `sort` above `exactPassesAbove` (the exact passes) and just below it (coarse
    /// passes and fix-up): the same order.
    @Test("sort on either side of exactPassesAbove", arguments: [LovaszSort.exactPassesAbove, LovaszSort.exactPassesAbove + 1, 200_000])
    func sortAboveLimit(_ n: Int) {
        for kind in ["absolute", "hinge", "ties"] {
            let e = errors(kind, n, seed: 9)
            var items = e.enumerated().map { LovaszSort.item($0.element, $0.offset, label: $0.offset % 2 == 0) }
            var scratch = [UInt64](repeating: 0, count: n)
            var result = [UInt64]()
            items.withUnsafeMutableBufferPointer { ib in
                scratch.withUnsafeMutableBufferPointer { sb in
                    let p = LovaszSort.sort(ib.baseAddress!, scratch: sb.baseAddress!, count: n)
                    result = Array(UnsafeBufferPointer(start: p, count: n))
                }
            }
            let sameOrder = result.map(LovaszSort.index) == expectedOrder(e)
            #expect(sameOrder, "\(kind), n = \(n)")
        }
    }

    /// From `topDigitFrom` items `sortSegments` splits by the top digit first
    /// (`sortByTopDigit`); keys bunched so that one bucket would exceed
    /// `topDigitBucketLimit` go to the LSD passes instead. Both give the stable order.
    @Test("top digit first above topDigitFrom, LSD passes for bunched keys",
          arguments: ["absolute", "hinge", "ties", "widest", "bunched"], [LovaszSort.topDigitFrom, 1 << 18])
    func topDigitFirst(_ kind: String, _ size: Int) {
        // Bunched keys exceed the bucket limit only in a large entry.
        let n = (kind == "bunched" ? max(size, 2 * LovaszSort.topDigitBucketLimit) : size) + 4_321
        var e = errors(kind == "bunched" ? "hinge" : kind, n, seed: 13)
        // Bunched: most errors within 2⁻¹⁵ of 0.5 (one top-digit bucket), the rest spread.
        if kind == "bunched" {
            for i in 0..<(n * 3 / 4) { e[i] = Float(bitPattern: Float(0.5).bitPattern &+ UInt32(i % 257)) }
        }
        // A few equal tiny errors: a small bucket of ties (the insertion sort keeps them
        // in input order).
        for i in [7, 1_000, 50_000, n - 1] { e[i] = 1e-30 }
        let keys = e.map { ~$0.bitPattern }
        let range = LovaszSort.KeyRange(low: keys.min()!, high: keys.max()!)
        let bits = 32 - (range.high &- range.low).leadingZeroBitCount
        // Which path: the top-digit sort on its own (nil = declined, nothing moved).
        var source = e.enumerated().map { LovaszSort.item($0.element, $0.offset, label: false) }
        var other = [UInt64](repeating: 0, count: n)
        let used = source.withUnsafeMutableBufferPointer { sb in
            other.withUnsafeMutableBufferPointer { ob in
                LovaszSort.sortByTopDigit(
                    sb.baseAddress!, segments: [LovaszSort.Segment(start: 0, count: n)], other: ob.baseAddress!,
                    keys: range, count: n, bits: bits) != nil
            }
        }
        #expect(used == (kind != "bunched"), "\(kind): top-digit path used \(used)")
        check(e, lengths: [n / 2, 3, 0, n - n / 2 - 3], gap: 9)
    }
}
