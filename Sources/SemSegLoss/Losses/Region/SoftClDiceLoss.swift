// MARK: - Soft clDice (Shit et al. 2021)

/// Soft clDice (Shit et al., "clDice — a novel topology-preserving loss function for
/// tubular structure segmentation", CVPR 2021; MONAI `SoftclDiceLoss` and
/// `SoftDiceclDiceLoss`; LOSSES.md §2 rows 33, 54), with the soft skeletons S_p, S_g of the
/// prediction and the target (`SoftSkeleton`, `iterations` steps):
///
///     Tprec = (Σ S_p·g + s)/(Σ S_p + s),   Tsens = (Σ S_g·p + s)/(Σ S_g + s)
///     clDice = 1 − 2·Tprec·Tsens/(Tprec + Tsens)
///     with `diceWeight` α:  (1 − α)·(1 − (2Σ p·g + s)/(Σ p + Σ g + s)) + α·clDice
///
/// Sums run over the whole batch and the kept channels (MONAI's; it always drops channel
/// 0 — pass `include_background = false` for that). ∂/∂p: through Tsens directly
/// (∂Tsens/∂p_i = S_g,i/(Σ S_g + s)) and through Tprec via the skeleton's reverse pass
/// (∂Tprec/∂S_p,i = g_i/(Σ S_p + s) − (Σ S_p·g + s)/(Σ S_p + s)²); the target's skeleton is
/// a constant. Ignored voxels are set to 0 in p and g before the skeletons (they leave
/// every sum). Binary/multilabel: sigmoid per channel; multiclass: softmax
/// (`MulticlassAdapter`). `reduction = none` is refused (one pooled value).
public struct SoftClDiceLoss: Sendable {
    public var iterations: Int
    public var smooth: Double
    /// α of the Dice + clDice form; nil for clDice alone.
    public var diceWeight: Double?

    public init(iterations: Int = 3, smooth: Double = 1, diceWeight: Double? = nil) {
        self.iterations = iterations
        self.smooth = smooth
        self.diceWeight = diceWeight
    }

    var name: String { diceWeight == nil ? "soft_cldice_loss" : "soft_dice_cldice_loss" }

    /// Reads iterations, smooth and (for the Dice form) alpha.
    static func make(_ r: inout OptionReader, dice: Bool) throws(SegLossError) -> SoftClDiceLoss {
        let k = try r.double("iterations", default: 3)
        guard k.isFinite, k >= 0, k <= 1000, k == k.rounded() else {
            throw .value("iterations", "must be an integer in [0, 1000], got \(k)")
        }
        let loss = SoftClDiceLoss(
            iterations: Int(k), smooth: try r.double("smooth", default: 1),
            diceWeight: dice ? try r.double("alpha", default: 0.5) : nil)
        try loss.validate()
        return loss
    }

