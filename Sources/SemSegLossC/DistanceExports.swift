import CSemSegLoss
import SemSegLoss

// MARK: - Distance-transform section of semsegloss.h

let surfaceMetricNames = StaticCStrings(SurfaceMetricCatalog.names)

@c @implementation
public func semseg_surface_metric_count() -> Int32 { surfaceMetricNames.count }

@c @implementation
public func semseg_surface_metric_name(_ index: Int32) -> UnsafePointer<CChar>? { surfaceMetricNames[index] }

@c @implementation
public func semseg_distance_transform_edt(
    _ mask: UnsafePointer<semseg_tensor_t>?, _ spatialNdim: Int32, _ sampling: UnsafePointer<Double>?,
    _ nSampling: Int32, _ out: UnsafeMutablePointer<Double>?, _ outLen: Int64,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let m = try DecodedMask(mask, spatialNdim: spatialNdim, outLen: outLen)
        let spacing = try decodeSpacing(sampling, nSampling, argument: "sampling")
        try EuclideanDistanceTransform.computeBatch(
            masks: m.data, batch: m.batch, spatial: m.spatial, spacing: spacing, into: out)
    }
}

@c @implementation
public func semseg_signed_distance(
    _ mask: UnsafePointer<semseg_tensor_t>?, _ spatialNdim: Int32, _ sampling: UnsafePointer<Double>?,
    _ nSampling: Int32, _ convention: Int32, _ degenerate: Int32, _ out: UnsafeMutablePointer<Double>?,
    _ outLen: Int64, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let m = try DecodedMask(mask, spatialNdim: spatialNdim, outLen: outLen)
        let spacing = try decodeSpacing(sampling, nSampling, argument: "sampling")
        let policy: SignedDistance.DegenerateMaskPolicy
        switch degenerate {
        case SEMSEG_DEGENERATE_ZERO: policy = .zero
        case SEMSEG_DEGENERATE_INF: policy = .infinity
        default: throw .option("degenerate", "unknown code \(degenerate); expected 0 (zero) or 1 (inf)")
        }
        do throws(SegLossError) {
            switch convention {
            case SEMSEG_SDF_BOUNDARY_LOSS, SEMSEG_SDF_SYMMETRIC:
                try SignedDistance.compute(
                    masks: m.data, batch: m.batch, spatial: m.spatial, spacing: spacing,
                    convention: convention == SEMSEG_SDF_BOUNDARY_LOSS ? .boundaryLoss : .symmetric,
                    degenerate: policy, into: out)
            case SEMSEG_SDF_TWO_SIDED:
                try SignedDistance.twoSided(
                    masks: m.data, batch: m.batch, spatial: m.spatial, spacing: spacing,
                    degenerate: policy, into: out)
            default:
                throw .option("convention", "unknown code \(convention); expected 0 (boundary_loss), 1 (symmetric) or 2 (two_sided)")
            }
        } catch {
            // The core names the spacing `spacing`; this function's argument is `sampling`.
            var e = error
            if e.argument == "spacing" { e.argument = "sampling" }
            throw e
        }
    }
}

