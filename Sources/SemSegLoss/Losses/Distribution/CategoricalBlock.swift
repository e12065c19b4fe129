// MARK: - One block of voxels of a categorical loss

extension CategoricalEvaluator {
    /// The work on voxels lo..<hi of image n: probabilities and log-probabilities of the
    /// block, its targets, the per-class terms, the per-voxel loss, and the gradient. Inner loops run
    /// over the contiguous voxels of one channel, with loop-invariant options hoisted.
    struct Block<S: SegScalar, T: CategoricalTerm>: @unchecked Sendable {
        let term: T
        let x: UnsafePointer<S>
        let targets: MulticlassTargets<S>
        let w: UnsafePointer<S>
        let shape: TensorShape
        let fromLogits: Bool
        let weight: S
        let outputs: LossOutputs<S>
        let accumulate: Bool

        /// Returns (Σ ℓ over the block's valid voxels, number of bad input values).
        ///
        /// Everything but the input, the targets and the outputs lives in a block-sized
        /// scratch (C·m values of p, of l = log p then u, of the targets when they need
        /// writing, and 3·m per-voxel sums), so the sweep reads the input once from memory
        /// and writes the outputs once.
        func run(_ n: Int, _ lo: Int, _ hi: Int) -> (Double, Int) {
            let C = shape.channels, sp = shape.spatialCount, m = hi - lo
            let base = n * C * sp + lo
            let mark = MulticlassTargets<S>.ignoredMark
            let eps = S.probabilityEpsilon
            let scratch = UnsafeMutablePointer<S>.allocate(capacity: (3 * C + 3) * m)
            defer { scratch.deallocate() }
            let p = scratch, l = scratch + C * m, loss = scratch + 2 * C * m
            let usum = loss + m, factor = usum + m, targetScratch = factor + m
            var bad = 0
            if fromLogits {
                bad = SoftmaxKernel.block(x, shape, n, lo, hi, p: p, logp: l, stride: m)
            } else {
                var b: Int32 = 0
                for c in 0..<C {
                    let xc = x + base + c * sp, pc = p + c * m, lc = l + c * m
                    for i in 0..<m {
                        let v = xc[i]
                        b &+= ElementChecks.badInput(v, logits: false)
                        let clamped = S.sclamp(v, eps, 1 - eps)
                        pc[i] = clamped
                        lc[i] = S.slogNormal(clamped)
                    }
                }
                bad = Int(b)
            }
            let (g0, gs) = targets.block(n, lo, hi, scratch: targetScratch)
            loss.update(repeating: 0, count: m)
            usum.update(repeating: 0, count: m)
            // Terms: ℓ_i = Σ_c t_c, usum_i = Σ_c u_c; u_c replaces l_c.
            for c in 0..<C {
                let wc = w[c], gc = g0 + c * gs, pc = p + c * m, lc = l + c * m
                let tc = term.forClass(c)
                for i in 0..<m {
                    let gRaw = gc[i], gv = g0[i] != mark ? gRaw : 0  // load first: no conditional load
                    let (t, u) = tc.evaluate(lc[i], pc[i], gv, wc)
                    loss[i] += t
                    usum[i] += u
                    lc[i] = u
                }
            }
            for i in 0..<m { loss[i] *= g0[i] != mark ? 1 : 0 }  // no conditional store (stays vectorised)
            let sum = BlockSums.sum(loss, m)
            if let values = outputs.values { (values + n * sp + lo).update(from: loss, count: m) }
            guard let gradient = outputs.gradient else { return (sum, bad) }

            // Per-voxel factor: the reduction weight (× grad_output), 0 where ignored.
            if let go = outputs.gradOutput {
                let o = go + n * sp + lo
                for i in 0..<m { factor[i] = g0[i] != mark ? o[i] * weight : 0 }
            } else {
                for i in 0..<m { factor[i] = g0[i] != mark ? weight : 0 }
            }
            for c in 0..<C {
                let pc = p + c * m, uc = l + c * m, gr = gradient + base + c * sp
                if fromLogits {
                    if accumulate {
                        for i in 0..<m { gr[i] += (uc[i] - pc[i] * usum[i]) * factor[i] }
                    } else {
                        for i in 0..<m { gr[i] = (uc[i] - pc[i] * usum[i]) * factor[i] }
                    }
                } else {
                    let xc = x + base + c * sp
                    for i in 0..<m {
                        let inside = ElementChecks.both(xc[i] > eps, xc[i] < 1 - eps)
                        let d = inside ? uc[i] / pc[i] * factor[i] : 0
                        gr[i] = accumulate ? gr[i] + d : d
                    }
                }
            }
            return (sum, bad)
        }
    }
}
