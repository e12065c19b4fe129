#if SEMSEG_AVX2 && arch(x86_64)
import _Builtin_intrinsics.intel
#endif

// MARK: - The item loops written with AVX2 intrinsics

/// Loops of the Lovász losses that LLVM's loop vectoriser leaves scalar or compiles poorly,
/// mostly because where an element goes, or what it gets, depends on the elements before it:
///
/// - `append`: the compaction of a gathered block, which appends the items whose key is
///   not 0 (a left-pack);
/// - `walkWords`: the running count of negatives over the sorted items in the walk (a
///   prefix sum), written with the label and key of each item as 32-bit words;
/// - `inversionsAVX2`: the fix-up's comparison of neighbours, 64 at a time, into a bit mask
///   (the vectoriser's version builds each bit with a variable shift).
///
/// Each has a scalar version, the reference (for `inversionsAVX2`, `LovaszSort.inversions`),
/// and an AVX2 version written with the
/// intrinsics of Clang's `immintrin.h`, used when the package is built with
/// `-Xswiftc -DSEMSEG_AVX2` (setup.py adds it, with `-target-cpu native`, on an x86-64 CPU
/// with AVX2; scripts/test.sh builds the Swift tests the same way there). Both versions
/// give the same results bit for bit (`LovaszItemLoopsTests`).
///
/// - Left-pack, 4 items per step: the top bits of 4 keys (`vmovmskps`; a kept key has its
///   top bit set) select one of 16 permutations (`vpermd`) that moves the kept items to the
///   front of the 4, and one 32-byte store writes them at the current count, which then
///   grows by the number kept. About 1 cycle per voxel against 2.3 for the scalar loop
///   (65 536 voxels, 69 % kept: 28 against 51 µs).
/// - Walk words, 8 items per step: the 8 label bits (`vmovmskpd` of the items shifted
///   left by 32) index a table of the 8 running counts of negatives (one byte each), which
///   are widened (`vpmovzxbd`) and added to the count so far; `vpermd` splits the items'
///   low and high halves (label bits, keys).
///
/// On the hinge (16×1×256×256, in one process, 2026-12-06) the left-pack took 5 % off and
/// the prefix count 4 %; the comparisons, with the key-range loop of the gathering pass,
/// about 3 %.
enum LovaszItemLoops {
    /// Appends to `items[start...]` the items of the `n` staged voxels whose key is not 0, as
    /// `key << 32 | low`, in voxel order; returns the new count. A kept key has its top bit
    /// set (`LovaszEntryKernel.gatherRow`). `items` must have room for `start + n` items:
    /// the AVX2 version stores 4 items at a time whatever number of them is kept.
    @inline(__always)
    static func append(
        keys: UnsafePointer<UInt32>, lows: UnsafePointer<UInt32>, count n: Int,
        to items: UnsafeMutablePointer<UInt64>, at start: Int
    ) -> Int {
        #if SEMSEG_AVX2 && arch(x86_64)
        return appendAVX2(keys: keys, lows: lows, count: n, to: items, at: start)
        #else
        return appendScalar(keys: keys, lows: lows, count: n, to: items, at: start)
        #endif
    }

    /// `append`, one voxel at a time (branch-free: every item is written, the count grows
    /// by the key's top bit).
    @inline(__always)
    static func appendScalar(
        keys: UnsafePointer<UInt32>, lows: UnsafePointer<UInt32>, count n: Int,
        to items: UnsafeMutablePointer<UInt64>, at start: Int
    ) -> Int {
        var count = start
        for i in 0..<n {
            let key = keys[i]
            items[count] = UInt64(key) &<< 32 | UInt64(lows[i])
            count &+= Int(truncatingIfNeeded: key &>> 31)
        }
        return count
    }

