// MARK: - Surface distances and the metrics built on them

/// The surface-to-surface distances of a prediction and a target mask, from which the
/// Hausdorff distance (HD, HD95), the average surface distance (ASD / ASSD) and the
/// normalized surface Dice (NSD) are computed. Compute once, read several metrics.
///
/// With `∂P`, `∂T` the surface voxels (`SurfaceExtraction`) and `d(x, S) = min_{y∈S} ‖x − y‖`
/// in physical units (exact EDT of `¬∂S` with `spacing`, sampled on the other surface, as
/// MONAI and medpy do):
///
///     predictionToTarget = [ d(p, ∂T) for p ∈ ∂P ],   targetToPrediction = [ d(t, ∂P) for t ∈ ∂T ]
///
/// both in C order of the surface voxels. When `∂T` is empty and `∂P` is not, every
/// `d(p, ∂T)` is `+∞` (and vice versa); the metrics apply their `EmptyMaskPolicy` first.
public struct SurfaceDistances: Sendable, Hashable {
    /// `d(p, ∂T)` for every surface voxel `p` of the prediction.
    public var predictionToTarget: [Double]
    /// `d(t, ∂P)` for every surface voxel `t` of the target.
    public var targetToPrediction: [Double]
    /// `√(Σ (nᵢ·sᵢ)²)`, used by `EmptyMaskResult.imageDiagonal`.
    public var imageDiagonal: Double

    public init(predictionToTarget: [Double], targetToPrediction: [Double], imageDiagonal: Double) {
        self.predictionToTarget = predictionToTarget
        self.targetToPrediction = targetToPrediction
        self.imageDiagonal = imageDiagonal
    }

    public var predictionIsEmpty: Bool { predictionToTarget.isEmpty }
    public var targetIsEmpty: Bool { targetToPrediction.isEmpty }

    // MARK: Computation

    /// Surface distances of two masks of spatial shape `spatial` (1 to 3 axes, C order,
    /// non-zero bytes = object) with physical `spacing` per axis (`nil` means 1).
    public static func compute(
        prediction: UnsafePointer<UInt8>, target: UnsafePointer<UInt8>,
        spatial: [Int], spacing: [Double]? = nil
    ) throws(SegLossError) -> SurfaceDistances {
        let geometry = try DistanceGeometry(
            batch: 1, spatial: spatial, spacing: spacing, maskArgument: "input", spacingArgument: "spacing")
        return try run(prediction, target, geometry)
    }

    /// Surface distances of two `[Bool]` masks; see `compute(prediction:target:spatial:spacing:)`.
    public static func compute(
        prediction: [Bool], target: [Bool], spatial: [Int], spacing: [Double]? = nil
    ) throws(SegLossError) -> SurfaceDistances {
        let geometry = try DistanceGeometry(
            batch: 1, spatial: spatial, spacing: spacing, maskArgument: "input", spacingArgument: "spacing")
        try geometry.requireCount(prediction.count, "input")
        try geometry.requireCount(target.count, "target")
        let result: Result<SurfaceDistances, SegLossError> = prediction.withUnsafeBufferPointer { p in
            target.withUnsafeBufferPointer { t in
                guard let pp = p.baseAddress, let tp = t.baseAddress else {
                    return .failure(.shape("input", "is empty"))
                }
                do throws(SegLossError) { return .success(try run(pp, tp, geometry)) }
                catch { return .failure(error) }
            }
        }
        return try result.get()
    }

    /// Extracts both surfaces, then for each direction transforms the complement of one
    /// surface and samples it on the other. One byte buffer per surface, one Double field.
    static func run<M: DistanceMaskElement>(
        _ prediction: UnsafePointer<M>, _ target: UnsafePointer<M>, _ geometry: DistanceGeometry
    ) throws(SegLossError) -> SurfaceDistances {
        let n = geometry.totalCount
        let surfaces = DistanceScratch.allocate(UInt8.self, count: 2 * n)
        let field = DistanceScratch.allocate(Double.self, count: n)
        defer { DistanceScratch.release(surfaces); DistanceScratch.release(field) }
        guard let surfaces, let field else {
            throw DistanceScratch.failure("input", count: n, of: "float64")
        }
        let predictionSurface = surfaces, targetSurface = surfaces + n
        let predictionCount = SurfaceExtraction.run(mask: prediction, spatial: geometry.spatial, into: predictionSurface)
        let targetCount = SurfaceExtraction.run(mask: target, spatial: geometry.spatial, into: targetSurface)

        /// d(x, ∂to) for x ∈ ∂from: EDT of "not on ∂to" (invert: surface bytes are the zeros).
        func directed(_ from: UnsafeMutablePointer<UInt8>, _ fromCount: Int,
                      _ to: UnsafeMutablePointer<UInt8>, _ toCount: Int) throws(SegLossError) -> [Double] {
            guard fromCount > 0 else { return [] }
            guard toCount > 0 else { return [Double](repeating: .infinity, count: fromCount) }
            try EuclideanDistanceTransform.run(mask: to, invert: true, geometry: geometry, output: field)
            var distances = [Double]()
            distances.reserveCapacity(fromCount)
            for i in 0..<n where from[i] != 0 { distances.append(field[i]) }
            return distances
        }
        return SurfaceDistances(
            predictionToTarget: try directed(predictionSurface, predictionCount, targetSurface, targetCount),
            targetToPrediction: try directed(targetSurface, targetCount, predictionSurface, predictionCount),
            imageDiagonal: geometry.imageDiagonal)
    }

