import Testing
@testable import SemSegLoss

/// The fused two-sided transform (`TwoSidedTransform`) and the run-based last pass of the
/// EDT against two separate EDTs and brute force, on masks that exercise every path:
/// short runs, long runs solved by the budgeted direct search, and the envelope fallback.
@Suite("Two-sided distance transform")
struct DistanceTwoSidedTests {
    /// Blobs with salt-and-pepper noise: long runs with short distances, and large objects.
    static func noisyBlobs(_ spatial: [Int], noise: Double, seed: UInt64) -> [Bool] {
        var rng = TestRandom(seed: seed)
        return DistanceReference.blobMask(spatial: spatial, blobs: 3, seed: seed).map { rng.uniform() < noise ? !$0 : $0 }
    }

    static let cases: [([Int], [Double], Double)] = [
        ([97], [1], 0.1), ([40, 64], [1, 1], 0.0), ([40, 64], [1, 1], 0.09), ([64, 40], [0.5, 1.7], 0.05),
        ([9, 24, 30], [1, 1, 1], 0.08), ([9, 24, 30], [2, 0.7, 1.1], 0.0), ([3, 70, 1], [1, 1, 1], 0.2),
    ]

    @Test("equals EDT(m) + EDT(¬m) and brute force", arguments: 0..<cases.count)
    func matchesTwoEDTs(_ index: Int) throws {
        let (spatial, spacing, noise) = Self.cases[index]
        for seed in [UInt64(1), 2, 3] {
            let mask = Self.noisyBlobs(spatial, noise: noise, seed: seed &* 31 &+ UInt64(index))
            let inside = try EuclideanDistanceTransform.compute(mask, spatial: spatial, spacing: spacing)
            let outside = try EuclideanDistanceTransform.compute(mask.map { !$0 }, spatial: spatial, spacing: spacing)
            let fused = try SignedDistance.twoSided(mask, spatial: spatial, spacing: spacing, degenerate: .infinity)
            let separate = zip(inside, outside).map { $0 + $1 }
            #expect(DistanceReference.maxAbsDifference(fused, separate) <= 1e-12)
            if spatial.reduce(1, *) <= 3000 {
                let brute = DistanceReference.bruteForceEDT(mask, spatial, spacing)
                #expect(DistanceReference.maxAbsDifference(inside, brute) <= 1e-12)
            }
        }
    }

    @Test("batched images stay independent; degenerate images are infinite")
    func batch() throws {
        let spatial = [12, 17], n = 12 * 17
        let a = Self.noisyBlobs(spatial, noise: 0.1, seed: 9)
        let masks = a + [Bool](repeating: true, count: n) + [Bool](repeating: false, count: n) + a.map { !$0 }
        let fused = try SignedDistance.twoSided(masks, batch: 4, spatial: spatial, degenerate: .infinity)
        let single = try SignedDistance.twoSided(a, spatial: spatial, degenerate: .infinity)
        #expect(Array(fused[0..<n]) == single)
        #expect(fused[n..<(3 * n)].allSatisfy { $0 == .infinity })
        #expect(Array(fused[(3 * n)...]) == single)  // the complement has the same two-sided field
    }
}