    /// The 32-bit words the walk's Δ loop reads, for k < n: `counts[k]` = B_k | label_k << 31,
    /// with B_k the negatives (items with label bit 0) among `items[0...k]` plus
    /// `negatives` (< 2³¹), and `keys[k]` the key of item k. Adds the block's negatives to
    /// `negatives`.
    @inline(__always)
    static func walkWords(
        _ items: UnsafePointer<UInt64>, count n: Int, counts: UnsafeMutablePointer<UInt32>,
        keys: UnsafeMutablePointer<UInt32>, negatives: inout UInt32
    ) {
        #if SEMSEG_AVX2 && arch(x86_64)
        walkWordsAVX2(items, count: n, counts: counts, keys: keys, negatives: &negatives)
        #else
        walkWordsScalar(items, count: n, counts: counts, keys: keys, negatives: &negatives)
        #endif
    }

    /// `walkWords`, one item at a time.
    @inline(__always)
    static func walkWordsScalar(
        _ items: UnsafePointer<UInt64>, count n: Int, counts: UnsafeMutablePointer<UInt32>,
        keys: UnsafeMutablePointer<UInt32>, negatives: inout UInt32
    ) {
        var running = negatives
        for k in 0..<n {
            let item = items[k], label = UInt32(truncatingIfNeeded: item) & 0x8000_0000
            running &+= 1 &- label &>> 31
            counts[k] = running | label
            keys[k] = UInt32(truncatingIfNeeded: item &>> 32)
        }
        negatives = running
    }

    #if SEMSEG_AVX2 && arch(x86_64)
    /// Entry m (4 bits: which of 4 items are kept): the `vpermd` indices, one byte each,
    /// that bring the kept 64-bit items (32-bit lane pairs 2j, 2j + 1) to the front.
    static let packPermutations: [UInt64] = (0..<16).map { mask in
        var indices: UInt64 = 0, slot: UInt64 = 0
        for j in 0..<4 where mask & (1 << j) != 0 {
            indices |= UInt64(2 * j) << (16 * slot) | UInt64(2 * j + 1) << (16 * slot + 8)
            slot += 1
        }
        return indices
    }

    /// Entry m (8 label bits): byte j is the number of clear bits among bits 0...j.
    static let runningNegatives: [UInt64] = (0..<256).map { labels in
        var bytes: UInt64 = 0, negatives: UInt64 = 0
        for j in 0..<8 {
            if labels & (1 << j) == 0 { negatives += 1 }
            bytes |= negatives << (8 * j)
        }
        return bytes
    }

