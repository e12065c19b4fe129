import SemSegLoss
#if canImport(Glibc)
import Glibc
#endif

// MARK: - NCHW <-> CNHW

/// `dst[c][n][i] = src[n][c][i]` for `n < batch`, `c < channels`, `i < plane`; `dst` has
/// batch stride `plane` and channel stride `dstBatch·plane` (a batch slot `n` of a larger
/// CNHW buffer is addressed through `dstBatch` and `dstIndex`).
@inline(__always)
func copyToChannelMajor<S>(
    _ src: UnsafePointer<S>, channels: Int, plane: Int,
    into dst: UnsafeMutablePointer<S>, dstBatch: Int, dstIndex: Int
) {
    for c in 0..<channels {
        (dst + (c * dstBatch + dstIndex) * plane).update(from: src + c * plane, count: plane)
    }
}

/// Inverse of `copyToChannelMajor` for one image.
@inline(__always)
func copyFromChannelMajor<S>(
    _ src: UnsafePointer<S>, srcBatch: Int, srcIndex: Int, channels: Int, plane: Int,
    into dst: UnsafeMutablePointer<S>
) {
    for c in 0..<channels {
        (dst + c * plane).update(from: src + (c * srcBatch + srcIndex) * plane, count: plane)
    }
}

// MARK: - Prediction

/// What `predict` returns per output channel.
public enum PredictionOutput: Sendable, Equatable {
    /// Raw network outputs.
    case logits
    /// `σ(z) = 1/(1 + e^−z)` per channel (binary / multilabel).
    case probabilities
    /// Softmax over the channels of each pixel (multiclass).
    case softmax
    /// `1` where `σ(z) > threshold`, else `0`.
    case mask(threshold: Double)
}

extension UNetModel {
    /// Runs the model in evaluation mode (BatchNorm running statistics) on `x`
    /// (`(N, C, H, W)`, NCHW, `C = in_channels`, H and W divisible by `2^depth`) in batches
    /// of `batchSize` and writes `(N, out_channels, H, W)` values to `output`.
    @_specialize(where Scalar == Float)
    public func predict(
        _ x: UnsafeBufferPointer<Scalar>, shape: [Int], output kind: PredictionOutput = .logits,
        batchSize: Int = 16, into output: UnsafeMutableBufferPointer<Scalar>
    ) throws(SegLossError) {
        let full = try configuration.geometry(forInput: shape)
        guard batchSize >= 1 else { throw .value("batch_size", "must be at least 1, got \(batchSize)") }
        let plane = full.height * full.width
        let inCount = try Checked.product([full.batch, configuration.inChannels, plane], argument: "x", limit: Int.max)
        let outCount = try Checked.product([full.batch, configuration.outChannels, plane], argument: "x", limit: Int.max)
        guard x.count == inCount, let xBase = x.baseAddress else {
            throw .shape("x", "has \(x.count) elements but shape \(TensorShape.format(shape)) needs \(inCount)")
        }
        guard output.count == outCount, let outBase = output.baseAddress else {
            throw .shape("output", "has \(output.count) elements, expected \(outCount)")
        }
        if case .mask(let t) = kind { try SegLossError.requireInRange(t, 0, 1, "threshold") }
        try FiniteValues.require(xBase, samples: 0..<full.batch, imageSize: configuration.inChannels * plane, argument: "x")
        let cin = configuration.inChannels, cout = configuration.outChannels
        var start = 0
        while start < full.batch {
            let n = min(batchSize, full.batch - start)
            let g = try Geometry(batch: n, height: full.height, width: full.width)
            let ws = try prepare(g)
            for i in 0..<n {
                copyToChannelMajor(xBase + (start + i) * cin * plane, channels: cin, plane: plane,
                                   into: ws.input.pointer, dstBatch: n, dstIndex: i)
            }
            try forwardPass(g, training: false)
            for i in 0..<n {
                let dst = outBase + (start + i) * cout * plane
                copyFromChannelMajor(ws.logits.pointer, srcBatch: n, srcIndex: i, channels: cout, plane: plane, into: dst)
                Self.transform(dst, channels: cout, plane: plane, kind)
            }
            start += n
        }
    }

