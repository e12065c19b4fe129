import RealModule

// MARK: - Multi-scale SSIM of one plane

/// 1 − MS-SSIM of one (image, channel) plane (Wang, Simoncelli & Bovik, "Multiscale
/// structural similarity for image quality assessment", Asilomar 2003; the loss of the
/// UNet 3+ hybrid, Huang et al., ICASSP 2020):
///
///     MS = Π_{j=1..M} max(v_j, 0)^{w_j},   L = 1 − MS,
///     v_j = mean over the valid positions of cs_j = (2σ_pg + c₂)/(σ_p + σ_g + c₂)   (j < M),
///     v_M = mean of the SSIM map S at the last scale (`SSIMEvaluator`),
///
/// scale 1 being the plane and scale j + 1 the 2× average pooling of scale j along every
/// spatial axis (kernel 2, stride 2, a trailing odd row dropped: ⌊n/2⌋), for p and g alike,
/// as MONAI's `MultiScaleSSIMMetric` (`avg_pool(kernel_size=2)`) and pytorch-msssim (which
/// also clamps the means at 0). The window (Gaussian, 'valid') is the same at every scale.
///
/// Gradient. With σ_p = E_pp − μ_p², σ_pg = E_pg − μ_p μ_g, B = 2σ_pg + c₂,
/// D = σ_p + σ_g + c₂, cs = B/D:
///
///     ∂cs/∂μ_p = 2(μ_p·cs − μ_g)/D,   ∂cs/∂E_pp = −cs/D,   ∂cs/∂E_pg = 2/D,
///
/// turned into ∂v_j/∂p_j by the window's adjoint as for SSIM; then ∂L/∂v_j = −w_j·MS/v_j, and
/// the scales are chained coarse to fine through the pooling's adjoint (each coarse voxel
/// hands 1/2^d of its gradient to each of its 2^d children). Where some v_j ≤ 0, MS = 0 and
/// the gradient is 0 (pytorch-msssim's clamp).
enum MultiScaleSSIM {
    /// Spatial dims of every scale (scale 0 = the plane).
    static func pyramid(_ spatial: [Int], scales: Int) -> [[Int]] {
        var dims = [spatial]
        for _ in 1..<max(scales, 1) { dims.append(dims[dims.count - 1].map { $0 / 2 }) }
        return dims
    }

    /// 1 − MS-SSIM of one plane; writes `weight`·∂L/∂x into `gradient` when given.
    static func plane<S: SegScalar>(
        _ windows: [SeparableWindow<S>], scaleWeights: [Double], x: UnsafePointer<S>, g: UnsafePointer<S>,
        gradient: UnsafeMutablePointer<S>?, fromLogits: Bool, c1: Double, c2: Double, weight: Double
    ) throws(SegLossError) -> (Double, InputScan) {
        let counts = windows.map(\.count)
        let levels = counts.reduce(0, +), n0 = counts[0]
        // p and g pyramids, the per-scale gradients, and 7 planes of the finest size for the
        // statistics (μp, μg, Epp, Egg, Epg, a product field, filter work).
        return try ScratchBuffers.withBuffer(of: S.self, count: 3 * levels + 7 * n0) { buffer in
            var offsets = [0]
            for c in counts.dropLast() { offsets.append(offsets[offsets.count - 1] + c) }
            let p = buffer, gp = buffer + levels, dv = buffer + 2 * levels
            let stats = (0..<7).map { buffer + 3 * levels + $0 * n0 }

            var badInput: Int32 = 0, badTarget: Int32 = 0
            for i in 0..<n0 {
                badInput &+= ElementChecks.badInput(x[i], logits: fromLogits)
                badTarget &+= ElementChecks.badTarget(g[i])
                p[i] = fromLogits ? Sigmoid(logits: x[i]).p : x[i]
                gp[i] = g[i]
            }
            var scan = InputScan()
            scan.badInput = Double(badInput)
            scan.badTarget = Double(badTarget)
            if badInput > 0 || badTarget > 0 { return (0, scan) }
            for j in 1..<windows.count {
                let from = windows[j - 1].dims, to = windows[j].dims
                AveragePooling.pool(p + offsets[j - 1], from: from, into: p + offsets[j], to: to)
                AveragePooling.pool(gp + offsets[j - 1], from: from, into: gp + offsets[j], to: to)
            }
            // v_j and ∂v_j/∂p_j per scale.
            var means = [Double](repeating: 0, count: windows.count)
            for j in windows.indices {
                means[j] = scaleMean(
                    windows[j], p: p + offsets[j], g: gp + offsets[j], dv: dv + offsets[j], stats: stats,
                    c1: c1, c2: c2, full: j == windows.count - 1, gradient: gradient != nil)
            }
            guard means.allSatisfy({ $0 > 0 }) else {
                gradient?.update(repeating: 0, count: n0)
                return (1, scan)
            }
            var logMS = 0.0
            for j in means.indices { logMS += scaleWeights[j] * Double.log(means[j]) }
            let ms = Double.exp(logMS)
            guard let gradient else { return (1 - ms, scan) }
            // Coarse to fine: T_j = −(w_j·MS/v_j)·∂v_j/∂p_j + poolᵀ(T_{j+1}), kept in dv.
            for j in windows.indices.reversed() {
                let level = dv + offsets[j], coefficient = S(-weight * scaleWeights[j] * ms / means[j])
                for i in 0..<counts[j] { level[i] *= coefficient }
                if j + 1 < windows.count {
                    AveragePooling.addAdjoint(dv + offsets[j + 1], from: windows[j + 1].dims, into: level, to: windows[j].dims)
                }
            }
            for i in 0..<n0 { gradient[i] = fromLogits ? dv[i] * Sigmoid(logits: x[i]).derivative : dv[i] }
            return (1 - ms, scan)
        }
    }

