// MARK: - Multiclass targets: label maps and dense one-hot / soft targets

/// The checked form of a multiclass target: an integer label map or dense (N, C, *spatial)
/// one-hot / soft labels, read as dense targets in which every channel of an ignored voxel
/// holds `ignoredMark` (−1).
///
/// `ignore_index` is applied before any one-hot step (LOSSES.md §4.7: one-hot of 255 with
/// C classes is the classic crash): a label map voxel is ignored when its label equals
/// `ignore_index`; a dense voxel when any of its channels equals it. Every other label
/// must lie in [0, C), every other dense value in [0, 1]; the error names the first bad one.
///
/// The dense form is not built up front: a kernel working in blocks of voxels asks for the
/// targets of one block (`block`), written into a block-sized scratch that stays in cache
/// (a label map, or dense targets with ignored voxels) or read in place (dense targets
/// without ignored voxels). Losses that need the whole dense tensor get it from
/// `withDense`, in pooled scratch (`ScratchBuffers`).
public struct MulticlassTargets<S: SegScalar>: @unchecked Sendable {
    /// The value written to every channel of an ignored voxel (never a valid target).
    public static var ignoredMark: S { -1 }

    enum Source {
        /// `ignore` is `Int64.min` without `ignore_index`: such a label fails the range check.
        case labels(LabelView, ignore: Int64)
        case dense(UnsafePointer<S>, ignore: S?)
    }

    let source: Source
    /// The input's shape.
    public let shape: TensorShape
    /// Number of ignored voxels (0: the inner loss needs no ignore_index).
    public let ignoredVoxels: Int

    /// Checks `target` against an input of shape `shape` and counts the ignored voxels.
    public init(_ target: LossTarget<S>, shape: TensorShape, ignoreIndex: Double?) throws(SegLossError) {
        self.shape = shape
        switch target {
        case .labels(let labels):
            let ig = try LabelView.ignoreLabel(ignoreIndex)
            source = .labels(labels, ignore: ig ?? .min)
            ignoredVoxels = try Self.checkLabels(labels, shape: shape, ignore: ig)
        case .dense(let t):
            guard t.shape == shape else { throw SegLossError.multiclassTargetShape(t.shape, input: shape) }
            let ig: S? = ignoreIndex.map { S($0) }
            source = .dense(t.base, ignore: ig)
            ignoredVoxels = try Self.checkDense(t, ignore: ig, ignoreIndex: ignoreIndex)
        }
    }

    // MARK: Reading the targets

    /// Whether `block` writes into its scratch (else it points into the caller's target).
    public var blocksNeedScratch: Bool {
        if case .dense = source, ignoredVoxels == 0 { return false }
        return true
    }

    /// The dense targets of voxels lo..<hi of image n: channel c of voxel lo + i is at
    /// `base[c·stride + i]`. Written into `scratch` (C·(hi − lo) elements, stride hi − lo)
    /// when `blocksNeedScratch`, else read in place.
    public func block(
        _ n: Int, _ lo: Int, _ hi: Int, scratch: UnsafeMutablePointer<S>
    ) -> (base: UnsafePointer<S>, stride: Int) {
        if case .dense(let t, _) = source, ignoredVoxels == 0 {
            return (t + n * shape.channels * shape.spatialCount + lo, shape.spatialCount)
        }
        fill(n, lo, hi, into: scratch, stride: hi - lo)
        return (UnsafePointer(scratch), hi - lo)
    }

    /// Runs `body` with the whole dense target (the input's shape): the caller's tensor when
    /// it is dense without ignored voxels, else a pooled buffer filled in parallel.
    public func withDense<R>(_ body: (UnsafePointer<S>) throws(SegLossError) -> R) throws(SegLossError) -> R {
        if case .dense(let t, _) = source, ignoredVoxels == 0 { return try body(t) }
        return try ScratchBuffers.withBuffer(of: S.self, count: shape.count) { (out) throws(SegLossError) -> R in
            let sp = shape.spatialCount, C = shape.channels
            Self.forEachBlock(shape) { n, lo, hi in
                fill(n, lo, hi, into: out + n * C * sp + lo, stride: sp)
            }
            return try body(UnsafePointer(out))
        }
    }

    /// Writes the dense targets of voxels lo..<hi of image n to `out[c·stride + i]`.
    func fill(_ n: Int, _ lo: Int, _ hi: Int, into out: UnsafeMutablePointer<S>, stride: Int) {
        let C = shape.channels, sp = shape.spatialCount, m = hi - lo, mark = Self.ignoredMark
        switch source {
        case .labels(let labels, let ig):
            let k = labels.image(n) + lo
            for c in 0..<C {
                let oc = out + c * stride, label = Int64(c)
                for i in 0..<m {
                    let one: S = k[i] == label ? 1 : 0
                    oc[i] = k[i] == ig ? mark : one
                }
            }
        case .dense(let t, let ig):
            let src = t + n * C * sp + lo
            guard let ig else {
                for c in 0..<C { (out + c * stride).update(from: src + c * sp, count: m) }
                return
            }
            // out[0] first holds 1 where a channel equals ignore_index, then the marks go in.
            let skip = out
            skip.update(repeating: 0, count: m)
            for c in 0..<C {
                let sc = src + c * sp
                for i in 0..<m { skip[i] = sc[i] == ig ? 1 : skip[i] }
            }
            for c in (0..<C).reversed() {
                let sc = src + c * sp, oc = out + c * stride
                for i in 0..<m { oc[i] = skip[i] == 1 ? mark : sc[i] }
            }
        }
    }

