import SemSegLoss

// MARK: - Transposed convolution 2×2, stride 2

/// `Y[o](2i + a, 2j + b) = bias[o] + Σ_c W[c, o, a, b] · X[c](i, j)` for `a, b ∈ {0, 1}`
/// (PyTorch `ConvTranspose2d(cin, cout, 2, stride=2)`): the output windows do not overlap,
/// so the layer is one matrix product per input pixel,
///
///     Z[(o,a,b), p] = Σ_c Wmat[c, (o,a,b)] · X[c, p],   Z = Wmatᵀ · X,
///
/// followed by a pixel shuffle of `Z` into `Y` (plus bias). Weights are stored as PyTorch
/// does, `[Cin][Cout][2][2]` = `Wmat[Cin × Cout·4]`, then the bias `[Cout]`.
///
/// Backward, with `dZ` the pixel-unshuffled `dY`: `dW += X · dZᵀ`, `db[o] = Σ dY[o]`,
/// `dX = Wmat · dZ`. Work is split over input rows; each worker writes only the two output
/// rows of each of its input rows.
public struct ConvTranspose2D<Scalar: TrainScalar>: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let offset: Int

    public init(inChannels: Int, outChannels: Int, offset: Int = 0) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.offset = offset
    }

    /// Columns of `Wmat`, `Cout·4`.
    var taps: Int { outChannels * 4 }
    public var weightCount: Int { inChannels * taps }
    public var biasOffset: Int { offset + weightCount }
    public var parameterCount: Int { weightCount + outChannels }

    /// PyTorch's default initialisation. Note that PyTorch computes the fan-in of a
    /// transposed convolution from `weight.size(1)·k·k = Cout·4` (not `Cin·4`); weights are
    /// `U(±gain·√(3/fan_in)) = U(±1/√fan_in)` and the bias `U(±1/√fan_in)`.
    public func initialize(_ parameters: UnsafeMutablePointer<Scalar>, rng: inout Xoshiro256) {
        let fanIn = Double(taps)
        let gain = (2.0 / (1.0 + 5.0)).squareRoot()
        let bound = gain * (3.0 / fanIn).squareRoot()
        for i in 0..<weightCount { parameters[offset + i] = Scalar(rng.nextSymmetric(bound)) }
        let biasBound = 1 / fanIn.squareRoot()
        for i in 0..<outChannels { parameters[biasOffset + i] = Scalar(rng.nextSymmetric(biasBound)) }
    }

    func chunkRows(_ input: Geometry) -> Int { rowsPerChunk(columnRows: taps, width: input.width) }
    func scratchNeeded(_ input: Geometry) -> Int { taps * chunkRows(input) * input.width }

    // MARK: Forward

    /// `y` (CNHW over `input.doubled`) ← transposed convolution of `x` (CNHW over `input`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(
        _ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, input: Geometry,
        parameters: UnsafePointer<Scalar>, context: ComputeContext<Scalar>
    ) throws(SegLossError) {
        try context.reserveScratch(scratchNeeded(input))
        let pIn = input.pixels, wIn = input.width
        let pOut = 4 * pIn, wOut = 2 * wIn
        let chunk = chunkRows(input)
        let weights = parameters + offset, bias = parameters + biasOffset
        context.run { worker in
            let mine = partition(input.rows, parts: context.threads, index: worker)
            let z = context.scratch[worker].pointer
            var g0 = mine.lowerBound
            while g0 < mine.upperBound {
                let rows = g0..<min(mine.upperBound, g0 + chunk)
                let cp = rows.count * wIn
                Scalar.gemm(transposeA: true, transposeB: false, m: taps, n: cp, k: inChannels,
                            alpha: 1, a: weights, lda: taps, b: x + g0 * wIn, ldb: pIn,
                            beta: 0, c: z, ldc: cp)
                for o in 0..<outChannels {
                    let b = bias[o]
                    for a in 0..<2 {
                        for bx in 0..<2 {
                            let zr = z + ((o * 2 + a) * 2 + bx) * cp
                            for g in rows {
                                let src = zr + (g - g0) * wIn
                                let dst = y + o * pOut + (2 * g + a) * wOut + bx
                                for j in 0..<wIn { dst[2 * j] = src[j] + b }
                            }
                        }
                    }
                }
                g0 = rows.upperBound
            }
        }
    }

    // MARK: Backward

    /// Accumulates `dW, db` into the workers' gradients and writes `dX` (CNHW over
    /// `input`), multiplied by `[x > 0]` when `maskInput` (x came out of a ReLU).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(
        _ x: UnsafePointer<Scalar>, _ dy: UnsafePointer<Scalar>, _ dx: UnsafeMutablePointer<Scalar>,
        maskInput: Bool, input: Geometry,
        parameters: UnsafePointer<Scalar>, context: ComputeContext<Scalar>
    ) throws(SegLossError) {
        try context.reserveScratch(scratchNeeded(input))
        try context.reserveGradients()
        let pIn = input.pixels, wIn = input.width
        let pOut = 4 * pIn, wOut = 2 * wIn
        let chunk = chunkRows(input)
        let weights = parameters + offset
        context.run { worker in
            let mine = partition(input.rows, parts: context.threads, index: worker)
            let dz = context.scratch[worker].pointer
            let grad = context.gradients[worker].pointer
            var g0 = mine.lowerBound
            while g0 < mine.upperBound {
                let rows = g0..<min(mine.upperBound, g0 + chunk)
                let cp = rows.count * wIn, start = g0 * wIn
                for o in 0..<outChannels {
                    var s: Scalar = 0
                    for a in 0..<2 {
                        for bx in 0..<2 {
                            let zr = dz + ((o * 2 + a) * 2 + bx) * cp
                            for g in rows {
                                let dst = zr + (g - g0) * wIn
                                let src = dy + o * pOut + (2 * g + a) * wOut + bx
                                for j in 0..<wIn { let v = src[2 * j]; dst[j] = v; s += v }
                            }
                        }
                    }
                    grad[biasOffset + o] += s
                }
                Scalar.gemm(transposeA: false, transposeB: true, m: inChannels, n: taps, k: cp,
                            alpha: 1, a: x + start, lda: pIn, b: dz, ldb: cp,
                            beta: 1, c: grad + offset, ldc: taps)
                Scalar.gemm(transposeA: false, transposeB: false, m: inChannels, n: cp, k: taps,
                            alpha: 1, a: weights, lda: taps, b: dz, ldb: cp,
                            beta: 0, c: dx + start, ldc: pIn)
                if maskInput {
                    for c in 0..<inChannels { reluMask(dx + c * pIn + start, by: x + c * pIn + start, count: cp) }
                }
                g0 = rows.upperBound
            }
        }
    }
}
