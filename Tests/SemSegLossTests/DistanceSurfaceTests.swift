import Testing
@testable import SemSegLoss

// MARK: - Surface extraction and surface metrics

struct DistanceSurfaceTests {
    // MARK: Surface extraction

    @Test(arguments: [[1], [13], [1, 1], [6, 9], [1, 7], [4, 5, 6], [1, 5, 4], [5, 1, 1]])
    func surfaceMatchesBruteForce(_ spatial: [Int]) throws {
        let n = spatial.reduce(1, *)
        for (seed, density) in [(UInt64(1), 0.5), (2, 0.85), (3, 1.0), (4, 0.0)] {
            let mask = DistanceReference.randomMask(n, density: density, seed: seed)
            let got = try SurfaceExtraction.extract(mask, spatial: spatial)
            let want = Set(DistanceReference.bruteForceSurface(mask, spatial))
            #expect(got == (0..<n).map { want.contains($0) })
        }
    }

    /// Above `parallelVoxels` the extraction runs in parallel chunks.
    @Test func largeSurfaceMatchesBruteForce() throws {
        let spatial = [8, 128, 128]
        let mask = DistanceReference.randomMask(8 * 128 * 128, density: 0.7, seed: 9)
        let got = try SurfaceExtraction.extract(mask, spatial: spatial)
        let want = Set(DistanceReference.bruteForceSurface(mask, spatial))
        #expect(got == (0..<mask.count).map { want.contains($0) })
    }

    @Test func fullMaskSurfaceIsTheImageBorder() throws {
        let surface = try SurfaceExtraction.extract([Bool](repeating: true, count: 20), spatial: [4, 5])
        let interior: Set<Int> = [6, 7, 8, 11, 12, 13]
        #expect(surface == (0..<20).map { !interior.contains($0) })
    }

    @Test func byteSurfaceCountsVoxels() throws {
        let mask: [UInt8] = [0, 3, 3, 3, 0,  0, 3, 3, 3, 0,  0, 3, 3, 3, 0]
        var surface = [UInt8](repeating: 9, count: 15)
        let count = try mask.withUnsafeBufferPointer { m throws(SegLossError) in
            try surface.withUnsafeMutableBufferPointer { s throws(SegLossError) in
                try SurfaceExtraction.extract(mask: m.baseAddress!, spatial: [3, 5], into: s.baseAddress!)
            }
        }
        #expect(count == 8)
        #expect(surface == [0, 1, 1, 1, 0,  0, 1, 0, 1, 0,  0, 1, 1, 1, 0])
    }

    // MARK: Surface distances against brute force

    struct Case: CustomStringConvertible, Sendable {
        let spatial: [Int]
        let spacing: [Double]
        let seed: UInt64
        var description: String { "\(spatial) \(spacing)" }
    }

    static let cases: [Case] = [
        Case(spatial: [15], spacing: [0.5], seed: 1),
        Case(spatial: [9, 12], spacing: [1, 1], seed: 2),
        Case(spatial: [11, 10], spacing: [1.5, 0.8], seed: 3),
        Case(spatial: [16, 7], spacing: [0.3, 2.0], seed: 4),
        Case(spatial: [5, 6, 7], spacing: [2.5, 1, 1], seed: 5),
        Case(spatial: [6, 4, 8], spacing: [1, 0.7, 1.3], seed: 6),
    ]

    @Test(arguments: cases)
    func metricsMatchBruteForce(_ c: Case) throws {
        let n = c.spatial.reduce(1, *)
        for k in UInt64(0)..<3 {
            let prediction = DistanceReference.randomMask(n, density: 0.55, seed: c.seed * 100 + k)
            let target = DistanceReference.blobMask(spatial: c.spatial, blobs: 2, seed: c.seed * 100 + k + 50)
            guard prediction.contains(true), target.contains(true) else { continue }
            let sd = try SurfaceDistances.compute(
                prediction: prediction, target: target, spatial: c.spatial, spacing: c.spacing)
            let ps = DistanceReference.bruteForceSurface(prediction, c.spatial), ts = DistanceReference.bruteForceSurface(target, c.spatial)
            let pt = DistanceReference.bruteForceDirected(ps, ts, c.spatial, c.spacing)
            let tp = DistanceReference.bruteForceDirected(ts, ps, c.spatial, c.spacing)
            #expect(DistanceReference.maxAbsDifference(sd.predictionToTarget, pt) <= 1e-9)
            #expect(DistanceReference.maxAbsDifference(sd.targetToPrediction, tp) <= 1e-9)

            let all = pt + tp
            #expect(abs(try sd.hausdorffDistance() - all.max()!) <= 1e-9)
            #expect(abs(try sd.hausdorffDistance(directed: true) - pt.max()!) <= 1e-9)
            for p in [0.0, 50, 95, 99.5, 100] {
                #expect(abs(try sd.hausdorffDistance(percentile: p) - DistanceReference.numpyPercentile(all, p)) <= 1e-9)
                let maxOfDirected = max(DistanceReference.numpyPercentile(pt, p), DistanceReference.numpyPercentile(tp, p))
                #expect(abs(try sd.hausdorffDistance(percentile: p, mode: .maxOfDirected) - maxOfDirected) <= 1e-9)
                #expect(abs(try sd.hausdorffDistance(percentile: p, directed: true) - DistanceReference.numpyPercentile(pt, p)) <= 1e-9)
            }
            let assd = all.reduce(0, +) / Double(all.count)
            #expect(abs(try sd.averageSurfaceDistance() - assd) <= 1e-9)
            #expect(abs(try sd.averageSurfaceDistance(symmetric: false) - pt.reduce(0, +) / Double(pt.count)) <= 1e-9)
            for tau in [0.0, 0.5, 1.0, 1.5, 3.0] {
                // distances equal to τ up to rounding may fall on either side
                let surely = Double(all.filter { $0 <= tau - 1e-9 }.count) / Double(all.count)
                let maybe = Double(all.filter { $0 <= tau + 1e-9 }.count) / Double(all.count)
                let nsd = try sd.normalizedSurfaceDice(tolerance: tau)
                #expect(nsd >= surely && nsd <= maybe)
            }
        }
    }

