import Testing
@testable import SemSegLoss

/// `LovaszSort`: two digit passes on the 22-bit coarse key (24-bit above
/// `wideDigitsAbove` items), then the exact fix-up of runs of equal coarse keys; always
/// the order of a stable sort by decreasing error.
@Suite("Lovász sort: coarse radix passes and exact fix-up")
struct LovaszSortTests {
    /// Items of `errors` (label: even index), sorted by `LovaszSort.sort`; returns the
    /// sorted items and whether they ended in the `items` buffer.
    private func sorted(_ errors: [Float], range: LovaszSort.KeyRange? = nil) -> ([UInt64], Bool) {
        var items = errors.enumerated().map { LovaszSort.item($0.element, $0.offset, label: $0.offset % 2 == 0) }
        var scratch = [UInt64](repeating: 0, count: items.count)
        var result = [UInt64](), inItems = false
        let n = items.count
        items.withUnsafeMutableBufferPointer { ib in
            scratch.withUnsafeMutableBufferPointer { sb in
                let p = LovaszSort.sort(ib.baseAddress!, scratch: sb.baseAddress!, count: n, keys: range)
                inItems = p == ib.baseAddress!
                result = Array(UnsafeBufferPointer(start: p, count: n))
            }
        }
        return (result, inItems)
    }

    /// Decreasing errors, equal errors in index order (NumPy's stable argsort(−e)).
    private func expectedOrder(_ errors: [Float]) -> [Int] {
        errors.indices.sorted { errors[$0] > errors[$1] || (errors[$0] == errors[$1] && $0 < $1) }
    }

    private func check(_ errors: [Float], range: LovaszSort.KeyRange? = nil) {
        let (items, _) = sorted(errors, range: range)
        let order = expectedOrder(errors)
        #expect(items.map(LovaszSort.index) == order)
        #expect(items.map(LovaszSort.label) == order.map { $0 % 2 == 0 ? 1 : 0 })
        #expect(items.map(LovaszSort.error) == order.map { errors[$0] })
    }

    /// The result is in `scratch` after one digit pass and in `items` after none or two:
    /// all keys equal (no pass), keys within 2¹¹ of each other (only the low digit
    /// varies: one pass), and a wide range (two passes).
    @Test("sort returns the buffer holding the sorted items", arguments: [0, 1, 2])
    func sortBuffer(_ kind: Int) {
        var rng = TestRandom(seed: 3)
        let errors: [Float] = (0..<3000).map { _ in
            switch kind {
            case 0: return 0.75
            case 1: return Float(bitPattern: Float(1).bitPattern + UInt32(rng.uniform() * 2047))
            default: return Float(rng.uniform() * 4 + 1e-6)
            }
        }
        let (items, inItems) = sorted(errors)
        #expect(inItems == (kind != 1))
        #expect(items.map(LovaszSort.index) == expectedOrder(errors))
    }

