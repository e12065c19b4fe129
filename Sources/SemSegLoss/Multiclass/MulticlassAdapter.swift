// MARK: - Multiclass mode for losses defined on probabilities

/// Runs a loss defined on per-channel probabilities (the region losses, Lovász-softmax,
/// …) in multiclass mode: p = softmax(z) over channels (stable, `SoftmaxKernel`), the
/// target turned into dense one-hot/soft form with ignored voxels marked
/// (`MulticlassTargets`), the loss evaluated on (p, g) as in multilabel mode with
/// probabilities, and its gradient ∂L/∂p chained through the softmax (LOSSES.md §6.12):
/// ∂L/∂z_c = p_c (∂L/∂p_c − Σ_k p_k ∂L/∂p_k).
///
/// With `from_logits = false` the input already holds probabilities (not checked to sum
/// to 1) and the gradient is ∂L/∂p. `include_background = false` drops channel 0 from the
/// loss; its logit still receives gradient through the softmax.
public enum MulticlassAdapter {
    /// `dense(p, g, innerOptions, innerOutputs)` evaluates the loss in multilabel mode on
    /// probabilities; `innerOptions` ignores the marked voxels. `writesWholeGradient`: the
    /// loss writes every element of the gradient it is given (the Lovász evaluator zeroes
    /// each entry's rows itself), so the adapter need not zero it first.
    public static func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>,
        writesWholeGradient: Bool = false,
        dense: (TensorView<S>, TensorView<S>, LossOptions, LossOutputs<S>) throws(SegLossError) -> Double
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        let (targets, inner) = try prepare(shape: shape, target: target, options: options)

        return try targets.withDense { (denseTarget) throws(SegLossError) -> Double in
            let g = TensorView(denseTarget, shape: shape)
            guard options.fromLogits else {
                return try dense(input, g, inner, outputs)
            }
            // Softmax probabilities (every element written) in pooled scratch
            // (`ScratchBuffers`); the inner ∂L/∂p goes straight into the gradient (zeroed
            // first: an inner loss may leave elements it does not cover) and the softmax
            // chain rule is applied there in place.
            let gradient = outputs.gradient
            return try ScratchBuffers.withBuffer(of: S.self, count: shape.count) {
                (probabilities: UnsafeMutablePointer<S>) throws(SegLossError) -> Double in
                if SoftmaxKernel.probabilities(input, into: probabilities) > 0 { try firstNonFinite(input) }
                if !writesWholeGradient { gradient?.update(repeating: 0, count: shape.count) }
                let value = try dense(TensorView(probabilities, shape: shape), g, inner, outputs)
                if let gradient {
                    SoftmaxKernel.chain(probabilities: probabilities, gradient: gradient, shape: shape)
                }
                return value
            }
        }
    }

    /// Checks the options and the target against the input shape; returns the checked
    /// targets and the options of the per-channel loss inside: multilabel mode, on
    /// probabilities, ignoring the marked voxels.
    static func prepare<S: SegScalar>(
        shape: TensorShape, target: LossTarget<S>, options: LossOptions
    ) throws(SegLossError) -> (MulticlassTargets<S>, LossOptions) {
        try options.validate(for: shape)
        let targets = try MulticlassTargets<S>(target, shape: shape, ignoreIndex: options.ignoreIndex)
        var inner = options
        inner.mode = .multilabel
        inner.fromLogits = false
        inner.ignoreIndex = targets.ignoredVoxels > 0 ? Double(MulticlassTargets<S>.ignoredMark) : nil
        return (targets, inner)
    }

    /// Throws naming the first non-finite logit.
    static func firstNonFinite<S: SegScalar>(_ input: TensorView<S>) throws(SegLossError) {
        for i in 0..<input.shape.count where !input.base[i].isFinite {
            throw .value("input", "must be finite (logits); got \(input.base[i]) at flat index \(i)")
        }
    }
}
