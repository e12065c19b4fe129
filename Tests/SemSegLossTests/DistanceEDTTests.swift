import Testing
@testable import SemSegLoss

// MARK: - Exact EDT against brute force

struct DistanceEDTTests {
    struct Case: CustomStringConvertible, Sendable {
        let spatial: [Int]
        let spacing: [Double]
        let density: Double
        let seed: UInt64
        var description: String { "\(spatial) spacing \(spacing) density \(density)" }
    }

    static let randomCases: [Case] = [
        Case(spatial: [1], spacing: [1], density: 0.5, seed: 1),
        Case(spatial: [17], spacing: [0.3], density: 0.7, seed: 2),
        Case(spatial: [1, 1], spacing: [1, 1], density: 1.0, seed: 3),
        Case(spatial: [1, 9], spacing: [1, 2], density: 0.6, seed: 4),
        Case(spatial: [9, 1], spacing: [2, 1], density: 0.6, seed: 5),
        Case(spatial: [13, 17], spacing: [1, 1], density: 0.5, seed: 6),
        Case(spatial: [13, 17], spacing: [1, 1], density: 0.95, seed: 7),
        Case(spatial: [19, 11], spacing: [0.7, 1.9], density: 0.9, seed: 8),
        Case(spatial: [23, 21], spacing: [3.0, 0.25], density: 0.99, seed: 9),
        Case(spatial: [20, 30], spacing: [1, 1], density: 0.05, seed: 10),
        Case(spatial: [5, 7, 6], spacing: [1, 1, 1], density: 0.8, seed: 11),
        Case(spatial: [7, 5, 9], spacing: [2.5, 1.0, 0.6], density: 0.95, seed: 12),
        Case(spatial: [3, 11, 13], spacing: [4, 0.8, 0.8], density: 0.97, seed: 13),
        Case(spatial: [1, 6, 7], spacing: [1, 1, 1], density: 0.9, seed: 14),
        Case(spatial: [8, 1, 1], spacing: [1, 1, 1], density: 0.75, seed: 15),
    ]

    @Test(arguments: randomCases)
    func randomMasksMatchBruteForce(_ c: Case) throws {
        let n = c.spatial.reduce(1, *)
        let mask = DistanceReference.randomMask(n, density: c.density, seed: c.seed)
        let got = try EuclideanDistanceTransform.compute(mask, spatial: c.spatial, spacing: c.spacing)
        let want = DistanceReference.bruteForceEDT(mask, c.spatial, c.spacing)
        #expect(DistanceReference.maxAbsDifference(got, want) <= 1e-9)
    }

    @Test(arguments: [[31, 29], [6, 9, 11]])
    func blobsTouchingBordersMatchBruteForce(_ spatial: [Int]) throws {
        let spacing = spatial.count == 2 ? [1.3, 0.6] : [2.0, 0.9, 1.1]
        for seed in UInt64(0)..<4 {
            let blobs = DistanceReference.blobMask(spatial: spatial, blobs: 3, seed: seed)
            let mask = seed % 2 == 0 ? blobs.map { !$0 } : blobs  // background or foreground blobs
            let got = try EuclideanDistanceTransform.compute(mask, spatial: spatial, spacing: spacing)
            #expect(DistanceReference.maxAbsDifference(got, DistanceReference.bruteForceEDT(mask, spatial, spacing)) <= 1e-9)
        }
    }

    /// Shapes and densities that reach every kernel path: windowed minimum and lower
    /// envelope in the block pass (full and partial blocks, short and long lines) and in the
    /// line pass, with distances on both sides of the window threshold.
    @Test(arguments: [0.5, 0.9, 0.97, 0.995])
    func everyKernelPathMatchesBruteForce(_ density: Double) throws {
        let shapes: [([Int], [Double])] = [
            ([4, 20, 19], [1, 1, 1]), ([3, 17, 8], [2.0, 0.5, 1.5]), ([2, 12, 16], [1, 0.3, 0.3]),
            ([2, 40], [1, 1]), ([37, 5], [0.4, 1]), ([64], [1]),
        ]
        for (k, (spatial, spacing)) in shapes.enumerated() {
            let mask = DistanceReference.randomMask(spatial.reduce(1, *), density: density, seed: 500 + UInt64(k))
            let got = try EuclideanDistanceTransform.compute(mask, spatial: spatial, spacing: spacing)
            #expect(DistanceReference.maxAbsDifference(got, DistanceReference.bruteForceEDT(mask, spatial, spacing)) <= 1e-9, "\(spatial)")
        }
    }