    // MARK: Metrics

    /// Hausdorff distance. `directed: false` (default) is symmetric; `directed: true` uses
    /// prediction → target only (MONAI `directed=True`).
    ///
    /// - `percentile == nil`: `max(max P→T, max T→P)` (classical HD; directed: `max P→T`).
    /// - `percentile = p` (e.g. 95 for HD95): `LinearPercentile` (NumPy `linear`) of the
    ///   distances combined by `mode` (`.pooled` default: both directions concatenated;
    ///   `.maxOfDirected`: the larger of the two directed percentiles). Directed: `P_p(P→T)`.
    /// - Empty masks: `empty` (default NaN in both cases).
    public func hausdorffDistance(
        percentile: Double? = nil, directed: Bool = false,
        mode: HausdorffPercentileMode = .pooled, empty: EmptyMaskPolicy = .nan
    ) throws(SegLossError) -> Double {
        if let percentile { try LinearPercentile.validate(percentile) }
        if let special = try empty.resolve(
            predictionEmpty: predictionIsEmpty, targetEmpty: targetIsEmpty,
            imageDiagonal: imageDiagonal, allowDiagonal: true) { return special }
        guard let p = percentile else {
            let forward = predictionToTarget.max() ?? 0
            return directed ? forward : max(forward, targetToPrediction.max() ?? 0)
        }
        if directed { return LinearPercentile.of(predictionToTarget, p) }
        switch mode {
        case .pooled:
            return LinearPercentile.of(predictionToTarget + targetToPrediction, p)
        case .maxOfDirected:
            return max(LinearPercentile.of(predictionToTarget, p), LinearPercentile.of(targetToPrediction, p))
        }
    }

    /// Average surface distance. Symmetric (default, ASSD as MONAI `symmetric=True`): the
    /// mean of both directions concatenated, `(Σ P→T + Σ T→P) / (|∂P| + |∂T|)` (not the mean
    /// of the two directed means, which medpy's `assd` uses). Directed: mean of P→T.
    /// Empty masks: `empty` (default NaN in both cases).
    public func averageSurfaceDistance(
        symmetric: Bool = true, empty: EmptyMaskPolicy = .nan
    ) throws(SegLossError) -> Double {
        if let special = try empty.resolve(
            predictionEmpty: predictionIsEmpty, targetEmpty: targetIsEmpty,
            imageDiagonal: imageDiagonal, allowDiagonal: true) { return special }
        var sum = predictionToTarget.reduce(0, +)
        var count = predictionToTarget.count
        if symmetric {
            sum += targetToPrediction.reduce(0, +)
            count += targetToPrediction.count
        }
        return sum / Double(count)
    }

    /// Normalized surface Dice at tolerance `τ` (Nikolov et al., "Clinically applicable
    /// segmentation of head and neck anatomy for radiotherapy", JMIR 2021), count-based as
    /// MONAI `compute_surface_dice` (`use_subvoxels=False`):
    ///
    ///     NSD = ( |{p ∈ ∂P : d(p, ∂T) ≤ τ}| + |{t ∈ ∂T : d(t, ∂P) ≤ τ}| ) / ( |∂P| + |∂T| )
    ///
    /// `tolerance` is in physical units, finite and ≥ 0. Empty masks: `empty` (default NaN
    /// when both are empty, 0 when one is — the formula's own value).
    public func normalizedSurfaceDice(
        tolerance: Double, empty: EmptyMaskPolicy = .surfaceDiceDefault
    ) throws(SegLossError) -> Double {
        try SegLossError.requireAtLeast(tolerance, 0, "tolerance")
        if let special = try empty.resolve(
            predictionEmpty: predictionIsEmpty, targetEmpty: targetIsEmpty,
            imageDiagonal: imageDiagonal, allowDiagonal: false) { return special }
        let within = predictionToTarget.reduce(0) { $0 + ($1 <= tolerance ? 1 : 0) }
            + targetToPrediction.reduce(0) { $0 + ($1 <= tolerance ? 1 : 0) }
        return Double(within) / Double(predictionToTarget.count + targetToPrediction.count)
    }
}