    /// The coarse key keeps 2·b bits (b = 11 or 12), is monotone in the key, and is the
    /// key itself (minus the low end) for ranges below 2^(2b).
    @Test("coarse key: 22 or 24 bits, monotone, exact for narrow ranges", arguments: [11, 12])
    func coarseKey(_ digitBits: Int) {
        var rng = TestRandom(seed: UInt64(digitBits))
        let bits = 2 * digitBits
        for _ in 0..<200 {
            let a = UInt32(truncatingIfNeeded: rng.next()), b = UInt32(truncatingIfNeeded: rng.next())
            let range = LovaszSort.KeyRange(low: min(a, b), high: max(a, b))
            let coarse = LovaszSort.CoarseKey(range, digitBits: digitBits)
            #expect(coarse.isExact == (range.high - range.low < 1 << bits))
            let keys = (0..<64).map { _ in range.low &+ UInt32(rng.uniform() * Double(range.high - range.low)) } + [range.low, range.high]
            for key in keys { #expect(coarse(UInt64(key) << 32) < 1 << bits) }
            let sortedKeys = keys.sorted()
            for (p, q) in zip(sortedKeys, sortedKeys.dropFirst()) {
                #expect(coarse(UInt64(p) << 32) <= coarse(UInt64(q) << 32))
            }
        }
    }

    /// Random sizes around the 64-item blocks of the inversion scan and the digit width's
    /// limit, on the hinge's error distribution (keys spanning ~2²⁸, so the coarse key
    /// drops 6 bits, or 4 with 12-bit digits, and a few % of the items sit in runs that
    /// need the fix-up).
    @Test("hinge-like errors, sizes around the 64-item scan blocks", arguments: [
        2, 63, 64, 65, 127, 1000, LovaszSort.wideDigitsAbove, LovaszSort.wideDigitsAbove + 1, 45_000,
    ])
    func hingeErrors(_ n: Int) {
        var rng = TestRandom(seed: UInt64(n))
        let errors: [Float] = (0..<n).map { _ in max(Float(1 - rng.normal(2)), 1e-7) }
        check(errors)
    }

    /// Many distinct keys per coarse key: a wide range set by two extreme errors and a
    /// dense cluster inside a few coarse keys, in runs far longer than the insertion-sort
    /// limit (the standard sort takes those), with ties (index order) inside them.
    /// With 12-bit digits (`wide`: more than `wideDigitsAbove` items) the shift is 7.
    @Test("long runs of equal coarse keys, with ties", arguments: [0, 1, 2], [false, true])
    func longRuns(_ kind: Int, wide: Bool) {
        var rng = TestRandom(seed: UInt64(7 + kind))
        var errors: [Float] = [3e38, 1e-38]  // the range: ~2³¹ keys, shift 9 (the widest)
        let base = Float(1).bitPattern
        for _ in 0..<(wide ? LovaszSort.wideDigitsAbove + 1000 : 5000) {
            switch kind {
            case 0: errors.append(Float(bitPattern: base + UInt32(rng.uniform() * 1024)))  // 2-3 coarse keys
            case 1: errors.append(Float(bitPattern: base + 8 * UInt32(rng.uniform() * 16)))  // 16 values: ties
            default: errors.append(Float(bitPattern: base + UInt32(rng.uniform() * 40_000)))  // runs of ~125
            }
        }
        let range = LovaszSort.KeyRange(low: ~Float(3e38).bitPattern, high: ~Float(1e-38).bitPattern)
        #expect(LovaszSort.coarseDigitBits(count: errors.count) == (wide ? 12 : 11))
        let coarse = LovaszSort.CoarseKey(range, digitBits: LovaszSort.coarseDigitBits(count: errors.count))
        #expect(coarse.shift == (wide ? 7 : 9))
        check(errors.shuffledDeterministically(seed: UInt64(kind)))
    }

    /// Items reversed inside every coarse run (the worst order for the insertion sort)
    /// and runs that start or end at a 64-item block boundary, several in one block of
    /// the scan (it goes on after each sorted run); with 11- and 12-bit digits (`wide`).
    @Test("descending keys inside short runs at block boundaries", arguments: [false, true])
    func reversedRuns(wide: Bool) {
        var errors: [Float] = [1e-30]  // widens the range: shift > 0
        let base = Float(2).bitPattern
        // 300 runs hold 3 600 items; 3 000 runs 36 000, more than `wideDigitsAbove`
        for run in 0..<(wide ? 3000 : 300) {
            // Run r: 1 + r % 23 keys inside one coarse key, ascending error (descending key).
            let length = 1 + run % 23
            for j in 0..<length { errors.append(Float(bitPattern: base &- UInt32(run) << 8 + UInt32(j))) }
        }
        check(errors)
    }

    /// All equal (no pass, no fix-up), one item, and keys equal to the range's ends.
    @Test("degenerate inputs")
    func degenerate() {
        check([0.5])
        check([Float](repeating: 2, count: 200))
        check([Float.greatestFiniteMagnitude, .leastNonzeroMagnitude, 1, 1, .greatestFiniteMagnitude])
    }
}

private extension Array {
    /// A fixed permutation (Fisher–Yates with `TestRandom`).
    func shuffledDeterministically(seed: UInt64) -> [Element] {
        var a = self, rng = TestRandom(seed: seed)
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, Int(rng.uniform() * Double(i + 1)))
        }
        return a
    }
}
