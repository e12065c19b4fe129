import CSemSegLoss
import SemSegLoss

// MARK: - Deep-supervision section of semsegloss.h

@c @implementation
public func semseg_deep_supervision_loss(
    _ loss: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
    _ inputs: UnsafePointer<semseg_tensor_t>?, _ nLevels: Int64, _ target: UnsafePointer<semseg_tensor_t>?,
    _ weightMode: Int32, _ weights: UnsafePointer<Double>?, _ value: UnsafeMutablePointer<Double>?,
    _ grads: UnsafePointer<UnsafeMutableRawPointer?>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let value else { return nullPointer("value", err, errLen) }
    guard let inputs else { return nullPointer("inputs", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let configured = try LossCatalog.make(try decodeName(loss, argument: "loss"), options: try decodeOptions(options, nOptions))
        guard nLevels >= 1, nLevels <= 64 else { throw .value("inputs", "needs 1 to 64 levels, got \(nLevels)") }
        guard let mode = DeepSupervisionLoss.WeightMode(rawValue: weightMode) else {
            let names = DeepSupervisionLoss.WeightMode.allCases.map(\.name).joined(separator: ", ")
            throw .option("weight_mode", "unknown code \(weightMode); expected one of \(names)")
        }
        let levels = Int(nLevels)
        let decoded = try (0..<levels).map { l throws(SegLossError) in try DecodedTensor(inputs + l, argument: "inputs[\(l)]") }
        let type = decoded[0].type
        guard type == .float32 || type == .float64 else {
            throw SegLossError(.dtype, argument: "inputs", "must be float32 or float64, got \(type.name)")
        }
        for (l, x) in decoded.enumerated() where x.type != type {
            throw SegLossError(.dtype, argument: "inputs", "level \(l) is \(x.type.name), level 0 is \(type.name): use one dtype")
        }
        let shapes = try decoded.enumerated().map { l, x throws(SegLossError) in try x.shape("inputs[\(l)]") }
        let t = try DecodedTensor(target, argument: "target")
        let wrapper = DeepSupervisionLoss(
            loss: configured, weightMode: mode, weights: weights.map { w in (0..<levels).map { w[$0] } })
        let gradients = grads.map { g in (0..<levels).map { g[$0] } } ?? []
        switch type {
        case .float32:
            value.pointee = try evaluate(wrapper, Float.self, decoded, shapes, t, gradients)
        default:
            value.pointee = try evaluate(wrapper, Double.self, decoded, shapes, t, gradients)
        }
    }
}

private func evaluate<S: SegScalar>(
    _ wrapper: DeepSupervisionLoss, _: S.Type, _ inputs: [DecodedTensor], _ shapes: [TensorShape],
    _ t: DecodedTensor, _ gradients: [UnsafeMutableRawPointer?]
) throws(SegLossError) -> Double {
    let views = zip(inputs, shapes).map { $0.view(S.self, shape: $1) }
    let target: LossTarget<S>
    if t.type == .int64 {
        // A label map at its own size: (N, *spatial_t), checked against (N, C, *spatial_t).
        guard t.dims.count >= 2 else {
            throw .shape("target", "a label map needs shape (N, *spatial), got \(TensorShape.format(t.dims))")
        }
        let own = try TensorShape([t.dims[0], shapes[0].channels] + t.dims.dropFirst(), argument: "target")
        target = .labels(try LabelView(t.data.assumingMemoryBound(to: Int64.self), dims: t.dims, input: own))
    } else {
        guard t.type == inputs[0].type else {
            throw SegLossError(.dtype, argument: "target", "dtype \(t.type.name) differs from the inputs' \(inputs[0].type.name) (integer label maps must be int64)")
        }
        target = .dense(t.view(S.self, shape: try t.shape("target")))
    }
    return try wrapper.evaluate(
        inputs: views, target: target, gradients: gradients.map { $0?.assumingMemoryBound(to: S.self) })
}