    // MARK: Golden values (NumPy/SciPy, MONAI's algorithm)

    /// Computed with `m ^ binary_erosion(m)`, `distance_transform_edt(~edges, sampling=(1.5, 0.8))`,
    /// `np.percentile` and MONAI's formulas.
    @Test func goldenValues() throws {
        let prediction: [Int] = [
            0, 0, 0, 0, 0, 0, 0,  0, 1, 1, 1, 0, 0, 0,  0, 1, 1, 1, 1, 0, 0,
            0, 1, 1, 1, 1, 0, 0,  0, 0, 0, 1, 0, 0, 0,  0, 0, 0, 0, 0, 0, 1]
        let target: [Int] = [
            0, 0, 0, 0, 0, 0, 0,  0, 0, 1, 1, 1, 0, 0,  0, 1, 1, 1, 1, 1, 0,
            0, 1, 1, 1, 1, 1, 0,  0, 1, 1, 1, 1, 0, 0,  0, 0, 0, 0, 0, 0, 0]
        let sd = try SurfaceDistances.compute(
            prediction: prediction.map { $0 != 0 }, target: target.map { $0 != 0 },
            spatial: [6, 7], spacing: [1.5, 0.8])
        #expect(sd.predictionToTarget.count == 10 && sd.targetToPrediction.count == 11)
        #expect(abs(try sd.hausdorffDistance() - 2.193171219946131) <= 1e-12)
        #expect(try sd.hausdorffDistance(percentile: 95) == 1.5)
        #expect(abs(try sd.hausdorffDistance(percentile: 95, mode: .maxOfDirected) - 1.5662441709703705) <= 1e-12)
        #expect(try sd.hausdorffDistance(percentile: 50) == 0.8)
        #expect(abs(try sd.averageSurfaceDistance() - 0.518722439045054) <= 1e-12)
        #expect(abs(try sd.averageSurfaceDistance(symmetric: false) - 0.5393171219946131) <= 1e-12)
        #expect(try sd.normalizedSurfaceDice(tolerance: 0.8) == 19.0 / 21)
        #expect(try sd.normalizedSurfaceDice(tolerance: 1.5) == 20.0 / 21)
    }

    // MARK: Empty-mask policies

    @Test func emptyMaskPolicies() throws {
        let some = [false, true, true, false, false, false]
        let none = [Bool](repeating: false, count: 6)
        let both = try SurfaceDistances.compute(prediction: none, target: none, spatial: [2, 3], spacing: [3, 4])
        let one = try SurfaceDistances.compute(prediction: some, target: none, spatial: [2, 3], spacing: [3, 4])
        let other = try SurfaceDistances.compute(prediction: none, target: some, spatial: [2, 3], spacing: [3, 4])
        #expect(one.predictionToTarget == [.infinity, .infinity] && one.targetToPrediction.isEmpty)
        #expect(both.imageDiagonal == 180.0.squareRoot())  // √((2·3)² + (3·4)²)
        for sd in [both, one, other] {
            #expect(try sd.hausdorffDistance().isNaN)
            #expect(try sd.hausdorffDistance(percentile: 95, directed: true).isNaN)
            #expect(try sd.averageSurfaceDistance().isNaN)
        }
        #expect(try both.normalizedSurfaceDice(tolerance: 1).isNaN)
        #expect(try one.normalizedSurfaceDice(tolerance: 1) == 0)
        #expect(try other.normalizedSurfaceDice(tolerance: 1) == 0)
        #expect(try both.hausdorffDistance(empty: .zeroOrDiagonal) == 0)
        #expect(try one.hausdorffDistance(empty: .zeroOrDiagonal) == both.imageDiagonal)
        #expect(try other.averageSurfaceDistance(empty: .init(bothEmpty: .nan, oneEmpty: .infinity)) == .infinity)
        #expect(try both.normalizedSurfaceDice(tolerance: 1, empty: .init(bothEmpty: .value(1), oneEmpty: .value(0))) == 1)
        #expect(throws: SegLossError.self) { try one.normalizedSurfaceDice(tolerance: 1, empty: .zeroOrDiagonal) }
    }

    @Test func invalidArgumentsThrow() throws {
        let sd = try SurfaceDistances.compute(prediction: [true, false], target: [false, true], spatial: [2])
        #expect(try sd.hausdorffDistance() == 1)
        for p in [-1.0, 100.5, .nan, .infinity] {
            #expect(throws: SegLossError.self) { try sd.hausdorffDistance(percentile: p) }
        }
        for tau in [-0.1, .nan, .infinity] {
            #expect(throws: SegLossError.self) { try sd.normalizedSurfaceDice(tolerance: tau) }
        }
        #expect(throws: SegLossError.self) {
            try SurfaceDistances.compute(prediction: [true], target: [true, false], spatial: [2])
        }
        #expect(throws: SegLossError.self) {
            try SurfaceDistances.compute(prediction: [true, false], target: [true, false], spatial: [2], spacing: [-1])
        }
    }
}
