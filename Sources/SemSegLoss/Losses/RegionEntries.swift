// MARK: - Entries of a region loss

/// How the rows (image, channel) of an (N, C, *spatial) tensor map to the entries of a
/// region loss: (image, kept class) pairs, or the kept classes pooled over the batch when
/// `batch`; channel 0 is dropped when `includeBackground` is false. Shared by
/// `RegionLossEvaluator` and the region losses with their own kernels.
struct RegionEntries {
    let channels: Int
    let first: Int
    let kept: Int
    let batch: Bool
    let rows: Int
    /// Number of entries: N·C′, or C′ with `batch`.
    let count: Int

    init(shape: TensorShape, options: LossOptions, batch: Bool) {
        channels = shape.channels
        first = options.firstChannel
        kept = channels - first
        self.batch = batch
        rows = shape.rows
        count = batch ? kept : shape.batch * kept
    }

    /// The entry of `row`, or nil for a dropped channel.
    @inline(__always)
    func entry(ofRow row: Int) -> Int? {
        let c = row % channels
        guard c >= first else { return nil }
        return batch ? c - first : (row / channels) * kept + (c - first)
    }

    /// Per-entry sums of per-row values.
    func pool<T>(_ perRow: [T], zero: T, _ add: (T, T) -> T) -> [T] {
        var out = [T](repeating: zero, count: count)
        for row in 0..<rows {
            if let e = entry(ofRow: row) { out[e] = add(out[e], perRow[row]) }
        }
        return out
    }

    /// Per-row copies of per-entry values (0 on dropped channels).
    func spread(_ perEntry: [Double]) -> [Double] {
        (0..<rows).map { row in entry(ofRow: row).map { perEntry[$0] } ?? 0 }
    }
}

// MARK: - Reduction of entry losses

/// Combines the losses of the entries of a region loss (`Reduction`) and gives the weight
/// of each entry in the gradient.
enum RegionReduction {
    /// `mean`: average over the included entries (0 if none); `sum`; `none`: writes every
    /// entry's loss to `outputs.values` (excluded ones too, e.g. NaN for skipped empty
    /// targets) and weighs entries by `outputs.gradOutput` (ones when absent), which must be
    /// finite. Returns the reduced value (for `none` the sum of the included losses) and the
    /// per-entry weights (0 for excluded entries).
    static func reduce<S: SegScalar>(
        losses: [Double], included: [Bool], options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> (value: Double, weights: [Double]) {
        let count = losses.count
        var weights = [Double](repeating: 0, count: count)
        var value = 0.0
        switch options.reduction {
        case .mean, .sum:
            let includedCount = included.reduce(0) { $0 + ($1 ? 1 : 0) }
            let w = options.reduction == .sum ? 1.0 : (includedCount > 0 ? 1.0 / Double(includedCount) : 0)
            for e in 0..<count where included[e] {
                weights[e] = w
                value += losses[e]
            }
            value *= w
        case .none:
            for e in 0..<count {
                if let values = outputs.values { values[e] = S(losses[e]) }
                guard included[e] else { continue }
                value += losses[e]
                let go = outputs.gradOutput.map { Double($0[e]) } ?? 1
                guard go.isFinite else {
                    throw .value("grad_output", "must be finite, got \(go) at index \(e)")
                }
                weights[e] = go
            }
        }
        return (value, weights)
    }

    /// The entry losses of a loss computed from pooled sums, and their reduction: entries
    /// with no valid voxel (`valid == 0`) are left out; with `EmptyTargetPolicy.skip`, so are
    /// entries with an empty target (NaN under `none`), and with `penalizeFalsePositives`
    /// those get `RegionTerm.falsePositivePenalty`. `term(stats, entry)` gives ℓ and its
    /// partials. Returns the reduced value and, per row, the gradient coefficients
    /// (a_r, b_r) = w_e·(∂ℓ/∂TP, ∂ℓ/∂P) of the row's entry (0 for dropped channels).
    static func reduceTerms<S: SegScalar>(
        entries: RegionEntries, pooled: [RegionStats], emptyTarget: EmptyTargetPolicy, options: LossOptions,
        outputs: LossOutputs<S>, weight: (Int) -> Double = { _ in 1 }, term: (RegionStats, Int) -> RegionTerm
    ) throws(SegLossError) -> (value: Double, a: [Double], b: [Double]) {
        var terms = [RegionTerm](repeating: RegionTerm(loss: 0, dIntersection: 0, dPrediction: 0), count: entries.count)
        var included = [Bool](repeating: false, count: entries.count)
        for e in 0..<entries.count where pooled[e].valid > 0 {
            if pooled[e].target == 0 && emptyTarget == .skip {
                terms[e].loss = .nan
                continue
            }
            terms[e] = (pooled[e].target == 0 && emptyTarget == .penalizeFalsePositives
                ? .falsePositivePenalty(prediction: pooled[e].prediction)
                : term(pooled[e], e)).scaled(by: weight(e))
            included[e] = true
        }
        let (value, weights) = try reduce(losses: terms.map(\.loss), included: included, options: options, outputs: outputs)
        let a = entries.spread(terms.indices.map { weights[$0] * terms[$0].dIntersection })
        let b = entries.spread(terms.indices.map { weights[$0] * terms[$0].dPrediction })
        return (value, a, b)
    }

    /// Weight of entry `e` in the gradient before the sums are known, for kernels that
    /// finish rows early (every entry included): 1/count for mean, 1 for sum, the
    /// upstream gradient for none.
    static func earlyWeight<S: SegScalar>(_ e: Int, count: Int, options: LossOptions, outputs: LossOutputs<S>) -> Double {
        switch options.reduction {
        case .mean: 1.0 / Double(count)
        case .sum: 1.0
        case .none: outputs.gradOutput.map { Double($0[e]) } ?? 1
        }
    }
}
