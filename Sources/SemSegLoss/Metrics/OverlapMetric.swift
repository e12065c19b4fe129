// MARK: - Metrics from confusion counts

/// What a metric returns when its denominator is 0 (e.g. IoU of an empty prediction on an
/// empty target). Default `nan` (as MONAI's `ignore_empty`): NaN entries are left out of
/// the mean and sum; a mean of only NaN entries is NaN.
public enum EmptyMetricPolicy: Int32, Sendable, CaseIterable {
    case nan = 0
    /// 1, "perfect" (smp's `zero_division=1.0`, LovaszSoftmax's EMPTY = 1).
    case one = 1
    case zero = 2
}

/// The thresholded overlap metrics (LOSSES.md §3), each a ratio of confusion counts:
///
///     iou         TP / (TP + FP + FN)            dice_score  2TP / (2TP + FP + FN)
///     precision   TP / (TP + FP)                 recall      TP / (TP + FN)
///     specificity TN / (TN + FP)                 accuracy    (TP + TN) / (TP + FP + FN + TN)
///     f_beta      (1 + β²)TP / ((1 + β²)TP + β²FN + FP)
///     mcc         (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN))
public enum OverlapMetric: String, Sendable, CaseIterable {
    case iou, diceScore = "dice_score", precision, recall, specificity, accuracy
    case fBeta = "f_beta", mcc

    /// The metric of one entry, or `empty`'s value when the denominator is 0.
    public func value(_ c: ConfusionCounts, beta: Double = 1, empty: EmptyMetricPolicy = .nan) -> Double {
        let tp = Double(c.truePositive), fp = Double(c.falsePositive)
        let fn = Double(c.falseNegative), tn = Double(c.trueNegative)
        let (num, den): (Double, Double)
        switch self {
        case .iou: (num, den) = (tp, tp + fp + fn)
        case .diceScore: (num, den) = (2 * tp, 2 * tp + fp + fn)
        case .precision: (num, den) = (tp, tp + fp)
        case .recall: (num, den) = (tp, tp + fn)
        case .specificity: (num, den) = (tn, tn + fp)
        case .accuracy: (num, den) = (tp + tn, tp + fp + fn + tn)
        case .fBeta:
            let b2 = beta * beta
            (num, den) = ((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)
        case .mcc:
            (num, den) = (tp * tn - fp * fn, ((tp + fp) * (tp + fn)).squareRoot() * ((tn + fp) * (tn + fn)).squareRoot())
        }
        if den == 0 {
            switch empty {
            case .nan: return .nan
            case .one: return 1
            case .zero: return 0
            }
        }
        return num / den
    }

    /// Reduces per-entry values (NaN entries are skipped by mean and sum; a reduction of
    /// only NaN entries is NaN). `mean` weighs every entry alike; with `imageMean` and
    /// `entriesPerImage` k (values row-major (N, k)), each image's non-NaN entries are
    /// averaged first and then the images that have one (MONAI's `reduction="mean"`, except
    /// that MONAI gives 0 where every entry is NaN).
    public static func reduce(_ values: [Double], _ reduction: Reduction, imageMean: Bool = false,
                              entriesPerImage k: Int = 0) -> Double {
        if imageMean, reduction == .mean, k > 0 {  // a last partial image (count not a multiple of k) counts as one
            let images = stride(from: 0, to: values.count, by: k).map {
                reduce(Array(values[$0..<Swift.min($0 + k, values.count)]), .mean)
            }
            return reduce(images, .mean)
        }
        let kept = values.filter { !$0.isNaN }
        switch reduction {
        case .mean: return kept.isEmpty ? .nan : kept.reduce(0, +) / Double(kept.count)
        case .sum, .none: return kept.isEmpty ? .nan : kept.reduce(0, +)
        }
    }

    /// Reads the `image_mean` option: only with reduction `mean` over per-image entries.
    static func readImageMean(_ r: inout OptionReader, reduction: Reduction, batch: Bool) throws(SegLossError) -> Bool {
        let on = try r.bool("image_mean", default: false)
        if on { try checkImageMean(reduction: reduction, batch: batch) }
        return on
    }

    /// Throws unless `image_mean` applies: reduction `mean` over per-image entries.
    static func checkImageMean(reduction: Reduction, batch: Bool) throws(SegLossError) {
        guard reduction == .mean else {
            throw .option("image_mean", "averages images with reduction='mean'; got reduction='\(reduction)'")
        }
        guard !batch else { throw .option("image_mean", "needs per-image entries; batch=True pools the images") }
    }
}

/// A metric with its options, built by name (`MetricCatalog.make`) or directly:
///
///     let dice = ConfiguredMetric(metric: .diceScore, options: MetricOptions(threshold: 0.5))
///
/// The values are checked when it is evaluated (threshold in (0, 1), β > 0 for `f_beta`,
/// `imageMean` only with reduction `mean` over per-image entries).
public struct ConfiguredMetric: Sendable {
    public var metric: OverlapMetric
    public var options: MetricOptions
    /// β of `f_beta` (> 0; recall weighs β times precision).
    public var beta: Double
    public var empty: EmptyMetricPolicy
    /// `reduction = mean` averages each image's entries first (`OverlapMetric.reduce`).
    public var imageMean = false

