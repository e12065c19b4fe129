import Testing
@testable import SemSegLoss

/// The compaction and the walk's 32-bit words (`LovaszItemLoops`): the scalar
/// versions against plain definitions, the AVX2 versions (built with `SEMSEG_AVX2`, as
/// scripts/test.sh does on an AVX2 CPU) against the scalar ones, bit for bit; and the walk
/// with Δ in Float against Δ in Double.
@Suite("Lovász item loops: compaction, walk words, Float Δ")
struct LovaszItemLoopsTests {
    /// Staged keys (0, or with the top bit set; a share `kept` of them) and low words.
    static func staged(_ n: Int, kept: Double, seed: UInt64) -> (keys: [UInt32], lows: [UInt32]) {
        var rng = TestRandom(seed: seed)
        var keys = [UInt32](), lows = [UInt32]()
        for i in 0..<n {
            let key = UInt32(truncatingIfNeeded: rng.next()) | 0x8000_0000
            keys.append(rng.uniform() < kept ? key : 0)
            lows.append(UInt32(i) | (rng.uniform() < 0.3 ? 0x8000_0000 : 0))
        }
        return (keys, lows)
    }

    static let sizes = [0, 1, 3, 4, 5, 7, 8, 9, 31, 1023, 1024]

    /// Runs `append` into a buffer of exactly `start + n` items followed by guard items, and
    /// checks the guards are untouched.
    static func appended(
        _ keys: [UInt32], _ lows: [UInt32], start: Int,
        _ f: (UnsafePointer<UInt32>, UnsafePointer<UInt32>, Int, UnsafeMutablePointer<UInt64>, Int) -> Int
    ) -> [UInt64] {
        let n = keys.count, guardValue: UInt64 = 0xDEAD_BEEF_DEAD_BEEF
        var buffer = [UInt64](repeating: 7, count: start + n + 8)
        for i in (start + n)..<buffer.count { buffer[i] = guardValue }
        let count = buffer.withUnsafeMutableBufferPointer { b in f(keys, lows, n, b.baseAddress!, start) }
        #expect(buffer[(start + n)...].allSatisfy { $0 == guardValue }, "wrote past start + n")
        #expect(buffer[0..<start].allSatisfy { $0 == 7 }, "wrote before start")
        return Array(buffer[start..<count])
    }

    @Test("append keeps the items with a key, in order, and writes only within start + n", arguments: sizes)
    func append(_ n: Int) {
        for (kept, seed) in [(0.69, 1), (0.0, 2), (1.0, 3), (0.5, 4)] as [(Double, UInt64)] {
            let (keys, lows) = Self.staged(n, kept: kept, seed: seed + UInt64(n))
            let expected = zip(keys, lows).filter { $0.0 != 0 }.map { UInt64($0.0) << 32 | UInt64($0.1) }
            for start in [0, 5] {
                let scalar = Self.appended(keys, lows, start: start) {
                    LovaszItemLoops.appendScalar(keys: $0, lows: $1, count: $2, to: $3, at: $4)
                }
                #expect(scalar == expected)
                let used = Self.appended(keys, lows, start: start) {
                    LovaszItemLoops.append(keys: $0, lows: $1, count: $2, to: $3, at: $4)
                }
                #expect(used == expected)
                #if SEMSEG_AVX2 && arch(x86_64)
                let avx2 = Self.appended(keys, lows, start: start) {
                    LovaszItemLoops.appendAVX2(keys: $0, lows: $1, count: $2, to: $3, at: $4)
                }
                #expect(avx2 == expected)
                #endif
            }
        }
    }

    @Test("walk words: running count of negatives with the label bit, and the keys", arguments: sizes)
    func walkWords(_ n: Int) {
        var rng = TestRandom(seed: UInt64(100 + n))
        for share in [0.3, 0.0, 1.0] {
            var items = [UInt64]()
            for i in 0..<n {
                let key = UInt64(0xC000_0000 | UInt32(i * 7919 % 65_536))
                let label: UInt64 = rng.uniform() < share ? 1 << 31 : 0
                items.append(key << 32 | label | UInt64(i))
            }
            var expected = [UInt32](), running: UInt32 = 17
            for item in items {
                let positive = (item >> 31) & 1 == 1
                running += positive ? 0 : 1
                expected.append(running | (positive ? 0x8000_0000 : 0))
            }
            let expectedKeys = items.map { UInt32($0 >> 32) }
            typealias Loop = (UnsafePointer<UInt64>, Int, UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt32>, inout UInt32) -> Void
            func run(_ f: Loop) {
                var counts = [UInt32](repeating: 0, count: n + 8), keys = counts, negatives: UInt32 = 17
                counts.withUnsafeMutableBufferPointer { cb in
                    keys.withUnsafeMutableBufferPointer { kb in f(items, n, cb.baseAddress!, kb.baseAddress!, &negatives) }
                }
                #expect(counts[n...].allSatisfy { $0 == 0 } && keys[n...].allSatisfy { $0 == 0 }, "wrote past n")
                #expect(Array(counts[0..<n]) == expected)
                #expect(Array(keys[0..<n]) == expectedKeys)
                #expect(negatives == running)
            }
            run { LovaszItemLoops.walkWordsScalar($0, count: $1, counts: $2, keys: $3, negatives: &$4) }
            run { LovaszItemLoops.walkWords($0, count: $1, counts: $2, keys: $3, negatives: &$4) }
            #if SEMSEG_AVX2 && arch(x86_64)
            run { LovaszItemLoops.walkWordsAVX2($0, count: $1, counts: $2, keys: $3, negatives: &$4) }
            #endif
        }
    }

