import CSemSegLoss
import SemSegLoss
import SemSegTraining

// MARK: - Training section of semsegloss.h: the model

@c @implementation
public func semseg_unet_create(
    _ inChannels: Int64, _ outChannels: Int64, _ baseChannels: Int64, _ depth: Int64,
    _ batchNorm: Int32, _ seed: UInt64, _ threads: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        guard batchNorm == 0 || batchNorm == 1 else { throw .value("batch_norm", "must be 0 or 1, got \(batchNorm)") }
        let model = try UNet(
            inChannels: Int(inChannels), outChannels: Int(outChannels), baseChannels: Int(baseChannels),
            depth: Int(depth), batchNorm: batchNorm == 1, seed: seed, threads: try nonNegativeInt(threads, "threads"))
        out.pointee = retainedHandle(ModelBox(model))
    }
}

@c @implementation
public func semseg_unet_destroy(_ model: OpaquePointer?) {
    releaseHandle(model, as: ModelBox.self)
}

@c @implementation
public func semseg_unet_info(
    _ model: OpaquePointer?, _ info: UnsafeMutablePointer<semseg_unet_info_t>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let model else { return nullPointer("model", err, errLen) }
    guard let info else { return nullPointer("info", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let box = try unbox(model, as: ModelBox.self, argument: "model", kind: "U-Net")
        let m = box.model, c = m.configuration
        info.pointee = semseg_unet_info_t(
            in_channels: Int64(c.inChannels), out_channels: Int64(c.outChannels),
            base_channels: Int64(c.baseChannels), depth: Int64(c.depth), batch_norm: c.batchNorm ? 1 : 0,
            threads: Int64(m.context.threads), parameter_count: Int64(m.parameterCount))
    }
}

@c @implementation
public func semseg_unet_predict(
    _ model: OpaquePointer?, _ x: UnsafePointer<semseg_tensor_t>?, _ output: Int32, _ threshold: Double,
    _ batchSize: Int64, _ out: UnsafeMutablePointer<Float>?, _ outLen: Int64,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let model else { return nullPointer("model", err, errLen) }
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let box = try unbox(model, as: ModelBox.self, argument: "model", kind: "U-Net")
        let kind: PredictionOutput
        switch output {
        case SEMSEG_PREDICT_LOGITS: kind = .logits
        case SEMSEG_PREDICT_PROBABILITIES: kind = .probabilities
        case SEMSEG_PREDICT_SOFTMAX: kind = .softmax
        case SEMSEG_PREDICT_MASK:
            try SegLossError.requireInRange(threshold, 0, 1, "threshold")
            kind = .mask(threshold: threshold)
        default:
            throw .option("output", "unknown code \(output); expected 0 (logits), 1 (probabilities), 2 (mask) or 3 (softmax)")
        }
        guard batchSize >= 1, batchSize <= 1 << 20 else { throw .value("batch_size", "must be in 1...\(1 << 20), got \(batchSize)") }
        let xs = try Float32Array(x, argument: "x")
        try checkInput(box.model, xs.dims, argument: "x")
        try xs.requireFinite(samples: 0..<xs.dims[0], imageSize: xs.buffer.count / xs.dims[0], argument: "x")
        let c = box.model.configuration
        let expected = try checkedProduct([xs.dims[0], c.outChannels, xs.dims[2], xs.dims[3]], argument: "x")
        guard outLen == Int64(expected) else {
            throw .shape("out", "must hold N·out_channels·H·W = \(expected) values, got out_len \(outLen)")
        }
        try box.locked { m throws(SegLossError) in
            try m.predict(xs.buffer, shape: xs.dims, output: kind, batchSize: Int(batchSize),
                          into: UnsafeMutableBufferPointer(start: out, count: expected))
        }
    }
}

@c @implementation
public func semseg_unet_get_parameters(
    _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ outLen: Int64,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let model else { return nullPointer("model", err, errLen) }
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let box = try unbox(model, as: ModelBox.self, argument: "model", kind: "U-Net")
        let n = box.model.parameterCount
        guard outLen == Int64(n) else { throw .shape("out", "must hold parameter_count = \(n) values, got out_len \(outLen)") }
        try box.locked { m in out.update(from: m.parameters.pointer, count: n) }
    }
}

@c @implementation
public func semseg_unet_set_parameters(
    _ model: OpaquePointer?, _ values: UnsafePointer<Float>?, _ len: Int64,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let model else { return nullPointer("model", err, errLen) }
    guard let values else { return nullPointer("values", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let box = try unbox(model, as: ModelBox.self, argument: "model", kind: "U-Net")
        let n = box.model.parameterCount
        guard len == Int64(n) else { throw .shape("values", "must hold parameter_count = \(n) values, got len \(len)") }
        if let i = (0..<n).first(where: { !values[$0].isFinite }) {
            throw .value("values", "must be finite, got \(values[i]) at index \(i)")
        }
        try box.locked { m in m.parameters.pointer.update(from: values, count: n) }
    }
}

@c @implementation
public func semseg_unet_save(
    _ model: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let model else { return nullPointer("model", err, errLen) }
    guard let path else { return nullPointer("path", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let box = try unbox(model, as: ModelBox.self, argument: "model", kind: "U-Net")
        let p = try decodePath(path)
        try box.locked { m throws(SegLossError) in try m.save(to: p) }
    }
}

@c @implementation
public func semseg_unet_load(
    _ path: UnsafePointer<CChar>?, _ threads: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let path else { return nullPointer("path", err, errLen) }
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let model = try UNet.load(from: try decodePath(path), threads: try nonNegativeInt(threads, "threads"))
        out.pointee = retainedHandle(ModelBox(model))
    }
}

// MARK: - Training section of semsegloss.h: the OpenBLAS kernels

@c @implementation
public func semseg_blas_kernels(
    _ core: UnsafeMutablePointer<CChar>?, _ coreLen: Int, _ faster: UnsafeMutablePointer<CChar>?, _ fasterLen: Int
) {
    let name = BLASKernels.coreName
    writeMessage(name, core, coreLen)
    writeMessage(BLASKernels.fasterCore(than: name, cpuFlags: BLASKernels.machineCPUFlags) ?? "", faster, fasterLen)
}
