import RealModule

// MARK: - Driving the SSIM loss over a batch

/// Evaluates `SSIMLoss` on dense input and target (binary and multilabel modes; the
/// multiclass mode arrives here through `MulticlassAdapter` with probabilities): one
/// entry per kept (image, channel) plane, planes in parallel, each with its own buffers.
enum SSIMEvaluator {
    static func evaluate<S: SegScalar>(
        _ loss: SSIMLoss, input: TensorView<S>, target: TensorView<S>, options: LossOptions,
        outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        try options.validateDense(input: shape, target: target.shape) { () throws(SegLossError) in try loss.validate() }
        guard shape.spatial.allSatisfy({ $0 >= loss.windowSize }) else {
            throw .shape("input", "ssim_loss needs every spatial dimension >= win_size=\(loss.windowSize) (the window is applied without padding, as MONAI), got shape \(shape); pass a smaller odd win_size")
        }
        let scales = MultiScaleSSIM.pyramid(Array(shape.spatial), scales: loss.scales)
        guard scales[scales.count - 1].allSatisfy({ $0 >= loss.windowSize }) else {
            throw .shape("input", "ssim_loss with \(loss.scales) scales needs every spatial dimension >= win_size * 2^\(loss.scales - 1) = \(loss.windowSize << (loss.scales - 1)) (each scale halves the image), got shape \(shape); pass fewer scale_weights or a smaller odd win_size")
        }
        let C = shape.channels, c0 = options.firstChannel, kept = C - c0, N = shape.batch
        let entryCount = N * kept, spatial = shape.spatialCount
        var weights = [Double](repeating: options.reduction == .mean ? 1 / Double(entryCount) : 1, count: entryCount)
        if options.reduction == .none, let go = outputs.gradOutput {
            for e in 0..<entryCount {
                guard go[e].isFinite else { throw .value("grad_output", "must be finite, got \(go[e]) at index \(e)") }
                weights[e] = Double(go[e])
            }
        }
        let taps = SeparableWindow<S>.gaussian(size: loss.windowSize, sigma: loss.sigma)
        let window = SeparableWindow<S>(taps: taps, spatial: shape.spatial)
        let windows = loss.scaleWeights == nil ? [] : scales.map { SeparableWindow<S>(taps: taps, spatial: $0[...]) }
        let c1 = (loss.k1 * loss.dataRange) * (loss.k1 * loss.dataRange)
        let c2 = (loss.k2 * loss.dataRange) * (loss.k2 * loss.dataRange)

        var losses = [Double](repeating: 0, count: entryCount)
        var scans = [InputScan](repeating: InputScan(), count: entryCount)
        let failures = AllocationFailures()
        losses.withUnsafeMutableBufferPointer { lb in
            scans.withUnsafeMutableBufferPointer { sb in
                let lossOut = lb.baseAddress!, scanOut = sb.baseAddress!
                Parallel.forEachChunk(entryCount, work: shape.count &* 64) { e in
                    let row = (e / kept) * C + c0 + e % kept
                    do throws(SegLossError) {
                        if let scaleWeights = loss.scaleWeights {
                            (lossOut[e], scanOut[e]) = try MultiScaleSSIM.plane(
                                windows, scaleWeights: scaleWeights, x: input.row(row), g: target.row(row),
                                gradient: outputs.gradient.map { $0 + row * spatial },
                                fromLogits: options.fromLogits, c1: c1, c2: c2, weight: weights[e])
                        } else {
                            (lossOut[e], scanOut[e]) = try plane(
                                window, x: input.row(row), g: target.row(row),
                                gradient: outputs.gradient.map { $0 + row * spatial },
                                fromLogits: options.fromLogits, c1: c1, c2: c2, weight: weights[e])
                        }
                    } catch {
                        failures.record(error)
                    }
                }
            }
        }
        try failures.check()
        var scan = InputScan()
        for s in scans { scan.merge(s) }
        if c0 > 0 {
            for n in 0..<N {
                let x = input.row(n * C)
                for i in 0..<spatial { scan.badInput += Double(ElementChecks.badInput(x[i], logits: options.fromLogits)) }
                outputs.gradient?.advanced(by: n * C * spatial).update(repeating: 0, count: spatial)
            }
        }
        try scan.check(input: input, target: target, fromLogits: options.fromLogits, ignoreIndex: nil)
        if options.reduction == .none, let values = outputs.values {
            for e in 0..<entryCount { values[e] = S(losses[e]) }
        }
        return options.reduction == .mean ? losses.reduce(0, +) / Double(entryCount) : losses.reduce(0, +)
    }

