// MARK: - Lovász hinge

/// The Lovász hinge (Berman, Rannen Triki & Blaschko, "The Lovász-Softmax loss: a
/// tractable surrogate for the optimization of the intersection-over-union measure in
/// neural networks", CVPR 2018; LOSSES.md §1.6, §2 row 29, §6.9):
///
///     m_i = 1 − z_i s_i,  s_i = 2g_i − 1,   L = Σ_k relu(m_π(k)) Δ_k,
///
/// π sorting the margins in decreasing order and Δ the Jaccard-loss increments of the
/// labels in that order (`LovaszEntryKernel`). Gradient (a.e.): ∂L/∂z_π(k) = −s_π(k)·Δ_k
/// where m_π(k) > 0, else 0. §6.13: z = logit(0.9, 0.2, 0.7, 0.1), g = (1, 0, 1, 0) gives
/// 0.076351 with gradient (0, 0, −0.5, 0).
///
/// - Modes: binary and multilabel, one sort per channel (smp pools the channels of a
///   multilabel input into one sort; LovaszSoftmax's hinge is binary only). Multiclass is
///   refused: use `lovasz_softmax_loss`.
/// - `perImage` (default true, as LovaszSoftmax's `lovasz_hinge`; smp's `LovaszLoss`
///   defaults to false): one entry per (image, channel), else the batch is pooled per
///   channel. Reduction as `LovaszEvaluator`.
/// - Empty target (G = 0): every J_k is 1, Δ = e₁: only the largest margin is penalised
///   (as LovaszSoftmax). Ignored voxels are removed before sorting; all ignored → 0.
/// - Soft targets are accepted: s = 2g − 1 and `lovasz_grad`'s sums run on soft g
///   (Δ stays ≥ 0); the paper assumes g ∈ {0, 1}.
/// - `from_logits = false`: the probabilities are turned into logits, z = log(p̂/(1 − p̂))
///   with p̂ = p clamped to [ε, 1 − ε] (`S.probabilityEpsilon`), and the gradient is with
///   respect to p: (∂L/∂z)/(p(1 − p)), 0 where the clamp is active. The hinge is defined
///   on unnormalised scores (LovaszSoftmax issue #8): logits are the natural input.
public struct LovaszHingeLoss: Sendable, Equatable {
    public var perImage: Bool

    public init(perImage: Bool = true) {
        self.perImage = perImage
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        LovaszEvaluator.outputShape(input: input, options: options, perImage: perImage)
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        guard options.mode != .multiclass else {
            throw .option("mode", "lovasz_hinge_loss is binary/multilabel (a hinge per channel); for exclusive classes use lovasz_softmax_loss")
        }
        let target = try target.requireDense("lovasz_hinge_loss")
        if options.fromLogits {
            return try LovaszEvaluator.evaluate(
                HingeOnLogits<S>(), input: input, target: target, options: options,
                perImage: perImage, presentOnly: false, outputs: outputs)
        }
        return try LovaszEvaluator.evaluate(
            HingeOnProbabilities<S>(), input: input, target: target, options: options,
            perImage: perImage, presentOnly: false, outputs: outputs)
    }
}
