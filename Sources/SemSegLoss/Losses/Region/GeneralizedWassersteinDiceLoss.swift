// MARK: - Generalized Wasserstein Dice loss (Fidon et al. 2017)

/// How the generalized Wasserstein Dice weighs the classes (MONAI `weighting_mode`).
public enum WassersteinWeighting: Int32, Sendable, CaseIterable {
    /// α_l = 0 for the background (class 0), 1 for the others; the denominator adds the
    /// unweighted total error (the paper's form, MONAI's default).
    case standard = 0
    /// α_l = 1/(V_l + 1), V_l the class volume of the entry, also in the denominator (MONAI "GDL").
    case gdl = 1

    public var name: String { self == .standard ? "default" : "GDL" }
}

/// Generalized Wasserstein Dice loss (Fidon et al., "Generalised Wasserstein Dice score for
/// imbalanced multi-class segmentation using holistic convolutional networks", BrainLes
/// 2017; MONAI `GeneralizedWassersteinDiceLoss`; LOSSES.md §2 row 20), multiclass only. With
/// M the C×C distance matrix between classes (scaled so that its largest entry is 1, as
/// MONAI; default 1 − I, every pair of classes at distance 1), per entry (image, or the
/// batch with `batch`):
///
///     W_i = Σ_l g_il Σ_c M[l, c]·p_ic     (the Wasserstein distance of voxel i; one-hot g: M[g_i, ·]·p_i)
///     α_i = Σ_l g_il α_l,   TP = Σ_i α_i (1 − W_i)
///     standard: D = 2TP + Σ_i W_i,   GDL: D = Σ_i α_i (2 − W_i)
///     L = 1 − (2TP + s_n)/(D + s_d)
///
/// Gradient (N = 2TP + s_n, D′ = D + s_d), chained to p by ∂W_i/∂p_ic = Σ_l g_il M[l, c] and
/// through the softmax by `MulticlassAdapter`:
///
///     standard: ∂L/∂W_i = (2α_i D′ + N(1 − 2α_i))/D′²,   GDL: ∂L/∂W_i = α_i (2D′ − N)/D′²
///
/// Soft targets use the expectation over g (one-hot targets give MONAI's values). Ignored
/// voxels leave every sum (and the GDL volumes); an entry without valid voxels, or with
/// D′ = 0, has loss 0 and leaves the mean. `include_background` must stay true (the
/// background's weight is set by α and M). `reduction = none` gives one value per entry.
public struct GeneralizedWassersteinDiceLoss: Sendable {
    /// Row-major C×C distances as given (scaled at evaluation); nil for 1 − I.
    public var distances: [Double]?
    public var weighting: WassersteinWeighting
    public var smoothNumerator: Double
    public var smoothDenominator: Double
    public var batch: Bool

    public init(distances: [Double]? = nil, weighting: WassersteinWeighting = .standard,
                smoothNumerator: Double = 1e-5, smoothDenominator: Double = 1e-5, batch: Bool = false) {
        self.distances = distances
        self.weighting = weighting
        self.smoothNumerator = smoothNumerator
        self.smoothDenominator = smoothDenominator
        self.batch = batch
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        guard options.reduction == .none else { return [] }
        return [batch ? 1 : input.batch]
    }

