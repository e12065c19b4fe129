// MARK: - Top-k cross-entropy

/// Top-k cross-entropy (SegLoss `TopKLoss`, nnU-Net's `DC_and_topk_loss`; Wu et al.,
/// "Bridging category-level and instance-level semantic image segmentation", 2016):
/// the mean of the k % largest per-voxel cross-entropy values (LOSSES.md §2 row 7), i.e.
/// online hard-voxel mining.
///
///     ℓ_i  = per-voxel CE (multiclass, `CrossEntropyLoss` with its weight / smoothing)
///            or per-element BCE (binary / multilabel)
///     K    = max(1, ⌊k·n/100⌋),  n = number of valid voxels (elements)
///     L    = (1/K) Σ_{i ∈ top-K} ℓ_i
///
/// The gradient is that of the selected voxels only (the selection is piecewise
/// constant): (1/K)·∂ℓ_i/∂x for i in the top K, 0 elsewhere. Ties at the K-th value are
/// broken deterministically by the lower flat index (N, *spatial order; binary and
/// multilabel: input order). The selection is exact and O(n) (`TopKSelection`: a sample
/// picks pivots, one parallel pass counts the values above each, one collects the values
/// of the band between two pivots that holds the K-th largest, and a quickselect on that
/// small set gives the threshold), so the result does not depend on the thread count.
/// Binary and multilabel batches with the background count against a band from a sample
/// of BCE values while computing them instead (`TopKBinaryValues`), which saves the
/// counting pass; without ignore_index and with a reduced loss, that one pass also
/// settles the gradient and collects the band (`TopKBinarySinglePass`).
///
/// Differences from SegLoss: ignored voxels are excluded from n and from the selection
/// (SegLoss counts them as CE 0 in the total), and K ≥ 1 (SegLoss's int(n·k/100) can be 0,
/// giving the mean of nothing, NaN). With class weights the values are the weighted CE
/// and the mean is a plain mean over the K voxels (as SegLoss).
///
/// Reductions: `mean` (above), `sum` (Σ over the top K), `none` (the per-voxel values of
/// the selected voxels, 0 elsewhere; (N, *spatial) in multiclass mode, the input's shape
/// otherwise; grad_output weighs the selected voxels).
public struct TopKCrossEntropyLoss: Sendable {
    /// Percentage of voxels kept, in (0, 100] (default 10, as SegLoss).
    public var k: Double
    public var crossEntropy: CrossEntropyLoss

    public init(k: Double = 10, crossEntropy: CrossEntropyLoss = CrossEntropyLoss()) {
        self.k = k
        self.crossEntropy = crossEntropy
    }

    public func validate() throws(SegLossError) {
        guard k.isFinite, k > 0, k <= 100 else { throw .value("k", "must be a percentage in (0, 100], got \(k)") }
        try crossEntropy.validate()
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate()
        let shape = input.shape
        let multiclass = options.mode == .multiclass
        let count = multiclass ? shape.batch * shape.spatialCount : shape.count
        let scratch = try ScratchBuffers.take(try ScratchBuffers.byteCount(count, of: S.self))
        defer { ScratchBuffers.give(scratch) }
        let values = scratch.baseAddress!.bindMemory(to: S.self, capacity: max(1, count))
        // Invalid voxels (elements) get the value NaN, which the selection never takes.
        var valid = count
        let perVoxel = LossOutputs(gradient: outputs.gradient, values: values)
        if multiclass {
            let targets = try CategoricalEvaluator.prepare(input: input, target: target, options: options)
            let weights = try CategoricalEvaluator.foldedWeights(
                classes: shape.channels, weight: crossEntropy.weight, alpha: nil,
                includeBackground: options.includeBackground)
            _ = try CategoricalEvaluator.sweep(
                CrossEntropyTerm(smoothing: crossEntropy.labelSmoothing, classes: shape.channels),
                targets: targets, classWeights: weights, input: input, fromLogits: options.fromLogits,
                weight: 1, outputs: perVoxel, accumulate: false)
            if targets.ignoredVoxels > 0 {
                valid = try targets.withDense { Self.markIgnoredVoxels(values, dense: $0, shape: shape) }
            }
        } else {
            try crossEntropy.requireBinaryCompatible(mode: options.mode)
            let t = try target.requireDense("top_k_ce_loss")
            if TopKBinaryValues.applies(count: count, includeBackground: options.includeBackground) {
                try options.validateDense(input: shape, target: t.shape) { () throws(SegLossError) in }
                if TopKBinarySinglePass.applies(count: count, options: options),
                   let loss = try TopKBinarySinglePass.evaluate(
                       input: input, target: t.base, fromLogits: options.fromLogits, percent: k,
                       mean: options.reduction == .mean, gradient: outputs.gradient, bandValues: values) {
                    return loss
                }
                let pick = try TopKBinaryValues.evaluate(
                    input: input, target: t.base, ignore: options.ignoreIndex.map { S($0) },
                    fromLogits: options.fromLogits, percent: k, values: values, gradient: outputs.gradient)
                return try Self.finish(pick, values: values, count: count, shape: shape, options: options, outputs: outputs)
            }
            var inner = options
            inner.reduction = .none
            _ = try PixelLossEvaluator.evaluate(BCELoss(), input: input, target: t, options: inner, outputs: perVoxel)
            if options.ignoreIndex != nil || !options.includeBackground {
                valid = Self.markInvalidElements(
                    values, target: t.base, ignore: options.ignoreIndex.map { S($0) },
                    shape: shape, includeBackground: options.includeBackground)
            }
        }
        let pick = TopKSelection.select(values, count: count, valid: valid, percent: k)
        return try Self.finish(pick, values: values, count: count, shape: shape, options: options, outputs: outputs)
    }

