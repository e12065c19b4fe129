#if canImport(Glibc)
import Glibc
#endif

// MARK: - Surface-distance metrics on (N, C, *spatial) tensors

/// The surface-distance metrics, evaluated per (image, channel) on thresholded masks:
///
/// - `hausdorffDistance`: `SurfaceDistances.hausdorffDistance` (maximum, or a percentile
///   such as 95 for HD95; symmetric or directed prediction → target);
/// - `averageSurfaceDistance`: `SurfaceDistances.averageSurfaceDistance` (symmetric ASSD
///   by default, or directed);
/// - `normalizedSurfaceDice`: `SurfaceDistances.normalizedSurfaceDice` at `tolerance`.
///
/// Masks: prediction `p ≥ threshold` (p = σ(z) with `from_logits`), target `g ≥ 0.5`, as
/// the overlap metrics; voxels whose target equals `ignore_index` are background in both.
/// Surfaces are `SurfaceExtraction`'s (face-connected border voxels, the image edge counts
/// as background), distances exact EDTs in physical units with `spacing`.
public enum SurfaceMetricKind: String, Sendable, CaseIterable {
    case hausdorffDistance = "hausdorff_distance"
    case averageSurfaceDistance = "average_surface_distance"
    case normalizedSurfaceDice = "normalized_surface_dice"
}

/// A surface metric with its options, built by `SurfaceMetricCatalog.make`.
public struct ConfiguredSurfaceMetric: Sendable {
    public var kind: SurfaceMetricKind
    /// mode, from_logits (default false), reduction, ignore_index, include_background.
    public var options: LossOptions
    public var threshold: Double = 0.5
    /// Physical voxel size per spatial axis; `nil` means 1.
    public var spacing: [Double]?
    /// Hausdorff: `nil` for the maximum, else a percentile in [0, 100].
    public var percentile: Double?
    /// Hausdorff and ASD: prediction → target only.
    public var directed = false
    public var percentileMode = HausdorffPercentileMode.pooled
    /// NSD tolerance τ (physical units, ≥ 0).
    public var tolerance = 0.0
    public var empty: EmptyMaskPolicy
    /// `reduction = mean` averages each image's entries first (`OverlapMetric.reduce`).
    public var imageMean = false

    public init(kind: SurfaceMetricKind, options: LossOptions = LossOptions(fromLogits: false),
                empty: EmptyMaskPolicy? = nil) {
        self.kind = kind
        self.options = options
        self.empty = empty ?? (kind == .normalizedSurfaceDice ? .surfaceDiceDefault : .nan)
    }

    /// (N, C′) with `reduction = none`, else `[]`.
    public func outputShape(input: TensorShape) -> [Int] {
        options.reduction == .none ? [input.batch, input.channels - options.firstChannel] : []
    }

    /// `evaluate(input:target:)` with a dense target (the input's shape).
    public func evaluate<S: SegScalar>(input: TensorView<S>, target: TensorView<S>) throws(SegLossError) -> (value: Double, values: [Double]) {
        try evaluate(input: input, target: .dense(target))
    }

    /// Throws on a threshold, percentile, tolerance, empty policy or `imageMean` that does
    /// not apply (checks that need no tensor; `SurfaceMetricCatalog.make` runs them too).
    public func validate() throws(SegLossError) {
        try MetricOptions.checkThreshold(threshold)
        if let percentile { try LinearPercentile.validate(percentile) }
        if kind == .normalizedSurfaceDice { try SegLossError.requireAtLeast(tolerance, 0, "tolerance") }
        if kind == .normalizedSurfaceDice, empty.bothEmpty == .imageDiagonal || empty.oneEmpty == .imageDiagonal {
            throw .option("empty", "image_diagonal applies to distance metrics, not to the normalized surface Dice")
        }
        if imageMean { try OverlapMetric.checkImageMean(reduction: options.reduction, batch: false) }
    }

