// MARK: - Predicted and true classes of a multiclass batch (metrics)

/// The predicted and the true class of every voxel of a multiclass batch, from which the
/// multiclass metrics count (`ConfusionKernel`, `ConfiguredSurfaceMetric`).
///
/// - Prediction: the argmax over the C channels of the input, the first maximum on ties
///   (as NumPy's `argmax`, MONAI's `AsDiscrete(argmax=True)` and smp's multiclass
///   `get_stats` after `argmax`). The softmax is monotone, so logits and probabilities
///   give the same class: `from_logits` only decides how the input is validated (finite
///   logits, or probabilities in [0, 1]), and `threshold` plays no part.
/// - Truth: the class of an integer label map `(N, *spatial)`, or the argmax of the
///   channels of a dense one-hot / soft target `(N, C, *spatial)` (values in [0, 1]).
/// - `ignore_index`, applied before anything else (as `MulticlassTargets`): a label equal
///   to it, or a dense voxel with a channel equal to it, is `ignored` and leaves every
///   count. Any other label must lie in [0, C).
public struct MulticlassClasses: Sendable {
    /// The class of an ignored voxel (in `truth` and `predicted`).
    public static let ignored: Int32 = -1

    /// Predicted class per voxel, image-major (`N · spatialCount`).
    public var predicted: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: maps.predicted, count: maps.count) }
    /// True class per voxel, or `ignored`.
    public var truth: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: maps.truth, count: maps.count) }
    public let classes: Int
    public let batch: Int
    public let spatialCount: Int
    /// The memory of both maps (the buffers above live as long as this value).
    private let maps: ClassMaps

    /// Validates and reduces `input` (N, C, *spatial) and `target` to class maps.
    public init<S: SegScalar>(input: TensorView<S>, target: LossTarget<S>, options: LossOptions) throws(SegLossError) {
        let shape = input.shape, C = shape.channels, sc = shape.spatialCount
        classes = C
        batch = shape.batch
        spatialCount = sc
        try Self.checkInput(input, fromLogits: options.fromLogits)
        maps = try ClassMaps(count: shape.batch * sc)
        let predicted = maps.predicted, truth = maps.truth
        try Self.argmax(input.base, shape: shape, into: predicted)
        switch target {
        case .labels(let labels):
            try Self.labelClasses(labels, classes: C, count: shape.batch * sc, ignoreIndex: options.ignoreIndex, into: truth)
        case .dense(let t):
            guard t.shape == shape else { throw SegLossError.multiclassTargetShape(t.shape, input: shape) }
            try Self.checkDenseTarget(t, ignore: options.ignoreIndex.map { S($0) })
            try Self.argmax(t.base, shape: shape, into: truth)
            if let ig = options.ignoreIndex.map({ S($0) }) {
                for n in 0..<shape.batch {
                    let img = t.base + n * C * sc
                    for c in 0..<C {
                        for i in 0..<sc where img[c * sc + i] == ig { truth[n * sc + i] = Self.ignored }
                    }
                }
            }
        }
        for i in 0..<maps.count where truth[i] == Self.ignored { predicted[i] = Self.ignored }
    }

    /// Argmax over channels of every voxel (first maximum), image by image; the channel
    /// loop is outside so that the voxel loop runs over contiguous memory.
    static func argmax<S: SegScalar>(
        _ x: UnsafePointer<S>, shape: TensorShape, into out: UnsafeMutablePointer<Int32>
    ) throws(SegLossError) {
        let C = shape.channels, sc = shape.spatialCount
        let failures = AllocationFailures()
        Parallel.forEachChunk(shape.batch, work: shape.count) { n in
            ScratchBuffers.withBuffer(of: S.self, count: sc, failures: failures) { best in
                let img = x + n * C * sc, o = out + n * sc
                best.update(from: img, count: sc)
                for i in 0..<sc { o[i] = 0 }
                for c in 1..<max(1, C) {
                    let row = img + c * sc
                    for i in 0..<sc {
                        let v = row[i], better = v > best[i]
                        best[i] = better ? v : best[i]
                        o[i] = better ? Int32(c) : o[i]
                    }
                }
            }
        }
        try failures.check()
    }

    static func checkInput<S: SegScalar>(_ input: TensorView<S>, fromLogits: Bool) throws(SegLossError) {
        let n = input.shape.count, x = input.base
        var first: Int?, count = 0
        for i in 0..<n where fromLogits ? !x[i].isFinite : !(x[i] >= 0 && x[i] <= 1) {
            if first == nil { first = i }
            count += 1
        }
        if let i = first {
            let what = fromLogits ? "must be finite (logits)" : "must hold probabilities in [0, 1] with from_logits=False"
            throw .value("input", "\(what); got \(x[i]) at flat index \(i) (\(count) bad elements)")
        }
    }

    static func checkDenseTarget<S: SegScalar>(_ t: TensorView<S>, ignore: S?) throws(SegLossError) {
        let n = t.shape.count, g = t.base
        for i in 0..<n where !(g[i] >= 0 && g[i] <= 1) && g[i] != ignore {
            throw .value("target", "one-hot or soft labels must lie in [0, 1] (or equal ignore_index); got \(g[i]) at flat index \(i)")
        }
    }

    static func labelClasses(
        _ labels: LabelView, classes C: Int, count: Int, ignoreIndex: Double?, into out: UnsafeMutablePointer<Int32>
    ) throws(SegLossError) {
        let ig = try LabelView.ignoreLabel(ignoreIndex)
        let l = labels.base
        for i in 0..<count {
            let k = l[i]
            if let ig, k == ig {
                out[i] = Self.ignored
            } else if k >= 0 && k < Int64(C) {
                out[i] = Int32(k)
            } else {
                throw LabelView.outOfRange(k, at: i, classes: C, ignore: ig)
            }
        }
    }
}

/// The two class maps of a `MulticlassClasses`, from `malloc`: a batch whose maps do not fit
/// in memory throws `.allocation` (Python `MemoryError`) instead of trapping in Swift's
/// array allocator.
private final class ClassMaps: @unchecked Sendable {
    let count: Int
    let predicted: UnsafeMutablePointer<Int32>
    let truth: UnsafeMutablePointer<Int32>

    init(count: Int) throws(SegLossError) {
        guard let p = DistanceScratch.allocate(Int32.self, count: count) else {
            throw DistanceScratch.failure("input", count: count, of: "class index")
        }
        guard let t = DistanceScratch.allocate(Int32.self, count: count) else {
            DistanceScratch.release(p)
            throw DistanceScratch.failure("input", count: count, of: "class index")
        }
        self.count = count
        predicted = p
        truth = t
    }

    deinit {
        DistanceScratch.release(predicted)
        DistanceScratch.release(truth)
    }
}
