// MARK: - Sensitivity-specificity loss

/// Sensitivity-specificity loss (Brosch et al., "Deep convolutional encoder networks for
/// multiple sclerosis lesion segmentation", MICCAI 2015), per (image, class):
///
///     ℓ = r·Σ(g − p)²g / (Σg + s) + (1 − r)·Σ(g − p)²(1 − g) / (Σ(1 − g) + s)
///     ∂ℓ/∂p_i = 2(p_i − g_i)·[r·g_i/(G + s) + (1 − r)(1 − g_i)/(V − G + s)]
///
/// (LOSSES.md §6.10): a squared error on the foreground, normalised by its volume (a
/// "sensitivity" term, weight r), plus one on the background (a "specificity" term). V is
/// the number of valid voxels, so Σ(1 − g) = V − G. A term whose denominator is 0 (s = 0
/// and an empty or full target) is 0, as its numerator is then 0 too. ℓ ∈ [0, 1].
///
/// `r` (the sensitivity weight) defaults to 0.05, the paper's and NiftyNet's value;
/// SegLoss's `SSLoss` uses r = 0.1 (and names its terms the other way round). `smooth`
/// s (Python `smooth_dr`) defaults to 1, SegLoss's value (NiftyNet: 1e-5).
/// The gradient is not of the form a·g + b: the loss runs on `ElementTermsKernel` with
/// the terms (g − p)²·g and (g − p)²·(1 − g) (`SquaredErrorTerms`).
public struct SensitivitySpecificityLoss: Sendable {
    public var sensitivityWeight: Double
    public var smooth: Double
    /// `true`: sums pooled over the batch per class.
    public var batch: Bool
    public var emptyTarget: EmptyTargetPolicy

    public init(
        sensitivityWeight: Double = 0.05, smooth: Double = 1, batch: Bool = false,
        emptyTarget: EmptyTargetPolicy = .smooth
    ) {
        self.sensitivityWeight = sensitivityWeight
        self.smooth = smooth
        self.batch = batch
        self.emptyTarget = emptyTarget
    }

    public func validate() throws(SegLossError) {
        try SegLossError.requireInRange(sensitivityWeight, 0, 1, "r")
        try SegLossError.requireAtLeast(smooth, 0, "smooth_dr")
        if emptyTarget == .penalizeFalsePositives {
            throw .option("empty", "'penalize_fp' is not available for sensitivity_specificity_loss: its specificity term already charges false positives on an empty target (mean squared error over the background); use 'smooth' or 'skip'")
        }
    }

    /// ℓ of one entry from A = Σ(g − p)²g, B = Σ(g − p)²(1 − g), G and V, and the
    /// coefficients (c_fg, c_bg) of ∂ℓ/∂p_i = 2(p_i − g_i)(c_fg·g_i + c_bg·(1 − g_i)).
    public func term(foreground a: Double, background b: Double, target: Double, valid: Double)
        -> (loss: Double, foreground: Double, background: Double)
    {
        let fgDen = target + smooth, bgDen = max(valid - target, 0) + smooth
        let cf = fgDen > 0 ? sensitivityWeight / fgDen : 0
        let cb = bgDen > 0 ? (1 - sensitivityWeight) / bgDen : 0
        return (cf * a + cb * b, cf, cb)
    }

    // MARK: Evaluation (binary / multilabel; multiclass through `MulticlassAdapter`)

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        try options.validateDense(input: shape, target: target.shape) { () throws(SegLossError) in try validate() }
        let ignore = options.ignoreIndex.map { S($0) }
        let (rows, scan) = ElementTermsKernel.forward(
            input: input, target: target, fromLogits: options.fromLogits, ignore: ignore, SquaredErrorTerms.self)
        try scan.check(input: input, target: target, fromLogits: options.fromLogits, ignoreIndex: ignore)

        let entries = RegionEntries(shape: shape, options: options, batch: batch)
        let pooled = entries.pool(rows, zero: ElementTermSums(), +)
        var losses = [Double](repeating: 0, count: entries.count)
        var included = [Bool](repeating: false, count: entries.count)
        var cf = losses, cb = losses
        for e in 0..<entries.count where pooled[e].valid > 0 {
            if emptyTarget == .skip && pooled[e].target == 0 {
                losses[e] = .nan
                continue
            }
            let s = pooled[e]
            (losses[e], cf[e], cb[e]) = term(foreground: s.first, background: s.second, target: s.target, valid: s.valid)
            included[e] = true
        }
        let (value, weights) = try RegionReduction.reduce(
            losses: losses, included: included, options: options, outputs: outputs)

        if let gradient = outputs.gradient {
            ElementTermsKernel.backward(
                input: input, target: target, fromLogits: options.fromLogits, ignore: ignore, SquaredErrorTerms.self,
                a: entries.spread(cf.indices.map { 2 * weights[$0] * cf[$0] }),
                b: entries.spread(cb.indices.map { 2 * weights[$0] * cb[$0] }),
                gradient: gradient)
        }
        return value
    }
}

// MARK: - Kernel terms

/// (g − p)²·g and (g − p)²·(1 − g); ∂/∂p_i of a·(g − p)²g/2 + b·(g − p)²(1 − g)/2 is
/// (p − g)(a·g + b·(1 − g)) (the factor 2 is in the coefficients).
enum SquaredErrorTerms: ElementTerms {
    @inline(__always)
    static func terms<S: SegScalar>(_ p: S, _ g: S) -> (first: S, second: S) {
        let e2 = (g - p) * (g - p)
        return (e2 * g, e2 * (1 - g))
    }

    @inline(__always)
    static func derivative<S: SegScalar>(_ p: S, _ g: S, _ a: S, _ b: S) -> S {
        (p - g) * (a * g + b * (1 - g))
    }
}
