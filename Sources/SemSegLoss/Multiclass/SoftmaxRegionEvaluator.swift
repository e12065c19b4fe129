// MARK: - Region objectives in multiclass mode, fused with the softmax

/// Evaluates a `RegionObjective` in multiclass mode from logits without materialising the
/// softmax probabilities, the dense targets or ∂L/∂p: the same loss and gradient as
/// `MulticlassAdapter` followed by `RegionLossEvaluator`, in two sweeps over blocks of
/// voxels of one image (`SoftmaxKernel.blockSize`), each block's p and targets in a
/// block-sized scratch:
///
/// - pass 1: p = softmax(z) over the channels, the targets of the block (a label map
///   turned one-hot there, `MulticlassTargets`), and the sums TP = Σ p·g, P = Σ p (Σ p²
///   when squared), G = Σ g (Σ g²) and the valid count per (image, class) over the
///   non-ignored voxels; blocks are added in a fixed order (thread-count free);
/// - the entries' terms and reduction (`RegionLossEvaluator.reduceEntries`), giving each
///   row's coefficients a = ∂L/∂TP and b = ∂L/∂P;
/// - pass 2: p again, d_c = a·g_c + b·∂P/∂p_c (0 where ignored), and the softmax chain
///   rule (LOSSES.md §6.12) ∂L/∂z_c = p_c (d_c − Σ_k p_k d_k), written or added once.
///
/// The soft-label intersection and probabilities input (`from_logits = false`) keep the
/// adapter path (`applies`).
enum SoftmaxRegionEvaluator {
    /// Whether the fused path covers the objective under these options.
    static func applies<O: RegionObjective>(_ objective: O, options: LossOptions) -> Bool {
        applies(region: objective.region, options: options)
    }

    /// Whether the fused path covers a loss of the per-row sums with these region options
    /// (also generalized Dice, through `run`).
    static func applies(region: RegionOptions, options: LossOptions) -> Bool {
        options.mode == .multiclass && options.fromLogits && !region.softLabel
    }

    /// A region objective in multiclass mode: fused where `applies`, else through
    /// `MulticlassAdapter` (softmax probabilities and dense targets materialised). The
    /// gradient is multiplied by `scale`; returns the unscaled value.
    static func multiclass<S: SegScalar, O: RegionObjective>(
        _ objective: O, input: TensorView<S>, target: LossTarget<S>, options: LossOptions,
        outputs: LossOutputs<S>, scale: Double = 1
    ) throws(SegLossError) -> Double {
        if applies(objective, options: options) {
            return try evaluate(objective, input: input, target: target, options: options, outputs: outputs, scale: scale)
        }
        return try MulticlassAdapter.evaluate(input: input, target: target, options: options, outputs: outputs) {
            (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
            try RegionLossEvaluator.evaluate(objective, input: p, target: g, options: inner, outputs: out, scale: scale)
        }
    }

    /// The reduced loss (for `none`, the sum of the included entries); the gradient is
    /// multiplied by `scale` and added to the buffer when `accumulate`.
    static func evaluate<S: SegScalar, O: RegionObjective>(
        _ objective: O, input: TensorView<S>, target: LossTarget<S>, options: LossOptions,
        outputs: LossOutputs<S>, scale: Double = 1, accumulate: Bool = false
    ) throws(SegLossError) -> Double {
        try run(
            input: input, target: target, options: options, outputs: outputs, squared: objective.squaredSums,
            accumulate: accumulate,
            validate: { (inner: LossOptions) throws(SegLossError) in
                try RegionLossEvaluator.validate(objective, input: input.shape, target: input.shape, options: inner)
            },
            coefficients: { (stats: [RegionStats], inner: LossOptions) throws(SegLossError) in
                let entries = RegionEntries(shape: input.shape, options: inner, batch: objective.region.batch)
                let (value, weights, terms) = try RegionLossEvaluator.reduceEntries(
                    objective, stats: stats, entries: entries, shape: input.shape, options: inner, outputs: outputs)
                let a = entries.spread((0..<entries.count).map { scale * weights[$0] * terms[$0].dIntersection })
                let b = entries.spread((0..<entries.count).map { scale * weights[$0] * terms[$0].dPrediction })
                return (value, a, b)
            })
    }

    /// The two sweeps around a loss of the per-row sums: `validate` checks the loss under
    /// the inner (multilabel, probabilities) options, and `coefficients` turns the sums of
    /// every (image, class) row into the reduced value (writing `outputs.values`) and each
    /// row's a_r = ∂L/∂TP_r and b_r = ∂L/∂P_r (reduction and any scale included).
    static func run<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>,
        squared: Bool, accumulate: Bool,
        validate: (LossOptions) throws(SegLossError) -> Void,
        coefficients: ([RegionStats], LossOptions) throws(SegLossError) -> (value: Double, a: [Double], b: [Double])
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        let (targets, inner) = try MulticlassAdapter.prepare(shape: shape, target: target, options: options)
        try validate(inner)

        let (stats, bad) = forward(input: input, targets: targets, squared: squared)
        if bad > 0 { try MulticlassAdapter.firstNonFinite(input) }
        let (value, a, b) = try coefficients(stats, inner)
        if let gradient = outputs.gradient {
            backward(
                input: input, targets: targets, squared: squared, a: a, b: b, gradient: gradient,
                accumulate: accumulate)
        }
        return value
    }

