// MARK: - Confusion counts of a multiclass batch

extension ConfusionKernel {
    /// One-vs-rest counts per (image, class) — or per class over the batch with `pooled` —
    /// from the class maps of a multiclass batch: for class c,
    ///
    ///     TP = #(pred = c ∧ truth = c)    FP = #(pred = c ∧ truth ≠ c)
    ///     FN = #(pred ≠ c ∧ truth = c)    TN = the other valid voxels,
    ///
    /// as smp's `get_stats(mode="multiclass")` and MONAI's metrics on one-hot argmax
    /// predictions. Ignored voxels leave every count. Entries of classes `firstClass`..<C,
    /// (N, C′) row-major or (C′).
    static func counts(_ m: MulticlassClasses, firstClass c0: Int, pooled: Bool) -> [ConfusionCounts] {
        let C = m.classes, sc = m.spatialCount
        // Per image: matches, predicted and true voxels of each class, and valid voxels.
        var tallies = [Int64](repeating: 0, count: m.batch * (3 * C + 1))
        withExtendedLifetime(m) {
            tallies.withUnsafeMutableBufferPointer { ob in
                let p = m.predicted.baseAddress!, t = m.truth.baseAddress!, o = ob.baseAddress!
                Parallel.forEachChunk(m.batch, work: m.batch * sc * 4) { n in
                    let match = o + n * (3 * C + 1), pred = match + C, truth = pred + C
                    var valid: Int64 = 0
                    for i in (n * sc)..<((n + 1) * sc) {
                        let k = Int(t[i])
                        guard k >= 0 else { continue }
                        let q = Int(p[i])
                        valid += 1
                        pred[q] += 1
                        truth[k] += 1
                        if q == k { match[k] += 1 }
                    }
                    truth[C] = valid
                }
            }
        }
        let kept = C - c0
        var entries = [ConfusionCounts](repeating: ConfusionCounts(), count: pooled ? kept : m.batch * kept)
        for n in 0..<m.batch {
            let row = n * (3 * C + 1), valid = tallies[row + 3 * C]
            for c in c0..<C {
                let tp = tallies[row + c], predicted = tallies[row + C + c], actual = tallies[row + 2 * C + c]
                let counts = ConfusionCounts(
                    truePositive: tp, falsePositive: predicted - tp, falseNegative: actual - tp,
                    trueNegative: valid - predicted - actual + tp)
                let e = pooled ? c - c0 : n * kept + (c - c0)
                entries[e] = entries[e] + counts
            }
        }
        return entries
    }
}