    /// Array convenience for `predict(_:shape:output:batchSize:into:)`.
    public func predict(_ x: [Scalar], shape: [Int], output kind: PredictionOutput = .logits, batchSize: Int = 16) throws(SegLossError) -> [Scalar] {
        let dims = shape.count == 4 ? shape : [0, 0, 0, 0]
        let count = try Checked.product([max(0, dims[0]), configuration.outChannels, max(0, dims[2]), max(0, dims[3])], argument: "x", limit: Int.max)
        var out = [Scalar](repeating: 0, count: count)
        let result: Result<Void, SegLossError> = x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                do throws(SegLossError) { try predict(xb, shape: shape, output: kind, batchSize: batchSize, into: ob); return .success(()) }
                catch { return .failure(error) }
            }
        }
        try result.get()
        return out
    }

    static func transform(_ z: UnsafeMutablePointer<Scalar>, channels: Int, plane: Int, _ kind: PredictionOutput) {
        switch kind {
        case .logits:
            return
        case .probabilities:
            for i in 0..<channels * plane { z[i] = Scalar(1 / (1 + exp(-Double(z[i])))) }
        case .mask(let t):
            for i in 0..<channels * plane { z[i] = 1 / (1 + exp(-Double(z[i]))) > t ? 1 : 0 }
        case .softmax:
            for i in 0..<plane {
                var m = -Double.infinity
                for c in 0..<channels { m = max(m, Double(z[c * plane + i])) }
                var s = 0.0
                for c in 0..<channels { s += exp(Double(z[c * plane + i]) - m) }
                for c in 0..<channels { z[c * plane + i] = Scalar(exp(Double(z[c * plane + i]) - m) / s) }
            }
        }
    }

    // MARK: - Gradient access (tests, gradient checks)

    /// Logits `(N, out, H, W)` of `x` (NCHW); `training` uses BatchNorm batch statistics.
    public func logits(_ x: [Scalar], shape: [Int], training: Bool = false) throws(SegLossError) -> [Scalar] {
        let g = try loadInput(x, shape: shape)
        try forwardPass(g, training: training)
        return readLogits(g)
    }

    /// `∂(Σ outputGradient ⊙ logits)/∂θ` after a training-mode forward pass on `x`: the
    /// gradient of every parameter in the flat order, for an upstream gradient given in
    /// NCHW.
    public func parameterGradient(_ x: [Scalar], shape: [Int], outputGradient: [Scalar]) throws(SegLossError) -> [Scalar] {
        let g = try loadInput(x, shape: shape)
        let plane = g.height * g.width, cout = configuration.outChannels
        guard outputGradient.count == g.batch * cout * plane else {
            throw .shape("output_gradient", "has \(outputGradient.count) elements, expected \(g.batch * cout * plane)")
        }
        try forwardPass(g, training: true)
        guard let ws = workspace else { return [] }
        try ws.reserveGradients()
        outputGradient.withUnsafeBufferPointer { gb in
            guard let base = gb.baseAddress else { return }
            for i in 0..<g.batch {
                copyToChannelMajor(base + i * cout * plane, channels: cout, plane: plane,
                                   into: ws.dLogits.pointer, dstBatch: g.batch, dstIndex: i)
            }
        }
        try backwardPass(g)
        return Array(UnsafeBufferPointer(start: context.gradient, count: parameterCount))
    }

    func loadInput(_ x: [Scalar], shape: [Int]) throws(SegLossError) -> Geometry {
        let g = try configuration.geometry(forInput: shape)
        let plane = g.height * g.width, cin = configuration.inChannels
        guard x.count == g.batch * cin * plane else {
            throw .shape("x", "has \(x.count) elements but shape \(TensorShape.format(shape)) needs \(g.batch * cin * plane)")
        }
        let ws = try prepare(g)
        x.withUnsafeBufferPointer { xb in
            guard let base = xb.baseAddress else { return }
            for i in 0..<g.batch {
                copyToChannelMajor(base + i * cin * plane, channels: cin, plane: plane,
                                   into: ws.input.pointer, dstBatch: g.batch, dstIndex: i)
            }
        }
        return g
    }

    func readLogits(_ g: Geometry) -> [Scalar] {
        guard let ws = workspace else { return [] }
        let plane = g.height * g.width, cout = configuration.outChannels
        var out = [Scalar](repeating: 0, count: g.batch * cout * plane)
        out.withUnsafeMutableBufferPointer { ob in
            guard let base = ob.baseAddress else { return }
            for i in 0..<g.batch {
                copyFromChannelMajor(ws.logits.pointer, srcBatch: g.batch, srcIndex: i, channels: cout, plane: plane,
                                     into: base + i * cout * plane)
            }
        }
        return out
    }
}
