import CSemSegLoss
import Foundation
import SemSegLoss
import SemSegLossC
import Testing

/// Integer label maps through `semseg_loss` and the metrics (an int64 target of shape
/// (N, *spatial)).
@Suite("C ABI: label-map targets")
struct LabelMapABITests {
    static let x: [Double] = [2, -1, 0.5, 0, 0, 3, -2, 1, -1, 0, 1, 2]

    /// Runs `body` on descriptors of a (1, 3, 2, 2) float64 input (`x`) and of a target:
    /// the label map, or `dense` (the input's shape) when given; returns its status and
    /// the error message.
    func withTensors(
        labels: [Int64], labelShape: [Int64], dense: [Double]?,
        _ body: (inout semseg_tensor_t, inout semseg_tensor_t, UnsafeMutablePointer<CChar>) -> semseg_status_t
    ) -> (status: semseg_status_t, message: String) {
        let shape: [Int64] = [1, 3, 2, 2]
        var err = [CChar](repeating: 0, count: 256)
        let status: semseg_status_t = Self.x.withUnsafeBytes { xb in
            shape.withUnsafeBufferPointer { sb in
                labelShape.withUnsafeBufferPointer { lsb in
                    (dense ?? []).withUnsafeBytes { db in
                        labels.withUnsafeBytes { lb in
                            var xi = semseg_tensor_t(data: xb.baseAddress, shape: sb.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT64)
                            var ti = dense == nil
                                ? semseg_tensor_t(data: lb.baseAddress, shape: lsb.baseAddress, ndim: Int32(labelShape.count), dtype: SEMSEG_INT64)
                                : semseg_tensor_t(data: db.baseAddress, shape: sb.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT64)
                            return err.withUnsafeMutableBufferPointer { eb in body(&xi, &ti, eb.baseAddress!) }
                        }
                    }
                }
            }
        }
        return (status, String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Calls dice_loss in multiclass mode (`mode` code) on `x`.
    func call(
        labels: [Int64], labelShape: [Int64], dense: [Double]? = nil, mode: Double = 2
    ) -> (status: semseg_status_t, value: Double, grad: [Double], message: String) {
        var value = -1.0
        var grad = [Double](repeating: 0, count: 12)
        let name = strdup("mode")!
        defer { free(name) }
        var opts = [semseg_option_t(name: UnsafePointer(name), value: mode)]
        let r = withTensors(labels: labels, labelShape: labelShape, dense: dense) { xi, ti, e in
            grad.withUnsafeMutableBytes { gb in
                semseg_loss("dice_loss", &opts, 1, &xi, &ti, nil, &value, nil, gb.baseAddress, e, 256)
            }
        }
        return (r.status, value, grad, r.message)
    }

    /// Calls semseg_metric("iou") with reduction none and `mode`, and
    /// semseg_confusion_counts with the same options.
    func metric(
        labels: [Int64], labelShape: [Int64], dense: [Double]? = nil, mode: Double = 2
    ) -> (status: semseg_status_t, values: [Double], counts: [Int64], message: String) {
        var value = -1.0
        var values = [Double](repeating: -1, count: 3)
        var counts = [Int64](repeating: -1, count: 12)
        let names: [UnsafeMutablePointer<CChar>] = ["mode", "from_logits", "reduction"].map { (s: String) in strdup(s)! }
        defer { names.forEach { free($0) } }
        var opts = [semseg_option_t(name: UnsafePointer(names[0]), value: mode),
                    semseg_option_t(name: UnsafePointer(names[1]), value: 1),
                    semseg_option_t(name: UnsafePointer(names[2]), value: Double(SEMSEG_REDUCTION_NONE))]
        let r = withTensors(labels: labels, labelShape: labelShape, dense: dense) { xi, ti, e in
            let st = semseg_metric("iou", &opts, 3, &xi, &ti, &value, &values, e, 256)
            guard st == SEMSEG_OK else { return st }
            return semseg_confusion_counts(&opts, 2, &xi, &ti, &counts, 12, e, 256)
        }
        return (r.status, values, counts, r.message)
    }

    @Test("a label map gives the same loss and gradient as its one-hot form")
    func sameAsOneHot() {
        let labels: [Int64] = [0, 2, 1, 2]
        let oneHot: [Double] = [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
        let a = call(labels: labels, labelShape: [1, 2, 2])
        let b = call(labels: [], labelShape: [], dense: oneHot)
        #expect(a.status == SEMSEG_OK && b.status == SEMSEG_OK)
        #expect(abs(a.value - b.value) < 1e-12 && a.value > 0)
        #expect(zip(a.grad, b.grad).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test("bad label maps are statuses naming the target")
    func badLabels() {
        let wrongShape = call(labels: [0, 1, 2, 0], labelShape: [1, 4])
        #expect(wrongShape.status == SEMSEG_ERR_SHAPE && wrongShape.message.hasPrefix("target"))
        let outOfRange = call(labels: [0, 1, 3, 0], labelShape: [1, 2, 2])
        #expect(outOfRange.status == SEMSEG_ERR_VALUE && outOfRange.message.hasPrefix("target"))
        let negative = call(labels: [0, -1, 2, 0], labelShape: [1, 2, 2])
        #expect(negative.status == SEMSEG_ERR_VALUE)
        let binary = call(labels: [0, 1, 1, 0], labelShape: [1, 2, 2], mode: 1)
        #expect(binary.status == SEMSEG_ERR_SHAPE && binary.message.contains("multiclass"))
    }

    @Test("metrics take a label map in multiclass mode, as its one-hot form")
    func metricLabelMaps() {
        // x's argmax per voxel: classes 0, 1, 2, 2 (channels [2, -1, 0.5, 0], [0, 3, -2, 1], [-1, 0, 1, 2]).
        let labels: [Int64] = [0, 2, 1, 2]
        let oneHot: [Double] = [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
        let a = metric(labels: labels, labelShape: [1, 2, 2])
        let b = metric(labels: [], labelShape: [], dense: oneHot)
        #expect(a.status == SEMSEG_OK && b.status == SEMSEG_OK, "\(a.message) \(b.message)")
        #expect(a.counts == [1, 0, 0, 3, 0, 1, 1, 2, 1, 1, 1, 1])
        #expect(a.counts == b.counts)
        #expect(a.values == [1, 0, 1.0 / 3.0] && a.values == b.values)
        let outOfRange = metric(labels: [0, 1, 3, 0], labelShape: [1, 2, 2])
        #expect(outOfRange.status == SEMSEG_ERR_VALUE && outOfRange.message.hasPrefix("target"))
        let multilabel = metric(labels: labels, labelShape: [1, 2, 2], mode: 1)
        #expect(multilabel.status == SEMSEG_ERR_SHAPE && multilabel.message.contains("multiclass"))
    }
}
