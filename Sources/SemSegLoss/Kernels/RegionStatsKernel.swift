// MARK: - The shared per-class TP / P / G kernel

/// Sums of one (image, class) row, or of one class pooled over the batch.
///
/// TP = Σ p·g, P = Σ p (Σ p² when squared), G = Σ g (Σ g² when squared), over the
/// non-ignored voxels, whose number is `valid`. With soft or hard targets
/// FP = Σ p(1−g) = P − TP and FN = Σ (1−p)g = G − TP (linear sums), so every loss of the
/// Dice / Jaccard / Tversky family is a function of (TP, P, G) alone (LOSSES.md §0).
public struct RegionStats: Sendable, Equatable {
    public var intersection: Double = 0
    public var prediction: Double = 0
    public var target: Double = 0
    public var valid: Double = 0

    public init(intersection: Double = 0, prediction: Double = 0, target: Double = 0, valid: Double = 0) {
        self.intersection = intersection
        self.prediction = prediction
        self.target = target
        self.valid = valid
    }

    @inlinable public static func + (a: RegionStats, b: RegionStats) -> RegionStats {
        RegionStats(
            intersection: a.intersection + b.intersection, prediction: a.prediction + b.prediction,
            target: a.target + b.target, valid: a.valid + b.valid)
    }
}

/// The fused two-pass kernel over dense (N, C, *spatial) inputs with elementwise
/// activation (binary and multilabel modes).
///
/// Pass 1 (`forward`) streams input and target once, computing p = σ(z) on the fly, and
/// returns `RegionStats` per row plus validation counts. Pass 2 (`backward`) streams them
/// again and writes, for row r with coefficients (a_r, b_r) = (∂L/∂TP_r, ∂L/∂P_r),
///   ∂L/∂p_i = a_r·g_i + b_r·∂P/∂p_i   (∂P/∂p_i = 1, or 2p_i when squared),
/// times σ'(z_i) = p_i(1 − p_i) for logits; ignored voxels get 0.
/// Work is split into fixed chunks of `chunkSize` voxels (deterministic sums).
@usableFromInline
enum RegionStatsKernel {
    @usableFromInline static let chunkSize = 16_384
    /// Inner block after which Scalar lane sums are flushed into Double.
    @usableFromInline static let flushEvery = 32

    @usableFromInline
    struct Config<S: SegScalar> {
        var fromLogits: Bool
        var squared: Bool
        var ignore: S?
    }

    // MARK: Pass 1

