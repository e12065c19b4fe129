// MARK: - The distribution family of the catalogue

/// weighted/balanced BCE, cross-entropy, softmax focal, top-k CE.
public enum DistributionFamily: LossFamily {
    public static let names: [String] = []

    public static func make(_ name: String, _ reader: inout OptionReader, common: LossOptions) throws(SegLossError) -> Self {
        throw .option("loss", "unknown loss '\(name)'")
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        switch self {}
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        switch self {}
    }
}

// MARK: - Softmax focal (focal_loss in multiclass mode)

extension DistributionFamily {
    /// `focal_loss` with `mode = multiclass`: the softmax (categorical) focal loss
    /// −Σ_c α_c g_c (1 − p_c)^γ log p_c with p = softmax(z) (LOSSES.md §2 row 10, §6.8).
    public static func softmaxFocal<S: SegScalar>(
        _ focal: FocalLoss, input: TensorView<S>, target: LossTarget<S>, options: LossOptions,
        outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        throw .option("mode", "'multiclass' is not supported by focal_loss yet")
    }

    /// Unreduced output shape of the softmax focal loss.
    public static func softmaxFocalOutputShape(input: TensorShape, options: LossOptions) -> [Int] {
        options.reduction == .none ? input.dims : []
    }
}
