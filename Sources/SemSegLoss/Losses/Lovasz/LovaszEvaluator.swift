// MARK: - Driving the Lovász kernel over a batch

/// Evaluates a Lovász loss on dense (N, C, *spatial) input and target (binary and
/// multilabel modes; Lovász-softmax reaches it through `MulticlassAdapter`).
///
/// Entries are (image, class) pairs when `perImage`, else classes pooled over the batch
/// (one sort over N·spatial voxels); channel 0 is dropped when `includeBackground` is
/// false (zero gradient). Entries run in parallel (`Parallel.forEachChunk`, consecutive
/// entries per chunk, each chunk with its own sort buffers); when there are fewer entries
/// than threads and they are large (binary Lovász-softmax pools the whole batch into one
/// entry), the entries run one after the other, each split over the threads
/// (`LovaszEntryKernel.runSplit`). The result is the same bit for bit either way and does
/// not depend on threads.
///
/// Included entries: those with a valid voxel, and with `presentOnly` those with G > 0.
/// Reduction `none` gives one value per entry (0 for an all-ignored entry, NaN for an
/// absent class under `presentOnly`, neither with gradient); `sum` adds the included
/// entries; `mean` is LovaszSoftmax's: pooled, the mean over included classes; per
/// image, the mean over images (with an included entry) of each image's mean over its
/// included classes — the plain mean of all entries when every entry is included.
enum LovaszEvaluator {
    /// (N, C′) per image, (C′,) pooled; `[]` for mean and sum.
    static func outputShape(input: TensorShape, options: LossOptions, perImage: Bool) -> [Int] {
        guard options.reduction == .none else { return [] }
        let kept = input.channels - options.firstChannel
        return perImage ? [input.batch, kept] : [kept]
    }

    /// Voxels per entry from which a lone entry runs on all threads (`LovaszEntryKernel.runSplit`).
    static let splitVoxels = 1 << 17

