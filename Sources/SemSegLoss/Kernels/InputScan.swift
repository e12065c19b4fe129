// MARK: - Validation gathered during the first pass

/// Counts of invalid elements found while a kernel streams over input and target.
///
/// Kernels accumulate these for free during their first pass; when anything is wrong
/// the (rare) error path re-scans to name the first offending value.
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
            for i in 0..<n {
                let x = input.base[i]
                let bad = fromLogits ? !x.isFinite : !(x >= 0 && x <= 1)
                if bad {
                    let what = fromLogits
                        ? "must be finite (logits)"
                        : "must hold probabilities in [0, 1] with from_logits=False"
                    throw .value("input", "\(what); got \(x) at flat index \(i) (\(Int(badInput)) bad elements)")
                }
            }
        }
        if badTarget > 0 {
            let n = target.shape.count
            for i in 0..<n {
                let g = target.base[i]
                if let ignoreIndex, g == ignoreIndex { continue }
                if !(g >= 0 && g <= 1) {
                    let hint = ignoreIndex.map { " (ignore_index is \($0))" }
                        ?? "; if this value marks pixels to ignore, pass ignore_index=\(g)"
                    throw .value("target", "values must lie in [0, 1]; got \(g) at flat index \(i) (\(Int(badTarget)) bad elements)\(hint)")
                }
            }
        }
    }

    /// Counts bad lanes of one 8-lane block (`inside` masks off padding lanes).
    @inlinable @inline(__always)
    static func badLanes<S: SegScalar>(
        x: SIMD8<S>, g: SIMD8<S>, valid: SIMDMask<SIMD8<S>.MaskStorage>,
        inside: SIMDMask<SIMD8<S>.MaskStorage>, fromLogits: Bool
    ) -> (input: SIMD8<S>, target: SIMD8<S>) {
        let inputOK: SIMDMask<SIMD8<S>.MaskStorage>
        if fromLogits {
            inputOK = (x - x) .== 0          // false for NaN and ±inf
        } else {
            inputOK = (x .>= 0) .& (x .<= 1)  // false for NaN too
        }
        let targetOK = (g .>= 0) .& (g .<= 1)
        let badIn = VectorIO.indicator(inside .& .!inputOK) as SIMD8<S>
        let badT = VectorIO.indicator(valid .& .!targetOK) as SIMD8<S>
        return (badIn, badT)
    }
}
