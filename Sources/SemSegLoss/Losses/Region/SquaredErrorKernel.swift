// MARK: - Squared-error sums split by the target (sensitivity-specificity loss)

/// Sums of one row, or of one entry: A = Σ (g − p)²·g, B = Σ (g − p)²·(1 − g), G = Σ g
/// over the `valid` (non-ignored) voxels. Σ (1 − g) = valid − G needs no sum of its own.
public struct SquaredErrorSums: Sendable, Equatable {
    public var foreground: Double = 0
    public var background: Double = 0
    public var target: Double = 0
    public var valid: Double = 0

    public init(foreground: Double = 0, background: Double = 0, target: Double = 0, valid: Double = 0) {
        self.foreground = foreground
        self.background = background
        self.target = target
        self.valid = valid
    }

    @inlinable public static func + (a: Self, b: Self) -> Self {
        Self(foreground: a.foreground + b.foreground, background: a.background + b.background,
             target: a.target + b.target, valid: a.valid + b.valid)
    }
}

/// Two passes over dense (N, C, *spatial) input and target with elementwise activation,
/// in the scheme of `RegionStatsKernel` (fixed chunks of a row, deterministic sums, block
/// loops without branches; see `Blocks`): pass 1 gives `SquaredErrorSums` per row and the
/// validation counts, pass 2 writes ∂L/∂p_i = (p_i − g_i)·(a_r·g_i + b_r·(1 − g_i)) for row
/// r, times σ'(z_i) for logits, 0 on ignored voxels.
enum SquaredErrorKernel {
    struct Config<S: SegScalar> {
        var fromLogits: Bool
        var ignore: S?
    }

    // MARK: Pass 1

    static func forward<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>
    ) -> (sums: [SquaredErrorSums], scan: InputScan) {
        let shape = input.shape, chunk = RegionStatsKernel.chunkSize
        let perRow = (shape.spatialCount + chunk - 1) / chunk
        let units = shape.rows * perRow
        var partial = [(SquaredErrorSums, InputScan)](repeating: (SquaredErrorSums(), InputScan()), count: units)
        partial.withUnsafeMutableBufferPointer { buf in
            let pb = buf.baseAddress!
            Parallel.forEachChunk(units, work: shape.count * 8) { u in
                let row = u / perRow, lo = (u % perRow) * chunk, hi = min(shape.spatialCount, lo + chunk)
                let x = input.row(row), t = target.row(row), ig = config.ignore ?? 0
                switch (config.fromLogits, config.ignore != nil) {
                case (true, false): pb[u] = rowSums(x, t, lo, hi, ig, On.self, Off.self)
                case (true, true): pb[u] = rowSums(x, t, lo, hi, ig, On.self, On.self)
                case (false, false): pb[u] = rowSums(x, t, lo, hi, ig, Off.self, Off.self)
                case (false, true): pb[u] = rowSums(x, t, lo, hi, ig, Off.self, On.self)
                }
            }
        }
        var sums = [SquaredErrorSums](repeating: SquaredErrorSums(), count: shape.rows)
        var scan = InputScan()
        for u in 0..<units {
            sums[u / perRow] = sums[u / perRow] + partial[u].0
            scan.merge(partial[u].1)
        }
        return (sums, scan)
    }

    /// Pass 1 over `lo..<hi` of one row. Options: logits, ignore_index.
    static func rowSums<S: SegScalar, Logits: StaticFlag, Ignoring: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int, _ ignore: S,
        _: Logits.Type, _: Ignoring.Type
    ) -> (SquaredErrorSums, InputScan) {
        let logits = Logits.isOn, ignoring = Ignoring.isOn
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: 3 * Blocks.size)
        defer { scratch.deallocate() }
        let fgBuf = scratch, bgBuf = scratch + Blocks.size, gBuf = scratch + 2 * Blocks.size
        var sums = SquaredErrorSums()
        var valid = 0, badIn = 0, badT = 0
        var b = lo
        while b < hi {
            let n = min(Blocks.size, hi - b)
            let xb = x + b, tb = t + b
            var vc: Int32 = 0, bi: Int32 = 0, bt: Int32 = 0
            for j in 0..<n {
                let z = xb[j], gRaw = tb[j]
                let v = ignoring ? gRaw != ignore : true
                let g = v ? gRaw : 0
                let p = logits ? Sigmoid(logits: z).p : z
                let d = g - p
                let e2 = v ? d * d : 0
                fgBuf[j] = e2 * g
                bgBuf[j] = e2 * (1 - g)
                if ignoring { gBuf[j] = g }  // else the sum reads the target itself
                vc &+= ElementChecks.bit(v)
                bi &+= ElementChecks.badInput(z, logits: logits)
                bt &+= ElementChecks.badTarget(g)
            }
            sums.foreground += BlockSums.sum(fgBuf, n)
            sums.background += BlockSums.sum(bgBuf, n)
            sums.target += BlockSums.sum(ignoring ? UnsafePointer(gBuf) : tb, n)
            valid += Int(vc)
            badIn += Int(bi)
            badT += Int(bt)
            b += n
        }
        sums.valid = Double(valid)
        var scan = InputScan()
        scan.badInput = Double(badIn)
        scan.badTarget = Double(badT)
        return (sums, scan)
    }

    // MARK: Pass 2

    /// Writes (p_i − g_i)·(a_r·g_i + b_r·(1 − g_i)) (times σ'(z_i) for logits) into
    /// `gradient`; `a` and `b` have one entry per row.
    static func backward<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>,
        a: [Double], b: [Double], gradient: UnsafeMutablePointer<S>
    ) {
        let shape = input.shape, chunk = RegionStatsKernel.chunkSize
        let perRow = (shape.spatialCount + chunk - 1) / chunk
        let grad = MutableTensorView(gradient, shape: shape)
        Parallel.forEachChunk(shape.rows * perRow, work: shape.count * 8) { u in
            let row = u / perRow, lo = (u % perRow) * chunk, hi = min(shape.spatialCount, lo + chunk)
            let x = input.row(row), t = target.row(row), out = grad.row(row)
            let ar = S(a[row]), br = S(b[row]), ig = config.ignore ?? 0
            switch (config.fromLogits, config.ignore != nil) {
            case (true, false): write(x, t, out, lo, hi, ar, br, ig, On.self, Off.self)
            case (true, true): write(x, t, out, lo, hi, ar, br, ig, On.self, On.self)
            case (false, false): write(x, t, out, lo, hi, ar, br, ig, Off.self, Off.self)
            case (false, true): write(x, t, out, lo, hi, ar, br, ig, Off.self, On.self)
            }
        }
    }

    static func write<S: SegScalar, Logits: StaticFlag, Ignoring: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>,
        _ lo: Int, _ hi: Int, _ a: S, _ b: S, _ ignore: S, _: Logits.Type, _: Ignoring.Type
    ) {
        for i in lo..<hi {
            let z = x[i], gRaw = t[i]
            let keep = Ignoring.isOn ? gRaw != ignore : true
            let g = keep ? gRaw : 0
            var d: S
            if Logits.isOn {
                let s = Sigmoid(logits: z)
                d = (s.p - g) * (a * g + b * (1 - g)) * s.derivative
            } else {
                d = (z - g) * (a * g + b * (1 - g))
            }
            out[i] = keep ? d : 0
        }
    }
}
