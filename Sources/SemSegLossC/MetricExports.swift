import CSemSegLoss
import SemSegLoss

// MARK: - Metric section of semsegloss.h

@c @implementation
public func semseg_metric_output_shape(
    _ metric: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
    _ input: UnsafePointer<semseg_tensor_t>?, _ outShape: UnsafeMutablePointer<Int64>?,
    _ outNdim: UnsafeMutablePointer<Int32>?, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let outShape else { return nullPointer("out_shape", err, errLen) }
    guard let outNdim else { return nullPointer("out_ndim", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let m = try MetricCatalog.make(try decodeName(metric, argument: "metric"), options: try decodeOptions(options, nOptions))
        let shape = try DecodedTensor(input, argument: "input").shape("input")
        try m.options.options.validate(for: shape)
        writeShape(m.outputShape(input: shape), outShape, outNdim)
    }
}

@c @implementation
public func semseg_metric(
    _ metric: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
    _ input: UnsafePointer<semseg_tensor_t>?, _ target: UnsafePointer<semseg_tensor_t>?,
    _ value: UnsafeMutablePointer<Double>?, _ values: UnsafeMutablePointer<Double>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let value else { return nullPointer("value", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let m = try MetricCatalog.make(try decodeName(metric, argument: "metric"), options: try decodeOptions(options, nOptions))
        let (x, t, shape) = try decodePair(input, target)
        let result: (value: Double, values: [Double])
        switch x.type {
        case .float32: result = try m.evaluate(input: x.view(Float.self, shape: shape), target: t.view(Float.self))
        case .float64: result = try m.evaluate(input: x.view(Double.self, shape: shape), target: t.view(Double.self))
        case .int64, .uint8: throw SegLossError(.dtype, argument: "input", "must be float32 or float64, got \(x.type.name)")
        }
        value.pointee = result.value
        if let values {
            guard m.options.options.reduction == .none else {
                throw .option("values", "per-entry values are only written with reduction='none'")
            }
            for (i, v) in result.values.enumerated() { values[i] = v }
        }
    }
}

@c @implementation
public func semseg_confusion_counts(
    _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
    _ input: UnsafePointer<semseg_tensor_t>?, _ target: UnsafePointer<semseg_tensor_t>?,
    _ out: UnsafeMutablePointer<Int64>?, _ outLen: Int64,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let m = try MetricCatalog.make("confusion_counts", options: try decodeOptions(options, nOptions), countsOnly: true)
        let (x, t, shape) = try decodePair(input, target)
        let counts: [ConfusionCounts]
        switch x.type {
        case .float32: counts = try ConfusionKernel.counts(input: x.view(Float.self, shape: shape), target: t.view(Float.self), metric: m.options)
        case .float64: counts = try ConfusionKernel.counts(input: x.view(Double.self, shape: shape), target: t.view(Double.self), metric: m.options)
        case .int64, .uint8: throw SegLossError(.dtype, argument: "input", "must be float32 or float64, got \(x.type.name)")
        }
        guard outLen == Int64(counts.count * 4) else {
            throw .shape("out", "must hold \(counts.count * 4) values (entries × 4), got \(outLen)")
        }
        for (i, c) in counts.enumerated() {
            out[4 * i] = c.truePositive
            out[4 * i + 1] = c.falsePositive
            out[4 * i + 2] = c.falseNegative
            out[4 * i + 3] = c.trueNegative
        }
    }
}

/// Decodes an (input, target) pair: a float input, and a target of its dtype or an int64
/// label map.
private func decodePair(
    _ input: UnsafePointer<semseg_tensor_t>?, _ target: UnsafePointer<semseg_tensor_t>?
) throws(SegLossError) -> (DecodedTensor, DecodedTarget, TensorShape) {
    let x = try DecodedTensor(input, argument: "input")
    let t = try DecodedTensor(target, argument: "target")
    guard x.type == .float32 || x.type == .float64 else {
        throw SegLossError(.dtype, argument: "input", "must be float32 or float64, got \(x.type.name)")
    }
    let shape = try x.shape("input")
    return (x, try DecodedTarget(t, input: x, inputShape: shape), shape)
}