    /// Iterations in 0...1000, smooth > 0, the Dice form's α in [0, 1].
    public func validate() throws(SegLossError) {
        guard (0...1000).contains(iterations) else {
            throw .value("iterations", "must be an integer in [0, 1000], got \(iterations)")
        }
        guard smooth.isFinite, smooth > 0 else {
            throw .value("smooth", "must be a finite number > 0 (it keeps the ratios of empty skeletons defined), got \(smooth)")
        }
        if let a = diceWeight { try SegLossError.requireInRange(a, 0, 1, "alpha") }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate()
        try CompoundParts.requireReduced(options, name, parts: "pooled")
        if options.mode == .multiclass {
            return try MulticlassAdapter.evaluate(input: input, target: target, options: options, outputs: outputs) {
                (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
                try evaluateDense(p: p, g: g, options: inner, gradient: out.gradient)
            }
        }
        let t = try target.requireDense(name)
        try options.validateDense(input: input.shape, target: t.shape) { () throws(SegLossError) in }
        let count = input.shape.count
        guard options.fromLogits else {
            try Self.checkProbabilities(input)
            return try evaluateDense(p: input, g: t, options: options, gradient: outputs.gradient)
        }
        // σ(z) in the input's precision (pooled scratch), counting non-finite logits on the way.
        return try ScratchBuffers.withBuffer(of: S.self, count: count) { pb throws(SegLossError) -> Double in
            let z = input.base
            var bad: Int32 = 0
            for k in 0..<count {
                bad &+= ElementChecks.badInput(z[k], logits: true)
                pb[k] = Sigmoid(logits: z[k]).p
            }
            if bad > 0 {
                for k in 0..<count where !z[k].isFinite {
                    throw .value("input", "must be finite (logits); got \(z[k]) at flat index \(k)")
                }
            }
            let probabilities = TensorView(UnsafePointer(pb), shape: input.shape)
            let value = try evaluateDense(p: probabilities, g: t, options: options, gradient: outputs.gradient)
            if let gradient = outputs.gradient {
                for k in 0..<count { gradient[k] *= pb[k] * (1 - pb[k]) }
            }
            return value
        }
    }

    static func checkProbabilities<S: SegScalar>(_ p: TensorView<S>) throws(SegLossError) {
        let x = p.base
        var bad: Int32 = 0
        for k in 0..<p.shape.count { bad &+= ElementChecks.badInput(x[k], logits: false) }
        guard bad > 0 else { return }
        for k in 0..<p.shape.count where !(x[k] >= 0 && x[k] <= 1) {
            throw .value("input", "must hold probabilities in [0, 1] with from_logits=False; got \(x[k]) at flat index \(k)")
        }
    }

    /// The loss on probabilities and dense targets (values in [0, 1] or `ignoreIndex`);
    /// gradient w.r.t. p.
    func evaluateDense<S: SegScalar>(
        p: TensorView<S>, g: TensorView<S>, options: LossOptions, gradient: UnsafeMutablePointer<S>?
    ) throws(SegLossError) -> Double {
        let shape = p.shape, C = shape.channels, plane = shape.spatialCount, c0 = options.firstChannel
        let ignore = options.ignoreIndex.map { S($0) }
        // NaN when nothing is ignored: `v == ignored` is then always false.
        let ignored = ignore ?? S.nan
        var badTargets: Int32 = 0
        for k in 0..<shape.count {
            let v = g.base[k]
            badTargets &+= ElementChecks.badTarget(v) & (1 &- ElementChecks.bit(v == ignored))
        }
        if badTargets > 0 {
            for k in 0..<shape.count {
                let v = g.base[k]
                guard (ignore.map { v == $0 } ?? false) || (v >= 0 && v <= 1) else {
                    throw .value("target", "must hold values in [0, 1] (or ignore_index); got \(v) at flat index \(k)")
                }
            }
        }
        try Self.checkProbabilities(p)
        let skeleton = SoftSkeleton<S>(spatial: shape.spatial, iterations: iterations)
        let planes = (0..<(shape.batch * C)).filter { $0 % C >= c0 }
        // p and g of plane q with ignored voxels at 0: the inputs themselves when nothing is
        // ignored, else masked copies in `buffer` (2·plane values).
        func masked(_ q: Int, _ buffer: UnsafeMutablePointer<S>) -> (UnsafePointer<S>, UnsafePointer<S>) {
            let pq = p.base + q * plane, gq = g.base + q * plane
            guard ignore != nil else { return (pq, gq) }
            let pp = buffer, gg = buffer + plane
            for i in 0..<plane {
                let v = gq[i]
                let keep = !(v == ignored)
                pp[i] = keep ? pq[i] : 0
                gg[i] = keep ? v : 0
            }
            return (UnsafePointer(pp), UnsafePointer(gg))
        }
        // Pass 1: the sums (Σ S_p·g, Σ S_p, Σ S_g·p, Σ S_g, Σ p·g, Σ p, Σ g) per plane, in
        // order. The target's skeletons are kept for pass 2.
        let kept = try ScratchBuffers.take(try ScratchBuffers.byteCount(planes.count * plane, of: S.self))
        defer { ScratchBuffers.give(kept) }
        let targetSkeletons = kept.baseAddress!.bindMemory(to: S.self, capacity: max(1, planes.count * plane))
        var sums = [(Double, Double, Double, Double, Double, Double, Double)](repeating: (0, 0, 0, 0, 0, 0, 0), count: planes.count)
        let failures = AllocationFailures()
        sums.withUnsafeMutableBufferPointer { sb in
            let out = sb.baseAddress!
            Parallel.forEachChunk(planes.count, work: planes.count * plane * 40 * (iterations + 1)) { k in
                ScratchBuffers.withBuffer(of: S.self, count: 3 * plane, failures: failures) { buffer in
                    let (pp, gg) = masked(planes[k], buffer)
                    let sp = buffer + 2 * plane, sg = targetSkeletons + k * plane
                    skeleton.skeleton(of: pp, into: sp, failures: failures)
                    skeleton.skeleton(of: gg, into: sg, failures: failures)
                    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0
                    for i in 0..<plane {
                        let a = Double(pp[i]), b = Double(gg[i]), x = Double(sp[i]), y = Double(sg[i])
                        s0 += x * b; s1 += x; s2 += y * a; s3 += y; s4 += a * b; s5 += a; s6 += b
                    }
                    out[k] = (s0, s1, s2, s3, s4, s5, s6)
                }
            }
        }
        try failures.check()
        let total = sums.reduce(into: [Double](repeating: 0, count: 7)) { acc, s in
            acc[0] += s.0; acc[1] += s.1; acc[2] += s.2; acc[3] += s.3; acc[4] += s.4; acc[5] += s.5; acc[6] += s.6
        }
        let sm = smooth
        let tprec = (total[0] + sm) / (total[1] + sm), tsens = (total[2] + sm) / (total[3] + sm)
        let cl = 1 - 2 * tprec * tsens / (tprec + tsens)
        let diceDen = total[5] + total[6] + sm
        let dice = 1 - (2 * total[4] + sm) / diceDen
        let wCl = diceWeight ?? 1, wDice = diceWeight.map { 1 - $0 } ?? 0
        let value = wDice * dice + wCl * cl
        guard let gradient = gradient else { return value }
        // Pass 2: the gradient, plane by plane (the skeleton is recomputed with its tape).
        let sum = (tprec + tsens) * (tprec + tsens)
        let dPrec = -wCl * 2 * tsens * tsens / sum, dSens = -wCl * 2 * tprec * tprec / sum
        let skelA = dPrec / (total[1] + sm), skelB = -dPrec * (total[0] + sm) / ((total[1] + sm) * (total[1] + sm))
        let sensA = dSens / (total[3] + sm)
        let diceA = -wDice * 2 / diceDen, diceB = wDice * (2 * total[4] + sm) / (diceDen * diceDen)
        // Planes of dropped channels get 0; kept planes are written whole.
        for q in 0..<(shape.batch * C) where q % C < c0 { (gradient + q * plane).update(repeating: 0, count: plane) }
        Parallel.forEachChunk(planes.count, work: planes.count * plane * 60 * (iterations + 1)) { k in
            let q = planes[k]
            ScratchBuffers.withBuffer(of: S.self, count: 4 * plane, failures: failures) { buffer in
                let (pp, gg) = masked(q, buffer)
                let dSkeleton = buffer + 2 * plane, dp = buffer + 3 * plane
                for i in 0..<plane { dSkeleton[i] = S(skelA * Double(gg[i]) + skelB) }
                skeleton.gradient(of: pp, dSkeleton: dSkeleton, into: dp, failures: failures)
                let sg = targetSkeletons + k * plane, gq = g.base + q * plane, out = gradient + q * plane
                for i in 0..<plane {
                    let direct = sensA * Double(sg[i]) + diceA * Double(gg[i]) + diceB
                    out[i] = gq[i] == ignored ? 0 : dp[i] + S(direct)
                }
            }
        }
        try failures.check()
        return value
    }
}
