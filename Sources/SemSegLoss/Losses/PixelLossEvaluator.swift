// MARK: - Driving a pixel objective over a batch

/// Evaluates a `PixelObjective` on dense input/target (binary and multilabel modes).
///
/// Ignored voxels (target == `ignoreIndex`) contribute neither to the loss nor to the
/// denominator of the mean, and get a zero gradient; if every voxel is ignored the loss
/// is 0 with a zero gradient. `none` returns the per-voxel losses (0 where ignored).
public enum PixelLossEvaluator {
    @usableFromInline static let chunkSize = 16_384

    public static func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        options.reduction == .none ? input.dims : []
    }

    public static func evaluate<S: SegScalar, O: PixelObjective>(
        _ objective: O, input: TensorView<S>, target: TensorView<S>, options: LossOptions,
        outputs: LossOutputs<S>, scale: Double = 1, accumulate: Bool = false
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        try options.validateDense(input: shape, target: target.shape) { () throws(SegLossError) in try objective.validate() }
        // Only reduction none has per-voxel values to write.
        var outputs = outputs
        if options.reduction != .none { outputs.values = nil }
        if !options.includeBackground {
            return try evaluateWithoutBackground(
                objective, input: input, target: target, options: options, outputs: outputs,
                scale: scale, accumulate: accumulate)
        }
        let ignore = options.ignoreIndex.map { S($0) }
        let total = shape.count
        let chunks = (total + chunkSize - 1) / chunkSize

        // Denominator of the mean: the valid voxels.
        var validCount = Double(total)
        if let ignore {
            var counts = [Double](repeating: 0, count: chunks)
            counts.withUnsafeMutableBufferPointer { buf in
                let cb = buf.baseAddress!
                Parallel.forEachChunk(chunks, work: total) { c in
                    let lo = c * chunkSize, hi = min(total, lo + chunkSize)
                    cb[c] = countValid(target.base, lo, hi, ignore)
                }
            }
            validCount = counts.reduce(0, +)
        }
        if options.reduction == .none, let go = outputs.gradOutput {
            for i in 0..<total where !go[i].isFinite {
                throw .value("grad_output", "must be finite, got \(go[i]) at flat index \(i)")
            }
        }
        let weight: S
        switch options.reduction {
        case .mean: weight = validCount > 0 ? S(scale / validCount) : 0
        case .sum, .none: weight = S(scale)
        }

        let hard = objective.hasHardTargetForm && HardTargetScan.all(target.base, count: total, ignore: ignore)
        var sums = [Double](repeating: 0, count: chunks)
        var scans = [InputScan](repeating: InputScan(), count: chunks)
        sums.withUnsafeMutableBufferPointer { sumBuf in
            scans.withUnsafeMutableBufferPointer { scanBuf in
                objective.specialize(
                    Sweep(
                        input: input, target: target, ignore: ignore, fromLogits: options.fromLogits,
                        weight: weight, outputs: outputs, accumulate: accumulate,
                        sums: sumBuf.baseAddress!, scans: scanBuf.baseAddress!),
                    hardTargets: hard)
            }
        }
        var scan = InputScan()
        for s in scans { scan.merge(s) }
        try scan.check(input: input, target: target, fromLogits: options.fromLogits, ignoreIndex: ignore)
        let sum = sums.reduce(0, +)
        switch options.reduction {
        case .mean: return validCount > 0 ? sum / validCount : 0
        case .sum, .none: return sum
        }
    }

    /// The parallel sweep over all chunks, run with the (specialised) objective: chunk c
    /// writes its loss sum to `sums[c]` and its validation counts to `scans[c]`.
    struct Sweep<S: SegScalar>: PixelObjectiveVisitor {
        let input: TensorView<S>, target: TensorView<S>
        let ignore: S?, fromLogits: Bool, weight: S
        let outputs: LossOutputs<S>, accumulate: Bool
        let sums: UnsafeMutablePointer<Double>, scans: UnsafeMutablePointer<InputScan>

        func visit<O: PixelObjective>(_ objective: O) {
            let total = input.shape.count
            let chunks = (total + chunkSize - 1) / chunkSize
            Parallel.forEachChunk(chunks, work: total * 16) { c in
                let lo = c * chunkSize, hi = min(total, lo + chunkSize)
                let r = run(objective, input.base, target.base, lo, hi, ignore, fromLogits, weight, outputs, accumulate)
                sums[c] = r.0
                scans[c] = r.1
            }
        }
    }

    /// `includeBackground = false` (multilabel): the loss over channels 1..<C only. Each
    /// image's channels 1..<C are contiguous, so they are evaluated image by image as sums
    /// with the mean's weight 1/(valid voxels of all kept channels); channel 0 gets a zero
    /// gradient (and zero values under `none`).
    static func evaluateWithoutBackground<S: SegScalar, O: PixelObjective>(
        _ objective: O, input: TensorView<S>, target: TensorView<S>, options: LossOptions,
        outputs: LossOutputs<S>, scale: Double, accumulate: Bool
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        let plane = shape.spatialCount, kept = (shape.channels - 1) * plane
        let subShape = try TensorShape([1, shape.channels - 1] + Array(shape.spatial))
        var valid = Double(shape.batch * kept)
        if let ignore = options.ignoreIndex.map({ S($0) }) {
            valid = 0
            for n in 0..<shape.batch {
                valid += countValid(target.base + (n * shape.channels + 1) * plane, 0, kept, ignore)
            }
        }
        var sub = options
        sub.includeBackground = true
        sub.reduction = options.reduction == .none ? .none : .sum
        let subScale = options.reduction == .mean ? (valid > 0 ? scale / valid : 0) : scale
        var total = 0.0
        for n in 0..<shape.batch {
            let background = n * shape.channels * plane, offset = background + plane
            if let g = outputs.gradient, !accumulate { g.advanced(by: background).update(repeating: 0, count: plane) }
            if let v = outputs.values { v.advanced(by: background).update(repeating: 0, count: plane) }
            total += try evaluate(
                objective,
                input: TensorView(input.base + offset, shape: subShape),
                target: TensorView(target.base + offset, shape: subShape), options: sub,
                outputs: LossOutputs(
                    gradient: outputs.gradient.map { $0 + offset }, values: outputs.values.map { $0 + offset },
                    gradOutput: outputs.gradOutput.map { $0 + offset }),
                scale: subScale, accumulate: accumulate)
        }
        return options.reduction == .mean ? (valid > 0 ? total / valid : 0) : total
    }

    /// Number of elements of `lo..<hi` whose target is not `ignore`.
    static func countValid<S: SegScalar>(_ t: UnsafePointer<S>, _ lo: Int, _ hi: Int, _ ignore: S) -> Double {
        var n = 0
        for i in lo..<hi { n &+= Int(ElementChecks.bit(t[i] != ignore)) }
        return Double(n)
    }
}
