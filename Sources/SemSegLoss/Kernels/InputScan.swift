// MARK: - Validation gathered during the first pass

/// Invalid elements seen while a kernel streamed over input and target.
///
/// Kernels count problems for (almost) free during their first pass (`ElementChecks`);
/// when anything is wrong, the rare error path re-scans to name the first offending value.
@usableFromInline
struct InputScan: Sendable {
    /// Input elements that are NaN/±inf (logits) or outside [0, 1] (probabilities).
    @usableFromInline var badInput: Double = 0
    /// Non-ignored target elements outside [0, 1] (or NaN).
    @usableFromInline var badTarget: Double = 0

    @inlinable init() {}

    @inlinable mutating func merge(_ o: InputScan) {
        badInput += o.badInput
        badTarget += o.badTarget
    }

    /// Throws a message naming the first bad element, if any was counted.
    func check<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, fromLogits: Bool, ignoreIndex: S?
    ) throws(SegLossError) {
        if badInput > 0 {
            let n = input.shape.count
            func isBad(_ x: S) -> Bool { fromLogits ? !x.isFinite : !(x >= 0 && x <= 1) }
            var first: Int?, count = 0
            for i in 0..<n where isBad(input.base[i]) {
                if first == nil { first = i }
                count += 1
            }
            if let i = first {
                let x = input.base[i]
                let what = fromLogits
                    ? "must be finite (logits)"
                    : "must hold probabilities in [0, 1] with from_logits=False"
                throw .value("input", "\(what); got \(x) at flat index \(i) (\(count) bad elements)")
            }
        }
        if badTarget > 0 {
            let n = target.shape.count
            func isBad(_ g: S) -> Bool {
                if let ignoreIndex, g == ignoreIndex { return false }
                return !(g >= 0 && g <= 1)
            }
            var first: Int?, count = 0
            for i in 0..<n where isBad(target.base[i]) {
                if first == nil { first = i }
                count += 1
            }
            if let i = first {
                let g = target.base[i]
                let hint = g.isNaN ? "" : ignoreIndex.map { " (ignore_index is \($0))" }
                    ?? "; if this value marks pixels to ignore, pass ignore_index=\(g)"
                throw .value("target", "values must lie in [0, 1]; got \(g) at flat index \(i) (\(count) bad elements)\(hint)")
            }
        }
    }
}
