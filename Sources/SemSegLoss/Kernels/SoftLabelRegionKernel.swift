// MARK: - Region kernel with the soft-label intersection

extension RegionStatsKernel {
    /// Pass 1 with TP = Σ min(p, g) (`RegionOptions.softLabel`): the same (P, G, valid) and
    /// validation counts as `forward`, linear sums only (the config's `squared` is ignored:
    /// the evaluator rejects the combination). Fixed chunks, deterministic sums.
    static func forwardSoftLabel<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>
    ) -> (stats: [RegionStats], scan: InputScan) {
        let shape = input.shape
        let perRow = (shape.spatialCount + chunkSize - 1) / chunkSize
        let units = shape.rows * perRow
        var partial = [ChunkResult](
            repeating: ChunkResult(stats: RegionStats(), scan: InputScan(), binaryTargets: false), count: units)
        partial.withUnsafeMutableBufferPointer { buf in
            let pb = buf.baseAddress!
            Parallel.forEachChunk(units, work: shape.count * 8) { u in
                let row = u / perRow, lo = (u % perRow) * chunkSize, hi = min(shape.spatialCount, lo + chunkSize)
                let x = input.row(row), t = target.row(row), ig = config.ignore ?? 0
                switch (config.fromLogits, config.ignore != nil) {
                case (true, false): pb[u] = softSums(x, t, lo, hi, ig, On.self, Off.self)
                case (true, true): pb[u] = softSums(x, t, lo, hi, ig, On.self, On.self)
                case (false, false): pb[u] = softSums(x, t, lo, hi, ig, Off.self, Off.self)
                case (false, true): pb[u] = softSums(x, t, lo, hi, ig, Off.self, On.self)
                }
            }
        }
        var stats = [RegionStats](repeating: RegionStats(), count: shape.rows)
        var scan = InputScan()
        for u in 0..<units {
            stats[u / perRow] = stats[u / perRow] + partial[u].stats
            scan.merge(partial[u].scan)
        }
        return (stats, scan)
    }

    /// Pass 1 over `lo..<hi` of one row: Σ min(p, g), Σ p, Σ g, valid. Options: logits,
    /// ignore_index.
    static func softSums<S: SegScalar, Logits: StaticFlag, Ignoring: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int, _ ignore: S,
        _: Logits.Type, _: Ignoring.Type
    ) -> ChunkResult {
        let logits = Logits.isOn, ignoring = Ignoring.isOn
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: 3 * Blocks.size)
        defer { scratch.deallocate() }
        let pBuf = scratch, mBuf = scratch + Blocks.size, gBuf = scratch + 2 * Blocks.size
        var stats = RegionStats()
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
                let p = v ? (logits ? Sigmoid(logits: z).p : z) : 0
                pBuf[j] = p
                mBuf[j] = p < g ? p : g
                if ignoring { gBuf[j] = g }  // else the sum reads the target itself
                vc &+= ElementChecks.bit(v)
                bi &+= ElementChecks.badInput(z, logits: logits)
                bt &+= ElementChecks.badTarget(g)
            }
            stats.intersection += BlockSums.sum(mBuf, n)
            stats.prediction += BlockSums.sum(pBuf, n)
            stats.target += BlockSums.sum(ignoring ? UnsafePointer(gBuf) : tb, n)
            valid += Int(vc)
            badIn += Int(bi)
            badT += Int(bt)
            b += n
        }
        stats.valid = Double(valid)
        var scan = InputScan()
        scan.badInput = Double(badIn)
        scan.badTarget = Double(badT)
        return ChunkResult(stats: stats, scan: scan, binaryTargets: false)
    }

    // MARK: Pass 2

    /// Writes (or adds) a_r·∂TP/∂p_i + b_r with ∂TP/∂p_i = 1 where p_i < g_i, ½ where
    /// p_i = g_i, 0 where p_i > g_i, chained through the sigmoid for logits; 0 on ignored
    /// voxels.
    static func backwardSoftLabel<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>,
        a: [Double], b: [Double], gradient: UnsafeMutablePointer<S>, accumulate: Bool
    ) {
        let shape = input.shape
        let perRow = (shape.spatialCount + chunkSize - 1) / chunkSize
        let grad = MutableTensorView(gradient, shape: shape)
        Parallel.forEachChunk(shape.rows * perRow, work: shape.count * 8) { u in
            let row = u / perRow, lo = (u % perRow) * chunkSize, hi = min(shape.spatialCount, lo + chunkSize)
            let x = input.row(row), t = target.row(row), out = grad.row(row)
            let ar = S(a[row]), br = S(b[row]), ig = config.ignore ?? 0
            switch (config.fromLogits, config.ignore != nil, accumulate) {
            case (true, false, false): writeSoft(x, t, out, lo, hi, ar, br, ig, On.self, Off.self, Off.self)
            case (true, false, true): writeSoft(x, t, out, lo, hi, ar, br, ig, On.self, Off.self, On.self)
            case (true, true, false): writeSoft(x, t, out, lo, hi, ar, br, ig, On.self, On.self, Off.self)
            case (true, true, true): writeSoft(x, t, out, lo, hi, ar, br, ig, On.self, On.self, On.self)
            case (false, false, false): writeSoft(x, t, out, lo, hi, ar, br, ig, Off.self, Off.self, Off.self)
            case (false, false, true): writeSoft(x, t, out, lo, hi, ar, br, ig, Off.self, Off.self, On.self)
            case (false, true, false): writeSoft(x, t, out, lo, hi, ar, br, ig, Off.self, On.self, Off.self)
            case (false, true, true): writeSoft(x, t, out, lo, hi, ar, br, ig, Off.self, On.self, On.self)
            }
        }
    }

    static func writeSoft<S: SegScalar, Logits: StaticFlag, Ignoring: StaticFlag, Accumulate: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>,
        _ lo: Int, _ hi: Int, _ a: S, _ b: S, _ ignore: S,
        _: Logits.Type, _: Ignoring.Type, _: Accumulate.Type
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
            let indicator: S = p < g ? 1 : (p == g ? 0.5 : 0)
            var d = (a * indicator + b) * dp
            d = keep ? d : 0
            if Accumulate.isOn { d += out[i] }
            out[i] = d
        }
    }
}
