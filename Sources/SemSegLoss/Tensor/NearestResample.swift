#if canImport(Glibc)
import Glibc
#endif

// MARK: - Nearest-neighbour resampling of targets

/// Nearest-neighbour resampling of the spatial axes of a C-order array, PyTorch's
/// `interpolate(mode="nearest-exact")` (what MONAI's `DeepSupervisionLoss` uses to bring
/// the target to each level's size): along an axis of n_in → n_out voxels, output index j
/// reads source index
///
///     min(⌊(j + ½) · s⌋, n_in − 1),   s = n_in / n_out (computed in Float, as ATen does)
///
/// i.e. the source voxel whose centre is nearest to the output voxel's centre. Halving a
/// size (n_in = 2·n_out) reads the odd indices 1, 3, 5, …; labels are copied, never mixed,
/// so class indices and hard masks stay valid. Works for any element type.
public enum NearestResample {
    /// Source index of every output index along one axis.
    public static func sourceIndices(from nIn: Int, to nOut: Int) -> [Int] {
        let scale = Double(Float(nIn) / Float(nOut))
        return (0..<nOut).map { j in
            let v = Float((Double(j) + 0.5) * scale)
            return Swift.min(Int(floorf(v)), nIn - 1)
        }
    }

    /// Resamples `slices` consecutive blocks of spatial shape `from` (e.g. the N·C rows of
    /// an (N, C, *spatial) tensor, or the N images of a label map) to shape `to`, into `dst`
    /// (`slices · Π to` elements). `from` and `to` have the same number of axes (1 to 3).
    public static func resample<T>(
        _ src: UnsafePointer<T>, slices: Int, from: [Int], to: [Int], into dst: UnsafeMutablePointer<T>
    ) {
        precondition(from.count == to.count && (1...3).contains(from.count), "NearestResample: 1 to 3 matching axes")
        // Pad to three axes (leading size-1 axes) so one loop nest serves every case.
        let pad = 3 - from.count
        let a = [Int](repeating: 1, count: pad) + from, b = [Int](repeating: 1, count: pad) + to
        let i0 = sourceIndices(from: a[0], to: b[0]), i1 = sourceIndices(from: a[1], to: b[1])
        let i2 = sourceIndices(from: a[2], to: b[2])
        let inCount = a[0] * a[1] * a[2], outCount = b[0] * b[1] * b[2]
        for s in 0..<slices {
            let source = src + s * inCount
            var out = dst + s * outCount
            for z in 0..<b[0] {
                for y in 0..<b[1] {
                    let line = source + (i0[z] * a[1] + i1[y]) * a[2]
                    for x in 0..<b[2] { out[x] = line[i2[x]] }
                    out += b[2]
                }
            }
        }
    }
}
