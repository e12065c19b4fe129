import Testing
@testable import SemSegLoss

/// Metric semantics beyond the golden values: empty policies, thresholds, batching.
@Suite("Metrics")
struct MetricTests {
    func metric(_ name: String, _ options: [(String, Double)], _ x: [Double], _ g: [Double], _ dims: [Int]) throws -> (value: Double, values: [Double]) {
        let m = try MetricCatalog.make(name, options: options)
        let shape = try TensorShape(dims)
        return try x.withTensorView(shape: shape, argument: "input") { xv throws(SegLossError) in
            try g.withTensorView(shape: shape, argument: "target") { gv throws(SegLossError) in try m.evaluate(input: xv, target: gv) }
        }
    }

    @Test("0/0 follows the empty policy; NaN entries leave the mean")
    func emptyPolicy() throws {
        let x: [Double] = [0, 0, 0.9, 0.1], g: [Double] = [0, 0, 1, 0]
        let nan = try metric("iou", [("reduction", 2)], x, g, [2, 1, 2])
        #expect(nan.values[0].isNaN && nan.values[1] == 1)
        #expect(try metric("iou", [], x, g, [2, 1, 2]).value == 1)
        #expect(try metric("iou", [("empty", 1)], x, g, [2, 1, 2]).value == 1)
        #expect(try metric("iou", [("empty", 2)], x, g, [2, 1, 2]).value == 0.5)
        #expect(try metric("iou", [], [0, 0], [0, 0], [1, 1, 2]).value.isNaN)
    }

    /// Two images of two channels (1×4 each): image 0 has Dice 1 and an empty/empty
    /// channel (NaN), image 1 Dice 0.5 twice. Entries weigh alike: (1 + 0.5 + 0.5)/3;
    /// `image_mean` (MONAI's mean): (1 + 0.5)/2.
    @Test("image_mean averages each image first (MONAI's mean)")
    func imageMean() throws {
        var x = [Double](repeating: 0, count: 16), g = x
        for i in 0..<2 { x[i] = 1; g[i] = 1 }                 // image 0, channel 0
        for c in 0..<2 { x[8 + 4 * c] = 1; for i in 0..<3 { g[8 + 4 * c + i] = 1 } }  // image 1
        let dims = [2, 2, 1, 4], multilabel = ("mode", 1.0)
        let flat = try metric("dice_score", [multilabel], x, g, dims)
        #expect(flat.values[1].isNaN && flat.values[2] == 0.5)
        #expect(abs(flat.value - 2.0 / 3) < 1e-15)
        #expect(try metric("dice_score", [multilabel, ("image_mean", 1)], x, g, dims).value == 0.75)
        // an image whose entries are all NaN leaves the image mean; all NaN gives NaN
        #expect(try metric("dice_score", [("image_mean", 1)], [0, 0, 1, 1], [0, 0, 1, 1], [2, 1, 2]).value == 1)
        #expect(try metric("dice_score", [("image_mean", 1)], [0, 0], [0, 0], [1, 1, 2]).value.isNaN)
        let surface = try SurfaceMetricCatalog.make("normalized_surface_dice", options: [multilabel, ("tolerance", 0.5), ("image_mean", 1)])
        let nsd = try x.withTensorView(shape: try TensorShape(dims), argument: "input") { xv throws(SegLossError) in
            try g.withTensorView(shape: try TensorShape(dims), argument: "target") { gv throws(SegLossError) in
                try surface.evaluate(input: xv, target: gv)
            }
        }
        #expect(nsd.value == (nsd.values[0] + (nsd.values[2] + nsd.values[3]) / 2) / 2 && nsd.values[1].isNaN)
        // a count that is not a multiple of the entries per image: the last partial image counts as one
        #expect(OverlapMetric.reduce([1, .nan, 0.5], .mean, imageMean: true, entriesPerImage: 2) == 0.75)
        expectError(.option, "image_mean") { _ = try MetricCatalog.make("iou", options: [("image_mean", 1), ("batch", 1)]) }
        expectError(.option, "image_mean") { _ = try MetricCatalog.make("iou", options: [("image_mean", 1), ("reduction", 1)]) }
        expectError(.option, "image_mean") {
            _ = try SurfaceMetricCatalog.make("hausdorff_distance", options: [("image_mean", 1), ("reduction", 2)])
        }
    }