    /// Per-entry values (N·C′, row-major) and their reduction (NaN entries skipped; a mean
    /// of only NaN entries is NaN). Binary and multilabel: thresholded masks per channel
    /// (dense target). Multiclass: the masks of class c are `predicted = c` and
    /// `truth = c` (`MulticlassClasses`: argmax prediction, label map or argmax target),
    /// ignored voxels background in both.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func evaluate<S: SegScalar>(input: TensorView<S>, target: LossTarget<S>) throws(SegLossError) -> (value: Double, values: [Double]) {
        let shape = input.shape
        try options.validate(for: shape)
        try validate()
        let geometry = try DistanceGeometry(
            batch: 1, spatial: Array(shape.spatial), spacing: spacing,
            maskArgument: "input", spacingArgument: "spacing")
        let classes: MulticlassClasses?
        var dense: TensorView<S>?
        if options.mode == .multiclass {
            classes = try MulticlassClasses(input: input, target: target, options: options)
        } else {
            classes = nil
            let t = try target.requireDense("this metric")
            guard t.shape == shape else {
                throw shape.targetMismatch(t.shape)
            }
            _ = try DistanceLossChecks.validate(input: input, target: t, options: options, ignore: options.ignoreIndex.map { S($0) })
            dense = t
        }

        let n = shape.spatialCount
        guard let masks = DistanceScratch.allocate(UInt8.self, count: 2 * n) else {
            throw DistanceScratch.failure("input", count: 2 * n, of: "uint8")
        }
        defer { DistanceScratch.release(masks) }
        let c0 = options.firstChannel, kept = shape.channels - c0
        var values = [Double](repeating: .nan, count: shape.batch * kept)
        for b in 0..<shape.batch {
            for c in c0..<shape.channels {
                if let classes {
                    classMasks(classes, image: b, class: c, into: masks)
                } else if let dense {
                    thresholdedMasks(input: input.row(b * shape.channels + c), target: dense.row(b * shape.channels + c),
                                     count: n, into: masks)
                }
                let d = try SurfaceDistances.run(UnsafePointer(masks), UnsafePointer(masks + n), geometry)
                values[b * kept + (c - c0)] = try value(d)
            }
        }
        return (OverlapMetric.reduce(values, options.reduction, imageMean: imageMean, entriesPerImage: kept), values)
    }

    /// Prediction `p ≥ threshold` into `masks[0..<n]`, target `g ≥ 0.5` into `masks[n..<2n]`;
    /// voxels whose target equals `ignore_index` are background in both.
    func thresholdedMasks<S: SegScalar>(input x: UnsafePointer<S>, target g: UnsafePointer<S>, count n: Int, into masks: UnsafeMutablePointer<UInt8>) {
        let t = threshold, cut = S(options.fromLogits ? log(t / (1 - t)) : t), half: S = 0.5
        let ignore = options.ignoreIndex.map { S($0) }
        for i in 0..<n {
            let ignored = ignore.map { g[i] == $0 } ?? false
            masks[i] = !ignored && x[i] >= cut ? 1 : 0
            masks[n + i] = !ignored && g[i] >= half ? 1 : 0
        }
    }

    /// The masks of class `c` in image `b`: predicted class c, true class c (an ignored
    /// voxel's class is `MulticlassClasses.ignored`, so it is in neither).
    func classMasks(_ m: MulticlassClasses, image b: Int, class c: Int, into masks: UnsafeMutablePointer<UInt8>) {
        let n = m.spatialCount, k = Int32(c), lo = b * n
        withExtendedLifetime(m) {
            let predicted = m.predicted, truth = m.truth
            for i in 0..<n {
                masks[i] = predicted[lo + i] == k ? 1 : 0
                masks[n + i] = truth[lo + i] == k ? 1 : 0
            }
        }
    }

    /// The metric of one entry.
    public func value(_ d: SurfaceDistances) throws(SegLossError) -> Double {
        switch kind {
        case .hausdorffDistance:
            try d.hausdorffDistance(percentile: percentile, directed: directed, mode: percentileMode, empty: empty)
        case .averageSurfaceDistance:
            try d.averageSurfaceDistance(symmetric: !directed, empty: empty)
        case .normalizedSurfaceDice:
            try d.normalizedSurfaceDice(tolerance: tolerance, empty: empty)
        }
    }
}

