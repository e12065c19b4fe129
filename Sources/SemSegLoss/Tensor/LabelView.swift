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

    /// `ignore_index` as a label of an integer label map: it must be an integer.
    public static func ignoreLabel(_ ignoreIndex: Double?) throws(SegLossError) -> Int64? {
        guard let x = ignoreIndex else { return nil }
        guard let v = Int64(exactly: x) else {
            throw .value("ignore_index", "must be an integer label with an integer label map, got \(x)")
        }
        return v
    }

    /// The error for label `k` at flat index `i`, outside [0, classes) and not `ignore`.
    public static func outOfRange(_ k: Int64, at i: Int, classes: Int, ignore: Int64?) -> SegLossError {
        let hint = ignore.map { " (ignore_index is \($0))" } ?? "; if it marks pixels to ignore, pass ignore_index=\(k)"
        return .value("target", "labels must lie in [0, \(classes)) for \(classes) classes; got \(k) at flat index \(i)\(hint)")
    }

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
            throw .shape("target", "\(owner) needs a target with the input's shape (binary, one-hot or soft labels); integer label maps (N, *spatial) are accepted with mode='multiclass' only; for a mask of a one-channel input, add its channel axis: target[:, None]")
        }
    }
}