    /// Applies the selection to the per-voxel values: the loss, and the outputs (the
    /// gradient scaled per selected voxel, the values under `none`). `pick` nil: nothing
    /// valid, loss 0 with zero gradient and values.
    static func finish<S: SegScalar>(
        _ pick: TopKSelection.Pick<S>?, values: UnsafeMutablePointer<S>, count: Int, shape: TensorShape,
        options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let multiclass = options.mode == .multiclass
        let go = options.reduction == .none ? outputs.gradOutput : nil
        if let go {
            for i in 0..<count where !go[i].isFinite {
                throw .value("grad_output", "must be finite, got \(go[i]) at flat index \(i)")
            }
        }
        guard let pick else {
            if let g = outputs.gradient { g.update(repeating: 0, count: shape.count) }
            if let out = outputs.values, options.reduction == .none { out.update(repeating: 0, count: count) }
            return 0
        }
        let mean: S = options.reduction == .mean ? 1 / S(pick.kept) : 1
        let total = TopKSelection.apply(
            pick, values: values, count: count, scale: mean, gradOutput: go,
            out: options.reduction == .none ? outputs.values : nil, gradient: multiclass ? nil : outputs.gradient)
        if let gradient = outputs.gradient, multiclass {
            // values[i] now holds the factor of voxel i.
            let plane = shape.spatialCount, channels = shape.channels
            for n in 0..<shape.batch {
                let f = values + n * plane
                for c in 0..<channels {
                    let g = gradient + (n * channels + c) * plane
                    for i in 0..<plane { g[i] *= f[i] }
                }
            }
        }
        return options.reduction == .mean ? total / Double(pick.kept) : total
    }

    // MARK: - Invalid voxels

    /// Sets the values of ignored voxels (every channel of the dense target holds
    /// `ignoredMark`) to NaN; returns the number of the others.
    static func markIgnoredVoxels<S: SegScalar>(
        _ values: UnsafeMutablePointer<S>, dense d: UnsafePointer<S>, shape: TensorShape
    ) -> Int {
        let plane = shape.spatialCount, stride = shape.channels * plane, mark = MulticlassTargets<S>.ignoredMark
        var valid = 0
        for n in 0..<shape.batch {
            let v = values + n * plane, t = d + n * stride
            var c: Int32 = 0
            for i in 0..<plane {
                let keep = t[i] != mark
                v[i] = keep ? v[i] : S.nan
                c &+= ElementChecks.bit(keep)
            }
            valid += Int(c)
        }
        return valid
    }

    /// Sets the values of ignored elements (target == `ignore`) and, without the
    /// background, of channel 0 to NaN; returns the number of the others.
    static func markInvalidElements<S: SegScalar>(
        _ values: UnsafeMutablePointer<S>, target: UnsafePointer<S>, ignore: S?, shape: TensorShape,
        includeBackground: Bool
    ) -> Int {
        let count = shape.count
        if let ignore {
            for i in 0..<count { values[i] = target[i] == ignore ? S.nan : values[i] }
        }
        if !includeBackground {
            let plane = shape.spatialCount
            for n in 0..<shape.batch { (values + n * shape.channels * plane).update(repeating: S.nan, count: plane) }
        }
        var valid = 0
        var b = 0
        while b < count {
            let m = min(Blocks.size, count - b), vb = values + b
            var c: Int32 = 0
            for j in 0..<m { c &+= ElementChecks.bit(vb[j] == vb[j]) }
            valid += Int(c)
            b += m
        }
        return valid
    }
}
