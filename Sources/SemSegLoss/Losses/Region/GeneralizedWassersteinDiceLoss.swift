// MARK: - Generalized Wasserstein Dice loss (Fidon et al. 2017)

/// How the generalized Wasserstein Dice weighs the classes (MONAI `weighting_mode`).
public enum WassersteinWeighting: Int32, Sendable, CaseIterable {
    /// α_l = 0 for the background (class 0), 1 for the others; the denominator adds the
    /// unweighted total error (the paper's form, MONAI's default).
    case standard = 0
    /// α_l = 1/(V_l + 1), V_l the class volume of the entry, also in the denominator (MONAI "GDL").
    case gdl = 1

    public var name: String { self == .standard ? "default" : "GDL" }
}

/// Generalized Wasserstein Dice loss (Fidon et al., "Generalised Wasserstein Dice score for
/// imbalanced multi-class segmentation using holistic convolutional networks", BrainLes
/// 2017; MONAI `GeneralizedWassersteinDiceLoss`; LOSSES.md §2 row 20), multiclass only. With
/// M the C×C distance matrix between classes (scaled so that its largest entry is 1, as
/// MONAI; default 1 − I, every pair of classes at distance 1), per entry (image, or the
/// batch with `batch`):
///
///     W_i = Σ_l g_il Σ_c M[l, c]·p_ic     (the Wasserstein distance of voxel i; one-hot g: M[g_i, ·]·p_i)
///     α_i = Σ_l g_il α_l,   TP = Σ_i α_i (1 − W_i)
///     standard: D = 2TP + Σ_i W_i,   GDL: D = Σ_i α_i (2 − W_i)
///     L = 1 − (2TP + s_n)/(D + s_d)
///
/// Gradient (N = 2TP + s_n, D′ = D + s_d), chained to p by ∂W_i/∂p_ic = Σ_l g_il M[l, c] and
/// through the softmax (from logits in blocks, `evaluateSoftmax`; probabilities input
/// through `MulticlassAdapter`):
///
///     standard: ∂L/∂W_i = (2α_i D′ + N(1 − 2α_i))/D′²,   GDL: ∂L/∂W_i = α_i (2D′ − N)/D′²
///
/// Soft targets use the expectation over g (one-hot targets give MONAI's values). Ignored
/// voxels leave every sum (and the GDL volumes); an entry without valid voxels, or with
/// D′ = 0, has loss 0 and leaves the mean. `include_background` must stay true (the
/// background's weight is set by α and M). `reduction = none` gives one value per entry.
public struct GeneralizedWassersteinDiceLoss: Sendable {
    /// Row-major C×C distances as given (scaled at evaluation); nil for 1 − I.
    public var distances: [Double]?
    public var weighting: WassersteinWeighting
    public var smoothNumerator: Double
    public var smoothDenominator: Double
    public var batch: Bool

    public init(distances: [Double]? = nil, weighting: WassersteinWeighting = .standard,
                smoothNumerator: Double = 1e-5, smoothDenominator: Double = 1e-5, batch: Bool = false) {
        self.distances = distances
        self.weighting = weighting
        self.smoothNumerator = smoothNumerator
        self.smoothDenominator = smoothDenominator
        self.batch = batch
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        guard options.reduction == .none else { return [] }
        return [batch ? 1 : input.batch]
    }

    /// M scaled to a largest entry of 1, checked against the class count.
    func matrix(classes: Int) throws(SegLossError) -> [Double] {
        guard let d = distances else {
            return (0..<(classes * classes)).map { $0 / classes == $0 % classes ? 0 : 1 }
        }
        guard d.count == classes * classes else {
            throw .shape("dist_matrix", "must be \(classes) x \(classes) (one row and column per class), got \(d.count) entries")
        }
        for (k, v) in d.enumerated() where !(v.isFinite && v >= 0) {
            throw .value("dist_matrix", "entries must be finite and >= 0, got \(v) at row \(k / classes), column \(k % classes)")
        }
        let top = d.max() ?? 0
        guard top > 0 else { throw .value("dist_matrix", "must have a positive entry (all distances are 0)") }
        return d.map { $0 / top }
    }

