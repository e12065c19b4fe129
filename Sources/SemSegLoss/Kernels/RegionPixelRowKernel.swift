// MARK: - A region objective plus a pixel objective, both passes row by row

/// The kernel of the region + pixel compound losses (Dice + focal, Dice + BCE/CE, combo,
/// unified focal, generalized Dice + focal; `RegionPixelEvaluator`) on logits: one sweep
/// per (image, channel) row, which stays in the core's L2 cache between its two passes.
///
/// Pass 1 streams the row once, in the chunks and blocks of `RegionStatsKernel.rowSums`:
/// p = σ(z) gives the region sums (TP, P, G) of the row, the pixel term gives ℓ(z, g) and
/// w·∂ℓ/∂z (written to the gradient), and σ'(z) is parked in a row buffer. The row's
/// region coefficients (a_r, b_r) then follow from its sums, and pass 2 adds
/// (a_r·g_i + b_r)·σ'(z_i) to the gradient.
///
/// Rows must be a multiple of `Blocks.size` voxels (`RegionPixelEvaluator` only calls
/// it then; the precondition guards the block-sum writes). The values are then those of the two
/// evaluators run one after the other (the region part row by row,
/// `RegionStatsKernel.forwardBackwardByRow`, then the pixel part adding its gradient), bit
/// for bit: the region sums are grouped in the same chunks and blocks, each gradient
/// element is the same two Float terms added once, and the pixel losses are summed per
/// block of `Blocks.size` voxels — blocks of the pixel evaluator too, whose chunks then
/// add them (`RegionPixelEvaluator.pixelTotal`). What it saves is one sigmoid per voxel
/// (the loops are bound by arithmetic) and a second sweep over input, target and gradient.
enum RegionPixelRowKernel {
    static let chunkSize = RegionStatsKernel.chunkSize

    /// What one row yields: its region sums and validation counts; its pixel losses are
    /// written per block (`blockSums`).
    struct RowResult {
        var stats = RegionStats()
        var scan = InputScan()
    }

    /// Runs every row (one task per row). `pixelWeight(row)` is the factor of the row's
    /// pixel gradient (0 for a row left out of the pixel part); `coefficients(row, sums)`
    /// (called concurrently, must be pure) gives (a_r, b_r). `blockSums` gets the pixel
    /// loss sum of every block of `Blocks.size` voxels (flat order, `count / Blocks.size`
    /// elements). Returns the region sums and the validation counts of every row.
    static func run<S: SegScalar, P: PixelObjective>(
        _ pixel: P, input: TensorView<S>, target: TensorView<S>, gradient: UnsafeMutablePointer<S>,
        pixelWeight: (Int) -> S, blockSums: UnsafeMutablePointer<Double>,
        coefficients: (Int, RegionStats) -> (a: Double, b: Double)
    ) throws(SegLossError) -> (stats: [RegionStats], scan: InputScan) {
        let shape = input.shape, spatial = shape.spatialCount
        let failures = AllocationFailures()
        precondition(spatial % Blocks.size == 0, "rows of whole blocks")
        var results = [RowResult](repeating: RowResult(), count: shape.rows)
        results.withUnsafeMutableBufferPointer { rb in
            let out = rb.baseAddress!
            Parallel.forEachChunk(shape.rows, work: shape.count * 16) { row in
                let x = input.row(row), t = target.row(row), g = gradient + row * spatial
                let sums = blockSums + row * (spatial / Blocks.size)
                let w = pixelWeight(row)
                let hard = pixel.hasHardTargetForm && HardTargetScan.row(t, count: spatial)
                ScratchBuffers.withBuffer(of: S.self, count: spatial, failures: failures) { derivative in
                    out[row] = pixel.specialize(
                        RowPass(x: x, t: t, gradient: g, derivative: derivative, spatial: spatial, weight: w, sums: sums),
                        hardTargets: hard)
                    let (a, b) = coefficients(row, out[row].stats)
                    addRegionGradient(t, derivative, g, spatial, S(a), S(b))
                }
            }
        }
        try failures.check()
        var scan = InputScan()
        for r in results { scan.merge(r.scan) }
        return (results.map(\.stats), scan)
    }