    // MARK: Pass 1

    /// Per-row (image, class) sums and the number of non-finite logits.
    static func forward<S: SegScalar>(
        input: TensorView<S>, targets: MulticlassTargets<S>, squared: Bool
    ) -> (stats: [RegionStats], bad: Int) {
        let shape = input.shape, C = shape.channels
        let masked = targets.ignoredVoxels > 0
        let (blocks, perImage) = SoftmaxKernel.mapBlocks(shape, empty: (stats: [RegionStats](), bad: 0)) { n, lo, hi in
            let m = hi - lo
            // p (C·m), the targets (C·m) and the masked p and g of one class (2·m).
            let scratch = UnsafeMutablePointer<S>.allocate(capacity: (2 * C + 2) * m)
            defer { scratch.deallocate() }
            let p = scratch, maskedP = scratch + 2 * C * m, maskedG = maskedP + m
            let bad = SoftmaxKernel.block(input.base, shape, n, lo, hi, p: p, logp: nil, stride: m)
            let (g0, gs) = targets.block(n, lo, hi, scratch: scratch + C * m)
            var valid = m
            if masked {
                var ignored: Int32 = 0
                for i in 0..<m { ignored &+= ElementChecks.bit(g0[i] == MulticlassTargets<S>.ignoredMark) }
                valid = m - Int(ignored)
            }
            let stats = (0..<C).map { c in
                var pc = UnsafePointer(p + c * m), gc = g0 + c * gs
                if masked {
                    for i in 0..<m {
                        // Loads before the selects: `keep ? pc[i] : 0` loads only when
                        // keep holds, and that conditional load kept the loop scalar.
                        let keep = g0[i] != MulticlassTargets<S>.ignoredMark, pv = pc[i], gv = gc[i]
                        maskedP[i] = keep ? pv : 0
                        maskedG[i] = keep ? gv : 0
                    }
                    pc = UnsafePointer(maskedP)
                    gc = UnsafePointer(maskedG)
                }
                let s = BlockSums.region(pc, gc, m, squared: squared)
                return RegionStats(
                    intersection: s.intersection, prediction: s.prediction, target: s.target, valid: Double(valid))
            }
            return (stats, bad)
        }
        var stats = [RegionStats](repeating: RegionStats(), count: shape.rows)
        for (u, block) in blocks.enumerated() {
            let n = u / perImage
            for c in 0..<C { stats[n * C + c] = stats[n * C + c] + block.stats[c] }
        }
        return (stats, blocks.reduce(0) { $0 + $1.bad })
    }

    // MARK: Pass 2

    /// Writes (or adds) ∂L/∂z from the per-row coefficients a_r = ∂L/∂TP_r, b_r = ∂L/∂P_r.
    static func backward<S: SegScalar>(
        input: TensorView<S>, targets: MulticlassTargets<S>, squared: Bool, a: [Double], b: [Double],
        gradient: UnsafeMutablePointer<S>, accumulate: Bool
    ) {
        let shape = input.shape, C = shape.channels, sp = shape.spatialCount
        let masked = targets.ignoredVoxels > 0
        _ = SoftmaxKernel.forEachBlock(shape) { n, lo, hi in
            let m = hi - lo
            // p (C·m), the targets (C·m), d (C·m) and Σ_k p_k d_k (m).
            let scratch = UnsafeMutablePointer<S>.allocate(capacity: (3 * C + 1) * m)
            defer { scratch.deallocate() }
            let p = scratch, d = scratch + 2 * C * m, dot = d + C * m
            _ = SoftmaxKernel.block(input.base, shape, n, lo, hi, p: p, logp: nil, stride: m)
            let (g0, gs) = targets.block(n, lo, hi, scratch: scratch + C * m)
            dot.update(repeating: 0, count: m)
            for c in 0..<C {
                let ac = S(a[n * C + c]), bc = S(b[n * C + c])
                let pc = p + c * m, gc = g0 + c * gs, dc = d + c * m
                if squared {
                    for i in 0..<m { dc[i] = ac * gc[i] + bc * 2 * pc[i] }
                } else {
                    for i in 0..<m { dc[i] = ac * gc[i] + bc }
                }
                if masked {
                    // A multiplication by 0/1, not `dc[i] = keep ? dc[i] : 0`: LLVM turns that
                    // into a conditional store, which kept the loop scalar.
                    for i in 0..<m { dc[i] *= g0[i] != MulticlassTargets<S>.ignoredMark ? 1 : 0 }
                }
                for i in 0..<m { dot[i] += pc[i] * dc[i] }
            }
            for c in 0..<C {
                let pc = p + c * m, dc = d + c * m, gr = gradient + n * C * sp + c * sp + lo
                if accumulate {
                    for i in 0..<m { gr[i] += pc[i] * (dc[i] - dot[i]) }
                } else {
                    for i in 0..<m { gr[i] = pc[i] * (dc[i] - dot[i]) }
                }
            }
            return 0
        }
    }
}