    // MARK: Checks

    /// Counts the labels equal to `ignore`; throws naming the first label outside [0, C).
    static func checkLabels(_ labels: LabelView, shape: TensorShape, ignore: Int64?) throws(SegLossError) -> Int {
        // Without ignore_index no label is skipped, not even one equal to the kernels'
        // placeholder `Int64.min` (it is then out of range like any negative label).
        let C = Int64(shape.channels), sp = shape.spatialCount, ig = ignore ?? .min
        let ignoring = ElementChecks.bit(ignore != nil)
        let counts = countBlocks(shape) { n, lo, hi in
            let k = labels.image(n)
            var ignored: Int32 = 0, bad: Int32 = 0
            for i in lo..<hi {
                let skip = ignoring & ElementChecks.bit(k[i] == ig)
                ignored &+= skip
                bad &+= (1 &- skip) & (1 &- (ElementChecks.bit(k[i] >= 0) & ElementChecks.bit(k[i] < C)))
            }
            return (Int(ignored), Int(bad))
        }
        if counts.bad > 0 {
            for i in 0..<(shape.batch * sp) {
                let k = labels.base[i]
                if k != ignore && !(k >= 0 && k < C) { throw LabelView.outOfRange(k, at: i, classes: shape.channels, ignore: ignore) }
            }
        }
        return counts.ignored
    }

    /// Counts the voxels with a channel equal to `ignore`; throws naming the first value of
    /// another voxel outside [0, 1] (NaN included).
    static func checkDense(_ t: TensorView<S>, ignore: S?, ignoreIndex: Double?) throws(SegLossError) -> Int {
        let shape = t.shape, C = shape.channels, sp = shape.spatialCount
        let counts = countBlocks(shape) { n, lo, hi in
            let m = hi - lo, src = t.base + n * C * sp + lo
            let skip = UnsafeMutablePointer<Int32>.allocate(capacity: m)
            defer { skip.deallocate() }
            skip.update(repeating: 0, count: m)
            if let ig = ignore {
                for c in 0..<C {
                    let sc = src + c * sp
                    for i in 0..<m { skip[i] |= ElementChecks.bit(sc[i] == ig) }
                }
            }
            var bad: Int32 = 0, ignored: Int32 = 0
            for c in 0..<C {
                let sc = src + c * sp
                for i in 0..<m {
                    let inside = ElementChecks.bit(sc[i] >= 0) & ElementChecks.bit(sc[i] <= 1)
                    bad &+= (1 &- skip[i]) & (1 &- inside)
                }
            }
            for i in 0..<m { ignored &+= skip[i] }
            return (Int(ignored), Int(bad))
        }
        guard counts.bad > 0 else { return counts.ignored }
        for n in 0..<shape.batch {
            let img = t.base + n * C * sp
            for i in 0..<sp {
                if let ig = ignore, (0..<C).contains(where: { img[$0 * sp + i] == ig }) { continue }
                for c in 0..<C where !(img[c * sp + i] >= 0 && img[c * sp + i] <= 1) {
                    let g = img[c * sp + i], at = n * C * sp + c * sp + i
                    let hint = g.isNaN ? "" : ignoreIndex.map { " (ignore_index is \($0))" } ?? "; if this value marks pixels to ignore, pass ignore_index=\(g)"
                    throw .value("target", "values must lie in [0, 1]; got \(g) at flat index \(at)\(hint)")
                }
            }
        }
        return counts.ignored
    }

    // MARK: Blocks

    /// Runs `body(image, lo, hi)` over the blocks of `SoftmaxKernel.blockSize` voxels, in
    /// parallel.
    static func forEachBlock(_ shape: TensorShape, _ body: (Int, Int, Int) -> Void) {
        _ = SoftmaxKernel.forEachBlock(shape) { n, lo, hi in
            body(n, lo, hi)
            return 0
        }
    }

    /// Adds up the (ignored, bad) counts `body` returns per block.
    static func countBlocks(_ shape: TensorShape, _ body: (Int, Int, Int) -> (Int, Int)) -> (ignored: Int, bad: Int) {
        let size = SoftmaxKernel.blockSize
        let perImage = (shape.spatialCount + size - 1) / size
        let units = shape.batch * perImage
        var counts = [(Int, Int)](repeating: (0, 0), count: units)
        counts.withUnsafeMutableBufferPointer { cb in
            let out = cb.baseAddress!
            Parallel.forEachChunk(units, work: shape.count * 2) { u in
                let n = u / perImage, lo = (u % perImage) * size
                out[u] = body(n, lo, min(shape.spatialCount, lo + size))
            }
        }
        return counts.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
    }
}

extension SegLossError {
    /// A multiclass dense target whose shape is not the input's. A target with the shape of
    /// a label map (N, *spatial) is a label map of a floating-point or bool dtype: the
    /// message says that the dtype, not the shape, is what to change.
    static func multiclassTargetShape(_ got: TensorShape, input shape: TensorShape) -> SegLossError {
        let labelShape = [shape.batch] + Array(shape.spatial)
        if got.dims == labelShape {
            return .shape("target", "has the shape of a label map \(TensorShape.format(labelShape)) but not an integer dtype; label maps must hold integers (in Python, target.astype(np.int64); in Swift, LossTarget.labels), or give one-hot / soft labels of the input's shape \(shape)")
        }
        return .shape("target", "must have the input's shape \(shape) (one-hot or soft) or be an integer label map \(TensorShape.format(labelShape)), got \(got)")
    }
}
