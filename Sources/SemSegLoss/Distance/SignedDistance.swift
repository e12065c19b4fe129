// MARK: - Signed and two-sided distance maps

/// Distance maps built from two exact EDTs of a binary mask `m` (object = true):
///
/// - `e_in  = EDT(m)`: on object voxels, the distance to the nearest background voxel
///   (0 on background);
/// - `e_out = EDT(¬m)`: on background voxels, the distance to the nearest object voxel
///   (0 on the object).
///
/// Conventions (`Convention`, physical units with `spacing`):
///
/// | convention      | background voxel | object voxel     | reference |
/// |-----------------|------------------|------------------|-----------|
/// | `.boundaryLoss` | `e_out` (≥ 1)    | `−(e_in − 1)`    | Kervadec et al., "Boundary loss for highly unbalanced segmentation", MIDL 2019 / MedIA 2021 (`one_hot2dist`) |
/// | `.symmetric`    | `e_out`          | `−e_in`          | plain signed distance, negative inside |
///
/// `.boundaryLoss` is exactly the reference `φ = EDT(¬m)·¬m − (EDT(m) − 1)·m`: the inner
/// boundary layer is 0 and the "− 1" is one unit of distance whatever the spacing (as in the
/// reference code). `.symmetric` is `EDT(¬m) − EDT(m)`: no voxel is 0; the zero crossing of
/// its linear interpolation lies on the object boundary, half-way between the inner and outer
/// boundary voxels.
///
/// The **two-sided** field `d = EDT(m) + EDT(¬m)` (`twoSided`) is the unsigned distance to the
/// nearest voxel of the other class, used by the Hausdorff-DT loss (Karimi & Salcudean,
/// "Reducing the Hausdorff Distance in Medical Image Segmentation with CNNs", IEEE TMI 2019).
///
/// **Degenerate images** (no boundary: empty or full mask), per image of a batch:
/// `DegenerateMaskPolicy.zero` (default) gives an all-zero map, as Kervadec's code for an empty
/// class and MONAI's `HausdorffDTLoss` for empty or full masks; `.infinity` keeps the
/// mathematically honest infinities (empty: `+∞`; full: `−∞` for the signed conventions, `+∞`
/// for the two-sided field). SciPy-based references return meaningless finite values for a
/// full mask (LIVIAETS/boundary-loss#18).
public enum SignedDistance {
    /// Sign and offset convention of the signed map (table above).
    public enum Convention: Sendable, Hashable, CaseIterable {
        /// Kervadec's boundary-loss map: outside `EDT(¬m)`, inside `−(EDT(m) − 1)`.
        case boundaryLoss
        /// `EDT(¬m) − EDT(m)`: positive outside, negative inside.
        case symmetric
    }

    /// What an image with an empty or full mask (no boundary) maps to.
    public enum DegenerateMaskPolicy: Sendable, Hashable, CaseIterable {
        /// All zeros (Kervadec for empty classes, MONAI for empty or full masks). Default.
        case zero
        /// `±∞` everywhere (see the type documentation).
        case infinity
    }

    // MARK: Signed maps

    /// Signed distance maps of `batch` masks stored as `(batch, *spatial)` (non-zero = object).
    ///
    /// - Parameters:
    ///   - spacing: physical voxel size per spatial axis; `nil` means 1.
    ///   - output: `batch · Π spatial` Doubles, overwritten.
    public static func compute(
        masks: UnsafePointer<UInt8>, batch: Int = 1, spatial: [Int], spacing: [Double]? = nil,
        convention: Convention = .boundaryLoss, degenerate: DegenerateMaskPolicy = .zero,
        into output: UnsafeMutablePointer<Double>
    ) throws(SegLossError) {
        let geometry = try DistanceGeometry(
            batch: batch, spatial: spatial, spacing: spacing, maskArgument: "mask", spacingArgument: "spacing")
        try run(masks, geometry, kind: convention == .boundaryLoss ? .boundaryLoss : .symmetric,
                degenerate: degenerate, output)
    }