    /// 1 − SSIM of one plane; writes weight·∂L/∂x into `gradient` when given.
    static func plane<S: SegScalar>(
        _ window: SeparableWindow<S>, x: UnsafePointer<S>, g: UnsafePointer<S>,
        gradient: UnsafeMutablePointer<S>?, fromLogits: Bool, c1: Double, c2: Double, weight: Double
    ) throws(SegLossError) -> (Double, InputScan) {
        // p, one input field, five statistics, filter work: 8 planes.
        try ScratchBuffers.withBuffer(of: S.self, count: 8 * window.count) { buffer in
            planeStatistics(
                window, x: x, g: g, gradient: gradient, fromLogits: fromLogits, c1: c1, c2: c2, weight: weight,
                buffer: buffer)
        }
    }

    /// `plane` with its eight planes of scratch in `buffer`.
    private static func planeStatistics<S: SegScalar>(
        _ window: SeparableWindow<S>, x: UnsafePointer<S>, g: UnsafePointer<S>,
        gradient: UnsafeMutablePointer<S>?, fromLogits: Bool, c1: Double, c2: Double, weight: Double,
        buffer: UnsafeMutablePointer<S>
    ) -> (Double, InputScan) {
        let n = window.count, m = window.validCount
        let p = buffer, field = buffer + n, work = buffer + 7 * n
        let stat = (0..<5).map { buffer + (2 + $0) * n }  // μp, μg, Epp, Egg, Epg
        var badInput: Int32 = 0, badTarget: Int32 = 0, soft: Int32 = 0
        for i in 0..<n {
            badInput &+= ElementChecks.badInput(x[i], logits: fromLogits)
            badTarget &+= ElementChecks.badTarget(g[i])
            // g is +0 or 1 bit for bit (then g² = g bit for bit).
            soft &+= 1 &- (ElementChecks.bit(g[i] == 1) | ElementChecks.bit(S.unitBits(g[i]) == S.unitBits(0)))
            p[i] = fromLogits ? Sigmoid(logits: x[i]).p : x[i]
        }
        var scan = InputScan()
        scan.badInput = Double(badInput)
        scan.badTarget = Double(badTarget)
        if badInput > 0 || badTarget > 0 { return (0, scan) }
        window.apply(p, into: stat[0], work: work)
        window.apply(g, into: stat[1], work: work)
        for i in 0..<n { field[i] = p[i] * p[i] }
        window.apply(field, into: stat[2], work: work)
        if soft == 0 {
            // Hard labels: g² = g, so E[g²] = μg (the same filter on the same values).
            stat[3].update(from: stat[1], count: m)
        } else {
            for i in 0..<n { field[i] = g[i] * g[i] }
            window.apply(field, into: stat[3], work: work)
        }
        for i in 0..<n { field[i] = p[i] * g[i] }
        window.apply(field, into: stat[4], work: work)

        // The map and its partials α, β, γ (written over μp, Epp, Epg), with one division
        // per position: r = 1/(CD), S = AB·r, 1/C = D·r, 1/D = C·r. Vectorised (the sum
        // of S in relaxed order: lanes fixed by the compiled code, not by threads).
        let mu = stat[0], mug = stat[1], epp = stat[2], egg = stat[3], epg = stat[4]
        var total = 0.0
        for j in 0..<m {
            let mp = Double(mu[j]), mg = Double(mug[j])
            let spp = Double(epp[j]) - mp * mp, sgg = Double(egg[j]) - mg * mg
            let spg = Double(epg[j]) - mp * mg
            let a = 2 * mp * mg + c1, b = 2 * spg + c2
            let c = mp * mp + mg * mg + c1, d = spp + sgg + c2
            let r = 1 / (c * d), s = a * b * r
            total = Relaxed.sum(total, s)
            mu[j] = S(2 * r * (mg * (b - a) - mp * s * (d - c)))
            epp[j] = S(-s * c * r)
            epg[j] = S(2 * a * r)
        }
        let loss = 1 - total / Double(m)
        guard let gradient else { return (loss, scan) }
        window.adjoint(stat[0], into: stat[1], work: work)
        window.adjoint(stat[2], into: stat[3], work: work)
        window.adjoint(stat[4], into: field, work: work)
        let scale = S(-weight / Double(m))
        let ka = stat[1], kb = stat[3]
        for i in 0..<n {
            let d = scale * (ka[i] + 2 * p[i] * kb[i] + g[i] * field[i])
            gradient[i] = fromLogits ? d * Sigmoid(logits: x[i]).derivative : d
        }
        return (loss, scan)
    }
}
