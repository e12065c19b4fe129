#if canImport(Glibc)
import Glibc
#endif

// MARK: - Hausdorff erosion loss

/// Hausdorff erosion loss (Karimi & Salcudean, "Reducing the Hausdorff Distance in Medical
/// Image Segmentation with Convolutional Neural Networks", IEEE TMI 2020, the HD_ER loss;
/// SegLoss `HausdorffERLoss`, LOSSES.md §2 row 39), per (image, channel) row:
///
///     b₀ = (p − g)²
///     c_k = K ∗ b_{k−1}                      (cross kernel, weights 1/(2d + 1), zero padding)
///     r_k = max(c_k − ½, 0)                  (soft erosion: survives where the mean > ½)
///     b_k = (r_k − min r_k)/(max r_k − min r_k)   (over the row; b_k = r_k if max = min)
///     ℓ_i = Σ_{k=1..K} k^α · b_k,i,          L = mean of ℓ over the valid voxels
///
/// with K = `erosions` (10) and α = 2: error regions that survive many erosions (thick
/// ones, far from where prediction and target agree) weigh most, which approximates the
/// Hausdorff distance. The weights k^α are SegLoss's (k + 1)^α for its k = 0, 1, ….
///
/// **Gradient.** SegLoss computes the loss in NumPy under `no_grad`, so its loss has no
/// gradient at all (SegLoss #21). Here the reverse pass runs through every step: the
/// kernel is self-adjoint (`CrossStencil`), the ReLU passes where c_k > ½, and the
/// min–max normalisation gives, with e = b_k, D = max − min, upstream δ,
///     ∂/∂r_j = δ_j/D − [j = argmin]·(Σδ − Σδ·e)/D − [j = argmax]·(Σδ·e)/D
/// (first index at ties); finally ∂b₀/∂p = 2(p − g), and σ'(z) from logits. The loss is
/// piecewise smooth: central differences agree away from the ReLU's and the extremes' kinks.
///
/// Ignored voxels (target == `ignore_index`) start with b₀ = 0 and leave the mean; the
/// erosions still pass through them. In 3-D the kernel is the 7-point cross with weights
/// 1/7, SegLoss's stated kernel; SegLoss applies it to a (1, x, y, z) array with the
/// kernel's first axis on the channel axis, so its "3-D" erosion never acts along x.
/// Binary/multilabel: sigmoid per channel; multiclass: softmax and one-hot targets
/// (`MulticlassAdapter`), the per-class mean as Kornia's `HausdorffERLoss`.
/// `reduction = none` returns ℓ per voxel (input shape).
public struct HausdorffERLoss: Sendable {
    /// α, the exponent of the step weights.
    public var alpha: Double
    /// K, the number of erosions.
    public var erosions: Int

    public init(alpha: Double = 2, erosions: Int = 10) {
        self.alpha = alpha
        self.erosions = erosions
    }

    /// Reads alpha and erosions.
    static func make(_ r: inout OptionReader) throws(SegLossError) -> HausdorffERLoss {
        let alpha = try r.double("alpha", default: 2)
        try SegLossError.requireInRange(alpha, 0, 10, "alpha")
        let k = try r.double("erosions", default: 10)
        guard k.isFinite, k >= 1, k <= 1000, k == k.rounded() else {
            throw .value("erosions", "must be an integer in [1, 1000], got \(k)")
        }
        return HausdorffERLoss(alpha: alpha, erosions: Int(k))
    }

    /// Checks the parameters (also for values built directly in Swift).
    public func validate() throws(SegLossError) {
        try SegLossError.requireInRange(alpha, 0, 10, "alpha")
        guard erosions >= 1, erosions <= 1000 else {
            throw .value("erosions", "must be an integer in [1, 1000], got \(erosions)")
        }
    }

