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
/// For logits with linear sums, pass 1 can park σ'(z_i) (0 where ignored) in the gradient
/// buffer (`derivativeOut`), so that pass 2 needs no second exp: g_i·a_r + b_r times it.
/// The parked value is negated where g_i = 1: in a chunk whose valid targets are all 0 or
/// 1 (the usual masks), pass 2 then reads the target from the sign and never loads the
/// target array, a third less memory traffic (`StoredDerivative`).
/// Work is split into fixed chunks of `chunkSize` voxels (deterministic sums).
/// Loops follow the scheme described at `Blocks`.
@usableFromInline
enum RegionStatsKernel {
    @usableFromInline static let chunkSize = 16_384

    @usableFromInline
    struct Config<S: SegScalar> {
        var fromLogits: Bool
        var squared: Bool
        var ignore: S?
    }

    /// What pass 1 parked in the gradient buffer: d_i = ±σ'(z_i)·[valid], negative where
    /// g_i = 1; `binaryChunks[u]` tells whether every valid target of chunk u is 0 or 1.
    @usableFromInline
    struct StoredDerivative {
        var binaryChunks: [Bool]
    }

    // MARK: Pass 1

    /// Whether pass 1 can store σ'(z) for pass 2 (logits, linear sums).
    static func canStoreDerivative<S>(_ config: Config<S>) -> Bool { config.fromLogits && !config.squared }

