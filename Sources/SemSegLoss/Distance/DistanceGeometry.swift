#if canImport(Glibc)
import Glibc
#endif

// MARK: - Mask element types

/// Element types read as binary masks by the distance code: `Bool`, and `UInt8` where any
/// non-zero byte is true (a NumPy `bool` array is one byte per element, 0 or 1). Both are
/// one byte with "non-zero means true", so vectorised kernels may read masks as raw bytes.
protocol DistanceMaskElement {
    /// Whether this element marks a voxel of the mask ("foreground").
    var distanceMaskIsSet: Bool { get }
}

extension UInt8: DistanceMaskElement {
    @inline(__always) var distanceMaskIsSet: Bool { self != 0 }
}

extension Bool: DistanceMaskElement {
    @inline(__always) var distanceMaskIsSet: Bool { self }
}

// MARK: - Validated geometry

/// A validated batch of images of shape `(B, *spatial)` with 1 to 3 spatial axes, C order
/// (last axis contiguous), and the physical spacing of each spatial axis.
///
/// Built only through the throwing initialiser, which rejects non-positive sizes, element
/// counts (or byte counts of a `Double` field) that overflow `Int`, and spacings that are not
/// finite and positive or whose squared image diagonal `Σ (nᵢ·sᵢ)²` is not comfortably finite.
/// Code holding a `DistanceGeometry` never re-checks products or squared distances (element
/// counts are at most `maximumCount`, so scratch sizes such as `20·n` cannot overflow): every
/// squared distance in the image is at most the squared diagonal, and intermediate values of
/// the lower-envelope kernel are at most a few times that.
struct DistanceGeometry: Sendable {
    /// Largest accepted number of voxels in a batch, `Int.max / 64` (about 1.4·10¹⁷, far
    /// beyond any real buffer): keeps every derived size below `Int.max`.
    static let maximumCount = Int.max / 64

    /// Number of images `B` (at least 1).
    let batch: Int
    /// Spatial sizes `(n₀, …, n_{d−1})`, 1 ≤ d ≤ 3, all positive.
    let spatial: [Int]
    /// Spacing `(s₀, …, s_{d−1})` of each spatial axis, finite and positive.
    let spacing: [Double]
    /// Voxels per image, `Π nᵢ`.
    let imageCount: Int
    /// Voxels in the batch, `B · Π nᵢ`.
    let totalCount: Int
    /// Physical length of the image diagonal, `√(Σ (nᵢ·sᵢ)²)`.
    let imageDiagonal: Double

    /// Validates a batch geometry.
    ///
    /// - Parameters:
    ///   - maskArgument: Python name of the mask argument, used in shape errors.
    ///   - spacingArgument: Python name of the spacing argument (`sampling` for the EDT,
    ///     `spacing` for the metrics), used in value errors. `nil` spacing means 1 per axis.
    init(
        batch: Int, spatial: [Int], spacing: [Double]?,
        maskArgument: String, spacingArgument: String
    ) throws(SegLossError) {
        guard (1...3).contains(spatial.count) else {
            throw .shape(maskArgument, "expected 1 to 3 spatial dimensions, got \(spatial.count) in spatial shape \(TensorShape.format(spatial))")
        }
        guard batch > 0 else {
            throw .shape(maskArgument, "batch size must be positive, got \(batch)")
        }
        var count = 1
        for (axis, n) in spatial.enumerated() {
            guard n > 0 else {
                throw .shape(maskArgument, "every spatial dimension must be positive (empty arrays are not accepted), got \(TensorShape.format(spatial)) with size \(n) at axis \(axis)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else {
                throw .shape(maskArgument, "spatial shape \(TensorShape.format(spatial)) has too many elements")
            }
            count = product
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: batch)
        guard !overflow, total <= DistanceGeometry.maximumCount else {
            throw .shape(maskArgument, "batch of \(batch) images of shape \(TensorShape.format(spatial)) has too many elements")
        }
        let steps = spacing ?? Array(repeating: 1.0, count: spatial.count)
        guard steps.count == spatial.count else {
            throw .shape(spacingArgument, "needs one value per spatial axis (\(spatial.count)), got \(steps.count)")
        }
        var diagonalSquared = 0.0
        for (axis, s) in steps.enumerated() {
            guard s.isFinite, s > 0, (s * s).isNormal else {
                throw .value(spacingArgument, "every spacing must be a finite positive number (and its square a normal Double), got \(s) at axis \(axis)")
            }
            let extent = Double(spatial[axis]) * s
            diagonalSquared += extent * extent
        }
        guard (diagonalSquared * 8).isFinite else {
            throw .value(spacingArgument, "spacing \(steps) is too large for shape \(TensorShape.format(spatial)): squared distances overflow")
        }
        self.batch = batch
        self.spatial = spatial
        self.spacing = steps
        self.imageCount = count
        self.totalCount = total
        self.imageDiagonal = diagonalSquared.squareRoot()
    }

    /// Requires a Swift array argument to hold exactly `totalCount` elements.
    func requireCount(_ count: Int, _ argument: String) throws(SegLossError) {
        guard count == totalCount else {
            throw .shape(argument, "has \(count) elements but \(batch) image(s) of spatial shape \(TensorShape.format(spatial)) need \(totalCount)")
        }
    }

    /// Array convenience: checks `mask.count`, then runs `body` on the mask's buffer and on
    /// a new output array of `totalCount` Doubles, and returns that array.
    func mapping(
        _ mask: [Bool], _ argument: String,
        _ body: (UnsafePointer<Bool>, UnsafeMutablePointer<Double>) throws(SegLossError) -> Void
    ) throws(SegLossError) -> [Double] {
        try requireCount(mask.count, argument)
        var output = [Double](repeating: 0, count: totalCount)
        let status: SegLossError? = mask.withUnsafeBufferPointer { m in
            output.withUnsafeMutableBufferPointer { o in
                guard let mp = m.baseAddress, let op = o.baseAddress else { return nil }
                do throws(SegLossError) {
                    try body(mp, op)
                    return nil
                } catch { return error }
            }
        }
        if let status { throw status }
        return output
    }
}

// MARK: - Scratch memory that cannot trap

/// `malloc`-backed scratch buffers: an allocation failure returns `nil` (and becomes a
/// `SegLossError` of kind `.allocation`) instead of terminating the process, as Swift's own
/// allocator would.
enum DistanceScratch {
    /// `count` uninitialised elements of `T`, or `nil` if the memory cannot be obtained.
    static func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T>? {
        guard count >= 0 else { return nil }
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow, let raw = malloc(bytes) else { return nil }
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// Releases memory from `allocate`.
    static func release<T>(_ pointer: UnsafeMutablePointer<T>?) {
        free(pointer)
    }

    /// The error thrown when scratch memory of `count` elements cannot be obtained.
    static func failure(_ argument: String, count: Int, of type: String) -> SegLossError {
        SegLossError(.allocation, argument: argument, "could not allocate scratch memory for \(count) \(type) values")
    }
}
