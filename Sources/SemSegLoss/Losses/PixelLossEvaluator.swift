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
        try options.validate(for: shape)
        try objective.validate()
        guard options.mode != .multiclass else {
            throw .option("mode", "'multiclass' is not supported by this loss yet; use 'binary' or 'multilabel'")
        }
        guard target.shape == shape else {
            throw .shape("target", "must have the input's shape \(shape), got \(target.shape)")
        }
        let ignore = options.ignoreIndex.map { S($0) }
        let total = shape.count
        let chunks = (total + chunkSize - 1) / chunkSize

        // Denominator of the mean: the valid voxels.
        var validCount = Double(total)
        if let ignore {
            var counts = [Int](repeating: 0, count: chunks)
            counts.withUnsafeMutableBufferPointer { buf in
                let cb = buf.baseAddress!
                Parallel.forEachChunk(chunks, work: total) { c in
                    let lo = c * chunkSize, hi = min(total, lo + chunkSize)
                    var n = 0
                    for i in lo..<hi where target.base[i] != ignore { n += 1 }
                    cb[c] = n
                }
            }
            validCount = Double(counts.reduce(0, +))
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

        var sums = [Double](repeating: 0, count: chunks)
        var scans = [InputScan](repeating: InputScan(), count: chunks)
        sums.withUnsafeMutableBufferPointer { sumBuf in
            scans.withUnsafeMutableBufferPointer { scanBuf in
                let sb = sumBuf.baseAddress!, xb = scanBuf.baseAddress!
                Parallel.forEachChunk(chunks, work: total * 16) { c in
                    let lo = c * chunkSize, hi = min(total, lo + chunkSize)
                    let r = run(objective, input.base, target.base, lo, hi, ignore, options.fromLogits,
                                weight, outputs, accumulate)
                    sb[c] = r.0
                    xb[c] = r.1
                }
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

    @inline(__always)
    static func run<S: SegScalar, O: PixelObjective>(
        _ objective: O, _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int,
        _ ignore: S?, _ fromLogits: Bool, _ weight: S, _ outputs: LossOutputs<S>, _ accumulate: Bool
    ) -> (Double, InputScan) {
        var lossD = SIMD8<Double>()
        var badIn = SIMD8<S>(), badT = SIMD8<S>()
        var i = lo
        while i < hi {
            var acc = SIMD8<S>()
            let blockEnd = min(hi, i + 8 * 32)
            while i < blockEnd {
                let z = VectorIO.load(x, i, hi, fill: 0)
                let gRaw = VectorIO.load(t, i, hi, fill: 0)
                let inside = VectorIO.inside(i, hi, S.self)
                var valid = inside
                if let ignore { valid = valid .& (gRaw .!= ignore) }
                let g = gRaw.replacing(with: 0, where: .!valid)
                var (l, d) = objective.evaluate(fromLogits ? z : z.replacing(with: 0.5, where: .!inside), g, fromLogits: fromLogits)
                l = l.replacing(with: 0, where: .!valid)
                d = d.replacing(with: 0, where: .!valid)
                acc += l
                if let values = outputs.values { VectorIO.store(l, values, i, hi) }
                if let gradient = outputs.gradient {
                    var gd = d * weight
                    if let go = outputs.gradOutput { gd *= VectorIO.load(go, i, hi, fill: 0) }
                    if accumulate { gd += VectorIO.load(UnsafePointer(gradient), i, hi, fill: 0) }
                    VectorIO.store(gd, gradient, i, hi)
                }
                let bad = InputScan.badLanes(x: z, g: gRaw, valid: valid, inside: inside, fromLogits: fromLogits)
                badIn += bad.input
                badT += bad.target
                i += 8
            }
            lossD += SIMD8<Double>(acc)
        }
        var scan = InputScan()
        scan.badInput = VectorIO.sum(badIn)
        scan.badTarget = VectorIO.sum(badT)
        return (lossD.sum(), scan)
    }
}