// MARK: - By name

public enum SurfaceMetricCatalog {
    public static let names = SurfaceMetricKind.allCases.map(\.rawValue)

    /// Codes of the `empty_both` / `empty_one` options (`SEMSEG_SURFACE_EMPTY_*`).
    public static func emptyResult(code: Double, value: Double?, _ argument: String) throws(SegLossError) -> EmptyMaskResult {
        switch code {
        case 0: return .nan
        case 1:
            guard let value, !value.isNaN else {
                throw .value(argument + "_value", "is required (a number) when \(argument) is 'value'")
            }
            return .value(value)
        case 2: return .infinity
        case 3: return .imageDiagonal
        default:
            throw .option(argument, "unknown code \(code); expected 0 (nan), 1 (value), 2 (inf) or 3 (image_diagonal)")
        }
    }

    /// Options: mode, threshold (0.5), from_logits (0), ignore_index, include_background
    /// (1), reduction (mean); hausdorff_distance: percentile (absent = maximum), directed,
    /// percentile_mode (0 pooled, 1 max of directed); average_surface_distance: directed;
    /// normalized_surface_dice: tolerance (required); all: empty_both, empty_one (codes
    /// above) with empty_both_value / empty_one_value for code 1.
    public static func make(_ name: String, options pairs: [(String, Double)] = [], spacing: [Double]? = nil) throws(SegLossError) -> ConfiguredSurfaceMetric {
        guard let kind = SurfaceMetricKind(rawValue: name) else {
            throw .option("metric", "unknown surface metric '\(name)'; available: \(names.joined(separator: ", "))")
        }
        var r = try OptionReader(owner: name, pairs: pairs)
        let common = LossOptions(
            mode: try r.code("mode", default: SegmentationMode.binary, names: { $0.name }),
            fromLogits: try r.bool("from_logits", default: false),
            reduction: try r.code("reduction", default: Reduction.mean, names: { "\($0)" }),
            ignoreIndex: try r.optional("ignore_index"),
            includeBackground: try r.bool("include_background", default: true))
        var m = ConfiguredSurfaceMetric(kind: kind, options: common)
        m.threshold = try r.double("threshold", default: 0.5)
        m.imageMean = try OverlapMetric.readImageMean(&r, reduction: common.reduction, batch: false)
        m.spacing = spacing
        switch kind {
        case .hausdorffDistance:
            m.percentile = try r.optional("percentile")
            m.directed = try r.bool("directed", default: false)
            m.percentileMode = try r.bool("percentile_mode", default: false) ? .maxOfDirected : .pooled
        case .averageSurfaceDistance:
            m.directed = try r.bool("directed", default: false)
        case .normalizedSurfaceDice:
            guard let tolerance = try r.optional("tolerance") else {
                throw .value("tolerance", "is required for normalized_surface_dice (a distance >= 0 in the units of spacing)")
            }
            m.tolerance = tolerance
        }
        if let code = try r.optional("empty_both") {
            m.empty.bothEmpty = try emptyResult(code: code, value: try r.optional("empty_both_value"), "empty_both")
        } else { _ = try r.optional("empty_both_value") }
        if let code = try r.optional("empty_one") {
            m.empty.oneEmpty = try emptyResult(code: code, value: try r.optional("empty_one_value"), "empty_one")
        } else { _ = try r.optional("empty_one_value") }
        try r.finish()
        try m.validate()
        return m
    }
}
