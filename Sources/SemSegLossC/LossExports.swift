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
        let call = try LossCall(loss, options, nOptions, input, target, unreducedOutputs: gradOutput != nil || values != nil)
        value.pointee = try call.evaluate(mask: nil, gradOutput, values, grad)
    }
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
        let call = try LossCall(loss, options, nOptions, input, target, unreducedOutputs: gradOutput != nil || values != nil)
        let m = try DecodedTensor(mask, argument: "mask")
        guard m.type == call.input.type else {
            throw SegLossError(.dtype, argument: "mask", "dtype \(m.type.name) differs from the input's \(call.input.type.name)")
        }
        value.pointee = try call.evaluate(mask: m, gradOutput, values, grad)
    }
}

/// The decoded arguments shared by semseg_loss and semseg_masked_loss: the configured
/// loss, a float input and its shape, and the target; checks that values and grad_output
/// come with reduction "none" only.
private struct LossCall {
    let loss: ConfiguredLoss
    let input: DecodedTensor
    let shape: TensorShape
    let target: DecodedTarget

    init(_ name: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
         _ input: UnsafePointer<semseg_tensor_t>?, _ target: UnsafePointer<semseg_tensor_t>?,
         unreducedOutputs: Bool) throws(SegLossError) {
        loss = try LossCatalog.make(try decodeName(name, argument: "loss"), options: try decodeOptions(options, nOptions))
        let x = try DecodedTensor(input, argument: "input")
        let t = try DecodedTensor(target, argument: "target")
        guard x.type == .float32 || x.type == .float64 else {
            throw SegLossError(.dtype, argument: "input", "must be float32 or float64, got \(x.type.name)")
        }
        self.input = x
        shape = try x.shape("input")
        self.target = try DecodedTarget(t, input: x, inputShape: shape)
        if loss.options.reduction != .none && unreducedOutputs {
            throw .option("grad_output", "values and grad_output are only available with reduction='none'")
        }
    }

    /// Evaluates in the input's precision, with voxel weights when `mask` is given.
    func evaluate(
        mask: DecodedTensor?, _ gradOutput: UnsafeRawPointer?, _ values: UnsafeMutableRawPointer?,
        _ grad: UnsafeMutableRawPointer?
    ) throws(SegLossError) -> Double {
        input.type == .float32
            ? try evaluate(Float.self, mask, gradOutput, values, grad)
            : try evaluate(Double.self, mask, gradOutput, values, grad)
    }

    private func evaluate<S: SegScalar>(
        _: S.Type, _ mask: DecodedTensor?, _ gradOutput: UnsafeRawPointer?,
        _ values: UnsafeMutableRawPointer?, _ grad: UnsafeMutableRawPointer?
    ) throws(SegLossError) -> Double {
        let outputs = LossOutputs(
            gradient: grad?.assumingMemoryBound(to: S.self),
            values: values?.assumingMemoryBound(to: S.self),
            gradOutput: gradOutput?.assumingMemoryBound(to: S.self))
        let x = input.view(S.self, shape: shape)
        guard let mask else { return try loss.evaluate(input: x, target: target.view(S.self), outputs: outputs) }
        return try loss.evaluate(
            input: x, target: target.view(S.self),
            mask: try RegionMask(mask.data.assumingMemoryBound(to: S.self), dims: mask.dims, input: shape),
            outputs: outputs)
    }
}
