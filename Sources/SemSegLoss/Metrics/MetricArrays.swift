// MARK: - Metrics on Swift arrays

/// Conveniences for Swift callers holding `[Float]` / `[Double]` arrays: the metric of an
/// input and a dense target of `shape` (binary, multilabel, or multiclass one-hot / soft),
/// or of an input and an integer label map `(N, *spatial)` (multiclass), without the
/// nested `withTensorView` closures. Same values and errors as `evaluate`.
/// A metric evaluated per (image, class) entry: `ConfiguredMetric` and
/// `ConfiguredSurfaceMetric`, which share the array conveniences below.
public protocol EntryMetric {
    func evaluate<S: SegScalar>(input: TensorView<S>, target: LossTarget<S>) throws(SegLossError) -> (value: Double, values: [Double])
}

extension ConfiguredMetric: EntryMetric {}
extension ConfiguredSurfaceMetric: EntryMetric {}

extension EntryMetric {
    /// (reduced value, per-entry values (N, C′) row-major, or (C′) with `batch`).
    public func callAsFunction<S: SegScalar>(
        _ input: [S], _ target: [S], shape dims: [Int]
    ) throws(SegLossError) -> (value: Double, values: [Double]) {
        let shape = try TensorShape(dims)
        return try input.withTensorView(shape: shape, argument: "input") { x throws(SegLossError) in
            try target.withTensorView(shape: shape, argument: "target") { t throws(SegLossError) in
                try evaluate(input: x, target: .dense(t))
            }
        }
    }

    /// The metric against an integer label map of shape (N, *spatial) (multiclass).
    public func callAsFunction<S: SegScalar>(
        _ input: [S], labels: [Int64], shape dims: [Int]
    ) throws(SegLossError) -> (value: Double, values: [Double]) {
        let shape = try TensorShape(dims)
        return try MetricArrays.withLabels(labels, input: input, shape: shape) { x, l throws(SegLossError) in
            try evaluate(input: x, target: .labels(l))
        }
    }
}

enum MetricArrays {
    /// Runs `body` with views of `input` (shape `shape`) and of `labels` as a label map
    /// (N, *spatial) checked against it.
    static func withLabels<S: SegScalar, R>(
        _ labels: [Int64], input: [S], shape: TensorShape,
        _ body: (TensorView<S>, LabelView) throws(SegLossError) -> R
    ) throws(SegLossError) -> R {
        let dims = [shape.batch] + Array(shape.spatial)
        guard labels.count == dims.reduce(1, *) else {
            throw .shape("target", "a label map \(TensorShape.format(dims)) needs \(dims.reduce(1, *)) labels, got \(labels.count)")
        }
        return try input.withTensorView(shape: shape, argument: "input") { x throws(SegLossError) in
            let r: Result<R, SegLossError> = labels.withUnsafeBufferPointer { lb in
                do throws(SegLossError) {
                    let view = try LabelView(lb.baseAddress!, dims: dims, input: shape)
                    return .success(try body(x, view))
                } catch { return .failure(error) }
            }
            return try r.get()
        }
    }
}
