// MARK: - One large Lovász entry on all threads

extension LovaszEntryKernel {
    /// Voxels per part of the parallel gathering pass (a part never crosses a row).
    static let gatherPart = 1 << 16

    /// `run` for an entry as large as the batch (Lovász-softmax pooled over the images, one
    /// class; the hinge without `per_image`), which would otherwise sort on one thread
    /// while the others idle. The same steps, each spread over the threads:
    ///
    /// 1. gathering in parts of `gatherPart` voxels of a row, each part compacting its items
    ///    into its own segment of `scratch` with its
    ///    own counts and key range, and zeroing its gradient unless every voxel of the part
    ///    is an item (the walk then writes all of it; for G = 0 those parts are zeroed
    ///    after the gathering pass);
    /// 2. `LovaszSort.sortSegments`: LSD radix passes over the segments, parallel over parts
    ///    with per-part bucket offsets (exact, so no fix-up);
    /// 3. the walk in its fixed chunks (`walkHardChunks` with `parallel`).
    ///
    /// Counts, the sort order and the chunked walk do not depend on the partition, so the
    /// result equals `run`'s bit for bit. Soft labels and Double errors walk on one thread
    /// (their running sums are sequential), as in `run`.
    static func runSplit<E: LovaszErrorFunction>(
        _ errors: E, input x: UnsafePointer<E.S>, target t: UnsafePointer<E.S>,
        gradient: UnsafeMutablePointer<E.S>?, rows: LovaszRows, ignore: E.S?, weight: Double,
        items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>
    ) -> LovaszEntryResult {
        let spatial = rows.spatial
        let piecesPerRow = (spatial + gatherPart - 1) / gatherPart
        let partCount = rows.count * piecesPerRow
        // Part p: row p / piecesPerRow, voxels [i0, i0 + n) of it, at the dense position
        // r·spatial + i0 of both buffers.
        func part(_ p: Int) -> (r: Int, i0: Int, n: Int, position: Int) {
            let r = p / piecesPerRow, i0 = (p % piecesPerRow) * gatherPart
            return (r, i0, min(gatherPart, spatial - i0), r * spatial + i0)
        }
        var counts = [GatherCounts](repeating: GatherCounts(), count: partCount)
        let ig = ignore ?? 0, hasIgnore = ignore != nil
        counts.withUnsafeMutableBufferPointer { cb in
            let out = cb.baseAddress!
            Parallel.forEachChunk(partCount, work: rows.voxels &* 32) { p in
                let (r, i0, n, position) = part(p)
                let start = rows.row(r) * spatial + i0
                var c = GatherCounts()
                if hasIgnore {
                    gatherRow(errors, x + start, t + start, spatial: n, offset: rows.offset(r) + i0, ignore: ig,
                              ignoring: true, items: scratch + position, into: &c)
                } else {
                    gatherRow(errors, x + start, t + start, spatial: n, offset: rows.offset(r) + i0, ignore: ig,
                              ignoring: false, items: scratch + position, into: &c)
                }
                // A part whose every voxel is an item gets all its gradient from the walk
                // (unless G = 0, below), so it is zeroed only when some voxel is not.
                if c.count < n { gradient?.advanced(by: start).update(repeating: 0, count: n) }
                out[p] = c
            }
        }
        var total = GatherCounts(), valid = 0, ones = 0
        for c in counts {
            total.badInput &+= c.badInput
            total.badTarget &+= c.badTarget
            total.soft &+= c.soft
            total.keyLow = min(total.keyLow, c.keyLow)
            total.keyHigh = max(total.keyHigh, c.keyHigh)
            total.count &+= c.count
            valid &+= Int(c.rowValid)
            ones &+= Int(c.rowOnes)
        }
        var result = gatheredResult(total, valid: valid, ones: ones, target: t, rows: rows, ignore: ignore)
        guard total.sortable else { return result }
        if result.target == 0, let gradient {
            // G = 0: the walk writes only the largest error's gradient; zero the parts the
            // gathering pass left as they were.
            Parallel.forEachChunk(partCount, work: rows.voxels) { p in
                let (r, i0, n, _) = part(p)
                if counts[p].count == n { (gradient + rows.row(r) * spatial + i0).update(repeating: 0, count: n) }
            }
        }

        let segments = (0..<partCount).map { LovaszSort.Segment(start: part($0).position, count: counts[$0].count) }
        let sorted = LovaszSort.sortSegments(
            scratch, segments: segments, other: items, keys: LovaszSort.KeyRange(low: total.keyLow, high: total.keyHigh))
        let spare = sorted == items ? scratch : items
        result.loss = walk(
            errors, input: x, target: t, gradient: gradient, rows: rows, sorted: sorted, spare: spare,
            count: total.count, target: result.target, soft: total.soft > 0, weight: weight, parallel: true)
        return result
    }
}
