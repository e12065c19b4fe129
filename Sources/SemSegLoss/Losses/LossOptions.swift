// MARK: - Options shared by every loss

/// How input channels and targets are interpreted (segmentation_models_pytorch's modes).
public enum SegmentationMode: Int32, Sendable, CaseIterable {
    /// One channel, the foreground; sigmoid activation. Target: same shape, values in [0, 1].
    case binary = 0
    /// C independent channels (overlapping labels); sigmoid per channel. Target: same shape.
    case multilabel = 1
    /// C mutually exclusive classes; softmax over channels. Target: integer label map
    /// (N, *spatial) or one-hot/soft (N, C, *spatial).
    case multiclass = 2

    public var name: String {
        switch self {
        case .binary: "binary"
        case .multilabel: "multilabel"
        case .multiclass: "multiclass"
        }
    }
}

/// How per-element (pixel losses) or per-(image, class) (region losses) values are combined.
public enum Reduction: Int32, Sendable, CaseIterable {
    /// Mean over valid entries (ignored pixels and fully ignored images leave the mean).
    case mean = 0
    /// Sum over valid entries.
    case sum = 1
    /// No reduction: pixel losses return the full input shape, region losses (N, C)
    /// (or (C,) with `batch = true`).
    case none = 2
}

/// What region losses do for an (image, class) entry whose target is empty (G = 0).
///
/// With G = 0 the soft Dice is D = s_n / (P + s_d): with MONAI's default smoothing
/// (1e-5) the loss is ~1 as soon as anything is predicted, but its gradient
/// s_n/(P + s_d)² is ~0 (LOSSES.md §4.5), and it is exactly 0 when nothing is predicted.
public enum EmptyTargetPolicy: Int32, Sendable, CaseIterable {
    /// The value follows from the smoothing terms (MONAI / SegLoss behaviour). Default.
    case smooth = 0
    /// Entries with an empty target leave the mean and sum (reported as NaN with
    /// `reduction = none`, and given no gradient). If every entry is skipped the loss is 0.
    case skip = 1
    /// Entries with an empty target count in the mean with the false-positive penalty
    /// ℓ = P/(P + 1), P = Σ p over the entry's valid voxels (Σ p² with squared
    /// predictions, Σ m·p with a soft mask): 0 for an empty prediction, → 1 as P grows,
    /// with ∂ℓ/∂P = 1/(P + 1)² — the soft Dice of SemSegLoss / SegLoss with s = 1 on an
    /// empty target (LOSSES.md §4.5, §4.12; MONAI #7883), whatever the loss's own
    /// formula and smoothing. Entries with a target keep the loss's formula.
    case penalizeFalsePositives = 2

    /// The option's name in messages and in Python (`empty="penalize_fp"`).
    public var name: String {
        switch self {
        case .smooth: "smooth"
        case .skip: "skip"
        case .penalizeFalsePositives: "penalize_fp"
        }
    }
}

/// Options every loss accepts.
public struct LossOptions: Sendable, Equatable {
    public var mode: SegmentationMode
    /// `true`: the input holds logits (sigmoid or softmax applied inside, stably);
    /// `false`: the input holds probabilities in [0, 1] and gradients are w.r.t. them.
    public var fromLogits: Bool
    public var reduction: Reduction
    /// Target value marking pixels to ignore (binary/multilabel: a target value,
    /// e.g. 255 or −1; multiclass: a label). Ignored pixels leave every sum.
    public var ignoreIndex: Double?
    /// Multilabel/multiclass: `false` drops channel 0 from region losses and metrics.
    public var includeBackground: Bool

    public init(
        mode: SegmentationMode = .binary, fromLogits: Bool = true, reduction: Reduction = .mean,
        ignoreIndex: Double? = nil, includeBackground: Bool = true
    ) {
        self.mode = mode
        self.fromLogits = fromLogits
        self.reduction = reduction
        self.ignoreIndex = ignoreIndex
        self.includeBackground = includeBackground
    }

