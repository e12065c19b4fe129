// MARK: - Helpers shared by the compound losses

/// Pieces every compound loss (a weighted sum of parts evaluated by the catalogue's
/// evaluators) needs: the refusal of `reduction = none`, and adding the gradient of a
/// part that cannot accumulate in place (multiclass parts run through
/// `MulticlassAdapter`, which overwrites its gradient buffer).
enum CompoundParts {
    /// Compound losses return one number: their parts have different unreduced shapes
    /// ((N, C) entries for region parts, voxels for pixel parts).
    static func requireReduced(_ options: LossOptions, _ loss: String, parts: String) throws(SegLossError) {
        guard options.reduction != .none else {
            throw .option("reduction", "'none' is not available for \(loss) (the \(parts) parts have different shapes); use 'mean' or 'sum', or call the parts separately")
        }
    }

    /// Throws unless `x` ∈ [0, 1] (mixing weights, δ, …).
    static func requireUnit(_ x: Double, _ argument: String) throws(SegLossError) {
        try SegLossError.requireInRange(x, 0, 1, argument)
    }

    /// Runs `first` with the caller's outputs (it writes the gradient), then `second` into
    /// a scratch gradient that is multiplied by `secondScale` and added to the caller's;
    /// returns the sum of the values as the parts return them.
    static func addParts<S: SegScalar>(
        count: Int, outputs: LossOutputs<S>, secondScale: Double = 1,
        _ first: (LossOutputs<S>) throws(SegLossError) -> Double,
        _ second: (LossOutputs<S>) throws(SegLossError) -> Double
    ) throws(SegLossError) -> Double {
        let a = try first(LossOutputs(gradient: outputs.gradient))
        guard let gradient = outputs.gradient else { return a + (try second(LossOutputs())) }
        var scratch = [S](repeating: 0, count: count)
        let b = try scratch.withUnsafeMutableBufferPointer { buf throws(SegLossError) in
            try second(LossOutputs(gradient: buf.baseAddress))
        }
        let w = S(secondScale)
        scratch.withUnsafeBufferPointer { buf in
            for i in 0..<count { gradient[i] += w * buf[i] }
        }
        return a + b
    }
}

// MARK: - Multiclass parts

extension CompoundParts {
    /// A region objective in multiclass mode (softmax, label maps or dense targets;
    /// `SoftmaxRegionEvaluator`), its gradient multiplied by `scale`; returns the unscaled value.
    static func multiclassRegion<S: SegScalar, O: RegionObjective>(
        _ objective: O, input: TensorView<S>, target: LossTarget<S>, options: LossOptions,
        outputs: LossOutputs<S>, scale: Double
    ) throws(SegLossError) -> Double {
        try SoftmaxRegionEvaluator.multiclass(
            objective, input: input, target: target, options: options, outputs: outputs, scale: scale)
    }
}

// MARK: - Two-part sums

extension CompoundParts {
    /// w_r·(region part) + w_p·(pixel part) on dense targets (binary/multilabel): both in
    /// one sweep per row where `RegionPixelEvaluator` applies (unless `fused` is false, for
    /// tests), else the region evaluator writes its gradient and the pixel evaluator adds
    /// its own.
    static func regionPlusPixel<S: SegScalar, R: RegionObjective, P: PixelObjective>(
        _ region: R, _ regionWeight: Double, _ pixel: P, _ pixelWeight: Double,
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>,
        fused: Bool = true
    ) throws(SegLossError) -> Double {
        if fused, let value = try RegionPixelEvaluator.evaluate(
            region, regionWeight, pixel, pixelWeight, input: input, target: target, options: options, outputs: outputs) {
            return value
        }
        let gradient = LossOutputs<S>(gradient: outputs.gradient)
        let r = try RegionLossEvaluator.evaluate(
            region, input: input, target: target, options: options, outputs: gradient, scale: regionWeight)
        let p = try PixelLossEvaluator.evaluate(
            pixel, input: input, target: target, options: options, outputs: gradient, scale: pixelWeight,
            accumulate: true)
        return regionWeight * r + pixelWeight * p
    }

    /// Multiclass: w_r·(region part through the softmax) + w_p·(categorical pixel part with
    /// class weights `classWeights`, averaged over valid voxels).
    static func regionPlusCategorical<S: SegScalar, R: RegionObjective, T: CategoricalTerm>(
        _ region: R, _ regionWeight: Double, _ term: T, classWeights: [Double], _ pixelWeight: Double,
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let gradient = LossOutputs<S>(gradient: outputs.gradient)
        let r = try multiclassRegion(
            region, input: input, target: target, options: options, outputs: gradient, scale: regionWeight)
        let p = try CategoricalEvaluator.evaluate(
            term, classWeights: classWeights, meanWeights: nil, input: input, target: target, options: options,
            outputs: gradient, scale: pixelWeight, accumulate: true)
        return regionWeight * r + pixelWeight * p
    }
}