    /// After the first pass every line of these masks has `max f = 64` (finite), so the
    /// windowed minimum runs with its largest radius, and one voxel per line has its minimiser
    /// 7 voxels away (`49 < 64`): a window one voxel too small would be caught.
    @Test(arguments: [[9, 10], [9, 10, 8]])
    func windowRadiusIsLargeEnough(_ spatial: [Int]) throws {
        let inner = spatial.dropFirst(2).reduce(1, *)
        var mask = [Bool](repeating: true, count: spatial.reduce(1, *))
        for y in 0..<10 {
            let z = y == 0 ? 0 : 8
            for x in 0..<inner { mask[(z * 10 + y) * inner + x] = false }
        }
        let got = try EuclideanDistanceTransform.compute(mask, spatial: spatial)
        #expect(got[7 * inner] == 7)  // (z, y) = (0, 7): 7 to (0, 0), 8 to (8, 7)
        #expect(DistanceReference.maxAbsDifference(got, DistanceReference.bruteForceEDT(mask, spatial, [1, 1, 1].suffix(spatial.count))) <= 1e-9)
    }

    /// A batch large enough for the parallel path (`parallelVoxels`) gives bit-identical
    /// results to the images transformed one by one (below the threshold, serial), which the
    /// brute-force tests cover.
    @Test(arguments: [[256, 256], [16, 64, 64]])
    func parallelBatchEqualsSerialImages(_ spatial: [Int]) throws {
        let n = spatial.reduce(1, *)
        #expect(2 * n >= DistanceTransformPasses.parallelVoxels && n < DistanceTransformPasses.parallelVoxels)
        let images = [DistanceReference.randomMask(n, density: 0.9, seed: 77),
                      DistanceReference.randomMask(n, density: 0.999, seed: 78)]
        let spacing = spatial.count == 2 ? [1.0, 0.7] : [2.0, 1.0, 0.5]
        let batch = try EuclideanDistanceTransform.compute(
            images.flatMap { $0 }, batch: 2, spatial: spatial, spacing: spacing)
        for (b, image) in images.enumerated() {
            let single = try EuclideanDistanceTransform.compute(image, spatial: spatial, spacing: spacing)
            #expect(Array(batch[(b * n)..<((b + 1) * n)]) == single)
        }
        let signed = try SignedDistance.compute(images.flatMap { $0 }, batch: 2, spatial: spatial, spacing: spacing)
        #expect(Array(signed[0..<n]) == (try SignedDistance.compute(images[0], spatial: spatial, spacing: spacing)))
    }

    // MARK: Known values and special masks

    /// Values from `scipy.ndimage.distance_transform_edt(m, sampling=(1.5, 0.7))`.
    @Test func scipyGoldenValues2D() throws {
        let rows: [[Int]] = [[0, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1],
                             [0, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]]
        let scipy: [Double] = [
            0.0, 0.7, 1.4, 0.7, 0.0, 0.0, 1.5, 1.6552945357246849, 2.0518284528683193, 1.4, 0.7, 0.0,
            1.5, 1.6552945357246849, 2.0518284528683193, 2.0518284528683193, 1.6552945357246849, 1.5,
            0.0, 0.7, 1.4, 2.0518284528683193, 2.580697580112788, 3.0, 0.0, 0.0, 0.7, 1.4,
            2.0999999999999996, 2.8]
        let got = try EuclideanDistanceTransform.compute(
            rows.flatMap { $0.map { $0 != 0 } }, spatial: [5, 6], spacing: [1.5, 0.7])
        #expect(DistanceReference.maxAbsDifference(got, scipy) <= 1e-12)
    }

    @Test func emptyMaskGivesZerosAndFullMaskGivesInfinity() throws {
        for spatial in [[1], [1, 1], [4, 5], [3, 2, 4]] {
            let n = spatial.reduce(1, *)
            let empty = try EuclideanDistanceTransform.compute([Bool](repeating: false, count: n), spatial: spatial)
            #expect(empty.allSatisfy { $0 == 0 })
            let full = try EuclideanDistanceTransform.compute([Bool](repeating: true, count: n), spatial: spatial)
            #expect(full.allSatisfy { $0 == .infinity })
        }
    }