    #if SEMSEG_AVX2 && arch(x86_64)
    @Test("inversions of 64 neighbours: the AVX2 bit mask equals the comparisons one by one")
    func inversions() {
        var rng = TestRandom(seed: 64)
        for trial in 0..<200 {
            // Keys from a few values (ties), random label bits, indices mostly rising.
            var items = [UInt64]()
            for i in 0..<65 {
                let key = UInt64(0x8000_0000 | UInt32(rng.next() % UInt64(trial % 3 == 0 ? 3 : 1000))) << 32
                let label: UInt64 = rng.uniform() < 0.3 ? 1 << 31 : 0
                let index = UInt64(rng.uniform() < 0.1 ? Int(rng.next() % 100) : i)
                items.append(key | label | index)
            }
            var expected: UInt64 = 0
            for j in 0..<64 where items[j + 1] & LovaszSort.orderMask < items[j] & LovaszSort.orderMask {
                expected |= 1 << UInt64(j)
            }
            let found = items.withUnsafeBufferPointer { LovaszItemLoops.inversionsAVX2($0.baseAddress! + 1) }
            #expect(found == expected)
        }
    }
    #endif

    /// Sorted items of random hinge errors over `n` voxels (30 % positives), with G.
    static func sortedItems(_ n: Int, seed: UInt64) -> (items: [UInt64], target: Double) {
        var rng = TestRandom(seed: seed)
        let hinge = HingeOnLogits<Float>()
        var items = [UInt64](), ones = 0
        for i in 0..<n {
            let x = Float(rng.normal(2)), g: Float = rng.uniform() < 0.3 ? 1 : 0
            if g == 1 { ones += 1 }
            let e = hinge.error(x, g)
            if e > 0 { items.append(LovaszSort.item(e, i, label: g == 1)) }
        }
        var scratch = items
        items.withUnsafeMutableBufferPointer { ib in
            scratch.withUnsafeMutableBufferPointer { sb in
                LovaszSort.sortDescending(ib.baseAddress!, scratch: sb.baseAddress!, count: ib.count)
            }
        }
        return (items, Double(ones))
    }

    /// `walkHard` over all of `items` (one chunk), Δ in Float or Double: loss and gradient.
    static func walk(_ sorted: [UInt64], target: Double, voxels: Int, weight: Double, floatDelta: Bool) -> (Double, [Float]) {
        var items = sorted, gradient = [Float](repeating: 0, count: voxels)
        var counts = [UInt32](repeating: 0, count: 2 * Blocks.size)
        var negatives: UInt32 = 0
        let loss = items.withUnsafeMutableBufferPointer { ib in
            gradient.withUnsafeMutableBufferPointer { gb in
                counts.withUnsafeMutableBufferPointer { cb in
                    LovaszEntryKernel.walkHard(
                        HingeOnLogits<Float>(), items: ib.baseAddress!, count: ib.count, first: 0, negatives: &negatives,
                        target: target, gradient: gb.baseAddress!, weight: weight, base: 0, counts: cb.baseAddress!,
                        keys: cb.baseAddress! + Blocks.size, floatDelta: floatDelta)
                }
            }
        }
        #expect(items == sorted, "the walk only reads the items")
        return (loss, gradient)
    }

    @Test("walk with Δ in Float: gradient within 2 ulp, loss within 2⁻²² of Δ in Double")
    func floatDelta() {
        for (n, weight) in [(5_000, 1.0), (65_536, 1.0 / 3), (37, 0.25)] {
            let (items, G) = Self.sortedItems(n, seed: UInt64(n))
            let (loss, gradient) = Self.walk(items, target: G, voxels: n, weight: weight, floatDelta: true)
            let (exactLoss, exactGradient) = Self.walk(items, target: G, voxels: n, weight: weight, floatDelta: false)
            #expect(abs(loss - exactLoss) <= 0x1p-22 * exactLoss)
            var worst = 0
            for (a, b) in zip(gradient, exactGradient) {
                #expect((a == 0) == (b == 0) && a.sign == b.sign)
                worst = max(worst, abs(Int(a.bitPattern) - Int(b.bitPattern)))
            }
            #expect(worst <= 2, "largest difference \(worst) ulp")
        }
    }

    @Test("Δ in Float only while G + count ≤ 2²⁴")
    func floatDeltaLimit() {
        #expect(LovaszEntryKernel.floatDeltaLimit == 16_777_216)
        #expect(Float(LovaszEntryKernel.floatDeltaLimit) - 1 != Float(LovaszEntryKernel.floatDeltaLimit))
        #expect(Float(LovaszEntryKernel.floatDeltaLimit) + 1 == Float(LovaszEntryKernel.floatDeltaLimit))
    }
}
