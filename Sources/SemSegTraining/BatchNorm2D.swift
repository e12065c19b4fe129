import SemSegLoss

// MARK: - Batch normalisation over (N, H, W) per channel

/// PyTorch `BatchNorm2d(C)` (eps 1e-5, momentum 0.1, affine), optionally followed by a
/// fused ReLU.
///
/// Training: with `P = N·H·W` values of channel `c`,
/// `μ = Σx/P`, `σ² = Σ(x − μ)²/P` (biased), `x̂ = (x − μ)/√(σ² + ε)`, `y = γ·x̂ + β`;
/// running statistics `μ_r ← (1 − m)μ_r + m·μ`, `σ²_r ← (1 − m)σ²_r + m·σ²·P/(P − 1)`.
/// Evaluation: `y = γ·(x − μ_r)/√(σ²_r + ε) + β`.
/// Backward (training statistics):
/// `dγ = Σ dy·x̂`, `dβ = Σ dy`, `dx = γ/(P·√(σ² + ε)) · (P·dy − Σdy − x̂·Σ dy·x̂)`.
///
/// Parameters `γ [C], β [C]` live at `offset` in the flat parameter vector; running
/// statistics `μ_r [C], σ²_r [C]` at `statsOffset` in the model's statistics vector.
/// Channels are split over workers; sums accumulate in Double.
public struct BatchNorm2D<Scalar: TrainScalar>: Sendable {
    public let channels: Int
    public let offset: Int
    public let statsOffset: Int
    public static var epsilon: Double { 1e-5 }
    public static var momentum: Double { 0.1 }

    public init(channels: Int, offset: Int = 0, statsOffset: Int = 0) {
        self.channels = channels
        self.offset = offset
        self.statsOffset = statsOffset
    }

    public var parameterCount: Int { 2 * channels }
    public var statisticsCount: Int { 2 * channels }

    /// γ = 1, β = 0, μ_r = 0, σ²_r = 1 (PyTorch defaults).
    public func initialize(_ parameters: UnsafeMutablePointer<Scalar>, statistics: UnsafeMutablePointer<Scalar>) {
        for c in 0..<channels {
            parameters[offset + c] = 1
            parameters[offset + channels + c] = 0
            statistics[statsOffset + c] = 0
            statistics[statsOffset + channels + c] = 1
        }
    }

    /// `y ← BN(x)` (+ ReLU). In training mode the batch mean and 1/√(σ² + ε) of each
    /// channel are written to `saved[0..<C]`, `saved[C..<2C]` for the backward pass and
    /// the running statistics are updated.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(
        _ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, pixels: Int, training: Bool, relu: Bool,
        parameters: UnsafePointer<Scalar>, statistics: UnsafeMutablePointer<Scalar>,
        saved: UnsafeMutablePointer<Scalar>, context: ComputeContext<Scalar>
    ) {
        let eps = Self.epsilon, m = Self.momentum
        let count = Double(pixels)
        context.run { worker in
            for c in partition(channels, parts: context.threads, index: worker) {
                let row = x + c * pixels, out = y + c * pixels
                var mean: Double, invStd: Double
                if training {
                    var s = 0.0
                    for i in 0..<pixels { s += Double(row[i]) }
                    mean = s / count
                    var q = 0.0
                    for i in 0..<pixels { let d = Double(row[i]) - mean; q += d * d }
                    let variance = q / count
                    invStd = 1 / (variance + eps).squareRoot()
                    saved[c] = Scalar(mean)
                    saved[channels + c] = Scalar(invStd)
                    let rm = statistics + statsOffset + c, rv = statistics + statsOffset + channels + c
                    rm.pointee = Scalar((1 - m) * Double(rm.pointee) + m * mean)
                    let unbiased = pixels > 1 ? variance * count / (count - 1) : variance
                    rv.pointee = Scalar((1 - m) * Double(rv.pointee) + m * unbiased)
                } else {
                    mean = Double(statistics[statsOffset + c])
                    invStd = 1 / (Double(statistics[statsOffset + channels + c]) + eps).squareRoot()
                }
                let scale = Scalar(Double(parameters[offset + c]) * invStd)
                let shift = Scalar(Double(parameters[offset + channels + c]) - Double(parameters[offset + c]) * invStd * mean)
                if relu {
                    for i in 0..<pixels { let v = row[i] * scale + shift; out[i] = v > 0 ? v : 0 }
                } else {
                    for i in 0..<pixels { out[i] = row[i] * scale + shift }
                }
            }
        }
    }

    /// Backward pass through the training-mode normalisation. `dy` is the gradient of the
    /// output (already through the fused ReLU); writes `dx` and accumulates `dγ, dβ` into
    /// the workers' gradient buffers.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(
        _ x: UnsafePointer<Scalar>, _ dy: UnsafePointer<Scalar>, _ dx: UnsafeMutablePointer<Scalar>, pixels: Int,
        parameters: UnsafePointer<Scalar>, saved: UnsafePointer<Scalar>, context: ComputeContext<Scalar>
    ) throws(SegLossError) {
        try context.reserveGradients()
        let count = Double(pixels)
        context.run { worker in
            let grad = context.gradients[worker].pointer
            for c in partition(channels, parts: context.threads, index: worker) {
                let row = x + c * pixels, g = dy + c * pixels, out = dx + c * pixels
                let mean = Double(saved[c]), invStd = Double(saved[channels + c])
                var sumDy = 0.0, sumDyXhat = 0.0
                for i in 0..<pixels {
                    let d = Double(g[i])
                    sumDy += d
                    sumDyXhat += d * (Double(row[i]) - mean) * invStd
                }
                grad[offset + c] += Scalar(sumDyXhat)
                grad[offset + channels + c] += Scalar(sumDy)
                let k = Double(parameters[offset + c]) * invStd / count
                let a = Scalar(k * count), b = Scalar(-k * sumDy)
                let cx = Scalar(-k * sumDyXhat * invStd), cm = Scalar(mean)
                for i in 0..<pixels { out[i] = a * g[i] + b + cx * (row[i] - cm) }
            }
        }
    }
}
