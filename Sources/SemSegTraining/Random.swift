// MARK: - Deterministic random numbers

/// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit counter passed through a mixing
/// function. Used only to expand a user seed into the state of `Xoshiro256`.
public struct SplitMix64: Sendable, Equatable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman and Vigna 2018): the generator behind weight initialisation and
/// the per-epoch shuffle. Its whole state is four words, saved in checkpoints so a resumed
/// run draws exactly the numbers an uninterrupted one would.
public struct Xoshiro256: Sendable, Equatable {
    public var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds the four state words from SplitMix64(seed) (never all zero).
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// Restores a saved state; an all-zero state (invalid for xoshiro) becomes `s0 = 1`.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = state
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    public var state: (UInt64, UInt64, UInt64, UInt64) { (s0, s1, s2, s3) }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform double in [−bound, bound).
    public mutating func nextSymmetric(_ bound: Double) -> Double {
        (2 * nextUnit() - 1) * bound
    }

    /// Uniform integer in `0..<n` (n > 0), unbiased (Lemire's multiply-and-reject).
    public mutating func nextBelow(_ n: Int) -> Int {
        guard n > 1 else { return 0 }
        let bound = UInt64(n)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return Int(product.high)
    }

    /// Fisher–Yates shuffle of `indices` in place.
    public mutating func shuffle(_ indices: inout [Int]) {
        var i = indices.count - 1
        while i > 0 {
            let j = nextBelow(i + 1)
            indices.swapAt(i, j)
            i -= 1
        }
    }
}
