// MARK: - SSIM loss

/// The structural-similarity loss 1 − SSIM(p, g) (Wang, Bovik, Sheikh & Simoncelli, IEEE
/// TIP 2004; SemSegLoss's `ssim_loss`, MONAI's `SSIMLoss`; LOSSES.md §2 row 34), per
/// (image, channel) between the predicted probabilities p and the target g:
///
///     μ_p = K∗p, μ_g = K∗g, σ_p = K∗p² − μ_p², σ_g = K∗g² − μ_g², σ_pg = K∗(pg) − μ_p μ_g,
///     S_j = (2μ_p μ_g + c₁)(2σ_pg + c₂) / ((μ_p² + μ_g² + c₁)(σ_p + σ_g + c₂)) = A·B/(C·D),
///     SSIM = (1/M) Σ_j S_j,   L = 1 − SSIM,   c₁ = (k₁·R)², c₂ = (k₂·R)²,
///
/// K the normalised Gaussian window (size w = 11, σ = 1.5: MONAI's defaults) applied
/// separably along every spatial axis without padding, so the map has the 'valid' size
/// (n − w + 1 per axis, M positions) as MONAI's `compute_ssim_and_cs`, and no boundary
/// convention is needed. Per (image, channel) scores are reduced like region losses:
/// `none` gives (N, C′), `mean` averages them (MONAI's mean over batch and channels).
///
/// Gradient. With E_pp = K∗p² and E_pg = K∗(pg), S_j depends on p through (μ_p, E_pp,
/// E_pg) at j; from log S = log A + log B − log C − log D:
///
///     α_j = ∂S/∂μ_p = 2μ_g(B − A)/(CD) − 2μ_p S (1/C − 1/D),
///     β_j = ∂S/∂E_pp = −S/D,   γ_j = ∂S/∂E_pg = 2A/(CD),
///
/// and since ∂μ_p,j/∂p_i = K_ji, ∂E_pp,j/∂p_i = 2p_i K_ji, ∂E_pg,j/∂p_i = g_i K_ji:
///
///     ∂L/∂p_i = −(1/M) [(Kᵀα)_i + 2p_i (Kᵀβ)_i + g_i (Kᵀγ)_i],
///
/// three filtered maps, Kᵀ being the adjoint of the valid filter (a 'full' scatter with
/// the same symmetric taps). Logits: times σ'(z_i). A, C ≥ c₁ > 0; D ≥ c₂ up to rounding.
///
/// - Inputs: probabilities (sigmoid of logits with `from_logits`, softmax per voxel in
///   multiclass mode through `MulticlassAdapter`, each class channel against its one-hot
///   target). Targets in [0, 1]; data range R = 1 by default.
/// - Every spatial dimension must be ≥ w (error naming `input` otherwise: pass a smaller
///   odd `win_size`). `ignore_index` is refused: the windowed statistics have no natural
///   way to leave voxels out.
///
/// **Multi-scale** (`scaleWeights` = (w₁, …, w_M)): 1 − MS-SSIM, MS = Π max(v_j, 0)^{w_j} over
/// M scales of 2× average pooling (`MultiScaleSSIM`), the loss the UNet 3+ paper pairs with
/// focal and IoU losses (SemSegLoss's `unet3p_hybrid_loss` names it `ms_ssim_loss` but uses
/// one scale). Wang et al.'s five weights are `SSIMLoss.wangWeights`. Every spatial size must
/// then be ≥ w·2^(M−1) (⌊n/2^(M−1)⌋ ≥ w).
public struct SSIMLoss: Sendable, Equatable {
    public var windowSize: Int
    public var sigma: Double
    public var k1: Double
    public var k2: Double
    public var dataRange: Double
    /// `nil`: single-scale SSIM; else the exponent of each scale of MS-SSIM (finite, > 0).
    public var scaleWeights: [Double]?

    /// Wang, Simoncelli & Bovik (2003)'s weights of five scales (MONAI, pytorch-msssim, TF).
    public static let wangWeights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]

    public init(
        windowSize: Int = 11, sigma: Double = 1.5, k1: Double = 0.01, k2: Double = 0.03, dataRange: Double = 1,
        scaleWeights: [Double]? = nil
    ) {
        self.windowSize = windowSize
        self.sigma = sigma
        self.k1 = k1
        self.k2 = k2
        self.dataRange = dataRange
        self.scaleWeights = scaleWeights
    }

    /// Reads win_size, kernel_sigma, k1, k2, data_range, scale_weights.
    static func make(_ r: inout OptionReader) throws(SegLossError) -> SSIMLoss {
        let w = try r.oddSize("win_size", default: 11, maximum: 1_000_001)
        let loss = SSIMLoss(
            windowSize: w, sigma: try r.double("kernel_sigma", default: 1.5),
            k1: try r.double("k1", default: 0.01), k2: try r.double("k2", default: 0.03),
            dataRange: try r.double("data_range", default: 1), scaleWeights: try r.doubles("scale_weights"))
        try loss.validate()
        return loss
    }

    /// Number of scales (1 for single-scale SSIM).
    var scales: Int { scaleWeights?.count ?? 1 }

    func validate() throws(SegLossError) {
        for (x, name) in [(sigma, "kernel_sigma"), (k1, "k1"), (k2, "k2"), (dataRange, "data_range")] {
            guard x.isFinite, x > 0 else { throw .value(name, "must be a finite number > 0, got \(x)") }
        }
        if let weights = scaleWeights {
            guard !weights.isEmpty, weights.count <= 16 else {
                throw .value("scale_weights", "needs 1 to 16 weights (one per scale), got \(weights.count)")
            }
            for (j, x) in weights.enumerated() where !(x.isFinite && x > 0) {
                throw .value("scale_weights", "must be finite numbers > 0, got \(x) at index \(j)")
            }
        }
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        options.reduction == .none ? [input.batch, input.channels - options.firstChannel] : []
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        if options.ignoreIndex != nil {
            throw .option("ignore_index", "is not supported by ssim_loss (a windowed statistic over whole images); mask or crop the images instead")
        }
        if options.mode == .multiclass {
            return try MulticlassAdapter.evaluate(input: input, target: target, options: options, outputs: outputs) {
                (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
                try SSIMEvaluator.evaluate(self, input: p, target: g, options: inner, outputs: out)
            }
        }
        return try SSIMEvaluator.evaluate(self, input: input, target: target.requireDense("ssim_loss"), options: options, outputs: outputs)
    }
}