    /// Pass 1 of one row with the (specialised) pixel objective.
    struct RowPass<S: SegScalar>: PixelObjectiveVisitor {
        let x: UnsafePointer<S>, t: UnsafePointer<S>
        let gradient: UnsafeMutablePointer<S>, derivative: UnsafeMutablePointer<S>
        let spatial: Int
        let weight: S
        /// The row's block sums.
        let sums: UnsafeMutablePointer<Double>

        func visit<O: PixelObjective>(_ objective: O) -> RowResult {
            var result = RowResult()
            // p and ℓ of a block, for the lane sums.
            let staged = UnsafeMutablePointer<S>.allocate(capacity: 2 * Blocks.size)
            defer { staged.deallocate() }
            for lo in stride(from: 0, to: spatial, by: chunkSize) {
                let r = chunk(objective, lo, min(spatial, lo + chunkSize), staged, staged + Blocks.size)
                result.stats = result.stats + r.stats
                result.scan.merge(r.scan)
            }
            return result
        }

        /// One chunk, block by block, as `RegionStatsKernel.rowSums` (logits, linear sums,
        /// no ignore_index) and `PixelLossEvaluator.run` (gradient written) would do it; the
        /// pixel loss of each block goes to `sums`.
        @inline(__always)
        func chunk<O: PixelObjective>(
            _ objective: O, _ lo: Int, _ hi: Int, _ pBuf: UnsafeMutablePointer<S>, _ lBuf: UnsafeMutablePointer<S>
        ) -> (stats: RegionStats, scan: InputScan) {
            var stats = RegionStats()
            var badIn = 0, badT = 0
            var b = lo
            while b < hi {
                let n = min(Blocks.size, hi - b)
                let xb = x + b, tb = t + b, gb = gradient + b, db = derivative + b
                // Largest bit patterns of −|z| and of g: the cheap validity flags of
                // `rowSums`, which `InputScan.check` re-checks exactly.
                var logitBits: S.UnitBits = 0, targetBits: S.UnitBits = 0
                for j in 0..<n {
                    let z = xb[j], g = tb[j]
                    let s = Sigmoid(logits: z)
                    db[j] = s.derivative
                    pBuf[j] = s.p
                    let (l, d) = objective.evaluate(z, g, fromLogits: true)
                    lBuf[j] = l
                    gb[j] = d * weight
                    logitBits = max(logitBits, S.unitBits(z) | S.unitBits(-0.0))
                    targetBits = max(targetBits, S.unitBits(g))
                }
                if logitBits > S.unitBits(-S.greatestFiniteMagnitude) { badIn &+= 1 }
                if targetBits > S.unitBits(1) { badT &+= 1 }
                let region = BlockSums.region(pBuf, tb, n, squared: false)
                stats.intersection += region.intersection
                stats.prediction += region.prediction
                stats.target += region.target
                sums[b / Blocks.size] = weight == 0 ? 0 : BlockSums.sum(lBuf, n)
                b += n
            }
            stats.valid = Double(hi - lo)
            var scan = InputScan()
            scan.badInput = Double(badIn)
            scan.badTarget = Double(badT)
            return (stats, scan)
        }
    }

    /// Pass 2: gradient_i ← (a·g_i + b)·σ'(z_i) + gradient_i (the region part's term, as
    /// `RegionStatsKernel.scalePlain` writes it, plus the pixel part's).
    static func addRegionGradient<S: SegScalar>(
        _ t: UnsafePointer<S>, _ derivative: UnsafePointer<S>, _ gradient: UnsafeMutablePointer<S>,
        _ count: Int, _ a: S, _ b: S
    ) {
        for i in 0..<count { gradient[i] = (a * t[i] + b) * derivative[i] + gradient[i] }
    }
}
