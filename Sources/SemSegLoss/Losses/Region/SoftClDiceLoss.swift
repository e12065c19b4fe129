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
        guard loss.smooth.isFinite, loss.smooth > 0 else {
            throw .value("smooth", "must be a finite number > 0 (it keeps the ratios of empty skeletons defined), got \(loss.smooth)")
        }
        if let a = loss.diceWeight { try SegLossError.requireInRange(a, 0, 1, "alpha") }
        return loss
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
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
        for k in 0..<count where !input.base[k].isFinite {
            throw .value("input", "must be finite (logits); got \(input.base[k]) at flat index \(k)")
        }
        var p = (0..<count).map { k in Sigmoid(logits: input.base[k]).p }
        return try p.withUnsafeMutableBufferPointer { pb throws(SegLossError) -> Double in
            let probabilities = TensorView(UnsafePointer(pb.baseAddress!), shape: input.shape)
            let value = try evaluateDense(p: probabilities, g: t, options: options, gradient: outputs.gradient)
            if let gradient = outputs.gradient {
                for k in 0..<count { gradient[k] *= pb[k] * (1 - pb[k]) }
            }
            return value
        }
    }

    static func checkProbabilities<S: SegScalar>(_ p: TensorView<S>) throws(SegLossError) {
        for k in 0..<p.shape.count where !(p.base[k] >= 0 && p.base[k] <= 1) {
            throw .value("input", "must hold probabilities in [0, 1] with from_logits=False; got \(p.base[k]) at flat index \(k)")
        }
    }

    /// The loss on probabilities and dense targets (values in [0, 1] or `ignoreIndex`);
    /// gradient w.r.t. p.
    func evaluateDense<S: SegScalar>(
        p: TensorView<S>, g: TensorView<S>, options: LossOptions, gradient: UnsafeMutablePointer<S>?
    ) throws(SegLossError) -> Double {
        let shape = p.shape, C = shape.channels, plane = shape.spatialCount, c0 = options.firstChannel
        let ignore = options.ignoreIndex.map { S($0) }
        for k in 0..<shape.count {
            let v = g.base[k]
            guard (ignore.map { v == $0 } ?? false) || (v >= 0 && v <= 1) else {
                throw .value("target", "must hold values in [0, 1] (or ignore_index); got \(v) at flat index \(k)")
            }
        }
        try Self.checkProbabilities(p)
        let skeleton = SoftSkeleton<S>(spatial: shape.spatial, iterations: iterations)
        let planes = (0..<(shape.batch * C)).filter { $0 % C >= c0 }
        // p and g of one plane with ignored voxels at 0.
        func masked(_ q: Int) -> ([S], [S]) {
            var pp = [S](repeating: 0, count: plane), gg = pp
            for i in 0..<plane {
                let v = g.base[q * plane + i]
                let keep = ignore.map { v != $0 } ?? true
                pp[i] = keep ? p.base[q * plane + i] : 0
                gg[i] = keep ? v : 0
            }
            return (pp, gg)
        }
        // Pass 1: the sums (Σ S_p·g, Σ S_p, Σ S_g·p, Σ S_g, Σ p·g, Σ p, Σ g) per plane.
        // The target's skeletons are kept for pass 2.
        var sums = [[Double]](repeating: [Double](repeating: 0, count: 7), count: planes.count)
        var targetSkeletons = [[S]](repeating: [], count: planes.count)
        sums.withUnsafeMutableBufferPointer { sb in
            targetSkeletons.withUnsafeMutableBufferPointer { tb in
                let out = sb.baseAddress!, kept = tb.baseAddress!
                Parallel.forEachChunk(planes.count, work: planes.count * plane * 40 * (iterations + 1)) { k in
                    let (pp, gg) = masked(planes[k])
                    let sp = pp.withUnsafeBufferPointer { skeleton.forward($0.baseAddress!, record: false).skeleton }
                    let sg = gg.withUnsafeBufferPointer { skeleton.forward($0.baseAddress!, record: false).skeleton }
                    kept[k] = sg
                    var s = [Double](repeating: 0, count: 7)
                    for i in 0..<plane {
                        let a = Double(pp[i]), b = Double(gg[i]), x = Double(sp[i]), y = Double(sg[i])
                        s[0] += x * b; s[1] += x; s[2] += y * a; s[3] += y; s[4] += a * b; s[5] += a; s[6] += b
                    }
                    out[k] = s
                }
            }
        }
        let total = sums.reduce(into: [Double](repeating: 0, count: 7)) { acc, s in for j in 0..<7 { acc[j] += s[j] } }
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
        gradient.update(repeating: 0, count: shape.count)
        Parallel.forEachChunk(planes.count, work: planes.count * plane * 60 * (iterations + 1)) { k in
            let q = planes[k]
            let (pp, gg) = masked(q)
            let (_, tape) = pp.withUnsafeBufferPointer { skeleton.forward($0.baseAddress!, record: true) }
            let sg = targetSkeletons[k]
            let dSkeleton = (0..<plane).map { i in S(skelA * Double(gg[i]) + skelB) }
            let dp = skeleton.backward(tape!, dSkeleton)
            for i in 0..<plane {
                let v = g.base[q * plane + i]
                guard ignore.map({ v != $0 }) ?? true else { continue }
                let direct = sensA * Double(sg[i]) + diceA * Double(gg[i]) + diceB
                gradient[q * plane + i] = dp[i] + S(direct)
            }
        }
        return value
    }
}
