// MARK: - Normalized focal loss (smp `normalized=True`)

extension FocalLoss {
    /// Lower clamp of the normaliser (smp's `clamp_min(1e-6)`).
    static let smallestNormalizer = 1e-6

    /// The normalized focal loss (smp `FocalLoss(normalized=True)`; LOSSES.md §2 row 11):
    ///
    ///     L = L̄ / M′,   M′ = max(M, 1e−6),   ∂L/∂x = (∂L̄/∂x)/M′ − (L̄/M′²)·∂M/∂x
    ///
    /// L̄ is the focal loss with the caller's reduction (mean over the valid elements, or
    /// sum) and M the sum of the modulating factors over the same elements, without α
    /// (`FocalModulation`: g·m(1 − p) + (1 − g)·m(p) per element in binary/multilabel mode,
    /// Σ_c g_c·m(1 − p_c) per voxel over the kept classes in multiclass mode; m(x) = x^γ, or
    /// smp's reduced factor). smp divides each element's loss by M before its mean or sum:
    /// the same number. ∂M/∂x is dropped where the clamp is active. `reduction = none` is
    /// refused: every value would depend on the whole batch.
    public func evaluateNormalized<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        guard options.reduction != .none else {
            throw .option("reduction", "'none' is not available with normalized=True (each value would depend on the whole batch); use 'mean' or 'sum'")
        }
        if options.mode != .multiclass && options.includeBackground {
            return try evaluateNormalizedInOneSweep(
                input: input, target: try target.requireDense("focal_loss"), options: options, outputs: outputs)
        }
        var plain = self
        plain.normalized = false
        let multiclass = options.mode == .multiclass
        let gradientOnly = LossOutputs<S>(gradient: outputs.gradient)
        let value = multiclass
            ? try DistributionFamily.softmaxFocal(plain, input: input, target: target, options: options, outputs: gradientOnly)
            : try PixelLossEvaluator.evaluate(
                plain, input: input, target: try target.requireDense("focal_loss"), options: options, outputs: gradientOnly)
        let count = outputs.gradient == nil ? 0 : input.shape.count
        return try ScratchBuffers.withBuffer(of: S.self, count: count) { (scratch: UnsafeMutablePointer<S>) throws(SegLossError) -> Double in
            let dM = outputs.gradient == nil ? nil : scratch
            let m = try modulationSum(input: input, target: target, options: options, gradient: dM)
            let clamped = max(m, Self.smallestNormalizer)
            if let gradient = outputs.gradient {
                let b = m > Self.smallestNormalizer ? -value / (clamped * clamped) : 0
                WeightedLossSum.combine(gradient, S(1 / clamped), dM, S(b), count: count)
            }
            return value / clamped
        }
    }

    /// M = Σ m_i over the elements (voxels) the loss sums over, and ∂M/∂x into `gradient`.
    /// γ = 2 takes its powers as products (`SquarePower`), as the loss itself does.
    func modulationSum<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, gradient: UnsafeMutablePointer<S>?
    ) throws(SegLossError) -> Double {
        switch (gamma == 2, reducedThreshold != nil) {
        case (true, false):
            try modulationSum(SquarePower.self, Off.self, input: input, target: target, options: options, gradient: gradient)
        case (false, false):
            try modulationSum(RealPower.self, Off.self, input: input, target: target, options: options, gradient: gradient)
        case (true, true):
            try modulationSum(SquarePower.self, On.self, input: input, target: target, options: options, gradient: gradient)
        case (false, true):
            try modulationSum(RealPower.self, On.self, input: input, target: target, options: options, gradient: gradient)
        }
    }

    private func modulationSum<S: SegScalar, P: FocalPower, R: StaticFlag>(
        _: P.Type, _: R.Type, input: TensorView<S>, target: LossTarget<S>, options: LossOptions,
        gradient: UnsafeMutablePointer<S>?
    ) throws(SegLossError) -> Double {
        var sum = options
        sum.reduction = .sum
        let th = reducedThreshold ?? 1
        if options.mode == .multiclass {
            let ones = try CategoricalEvaluator.foldedWeights(
                classes: input.shape.channels, weight: nil, alpha: nil, includeBackground: options.includeBackground)
            return try CategoricalEvaluator.evaluate(
                SoftmaxFocalModulation<P, R>(gamma: gamma, threshold: th), classWeights: ones, meanWeights: nil,
                input: input, target: target, options: sum, outputs: LossOutputs(gradient: gradient))
        }
        return try PixelLossEvaluator.evaluate(
            FocalModulation<P, R>(gamma: gamma, threshold: th), input: input, target: try target.requireDense("focal_loss"),
            options: sum, outputs: LossOutputs(gradient: gradient))
    }
}

/// The modulating factors of `FocalTerms` as a per-element value, without α:
///
///     v = g·m(1 − p) + (1 − g)·m(p),   m(x) = x^γ  (reduced: c·x^γ where 1 − x ≥ th, else 1)
///
/// with ∂v/∂x (`FocalTerms.evaluateWithFactor`, whose loss arithmetic is dropped here).
@usableFromInline
struct FocalModulation<P: FocalPower, R: StaticFlag>: PixelObjective {
    @usableFromInline var terms: FocalTerms<P, R>

    @inlinable init(gamma: Double, threshold: Double) {
        terms = FocalTerms(alpha: nil, gamma: gamma, threshold: threshold)
    }

    @usableFromInline func validate() throws(SegLossError) {}

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        let r = terms.evaluateWithFactor(x, g, fromLogits: fromLogits)
        return (r.factor, r.factorGrad)
    }
}

/// The categorical modulating factor t = w·g·m(1 − p) (w: 1 on kept classes) with
/// u = ∂t/∂l = −w·g·p·m′(1 − p), l = log p, m′(q) = γ·q^(γ−1) (0 at q = 0 for γ < 1, as
/// `FocalPower`; times c where the reduced factor applies, 0 where it is 1).
@usableFromInline
struct SoftmaxFocalModulation<P: FocalPower, R: StaticFlag>: CategoricalTerm {
    @usableFromInline var gamma: Double
    @usableFromInline var reduced: ReducedFactor

    @inlinable init(gamma: Double, threshold: Double) {
        self.gamma = gamma
        reduced = ReducedFactor(threshold: threshold, gamma: gamma)
    }

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ l: S, _ p: S, _ g: S, _ w: S) -> (loss: S, dl: S) {
        let q = S.positivePart(1 - p)
        var (m, dm) = P.power(q, S(gamma))
        if R.isOn { (m, dm) = reduced.apply(m, dm, pt: p, scaleDerivative: true) }
        return (w * g * m, -w * g * p * dm)
    }
}