@c @implementation
public func semseg_surface_metric_output_shape(
    _ metric: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
    _ input: UnsafePointer<semseg_tensor_t>?, _ outShape: UnsafeMutablePointer<Int64>?,
    _ outNdim: UnsafeMutablePointer<Int32>?, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let outShape else { return nullPointer("out_shape", err, errLen) }
    guard let outNdim else { return nullPointer("out_ndim", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let m = try SurfaceMetricCatalog.make(
            try decodeName(metric, argument: "metric"), options: try decodeOptions(options, nOptions))
        let shape = try DecodedTensor(input, argument: "input").shape("input")
        try m.options.validate(for: shape)
        writeShape(m.outputShape(input: shape), outShape, outNdim)
    }
}

@c @implementation
public func semseg_surface_metric(
    _ metric: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?, _ nOptions: Int64,
    _ input: UnsafePointer<semseg_tensor_t>?, _ target: UnsafePointer<semseg_tensor_t>?,
    _ spacing: UnsafePointer<Double>?, _ nSpacing: Int32,
    _ value: UnsafeMutablePointer<Double>?, _ values: UnsafeMutablePointer<Double>?, _ valuesLen: Int64,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let value else { return nullPointer("value", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let m = try SurfaceMetricCatalog.make(
            try decodeName(metric, argument: "metric"), options: try decodeOptions(options, nOptions),
            spacing: try decodeSpacing(spacing, nSpacing, argument: "spacing"))
        let x = try DecodedTensor(input, argument: "input")
        guard x.type == .float32 || x.type == .float64 else {
            throw SegLossError(.dtype, argument: "input", "must be float32 or float64, got \(x.type.name)")
        }
        let shape = try x.shape("input")
        let t = try DecodedTarget(DecodedTensor(target, argument: "target"), input: x, inputShape: shape)
        let result: (value: Double, values: [Double])
        switch x.type {
        case .float32: result = try m.evaluate(input: x.view(Float.self, shape: shape), target: t.view(Float.self))
        case .float64: result = try m.evaluate(input: x.view(Double.self, shape: shape), target: t.view(Double.self))
        case .int64, .uint8: throw SegLossError(.dtype, argument: "input", "must be float32 or float64, got \(x.type.name)")
        }
        if let values {
            guard valuesLen == Int64(result.values.count) else {
                throw .shape("values", "must hold \(result.values.count) values (N x C'), got \(valuesLen)")
            }
            for (i, v) in result.values.enumerated() { values[i] = v }
        }
        value.pointee = result.value
    }
}

// MARK: - Argument decoding

/// A validated mask argument: uint8 data of shape (*batch, *spatial).
private struct DecodedMask {
    let data: UnsafePointer<UInt8>
    let batch: Int
    let spatial: [Int]

    init(_ t: UnsafePointer<semseg_tensor_t>?, spatialNdim: Int32, outLen: Int64) throws(SegLossError) {
        let d = try DecodedTensor(t, argument: "mask")
        guard d.type == .uint8 else {
            throw SegLossError(.dtype, argument: "mask", "must be a uint8 (or bool) array, got \(d.type.name)")
        }
        guard (1...3).contains(spatialNdim) else {
            throw .shape("mask", "the number of spatial axes must be 1, 2 or 3, got \(spatialNdim)")
        }
        let k = Int(spatialNdim)
        guard d.dims.count >= k else {
            throw .shape("mask", "has \(d.dims.count) dimensions, fewer than the \(k) spatial axes")
        }
        var batch = 1
        for (axis, n) in d.dims.dropLast(k).enumerated() {
            guard n > 0 else { throw .shape("mask", "every dimension must be positive, got \(n) at axis \(axis)") }
            let (p, overflow) = batch.multipliedReportingOverflow(by: n)
            guard !overflow else { throw .shape("mask", "has too many elements") }
            batch = p
        }
        let spatial = Array(d.dims.suffix(k))
        var count = batch
        for n in spatial {
            guard n > 0 else { throw .shape("mask", "every dimension must be positive (empty arrays are not accepted), got shape \(d.dims)") }
            let (p, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw .shape("mask", "has too many elements") }
            count = p
        }
        guard outLen == Int64(count) else {
            throw .shape("out", "must hold \(count) values (the mask's element count), got \(outLen)")
        }
        self.data = d.data.assumingMemoryBound(to: UInt8.self)
        self.batch = batch
        self.spatial = spatial
    }
}

/// Reads an optional spacing array (NULL with n == 0 means unit spacing).
private func decodeSpacing(_ p: UnsafePointer<Double>?, _ n: Int32, argument: String) throws(SegLossError) -> [Double]? {
    guard n != 0 else { return nil }
    guard n > 0, n <= 8 else { throw .shape(argument, "needs one value per spatial axis, got \(n) values") }
    guard let p else { throw .value(argument, "pointer must not be NULL when its length is \(n)") }
    return (0..<Int(n)).map { p[$0] }
}
