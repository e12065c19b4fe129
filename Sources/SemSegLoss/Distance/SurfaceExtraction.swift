// MARK: - Surface (border) voxels of a binary mask

/// Surface voxels of a binary mask, the point sets compared by the surface metrics
/// (Hausdorff distance, average surface distance, normalized surface Dice).
///
/// **Definition.** A voxel is a surface voxel when it belongs to the mask and at least one of
/// its `2d` face neighbours (±1 along one axis) is background **or lies outside the image**:
///
///     ∂M = M \ erode(M),  erode with the cross-shaped (face-connected) structuring element
///                         and everything outside the image treated as background.
///
/// This is `mask ^ scipy.ndimage.binary_erosion(mask)` with SciPy's default structure and
/// `border_value=0`, as used by MONAI (`get_mask_edges`, which pads its crop by one voxel),
/// medpy (`__surface_distances`) and DeepMind's `surface-distance` (zero padding).
/// Consequences: an object touching the image border has surface voxels along that border;
/// a full mask's surface is the outer layer of the image; a mask whose extent along an axis
/// is 1 (e.g. a `(1, H, W)` volume) is all surface; a non-empty mask always has a non-empty
/// surface, so "empty surface" and "empty mask" coincide.
public enum SurfaceExtraction {

    /// Marks the surface voxels of one mask of spatial shape `spatial` (1 to 3 axes, C order,
    /// non-zero bytes = object): writes 1 on surface voxels and 0 elsewhere into `surface`
    /// (`Π spatial` bytes, may not alias `mask`), and returns the number of surface voxels.
    @discardableResult
    public static func extract(
        mask: UnsafePointer<UInt8>, spatial: [Int], into surface: UnsafeMutablePointer<UInt8>
    ) throws(SegLossError) -> Int {
        let geometry = try DistanceGeometry(
            batch: 1, spatial: spatial, spacing: nil, maskArgument: "mask", spacingArgument: "spacing")
        return run(mask: mask, spatial: geometry.spatial, into: surface)
    }

    /// Surface of a `[Bool]` mask of spatial shape `spatial`; `true` on surface voxels.
    public static func extract(_ mask: [Bool], spatial: [Int]) throws(SegLossError) -> [Bool] {
        let geometry = try DistanceGeometry(
            batch: 1, spatial: spatial, spacing: nil, maskArgument: "mask", spacingArgument: "spacing")
        try geometry.requireCount(mask.count, "mask")
        var bytes = [UInt8](repeating: 0, count: geometry.totalCount)
        mask.withUnsafeBufferPointer { m in
            bytes.withUnsafeMutableBufferPointer { s in
                guard let mp = m.baseAddress, let sp = s.baseAddress else { return }
                run(mask: mp, spatial: geometry.spatial, into: sp)
            }
        }
        return bytes.map { $0 != 0 }
    }

    // MARK: - Implementation

    /// Marks surface voxels of a validated single image; returns their number. The image is
    /// seen as `(depth, height, width)`; axes that do not exist (for 1-D and 2-D images) are
    /// never tested, so they do not turn every voxel into a surface voxel.
    @discardableResult
    static func run<M: DistanceMaskElement>(
        mask: UnsafePointer<M>, spatial: [Int], into surface: UnsafeMutablePointer<UInt8>
    ) -> Int {
        let axes = spatial.count
        let width = spatial[axes - 1]
        let height = axes >= 2 ? spatial[axes - 2] : 1
        let depth = axes == 3 ? spatial[0] : 1
        let hasHeight = axes >= 2, hasDepth = axes == 3
        let plane = height * width
        let rows = depth * height
        let rowsPerChunk = max(1, (1 << 14) / width)
        let chunks = (rows + rowsPerChunk - 1) / rowsPerChunk
        var counts = [Int](repeating: 0, count: chunks)
        counts.withUnsafeMutableBufferPointer { counts in
            Parallel.forEachRange(
                count: rows, chunkSize: rowsPerChunk, workPerElement: width,
                threshold: DistanceTransformPasses.parallelVoxels
            ) { chunk, range in
                var found = 0
                for row in range {
                    let (z, y) = row.quotientAndRemainder(dividingBy: height)
                    let base = row * width
                    let edgeY = hasHeight && (y == 0 || y == height - 1)
                    let edgeZ = hasDepth && (z == 0 || z == depth - 1)
                    for x in 0..<width {
                        let i = base + x
                        guard mask[i].distanceMaskIsSet else {
                            surface[i] = 0
                            continue
                        }
                        let onSurface =
                            edgeY || edgeZ || x == 0 || x == width - 1
                            || !mask[i - 1].distanceMaskIsSet || !mask[i + 1].distanceMaskIsSet
                            || (hasHeight && (!mask[i - width].distanceMaskIsSet
                                              || !mask[i + width].distanceMaskIsSet))
                            || (hasDepth && (!mask[i - plane].distanceMaskIsSet
                                             || !mask[i + plane].distanceMaskIsSet))
                        surface[i] = onSurface ? 1 : 0
                        found += onSurface ? 1 : 0
                    }
                }
                counts[chunk] = found
            }
        }
        return counts.reduce(0, +)
    }
}
