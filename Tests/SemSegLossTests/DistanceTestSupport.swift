@testable import SemSegLoss

// MARK: - Deterministic random masks

/// SplitMix64: a tiny deterministic generator, so every test run sees the same masks.
struct DistanceRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random masks and brute-force references for the distance tests (namespaced so that
/// they cannot collide with other test helpers of the module).
enum DistanceReference {
    /// A random mask of `count` voxels, each true with probability `density`.
    static func randomMask(_ count: Int, density: Double, seed: UInt64) -> [Bool] {
        var rng = DistanceRandom(seed: seed)
        return (0..<count).map { _ in Double.random(in: 0..<1, using: &rng) < density }
    }

    /// A mask made of `blobs` random axis-aligned ellipsoids (more realistic surfaces).
    static func blobMask(spatial: [Int], blobs: Int, seed: UInt64) -> [Bool] {
        var rng = DistanceRandom(seed: seed)
        let total = spatial.reduce(1, *)
        var mask = [Bool](repeating: false, count: total)
        for _ in 0..<blobs {
            let centre = spatial.map { Double.random(in: 0..<Double($0), using: &rng) }
            let radius = spatial.map { Double.random(in: 0.5...max(0.6, Double($0) / 3), using: &rng) }
            for i in 0..<total {
                let x = coordinates(i, spatial)
                var r = 0.0
                for a in 0..<spatial.count { let t = (Double(x[a]) - centre[a]) / radius[a]; r += t * t }
                if r <= 1 { mask[i] = true }
            }
        }
        return mask
    }

    // MARK: Brute-force references (O(N²), Double)

    /// C-order coordinates of linear index `index` in `spatial`.
    static func coordinates(_ index: Int, _ spatial: [Int]) -> [Int] {
        var rest = index
        var x = [Int](repeating: 0, count: spatial.count)
        for a in stride(from: spatial.count - 1, through: 0, by: -1) {
            x[a] = rest % spatial[a]
            rest /= spatial[a]
        }
        return x
    }

    /// Euclidean distance between voxels `i` and `j` with spacing.
    static func voxelDistance(_ i: Int, _ j: Int, _ spatial: [Int], _ spacing: [Double]) -> Double {
        let a = coordinates(i, spatial), b = coordinates(j, spatial)
        var s = 0.0
        for k in 0..<spatial.count { let d = Double(a[k] - b[k]) * spacing[k]; s += d * d }
        return s.squareRoot()
    }

    /// Distance of each voxel to the nearest false voxel (0 on false voxels, +∞ if none).
    static func bruteForceEDT(_ mask: [Bool], _ spatial: [Int], _ spacing: [Double]) -> [Double] {
        let scaled = mask.indices.map { i in zip(coordinates(i, spatial), spacing).map { Double($0) * $1 } }
        let background = mask.indices.filter { !mask[$0] }.map { scaled[$0] }
        return mask.indices.map { i in
            if !mask[i] { return 0 }
            let x = scaled[i]
            var best = Double.infinity
            for y in background {
                var s = 0.0
                for k in 0..<x.count { let d = x[k] - y[k]; s += d * d }
                best = min(best, s)
            }
            return best.squareRoot()
        }
    }

    /// Foreground voxels with a face neighbour that is background or outside the image.
    static func bruteForceSurface(_ mask: [Bool], _ spatial: [Int]) -> [Int] {
        mask.indices.filter { i in
            guard mask[i] else { return false }
            let x = coordinates(i, spatial)
            for a in 0..<spatial.count {
                for step in [-1, 1] {
                    var y = x
                    y[a] += step
                    if y[a] < 0 || y[a] >= spatial[a] { return true }
                    var j = 0
                    for k in 0..<spatial.count { j = j * spatial[k] + y[k] }
                    if !mask[j] { return true }
                }
            }
            return false
        }
    }

    /// For each surface voxel of `a`, the distance to the nearest surface voxel of `b`.
    static func bruteForceDirected(_ a: [Int], _ b: [Int], _ spatial: [Int], _ spacing: [Double]) -> [Double] {
        a.map { i in b.reduce(Double.infinity) { min($0, voxelDistance(i, $1, spatial, spacing)) } }
    }

    /// NumPy's default (`method="linear"`) percentile, written out independently.
    static func numpyPercentile(_ values: [Double], _ p: Double) -> Double {
        let x = values.sorted()
        let h = Double(x.count - 1) * (p / 100)
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, x.count - 1)
        return x[lo] + (h - Double(lo)) * (x[hi] - x[lo])
    }

    /// Largest absolute difference, treating equal infinities as 0 and any other
    /// infinity or NaN mismatch as +∞.
    static func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        var worst = 0.0
        for (x, y) in zip(a, b) {
            if x == y { continue }
            let d = abs(x - y)
            worst = d.isNaN ? .infinity : max(worst, d)
        }
        return worst
    }
}
