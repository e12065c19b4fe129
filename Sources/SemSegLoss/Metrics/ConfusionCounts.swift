// MARK: - Thresholded confusion counts

/// Hard confusion counts of one entry (an (image, class) pair, or a class over the batch).
public struct ConfusionCounts: Sendable, Equatable {
    public var truePositive: Int64 = 0
    public var falsePositive: Int64 = 0
    public var falseNegative: Int64 = 0
    public var trueNegative: Int64 = 0

    public init(truePositive: Int64 = 0, falsePositive: Int64 = 0, falseNegative: Int64 = 0, trueNegative: Int64 = 0) {
        self.truePositive = truePositive
        self.falsePositive = falsePositive
        self.falseNegative = falseNegative
        self.trueNegative = trueNegative
    }

    public static func + (a: ConfusionCounts, b: ConfusionCounts) -> ConfusionCounts {
        ConfusionCounts(
            truePositive: a.truePositive + b.truePositive, falsePositive: a.falsePositive + b.falsePositive,
            falseNegative: a.falseNegative + b.falseNegative, trueNegative: a.trueNegative + b.trueNegative)
    }
}

/// Options of the thresholded metrics.
public struct MetricOptions: Sendable, Equatable {
    /// A voxel is predicted positive when p ≥ threshold (p = σ(z) with `fromLogits`).
    /// Targets are binarised at 0.5 (g ≥ 0.5 is positive), so soft targets are accepted.
    public var threshold: Double = 0.5
    public var options: LossOptions
    /// `true`: counts pooled over the batch per class; `false`: per image and class.
    public var batch: Bool = false

    public init(threshold: Double = 0.5, options: LossOptions = LossOptions(fromLogits: false), batch: Bool = false) {
        self.threshold = threshold
        self.options = options
        self.batch = batch
    }

    /// Throws unless 0 < threshold < 1 (the thresholded and the surface metrics).
    static func checkThreshold(_ threshold: Double) throws(SegLossError) {
        guard threshold.isFinite, threshold > 0, threshold < 1 else {
            throw .value("threshold", "must lie strictly between 0 and 1, got \(threshold)")
        }
    }
}

/// Counts TP, FP, FN, TN per row (image, channel), ignoring voxels whose target equals
/// `ignoreIndex`, and validates input and target as the losses do.
public enum ConfusionKernel {
    static let chunkSize = 16_384

    /// `counts(input:target:metric:)` with a dense target (the input's shape).
    public static func counts<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, metric: MetricOptions
    ) throws(SegLossError) -> [ConfusionCounts] {
        try counts(input: input, target: .dense(target), metric: metric)
    }

    /// Entry counts: (N, C′) row-major, or (C′) with `batch`, C′ = kept channels (classes).
    /// Binary and multilabel: thresholded prediction and target per channel (dense target
    /// only). Multiclass: one-vs-rest counts of the argmax prediction against the label
    /// map or the argmax of a one-hot / soft target (`MulticlassClasses`).
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public static func counts<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, metric: MetricOptions
    ) throws(SegLossError) -> [ConfusionCounts] {
        let shape = input.shape, options = metric.options
        try options.validate(for: shape)
        try MetricOptions.checkThreshold(metric.threshold)
        if options.mode == .multiclass {
            let classes = try MulticlassClasses(input: input, target: target, options: options)
            return counts(classes, firstClass: options.firstChannel, pooled: metric.batch)
        }
        let target = try target.requireDense("this metric")
        guard target.shape == shape else {
            throw shape.targetMismatch(target.shape)
        }
        // Compare in the input's own space: z ≥ logit(t) ⇔ σ(z) ≥ t.
        let t = metric.threshold
        let cut = S(options.fromLogits ? Glibc.log(t / (1 - t)) : t)
        let ignore = options.ignoreIndex.map { S($0) }
        let perRow = (shape.spatialCount + chunkSize - 1) / chunkSize
        let units = shape.rows * perRow
        var partial = [ConfusionCounts](repeating: ConfusionCounts(), count: units)
        var scans = [InputScan](repeating: InputScan(), count: units)
        partial.withUnsafeMutableBufferPointer { pbuf in
            scans.withUnsafeMutableBufferPointer { sbuf in
                let pb = pbuf.baseAddress!, sb = sbuf.baseAddress!
                Parallel.forEachChunk(units, work: shape.count * 2) { u in
                    let row = u / perRow, c = u % perRow
                    let lo = c * chunkSize, hi = min(shape.spatialCount, lo + chunkSize)
                    let x = input.row(row), g = target.row(row)
                    var cc = ConfusionCounts()
                    var scan = InputScan()
                    for i in lo..<hi {
                        let xi = x[i], gi = g[i]
                        let inputOK = options.fromLogits ? xi.isFinite : (xi >= 0 && xi <= 1)
                        if !inputOK { scan.badInput += 1 }
                        if let ignore, gi == ignore { continue }
                        if !(gi >= 0 && gi <= 1) { scan.badTarget += 1; continue }
                        let p = xi >= cut, y = gi >= 0.5
                        switch (p, y) {
                        case (true, true): cc.truePositive += 1
                        case (true, false): cc.falsePositive += 1
                        case (false, true): cc.falseNegative += 1
                        case (false, false): cc.trueNegative += 1
                        }
                    }
                    pb[u] = cc
                    sb[u] = scan
                }
            }
        }
        var scan = InputScan()
        for s in scans { scan.merge(s) }
        try scan.check(input: input, target: target, fromLogits: options.fromLogits, ignoreIndex: ignore)
        let channels = shape.channels, c0 = options.firstChannel, kept = channels - c0
        var entries = [ConfusionCounts](repeating: ConfusionCounts(), count: metric.batch ? kept : shape.batch * kept)
        for u in 0..<units {
            let row = u / perRow
            let n = row / channels, c = row % channels
            guard c >= c0 else { continue }
            let e = metric.batch ? c - c0 : n * kept + (c - c0)
            entries[e] = entries[e] + partial[u]
        }
        return entries
    }
}

#if canImport(Glibc)
import Glibc
#endif
