// MARK: - Generalized Dice loss

/// How `GeneralizedDiceLoss` weighs the classes, from the target volume G_c.
public enum GeneralizedDiceWeight: Int32, Sendable, CaseIterable {
    /// w_c = 1/G_c² (Sudre et al.; MONAI's default `w_type="square"`).
    case square = 0
    /// w_c = 1/G_c.
    case simple = 1
    /// w_c = 1 (a Dice of the classes pooled with equal weight).
    case uniform = 2

    public var name: String {
        switch self {
        case .square: "square"
        case .simple: "simple"
        case .uniform: "uniform"
        }
    }
}

/// Generalized Dice loss (Sudre et al., "Generalised Dice overlap as a deep learning loss
/// function for highly unbalanced segmentations", DLMIA 2017), one value per image with
/// the classes combined inside it (or one value for the batch with `batch`):
///
///     ℓ = 1 − (2·Σ_c w_c·TP_c + s_n) / (Σ_c w_c·(P_c + G_c) + s_d)
///     ∂ℓ/∂p_ic = w_c·[(2N + s_n) − 2g_ic·U]/U²,   N = Σ_c w_c·TP_c,  U = Σ_c w_c(P_c + G_c) + s_d
///
/// (LOSSES.md §6.10). The weights depend on the target only, so they are constants of the
/// gradient (the issue MONAI #3618 had with its differentiable clamp cannot arise).
/// Empty classes (G_c = 0, or a weight that overflows) would get an infinite weight: as
/// MONAI (#371) they get the largest finite weight of the same image (of the batch with
/// `batch`); when every class of an image is empty all weights are 1, so that the value is
/// the Dice of an empty target (0 for an empty prediction, ~1 with ~0 gradient otherwise)
/// rather than MONAI's constant 1 − s_n/s_d with no gradient at all. SegLoss and
/// boundary-loss use 1/(G_c + 1e-10)² instead, which makes an empty class dominate.
/// The weights are not normalised (as MONAI): with `square` they are ~1/G², so the
/// smoothing terms weigh relatively more than in `DiceLoss`.
/// `reduction = none` gives (N,) values, or (1,) with `batch`. Entries whose voxels are all
/// ignored leave the mean; with the `skip` policy so do images whose kept classes are all
/// empty, and with `penalizeFalsePositives` such an image counts with ℓ = P/(P + 1), P
/// summed over its kept classes.
///
/// With `penalty` k > 0 it is the penalty generalized Dice loss (Yang et al., "Major
/// vessel segmentation on X-ray coronary angiography using deep networks with a novel
/// penalty loss function", MIDL 2019; SegLoss's `PenaltyGDiceLoss`, k = 2.5), which weighs
/// false positives and negatives up: per entry
///
///     ℓ_k = ℓ/(1 + k(1 − ℓ)),   ∂ℓ_k/∂ℓ = (1 + k)/(1 + k(1 − ℓ))²,
///
/// with ℓ the generalized Dice loss above (in [0, 1]). SegLoss applies the formula to its
/// GDice output −GDSC ∈ [−1, 0] instead of 1 − GDSC (LOSSES.md §1.2), which changes the
/// loss's shape; here ℓ is the loss of the paper.
public struct GeneralizedDiceLoss: Sendable {
    public var region: RegionOptions
    public var weightType: GeneralizedDiceWeight
    /// k of the penalty form (0: the plain generalized Dice loss).
    public var penalty: Double

    public init(weightType: GeneralizedDiceWeight = .square, region: RegionOptions = RegionOptions(), penalty: Double = 0) {
        self.weightType = weightType
        self.region = region
        self.penalty = penalty
    }

    public func validate() throws(SegLossError) {
        try region.validate()
        guard penalty.isFinite, penalty >= 0 else { throw .value("k", "must be a finite number >= 0, got \(penalty)") }
    }

