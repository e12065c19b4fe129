// MARK: - ReLU, bias and channel concatenation

/// Elementwise kernels shared by the layers. All work on one contiguous run per channel
/// of a CNHW tensor (channel stride `stride`).

/// `y[c, i] ← y[c, i] + b[c]`, then `max(0, ·)` when `relu` (fused GEMM epilogue).
@inline(__always)
func addBiasReLU<S: TrainScalar>(
    _ y: UnsafeMutablePointer<S>, channels: Int, count: Int, stride: Int,
    bias: UnsafePointer<S>?, relu: Bool
) {
    for c in 0..<channels {
        let row = y + c * stride
        let b: S = bias?[c] ?? 0
        if relu {
            for i in 0..<count { let v = row[i] + b; row[i] = v > 0 ? v : 0 }
        } else if b != 0 {
            for i in 0..<count { row[i] += b }
        }
    }
}

/// `sums[c] += Σ_i x[c·stride + i]` for `i < count` (bias gradients), with four partial
/// sums per channel.
@inline(__always)
func accumulateRowSums<S: TrainScalar>(
    _ x: UnsafePointer<S>, channels: Int, count: Int, stride: Int, into sums: UnsafeMutablePointer<S>
) {
    for c in 0..<channels {
        let row = x + c * stride
        var s0: S = 0, s1: S = 0, s2: S = 0, s3: S = 0
        var i = 0
        while i + 4 <= count {
            s0 += row[i]; s1 += row[i + 1]; s2 += row[i + 2]; s3 += row[i + 3]
            i += 4
        }
        while i < count { s0 += row[i]; i += 1 }
        sums[c] += (s0 + s1) + (s2 + s3)
    }
}

/// `dx[i] ← dx[i] · [x[i] > 0]`: the ReLU backward pass, fused into whichever layer
/// computes the gradient of a ReLU output (`x` is that output).
@inline(__always)
func reluMask<S: TrainScalar>(_ dx: UnsafeMutablePointer<S>, by x: UnsafePointer<S>, count: Int) {
    for i in 0..<count where !(x[i] > 0) { dx[i] = 0 }
}

// MARK: - Stand-alone layers

/// Rectified linear unit, `y = max(0, x)`, `dy/dx = [x > 0]` (0 at the kink, as PyTorch).
///
/// The U-Net fuses ReLU into the convolutions (forward: GEMM epilogue; backward: the mask
/// is applied by the layer that computes the gradient of the ReLU output); this type is
/// the reference implementation checked against the fused path in the tests.
public enum ReLU {
    public static func forward<S: TrainScalar>(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count: Int) {
        for i in 0..<count { y[i] = x[i] > 0 ? x[i] : 0 }
    }

    /// `dx = dy · [y > 0]` where `y` is the forward output.
    public static func backward<S: TrainScalar>(
        output y: UnsafePointer<S>, _ dy: UnsafePointer<S>, _ dx: UnsafeMutablePointer<S>, count: Int
    ) {
        for i in 0..<count { dx[i] = y[i] > 0 ? dy[i] : 0 }
    }
}

/// Channel concatenation `[a, b]` of two CNHW tensors with the same geometry.
///
/// In CNHW a channel is one contiguous run of `pixels` values, so the concatenation of
/// `a (Ca channels)` and `b (Cb channels)` is `a`'s buffer followed by `b`'s: the U-Net
/// lets the transposed convolution write the first `Ca` channels and the skip connection
/// the last `Cb` channels of one buffer, and the concatenation costs nothing. Its backward
/// pass is the split of the gradient into the same two channel ranges. This type is the
/// explicit (copying) version, used in tests.
public enum ChannelConcat {
    /// `out[0..<Ca] = a`, `out[Ca..<Ca+Cb] = b`.
    public static func forward<S: TrainScalar>(
        _ a: UnsafePointer<S>, channelsA: Int, _ b: UnsafePointer<S>, channelsB: Int,
        pixels: Int, into out: UnsafeMutablePointer<S>
    ) {
        out.update(from: a, count: channelsA * pixels)
        (out + channelsA * pixels).update(from: b, count: channelsB * pixels)
    }

    /// Splits `dout` into `da` (first `Ca` channels) and `db` (the rest).
    public static func backward<S: TrainScalar>(
        _ dout: UnsafePointer<S>, channelsA: Int, channelsB: Int, pixels: Int,
        _ da: UnsafeMutablePointer<S>, _ db: UnsafeMutablePointer<S>
    ) {
        da.update(from: dout, count: channelsA * pixels)
        db.update(from: dout + channelsA * pixels, count: channelsB * pixels)
    }
}
