// MARK: - Generalized Wasserstein Dice from logits, fused with the softmax

extension GeneralizedWassersteinDiceLoss {
    /// The loss from logits without materialising the softmax probabilities, the dense
    /// targets or ∂L/∂p (as `SoftmaxRegionEvaluator` does for the region objectives): the
    /// same value and gradient as `MulticlassAdapter` around `evaluateDense`, in two sweeps
    /// over blocks of voxels of one image (`SoftmaxKernel.blockSize`), each block's p and
    /// targets in a block-sized scratch.
    ///
    /// W_i and α_i are linear in g_i, so an image's sums split by class l (v_i = 0 at
    /// ignored voxels, 1 elsewhere):
    ///
    ///     V_l = Σ_i v_i g_il,   T_l = Σ_i v_i g_il (1 − W_i),   E = Σ_i v_i W_i,
    ///     TP = Σ_l α_l T_l,   standard: D = 2TP + E,   GDL: D = Σ_l α_l (V_l + T_l),
    ///
    /// and the class weights α_l (GDL: 1/(V_l + 1), V_l over the entry) are needed only
    /// after pass 1. Pass 2 computes p again and writes the softmax chain rule (LOSSES.md
    /// §6.12) ∂L/∂z_c = p_c (d_c − Σ_k p_k d_k) with d_c = w_e (k0 + k1 α_i) Mg_ic,
    /// Mg_ic = Σ_l M[l, c] g_il (k0, k1 from `entryTerms`). Blocks are added in a
    /// fixed order, so the result does not depend on the threads.
    func evaluateSoftmax<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, matrix m: [Double], options: LossOptions,
        outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let shape = input.shape, C = shape.channels, images = shape.batch
        let (targets, inner) = try MulticlassAdapter.prepare(shape: shape, target: target, options: options)
        let (sums, bad) = wassersteinSums(input: input, targets: targets, matrix: m)
        if bad > 0 { try MulticlassAdapter.firstNonFinite(input) }

        // Entries: every image, or the batch pooled.
        let entries = batch ? 1 : images
        var pooled = [ClassSums](repeating: ClassSums(classes: C), count: entries)
        for n in 0..<images { pooled[batch ? 0 : n].add(sums[n]) }
        let alpha = pooled.map { s in
            (0..<C).map { l in weighting == .standard ? (l == 0 ? 0 : 1) : 1 / (s.volume[l] + 1) }
        }
        let tp = (0..<entries).map { e in (0..<C).reduce(0.0) { $0 + alpha[e][$1] * pooled[e].overlap[$1] } }
        let weighted = (0..<entries).map { e in
            (0..<C).reduce(0.0) { $0 + alpha[e][$1] * (pooled[e].volume[$1] + pooled[e].overlap[$1]) }
        }
        let (losses, included, terms) = entryTerms(
            tp: tp, error: pooled.map(\.error), weighted: weighted, valid: pooled.map(\.valid))
        let (value, weights) = try RegionReduction.reduce(losses: losses, included: included, options: inner, outputs: outputs)
        guard let gradient = outputs.gradient else { return value }