    /// Unreduced output: (N,) or (1,) with `batch`; `[]` for mean and sum.
    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        guard options.reduction == .none else { return [] }
        return [region.batch ? 1 : input.batch]
    }

    // MARK: Per entry

    /// Class weights of one entry from the target sums G_c, empty classes resolved as
    /// described above.
    public func classWeights(targets: [Double]) -> [Double] {
        var w = targets.map { g -> Double in
            switch weightType {
            case .square: 1 / (g * g)
            case .simple: 1 / g
            case .uniform: 1
            }
        }
        let finite = w.filter { $0.isFinite && $0 > 0 }
        let fill = finite.max() ?? 1
        if finite.isEmpty { return w.map { _ in 1 } }
        for c in w.indices where !(w[c].isFinite && w[c] > 0) { w[c] = fill }
        return w
    }

    /// ℓ of one entry from its per-class sums, and the partials ∂ℓ/∂TP_c, ∂ℓ/∂P_c.
    public func term(_ stats: ArraySlice<RegionStats>) -> (loss: Double, dTP: [Double], dP: [Double]) {
        let w = classWeights(targets: stats.map(\.target))
        var n = 0.0, dn = 0.0, mismatch = 0.0
        for (wc, s) in zip(w, stats) {
            n += wc * s.intersection
            dn += wc * (s.prediction + s.target)
            mismatch += wc * max(s.prediction + s.target - 2 * s.intersection, 0)
        }
        let u = dn + region.smoothDenominator
        guard u > 0 else { return (0, w.map { _ in 0 }, w.map { _ in 0 }) }
        // 1 − (2N + s_n)/U written as (Σ w·(FP + FN) + s_d − s_n)/U (no rounding below 0).
        let loss = (mismatch + region.smoothDenominator - region.smoothNumerator) / u
        let coefficient = (2 * n + region.smoothNumerator) / (u * u)
        // The penalty form's chain factor (1 when k = 0).
        let k = penalty, d = 1 + k * (1 - loss), factor = k > 0 ? (1 + k) / (d * d) : 1
        return (k > 0 ? loss / d : loss, w.map { -2 * $0 / u * factor }, w.map { $0 * coefficient * factor })
    }

    // MARK: Evaluation (binary / multilabel; multiclass through `MulticlassAdapter`)

    /// Pass 1 of `RegionStatsKernel` gives (TP, P, G) per row; the weights and the entry
    /// values follow; pass 2 writes a_r·g_i + b_r (times σ'), with a_r, b_r the entry's
    /// partials for the row's class times the entry's reduction weight.
    /// With one kept class per entry (`singleClass`) the loss goes through
    /// `RegionLossEvaluator` as `GeneralizedDiceSingleClass` (same values; row by row where
    /// that applies), unless `perEntry` is false (for tests).
    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try evaluate(input: input, target: target, options: options, outputs: outputs, perEntry: true)
    }

    /// Whether `GeneralizedDiceSingleClass` computes this loss: dense binary/multilabel
    /// input with one kept channel (every entry one class) and plain sums (the soft-label
    /// intersection is `RegionLossEvaluator`'s, not this loss's).
    func singleClass(_ shape: TensorShape, _ options: LossOptions, _ region: RegionOptions) -> Bool {
        options.mode != .multiclass && shape.channels - options.firstChannel == 1 && !region.softLabel
    }

    func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>, perEntry: Bool
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        if perEntry && singleClass(shape, options, region) {
            return try RegionLossEvaluator.evaluate(
                GeneralizedDiceSingleClass(loss: self), input: input, target: target, options: options, outputs: outputs)
        }
        try options.validateDense(input: shape, target: target.shape) { () throws(SegLossError) in try validate() }
        let config = RegionStatsKernel.Config<S>(
            fromLogits: options.fromLogits, squared: false, ignore: options.ignoreIndex.map { S($0) })
        let (stats, scan, stored) = RegionStatsKernel.forward(
            input: input, target: target, config: config, derivativeOut: outputs.gradient)
        try scan.check(input: input, target: target, fromLogits: options.fromLogits, ignoreIndex: config.ignore)
        let (value, a, b) = try coefficients(stats: stats, shape: shape, options: options, outputs: outputs)
        if let gradient = outputs.gradient {
            RegionStatsKernel.backward(
                input: input, target: target, config: config, a: a, b: b,
                gradient: gradient, accumulate: false, stored: stored)
        }
        return value
    }

    /// Multiclass mode from logits: the same sums, entries and coefficients, with the
    /// softmax fused into the two sweeps (`SoftmaxRegionEvaluator.run`).
    func evaluateSoftmax<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try SoftmaxRegionEvaluator.run(
            input: input, target: target, options: options, outputs: outputs, squared: false, accumulate: false,
            validate: { (inner: LossOptions) throws(SegLossError) in
                try inner.validateDense(input: input.shape, target: input.shape) { () throws(SegLossError) in try validate() }
            },
            coefficients: { (stats: [RegionStats], inner: LossOptions) throws(SegLossError) in
                try coefficients(stats: stats, shape: input.shape, options: inner, outputs: outputs)
            })
    }

    /// From the per-row sums: the entries' values and their reduction (writing
    /// `outputs.values` under `none`), and each row's gradient coefficients a_r, b_r
    /// (the entry's partials for the row's class times the entry's reduction weight).
    func coefficients<S: SegScalar>(
        stats: [RegionStats], shape: TensorShape, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> (value: Double, a: [Double], b: [Double]) {
        // Per (entry, kept class) sums; an entry is an image, or the batch.
        let classes = RegionEntries(shape: shape, options: options, batch: region.batch)
        let pooled = classes.pool(stats, zero: RegionStats(), +)
        let kept = classes.kept, entryCount = region.batch ? 1 : shape.batch
        var losses = [Double](repeating: 0, count: entryCount)
        var included = [Bool](repeating: false, count: entryCount)
        var dTP = [Double](repeating: 0, count: pooled.count), dP = dTP
        for e in 0..<entryCount {
            let slice = pooled[(e * kept)..<((e + 1) * kept)]
            guard slice.contains(where: { $0.valid > 0 }) else { continue }
            let empty = slice.allSatisfy { $0.target == 0 }
            if empty && region.emptyTarget == .skip {
                losses[e] = .nan
                continue
            }
            if empty && region.emptyTarget == .penalizeFalsePositives {
                // ℓ = P/(P + 1) with P summed over the entry's classes (the same term
                // as `GeneralizedDiceSingleClass` gets for a one-class entry).
                let penalty = RegionTerm.falsePositivePenalty(prediction: slice.reduce(0) { $0 + $1.prediction })
                losses[e] = penalty.loss
                included[e] = true
                dP.replaceSubrange((e * kept)..<((e + 1) * kept), with: repeatElement(penalty.dPrediction, count: kept))
                continue
            }
            let t = term(slice)
            losses[e] = t.loss
            included[e] = true
            dTP.replaceSubrange((e * kept)..<((e + 1) * kept), with: t.dTP)
            dP.replaceSubrange((e * kept)..<((e + 1) * kept), with: t.dP)
        }
        let (value, weights) = try RegionReduction.reduce(
            losses: losses, included: included, options: options, outputs: outputs)
        let scaled = { (d: [Double]) in d.indices.map { d[$0] * weights[$0 / kept] } }
        return (value, classes.spread(scaled(dTP)), classes.spread(scaled(dP)))
    }
}

// MARK: - One class per entry

/// `GeneralizedDiceLoss` when every entry holds one class (binary mode, or multilabel with
/// one kept channel): ℓ = 1 − (2w·TP + s_n)/(w·(P + G) + s_d) with w from the entry's own
/// G, so it is a `RegionObjective` of the row's sums. `RegionLossEvaluator` then computes
/// the same sums, terms, reduction and gradient coefficients as `GeneralizedDiceLoss`'s own
/// two passes (equal bit for bit; `GeneralizedDiceSingleClassTests`), row by row where that
/// applies, and the loss can be the region part of a one-sweep compound
/// (`generalized_dice_focal_loss`, `WeightedLossSum`).
struct GeneralizedDiceSingleClass: RegionObjective {
    let loss: GeneralizedDiceLoss

    var region: RegionOptions { loss.region }

    func validate() throws(SegLossError) { try loss.validate() }

    func term(_ s: RegionStats) -> RegionTerm {
        let t = loss.term([s][...])
        return RegionTerm(loss: t.loss, dIntersection: t.dTP[0], dPrediction: t.dP[0])
    }
}
