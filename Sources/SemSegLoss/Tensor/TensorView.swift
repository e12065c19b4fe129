// MARK: - Views over caller-owned contiguous buffers

/// A read-only view of a C-contiguous tensor of shape `(N, C, *spatial)`.
///
/// The view does not own its memory: the caller keeps the buffer alive for the duration
/// of the call. Row `r = n·C + c` is the `spatialCount` contiguous elements of image `n`,
/// channel `c`.
public struct TensorView<Scalar>: @unchecked Sendable {
    public let base: UnsafePointer<Scalar>
    public let shape: TensorShape

    public init(_ base: UnsafePointer<Scalar>, shape: TensorShape) {
        self.base = base
        self.shape = shape
    }

    /// Pointer to the first element of row `row` (= n·C + c).
    @inlinable @inline(__always)
    public func row(_ row: Int) -> UnsafePointer<Scalar> { base + row * shape.spatialCount }
}

/// A writable view of a C-contiguous tensor (gradients, per-element losses).
public struct MutableTensorView<Scalar>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Scalar>
    public let shape: TensorShape

    public init(_ base: UnsafeMutablePointer<Scalar>, shape: TensorShape) {
        self.base = base
        self.shape = shape
    }

    @inlinable @inline(__always)
    public func row(_ row: Int) -> UnsafeMutablePointer<Scalar> { base + row * shape.spatialCount }
}

// MARK: - Array convenience for Swift callers

extension Array where Element: SegScalar {
    /// Runs `body` with a `TensorView` over this array, checking that the array holds
    /// exactly `shape.count` elements.
    public func withTensorView<R>(
        shape: TensorShape, argument: String,
        _ body: (TensorView<Element>) throws(SegLossError) -> R
    ) throws(SegLossError) -> R {
        guard count == shape.count else {
            throw .shape(argument, "has \(count) elements but shape \(shape) needs \(shape.count)")
        }
        let result: Result<R, SegLossError> = withUnsafeBufferPointer { buf in
            do throws(SegLossError) { return .success(try body(TensorView(buf.baseAddress!, shape: shape))) }
            catch { return .failure(error) }
        }
        return try result.get()
    }
}
