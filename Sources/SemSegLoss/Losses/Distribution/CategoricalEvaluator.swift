// MARK: - Driving a categorical (softmax) pixel loss over a batch

/// Evaluates a categorical pixel loss ℓ_i = Σ_c t(l_ic, p_ic, g_ic, w_c) (cross-entropy,
/// softmax focal, the terms of top-k CE) in multiclass mode, on (N, C, *spatial) input.
///
/// - Logits: p and l = log p come from `SoftmaxKernel` (stable log-softmax), and the
///   gradient is ∂ℓ/∂z_j = u_j − p_j Σ_c u_c (see `CategoricalTerm`). Probabilities
///   (`from_logits = false`): l = log clamp(p, ε, 1 − ε) with ε = `S.probabilityEpsilon`,
///   ∂ℓ/∂p_j = u_j/p_j where unclamped and 0 where clamped; p need not sum to 1.
/// - Targets: an int64 label map or dense one-hot/soft labels (`MulticlassTargets`:
///   `ignore_index` is applied before any one-hot step). Ignored voxels have loss 0 and a
///   zero gradient in every channel, and leave the mean.
/// - Reduction over voxels: `none` gives (N, *spatial); `mean` divides by the valid voxels,
///   or, when `meanWeights` d is given (class weights), by Σ_i Σ_c d_c g_ic over the valid
///   voxels (PyTorch's weighted mean Σ_i w_{y_i}); a zero denominator gives loss 0.
///
/// Work runs in blocks of voxels of one image (`SoftmaxKernel.blockSize`), in parallel
/// with a fixed split, so results do not depend on the thread count.
public enum CategoricalEvaluator {
    public static func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        options.reduction == .none ? [input.batch] + Array(input.spatial) : []
    }

    /// Per-class weights folded for the terms: weight_c (default 1) × α_c (softmax focal)
    /// × 0 for channel 0 when `include_background` is false. Checks the weight list.
    static func foldedWeights(
        classes: Int, weight: [Double]?, alpha: Double?, includeBackground: Bool
    ) throws(SegLossError) -> [Double] {
        if let weight, weight.count != classes {
            throw .option("weight", "needs one value per class (\(classes) for this input), got \(weight.count)")
        }
        return (0..<classes).map { c in
            let w = weight?[c] ?? 1
            let a = alpha.map { c == 0 ? 1 - $0 : $0 } ?? 1
            return c == 0 && !includeBackground ? 0 : w * a
        }
    }

    // MARK: Evaluation

    /// Loss value (unscaled); the gradient (if requested) is multiplied by `scale` and
    /// added to the buffer's contents when `accumulate` (compound losses).
    static func evaluate<S: SegScalar, T: CategoricalTerm>(
        _ term: T, classWeights: [Double], meanWeights: [Double]?,
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>,
        scale: Double = 1, accumulate: Bool = false
    ) throws(SegLossError) -> Double {
        let targets = try prepare(input: input, target: target, options: options)
        let shape = input.shape
        var outputs = outputs
        if options.reduction != .none {
            outputs.values = nil
            outputs.gradOutput = nil
        } else if let go = outputs.gradOutput {
            for i in 0..<shape.batch * shape.spatialCount where !go[i].isFinite {
                throw .value("grad_output", "must be finite, got \(go[i]) at flat index \(i)")
            }
        }
        var denominator = Double(shape.batch * shape.spatialCount - targets.ignoredVoxels)
        if let meanWeights { denominator = weightedCount(targets, shape: shape, weights: meanWeights) }
        let mean = options.reduction == .mean
        let weight = mean ? (denominator > 0 ? scale / denominator : 0) : scale
        let sum = try sweep(
            term, targets: targets, classWeights: classWeights, input: input, fromLogits: options.fromLogits,
            weight: S(weight), outputs: outputs, accumulate: accumulate)
        return mean ? (denominator > 0 ? sum / denominator : 0) : sum
    }

    /// Validates options (multiclass, C ≥ 2) and builds the checked dense targets.
    static func prepare<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions
    ) throws(SegLossError) -> MulticlassTargets<S> {
        try options.validate(for: input.shape)
        return try MulticlassTargets<S>(target, shape: input.shape, ignoreIndex: options.ignoreIndex)
    }

    /// Σ over valid voxels of Σ_c d_c·g_ic.
    static func weightedCount<S: SegScalar>(_ targets: MulticlassTargets<S>, shape: TensorShape, weights: [Double]) -> Double {
        let C = shape.channels, mark = MulticlassTargets<S>.ignoredMark
        return forEachUnit(shape) { n, lo, hi in
            let m = hi - lo
            let scratch = UnsafeMutablePointer<S>.allocate(capacity: C * m)
            defer { scratch.deallocate() }
            let (g0, gs) = targets.block(n, lo, hi, scratch: scratch)
            var total = 0.0
            for c in 0..<C {
                let gc = g0 + c * gs
                var s: S = 0
                for i in 0..<m { let v = gc[i]; s += g0[i] != mark ? v : 0 }
                total += weights[c] * Double(s)
            }
            return (total, 0)
        }.sum
    }

    /// The sweep: writes values (per voxel, unreduced) and weight·(grad_output)·∂ℓ/∂x, and
    /// returns Σ_i ℓ_i over valid voxels. Throws for bad input values.
    static func sweep<S: SegScalar, T: CategoricalTerm>(
        _ term: T, targets: MulticlassTargets<S>, classWeights: [Double], input: TensorView<S>,
        fromLogits: Bool, weight: S, outputs: LossOutputs<S>, accumulate: Bool
    ) throws(SegLossError) -> Double {
        let shape = input.shape, count = shape.count
        let w = classWeights.map { S($0) }
        let result = w.withUnsafeBufferPointer { wb in
            let block = Block(
                term: term, x: input.base, targets: targets, w: wb.baseAddress!, shape: shape,
                fromLogits: fromLogits, weight: weight, outputs: outputs, accumulate: accumulate)
            return forEachUnit(shape) { n, lo, hi in block.run(n, lo, hi) }
        }
        if result.bad > 0 {
            if fromLogits { try MulticlassAdapter.firstNonFinite(input) }
            for i in 0..<count where !(input.base[i] >= 0 && input.base[i] <= 1) {
                throw .value("input", "must hold probabilities in [0, 1] with from_logits=False; got \(input.base[i]) at flat index \(i)")
            }
        }
        return result.sum
    }

    /// Runs `body(image, lo, hi)` over blocks of voxels in parallel (fixed split) and adds
    /// up its (sum, count) results in block order.
    static func forEachUnit(_ shape: TensorShape, _ body: (Int, Int, Int) -> (Double, Int)) -> (sum: Double, bad: Int) {
        let size = SoftmaxKernel.blockSize
        let perImage = (shape.spatialCount + size - 1) / size
        let units = shape.batch * perImage
        var sums = [Double](repeating: 0, count: units), bads = [Int](repeating: 0, count: units)
        sums.withUnsafeMutableBufferPointer { sb in
            bads.withUnsafeMutableBufferPointer { bb in
                let s = sb.baseAddress!, b = bb.baseAddress!
                Parallel.forEachChunk(units, work: shape.count * 16) { u in
                    let n = u / perImage, lo = (u % perImage) * size
                    (s[u], b[u]) = body(n, lo, min(shape.spatialCount, lo + size))
                }
            }
        }
        return (sums.reduce(0, +), bads.reduce(0, +))
    }
}