    /// The mean of cs (or of S when `full`) over the valid positions of one scale, and, when
    /// `gradient`, its gradient with respect to the scale's p in `dv`:
    /// (1/m)[(Kᵀα)ᵢ + 2pᵢ(Kᵀβ)ᵢ + gᵢ(Kᵀγ)ᵢ] with α, β, γ the partials in μ_p, E_pp, E_pg.
    private static func scaleMean<S: SegScalar>(
        _ window: SeparableWindow<S>, p: UnsafePointer<S>, g: UnsafePointer<S>, dv: UnsafeMutablePointer<S>,
        stats: [UnsafeMutablePointer<S>], c1: Double, c2: Double, full: Bool, gradient: Bool
    ) -> Double {
        let n = window.count, m = window.validCount
        let mu = stats[0], mug = stats[1], epp = stats[2], egg = stats[3], epg = stats[4]
        let field = stats[5], work = stats[6]
        window.apply(p, into: mu, work: work)
        window.apply(g, into: mug, work: work)
        for i in 0..<n { field[i] = p[i] * p[i] }
        window.apply(field, into: epp, work: work)
        for i in 0..<n { field[i] = g[i] * g[i] }  // pooled targets are soft: no g² = g shortcut
        window.apply(field, into: egg, work: work)
        for i in 0..<n { field[i] = p[i] * g[i] }
        window.apply(field, into: epg, work: work)
        var total = 0.0
        for j in 0..<m {
            let mp = Double(mu[j]), mg = Double(mug[j])
            let spp = Double(epp[j]) - mp * mp, sgg = Double(egg[j]) - mg * mg
            let spg = Double(epg[j]) - mp * mg
            let b = 2 * spg + c2, d = spp + sgg + c2
            if full {
                let a = 2 * mp * mg + c1, c = mp * mp + mg * mg + c1
                let r = 1 / (c * d), value = a * b * r
                total = Relaxed.sum(total, value)
                mu[j] = S(2 * r * (mg * (b - a) - mp * value * (d - c)))
                epp[j] = S(-value * c * r)
                epg[j] = S(2 * a * r)
            } else {
                let r = 1 / d, cs = b * r
                total = Relaxed.sum(total, cs)
                mu[j] = S(2 * r * (mp * cs - mg))
                epp[j] = S(-cs * r)
                epg[j] = S(2 * r)
            }
        }
        guard gradient else { return total / Double(m) }
        window.adjoint(mu, into: mug, work: work)
        window.adjoint(epp, into: egg, work: work)
        window.adjoint(epg, into: field, work: work)
        let inverse = S(1 / Double(m))
        for i in 0..<n { dv[i] = inverse * (mug[i] + 2 * p[i] * egg[i] + g[i] * field[i]) }
        return total / Double(m)
    }
}
