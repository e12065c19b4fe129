import SemSegLoss

// MARK: - 2-D convolution, k×k, stride 1, "same" padding

/// `Y[o] = b[o] + Σ_{c,ky,kx} W[o,c,ky,kx] · X[c](y + ky − p, x + kx − p)`, `p = k/2`,
/// with zero padding (PyTorch `Conv2d(cin, cout, k, padding=k//2)`; k = 3 for the U-Net
/// blocks, k = 1 for the head).
///
/// Weights are stored as PyTorch does, `[Cout][Cin][k][k]`, i.e. the row-major matrix
/// `Wmat[Cout × Cin·k²]`, followed by the bias `[Cout]`, at `offset` in the model's flat
/// parameter vector.
///
/// Computation (CNHW layout, see `Geometry`): per worker, per chunk of image rows,
/// - forward:  `col = im2col(X)`, `Y[:, chunk] = Wmat · col`, then bias (+ ReLU) in cache;
/// - backward: `dW += dY[:, chunk] · colᵀ`, `db += Σ dY`, and
///   `dX[:, chunk] = W̃ · im2col(dY)` with `W̃[c, (o,ky,kx)] = W[o, c, k−1−ky, k−1−kx]`
///   (the input gradient of a same-padded correlation is the correlation of `dY` with the
///   180°-rotated, transposed kernel), so workers only ever write their own rows.
/// For k = 1 im2col is the identity and is skipped.
public struct Conv2D<Scalar: TrainScalar>: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let hasBias: Bool
    /// Offset of the weights in the flat parameter vector; the bias follows them.
    public let offset: Int

    public init(inChannels: Int, outChannels: Int, kernelSize: Int, bias: Bool = true, offset: Int = 0) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.hasBias = bias
        self.offset = offset
    }

    var kernelArea: Int { kernelSize * kernelSize }
    /// Rows of the im2col matrix, `Cin·k²` (the fan-in).
    var columnRows: Int { inChannels * kernelArea }
    public var weightCount: Int { outChannels * columnRows }
    public var biasOffset: Int { offset + weightCount }
    public var parameterCount: Int { weightCount + (hasBias ? outChannels : 0) }

    /// PyTorch's default initialisation: `kaiming_uniform_(a = √5)` gives
    /// `bound = gain·√(3/fan_in)` with `gain = √(2/(1 + 5))`, i.e. `1/√fan_in`, for the
    /// weights, and the bias is `U(±1/√fan_in)`, with `fan_in = Cin·k²`.
    public func initialize(_ parameters: UnsafeMutablePointer<Scalar>, rng: inout Xoshiro256) {
        let fanIn = Double(columnRows)
        let gain = (2.0 / (1.0 + 5.0)).squareRoot()
        let bound = gain * (3.0 / fanIn).squareRoot()
        for i in 0..<weightCount { parameters[offset + i] = Scalar(rng.nextSymmetric(bound)) }
        if hasBias {
            let biasBound = 1 / fanIn.squareRoot()
            for i in 0..<outChannels { parameters[biasOffset + i] = Scalar(rng.nextSymmetric(biasBound)) }
        }
    }

    /// Scratch elements one worker needs for `geometry`.
    func scratchNeeded(_ geometry: Geometry) -> Int {
        guard kernelSize > 1 else { return 0 }
        // rows · rowsPerChunk(rows) · W ≤ max(target, rows · W) for either matrix
        return max(columnChunkTarget, max(columnRows, outChannels * kernelArea) * geometry.width)
    }

    // MARK: Forward

    /// `y ← conv(x)` (+ ReLU when `relu`), both CNHW over `geometry`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(
        _ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, geometry: Geometry,
        parameters: UnsafePointer<Scalar>, relu: Bool, context: ComputeContext<Scalar>
    ) throws(SegLossError) {
        try context.reserveScratch(scratchNeeded(geometry))
        let p = geometry.pixels, width = geometry.width
        let kRows = columnRows
        let chunkRows = rowsPerChunk(columnRows: kRows, width: width)
        let weights = parameters + offset
        let bias: UnsafePointer<Scalar>? = hasBias ? parameters + biasOffset : nil
        context.run { worker in
            let mine = partition(geometry.rows, parts: context.threads, index: worker)
            let col = context.scratch[worker].pointer
            var g0 = mine.lowerBound
            while g0 < mine.upperBound {
                let rows = g0..<min(mine.upperBound, g0 + chunkRows)
                let cp = rows.count * width, start = g0 * width
                if kernelSize == 1 {
                    Scalar.gemm(transposeA: false, transposeB: false, m: outChannels, n: cp, k: kRows,
                                alpha: 1, a: weights, lda: kRows, b: x + start, ldb: p,
                                beta: 0, c: y + start, ldc: p)
                } else {
                    im2col(x, channels: inChannels, channelStride: p, geometry: geometry,
                           kernel: kernelSize, rows: rows, into: col)
                    Scalar.gemm(transposeA: false, transposeB: false, m: outChannels, n: cp, k: kRows,
                                alpha: 1, a: weights, lda: kRows, b: col, ldb: cp,
                                beta: 0, c: y + start, ldc: p)
                }
                addBiasReLU(y + start, channels: outChannels, count: cp, stride: p, bias: bias, relu: relu)
                g0 = rows.upperBound
            }
        }
    }

    // MARK: Backward

    /// Accumulates `dW, db` into the workers' gradient buffers and, when `dx` is given,
    /// writes `dX` (overwriting), then multiplies channels `maskChannels` of `dX` by
    /// `[x > 0]` (the ReLU that produced those input channels, fused here).
    /// `dy` is the gradient of this layer's output (already through its own ReLU).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(
        _ x: UnsafePointer<Scalar>, _ dy: UnsafePointer<Scalar>, _ dx: UnsafeMutablePointer<Scalar>?,
        maskChannels: Range<Int>, geometry: Geometry,
        parameters: UnsafePointer<Scalar>, context: ComputeContext<Scalar>
    ) throws(SegLossError) {
        try context.reserveScratch(scratchNeeded(geometry))
        try context.reserveGradients()
        let p = geometry.pixels, width = geometry.width
        let kRows = columnRows
        let dyRows = outChannels * kernelArea
        let chunkRows = rowsPerChunk(columnRows: max(kRows, dyRows), width: width)
        let weights = parameters + offset
        // W̃[c][(o, ky, kx)] = W[o][c][k−1−ky][k−1−kx]
        if dx != nil && kernelSize > 1 {
            try context.reserveShared(weightCount)
            let rotated = context.shared.pointer
            let area = kernelArea
            for o in 0..<outChannels {
                for c in 0..<inChannels {
                    for t in 0..<area {
                        rotated[(c * outChannels + o) * area + t] = weights[(o * inChannels + c) * area + (area - 1 - t)]
                    }
                }
            }
        }
        let rotated = UnsafePointer(context.shared.pointer)
        context.run { worker in
            let mine = partition(geometry.rows, parts: context.threads, index: worker)
            let col = context.scratch[worker].pointer
            let grad = context.gradients[worker].pointer
            var g0 = mine.lowerBound
            while g0 < mine.upperBound {
                let rows = g0..<min(mine.upperBound, g0 + chunkRows)
                let cp = rows.count * width, start = g0 * width
                // dW += dY[:, chunk] · colᵀ
                let colX: UnsafePointer<Scalar>
                let ldCol: Int
                if kernelSize == 1 {
                    colX = x + start; ldCol = p
                } else {
                    im2col(x, channels: inChannels, channelStride: p, geometry: geometry,
                           kernel: kernelSize, rows: rows, into: col)
                    colX = UnsafePointer(col); ldCol = cp
                }
                Scalar.gemm(transposeA: false, transposeB: true, m: outChannels, n: kRows, k: cp,
                            alpha: 1, a: dy + start, lda: p, b: colX, ldb: ldCol,
                            beta: 1, c: grad + offset, ldc: kRows)
                if hasBias {
                    accumulateRowSums(dy + start, channels: outChannels, count: cp, stride: p, into: grad + biasOffset)
                }
                if let dx {
                    if kernelSize == 1 {
                        Scalar.gemm(transposeA: true, transposeB: false, m: inChannels, n: cp, k: outChannels,
                                    alpha: 1, a: weights, lda: kRows, b: dy + start, ldb: p,
                                    beta: 0, c: dx + start, ldc: p)
                    } else {
                        im2col(dy, channels: outChannels, channelStride: p, geometry: geometry,
                               kernel: kernelSize, rows: rows, into: col)
                        Scalar.gemm(transposeA: false, transposeB: false, m: inChannels, n: cp, k: dyRows,
                                    alpha: 1, a: rotated, lda: dyRows, b: col, ldb: cp,
                                    beta: 0, c: dx + start, ldc: p)
                    }
                    for c in maskChannels {
                        reluMask(dx + c * p + start, by: x + c * p + start, count: cp)
                    }
                }
                g0 = rows.upperBound
            }
        }
    }
}