    /// M scaled to a largest entry of 1, checked against the class count.
    func matrix(classes: Int) throws(SegLossError) -> [Double] {
        guard let d = distances else {
            return (0..<(classes * classes)).map { $0 / classes == $0 % classes ? 0 : 1 }
        }
        guard d.count == classes * classes else {
            throw .shape("dist_matrix", "must be \(classes) x \(classes) (one row and column per class), got \(d.count) entries")
        }
        for (k, v) in d.enumerated() where !(v.isFinite && v >= 0) {
            throw .value("dist_matrix", "entries must be finite and >= 0, got \(v) at row \(k / classes), column \(k % classes)")
        }
        let top = d.max() ?? 0
        guard top > 0 else { throw .value("dist_matrix", "must have a positive entry (all distances are 0)") }
        return d.map { $0 / top }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        guard options.mode == .multiclass else {
            throw .option("mode", "generalized_wasserstein_dice_loss compares exclusive classes (softmax); use mode='multiclass'")
        }
        guard options.includeBackground else {
            throw .option("include_background", "must be True for generalized_wasserstein_dice_loss: the background's part is set by the class weights (0 in the default weighting) and the distance matrix")
        }
        for (x, name) in [(smoothNumerator, "smooth_nr"), (smoothDenominator, "smooth_dr")] {
            try SegLossError.requireAtLeast(x, 0, name)
        }
        let m = try matrix(classes: input.shape.channels)
        return try MulticlassAdapter.evaluate(input: input, target: target, options: options, outputs: outputs) {
            (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
            try evaluateDense(p: p, g: g, matrix: m, options: inner, outputs: out)
        }
    }

    /// The loss on probabilities p and dense targets g (ignored voxels marked with
    /// `options.ignoreIndex` in every channel); gradient w.r.t. p.
    private func evaluateDense<S: SegScalar>(
        p: TensorView<S>, g: TensorView<S>, matrix m: [Double], options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let shape = p.shape, C = shape.channels, n = shape.spatialCount
        // Probabilities given by the caller (from_logits = false) must lie in [0, 1].
        for k in 0..<shape.count where !(p.base[k] >= 0 && p.base[k] <= 1) {
            throw .value("input", "must hold probabilities in [0, 1] with from_logits=False; got \(p.base[k]) at flat index \(k)")
        }
        let entries = batch ? 1 : shape.batch
        let mark = options.ignoreIndex.map { S($0) }
        func skipped(_ b: Int, _ i: Int) -> Bool { mark.map { g.base[b * C * n + i] == $0 } ?? false }
        // Per entry: class volumes (GDL weights), then the sums.
        var alpha = [[Double]](repeating: [Double](repeating: 1, count: C), count: entries)
        var valid = [Int](repeating: 0, count: entries)
        var volumes = [[Double]](repeating: [Double](repeating: 0, count: C), count: entries)
        for b in 0..<shape.batch {
            let e = batch ? 0 : b
            for i in 0..<n where !skipped(b, i) {
                valid[e] += 1
                for l in 0..<C { volumes[e][l] += Double(g.base[(b * C + l) * n + i]) }
            }
        }
        for e in 0..<entries {
            alpha[e] = weighting == .standard ? (0..<C).map { $0 == 0 ? 0 : 1 } : volumes[e].map { 1 / ($0 + 1) }
        }
        // W_i, α_i per voxel (kept for the gradient), TP, total error and the GDL denominator.
        var w = [Double](repeating: 0, count: shape.batch * n), a = w
        var tp = [Double](repeating: 0, count: entries), error = tp, weighted = tp
        for b in 0..<shape.batch {
            let e = batch ? 0 : b
            for i in 0..<n where !skipped(b, i) {
                var wi = 0.0, ai = 0.0
                for l in 0..<C {
                    let gl = Double(g.base[(b * C + l) * n + i])
                    guard gl != 0 else { continue }
                    ai += gl * alpha[e][l]
                    for c in 0..<C { wi += gl * m[l * C + c] * Double(p.base[(b * C + c) * n + i]) }
                }
                w[b * n + i] = wi
                a[b * n + i] = ai
                tp[e] += ai * (1 - wi)
                error[e] += wi
                weighted[e] += ai * (2 - wi)
            }
        }
        var losses = [Double](repeating: 0, count: entries), included = [Bool](repeating: false, count: entries)
        var numerators = losses, denominators = losses
        for e in 0..<entries where valid[e] > 0 {
            let num = 2 * tp[e] + smoothNumerator
            let den = (weighting == .standard ? 2 * tp[e] + error[e] : weighted[e]) + smoothDenominator
            guard den > 0 else { continue }
            losses[e] = 1 - num / den
            included[e] = true
            numerators[e] = num
            denominators[e] = den
        }
        let (value, weights) = try RegionReduction.reduce(losses: losses, included: included, options: options, outputs: outputs)
        guard let gradient = outputs.gradient else { return value }
        gradient.update(repeating: 0, count: shape.count)
        for b in 0..<shape.batch {
            let e = batch ? 0 : b
            guard included[e], weights[e] != 0 else { continue }
            let num = numerators[e], den = denominators[e]
            for i in 0..<n where !skipped(b, i) {
                let ai = a[b * n + i]
                let dW = weighting == .standard
                    ? (2 * ai * den + num * (1 - 2 * ai)) / (den * den)
                    : ai * (2 * den - num) / (den * den)
                let scale = weights[e] * dW
                guard scale != 0 else { continue }
                for l in 0..<C {
                    let gl = Double(g.base[(b * C + l) * n + i])
                    guard gl != 0 else { continue }
                    for c in 0..<C { gradient[(b * C + c) * n + i] += S(scale * gl * m[l * C + c]) }
                }
            }
        }
        return value
    }
}
