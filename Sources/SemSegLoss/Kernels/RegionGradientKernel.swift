// MARK: - Region kernel, pass 2 (and both passes row by row)

extension RegionStatsKernel {
    // MARK: Pass 2

    /// Writes (or adds, when `accumulate`) a_r·g_i + b_r·∂P/∂p_i, chained through the
    /// sigmoid for logits, into `gradient`. `a` and `b` have one entry per row.
    static func backward<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>,
        a: [Double], b: [Double], gradient: UnsafeMutablePointer<S>, accumulate: Bool,
        stored: StoredDerivative? = nil
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
            if let stored {
                if stored.binaryChunks[u] { scaleStoredBinary(out, lo, hi, ar, br) } else { scaleStored(t, out, lo, hi, ar, br) }
            } else {
                write(x, t, out, lo, hi, ar, br, config, accumulate)
            }
        }
    }

    /// Pass 2 after storing: out_i ← (a·g_i + b)·|out_i| (out holds ±σ'(z_i), already 0
    /// on ignored voxels, whose target may be any finite value).
    static func scaleStored<S: SegScalar>(
        _ t: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ lo: Int, _ hi: Int, _ a: S, _ b: S
    ) {
        for i in lo..<hi { out[i] = (a * t[i] + b) * abs(out[i]) }
    }

    /// Pass 2 after storing plain σ' (row by row, target in cache): out_i ← (a·g_i + b)·out_i.
    static func scalePlain<S: SegScalar>(
        _ t: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ lo: Int, _ hi: Int, _ a: S, _ b: S
    ) {
        for i in lo..<hi { out[i] = (a * t[i] + b) * out[i] }
    }

    /// Pass 2 after storing, all valid targets 0 or 1: out_i = −σ' where g_i = 1, so
    /// (a·g_i + b)·σ' is −(a + b)·out_i there and b·out_i elsewhere (the same values).
    static func scaleStoredBinary<S: SegScalar>(
        _ out: UnsafeMutablePointer<S>, _ lo: Int, _ hi: Int, _ a: S, _ b: S
    ) {
        let whereOne = -(a + b)
        for i in lo..<hi {
            let d = out[i]
            out[i] = (d < 0 ? whereOne : b) * d
        }
    }

    /// Picks the compiled pass-2 loop for the options.
    static func write<S: SegScalar>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>,
        _ lo: Int, _ hi: Int, _ a: S, _ b: S, _ cfg: Config<S>, _ accumulate: Bool
    ) {
        let ig = cfg.ignore ?? 0
        switch (cfg.fromLogits, cfg.squared, cfg.ignore != nil, accumulate) {
        case (true, false, false, false): write(x, t, out, lo, hi, a, b, ig, On.self, Off.self, Off.self, Off.self)
        case (true, false, false, true): write(x, t, out, lo, hi, a, b, ig, On.self, Off.self, Off.self, On.self)
        case (true, false, true, false): write(x, t, out, lo, hi, a, b, ig, On.self, Off.self, On.self, Off.self)
        case (true, false, true, true): write(x, t, out, lo, hi, a, b, ig, On.self, Off.self, On.self, On.self)
        case (true, true, false, false): write(x, t, out, lo, hi, a, b, ig, On.self, On.self, Off.self, Off.self)
        case (true, true, false, true): write(x, t, out, lo, hi, a, b, ig, On.self, On.self, Off.self, On.self)
        case (true, true, true, false): write(x, t, out, lo, hi, a, b, ig, On.self, On.self, On.self, Off.self)
        case (true, true, true, true): write(x, t, out, lo, hi, a, b, ig, On.self, On.self, On.self, On.self)
        case (false, false, false, false): write(x, t, out, lo, hi, a, b, ig, Off.self, Off.self, Off.self, Off.self)
        case (false, false, false, true): write(x, t, out, lo, hi, a, b, ig, Off.self, Off.self, Off.self, On.self)
        case (false, false, true, false): write(x, t, out, lo, hi, a, b, ig, Off.self, Off.self, On.self, Off.self)
        case (false, false, true, true): write(x, t, out, lo, hi, a, b, ig, Off.self, Off.self, On.self, On.self)
        case (false, true, false, false): write(x, t, out, lo, hi, a, b, ig, Off.self, On.self, Off.self, Off.self)
        case (false, true, false, true): write(x, t, out, lo, hi, a, b, ig, Off.self, On.self, Off.self, On.self)
        case (false, true, true, false): write(x, t, out, lo, hi, a, b, ig, Off.self, On.self, On.self, Off.self)
        case (false, true, true, true): write(x, t, out, lo, hi, a, b, ig, Off.self, On.self, On.self, On.self)
        }
    }

    /// Pass 2 without a stored derivative. Options: logits, squared sums, ignore_index,
    /// accumulate into the buffer.
    static func write<S: SegScalar, Logits: StaticFlag, Squared: StaticFlag, Ignoring: StaticFlag, Accumulate: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>,
        _ lo: Int, _ hi: Int, _ a: S, _ b: S, _ ignore: S,
        _: Logits.Type, _: Squared.Type, _: Ignoring.Type, _: Accumulate.Type
    ) {
        let squared = Squared.isOn, ignoring = Ignoring.isOn
        for i in lo..<hi {
            let z = x[i], gRaw = t[i]
            let keep = ignoring ? gRaw != ignore : true
            let g = keep ? gRaw : 0
            var d: S
            if Logits.isOn {
                let s = Sigmoid(logits: z)
                d = (a * g + (squared ? 2 * b * s.p : b)) * s.derivative
            } else {
                d = a * g + (squared ? 2 * b * z : b)
            }
            d = keep ? d : 0
            if Accumulate.isOn { d += out[i] }
            out[i] = d
        }
    }

    // MARK: Both passes, row by row

    /// Largest row for `forwardBackwardByRow`: input, target and gradient of a row
    /// (3 × 4 × 131072 bytes for Float) should stay in a core's L2 cache between the passes.
    static let rowByRowMaxElements = 1 << 17

    /// Pass 1 and pass 2 of each row back to back, one task per row, while the row is
    /// still in cache; for when the coefficients (a_r, b_r) of a row follow from the row's
    /// own sums (`coefficients(row, stats)`, called concurrently, must be pure). Config:
    /// logits, linear sums, no ignore_index. The sums are the same, added in the same order,
    /// as with `forward`.
    static func forwardBackwardByRow<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>,
        gradient: UnsafeMutablePointer<S>,
        coefficients: (Int, RegionStats) -> (a: Double, b: Double)
    ) -> (stats: [RegionStats], scan: InputScan) {
        let shape = input.shape
        let perRow = (shape.spatialCount + chunkSize - 1) / chunkSize
        var stats = [RegionStats](repeating: RegionStats(), count: shape.rows)
        var scans = [InputScan](repeating: InputScan(), count: shape.rows)
        stats.withUnsafeMutableBufferPointer { statsBuf in
            scans.withUnsafeMutableBufferPointer { scanBuf in
                let st = statsBuf.baseAddress!, sc = scanBuf.baseAddress!
                Parallel.forEachChunk(shape.rows, work: shape.count * 8) { row in
                    let x = input.row(row), t = target.row(row), d = gradient + row * shape.spatialCount
                    var sums = RegionStats(), scan = InputScan()
                    for c in 0..<perRow {
                        let lo = c * chunkSize, hi = min(shape.spatialCount, lo + chunkSize)
                        let r = rowSums(x, t, d, lo, hi, 0, On.self, Off.self, Off.self, On.self, Off.self)
                        sums = sums + r.stats
                        scan.merge(r.scan)
                    }
                    let (a, b) = coefficients(row, sums)
                    for c in 0..<perRow {
                        let lo = c * chunkSize, hi = min(shape.spatialCount, lo + chunkSize)
                        scalePlain(t, d, lo, hi, S(a), S(b))
                    }
                    st[row] = sums
                    sc[row] = scan
                }
            }
        }
        var scan = InputScan()
        for s in scans { scan.merge(s) }
        return (stats, scan)
    }
}
