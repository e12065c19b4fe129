// MARK: - Policies of the surface metrics

/// What a surface metric returns when a mask is empty (then its surface is empty and the
/// metric is undefined).
public enum EmptyMaskResult: Sendable, Hashable {
    /// `NaN`: "undefined", skipped by NaN-aware reductions (MONAI's `not_nans`).
    case nan
    /// A fixed value, e.g. 0 (distance) or 0 / 1 (surface Dice).
    case value(Double)
    /// `+∞` (a distance to a set that does not exist).
    case infinity
    /// The physical length of the image diagonal `√(Σ (nᵢ·sᵢ)²)`, the worst case of a
    /// distance in the image (medpy-style penalty, used by boundary-loss's `hausdorff` for
    /// one empty mask). Distance metrics only.
    case imageDiagonal
}

/// Per-case results of a surface metric on empty masks.
///
/// - `bothEmpty`: prediction and target are both empty (e.g. an absent class predicted
///   absent). Default NaN for every metric (MONAI).
/// - `oneEmpty`: exactly one of them is empty. Default NaN for the Hausdorff and average
///   surface distances (MONAI returns `inf` or `NaN` depending on which one is empty and warns),
///   0 for the normalized surface Dice (MONAI: no surface voxel is within tolerance).
///
/// The rule applies to directed variants too: with exactly one empty mask, the directed
/// distance in either direction gives `oneEmpty`.
public struct EmptyMaskPolicy: Sendable, Hashable {
    public var bothEmpty: EmptyMaskResult
    public var oneEmpty: EmptyMaskResult

    public init(bothEmpty: EmptyMaskResult, oneEmpty: EmptyMaskResult) {
        self.bothEmpty = bothEmpty
        self.oneEmpty = oneEmpty
    }

    /// NaN in both cases: default of `hausdorffDistance` and `averageSurfaceDistance`.
    public static let nan = EmptyMaskPolicy(bothEmpty: .nan, oneEmpty: .nan)
    /// NaN when both are empty, 0 when one is: default of `normalizedSurfaceDice` (MONAI).
    public static let surfaceDiceDefault = EmptyMaskPolicy(bothEmpty: .nan, oneEmpty: .value(0))
    /// 0 when both are empty, the image diagonal when one is (boundary-loss `hausdorff`).
    public static let zeroOrDiagonal = EmptyMaskPolicy(bothEmpty: .value(0), oneEmpty: .imageDiagonal)

    /// The value for the given emptiness, or `nil` when both surfaces are non-empty.
    func resolve(
        predictionEmpty: Bool, targetEmpty: Bool, imageDiagonal: Double, allowDiagonal: Bool
    ) throws(SegLossError) -> Double? {
        guard predictionEmpty || targetEmpty else { return nil }
        let result = predictionEmpty && targetEmpty ? bothEmpty : oneEmpty
        switch result {
        case .nan: return .nan
        case .infinity: return .infinity
        case .value(let v): return v
        case .imageDiagonal:
            guard allowDiagonal else {
                throw .option("empty", "image_diagonal applies to distance metrics, not to the normalized surface Dice")
            }
            return imageDiagonal
        }
    }
}

/// How a percentile Hausdorff distance (e.g. HD95) combines the two directions.
///
/// With `A→B` the distances from each surface voxel of A to the surface of B:
/// - `.pooled`: `P_p(A→B ∪ B→A)`, the percentile of both directions concatenated (medpy
///   `hd95`). Default.
/// - `.maxOfDirected`: `max(P_p(A→B), P_p(B→A))` (MONAI `compute_hausdorff_distance`,
///   DeepMind `compute_robust_hausdorff`).
///
/// The two agree for the maximum (`percentile == nil`): the classical Hausdorff distance.
public enum HausdorffPercentileMode: Sendable, Hashable, CaseIterable {
    case pooled
    case maxOfDirected
}

// MARK: - Percentile

/// NumPy's default percentile (`numpy.percentile(x, p)`, `method="linear"`, Hyndman & Fan
/// type 7): with `x` sorted ascending, `h = (n − 1)·(p/100)`, `i = ⌊h⌋`, `g = h − i`,
///
///     P_p(x) = x[i] + g·(x[i+1] − x[i])    (x[i+1] := x[i] when i = n − 1),
///
/// evaluated like NumPy's `_lerp` (`x[i+1] − (x[i+1] − x[i])·(1 − g)` when `g ≥ 0.5`) so that
/// results match NumPy to the last bit in the usual cases. `p = 0` is the minimum, `p = 100`
/// the maximum. `x` must be non-empty and `0 ≤ p ≤ 100` (checked by callers).
enum LinearPercentile {
    static func of(_ values: [Double], _ p: Double) -> Double {
        let x = values.sorted()
        let n = x.count
        guard n > 1 else { return x.first ?? .nan }
        let h = Double(n - 1) * (p / 100)
        let i = min(max(Int(h.rounded(.down)), 0), n - 1)
        let g = h - Double(i)
        let a = x[i], b = x[min(i + 1, n - 1)]
        let d = b - a
        return g >= 0.5 ? b - d * (1 - g) : a + d * g
    }

    /// Throws unless `p` is finite and within `[0, 100]`.
    static func validate(_ p: Double) throws(SegLossError) {
        guard p.isFinite, p >= 0, p <= 100 else {
            throw .value("percentile", "must lie in [0, 100] (or be None for the maximum), got \(p)")
        }
    }
}
