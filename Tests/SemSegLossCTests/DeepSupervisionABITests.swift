import CSemSegLoss
import SemSegLoss
import SemSegLossC
import Testing

/// semseg_deep_supervision_loss: the weighted sum through the C ABI, and statuses (never
/// traps) for bad arguments.
@Suite("C ABI: deep supervision")
struct DeepSupervisionABITests {
    /// Two float64 levels (1,1,4,4) and (1,1,2,2) and a (1,1,4,4) target.
    func call(weightMode: Int32 = SEMSEG_DS_WEIGHTS_EXP, weights: [Double]? = nil, levels: Int64 = 2,
              targetDtype: Int32 = SEMSEG_FLOAT64, nullInputs: Bool = false, withGrads: Bool = true)
        -> (status: semseg_status_t, value: Double, grads: [[Double]], message: String)
    {
        let x0: [Double] = (0..<16).map { Double($0 % 5) - 2 }, x1: [Double] = [0.5, -1, 2, 0.3]
        let g: [Double] = (0..<16).map { $0 % 3 == 0 ? 1 : 0 }
        var s0: [Int64] = [1, 1, 4, 4], s1: [Int64] = [1, 1, 2, 2], st: [Int64] = [1, 1, 4, 4]
        var grad0 = [Double](repeating: .nan, count: 16), grad1 = [Double](repeating: .nan, count: 4)
        var value = -1.0
        var err = [CChar](repeating: 0, count: 256)
        let status = x0.withUnsafeBytes { a in x1.withUnsafeBytes { b in g.withUnsafeBytes { t in
            grad0.withUnsafeMutableBytes { d0 in grad1.withUnsafeMutableBytes { d1 in
                s0.withUnsafeMutableBufferPointer { p0 in s1.withUnsafeMutableBufferPointer { p1 in st.withUnsafeMutableBufferPointer { pt in
                    var inputs = [semseg_tensor_t(data: a.baseAddress, shape: p0.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT64),
                                  semseg_tensor_t(data: b.baseAddress, shape: p1.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT64)]
                    var target = semseg_tensor_t(data: t.baseAddress, shape: pt.baseAddress, ndim: 4, dtype: targetDtype)
                    var grads: [UnsafeMutableRawPointer?] = [d0.baseAddress, d1.baseAddress]
                    return inputs.withUnsafeMutableBufferPointer { ib in grads.withUnsafeMutableBufferPointer { gb in
                        err.withUnsafeMutableBufferPointer { eb in
                            let w = weights
                            return (w ?? []).withUnsafeBufferPointer { wb in
                                semseg_deep_supervision_loss(
                                    "dice_loss", nil, 0, nullInputs ? nil : ib.baseAddress, levels, &target, weightMode,
                                    w == nil ? nil : wb.baseAddress, &value, withGrads ? UnsafePointer(gb.baseAddress) : nil,
                                    eb.baseAddress, 256)
                            }
                        }
                    } }
                } } }
            } }
        } } }
        return (status, value, [grad0, grad1], text(err))
    }

    @Test("the weighted sum and the scaled gradients")
    func ok() throws {
        let r = call()
        #expect(r.status == SEMSEG_OK, "\(r.message)")
        let x0: [Double] = (0..<16).map { Double($0 % 5) - 2 }, g: [Double] = (0..<16).map { $0 % 3 == 0 ? 1 : 0 }
        let g1 = [5, 7, 13, 15].map { g[$0] }
        let dice = try LossCatalog.make("dice_loss")
        let l0 = try dice(x0, g, shape: [1, 1, 4, 4]), l1 = try dice([0.5, -1, 2, 0.3], g1, shape: [1, 1, 2, 2])
        #expect(abs(r.value - (l0.value + 0.5 * l1.value)) < 1e-12)
        #expect(maxAbsDiff(r.grads[0], l0.gradient) < 1e-15 && maxAbsDiff(r.grads[1], l1.gradient.map { 0.5 * $0 }) < 1e-15)
        let same = call(weightMode: SEMSEG_DS_WEIGHTS_SAME, withGrads: false)
        #expect(same.status == SEMSEG_OK && abs(same.value - (l0.value + l1.value)) < 1e-12)
        let explicit = call(weights: [0, 2])
        #expect(explicit.status == SEMSEG_OK && abs(explicit.value - 2 * l1.value) < 1e-12)
    }

    @Test("bad arguments give a status and a message naming them")
    func bad() {
        for (r, word) in [(call(weightMode: 7), "weight_mode"), (call(weights: [1, -1]), "weights"),
                          (call(levels: 0), "inputs"), (call(levels: 65), "inputs"),
                          (call(targetDtype: SEMSEG_FLOAT32), "target"), (call(nullInputs: true), "inputs")] {
            #expect(r.status != SEMSEG_OK && r.message.contains(word), "\(r.message)")
        }
    }
}

private func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