    /// The mode, `include_background` and the smoothing (the distance matrix needs the
    /// class count: `matrix(classes:)`).
    public func validate(_ options: LossOptions) throws(SegLossError) {
        guard options.mode == .multiclass else {
            throw .option("mode", "generalized_wasserstein_dice_loss compares exclusive classes (softmax); use mode='multiclass'")
        }
        guard options.includeBackground else {
            throw .option("include_background", "must be True for generalized_wasserstein_dice_loss: the background's part is set by the class weights (0 in the default weighting) and the distance matrix")
        }
        for (x, name) in [(smoothNumerator, "smooth_nr"), (smoothDenominator, "smooth_dr")] {
            try SegLossError.requireAtLeast(x, 0, name)
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate(options)
        let m = try matrix(classes: input.shape.channels)
        if options.fromLogits {
            return try evaluateSoftmax(input: input, target: target, matrix: m, options: options, outputs: outputs)
        }
        return try MulticlassAdapter.evaluate(input: input, target: target, options: options, outputs: outputs) {
            (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
            try evaluateDense(p: p, g: g, matrix: m, options: inner, outputs: out)
        }
    }

    /// The loss on probabilities p and dense targets g (probabilities input inside
    /// `MulticlassAdapter`, and the reference of the fused path's tests; ignored voxels marked with
    /// `options.ignoreIndex` in every channel); gradient w.r.t. p. Per image, with planar
    /// (vectorised) loops: v_i (1 valid, 0 ignored), Mg_ci = Σ_l M[l, c]·g_li (so that
    /// W_i = Σ_c Mg_ci·p_ci and ∂W_i/∂p_ci = Mg_ci), α_i; the per-voxel terms are staged and
    /// summed in fixed blocks (`BlockSums`), so the result does not depend on the threads.
    func evaluateDense<S: SegScalar>(
        p: TensorView<S>, g: TensorView<S>, matrix m: [Double], options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let shape = p.shape, C = shape.channels, n = shape.spatialCount, images = shape.batch
        // Probabilities given by the caller (from_logits = false) must lie in [0, 1].
        for k in 0..<shape.count where !(p.base[k] >= 0 && p.base[k] <= 1) {
            throw .value("input", "must hold probabilities in [0, 1] with from_logits=False; got \(p.base[k]) at flat index \(k)")
        }
        let entries = batch ? 1 : images
        let mark = options.ignoreIndex.map { S($0) } ?? S.nan  // v != NaN always holds
        // Scratch: v (n), Mg (C·n) and α_i (n) of every image.
        let stride = (C + 2) * n
        var scratch = [S](repeating: 0, count: images * stride)
        // Pass 1, per image: v, and the class volumes Σ_i g_li·v_i.
        var volumes = [Double](repeating: 0, count: images * C), valid = [Double](repeating: 0, count: images)
        scratch.withUnsafeMutableBufferPointer { sb in
            volumes.withUnsafeMutableBufferPointer { vb in
                valid.withUnsafeMutableBufferPointer { cb in
                    let base = sb.baseAddress!, volumes = vb.baseAddress!, valid = cb.baseAddress!
                    Parallel.forEachChunk(images, work: shape.count * 2) { b in
                        let v = base + b * stride, gb = g.base + b * C * n
                        for i in 0..<n { v[i] = gb[i] != mark ? 1 : 0 }
                        valid[b] = Self.blockSum(UnsafePointer(v), n)
                        let t = v + n  // staging (Mg is filled in pass 2)
                        for l in 0..<C {
                            let gl = gb + l * n
                            for i in 0..<n { t[i] = v[i] * gl[i] }
                            volumes[b * C + l] = Self.blockSum(UnsafePointer(t), n)
                        }
                    }
                }
            }
        }
        // Class weights per entry.
        var alpha = [[Double]](repeating: [Double](repeating: 0, count: C), count: entries)
        for e in 0..<entries {
            if weighting == .standard {
                alpha[e] = (0..<C).map { $0 == 0 ? 0 : 1 }
            } else {
                let images = batch ? Array(0..<shape.batch) : [e]
                alpha[e] = (0..<C).map { l in 1 / (images.reduce(0) { $0 + volumes[$1 * C + l] } + 1) }
            }
        }
        // Pass 2, per image: Mg, α_i, W_i and the sums TP, Σ W, Σ α(2 − W).
        var sums = [Double](repeating: 0, count: images * 3)
        scratch.withUnsafeMutableBufferPointer { sb in
            sums.withUnsafeMutableBufferPointer { ub in
                let base = sb.baseAddress!, sums = ub.baseAddress!
                Parallel.forEachChunk(images, work: shape.count * (2 * C + 4)) { b in
                    let e = batch ? 0 : b
                    let v = base + b * stride, mg = v + n, a = mg + C * n
                    let gb = g.base + b * C * n, pb = p.base + b * C * n
                    let w = UnsafeMutablePointer<S>.allocate(capacity: 2 * n)
                    defer { w.deallocate() }
                    let t = w + n
                    for i in 0..<n { a[i] = 0 }
                    for c in 0..<C { for i in 0..<n { mg[c * n + i] = 0 } }
                    for l in 0..<C {
                        let gl = gb + l * n, al = S(alpha[e][l])
                        for i in 0..<n { a[i] += al * v[i] * gl[i] }
                        for c in 0..<C {
                            let mlc = S(m[l * C + c])
                            guard mlc != 0 else { continue }
                            let out = mg + c * n
                            for i in 0..<n { out[i] += mlc * v[i] * gl[i] }
                        }
                    }
                    for i in 0..<n { w[i] = 0 }
                    for c in 0..<C {
                        let pc = pb + c * n, mc = mg + c * n
                        for i in 0..<n { w[i] += mc[i] * pc[i] }
                    }
                    for i in 0..<n { t[i] = a[i] * (1 - w[i]) }
                    sums[b * 3] = Self.blockSum(UnsafePointer(t), n)
                    sums[b * 3 + 1] = Self.blockSum(UnsafePointer(w), n)  // W_i = 0 where ignored (Mg = 0)
                    for i in 0..<n { t[i] = a[i] * (2 - w[i]) }
                    sums[b * 3 + 2] = Self.blockSum(UnsafePointer(t), n)
                }
            }
        }
        var tp = [Double](repeating: 0, count: entries), error = tp, weighted = tp, counts = tp
        for b in 0..<images {
            let e = batch ? 0 : b
            tp[e] += sums[b * 3]
            error[e] += sums[b * 3 + 1]
            weighted[e] += sums[b * 3 + 2]
            counts[e] += valid[b]
        }
        let (losses, included, coefficients) = entryTerms(tp: tp, error: error, weighted: weighted, valid: counts)
        let (value, weights) = try RegionReduction.reduce(losses: losses, included: included, options: options, outputs: outputs)
        guard let gradient = outputs.gradient else { return value }
        // ∂L/∂p_ci = w_e·(k0 + k1·α_i)·Mg_ci: standard k0 = N/D², k1 = 2(D − N)/D²; GDL
        // k0 = 0, k1 = (2D − N)/D² (α_i and Mg are 0 at ignored voxels, so is the gradient).
        scratch.withUnsafeMutableBufferPointer { sb in
            let base = sb.baseAddress!
            Parallel.forEachChunk(images, work: shape.count * 3) { b in
                let e = batch ? 0 : b
                let out = gradient + b * C * n
                guard included[e], weights[e] != 0 else {
                    out.update(repeating: 0, count: C * n)
                    return
                }
                let k0 = S(weights[e] * coefficients[e].k0), k1 = S(weights[e] * coefficients[e].k1)
                let mg = base + b * stride + n, a = mg + C * n
                for c in 0..<C {
                    let mc = mg + c * n, oc = out + c * n
                    for i in 0..<n { oc[i] = (k0 + k1 * a[i]) * mc[i] }
                }
            }
        }
        return value
    }

    /// Each entry's loss 1 − N/D′ from TP, Σ W, Σ α(2 − W) and its valid count (N = 2TP + s_n;
    /// D′ = 2TP + Σ W + s_d, or Σ α(2 − W) + s_d with GDL weights), whether it is included
    /// (a valid voxel and D′ > 0), and the unweighted k0, k1 of ∂L/∂W_i = k0 + k1·α_i:
    /// standard k0 = N/D′², k1 = 2(D′ − N)/D′²; GDL k0 = 0, k1 = (2D′ − N)/D′².
    func entryTerms(tp: [Double], error: [Double], weighted: [Double], valid: [Double])
        -> (losses: [Double], included: [Bool], coefficients: [(k0: Double, k1: Double)])
    {
        var losses = [Double](repeating: 0, count: tp.count), included = [Bool](repeating: false, count: tp.count)
        var coefficients = [(k0: Double, k1: Double)](repeating: (0, 0), count: tp.count)
        for e in tp.indices where valid[e] > 0 {
            let num = 2 * tp[e] + smoothNumerator
            let den = (weighting == .standard ? 2 * tp[e] + error[e] : weighted[e]) + smoothDenominator
            guard den > 0 else { continue }
            losses[e] = 1 - num / den
            included[e] = true
            coefficients[e] = weighting == .standard
                ? (num / (den * den), 2 * (den - num) / (den * den))
                : (0, (2 * den - num) / (den * den))
        }
        return (losses, included, coefficients)
    }

    /// Σ of `count` values in fixed blocks of `Blocks.size`, in Double.
    private static func blockSum<S: SegScalar>(_ a: UnsafePointer<S>, _ count: Int) -> Double {
        var total = 0.0, b = 0
        while b < count {
            let k = min(Blocks.size, count - b)
            total += BlockSums.sum(a + b, k)
            b += k
        }
        return total
    }
}
