import Testing
@testable import SemSegLoss

/// `SeparableWindow` (SSIM's 'valid' Gaussian filter and its adjoint) against a direct
/// sum over the window, and the adjoint by the dot-product identity ⟨Kx, y⟩ = ⟨x, Kᵀy⟩,
/// on 1-, 2- and 3-D planes, windows whose tap count leaves 0-3 taps after the groups of
/// four, and lines longer than the 1024-column blocks.
@Suite("SSIM separable window: valid filter and adjoint")
struct SeparableWindowTests {
    /// Every spatial dim ≥ the window size, as `SSIMEvaluator` requires.
    struct Case: CustomTestStringConvertible, Sendable {
        var spatial: [Int]
        var size: Int
        var testDescription: String { "\(spatial), window \(size)" }
    }

    static let cases: [Case] = [
        Case(spatial: [23], size: 11), Case(spatial: [1], size: 1), Case(spatial: [12, 13], size: 11),
        Case(spatial: [11, 11], size: 11), Case(spatial: [14, 1100], size: 5), Case(spatial: [9, 2100], size: 3),
        Case(spatial: [4, 40, 30], size: 3), Case(spatial: [13, 14, 15], size: 13), Case(spatial: [7, 8, 9], size: 7),
    ]

    @Test("apply equals the direct window sum; adjoint passes the dot-product test", arguments: cases)
    func againstDirect(_ c: Case) {
        let taps = SeparableWindow<Double>.gaussian(size: c.size, sigma: 1.5)
        let window = SeparableWindow<Double>(taps: taps, spatial: c.spatial[...])
        let n = window.count, m = window.validCount
        var rng = TestRandom(seed: UInt64(n + c.size))
        let x = (0..<n).map { _ in rng.uniform() * 2 - 1 }, y = (0..<m).map { _ in rng.uniform() * 2 - 1 }
        var kx = [Double](repeating: .nan, count: n), kty = [Double](repeating: .nan, count: n)
        var work = [Double](repeating: .nan, count: n)
        x.withUnsafeBufferPointer { xb in
            kx.withUnsafeMutableBufferPointer { ob in
                work.withUnsafeMutableBufferPointer { wb in window.apply(xb.baseAddress!, into: ob.baseAddress!, work: wb.baseAddress!) }
            }
        }
        y.withUnsafeBufferPointer { yb in
            kty.withUnsafeMutableBufferPointer { ob in
                work.withUnsafeMutableBufferPointer { wb in window.adjoint(yb.baseAddress!, into: ob.baseAddress!, work: wb.baseAddress!) }
            }
        }
        // Direct: out[i] = Σ over the window's offsets of Π w · x[i + offset].
        let dims = window.dims, valid = window.validDims
        let w3 = dims.indices.map { window.axes.contains($0) ? taps : [1.0] }
        var direct = [Double](repeating: 0, count: m)
        for a in 0..<valid[0] { for b in 0..<valid[1] { for d in 0..<valid[2] {
            var sum = 0.0
            for (i, wa) in w3[0].enumerated() { for (j, wb) in w3[1].enumerated() { for (k, wc) in w3[2].enumerated() {
                sum += wa * wb * wc * x[((a + i) * dims[1] + b + j) * dims[2] + d + k]
            } } }
            direct[(a * valid[1] + b) * valid[2] + d] = sum
        } } }
        #expect(maxAbsDiff(Array(kx[0..<m]), direct) < 1e-13)
        let lhs = zip(direct, y).reduce(0) { $0 + $1.0 * $1.1 }, rhs = zip(x, kty).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(lhs - rhs) < 1e-11 * max(1, abs(lhs)))
        #expect(kty.allSatisfy { $0.isFinite })
    }
}
