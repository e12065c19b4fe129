// MARK: - Swift-array convenience for label-map targets

extension ConfiguredLoss {
    /// Convenience for Swift arrays with an integer label map `(N, *spatial)` as target
    /// (multiclass mode): returns the loss, the gradient and (for `none`) the unreduced values.
    public func callAsFunction<S: SegScalar>(
        _ input: [S], labels: [Int64], shape dims: [Int], gradOutput: [S]? = nil
    ) throws(SegLossError) -> LossResult<S> {
        let shape = try TensorShape(dims)
        let labelDims = [shape.batch] + Array(shape.spatial)
        guard labels.count == labelDims.reduce(1, *) else {
            throw .shape("target", "has \(labels.count) labels but a label map of shape \(TensorShape.format(labelDims)) needs \(labelDims.reduce(1, *))")
        }
        let outShape = outputShape(input: shape)
        let outCount = outShape.reduce(1, *)
        if let gradOutput, gradOutput.count != outCount || options.reduction != .none {
            throw .shape("grad_output", "needs reduction='none' and \(outCount) elements, got \(gradOutput.count)")
        }
        var gradient = [S](repeating: 0, count: shape.count)
        var values = [S](repeating: 0, count: options.reduction == .none ? outCount : 0)
        let go = gradOutput ?? []
        let value = try input.withTensorView(shape: shape, argument: "input") { x throws(SegLossError) in
            let r: Result<Double, SegLossError> = labels.withUnsafeBufferPointer { lb in
                gradient.withUnsafeMutableBufferPointer { gb in
                    values.withUnsafeMutableBufferPointer { vb in
                        go.withUnsafeBufferPointer { ob in
                            do throws(SegLossError) {
                                let view = try LabelView(lb.baseAddress!, dims: labelDims, input: shape)
                                return .success(try evaluate(input: x, target: .labels(view), outputs: LossOutputs(
                                    gradient: gb.baseAddress,
                                    values: options.reduction == .none ? vb.baseAddress : nil,
                                    gradOutput: gradOutput == nil ? nil : ob.baseAddress)))
                            } catch { return .failure(error) }
                        }
                    }
                }
            }
            return try r.get()
        }
        return LossResult(value: value, gradient: gradient, values: values, valuesShape: outShape)
    }
}
