// MARK: - Losses restricted by a voxel mask

extension ConfiguredLoss {
    /// The losses that accept a mask: the overlap losses computed from (TP, P, G) by
    /// `MaskedRegionEvaluator` (MONAI's `MaskedDiceLoss`, generalised).
    public static let maskableNames = [
        "dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "log_cosh_dice_loss", "mcc_loss",
        "asymmetric_similarity_loss", "log_dice_loss",
    ]

    /// Evaluates the loss with voxel weights `mask` ((N or 1, 1, *spatial), values in
    /// [0, 1]); see `MaskedRegionEvaluator`. Other losses throw naming `loss`.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, mask: RegionMask<S>, outputs: LossOutputs<S> = LossOutputs()
    ) throws(SegLossError) -> Double {
        switch function {
        case .dice(let l): return try masked(l, input, target, mask, outputs)
        case .jaccard(let l): return try masked(l, input, target, mask, outputs)
        case .tversky(let l): return try masked(l, input, target, mask, outputs)
        case .focalTversky(let l): return try masked(l, input, target, mask, outputs)
        case .regionFamily(.logCoshDice(let l)): return try masked(l, input, target, mask, outputs)
        case .regionFamily(.mcc(let l)): return try masked(l, input, target, mask, outputs)
        case .regionFamily(.asymmetricSimilarity(let l)): return try masked(l, input, target, mask, outputs)
        case .regionFamily(.logDice(let l)): return try masked(l, input, target, mask, outputs)
        default:
            throw .option("loss", "\(name) does not take a mask; masks apply to the overlap losses \(Self.maskableNames.joined(separator: ", ")) (for the others mark the voxels with ignore_index)")
        }
    }

    private func masked<S: SegScalar, O: RegionObjective>(
        _ objective: O, _ input: TensorView<S>, _ target: LossTarget<S>, _ mask: RegionMask<S>, _ outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        if options.mode == .multiclass {
            return try MulticlassAdapter.evaluate(input: input, target: target, options: options, outputs: outputs) {
                (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
                try MaskedRegionEvaluator.evaluate(objective, input: p, target: g, mask: mask, options: inner, outputs: out)
            }
        }
        return try MaskedRegionEvaluator.evaluate(
            objective, input: input, target: try target.requireDense(name), mask: mask, options: options, outputs: outputs)
    }

    /// Convenience for Swift arrays: `mask` has `maskDims` ((N or 1, 1, *spatial)).
    public func callAsFunction<S: SegScalar>(
        _ input: [S], _ target: [S], mask: [S], maskDims: [Int], shape dims: [Int]
    ) throws(SegLossError) -> LossResult<S> {
        let shape = try TensorShape(dims)
        guard !mask.isEmpty, maskDims.allSatisfy({ $0 > 0 }), mask.count == maskDims.reduce(1, *) else {
            throw .shape("mask", "has \(mask.count) values for shape \(TensorShape.format(maskDims))")
        }
        let outShape = outputShape(input: shape)
        var gradient = [S](repeating: 0, count: shape.count)
        var values = [S](repeating: 0, count: options.reduction == .none ? outShape.reduce(1, *) : 0)
        let value = try input.withTensorView(shape: shape, argument: "input") { x throws(SegLossError) in
            try target.withTensorView(shape: shape, argument: "target") { t throws(SegLossError) in
                try mask.withUnsafeBufferPointer { mb throws(SegLossError) in
                    try gradient.withUnsafeMutableBufferPointer { gb throws(SegLossError) in
                        try values.withUnsafeMutableBufferPointer { vb throws(SegLossError) in
                            try evaluate(input: x, target: .dense(t),
                                         mask: try RegionMask(mb.baseAddress!, dims: maskDims, input: shape),
                                         outputs: LossOutputs(gradient: gb.baseAddress,
                                                              values: options.reduction == .none ? vb.baseAddress : nil))
                        }
                    }
                }
            }
        }
        return LossResult(value: value, gradient: gradient, values: values, valuesShape: outShape)
    }
}
