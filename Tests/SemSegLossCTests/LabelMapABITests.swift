import CSemSegLoss
import Foundation
import SemSegLoss
import SemSegLossC
import Testing

/// Integer label maps through `semseg_loss` (an int64 target of shape (N, *spatial)).
@Suite("C ABI: label-map targets")
struct LabelMapABITests {
    /// Calls dice_loss in multiclass mode on a (1, 3, 2, 2) float64 input.
    func call(
        labels: [Int64], labelShape: [Int64], dense: [Double]? = nil, mode: Double = 2
    ) -> (status: semseg_status_t, value: Double, grad: [Double], message: String) {
        let x: [Double] = [2, -1, 0.5, 0, 0, 3, -2, 1, -1, 0, 1, 2]
        let shape: [Int64] = [1, 3, 2, 2]
        var value = -1.0
        var grad = [Double](repeating: 0, count: 12)
        var err = [CChar](repeating: 0, count: 256)
        let name = strdup("mode")!
        defer { free(name) }
        var opts = [semseg_option_t(name: UnsafePointer(name), value: mode)]
        let status: semseg_status_t = x.withUnsafeBytes { xb in
            shape.withUnsafeBufferPointer { sb in
                labelShape.withUnsafeBufferPointer { lsb in
                    (dense ?? []).withUnsafeBytes { db in
                        labels.withUnsafeBytes { lb in
                            var xi = semseg_tensor_t(data: xb.baseAddress, shape: sb.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT64)
                            var ti = dense == nil
                                ? semseg_tensor_t(data: lb.baseAddress, shape: lsb.baseAddress, ndim: Int32(labelShape.count), dtype: SEMSEG_INT64)
                                : semseg_tensor_t(data: db.baseAddress, shape: sb.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT64)
                            return grad.withUnsafeMutableBytes { gb in
                                err.withUnsafeMutableBufferPointer { eb in
                                    semseg_loss("dice_loss", &opts, 1, &xi, &ti, nil, &value, nil, gb.baseAddress, eb.baseAddress, 256)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (status, value, grad, String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
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
}