    static func appendAVX2(
        keys: UnsafePointer<UInt32>, lows: UnsafePointer<UInt32>, count n: Int,
        to items: UnsafeMutablePointer<UInt64>, at start: Int
    ) -> Int {
        var count = start, i = 0
        let keyBytes = UnsafeRawPointer(keys), lowBytes = UnsafeRawPointer(lows)
        @inline(__always) func load4(_ p: UnsafeRawPointer, _ i: Int) -> __m128i {
            _mm_loadu_si128(p.advanced(by: 4 &* i).assumingMemoryBound(to: __m128i.self))
        }
        packPermutations.withUnsafeBufferPointer { table in
            let permutation = table.baseAddress!
            // Four voxels: their items (key in the high half), the kept ones moved to the front.
            @inline(__always) func step(_ i: Int) {
                let k = load4(keyBytes, i), l = load4(lowBytes, i)
                let item = _mm256_or_si256(_mm256_slli_epi64(_mm256_cvtepu32_epi64(k), 32), _mm256_cvtepu32_epi64(l))
                let kept = Int(_mm_movemask_ps(_mm_castsi128_ps(k)))
                let indices = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(Int64(bitPattern: permutation[kept])))
                _mm256_storeu_si256(
                    UnsafeMutableRawPointer(items + count).assumingMemoryBound(to: __m256i.self),
                    _mm256_permutevar8x32_epi32(item, indices))
                count &+= kept.nonzeroBitCount
            }
            while i &+ 4 <= n {
                step(i)
                i &+= 4
            }
        }
        return appendScalar(keys: keys + i, lows: lows + i, count: n &- i, to: items, at: count)
    }

    static func walkWordsAVX2(
        _ items: UnsafePointer<UInt64>, count n: Int, counts: UnsafeMutablePointer<UInt32>,
        keys: UnsafeMutablePointer<UInt32>, negatives: inout UInt32
    ) {
        var running = negatives, k = 0
        let itemBytes = UnsafeRawPointer(items)
        let countBytes = UnsafeMutableRawPointer(counts), keyBytes = UnsafeMutableRawPointer(keys)
        // vpermd indices: the low halves of 4 items to lanes 0-3, or their high halves.
        let lowHalves = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7), highHalves = _mm256_setr_epi32(1, 3, 5, 7, 0, 2, 4, 6)
        let labelBit = _mm256_set1_epi32(Int32(bitPattern: 0x8000_0000))
        runningNegatives.withUnsafeBufferPointer { table in
            let prefix = table.baseAddress!
            while k &+ 8 <= n {
                let a = _mm256_loadu_si256(itemBytes.advanced(by: 8 &* k).assumingMemoryBound(to: __m256i.self))
                let b = _mm256_loadu_si256(itemBytes.advanced(by: 8 &* k &+ 32).assumingMemoryBound(to: __m256i.self))
                // Label bits (bit 31 of each item: bit 63 after a shift by 32, read by movmskpd).
                let bits = Int(_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_slli_epi64(a, 32)))
                    | _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_slli_epi64(b, 32))) &<< 4)
                let running8 = _mm256_add_epi32(
                    _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(Int64(bitPattern: prefix[bits]))),
                    _mm256_set1_epi32(Int32(bitPattern: running)))
                let lows = _mm256_set_m128i(
                    _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(b, lowHalves)),
                    _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(a, lowHalves)))
                let highs = _mm256_set_m128i(
                    _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(b, highHalves)),
                    _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(a, highHalves)))
                _mm256_storeu_si256(
                    countBytes.advanced(by: 4 &* k).assumingMemoryBound(to: __m256i.self),
                    _mm256_or_si256(running8, _mm256_and_si256(lows, labelBit)))
                _mm256_storeu_si256(keyBytes.advanced(by: 4 &* k).assumingMemoryBound(to: __m256i.self), highs)
                running &+= 8 &- UInt32(truncatingIfNeeded: bits.nonzeroBitCount)
                k &+= 8
            }
        }
        walkWordsScalar(items + k, count: n &- k, counts: counts + k, keys: keys + k, negatives: &running)
        negatives = running
    }

    /// `LovaszSort.inversions` for 64 items: bit j set when items[j] comes before
    /// items[j − 1] in (key, index) order, for j < 64 (items[−1] must be readable). Four
    /// comparisons per `vpcmpgtq` (signed, so both sides get their top bit flipped), four
    /// bits per `vmovmskpd`.
    @inline(__always)
    static func inversionsAVX2(_ items: UnsafePointer<UInt64>) -> UInt64 {
        let order = _mm256_set1_epi64x(Int64(bitPattern: LovaszSort.orderMask))
        let flip = _mm256_set1_epi64x(Int64.min)
        let bytes = UnsafeRawPointer(items)
        @inline(__always) func ordered(_ offset: Int) -> __m256i {
            let v = _mm256_loadu_si256(bytes.advanced(by: offset).assumingMemoryBound(to: __m256i.self))
            return _mm256_xor_si256(_mm256_and_si256(v, order), flip)
        }
        var found: UInt64 = 0
        for g in 0..<16 {
            let inverted = _mm256_cmpgt_epi64(ordered(32 &* g &- 8), ordered(32 &* g))
            found |= UInt64(UInt32(bitPattern: _mm256_movemask_pd(_mm256_castsi256_pd(inverted)))) &<< UInt64(4 &* g)
        }
        return found
    }
    #endif
}
