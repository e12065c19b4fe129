// MARK: - Multiclass targets: label maps and dense one-hot / soft targets

/// The checked form of a multiclass target: a dense (N, C, *spatial) buffer of one-hot
/// or soft labels in which every channel of an ignored voxel holds `ignoredMark` (−1).
///
/// `ignore_index` is applied before any one-hot step (LOSSES.md §4.7: one-hot of 255 with
/// C classes is the classic crash): a label map voxel is ignored when its label equals
/// `ignore_index`; a dense voxel when any of its channels equals it. Every other label
/// must lie in [0, C), every other dense value in [0, 1]; the error names the first bad one.
public struct MulticlassTargets<S: SegScalar> {
    /// The value written to every channel of an ignored voxel (never a valid target).
    public static var ignoredMark: S { -1 }

    /// Dense targets, input shape.
    public let dense: [S]
    /// Number of ignored voxels (0: the inner loss needs no ignore_index).
    public let ignoredVoxels: Int

    /// Builds the dense form of `target` for an input of shape `shape`.
    public init(_ target: LossTarget<S>, shape: TensorShape, ignoreIndex: Double?) throws(SegLossError) {
        let C = shape.channels, sc = shape.spatialCount
        var out = [S](repeating: 0, count: shape.count)
        var ignored = 0
        switch target {
        case .labels(let labels):
            let ig = try LabelView.ignoreLabel(ignoreIndex)
            var badAt: Int?
            out.withUnsafeMutableBufferPointer { ob in
                let o = ob.baseAddress!
                for n in 0..<shape.batch {
                    let l = labels.image(n), img = o + n * C * sc
                    for i in 0..<sc {
                        let k = l[i]
                        if let ig, k == ig {
                            for c in 0..<C { img[c * sc + i] = Self.ignoredMark }
                            ignored += 1
                        } else if k >= 0 && k < Int64(C) {
                            img[Int(k) * sc + i] = 1
                        } else if badAt == nil {
                            badAt = n * sc + i
                        }
                    }
                }
            }
            if let i = badAt { throw LabelView.outOfRange(labels.base[i], at: i, classes: C, ignore: ig) }
        case .dense(let t):
            guard t.shape == shape else {
                throw .shape("target", "must have the input's shape \(shape) (one-hot or soft) or be an integer label map \(TensorShape.format([shape.batch] + Array(shape.spatial))), got \(t.shape)")
            }
            let ig: S? = ignoreIndex.map { S($0) }
            var badAt: Int?
            out.withUnsafeMutableBufferPointer { ob in
                let o = ob.baseAddress!
                for n in 0..<shape.batch {
                    let img = o + n * C * sc, src = t.base + n * C * sc
                    for i in 0..<sc {
                        var skip = false
                        if let ig { for c in 0..<C where src[c * sc + i] == ig { skip = true } }
                        if skip {
                            for c in 0..<C { img[c * sc + i] = Self.ignoredMark }
                            ignored += 1
                            continue
                        }
                        for c in 0..<C {
                            let g = src[c * sc + i]
                            if !(g >= 0 && g <= 1) && badAt == nil { badAt = n * C * sc + c * sc + i }
                            img[c * sc + i] = g
                        }
                    }
                }
            }
            if let i = badAt {
                let g = t.base[i]
                let hint = g.isNaN ? "" : ignoreIndex.map { " (ignore_index is \($0))" } ?? "; if this value marks pixels to ignore, pass ignore_index=\(g)"
                throw .value("target", "values must lie in [0, 1]; got \(g) at flat index \(i)\(hint)")
            }
        }
        dense = out
        ignoredVoxels = ignored
    }
}
