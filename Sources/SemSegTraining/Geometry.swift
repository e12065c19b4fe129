import SemSegLoss

// MARK: - Feature-map geometry (channel-major "CNHW" layout)

/// Spatial geometry of a batch of feature maps.
///
/// Internally every activation is stored channel-major, `[C][N][H][W]` ("CNHW"): channel
/// `c` is one contiguous run of `pixels = N·H·W` values. This makes a 3×3 convolution over
/// the whole batch a single matrix product `Y[Cout × P] = W[Cout × Cin·9] · col[Cin·9 × P]`,
/// makes channel concatenation free (two adjacent channel ranges of one buffer) and keeps
/// per-channel reductions (bias, BatchNorm) contiguous. Image rows are indexed globally by
/// `g = n·H + y`, so pixel `(n, y, x)` of a channel is at `g·W + x`.
public struct Geometry: Sendable, Equatable, CustomStringConvertible {
    public let batch: Int
    public let height: Int
    public let width: Int

    /// `N·H·W`, the length of one channel.
    public let pixels: Int

    /// Validates positive sizes whose product fits BLAS's 32-bit indices.
    public init(batch: Int, height: Int, width: Int) throws(SegLossError) {
        guard batch > 0, height > 0, width > 0 else {
            throw .shape("input", "batch, height and width must be positive, got (\(batch), \(height), \(width))")
        }
        self.batch = batch
        self.height = height
        self.width = width
        self.pixels = try Checked.product([batch, height, width], argument: "input")
    }

    /// Unchecked memberwise init for sizes derived from an already validated geometry.
    init(unchecked batch: Int, _ height: Int, _ width: Int) {
        self.batch = batch
        self.height = height
        self.width = width
        self.pixels = batch * height * width
    }

    /// Number of image rows over the batch, `N·H`.
    public var rows: Int { batch * height }

    /// The geometry after a 2×2 pooling (sizes must be even).
    public var halved: Geometry { Geometry(unchecked: batch, height / 2, width / 2) }
    /// The geometry after a 2×2 stride-2 transposed convolution.
    public var doubled: Geometry { Geometry(unchecked: batch, height * 2, width * 2) }

    public var description: String { "(\(batch), \(height), \(width))" }
}

// MARK: - Static work partition

/// Splits `0..<total` into `parts` nearly equal contiguous ranges; part `i` is the same
/// for a given `(total, parts)` whatever thread runs it, which is what makes every
/// reduction deterministic for a fixed thread count.
@inline(__always)
func partition(_ total: Int, parts: Int, index: Int) -> Range<Int> {
    let lo = total * index / parts
    let hi = total * (index + 1) / parts
    return lo..<hi
}

/// Number of image rows per im2col chunk so that a chunk of `rowsOfColumn` matrix rows
/// (`Cin·k²`) holds about `columnChunkTarget` elements (at least one image row).
@inline(__always)
func rowsPerChunk(columnRows: Int, width: Int) -> Int {
    max(1, columnChunkTarget / max(1, columnRows * width))
}