        // Per image: k0, then k1·α_l for every class l (∂L/∂W_i = k0 + Σ_l k1 α_l g_il).
        var coefficients = [Double](repeating: 0, count: images * (C + 1))
        for n in 0..<images {
            let e = batch ? 0 : n
            guard included[e], weights[e] != 0 else { continue }
            coefficients[n * (C + 1)] = weights[e] * terms[e].k0
            for l in 0..<C { coefficients[n * (C + 1) + 1 + l] = weights[e] * terms[e].k1 * alpha[e][l] }
        }
        wassersteinGradient(input: input, targets: targets, matrix: m, coefficients: coefficients, gradient: gradient)
        return value
    }

    /// An image's (or entry's) sums of the fused path: V_l, T_l, E and the valid count.
    struct ClassSums {
        var volume: [Double]
        var overlap: [Double]
        var error = 0.0
        var valid = 0.0

        init(classes: Int) {
            volume = [Double](repeating: 0, count: classes)
            overlap = volume
        }

        mutating func add(_ other: ClassSums) {
            for l in volume.indices {
                volume[l] += other.volume[l]
                overlap[l] += other.overlap[l]
            }
            error += other.error
            valid += other.valid
        }
    }

    /// The targets of a block with ignored voxels zeroed (`masked`: copied into `out`),
    /// else as given; returns the base and channel stride.
    private static func validTargets<S: SegScalar>(
        _ g0: UnsafePointer<S>, _ gs: Int, m: Int, classes C: Int, masked: Bool, out: UnsafeMutablePointer<S>
    ) -> (UnsafePointer<S>, Int) {
        guard masked else { return (g0, gs) }
        let mark = MulticlassTargets<S>.ignoredMark
        for l in 0..<C {
            let gl = g0 + l * gs, ol = out + l * m
            for i in 0..<m { let v = gl[i]; ol[i] = g0[i] != mark ? v : 0 }
        }
        return (UnsafePointer(out), m)
    }

    /// Pass 1: each image's `ClassSums` (blocks added in order) and the number of
    /// non-finite logits.
    private func wassersteinSums<S: SegScalar>(
        input: TensorView<S>, targets: MulticlassTargets<S>, matrix M: [Double]
    ) -> (sums: [ClassSums], bad: Int) {
        let shape = input.shape, C = shape.channels
        let masked = targets.ignoredVoxels > 0
        let (blocks, perImage) = SoftmaxKernel.mapBlocks(shape, empty: (sums: ClassSums(classes: 0), bad: 0)) { n, lo, hi in
            let m = hi - lo
            // p, the targets, the valid targets (C·m each); Σ_c M[l, c] p_c, W and 1 − W.
            let scratch = UnsafeMutablePointer<S>.allocate(capacity: (3 * C + 3) * m)
            defer { scratch.deallocate() }
            let p = scratch, mp = scratch + 3 * C * m, w = mp + m, t = w + m
            let bad = SoftmaxKernel.block(input.base, shape, n, lo, hi, p: p, logp: nil, stride: m)
            let (g0, gs) = targets.block(n, lo, hi, scratch: scratch + C * m)
            let (g, stride) = Self.validTargets(g0, gs, m: m, classes: C, masked: masked, out: scratch + 2 * C * m)
            // W_i = Σ_l g_il Σ_c M[l, c] p_ic (0 where ignored: g = 0 there).
            w.update(repeating: 0, count: m)
            for l in 0..<C {
                mp.update(repeating: 0, count: m)
                for c in 0..<C where M[l * C + c] != 0 {
                    let mlc = S(M[l * C + c]), pc = p + c * m
                    for i in 0..<m { mp[i] += mlc * pc[i] }
                }
                let gl = g + l * stride
                for i in 0..<m { w[i] += gl[i] * mp[i] }
            }
            for i in 0..<m { t[i] = 1 - w[i] }
            var sums = ClassSums(classes: C)
            for l in 0..<C {
                let s = BlockSums.region(UnsafePointer(t), g + l * stride, m, squared: false)
                sums.overlap[l] = s.intersection
                sums.volume[l] = s.target
            }
            sums.error = BlockSums.sum(UnsafePointer(w), m)
            var ignored: Int32 = 0
            if masked {
                for i in 0..<m { ignored &+= ElementChecks.bit(g0[i] == MulticlassTargets<S>.ignoredMark) }
            }
            sums.valid = Double(m - Int(ignored))
            return (sums, bad)
        }
        var sums = [ClassSums](repeating: ClassSums(classes: C), count: shape.batch)
        for (u, block) in blocks.enumerated() { sums[u / perImage].add(block.sums) }
        return (sums, blocks.reduce(0) { $0 + $1.bad })
    }

    /// Pass 2: writes ∂L/∂z. Image n has C + 1 `coefficients` k0, k1·α_0, …, k1·α_(C−1)
    /// (all 0 for an image outside the loss: its gradient is 0), and ∂L/∂W_i =
    /// k0 + Σ_l k1 α_l g_il (k0 + k1 α_i, as `evaluateDense`, also for soft targets).
    private func wassersteinGradient<S: SegScalar>(
        input: TensorView<S>, targets: MulticlassTargets<S>, matrix M: [Double], coefficients: [Double],
        gradient: UnsafeMutablePointer<S>
    ) {
        let shape = input.shape, C = shape.channels, sp = shape.spatialCount
        let masked = targets.ignoredVoxels > 0
        _ = SoftmaxKernel.forEachBlock(shape) { n, lo, hi in
            let m = hi - lo
            let kn = Array(coefficients[(n * (C + 1))..<((n + 1) * (C + 1))])
            guard kn.contains(where: { $0 != 0 }) else {
                for c in 0..<C { (gradient + (n * C + c) * sp + lo).update(repeating: 0, count: m) }
                return 0
            }
            // p, the targets, the valid targets, d (C·m each); ∂L/∂W_i and Σ_k p_k d_k.
            let scratch = UnsafeMutablePointer<S>.allocate(capacity: (4 * C + 2) * m)
            defer { scratch.deallocate() }
            let p = scratch, d = scratch + 3 * C * m, k = d + C * m, dot = k + m
            _ = SoftmaxKernel.block(input.base, shape, n, lo, hi, p: p, logp: nil, stride: m)
            let (g0, gs) = targets.block(n, lo, hi, scratch: scratch + C * m)
            let (g, stride) = Self.validTargets(g0, gs, m: m, classes: C, masked: masked, out: scratch + 2 * C * m)
            // ∂L/∂W_i = k0 + Σ_l k1 α_l g_il (Mg = 0 where ignored); d_c = ∂L/∂W_i · Mg_ic.
            k.update(repeating: S(kn[0]), count: m)
            for l in 0..<C {
                let kl = S(kn[1 + l]), gl = g + l * stride
                for i in 0..<m { k[i] += kl * gl[i] }
            }
            dot.update(repeating: 0, count: m)
            for c in 0..<C {
                let dc = d + c * m, pc = p + c * m
                dc.update(repeating: 0, count: m)
                for l in 0..<C where M[l * C + c] != 0 {
                    let mlc = S(M[l * C + c]), gl = g + l * stride
                    for i in 0..<m { dc[i] += mlc * gl[i] }
                }
                for i in 0..<m {
                    dc[i] *= k[i]
                    dot[i] += pc[i] * dc[i]
                }
            }
            for c in 0..<C {
                let pc = p + c * m, dc = d + c * m, gr = gradient + (n * C + c) * sp + lo
                for i in 0..<m { gr[i] = pc[i] * (dc[i] - dot[i]) }
            }
            return 0
        }
    }
}