    @Test func singleBackgroundVoxelGivesDistanceToIt() throws {
        var mask = [Bool](repeating: true, count: 5 * 7)
        mask[2 * 7 + 3] = false
        let got = try EuclideanDistanceTransform.compute(mask, spatial: [5, 7], spacing: [2, 1])
        #expect(got[0] == (16.0 + 9.0).squareRoot())  // (0,0) to (2,3)
        #expect(got[2 * 7 + 3] == 0)
        #expect(got[4 * 7 + 6] == (16.0 + 9.0).squareRoot())
    }

    // MARK: Batch and element types

    @Test func batchTransformsImagesIndependently() throws {
        let spatial = [6, 9, 7]
        let n = spatial.reduce(1, *)
        var images = [DistanceReference.randomMask(n, density: 0.9, seed: 41), [Bool](repeating: true, count: n),
                      [Bool](repeating: false, count: n), DistanceReference.randomMask(n, density: 0.995, seed: 42)]
        images[3][0] = false
        let batch = try EuclideanDistanceTransform.compute(
            images.flatMap { $0 }, batch: 4, spatial: spatial, spacing: [1.5, 1, 0.5])
        for (b, image) in images.enumerated() {
            let single = try EuclideanDistanceTransform.compute(image, spatial: spatial, spacing: [1.5, 1, 0.5])
            #expect(Array(batch[(b * n)..<((b + 1) * n)]) == single)  // bit-identical
        }
    }

    @Test func byteAndBoolPointersAgree() throws {
        let spatial = [9, 8]
        let mask = DistanceReference.randomMask(72, density: 0.8, seed: 5)
        let bytes: [UInt8] = mask.enumerated().map { $1 ? [1, 2, 255][$0 % 3] : 0 }
        var fromBytes = [Double](repeating: -1, count: 72)
        var fromBools = [Double](repeating: -1, count: 72)
        try bytes.withUnsafeBufferPointer { m throws(SegLossError) in
            try fromBytes.withUnsafeMutableBufferPointer { o throws(SegLossError) in
                try EuclideanDistanceTransform.computeBatch(
                    masks: m.baseAddress!, batch: 1, spatial: spatial, spacing: [2, 3], into: o.baseAddress!)
            }
        }
        try mask.withUnsafeBufferPointer { m throws(SegLossError) in
            try fromBools.withUnsafeMutableBufferPointer { o throws(SegLossError) in
                try EuclideanDistanceTransform.compute(
                    mask: m.baseAddress!, spatial: spatial, spacing: [2, 3], into: o.baseAddress!)
            }
        }
        #expect(fromBytes == fromBools)
        #expect(DistanceReference.maxAbsDifference(fromBytes, DistanceReference.bruteForceEDT(mask, spatial, [2, 3])) <= 1e-9)
    }

    // MARK: Validation

    @Test func invalidArgumentsThrowNamedErrors() {
        #expect(throws: SegLossError.self) { try EuclideanDistanceTransform.compute([true], spatial: []) }
        #expect(throws: SegLossError.self) { try EuclideanDistanceTransform.compute([true], spatial: [1, 1, 1, 1]) }
        #expect(throws: SegLossError.self) { try EuclideanDistanceTransform.compute([true], spatial: [0, 1]) }
        #expect(throws: SegLossError.self) { try EuclideanDistanceTransform.compute([true], spatial: [-1, -1]) }
        #expect(throws: SegLossError.self) { try EuclideanDistanceTransform.compute([true, false], spatial: [3]) }
        #expect(throws: SegLossError.self) { try EuclideanDistanceTransform.compute([true], batch: 0, spatial: [1]) }
        #expect(throws: SegLossError.self) { try EuclideanDistanceTransform.compute([true], spatial: [Int.max, 2]) }
        for bad: [Double] in [[1, 1], [0], [-1], [.nan], [.infinity], [1e-200], [1e200]] {
            do {
                _ = try EuclideanDistanceTransform.compute([true, false], spatial: [2], spacing: bad)
                Issue.record("spacing \(bad) accepted")
            } catch {
                #expect(error.argument == "sampling")
            }
        }
    }
}
