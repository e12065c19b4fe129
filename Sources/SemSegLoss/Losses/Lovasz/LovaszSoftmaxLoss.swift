// MARK: - Lovász-softmax

/// Which classes Lovász-softmax averages over.
public enum LovaszClasses: Int32, Sendable, CaseIterable {
    /// Classes with G > 0 in the entry (LovaszSoftmax's default `classes='present'`).
    case present = 0
    /// Every kept class (an absent class then contributes its largest error, Δ = e₁).
    case all = 1

    public var name: String { self == .present ? "present" : "all" }
}

/// Lovász-softmax (Berman et al., CVPR 2018; LOSSES.md §1.6, §2 row 30, §6.9): per class c
///
///     e_i = |g_ic − p_ic|,   L_c = Σ_k e_π(k) Δ^c_k,   L = mean over kept classes of L_c,
///
/// π sorting e in decreasing order and Δ^c the Jaccard-loss increments of g_·c in that
/// order (`LovaszEntryKernel`). Gradient: ∂L_c/∂p_ic = Δ^c_rank(i)·sign(p_ic − g_ic), then
/// through the activation.
///
/// - Multiclass: p = softmax(z) over channels (`MulticlassAdapter`: label maps or one-hot /
///   soft targets, ignore_index applied before the one-hot step, softmax chain rule).
///   LovaszSoftmax's `lovasz_softmax` takes probabilities: pass `from_logits = false` for
///   that (smp's `LovaszLoss` applies the softmax itself, as the default here does).
/// - Binary / multilabel: p = σ(z) per channel (the "Lovász-sigmoid" of LovaszSoftmax
///   issue #21, i.e. `classes=[1]` on a one-channel output), each channel a class.
/// - `classes`: `present` (default) averages over the classes with G_c > 0 (absent classes
///   are NaN under `reduction = none`, without gradient); `all` over every kept class.
/// - `perImage` (default false, as LovaszSoftmax): per image, the mean over its classes,
///   then over images; else classes pooled over the batch. Reduction as `LovaszEvaluator`.
/// - All voxels ignored → 0 with zero gradient (LovaszSoftmax PR #14). 2-D and 3-D (the
///   reference's `flatten_probas` is 2-D only).
public struct LovaszSoftmaxLoss: Sendable, Equatable {
    public var perImage: Bool
    public var classes: LovaszClasses

    public init(perImage: Bool = false, classes: LovaszClasses = .present) {
        self.perImage = perImage
        self.classes = classes
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        LovaszEvaluator.outputShape(input: input, options: options, perImage: perImage)
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let present = classes == .present, perImage = perImage
        if options.mode == .multiclass {
            return try MulticlassAdapter.evaluate(
                input: input, target: target, options: options, outputs: outputs, writesWholeGradient: true
            ) {
                (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
                try LovaszEvaluator.evaluate(
                    AbsoluteErrorOnProbabilities<S>(), input: p, target: g, options: inner,
                    perImage: perImage, presentOnly: present, outputs: out)
            }
        }
        let target = try target.requireDense("lovasz_softmax_loss")
        if options.fromLogits {
            return try LovaszEvaluator.evaluate(
                AbsoluteErrorOnLogits<S>(), input: input, target: target, options: options,
                perImage: perImage, presentOnly: present, outputs: outputs)
        }
        return try LovaszEvaluator.evaluate(
            AbsoluteErrorOnProbabilities<S>(), input: input, target: target, options: options,
            perImage: perImage, presentOnly: present, outputs: outputs)
    }
}