    static func forward<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>,
        derivativeOut: UnsafeMutablePointer<S>? = nil
    ) -> (stats: [RegionStats], scan: InputScan, stored: StoredDerivative?) {
        let store = canStoreDerivative(config) ? derivativeOut : nil
        let shape = input.shape
        let perRow = (shape.spatialCount + chunkSize - 1) / chunkSize
        let units = shape.rows * perRow
        var partial = [RegionStats](repeating: RegionStats(), count: units)
        var scans = [InputScan](repeating: InputScan(), count: units)
        var binary = [Bool](repeating: false, count: units)
        partial.withUnsafeMutableBufferPointer { partialBuf in
            scans.withUnsafeMutableBufferPointer { scanBuf in
                binary.withUnsafeMutableBufferPointer { binaryBuf in
                    let pb = partialBuf.baseAddress!, sb = scanBuf.baseAddress!, bb = binaryBuf.baseAddress!
                    Parallel.forEachChunk(units, work: shape.count * 8) { u in
                        let row = u / perRow, c = u % perRow
                        let lo = c * chunkSize, hi = min(shape.spatialCount, lo + chunkSize)
                        let r = accumulate(
                            input.row(row), target.row(row), store.map { $0 + row * shape.spatialCount },
                            lo, hi, config)
                        pb[u] = r.stats
                        sb[u] = r.scan
                        bb[u] = r.binaryTargets
                    }
                }
            }
        }
        var stats = [RegionStats](repeating: RegionStats(), count: shape.rows)
        var scan = InputScan()
        for u in 0..<units {
            stats[u / perRow] = stats[u / perRow] + partial[u]
            scan.merge(scans[u])
        }
        return (stats, scan, store == nil ? nil : StoredDerivative(binaryChunks: binary))
    }

    /// Picks the compiled loop for the options.
    static func accumulate<S: SegScalar>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ d: UnsafeMutablePointer<S>?,
        _ lo: Int, _ hi: Int, _ cfg: Config<S>
    ) -> ChunkResult {
        let ig = cfg.ignore ?? 0
        if let d {  // logits, linear sums
            return cfg.ignore == nil
                ? rowSums(x, t, d, lo, hi, ig, On.self, Off.self, Off.self, On.self, On.self)
                : rowSums(x, t, d, lo, hi, ig, On.self, Off.self, On.self, On.self, On.self)
        }
        let none = UnsafeMutablePointer(mutating: x)  // never written (Storing is Off)
        switch (cfg.fromLogits, cfg.squared, cfg.ignore != nil) {
        case (true, false, false): return rowSums(x, t, none, lo, hi, ig, On.self, Off.self, Off.self, Off.self, Off.self)
        case (true, false, true): return rowSums(x, t, none, lo, hi, ig, On.self, Off.self, On.self, Off.self, Off.self)
        case (true, true, false): return rowSums(x, t, none, lo, hi, ig, On.self, On.self, Off.self, Off.self, Off.self)
        case (true, true, true): return rowSums(x, t, none, lo, hi, ig, On.self, On.self, On.self, Off.self, Off.self)
        case (false, false, false): return rowSums(x, t, none, lo, hi, ig, Off.self, Off.self, Off.self, Off.self, Off.self)
        case (false, false, true): return rowSums(x, t, none, lo, hi, ig, Off.self, Off.self, On.self, Off.self, Off.self)
        case (false, true, false): return rowSums(x, t, none, lo, hi, ig, Off.self, On.self, Off.self, Off.self, Off.self)
        case (false, true, true): return rowSums(x, t, none, lo, hi, ig, Off.self, On.self, On.self, Off.self, Off.self)
        }
    }

    /// Pass 1 results of one chunk.
    struct ChunkResult {
        var stats: RegionStats
        var scan: InputScan
        /// Every valid target is 0 or 1.
        var binaryTargets: Bool
    }

    /// Pass 1 over `lo..<hi` of one row: (TP, P, G, valid) and validation counts,
    /// optionally writing σ'(z)·[valid] to `d`: sign-coded (negative where g = 1, see
    /// `StoredDerivative`) when `SignCoded`, plain otherwise (then `binaryTargets` is not
    /// computed: pass 2 reads the target, which row-by-row evaluation finds in cache, and
    /// pass 1 saves the sign and binary-target work). Options: logits, squared sums,
    /// ignore_index, storing σ', sign coding.
    static func rowSums<S: SegScalar, Logits: StaticFlag, Squared: StaticFlag, Ignoring: StaticFlag, Storing: StaticFlag, SignCoded: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ d: UnsafeMutablePointer<S>,
        _ lo: Int, _ hi: Int, _ ignore: S,
        _: Logits.Type, _: Squared.Type, _: Ignoring.Type, _: Storing.Type, _: SignCoded.Type
    ) -> ChunkResult {
        let logits = Logits.isOn, squared = Squared.isOn, ignoring = Ignoring.isOn, storing = Storing.isOn
        let signCoded = storing && SignCoded.isOn
        var stats = RegionStats()
        var valid = 0, badIn = 0, badT = 0, nonBinary = 0
        // p (and, with ignore_index, the masked g) of a block, for `BlockSums.region`.
        let staged = UnsafeMutablePointer<S>.allocate(capacity: 2 * Blocks.size)
        defer { staged.deallocate() }
        let pBuf = staged, gBuf = staged + Blocks.size
        var b = lo
        while b < hi {
            let n = min(Blocks.size, hi - b)
            let xb = x + b, tb = t + b, db = d + b
            var vc: Int32 = 0, bi: Int32 = 0, bt: Int32 = 0, nb: Int32 = 0
            // The sums run over staged p in fixed lanes (`BlockSums.region`), not as
            // relaxed sums in this loop: a loop that also stores σ' is vectorised only when
            // LLVM's run-time overlap check passes, which depends on where the caller's
            // buffers lie, and its scalar fallback would add in another order (the loss
            // would then depend on the memory layout and differ with and without a gradient).
            // Largest target bit pattern: > bits(1) flags suspects (`SegScalar.unitBits`),
            // which InputScan.check re-checks exactly.
            var targetBits: S.UnitBits = 0
            // Logits: largest bit pattern of −|z|; above that of −greatestFinite means a NaN
            // or ±∞ (the OR is the one `expNegativeMagnitude` does, so it costs one max).
            var logitBits: S.UnitBits = 0
            for j in 0..<n {
                let z = xb[j], gRaw = tb[j]
                let v = ignoring ? gRaw != ignore : true
                let g = v ? gRaw : 0
                var p = z
                if logits {
                    let s = Sigmoid(logits: z)
                    p = s.p
                    if storing {
                        let dv = v ? s.derivative : 0
                        db[j] = signCoded ? (g == 1 ? -dv : dv) : dv
                    }
                }
                pBuf[j] = v ? p : 0
                if ignoring { gBuf[j] = g }
                vc &+= ElementChecks.bit(v)
                if logits {
                    logitBits = max(logitBits, S.unitBits(z) | S.unitBits(-0.0))
                } else {
                    bi &+= S.maybeOutsideUnit(z)
                }
                targetBits = max(targetBits, S.unitBits(g))
                if signCoded { nb &+= 1 &- (ElementChecks.bit(g == 0) | ElementChecks.bit(g == 1)) }
            }
            if logits && logitBits > S.unitBits(-S.greatestFiniteMagnitude) { bi &+= 1 }
            if targetBits > S.unitBits(1) { bt &+= 1 }
            let sums = BlockSums.region(pBuf, ignoring ? UnsafePointer(gBuf) : tb, n, squared: squared)
            stats.intersection += sums.intersection
            stats.prediction += sums.prediction
            stats.target += sums.target
            valid += Int(vc)
            badIn += Int(bi)
            badT += Int(bt)
            nonBinary += Int(nb)
            b += n
        }
        stats.valid = Double(valid)
        var scan = InputScan()
        scan.badInput = Double(badIn)
        scan.badTarget = Double(badT)
        return ChunkResult(stats: stats, scan: scan, binaryTargets: signCoded && nonBinary == 0)
    }
}
