// MARK: - Region kernel with the soft-label intersection

/// TP = Σ min(p, g) and P = Σ p (`RegionOptions.softLabel`, MONAI `soft_label`), with
/// ∂TP/∂p_i = 1 where p_i < g_i, ½ at ties, 0 where p_i > g_i (a subgradient, LOSSES.md
/// §6.1): the gradient a_r·∂TP/∂p_i + b_r replaces a_r·g_i + b_r. Linear sums only.
enum SoftLabelTerms: ElementTerms {
    @inline(__always)
    static func terms<S: SegScalar>(_ p: S, _ g: S) -> (first: S, second: S) { (p < g ? p : g, p) }

    @inline(__always)
    static func derivative<S: SegScalar>(_ p: S, _ g: S, _ a: S, _ b: S) -> S {
        let indicator: S = p < g ? 1 : (p == g ? 0.5 : 0)
        return a * indicator + b
    }
}

extension RegionStatsKernel {
    /// Pass 1 with the soft-label intersection: (Σ min(p, g), Σ p, Σ g, valid) per row.
    static func forwardSoftLabel<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>
    ) -> (stats: [RegionStats], scan: InputScan) {
        let (sums, scan) = ElementTermsKernel.forward(
            input: input, target: target, fromLogits: config.fromLogits, ignore: config.ignore, SoftLabelTerms.self)
        let stats = sums.map {
            RegionStats(intersection: $0.first, prediction: $0.second, target: $0.target, valid: $0.valid)
        }
        return (stats, scan)
    }

    /// Pass 2 with the soft-label intersection (see `SoftLabelTerms`).
    static func backwardSoftLabel<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, config: Config<S>,
        a: [Double], b: [Double], gradient: UnsafeMutablePointer<S>, accumulate: Bool
    ) {
        ElementTermsKernel.backward(
            input: input, target: target, fromLogits: config.fromLogits, ignore: config.ignore, SoftLabelTerms.self,
            a: a, b: b, gradient: gradient, accumulate: accumulate)
    }
}
