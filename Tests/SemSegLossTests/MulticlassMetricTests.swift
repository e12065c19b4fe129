import Testing
@testable import SemSegLoss

/// Multiclass metrics (`MulticlassClasses`, `ConfusionKernel.counts` on class maps, and the
/// surface metrics' class masks): hand-counted values, label map = one-hot = soft target,
/// ignore_index, include_background, batch pooling, ties and validation.
@Suite("Multiclass metrics")
struct MulticlassMetricTests {
    /// Logits (1, 3, 2, 2) whose argmax is [[0, 2], [1, 1]], and labels [[0, 2], [1, 0]].
    static let z: [Double] = [3, 0, 0, 0.1, 1, 0, 2, 0.5, 0, 1, 0, 0.2]
    static let labels: [Int64] = [0, 2, 1, 0]
    static let shape = [1, 3, 2, 2]
    static let multiclass: [(String, Double)] = [("mode", 2), ("from_logits", 1)]

    func counts(_ options: [(String, Double)], _ x: [Double], _ target: LossTarget<Double>, _ dims: [Int]) throws(SegLossError) -> [ConfusionCounts] {
        let m = try MetricCatalog.make("confusion_counts", options: options, countsOnly: true)
        return try x.withTensorView(shape: try TensorShape(dims), argument: "input") { xv throws(SegLossError) in
            try ConfusionKernel.counts(input: xv, target: target, metric: m.options)
        }
    }

    /// Counts with a label-map target.
    func counts(_ options: [(String, Double)], _ x: [Double], labels: [Int64], _ dims: [Int]) throws -> [ConfusionCounts] {
        let shape = try TensorShape(dims)
        return try labels.withUnsafeBufferPointer { lb in
            let view = try LabelView(lb.baseAddress!, dims: [dims[0]] + Array(dims[2...]), input: shape)
            return try counts(options, x, .labels(view), dims)
        }
    }

    /// Counts with a dense target of the input's shape.
    func counts(_ options: [(String, Double)], _ x: [Double], dense g: [Double], _ dims: [Int]) throws -> [ConfusionCounts] {
        try g.withTensorView(shape: try TensorShape(dims), argument: "target") { gv throws(SegLossError) in
            try counts(options, x, .dense(gv), dims)
        }
    }

    func quadruple(_ c: ConfusionCounts) -> [Int64] { [c.truePositive, c.falsePositive, c.falseNegative, c.trueNegative] }

    @Test("hand-counted one-vs-rest counts of the argmax prediction")
    func handCounted() throws {
        let c = try counts(Self.multiclass, Self.z, labels: Self.labels, Self.shape)
        #expect(c.map(quadruple) == [[1, 0, 1, 2], [1, 1, 0, 2], [1, 0, 0, 3]])
        let iou = try MetricCatalog.make("iou", options: Self.multiclass + [("reduction", 2)])
        #expect(c.map { iou.metric.value($0) } == [0.5, 0.5, 1])
    }

    @Test("label map, one-hot and soft targets give the same counts; probabilities = logits")
    func targetForms() throws {
        var rng = TestRandom(seed: 21)
        let dims = [3, 4, 5, 3], spatial = 15, n = 3 * 4 * spatial
        let x = rng.logits(n), labels = rng.labels(3 * spatial, classes: 4)
        let byLabels = try counts(Self.multiclass, x, labels: labels, dims).map(quadruple)
        let hot = oneHot(labels, classes: 4, spatial: spatial)
        #expect(try counts(Self.multiclass, x, dense: hot, dims).map(quadruple) == byLabels)
        // Soft targets whose largest channel is the label.
        let soft = hot.map { 0.1 + 0.5 * $0 }
        #expect(try counts(Self.multiclass, x, dense: soft, dims).map(quadruple) == byLabels)
        // Softmax probabilities have the logits' argmax.
        var p = x
        for b in 0..<3 {
            for i in 0..<spatial {
                let idx = (0..<4).map { (b * 4 + $0) * spatial + i }
                let m = idx.map { x[$0] }.max()!, e = idx.map { Foundation.exp(x[$0] - m) }, s = e.reduce(0, +)
                for (j, k) in idx.enumerated() { p[k] = e[j] / s }
            }
        }
        #expect(try counts([("mode", 2)], p, labels: labels, dims).map(quadruple) == byLabels)
        // Every valid voxel is counted once per class.
        for c in try counts(Self.multiclass, x, labels: labels, dims) {
            #expect(c.truePositive + c.falsePositive + c.falseNegative + c.trueNegative == Int64(spatial))
        }
    }

