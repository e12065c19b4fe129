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
    /// probabilities; `innerOptions` ignores the marked voxels.
    public static func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>,
        dense: (TensorView<S>, TensorView<S>, LossOptions, LossOutputs<S>) throws(SegLossError) -> Double
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        try options.validate(for: shape)
        let targets = try MulticlassTargets<S>(target, shape: shape, ignoreIndex: options.ignoreIndex)
        var inner = options
        inner.mode = .multilabel
        inner.fromLogits = false
        inner.ignoreIndex = targets.ignoredVoxels > 0 ? Double(MulticlassTargets<S>.ignoredMark) : nil

        var probabilities = [S]()
        if options.fromLogits {
            probabilities = [S](repeating: 0, count: shape.count)
            let bad = probabilities.withUnsafeMutableBufferPointer { SoftmaxKernel.probabilities(input, into: $0.baseAddress!) }
            if bad > 0 { try firstNonFinite(input) }
        }
        var dp = [S]()
        if options.fromLogits && outputs.gradient != nil { dp = [S](repeating: 0, count: shape.count) }

        return try targets.dense.withUnsafeBufferPointer { gb throws(SegLossError) in
            let g = TensorView(gb.baseAddress!, shape: shape)
            guard options.fromLogits else {
                return try dense(input, g, inner, outputs)
            }
            return try probabilities.withUnsafeBufferPointer { pb throws(SegLossError) in
                let p = TensorView(pb.baseAddress!, shape: shape)
                return try dp.withUnsafeMutableBufferPointer { db throws(SegLossError) in
                    var innerOutputs = outputs
                    innerOutputs.gradient = outputs.gradient == nil ? nil : db.baseAddress
                    let value = try dense(p, g, inner, innerOutputs)
                    if let gradient = outputs.gradient {
                        gradient.update(from: db.baseAddress!, count: shape.count)
                        SoftmaxKernel.chain(probabilities: pb.baseAddress!, gradient: gradient, shape: shape)
                    }
                    return value
                }
            }
        }
    }

    /// Throws naming the first non-finite logit.
    static func firstNonFinite<S: SegScalar>(_ input: TensorView<S>) throws(SegLossError) {
        for i in 0..<input.shape.count where !input.base[i].isFinite {
            throw .value("input", "must be finite (logits); got \(input.base[i]) at flat index \(i)")
        }
    }
}
