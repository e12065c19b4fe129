import SemSegLoss

// MARK: - Max pooling 2×2, stride 2

/// `Y[c](i, j) = max_{a,b ∈ {0,1}} X[c](2i + a, 2j + b)` (PyTorch `MaxPool2d(2)`; input
/// height and width must be even, which the U-Net guarantees by requiring sizes divisible
/// by 2^depth).
///
/// The forward pass records the position of the maximum (first one in row-major order on
/// ties; NaN wins, as in PyTorch) in a `UInt8` map, and the backward pass routes each
/// `dY` to that position only: `dX[c](2i + a, 2j + b) = [argmax = (a, b)] · dY[c](i, j)`.
public enum MaxPool2D {
    /// `y`, `argmax`: CNHW over `input.halved`; `x`: CNHW over `input`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func forward<S: TrainScalar>(
        _ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, argmax: UnsafeMutablePointer<UInt8>,
        channels: Int, input: Geometry, context: ComputeContext<S>
    ) {
        let out = input.halved
        let wIn = input.width, wOut = out.width
        let pIn = input.pixels, pOut = out.pixels
        let outRows = out.rows
        context.run { worker in
            for t in partition(channels * outRows, parts: context.threads, index: worker) {
                let c = t / outRows, go = t % outRows
                let r0 = x + c * pIn + 2 * go * wIn, r1 = r0 + wIn
                let dst = y + c * pOut + go * wOut
                let idx = argmax + c * pOut + go * wOut
                for j in 0..<wOut {
                    var m = r0[2 * j], k: UInt8 = 0
                    let v1 = r0[2 * j + 1], v2 = r1[2 * j], v3 = r1[2 * j + 1]
                    if v1 > m || v1.isNaN && !m.isNaN { m = v1; k = 1 }
                    if v2 > m || v2.isNaN && !m.isNaN { m = v2; k = 2 }
                    if v3 > m || v3.isNaN && !m.isNaN { m = v3; k = 3 }
                    dst[j] = m
                    idx[j] = k
                }
            }
        }
    }

    /// Routes `dy` (CNHW over `input.halved`) back to the recorded maxima of `dx` (CNHW
    /// over `input`). With `accumulate` the routed values are added to `dx` (the pooled
    /// tensor is also a skip connection whose gradient is already there); otherwise `dx`
    /// is overwritten. With `mask`, routed values are multiplied by `[x > 0]` (x came out
    /// of a ReLU).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func backward<S: TrainScalar>(
        _ x: UnsafePointer<S>, _ dy: UnsafePointer<S>, argmax: UnsafePointer<UInt8>,
        _ dx: UnsafeMutablePointer<S>, channels: Int, input: Geometry,
        accumulate: Bool, mask: Bool, context: ComputeContext<S>
    ) {
        let out = input.halved
        let wIn = input.width, wOut = out.width
        let pIn = input.pixels, pOut = out.pixels
        let outRows = out.rows
        context.run { worker in
            for t in partition(channels * outRows, parts: context.threads, index: worker) {
                let c = t / outRows, go = t % outRows
                let base = c * pIn + 2 * go * wIn
                let src = dy + c * pOut + go * wOut
                let idx = argmax + c * pOut + go * wOut
                for j in 0..<wOut {
                    let k = Int(idx[j])
                    let offsets = (base + 2 * j, base + 2 * j + 1, base + wIn + 2 * j, base + wIn + 2 * j + 1)
                    let target = k == 0 ? offsets.0 : k == 1 ? offsets.1 : k == 2 ? offsets.2 : offsets.3
                    let g = mask && !(x[target] > 0) ? 0 : src[j]
                    if accumulate {
                        dx[target] += g
                    } else {
                        dx[offsets.0] = 0; dx[offsets.1] = 0; dx[offsets.2] = 0; dx[offsets.3] = 0
                        dx[target] = g
                    }
                }
            }
        }
    }
}
