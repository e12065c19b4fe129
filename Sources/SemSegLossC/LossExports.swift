import CSemSegLoss
import SemSegLoss

// MARK: - Loss section of semsegloss.h

@c @implementation
public func semseg_loss_output_shape(
    _ loss: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
    _ input: UnsafePointer<semseg_tensor_t>?, _ outShape: UnsafeMutablePointer<Int64>?,
    _ outNdim: UnsafeMutablePointer<Int32>?, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let outShape else { return nullPointer("out_shape", err, errLen) }
    guard let outNdim else { return nullPointer("out_ndim", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let configured = try LossCatalog.make(try decodeName(loss, argument: "loss"), options: try decodeOptions(options, nOptions))
        let x = try DecodedTensor(input, argument: "input")
        let shape = try x.shape("input")
        try configured.options.validate(for: shape)
        writeShape(configured.outputShape(input: shape), outShape, outNdim)
    }
}

@c @implementation
public func semseg_loss(
    _ loss: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
    _ input: UnsafePointer<semseg_tensor_t>?, _ target: UnsafePointer<semseg_tensor_t>?,
    _ gradOutput: UnsafeRawPointer?, _ value: UnsafeMutablePointer<Double>?,
    _ values: UnsafeMutableRawPointer?, _ grad: UnsafeMutableRawPointer?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let value else { return nullPointer("value", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let configured = try LossCatalog.make(try decodeName(loss, argument: "loss"), options: try decodeOptions(options, nOptions))
        let x = try DecodedTensor(input, argument: "input")
        let t = try DecodedTensor(target, argument: "target")
        guard x.type == .float32 || x.type == .float64 else {
            throw SegLossError(.dtype, argument: "input", "must be float32 or float64, got \(x.type.name)")
        }
        let shape = try x.shape("input")
        let target = try DecodedTarget(t, input: x, inputShape: shape)
        let unreduced = configured.options.reduction == .none
        if !unreduced && (gradOutput != nil || values != nil) {
            throw .option("grad_output", "values and grad_output are only available with reduction='none'")
        }
        switch x.type {
        case .float32:
            value.pointee = try evaluate(configured, Float.self, x, target, shape, gradOutput, values, grad)
        case .float64:
            value.pointee = try evaluate(configured, Double.self, x, target, shape, gradOutput, values, grad)
        case .int64, .uint8:
            throw SegLossError(.dtype, argument: "input", "must be float32 or float64, got \(x.type.name)")
        }
    }
}

private func evaluate<S: SegScalar>(
    _ loss: ConfiguredLoss, _: S.Type, _ x: DecodedTensor, _ target: DecodedTarget,
    _ shape: TensorShape, _ gradOutput: UnsafeRawPointer?,
    _ values: UnsafeMutableRawPointer?, _ grad: UnsafeMutableRawPointer?
) throws(SegLossError) -> Double {
    try loss.evaluate(
        input: x.view(S.self, shape: shape),
        target: target.view(S.self),
        outputs: LossOutputs(
            gradient: grad?.assumingMemoryBound(to: S.self),
            values: values?.assumingMemoryBound(to: S.self),
            gradOutput: gradOutput?.assumingMemoryBound(to: S.self)))
}

@c @implementation
public func semseg_masked_loss(
    _ loss: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
    _ input: UnsafePointer<semseg_tensor_t>?, _ target: UnsafePointer<semseg_tensor_t>?,
    _ mask: UnsafePointer<semseg_tensor_t>?,
    _ gradOutput: UnsafeRawPointer?, _ value: UnsafeMutablePointer<Double>?,
    _ values: UnsafeMutableRawPointer?, _ grad: UnsafeMutableRawPointer?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let value else { return nullPointer("value", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let configured = try LossCatalog.make(try decodeName(loss, argument: "loss"), options: try decodeOptions(options, nOptions))
        let x = try DecodedTensor(input, argument: "input")
        let t = try DecodedTensor(target, argument: "target")
        let m = try DecodedTensor(mask, argument: "mask")
        guard x.type == .float32 || x.type == .float64 else {
            throw SegLossError(.dtype, argument: "input", "must be float32 or float64, got \(x.type.name)")
        }
        guard m.type == x.type else {
            throw SegLossError(.dtype, argument: "mask", "dtype \(m.type.name) differs from the input's \(x.type.name)")
        }
        let shape = try x.shape("input")
        let target = try DecodedTarget(t, input: x, inputShape: shape)
        if configured.options.reduction != .none && (gradOutput != nil || values != nil) {
            throw .option("grad_output", "values and grad_output are only available with reduction='none'")
        }
        switch x.type {
        case .float32:
            value.pointee = try evaluateMasked(configured, Float.self, x, target, m, shape, gradOutput, values, grad)
        default:
            value.pointee = try evaluateMasked(configured, Double.self, x, target, m, shape, gradOutput, values, grad)
        }
    }
}

private func evaluateMasked<S: SegScalar>(
    _ loss: ConfiguredLoss, _: S.Type, _ x: DecodedTensor, _ target: DecodedTarget, _ m: DecodedTensor,
    _ shape: TensorShape, _ gradOutput: UnsafeRawPointer?,
    _ values: UnsafeMutableRawPointer?, _ grad: UnsafeMutableRawPointer?
) throws(SegLossError) -> Double {
    try loss.evaluate(
        input: x.view(S.self, shape: shape), target: target.view(S.self),
        mask: try RegionMask(m.data.assumingMemoryBound(to: S.self), dims: m.dims, input: shape),
        outputs: LossOutputs(
            gradient: grad?.assumingMemoryBound(to: S.self),
            values: values?.assumingMemoryBound(to: S.self),
            gradOutput: gradOutput?.assumingMemoryBound(to: S.self)))
}