    @Test("ignore_index leaves every count; include_background drops class 0; batch pools")
    func options() throws {
        let ignored = try counts(Self.multiclass + [("ignore_index", 255)], Self.z, labels: [0, 255, 1, 0], Self.shape)
        #expect(ignored.map(quadruple) == [[1, 0, 1, 1], [1, 1, 0, 1], [0, 0, 0, 3]])
        // Dense target: a voxel with a channel equal to ignore_index is ignored.
        var hot = oneHot([0, 2, 1, 0], classes: 3, spatial: 4)
        hot[1] = -1  // voxel 1, channel 0
        let dense = try counts(Self.multiclass + [("ignore_index", -1)], Self.z, dense: hot, Self.shape)
        #expect(dense.map(quadruple) == ignored.map(quadruple))
        let noBackground = try counts(Self.multiclass + [("include_background", 0)], Self.z, labels: Self.labels, Self.shape)
        #expect(noBackground.map(quadruple) == [[1, 1, 0, 2], [1, 0, 0, 3]])
        // Two copies of the image: per image twice the same, pooled the sum.
        let twice = try counts(Self.multiclass + [("batch", 1)], Self.z + Self.z, labels: Self.labels + Self.labels, [2, 3, 2, 2])
        #expect(twice.map(quadruple) == [[2, 0, 2, 4], [2, 2, 0, 4], [2, 0, 0, 6]])
    }

    @Test("ties go to the first class, as NumPy's argmax")
    func ties() throws {
        let x: [Double] = [1, 0, 1, 2, 1, 2]  // (1, 3, 1, 2): voxel 0 ties classes 0 and 2, voxel 1 ties 1 and 2
        let c = try counts(Self.multiclass, x, labels: [0, 1], [1, 3, 1, 2])
        #expect(c.map { $0.truePositive } == [1, 1, 0])
    }

    @Test("bad input, labels and options are refused naming the argument")
    func validation() throws {
        #expect(thrownError { _ = try counts(Self.multiclass, Self.z, labels: [0, 3, 1, 0], Self.shape) }?.argument == "target")
        #expect(thrownError { _ = try counts(Self.multiclass + [("ignore_index", 0.5)], Self.z, labels: Self.labels, Self.shape) }?.argument == "ignore_index")
        var bad = Self.z
        bad[5] = .nan
        #expect(thrownError { _ = try counts(Self.multiclass, bad, labels: Self.labels, Self.shape) }?.argument == "input")
        #expect(thrownError { _ = try counts([("mode", 2)], Self.z, labels: Self.labels, Self.shape) }?.argument == "input")  // 3 > 1: not probabilities
        var soft = oneHot(Self.labels, classes: 3, spatial: 4)
        soft[2] = 1.5
        #expect(thrownError { _ = try counts(Self.multiclass, Self.z, dense: soft, Self.shape) }?.argument == "target")
        #expect(thrownError { _ = try counts([("mode", 1)], Self.z, labels: Self.labels, Self.shape) }?.argument == "target")
    }

    @Test("surface metrics of class c are those of the masks argmax = c and label = c")
    func surfaceMetrics() throws {
        var rng = TestRandom(seed: 8)
        let dims = [2, 3, 6, 5], spatial = [6, 5], n = 30
        let x = rng.logits(2 * 3 * n), labels = rng.labels(2 * n, classes: 3)
        let m = try SurfaceMetricCatalog.make("hausdorff_distance", options: Self.multiclass + [("reduction", 2)])
        let shape = try TensorShape(dims)
        let values = try x.withTensorView(shape: shape, argument: "input") { xv throws(SegLossError) in
            try labels.withUnsafeBufferPointer { lb throws(SegLossError) in
                try m.evaluate(input: xv, target: .labels(try LabelView(lb.baseAddress!, dims: [2, 6, 5], input: shape))).values
            }
        }
        for b in 0..<2 {
            for c in 0..<3 {
                let predicted = (0..<n).map { i in (0..<3).map { x[(b * 3 + $0) * n + i] }.enumerated().max { $0.element < $1.element }!.offset == c }
                let truth = (0..<n).map { labels[b * n + $0] == Int64(c) }
                let d = try SurfaceDistances.compute(prediction: predicted, target: truth, spatial: spatial)
                let expected = try m.value(d)
                let got = values[b * 3 + c]
                #expect(got == expected || (got.isNaN && expected.isNaN), "image \(b) class \(c)")
            }
        }
    }
}

import Foundation
