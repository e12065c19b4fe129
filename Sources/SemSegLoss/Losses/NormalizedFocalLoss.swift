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
    func modulationSum<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, gradient: UnsafeMutablePointer<S>?
    ) throws(SegLossError) -> Double {
        var sum = options
        sum.reduction = .sum
        let th = reducedThreshold ?? 1
        if options.mode == .multiclass {
            let ones = try CategoricalEvaluator.foldedWeights(
                classes: input.shape.channels, weight: nil, alpha: nil, includeBackground: options.includeBackground)
            func run<P: FocalPower, R: StaticFlag>(_: P.Type, _: R.Type) throws(SegLossError) -> Double {
                try CategoricalEvaluator.evaluate(
                    SoftmaxFocalModulation<P, R>(gamma: gamma, threshold: th), classWeights: ones, meanWeights: nil,
                    input: input, target: target, options: sum, outputs: LossOutputs(gradient: gradient))
            }
            return reducedThreshold == nil ? try run(RealPower.self, Off.self) : try run(RealPower.self, On.self)
        }
        let dense = try target.requireDense("focal_loss")
        return reducedThreshold == nil
            ? try PixelLossEvaluator.evaluate(
                FocalModulation<RealPower, Off>(gamma: gamma, threshold: th), input: input, target: dense, options: sum,
                outputs: LossOutputs(gradient: gradient))
            : try PixelLossEvaluator.evaluate(
                FocalModulation<RealPower, On>(gamma: gamma, threshold: th), input: input, target: dense, options: sum,
                outputs: LossOutputs(gradient: gradient))
    }
}

/// The modulating factors of `FocalTerms` as a per-element value, without α:
///
///     v = g·m(1 − p) + (1 − g)·m(p),   m(x) = x^γ  (reduced: c·x^γ where 1 − x ≥ th, else 1)
///
/// From logits ∂m(1 − p)/∂z = −γ·m(1 − p)·p and ∂m(p)/∂z = γ·m(p)·(1 − p) (γ → 0 where the
/// reduced factor is 1); from probabilities the derivative of the clamped p (0 where clamped).
@usableFromInline
struct FocalModulation<P: FocalPower, R: StaticFlag>: PixelObjective {
    @usableFromInline var gamma: Double
    @usableFromInline var reduced: ReducedFactor

    @inlinable init(gamma: Double, threshold: Double) {
        self.gamma = gamma
        reduced = ReducedFactor(threshold: threshold, gamma: gamma)
    }

    @usableFromInline func validate() throws(SegLossError) {}

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        let gm = S(gamma)
        if fromLogits {
            let s = Sigmoid(logits: x)
            let (logP, logQ) = s.logs(x)
            var mq = P.power(s.oneMinusP, log: logQ, gm), mp = P.power(s.p, log: logP, gm)
            var gq = gm, gp = gm
            if R.isOn {
                (mq, gq) = reduced.apply(mq, gm, pt: s.p, scaleDerivative: false)
                (mp, gp) = reduced.apply(mp, gm, pt: s.oneMinusP, scaleDerivative: false)
            }
            return (g * mq + (1 - g) * mp, -g * gq * mq * s.p + (1 - g) * gp * mp * s.oneMinusP)
        }
        let cl = ClampedProbabilityLogs(x)
        var mq = P.power(cl.q, log: cl.logQ, gm), mp = P.power(cl.p, log: cl.logP, gm)
        var mq1 = P.slope(cl.q, value: mq, inverse: -cl.dLogQ, gm), mp1 = P.slope(cl.p, value: mp, inverse: cl.dLogP, gm)
        if R.isOn {
            (mq, mq1) = reduced.apply(mq, mq1, pt: cl.p, scaleDerivative: true)
            (mp, mp1) = reduced.apply(mp, mp1, pt: cl.q, scaleDerivative: true)
        }
        return (g * mq + (1 - g) * mp, cl.unclamped ? -g * mq1 + (1 - g) * mp1 : 0)
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