    /// Signed distance maps of a `[Bool]` batch `(batch, *spatial)`; see
    /// `compute(masks:batch:spatial:spacing:convention:degenerate:into:)`.
    public static func compute(
        _ mask: [Bool], batch: Int = 1, spatial: [Int], spacing: [Double]? = nil,
        convention: Convention = .boundaryLoss, degenerate: DegenerateMaskPolicy = .zero
    ) throws(SegLossError) -> [Double] {
        let geometry = try DistanceGeometry(
            batch: batch, spatial: spatial, spacing: spacing, maskArgument: "mask", spacingArgument: "spacing")
        return try geometry.mapping(mask, "mask") { m, o throws(SegLossError) in
            try run(m, geometry, kind: convention == .boundaryLoss ? .boundaryLoss : .symmetric,
                    degenerate: degenerate, o)
        }
    }

    // MARK: Two-sided unsigned field

    /// `d = EDT(m) + EDT(¬m)` for `batch` masks `(batch, *spatial)`: on every voxel, the
    /// distance to the nearest voxel of the other class (Hausdorff-DT loss). Degenerate
    /// images follow `degenerate` (default: all zeros, as MONAI).
    public static func twoSided(
        masks: UnsafePointer<UInt8>, batch: Int = 1, spatial: [Int], spacing: [Double]? = nil,
        degenerate: DegenerateMaskPolicy = .zero, into output: UnsafeMutablePointer<Double>
    ) throws(SegLossError) {
        let geometry = try DistanceGeometry(
            batch: batch, spatial: spatial, spacing: spacing, maskArgument: "mask", spacingArgument: "spacing")
        try run(masks, geometry, kind: .twoSided, degenerate: degenerate, output)
    }

    /// Two-sided field of a `[Bool]` batch; see `twoSided(masks:batch:spatial:spacing:degenerate:into:)`.
    public static func twoSided(
        _ mask: [Bool], batch: Int = 1, spatial: [Int], spacing: [Double]? = nil,
        degenerate: DegenerateMaskPolicy = .zero
    ) throws(SegLossError) -> [Double] {
        let geometry = try DistanceGeometry(
            batch: batch, spatial: spatial, spacing: spacing, maskArgument: "mask", spacingArgument: "spacing")
        return try geometry.mapping(mask, "mask") { m, o throws(SegLossError) in
            try run(m, geometry, kind: .twoSided, degenerate: degenerate, o)
        }
    }

    // MARK: - Implementation

    enum Kind { case boundaryLoss, symmetric, twoSided }

    /// Computes the two-sided distance `e` (`e_in` on object voxels, `e_out` elsewhere) with
    /// the fused `TwoSidedTransform`, then signs it voxel by voxel. `e` is infinite exactly on
    /// the voxels of a full or empty image, so the degenerate policy is applied per voxel
    /// without rescanning the masks.
    static func run<M: DistanceMaskElement>(
        _ masks: UnsafePointer<M>, _ geometry: DistanceGeometry, kind: Kind,
        degenerate: DegenerateMaskPolicy, _ output: UnsafeMutablePointer<Double>
    ) throws(SegLossError) {
        let count = geometry.totalCount
        // Bool and UInt8 masks are both one byte, non-zero = true (DistanceMaskElement).
        let bytes = UnsafeRawPointer(masks).assumingMemoryBound(to: UInt8.self)
        try TwoSidedTransform.run(mask: bytes, geometry: geometry, output: output)
        let keepInfinity = degenerate == .infinity
        Parallel.forEachRange(
            count: count, chunkSize: 1 << 16, threshold: DistanceTransformPasses.parallelVoxels
        ) { _, range in
            for i in range {
                let inside = masks[i].distanceMaskIsSet
                let e = output[i]
                if e == .infinity {
                    output[i] = keepInfinity ? (inside && kind != .twoSided ? -.infinity : .infinity) : 0
                    continue
                }
                switch kind {
                case .boundaryLoss: output[i] = inside ? 1 - e : e  // +0 (not −0) on the inner boundary
                case .symmetric: output[i] = inside ? -e : e
                case .twoSided: output[i] = e
                }
            }
        }
    }
}