    /// `split` forces (true) or forbids (false) running the entries one after the other,
    /// each on all threads; by default that happens when there are fewer entries than
    /// threads and they hold at least `splitVoxels` voxels. Both ways give the same result
    /// bit for bit.
    static func evaluate<E: LovaszErrorFunction>(
        _ errors: E, input: TensorView<E.S>, target: TensorView<E.S>, options: LossOptions,
        perImage: Bool, presentOnly: Bool, outputs: LossOutputs<E.S>, split: Bool? = nil
    ) throws(SegLossError) -> Double {
        typealias S = E.S
        let shape = input.shape
        try options.validateDense(input: shape, target: target.shape) {}
        let C = shape.channels, c0 = options.firstChannel, kept = C - c0, N = shape.batch
        let spatial = shape.spatialCount
        let entryCount = perImage ? N * kept : kept
        func rows(_ e: Int) -> LovaszRows {
            perImage
                ? LovaszRows(first: (e / kept) * C + c0 + e % kept, count: 1, stride: C, spatial: spatial)
                : LovaszRows(first: c0 + e, count: N, stride: C, spatial: spatial)
        }
        let largest = rows(0)
        guard largest.span <= LovaszSort.maxEntryCount else {
            throw .shape("input", "spans \(largest.span) elements per sorted entry (shape \(shape)); at most \(LovaszSort.maxEntryCount) are supported (use per_image=True)")
        }
        if options.reduction == .none, let go = outputs.gradOutput {
            for e in 0..<entryCount where !go[e].isFinite {
                throw .value("grad_output", "must be finite, got \(go[e]) at index \(e)")
            }
        }
        // Weights known before the sort when every entry is included; else applied after.
        let upfront = options.ignoreIndex == nil && !presentOnly
        let all = [Bool](repeating: true, count: entryCount)
        let early = upfront ? weights(all, options: options, perImage: perImage, N: N, kept: kept, outputs: outputs) : nil

        var results = [LovaszEntryResult](repeating: LovaszEntryResult(), count: entryCount)
        let ignore = options.ignoreIndex.map { S($0) }
        let capacity = largest.voxels
        let splitting = split ?? (entryCount < Parallel.workerCount && capacity >= splitVoxels)
        let failures = AllocationFailures()
        results.withUnsafeMutableBufferPointer { rb in
            let out = rb.baseAddress!
            if splitting {
                ScratchBuffers.withBuffer(of: UInt64.self, count: 2 * capacity, failures: failures) { buffer in
                    for e in 0..<entryCount {
                        out[e] = LovaszEntryKernel.run(
                            errors, input: input.base, target: target.base, gradient: outputs.gradient,
                            rows: rows(e), ignore: ignore, weight: early?[e] ?? 1,
                            items: buffer, scratch: buffer + capacity, split: true)
                    }
                }
                return
            }
            // Consecutive entries share one chunk and its sort buffers (up to 16 chunks per
            // thread: small chunks keep the threads finishing together — one 256x256 entry
            // takes ~0.2 ms); per-entry results do not depend on the grouping.
            let chunkCount = min(entryCount, 16 * Parallel.workerCount)
            Parallel.forEachChunk(chunkCount, work: shape.count &* 32) { chunk in
                ScratchBuffers.withBuffer(of: UInt64.self, count: 2 * capacity, failures: failures) { buffer in
                    for e in (chunk * entryCount / chunkCount)..<((chunk + 1) * entryCount / chunkCount) {
                        out[e] = LovaszEntryKernel.run(
                            errors, input: input.base, target: target.base, gradient: outputs.gradient,
                            rows: rows(e), ignore: ignore, weight: early?[e] ?? 1,
                            items: buffer, scratch: buffer + capacity)
                    }
                }
            }
        }
        try failures.check()
        var scan = InputScan()
        for r in results { scan.merge(r.scan) }
        if c0 > 0 {
            for n in 0..<N {
                let x = input.row(n * C)
                var bad: Int32 = 0
                for i in 0..<spatial { bad &+= ElementChecks.badInput(x[i], logits: E.logits) }
                scan.badInput += Double(bad)
                outputs.gradient?.advanced(by: n * C * spatial).update(repeating: 0, count: spatial)
            }
        }
        try scan.check(input: input, target: target, fromLogits: E.logits, ignoreIndex: ignore)

        let included = results.map { $0.valid > 0 && (!presentOnly || $0.target > 0) }
        let w = early ?? weights(included, options: options, perImage: perImage, N: N, kept: kept, outputs: outputs)
        if let gradient = outputs.gradient, early == nil {
            for e in 0..<entryCount where w[e] != 1 {
                let scale = S(w[e]), entry = rows(e)
                for r in 0..<entry.count {
                    let g = gradient + entry.row(r) * spatial
                    for i in 0..<spatial { g[i] *= scale }
                }
            }
        }
        var value = 0.0
        for e in 0..<entryCount {
            if let values = outputs.values, options.reduction == .none {
                values[e] = included[e] || results[e].valid == 0 ? S(results[e].loss) : .nan
            }
            guard included[e] else { continue }
            value += options.reduction == .mean ? w[e] * results[e].loss : results[e].loss
        }
        return value
    }

    /// Reduction weights of the entries (0 for excluded ones); see the type's comment.
    static func weights<S>(
        _ included: [Bool], options: LossOptions, perImage: Bool, N: Int, kept: Int, outputs: LossOutputs<S>
    ) -> [Double] where S: SegScalar {
        var w = [Double](repeating: 0, count: included.count)
        switch options.reduction {
        case .sum:
            for e in w.indices where included[e] { w[e] = 1 }
        case .none:
            for e in w.indices where included[e] { w[e] = outputs.gradOutput.map { Double($0[e]) } ?? 1 }
        case .mean:
            if perImage {
                let counts = (0..<N).map { n in (0..<kept).filter { included[n * kept + $0] }.count }
                let images = Double(counts.filter { $0 > 0 }.count)
                for e in w.indices where included[e] { w[e] = 1 / (images * Double(counts[e / kept])) }
            } else {
                let count = Double(included.filter { $0 }.count)
                for e in w.indices where included[e] { w[e] = 1 / count }
            }
        }
        return w
    }
}
