import RealModule

// MARK: - Two-pass kernel for per-voxel terms beyond (TP, P, G)

/// The per-voxel terms of a region loss whose sums are not (Σp·g, Σp, Σg), and its
/// gradient: `ElementTermsKernel` sums `terms(p, g)` per row and writes
/// `derivative(p, g, a_r, b_r)` = ∂L/∂p_i in pass 2. p and g are 0 on ignored voxels.
/// Implementations are caseless enums whose functions inline into the kernel loops.
protocol ElementTerms {
    static func terms<S: SegScalar>(_ p: S, _ g: S) -> (first: S, second: S)
    static func derivative<S: SegScalar>(_ p: S, _ g: S, _ a: S, _ b: S) -> S
}

/// Sums of one row (or entry): Σ first, Σ second, G = Σ g over the `valid` voxels.
struct ElementTermSums: Sendable, Equatable {
    var first = 0.0
    var second = 0.0
    var target = 0.0
    var valid = 0.0

    static func + (a: Self, b: Self) -> Self {
        Self(first: a.first + b.first, second: a.second + b.second, target: a.target + b.target,
             valid: a.valid + b.valid)
    }
}

/// Pass 1 and pass 2 over dense (N, C, *spatial) input and target with elementwise
/// activation, in the scheme of `RegionStatsKernel` (fixed chunks of `chunkSize` voxels of
/// a row, deterministic sums, branch-free block loops, see `Blocks`); for logits the
/// derivative is chained through σ'(z).
enum ElementTermsKernel {
    // MARK: Pass 1

    static func forward<S: SegScalar, T: ElementTerms>(
        input: TensorView<S>, target: TensorView<S>, fromLogits: Bool, ignore: S?, _: T.Type
    ) -> (sums: [ElementTermSums], scan: InputScan) {
        let shape = input.shape, chunk = RegionStatsKernel.chunkSize
        let perRow = (shape.spatialCount + chunk - 1) / chunk
        let units = shape.rows * perRow
        var partial = [(ElementTermSums, InputScan)](repeating: (ElementTermSums(), InputScan()), count: units)
        partial.withUnsafeMutableBufferPointer { buf in
            let pb = buf.baseAddress!
            Parallel.forEachChunk(units, work: shape.count * 8) { u in
                let row = u / perRow, lo = (u % perRow) * chunk, hi = min(shape.spatialCount, lo + chunk)
                let x = input.row(row), t = target.row(row), ig = ignore ?? 0
                switch (fromLogits, ignore != nil) {
                case (true, false): pb[u] = rowSums(x, t, lo, hi, ig, T.self, On.self, Off.self)
                case (true, true): pb[u] = rowSums(x, t, lo, hi, ig, T.self, On.self, On.self)
                case (false, false): pb[u] = rowSums(x, t, lo, hi, ig, T.self, Off.self, Off.self)
                case (false, true): pb[u] = rowSums(x, t, lo, hi, ig, T.self, Off.self, On.self)
                }
            }
        }
        var sums = [ElementTermSums](repeating: ElementTermSums(), count: shape.rows)
        var scan = InputScan()
        for u in 0..<units {
            sums[u / perRow] = sums[u / perRow] + partial[u].0
            scan.merge(partial[u].1)
        }
        return (sums, scan)
    }

