import Testing
@testable import SemSegLoss

/// SameSizeFilter (NACL's smoothing) against a brute-force N-D correlation with zero
/// padding: every tap count (the three-tap loop and the general chunked one), 1-D to 3-D,
/// axes shorter than the kernel, odd sizes, in place and from a separate input.
@Suite("Same-size separable filter")
struct SameSizeFilterTests {
    /// out[i] = Σ over the kernel's offsets (one per axis) of Π w · in[i + offset].
    static func bruteForce(_ input: [Double], dims: [Int], taps: [Double]) -> [Double] {
        let r = taps.count / 2
        let count = input.count
        var strides = [Int](repeating: 1, count: dims.count)
        for a in stride(from: dims.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * dims[a + 1] }
        var out = [Double](repeating: 0, count: count)
        let offsets = dims.reduce([[Int]]([[]])) { acc, _ in acc.flatMap { o in (0..<taps.count).map { o + [$0] } } }
        for i in 0..<count {
            let at = dims.indices.map { (i / strides[$0]) % dims[$0] }
            var sum = 0.0
            for o in offsets {
                let q = dims.indices.map { at[$0] + o[$0] - r }
                guard q.indices.allSatisfy({ q[$0] >= 0 && q[$0] < dims[$0] }) else { continue }
                let w = o.reduce(1.0) { $0 * taps[$1] }
                sum += w * input[zip(q, strides).reduce(0) { $0 + $1.0 * $1.1 }]
            }
            out[i] = sum
        }
        return out
    }

    @Test("equals brute-force correlation", arguments: [
        [7], [1], [2], [1, 1], [5, 3], [2, 9], [3, 4, 5], [1, 2, 2], [13, 1, 3],
    ])
    func matchesBruteForce(dims: [Int]) {
        let count = dims.reduce(1, *)
        let input = (0..<count).map { Double(($0 * 37 + 11) % 17) / 7 - 1 }
        for taps in [[1.0], [0.2, 0.5, 0.3], [0.1, 0.2, 0.4, 0.2, 0.1], [1, 2, 3, 4, 5, 6, 7].map { Double($0) / 28 }] {
            let want = Self.bruteForce(input, dims: dims, taps: taps)
            let filter = SameSizeFilter<Double>(taps: taps)
            // From a separate input (left unchanged), and in place.
            var out = [Double](repeating: .nan, count: count), work = [Double](repeating: .nan, count: count)
            let copy = input
            input.withUnsafeBufferPointer { ib in
                filter.apply(ib.baseAddress!, into: &out, spatial: dims[...], work: &work)
            }
            #expect(input == copy)
            #expect(maxAbsDiff(out, want) < 1e-12, "dims \(dims), \(taps.count) taps, separate")
            var inPlace = input
            inPlace.withUnsafeMutableBufferPointer { b in
                filter.apply(b.baseAddress!, into: b.baseAddress!, spatial: dims[...], work: &work)
            }
            #expect(maxAbsDiff(inPlace, want) < 1e-12, "dims \(dims), \(taps.count) taps, in place")
        }
    }
}
