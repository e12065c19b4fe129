// MARK: - Exact Euclidean distance transform

/// Exact Euclidean distance transform (EDT) of binary masks with 1 to 3 spatial axes.
///
/// For every voxel `x` the output is the distance to the nearest voxel where the mask is
/// **false**, in physical units with spacing `sᵢ` per axis:
///
///     EDT(x) = min_{y : mask(y) = false} √( Σᵢ sᵢ² (xᵢ − yᵢ)² )
///
/// This is `scipy.ndimage.distance_transform_edt(mask, sampling=spacing)`: zero on false
/// voxels, at least `min sᵢ` on true voxels.
///
/// Special cases (documented contract):
/// - **all-false mask** (empty): zeros everywhere.
/// - **all-true mask** (full): `+∞` everywhere. There is no false voxel to measure to;
///   SciPy returns meaningless finite values there (LIVIAETS/boundary-loss#18). Callers
///   (signed distances, losses, metrics) turn `+∞` into their own documented policy.
///   More generally, in a batch every image is transformed independently.
///
/// Algorithm: separable and exact (Felzenszwalb & Huttenlocher, "Distance Transforms of
/// Sampled Functions", Theory of Computing 8, 2012): two linear scans along the first axis
/// (vectorised across planes), then one O(n) lower-envelope-of-parabolas pass per remaining
/// axis (or an equivalent windowed minimum when distances are short; on the last axis each
/// run of true voxels is solved on its own between its false neighbours, by direct search
/// or envelope, `DistanceRunSolver.swift`), square root fused into the last pass. Total work O(d·N) for N voxels. Lines run in parallel
/// (`Parallel`) in fixed chunks with per-chunk scratch (no allocation per line); each
/// output value depends only on its own lines, so results are bit-identical whatever the
/// thread count.
///
/// Masks are `Bool` or `UInt8` (any non-zero byte is true, NumPy `bool` layout), C order.
/// Sizes and spacing are validated (`SegLossError`); nothing here can trap on caller input.
public enum EuclideanDistanceTransform {

    // MARK: Single image

    /// EDT of one image of spatial shape `spatial` (1 to 3 axes, C order).
    ///
    /// - Parameters:
    ///   - mask: `Π spatial` bytes, non-zero = true.
    ///   - spatial: the spatial shape, every size positive.
    ///   - spacing: physical voxel size per axis (SciPy `sampling`); `nil` means 1.
    ///   - output: `Π spatial` Doubles, overwritten (may not alias `mask`).
    public static func compute(
        mask: UnsafePointer<UInt8>, spatial: [Int], spacing: [Double]? = nil,
        into output: UnsafeMutablePointer<Double>
    ) throws(SegLossError) {
        let geometry = try DistanceGeometry(
            batch: 1, spatial: spatial, spacing: spacing, maskArgument: "mask", spacingArgument: "sampling")
        try run(mask: mask, invert: false, geometry: geometry, output: output)
    }

    /// EDT of one image given as `Bool` elements; see `compute(mask:spatial:spacing:into:)`.
    public static func compute(
        mask: UnsafePointer<Bool>, spatial: [Int], spacing: [Double]? = nil,
        into output: UnsafeMutablePointer<Double>
    ) throws(SegLossError) {
        let geometry = try DistanceGeometry(
            batch: 1, spatial: spatial, spacing: spacing, maskArgument: "mask", spacingArgument: "sampling")
        try run(mask: mask, invert: false, geometry: geometry, output: output)
    }

    // MARK: Batch

    /// EDT of `batch` images stored contiguously as `(batch, *spatial)`; each image is
    /// transformed independently (a line never crosses an image). Parallel over images and
    /// lines together.
    public static func computeBatch(
        masks: UnsafePointer<UInt8>, batch: Int, spatial: [Int], spacing: [Double]? = nil,
        into output: UnsafeMutablePointer<Double>
    ) throws(SegLossError) {
        let geometry = try DistanceGeometry(
            batch: batch, spatial: spatial, spacing: spacing, maskArgument: "mask", spacingArgument: "sampling")
        try run(mask: masks, invert: false, geometry: geometry, output: output)
    }

    /// Batched EDT of `Bool` masks; see `computeBatch(masks:batch:spatial:spacing:into:)`.
    public static func computeBatch(
        masks: UnsafePointer<Bool>, batch: Int, spatial: [Int], spacing: [Double]? = nil,
        into output: UnsafeMutablePointer<Double>
    ) throws(SegLossError) {
        let geometry = try DistanceGeometry(
            batch: batch, spatial: spatial, spacing: spacing, maskArgument: "mask", spacingArgument: "sampling")
        try run(mask: masks, invert: false, geometry: geometry, output: output)
    }

    // MARK: Swift arrays

    /// EDT of a `[Bool]` mask of `batch` images of shape `spatial` (C order); returns the
    /// distances in the same layout. Throws if `mask.count != batch · Π spatial`.
    public static func compute(
        _ mask: [Bool], batch: Int = 1, spatial: [Int], spacing: [Double]? = nil
    ) throws(SegLossError) -> [Double] {
        let geometry = try DistanceGeometry(
            batch: batch, spatial: spatial, spacing: spacing, maskArgument: "mask", spacingArgument: "sampling")
        return try geometry.mapping(mask, "mask") { m, o throws(SegLossError) in
            try run(mask: m, invert: false, geometry: geometry, output: o)
        }
    }

    // MARK: - Driver

    /// Transforms all images of `geometry`: set voxels are those with `isSet != invert`
    /// (`invert` gives the EDT of the complement without materialising it). See
    /// `DistanceTransformPasses` for the passes.
    static func run<M: DistanceMaskElement>(
        mask: UnsafePointer<M>, invert: Bool, geometry: DistanceGeometry,
        output: UnsafeMutablePointer<Double>
    ) throws(SegLossError) {
        DistanceTransformPasses.scanPass(mask: mask, invert: invert, geometry: geometry, output: output)
        let axes = geometry.spatial.count
        if axes == 3 {
            try DistanceTransformPasses.blockPass(
                output, geometry: geometry, axis: 1, inner: geometry.spatial[2])
        }
        if axes >= 2 {
            try DistanceTransformPasses.linePass(
                output, mask: UnsafeRawPointer(mask), invert: invert, geometry: geometry)
        }
    }
}