    /// Swift arrays straight in (an audit of the Swift API, 2026-12-06, found every metric
    /// call needing nested `withTensorView` closures): the same values as `evaluate`.
    @Test("metrics on Swift arrays, dense targets and label maps")
    func arrayConveniences() throws {
        let x: [Double] = [0.9, 0.1, 0.8, 0.3, 0.1, 0.9, 0.2, 0.7], g: [Double] = [1, 0, 0, 1, 0, 1, 1, 0]
        let iou = try MetricCatalog.make("iou", options: [("reduction", 2)])
        let viaViews = try metric("iou", [("reduction", 2)], x, g, [2, 1, 4])
        let viaArrays = try iou(x, g, shape: [2, 1, 4])
        #expect(viaArrays.value == viaViews.value && viaArrays.values == viaViews.values)
        // multiclass: two classes of one image of 4 pixels, labels against their one-hot form
        let scores: [Float] = [0.9, 0.2, 0.6, 0.1, 0.1, 0.8, 0.4, 0.9], labels: [Int64] = [0, 1, 1, 1]
        let oneHot: [Float] = [1, 0, 0, 0, 0, 1, 1, 1]
        let dice = try MetricCatalog.make("dice_score", options: [("mode", 2), ("reduction", 2)])
        #expect(try dice(scores, labels: labels, shape: [1, 2, 4]).values == (try dice(scores, oneHot, shape: [1, 2, 4])).values)
        let hd = try SurfaceMetricCatalog.make("hausdorff_distance", options: [("mode", 2), ("reduction", 2)])
        #expect(try hd(scores, labels: labels, shape: [1, 2, 4]).values == (try hd(scores, oneHot, shape: [1, 2, 4])).values)
        expectError(.shape, "target") { _ = try dice(scores, labels: [0, 1], shape: [1, 2, 4]) }
        expectError(.shape, "input") { _ = try iou(x, g, shape: [2, 1, 3]) }
    }

    /// `ConfiguredMetric` built directly (an audit of the Swift API, 2026-12-06: it had no
    /// public initialiser) equals the catalogue's, and checks its values when evaluated.
    @Test("a metric built directly equals the catalogue's; bad beta and image_mean are refused")
    func directInitialiser() throws {
        let x: [Double] = [0.9, 0.1, 0.8, 0.3, 0.1, 0.9, 0.2, 0.7], g: [Double] = [1, 0, 0, 1, 0, 1, 1, 0]
        let byName = try MetricCatalog.make("f_beta", options: [("beta", 2), ("reduction", 2), ("threshold", 0.4)])
        let direct = ConfiguredMetric(
            metric: .fBeta, options: MetricOptions(threshold: 0.4, options: LossOptions(fromLogits: false, reduction: .none)),
            beta: 2)
        let a = try byName(x, g, shape: [2, 1, 4]), b = try direct(x, g, shape: [2, 1, 4])
        #expect(a.values == b.values && a.values.count == 2)
        #expect(ConfiguredMetric(metric: .iou).options == MetricOptions())
        var bad = direct
        bad.beta = 0
        expectError(.value, "beta") { _ = try bad(x, g, shape: [2, 1, 4]) }
        bad.beta = .nan
        expectError(.value, "beta") { _ = try bad(x, g, shape: [2, 1, 4]) }
        expectError(.value, "beta") { _ = try MetricCatalog.make("f_beta", options: [("beta", -1)]) }
        let summed = ConfiguredMetric(metric: .iou, options: MetricOptions(options: LossOptions(fromLogits: false, reduction: .sum)),
                                      imageMean: true)
        expectError(.option, "image_mean") { _ = try summed(x, g, shape: [2, 1, 4]) }
        let pooled = ConfiguredMetric(metric: .iou, options: MetricOptions(batch: true), imageMean: true)
        expectError(.option, "image_mean") { _ = try pooled(x, g, shape: [2, 1, 4]) }
        let perImage = ConfiguredMetric(metric: .iou, imageMean: true)
        #expect(try perImage(x, g, shape: [2, 1, 4]).value == (try MetricCatalog.make("iou", options: [("image_mean", 1)])(x, g, shape: [2, 1, 4])).value)
    }

    @Test("logit threshold equals probability threshold")
    func logits() throws {
        var rng = TestRandom(seed: 4)
        let z = rng.logits(40), g = rng.bits(40)
        let p = z.map { 1 / (1 + Foundation.exp(-$0)) }
        for name in MetricCatalog.names {
            let a = try metric(name, [("from_logits", 1), ("threshold", 0.3)], z, g, [2, 1, 4, 5])
            let b = try metric(name, [("threshold", 0.3)], p, g, [2, 1, 4, 5])
            #expect(a.value == b.value || (a.value.isNaN && b.value.isNaN), "\(name)")
        }
    }

    @Test("batch pools counts; ignore_index and include_background")
    func pooling() throws {
        let x: [Double] = [0.9, 0.2, 0.7, 0.6, 0.4, 0.55, 0.1, 0.8]
        let g: [Double] = [1, 0, 1, 0, 1, 1, 0, 0]
        let pooled = try metric("iou", [("batch", 1)], x, g, [2, 1, 2, 2])
        #expect(abs(pooled.value - 3.0 / 6.0) < 1e-12)  // TP 3, FP 2, FN 1
        let ignored = try metric("accuracy", [("ignore_index", 255)], x, [1, 255, 1, 0, 1, 1, 0, 0], [2, 1, 2, 2])
        #expect(abs(ignored.value - (2.0 / 3.0 + 0.5) / 2) < 1e-12)  // image 0: 3 valid voxels, 2 right
        let noBg = try metric("iou", [("mode", 1), ("include_background", 0), ("reduction", 2)], x, g, [1, 2, 2, 2])
        #expect(noBg.values.count == 1)
    }
}

import Foundation