    public init(
        metric: OverlapMetric, options: MetricOptions = MetricOptions(), beta: Double = 1,
        empty: EmptyMetricPolicy = .nan, imageMean: Bool = false
    ) {
        self.metric = metric
        self.options = options
        self.beta = beta
        self.empty = empty
        self.imageMean = imageMean
    }

    /// Throws on a threshold, β or `imageMean` that does not apply (checks that need no
    /// tensor; `MetricCatalog.make` runs them too).
    public func validate() throws(SegLossError) {
        try MetricOptions.checkThreshold(options.threshold)
        if metric == .fBeta {
            guard beta.isFinite, beta > 0 else { throw .value("beta", "must be a finite number > 0, got \(beta)") }
        }
        if imageMean { try OverlapMetric.checkImageMean(reduction: options.options.reduction, batch: options.batch) }
    }

    /// Shape of the per-entry values with `reduction = none`, else `[]`.
    public func outputShape(input: TensorShape) -> [Int] {
        guard options.options.reduction == .none else { return [] }
        return entryShape(input: input)
    }

    /// (N, C′) or (C′,) with batch.
    public func entryShape(input: TensorShape) -> [Int] {
        let kept = input.channels - options.options.firstChannel
        return options.batch ? [kept] : [input.batch, kept]
    }

    /// `evaluate(input:target:)` with a dense target (the input's shape).
    public func evaluate<S: SegScalar>(input: TensorView<S>, target: TensorView<S>) throws(SegLossError) -> (value: Double, values: [Double]) {
        try evaluate(input: input, target: .dense(target))
    }

    /// Per-entry values and their reduction; `target` as `ConfusionKernel.counts`.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func evaluate<S: SegScalar>(input: TensorView<S>, target: LossTarget<S>) throws(SegLossError) -> (value: Double, values: [Double]) {
        try validate()
        let counts = try ConfusionKernel.counts(input: input, target: target, metric: options)
        let values = counts.map { metric.value($0, beta: beta, empty: empty) }
        let perImage = options.batch ? 0 : input.shape.channels - options.options.firstChannel
        return (OverlapMetric.reduce(values, options.options.reduction, imageMean: imageMean, entriesPerImage: perImage),
                values)
    }
}

public enum MetricCatalog {
    public static let names = OverlapMetric.allCases.map(\.rawValue)

    /// Options: mode, threshold, from_logits (default 0), ignore_index, include_background,
    /// batch, reduction, empty, and beta (f_beta only).
    public static func make(_ name: String, options pairs: [(String, Double)] = [], countsOnly: Bool = false) throws(SegLossError) -> ConfiguredMetric {
        guard let metric = countsOnly ? .iou : OverlapMetric(rawValue: name) else {
            throw .option("metric", "unknown metric '\(name)'; available: \(names.joined(separator: ", "))")
        }
        var r = try OptionReader(owner: name, pairs: pairs)
        let common = LossOptions(
            mode: try r.code("mode", default: SegmentationMode.binary, names: { $0.name }),
            fromLogits: try r.bool("from_logits", default: false),
            reduction: countsOnly ? .none : try r.code("reduction", default: Reduction.mean, names: { "\($0)" }),
            ignoreIndex: try r.optional("ignore_index"),
            includeBackground: try r.bool("include_background", default: true))
        let threshold = try r.double("threshold", default: 0.5)
        let batch = try r.bool("batch", default: false)
        var beta = 1.0, empty = EmptyMetricPolicy.nan
        if !countsOnly {
            empty = try r.code("empty", default: EmptyMetricPolicy.nan, names: { "\($0)" })
            if metric == .fBeta { beta = try r.double("beta", default: 1) }
        }
        let imageMean = countsOnly ? false : try OverlapMetric.readImageMean(&r, reduction: common.reduction, batch: batch)
        try r.finish()
        let configured = ConfiguredMetric(
            metric: metric, options: MetricOptions(threshold: threshold, options: common, batch: batch),
            beta: beta, empty: empty, imageMean: imageMean)
        try configured.validate()
        return configured
    }
}