    /// Pass 1 over `lo..<hi` of one row. Options: logits, ignore_index.
    static func rowSums<S: SegScalar, T: ElementTerms, Logits: StaticFlag, Ignoring: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int, _ ignore: S,
        _: T.Type, _: Logits.Type, _: Ignoring.Type
    ) -> (ElementTermSums, InputScan) {
        let logits = Logits.isOn, ignoring = Ignoring.isOn
        var sums = ElementTermSums()
        var valid = 0, badIn = 0, badT = 0
        var b = lo
        while b < hi {
            let n = min(Blocks.size, hi - b)
            let xb = x + b, tb = t + b
            var vc: Int32 = 0, bi: Int32 = 0, bt: Int32 = 0
            // Relaxed sums, vectorised into lanes (see `RegionStatsKernel.rowSums`).
            var first: S = 0, second: S = 0, target: S = 0
            for j in 0..<n {
                let z = xb[j], gRaw = tb[j]
                let v = ignoring ? gRaw != ignore : true
                let g = v ? gRaw : 0
                let p = v ? (logits ? Sigmoid(logits: z).p : z) : 0
                let terms = T.terms(p, g)
                first = Relaxed.sum(first, terms.first)
                second = Relaxed.sum(second, terms.second)
                target = Relaxed.sum(target, g)
                vc &+= ElementChecks.bit(v)
                bi &+= ElementChecks.badInput(z, logits: logits)
                bt &+= ElementChecks.badTarget(g)
            }
            sums.first += Double(first)
            sums.second += Double(second)
            sums.target += Double(target)
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

    /// Writes (or adds, when `accumulate`) T.derivative(p_i, g_i, a_r, b_r), times σ'(z_i)
    /// for logits, 0 on ignored voxels; `a` and `b` have one entry per row.
    static func backward<S: SegScalar, T: ElementTerms>(
        input: TensorView<S>, target: TensorView<S>, fromLogits: Bool, ignore: S?, _: T.Type,
        a: [Double], b: [Double], gradient: UnsafeMutablePointer<S>, accumulate: Bool = false
    ) {
        let shape = input.shape, chunk = RegionStatsKernel.chunkSize
        let perRow = (shape.spatialCount + chunk - 1) / chunk
        let grad = MutableTensorView(gradient, shape: shape)
        Parallel.forEachChunk(shape.rows * perRow, work: shape.count * 8) { u in
            let row = u / perRow, lo = (u % perRow) * chunk, hi = min(shape.spatialCount, lo + chunk)
            let x = input.row(row), t = target.row(row), out = grad.row(row)
            let ar = S(a[row]), br = S(b[row]), ig = ignore ?? 0
            switch (fromLogits, ignore != nil, accumulate) {
            case (true, false, false): write(x, t, out, lo, hi, ar, br, ig, T.self, On.self, Off.self, Off.self)
            case (true, false, true): write(x, t, out, lo, hi, ar, br, ig, T.self, On.self, Off.self, On.self)
            case (true, true, false): write(x, t, out, lo, hi, ar, br, ig, T.self, On.self, On.self, Off.self)
            case (true, true, true): write(x, t, out, lo, hi, ar, br, ig, T.self, On.self, On.self, On.self)
            case (false, false, false): write(x, t, out, lo, hi, ar, br, ig, T.self, Off.self, Off.self, Off.self)
            case (false, false, true): write(x, t, out, lo, hi, ar, br, ig, T.self, Off.self, Off.self, On.self)
            case (false, true, false): write(x, t, out, lo, hi, ar, br, ig, T.self, Off.self, On.self, Off.self)
            case (false, true, true): write(x, t, out, lo, hi, ar, br, ig, T.self, Off.self, On.self, On.self)
            }
        }
    }

    static func write<S: SegScalar, T: ElementTerms, Logits: StaticFlag, Ignoring: StaticFlag, Accumulate: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>,
        _ lo: Int, _ hi: Int, _ a: S, _ b: S, _ ignore: S,
        _: T.Type, _: Logits.Type, _: Ignoring.Type, _: Accumulate.Type
    ) {
        for i in lo..<hi {
            let z = x[i], gRaw = t[i]
            let keep = Ignoring.isOn ? gRaw != ignore : true
            let g = keep ? gRaw : 0
            var p = z, dp: S = 1
            if Logits.isOn {
                let s = Sigmoid(logits: z)
                p = s.p
                dp = s.derivative
            }
            var d = T.derivative(p, g, a, b) * dp
            d = keep ? d : 0
            if Accumulate.isOn { d += out[i] }
            out[i] = d
        }
    }
}
