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

    /// Picks the compiled loop for the options: the common cases — a gradient and no other
    /// output, a gradient added to the caller's (the pixel part of a compound loss), a
    /// gradient and the values (top-k), or the loss alone — have loops of their own; the
    /// others go through scratch.
    static func run<S: SegScalar, O: PixelObjective>(
        _ objective: O, _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int,
        _ ignore: S?, _ fromLogits: Bool, _ weight: S, _ outputs: LossOutputs<S>, _ accumulate: Bool
    ) -> (Double, InputScan) {
        let ig = ignore ?? 0
        let none = UnsafeMutablePointer(mutating: x)  // never written unless Direct*
        if outputs.values == nil, outputs.gradOutput == nil, !accumulate {
            if let gradient = outputs.gradient {
                switch (fromLogits, ignore != nil) {
                case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, DirectGradient.self, gradient, outputs, false)
                case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, DirectGradient.self, gradient, outputs, false)
                case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, DirectGradient.self, gradient, outputs, false)
                case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, DirectGradient.self, gradient, outputs, false)
                }
            }
            switch (fromLogits, ignore != nil) {
            case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, LossOnly.self, none, outputs, false)
            case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, LossOnly.self, none, outputs, false)
            case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, LossOnly.self, none, outputs, false)
            case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, LossOnly.self, none, outputs, false)
            }
        }
        if outputs.values == nil, outputs.gradOutput == nil, accumulate, let gradient = outputs.gradient {
            switch (fromLogits, ignore != nil) {
            case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, DirectAccumulate.self, gradient, outputs, true)
            case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, DirectAccumulate.self, gradient, outputs, true)
            case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, DirectAccumulate.self, gradient, outputs, true)
            case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, DirectAccumulate.self, gradient, outputs, true)
            }
        }
        if outputs.values != nil, outputs.gradOutput == nil, !accumulate, let gradient = outputs.gradient {
            switch (fromLogits, ignore != nil) {
            case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, DirectWithValues.self, gradient, outputs, false)
            case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, DirectWithValues.self, gradient, outputs, false)
            case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, DirectWithValues.self, gradient, outputs, false)
            case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, DirectWithValues.self, gradient, outputs, false)
            }
        }
        switch (fromLogits, ignore != nil) {
        case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, Staged.self, none, outputs, accumulate)
        case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, Staged.self, none, outputs, accumulate)
        case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, Staged.self, none, outputs, accumulate)
        case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, Staged.self, none, outputs, accumulate)
        }
    }

    /// How a chunk delivers ∂ℓ/∂x: `DirectGradient` writes weight·∂ℓ/∂x straight to the
    /// gradient (the only output); `DirectAccumulate` adds it to the gradient (the only
    /// output, no grad_output); `DirectWithValues` also writes ℓ straight to the values
    /// output (no grad_output, no accumulation); `LossOnly` computes the loss alone;
    /// `Staged` writes ℓ and ∂ℓ/∂x of a block to scratch, and simple loops then apply
    /// `outputs` (values, grad_output, accumulation).
    ///
    /// In every mode ℓ of a block goes through scratch and `BlockSums` (fixed lanes), so
    /// that the loss is the same number whatever the mode, and whether or not the element
    /// loop was vectorised: a relaxed sum inside a loop that also stores (the gradient) is
    /// only vectorised when LLVM's run-time overlap check passes, which depends on where
    /// the arrays lie in memory, and the scalar fallback adds in another order (one Float
    /// ulp per block; seen as a flaky loss-only ≠ with-gradient test).
    protocol OutputMode {
        static var direct: Bool { get }
        /// Whether the direct gradient is added to the buffer's old value.
        static var adds: Bool { get }
        static var values: Bool { get }
        static var staged: Bool { get }
    }
    enum DirectGradient: OutputMode {
        static var direct: Bool { true }; static var values: Bool { false }; static var staged: Bool { false }
        static var adds: Bool { false }
    }
    enum DirectAccumulate: OutputMode {
        static var direct: Bool { true }; static var values: Bool { false }; static var staged: Bool { false }
        static var adds: Bool { true }
    }
    enum DirectWithValues: OutputMode {
        static var direct: Bool { true }; static var values: Bool { true }; static var staged: Bool { false }
        static var adds: Bool { false }
    }
    enum LossOnly: OutputMode {
        static var direct: Bool { false }; static var values: Bool { false }; static var staged: Bool { false }
        static var adds: Bool { false }
    }
    enum Staged: OutputMode {
        static var direct: Bool { false }; static var values: Bool { false }; static var staged: Bool { true }
        static var adds: Bool { false }
    }

    /// One chunk: Σℓ over valid elements, the outputs, and validation counts. Options:
    /// logits, ignore_index, and the output mode.
    static func run<S: SegScalar, O: PixelObjective, Logits: StaticFlag, Ignoring: StaticFlag, Mode: OutputMode>(
        _ objective: O, _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int,
        _ ignore: S, _ weight: S, _: Logits.Type, _: Ignoring.Type, _: Mode.Type,
        _ direct: UnsafeMutablePointer<S>, _ outputs: LossOutputs<S>, _ accumulate: Bool
    ) -> (Double, InputScan) {
        let logits = Logits.isOn, ignoring = Ignoring.isOn
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: 2 * Blocks.size)
        defer { scratch.deallocate() }
        let lBuf = scratch, dBuf = scratch + Blocks.size
        let valuesOut = outputs.values ?? direct  // written only by DirectWithValues
        var lossD = 0.0
        var badIn = 0, badT = 0
        var b = lo
        while b < hi {
            let n = min(Blocks.size, hi - b)
            let xb = x + b, tb = t + b, outb = direct + b, valb = valuesOut + b
            var bi: Int32 = 0, bt: Int32 = 0
            for j in 0..<n {
                let z = xb[j], gRaw = tb[j]
                let v = ignoring ? gRaw != ignore : true
                let g = v ? gRaw : 0
                let (l, d) = objective.evaluate(z, g, fromLogits: logits)
                lBuf[j] = v ? l : 0
                if Mode.values { valb[j] = v ? l : 0 }
                if Mode.direct {
                    let w = v ? d * weight : 0
                    outb[j] = Mode.adds ? w + outb[j] : w
                }
                if Mode.staged { dBuf[j] = v ? d : 0 }
                bi &+= ElementChecks.badInput(z, logits: logits)
                bt &+= ElementChecks.badTarget(g)
            }
            if Mode.staged { apply(lBuf, dBuf, b, n, weight, outputs, accumulate) }
            lossD += BlockSums.sum(lBuf, n)
            badIn += Int(bi)
            badT += Int(bt)
            b += n
        }
        var scan = InputScan()
        scan.badInput = Double(badIn)
        scan.badTarget = Double(badT)
        return (lossD, scan)
    }

    /// Writes one block's outputs from scratch: values ← ℓ; gradient ← weight·∂ℓ/∂x
    /// (times grad_output, plus the old gradient when accumulating).
    @inline(never)
    static func apply<S: SegScalar>(
        _ l: UnsafePointer<S>, _ d: UnsafePointer<S>, _ b: Int, _ n: Int, _ weight: S,
        _ outputs: LossOutputs<S>, _ accumulate: Bool
    ) {
        if let values = outputs.values {
            let v = values + b
            for j in 0..<n { v[j] = l[j] }
        }
        guard let gradient = outputs.gradient else { return }
        let gr = gradient + b
        switch (outputs.gradOutput, accumulate) {
        case (let go?, false): let o = go + b; for j in 0..<n { gr[j] = d[j] * weight * o[j] }
        case (let go?, true): let o = go + b; for j in 0..<n { gr[j] = d[j] * weight * o[j] + gr[j] }
        case (nil, false): for j in 0..<n { gr[j] = d[j] * weight }
        case (nil, true): for j in 0..<n { gr[j] = d[j] * weight + gr[j] }
        }
    }
}