    static func forward<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>
    ) -> (stats: [RegionStats], scan: InputScan) {
        let shape = input.shape
        let perRow = (shape.spatialCount + chunkSize - 1) / chunkSize
        let units = shape.rows * perRow
        var partial = [RegionStats](repeating: RegionStats(), count: units)
        var scans = [InputScan](repeating: InputScan(), count: units)
        partial.withUnsafeMutableBufferPointer { partialBuf in
            scans.withUnsafeMutableBufferPointer { scanBuf in
                let pb = partialBuf.baseAddress!, sb = scanBuf.baseAddress!
                Parallel.forEachChunk(units, work: shape.count * 8) { u in
                    let row = u / perRow, c = u % perRow
                    let lo = c * chunkSize, hi = min(shape.spatialCount, lo + chunkSize)
                    let r = accumulate(input.row(row), target.row(row), lo, hi, config)
                    pb[u] = r.0
                    sb[u] = r.1
                }
            }
        }
        var stats = [RegionStats](repeating: RegionStats(), count: shape.rows)
        var scan = InputScan()
        for u in 0..<units {
            stats[u / perRow] = stats[u / perRow] + partial[u]
            scan.merge(scans[u])
        }
        return (stats, scan)
    }

    @inline(__always)
    static func accumulate<S: SegScalar>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int, _ cfg: Config<S>
    ) -> (RegionStats, InputScan) {
        if cfg.fromLogits {
            return cfg.squared ? accumulate(x, t, lo, hi, cfg.ignore, logits: true, squared: true)
                : accumulate(x, t, lo, hi, cfg.ignore, logits: true, squared: false)
        }
        return cfg.squared ? accumulate(x, t, lo, hi, cfg.ignore, logits: false, squared: true)
            : accumulate(x, t, lo, hi, cfg.ignore, logits: false, squared: false)
    }

    @inline(__always)
    static func accumulate<S: SegScalar>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int, _ ignore: S?,
        logits: Bool, squared: Bool
    ) -> (RegionStats, InputScan) {
        var tpD = SIMD8<Double>(), pD = SIMD8<Double>(), gD = SIMD8<Double>(), vD = SIMD8<Double>()
        var badIn = SIMD8<S>(), badT = SIMD8<S>()
        var i = lo
        while i < hi {
            var tp = SIMD8<S>(), ps = SIMD8<S>(), gs = SIMD8<S>(), vc = SIMD8<S>()
            let blockEnd = min(hi, i + 8 * flushEvery)
            while i < blockEnd {
                let z = VectorIO.load(x, i, hi, fill: 0)
                let gRaw = VectorIO.load(t, i, hi, fill: 0)
                let inside = VectorIO.inside(i, hi, S.self)
                var valid = inside
                if let ignore { valid = valid .& (gRaw .!= ignore) }
                let v = VectorIO.indicator(valid) as SIMD8<S>
                let g = gRaw.replacing(with: 0, where: .!valid)
                let p = logits ? SigmoidParts(logits: z).p : z
                let pv = p * v
                tp += pv * g
                ps += squared ? pv * p : pv
                gs += squared ? g * g : g
                vc += v
                let bad = InputScan.badLanes(x: z, g: gRaw, valid: valid, inside: inside, fromLogits: logits)
                badIn += bad.input
                badT += bad.target
                i += 8
            }
            tpD += SIMD8<Double>(tp)
            pD += SIMD8<Double>(ps)
            gD += SIMD8<Double>(gs)
            vD += SIMD8<Double>(vc)
        }
        var scan = InputScan()
        scan.badInput = VectorIO.sum(badIn)
        scan.badTarget = VectorIO.sum(badT)
        let stats = RegionStats(
            intersection: tpD.sum(), prediction: pD.sum(), target: gD.sum(), valid: vD.sum())
        return (stats, scan)
    }

    // MARK: Pass 2

    /// Writes (or adds, when `accumulate`) a_r·g_i + b_r·∂P/∂p_i, chained through the
    /// sigmoid for logits, into `gradient`. `a` and `b` have one entry per row.
    static func backward<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>,
        a: [Double], b: [Double], gradient: UnsafeMutablePointer<S>, accumulate: Bool
    ) {
        let shape = input.shape
        let perRow = (shape.spatialCount + chunkSize - 1) / chunkSize
        let units = shape.rows * perRow
        let grad = MutableTensorView(gradient, shape: shape)
        Parallel.forEachChunk(units, work: shape.count * 8) { u in
            let row = u / perRow, c = u % perRow
            let lo = c * chunkSize, hi = min(shape.spatialCount, lo + chunkSize)
            let ar = S(a[row]), br = S(b[row])
            let x = input.row(row), t = target.row(row), out = grad.row(row)
            if config.fromLogits {
                if config.squared { write(x, t, out, lo, hi, ar, br, config.ignore, true, true, accumulate) }
                else { write(x, t, out, lo, hi, ar, br, config.ignore, true, false, accumulate) }
            } else {
                if config.squared { write(x, t, out, lo, hi, ar, br, config.ignore, false, true, accumulate) }
                else { write(x, t, out, lo, hi, ar, br, config.ignore, false, false, accumulate) }
            }
        }
    }

    @inline(__always)
    static func write<S: SegScalar>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>,
        _ lo: Int, _ hi: Int, _ a: S, _ b: S, _ ignore: S?,
        _ logits: Bool, _ squared: Bool, _ accumulate: Bool
    ) {
        var i = lo
        while i < hi {
            let z = VectorIO.load(x, i, hi, fill: 0)
            let gRaw = VectorIO.load(t, i, hi, fill: 0)
            var g = gRaw
            var ignored = SIMDMask<SIMD8<S>.MaskStorage>(repeating: false)
            if let ignore {
                ignored = gRaw .== ignore
                g = g.replacing(with: 0, where: ignored)
            }
            var d: SIMD8<S>
            if logits {
                let s = SigmoidParts(logits: z)
                d = (a * g + (squared ? 2 * b * s.p : SIMD8(repeating: b))) * s.derivative
            } else {
                d = a * g + (squared ? 2 * b * z : SIMD8(repeating: b))
            }
            d = d.replacing(with: 0, where: ignored)
            if accumulate { d += VectorIO.load(UnsafePointer(out), i, hi, fill: 0) }
            VectorIO.store(d, out, i, hi)
            i += 8
        }
    }
}