    static func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        options.reduction == .none ? input.dims : []
    }

    // MARK: Evaluation (binary / multilabel; multiclass through `MulticlassAdapter`)

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        if options.mode == .multiclass {
            return try MulticlassAdapter.evaluate(input: input, target: target, options: options, outputs: outputs) {
                (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
                try evaluateDense(input: p, target: g, options: inner, outputs: out)
            }
        }
        return try evaluateDense(input: input, target: target.requireDense("hausdorff_er_loss"), options: options, outputs: outputs)
    }

    func evaluateDense<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        try options.validateDense(input: shape, target: target.shape) { () throws(SegLossError) in try validate() }
        let ignore = options.ignoreIndex.map { S($0) }
        _ = try DistanceGeometry(batch: shape.rows, spatial: Array(shape.spatial), spacing: nil,
                                 maskArgument: "input", spacingArgument: "spacing")
        let total = shape.count, rowLength = shape.spatialCount
        guard let bytes = DistanceScratch.allocate(UInt8.self, count: 2 * total) else {
            throw DistanceScratch.failure("input", count: 2 * total, of: "uint8")
        }
        defer { DistanceScratch.release(bytes) }
        let valid = bytes + total
        let validCount = try DistanceLossChecks.validate(
            input: input, target: target, options: options, ignore: ignore,
            masks: DistanceMasks(target: bytes, prediction: nil, valid: valid))
        if options.reduction == .none, let go = outputs.gradOutput {
            for i in 0..<total where !go[i].isFinite {
                throw .value("grad_output", "must be finite, got \(go[i]) at flat index \(i)")
            }
        }
        let weight: Double
        switch options.reduction {
        case .mean: weight = validCount > 0 ? 1 / Double(validCount) : 0
        case .sum, .none: weight = 1
        }

        // Rows are independent: each task takes whole rows with its own scratch (the K
        // recorded steps of one row).
        let rows = shape.rows, stencil = CrossStencil(spatial: Array(shape.spatial))
        let steps = erosions
        let stepWeights = (1...steps).map { S(pow(Double($0), alpha)) }
        let perRow = (steps + 4) * rowLength
        var rowSums = [Double](repeating: 0, count: rows)
        var failed = false
        let tasks = min(rows, max(1, Parallel.workerCount))
        rowSums.withUnsafeMutableBufferPointer { sumBuffer in
            let sums = sumBuffer.baseAddress.unsafelyUnwrapped
            Parallel.forEachChunk(tasks, work: total * steps * 16, threshold: 1 << 16) { t in
                guard let scratch = DistanceScratch.allocate(S.self, count: perRow) else {
                    failed = true
                    return
                }
                defer { DistanceScratch.release(scratch) }
                var row = t
                while row < rows {
                    let channel = row % shape.channels
                    let base = row * rowLength
                    if channel < options.firstChannel {
                        for i in base..<(base + rowLength) {
                            outputs.gradient?[i] = 0
                            outputs.values?[i] = 0
                        }
                        sums[row] = 0
                    } else {
                        sums[row] = evaluateRow(
                            input: input.base + base, target: target.base + base, valid: valid + base,
                            count: rowLength, fromLogits: options.fromLogits, weight: S(weight),
                            stepWeights: stepWeights, stencil: stencil, scratch: scratch,
                            gradient: outputs.gradient.map { $0 + base }, values: outputs.values.map { $0 + base },
                            gradOutput: outputs.gradOutput.map { $0 + base })
                    }
                    row += tasks
                }
            }
        }
        if failed { throw DistanceScratch.failure("input", count: perRow, of: S.self == Float.self ? "float32" : "float64") }
        return rowSums.reduce(0, +) * weight
    }

    /// What the reverse pass needs of step k besides b_k: the first indices of the minimum
    /// and maximum of r_k, their difference, and whether every voxel passed the ReLU
    /// (min r_k > 0). Where not all passed, the ReLU let voxel i through iff b_k,i > 0.
    private struct Step<T> {
        var lo = 0, hi = 0, span: T, allActive = false
    }

    /// One row, in the input's precision: the forward steps (recorded), Σ ℓ over its valid
    /// voxels (unweighted, in Double), and the gradient (× weight × grad_output) by the
    /// reverse pass.
    private func evaluateRow<S: SegScalar>(
        input: UnsafePointer<S>, target: UnsafePointer<S>, valid: UnsafePointer<UInt8>, count n: Int,
        fromLogits: Bool, weight: S, stepWeights: [S], stencil: CrossStencil,
        scratch: UnsafeMutablePointer<S>,
        gradient: UnsafeMutablePointer<S>?, values: UnsafeMutablePointer<S>?, gradOutput: UnsafePointer<S>?
    ) -> Double {
        let steps = stepWeights.count
        // Layout: b_1 … b_K (K·n), then b₀ (later the upstream u), ℓ, the adjoint, work.
        let levels = scratch, b0 = scratch + steps * n, loss = b0 + n, adjoint = loss + n, work = adjoint + n
        for i in 0..<n {
            let x = input[i]
            let p = fromLogits ? Sigmoid(logits: x).p : x
            let d: S = valid[i] != 0 ? p - target[i] : 0
            b0[i] = d * d
            work[i] = d  // p − g, kept for the last step of the reverse pass
            loss[i] = 0
        }
        var record = [Step<S>](repeating: Step(span: 0), count: steps)
        var previous = UnsafePointer(b0)
        for k in 0..<steps {
            let level = levels + k * n
            stencil.apply(previous, into: level)
            let (lo, hi) = Self.rectifyAndExtremes(level, count: n)
            let low = level[lo], high = level[hi]
            let step = Step(lo: lo, hi: hi, span: high - low, allActive: low > 0)
            let w = stepWeights[k]
            if step.span > 0 {
                let inv = 1 / step.span
                for i in 0..<n {
                    let e = (level[i] - low) * inv
                    level[i] = e
                    loss[i] += w * e
                }
            } else {
                for i in 0..<n { loss[i] += w * level[i] }
            }
            record[k] = step
            previous = UnsafePointer(level)
        }
        var sum = 0.0
        for i in 0..<n where valid[i] != 0 { sum += Double(loss[i]) }
        if let values {
            for i in 0..<n { values[i] = valid[i] != 0 ? loss[i] : 0 }
        }
        guard let gradient else { return sum }

        // Reverse pass. u_i = ∂L/∂ℓ_i (in b₀'s place); `adjoint` holds ∂L/∂b_k going down.
        // p − g moves from `work` to `loss` (ℓ is no longer needed).
        let upstream = b0
        for i in 0..<n {
            let go = gradOutput?[i] ?? 1
            upstream[i] = valid[i] != 0 ? weight * go : 0
            adjoint[i] = 0
            loss[i] = work[i]
        }
        for k in stride(from: steps - 1, through: 0, by: -1) {
            let level = levels + k * n, w = stepWeights[k], step = record[k]
            // δ = ∂L/∂b_k (from b_{k+1}'s adjoint) + w_k·u, into `work`; Σδ and Σδ·b_k.
            let (total, dotE) = Self.deltaAndSums(adjoint, upstream, level, w, into: work, count: n)
            let scale: S = step.span > 0 ? 1 / step.span : 1
            let all = step.allActive
            for i in 0..<n {
                let passes = ElementChecks.either(all, level[i] > 0)
                work[i] = passes ? work[i] * scale : 0
            }
            if step.span > 0 {
                if all || level[step.lo] > 0 { work[step.lo] -= S(total - dotE) * scale }
                if all || level[step.hi] > 0 { work[step.hi] -= S(dotE) * scale }
            }
            stencil.apply(UnsafePointer(work), into: adjoint)
        }
        let difference = loss
        for i in 0..<n {
            let dp: S = fromLogits ? Sigmoid(logits: input[i]).derivative : 1
            let g = 2 * difference[i] * adjoint[i] * dp
            gradient[i] = valid[i] != 0 ? g : 0
        }
        return sum
    }

    /// r = max(c − ½, 0) in place, and the first indices of min r and max r. r ≥ +0 and finite, so the bit
    /// patterns order like the values: the extremes are integer min/max reductions, which
    /// vectorise (a floating-point min/max loop stays scalar: NaN semantics).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    private static func rectifyAndExtremes<S: SegScalar>(_ c: UnsafeMutablePointer<S>, count n: Int) -> (Int, Int) {
        var lowBits = S.UnitBits.max, highBits = S.UnitBits.min
        let half: S = 0.5
        for i in 0..<n {
            let v = c[i]
            let r: S = v > half ? v - half : 0
            c[i] = r
            let bits = S.unitBits(r)
            lowBits = Swift.min(lowBits, bits)
            highBits = Swift.max(highBits, bits)
        }
        let lo = (0..<n).first { S.unitBits(c[$0]) == lowBits } ?? 0
        let hi = (0..<n).first { S.unitBits(c[$0]) == highBits } ?? 0
        return (lo, hi)
    }

    /// δ_i = a_i + w·u_i into `out`, then Σδ and Σδ·e in fixed lanes (`BlockSums.region`:
    /// deterministic), returned in Double.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    private static func deltaAndSums<S: SegScalar>(
        _ a: UnsafePointer<S>, _ u: UnsafePointer<S>, _ e: UnsafePointer<S>, _ w: S,
        into out: UnsafeMutablePointer<S>, count n: Int
    ) -> (Double, Double) {
        for i in 0..<n { out[i] = a[i] + w * u[i] }
        let sums = BlockSums.region(UnsafePointer(out), e, n, squared: false)
        return (sums.prediction, sums.intersection)
    }
}
