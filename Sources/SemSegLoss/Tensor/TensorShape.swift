// MARK: - Shapes

/// A channel-first shape `(N, C, *spatial)` with 1 to 3 spatial dimensions.
///
/// Built only through the throwing initialiser, which rejects non-positive sizes and
/// element counts that overflow `Int`, so code holding a `TensorShape` never needs to
/// re-check products.
public struct TensorShape: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// All dimensions, `[N, C] + spatial`.
    public let dims: [Int]
    /// Product of the spatial dimensions (voxels per image and channel).
    public let spatialCount: Int
    /// Total number of elements.
    public let count: Int

    public var batch: Int { dims[0] }
    public var channels: Int { dims[1] }
    public var spatial: ArraySlice<Int> { dims[2...] }
    /// Number of rows of `spatialCount` contiguous elements, `N · C`.
    public var rows: Int { dims[0] * dims[1] }

    /// Validates `dims` as `(N, C, *spatial)` for the argument named `argument`.
    public init(_ dims: [Int], argument: String = "input") throws(SegLossError) {
        guard (3...5).contains(dims.count) else {
            throw .shape(argument, "expected shape (N, C, *spatial) with 1 to 3 spatial dimensions, got \(dims.count) dimensions \(TensorShape.format(dims))")
        }
        var total = 1
        for (i, d) in dims.enumerated() {
            guard d > 0 else {
                throw .shape(argument, "every dimension must be positive (empty arrays are not accepted), got \(TensorShape.format(dims)) with size \(d) at axis \(i)")
            }
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow else { throw .shape(argument, "shape \(TensorShape.format(dims)) has too many elements") }
            total = p
        }
        self.dims = dims
        self.count = total
        self.spatialCount = total / (dims[0] * dims[1])
    }

    /// Validates a label-map shape `(N, *spatial)` against this input shape.
    public func requireLabelShape(_ labelDims: [Int], argument: String = "target") throws(SegLossError) {
        let expected = [dims[0]] + Array(dims[2...])
        guard labelDims == expected else {
            throw .shape(argument, "label map must have shape \(TensorShape.format(expected)) (input shape without the channel axis), got \(TensorShape.format(labelDims))")
        }
    }

    public var description: String { TensorShape.format(dims) }

    /// The error for a dense target whose shape is not this input shape. When the target
    /// is this shape without its single channel axis — a mask (N, *spatial) for logits
    /// (N, 1, *spatial), the most common slip — the message says how to add the axis.
    public func targetMismatch(_ target: TensorShape) -> SegLossError {
        var message = "must have the input's shape \(self), got \(target)"
        if channels == 1 && target.dims == [batch] + Array(spatial) {
            message += "; the target lacks the channel axis: pass target[:, None]"
        }
        return .shape("target", message)
    }

    /// Formats dims as a Python tuple, `(2, 1, 4, 4)`.
    public static func format(_ dims: [Int]) -> String {
        dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.map(String.init).joined(separator: ", ") + ")"
    }
}
