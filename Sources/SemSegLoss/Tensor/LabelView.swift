// MARK: - Integer label maps (multiclass targets)

/// A read-only view of a C-contiguous integer label map of shape `(N, *spatial)`: the
/// class index of every voxel (multiclass mode), or `ignore_index`.
///
/// Like `TensorView` it borrows the caller's buffer. Image `n` is the `spatialCount`
/// contiguous labels starting at `image(n)`.
public struct LabelView: @unchecked Sendable {
    public let base: UnsafePointer<Int64>
    /// `[N] + spatial`.
    public let dims: [Int]
    public let spatialCount: Int

    /// Checks `dims` against the input shape `(N, C, *spatial)`: the label map must be the
    /// input shape without its channel axis.
    public init(_ base: UnsafePointer<Int64>, dims: [Int], input: TensorShape) throws(SegLossError) {
        try input.requireLabelShape(dims)
        self.base = base
        self.dims = dims
        self.spatialCount = input.spatialCount
    }

    public var batch: Int { dims[0] }

    /// Pointer to the labels of image `n`.
    @inlinable @inline(__always)
    public func image(_ n: Int) -> UnsafePointer<Int64> { base + n * spatialCount }
}

// MARK: - The two target forms

/// The target of a loss: dense values with the input's shape (binary, one-hot or soft
/// labels), or an integer label map `(N, *spatial)` (multiclass mode only).
public enum LossTarget<Scalar>: @unchecked Sendable {
    case dense(TensorView<Scalar>)
    case labels(LabelView)

    /// The dense view, or an error naming `target` for a label map (losses and modes that
    /// need dense targets).
    public func requireDense(_ owner: String) throws(SegLossError) -> TensorView<Scalar> {
        switch self {
        case .dense(let t): return t
        case .labels:
            throw .shape("target", "\(owner) needs a target with the input's shape (binary, one-hot or soft labels); integer label maps (N, *spatial) are accepted with mode='multiclass' only")
        }
    }
}