    /// Checks the options against an input shape.
    public func validate(for shape: TensorShape) throws(SegLossError) {
        if let ignoreIndex { try SegLossError.requireFinite(ignoreIndex, "ignore_index") }
        switch mode {
        case .binary:
            guard shape.channels == 1 else {
                throw .shape("input", "mode='binary' expects exactly 1 channel, got shape \(shape) with \(shape.channels) channels; use mode='multilabel' for independent channels or mode='multiclass' for exclusive classes; if these are one-channel maps without their channel axis, pass input[:, None]")
            }
            guard includeBackground else {
                throw .option("include_background", "has no meaning in mode='binary' (the single channel is the foreground); leave it True")
            }
        case .multilabel:
            guard includeBackground || shape.channels > 1 else {
                throw .option("include_background", "False would drop the only channel of shape \(shape)")
            }
        case .multiclass:
            guard shape.channels > 1 else {
                throw .shape("input", "mode='multiclass' needs at least 2 channels (softmax over channels), got shape \(shape); use mode='binary' for one channel")
            }
        }
    }

    /// The checks every dense-target (binary/multilabel) evaluator starts with, in this
    /// order: these options against the input shape, the loss's own parameters
    /// (`checkLoss`), the mode, and the target's shape.
    public func validateDense(
        input: TensorShape, target: TensorShape, checkLoss: () throws(SegLossError) -> Void
    ) throws(SegLossError) {
        try validate(for: input)
        try checkLoss()
        guard mode != .multiclass else {
            throw .option("mode", "'multiclass' is not supported by this loss yet; use 'binary' or 'multilabel'")
        }
        guard target == input else {
            throw input.targetMismatch(target)
        }
    }

    /// First channel kept by region losses and metrics.
    public var firstChannel: Int { includeBackground ? 0 : 1 }
}

/// Options of region (overlap) losses: smoothing and the domain of the sums.
public struct RegionOptions: Sendable, Equatable {
    /// s_n, added to the numerator (MONAI `smooth_nr`, default 1e-5).
    public var smoothNumerator: Double
    /// s_d, added to the denominator (MONAI `smooth_dr`, default 1e-5).
    public var smoothDenominator: Double
    /// `false`: one score per (image, class), then averaged (MONAI default);
    /// `true`: sums pooled over the batch per class (smp, nnU-Net "batch dice").
    public var batch: Bool
    public var emptyTarget: EmptyTargetPolicy
    /// Soft-label intersection TP = Σ min(p, g) instead of Σ p·g (MONAI `soft_label`,
    /// JDTLoss; MONAI #8094): with soft targets the loss is then minimal at p = g. Equal to
    /// Σ p·g for hard targets. ∂TP/∂p_i = 1 where p_i < g_i, 0 where p_i > g_i, ½ at ties
    /// (a subgradient, LOSSES.md §6.1). Linear sums only.
    public var softLabel: Bool
    /// Per-class multipliers w_c of each (image, class) loss before the reduction (MONAI
    /// `DiceLoss(weight=...)`): ℓ_bc → w_c·ℓ_bc, the mean still over the entries (not a
    /// weighted mean, as MONAI). One value per input channel, background included, whatever
    /// `includeBackground` is. `nil`: all 1. Only the overlap losses that call
    /// `validate(classWeights: true)` accept it.
    public var classWeights: [Double]?

    public init(
        smoothNumerator: Double = 1e-5, smoothDenominator: Double = 1e-5, batch: Bool = false,
        emptyTarget: EmptyTargetPolicy = .smooth, softLabel: Bool = false, classWeights: [Double]? = nil
    ) {
        self.smoothNumerator = smoothNumerator
        self.smoothDenominator = smoothDenominator
        self.batch = batch
        self.emptyTarget = emptyTarget
        self.softLabel = softLabel
        self.classWeights = classWeights
    }

    /// Checks the smoothing and the class weights; `classWeights: false` (the losses that
    /// do not support them) refuses any.
    public func validate(classWeights allowed: Bool = false) throws(SegLossError) {
        try SegLossError.requireAtLeast(smoothNumerator, 0, "smooth_nr")
        try SegLossError.requireAtLeast(smoothDenominator, 0, "smooth_dr")
        guard let weights = classWeights else { return }
        guard allowed else {
            throw .option("weight", "class weights of the region term apply to dice_loss, jaccard_loss, tversky_loss and focal_tversky_loss")
        }
        for (c, w) in weights.enumerated() where !(w.isFinite && w >= 0) {
            throw .value("weight", "must be finite numbers >= 0, got \(w) for class \(c)")
        }
    }

    /// Checks that there is one class weight per input channel.
    func checkClassWeights(channels: Int) throws(SegLossError) {
        guard let weights = classWeights, weights.count != channels else { return }
        throw .value("weight", "needs one value per channel (\(channels), background included), got \(weights.count)")
    }
}
