// MARK: - Binary / multilabel NACL in one sweep

extension NACLLoss {
    /// Fewest (image, channel) planes from which binary / multilabel NACL runs its two parts
    /// in one sweep over the planes (`evaluateFused`). Below, the cross-entropy runs on its
    /// own over chunks of the batch, so that one large volume still uses every thread; a
    /// fixed number, so the path never depends on the thread count.
    static let fusedFromPlanes = 8

    /// Elements per segment of a plane in the fused sweep: the cross-entropy of a segment,
    /// then its penalty, while the segment's input, target, smoothed target and gradient
    /// (4 × 32 KB in Float) are still in L2.
    static let fusedSegment = 8 * Blocks.size

    /// Binary / multilabel NACL with both parts in one parallel sweep over the planes:
    /// per plane, the smoothed target u = K ∗ g, then segment by segment the binary
    /// cross-entropy with its gradient (`PixelLossEvaluator.run`) and the penalty with its
    /// gradient added (`blockDistance`). The same loss as the cross-entropy followed by
    /// `penalty` (two sweeps over the batch, the second re-reading the input and the
    /// gradient from memory); per-plane sums are added in plane order, so the result does
    /// not depend on the threads.
    func evaluateFused<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let objective = BCELoss()
        let shape = input.shape
        try options.validateDense(input: shape, target: target.shape) { () throws(SegLossError) in
            try objective.validate()
        }
        let planes = shape.batch * shape.channels
        let ignore = options.ignoreIndex.map { S($0) }
        let mark = ignore ?? .nan
        let count = keptCount(shape, target: target.base, mark: mark, firstChannel: options.firstChannel)
        let mean = options.reduction == .mean
        // The mean's weights: 1/count for the cross-entropy, α/count for the penalty.
        let ceWeight = mean ? (count > 0 ? 1 / Double(count) : 0) : 1
        let scale = mean ? (count > 0 ? alpha / Double(count) : 0) : alpha
        let hard = objective.hasHardTargetForm && HardTargetScan.all(target.base, count: shape.count, ignore: ignore)
        var ce = [Double](repeating: 0, count: planes), penalties = ce
        var scans = [InputScan](repeating: InputScan(), count: planes)
        let failures = AllocationFailures()
        ce.withUnsafeMutableBufferPointer { cb in
            penalties.withUnsafeMutableBufferPointer { pb in
                scans.withUnsafeMutableBufferPointer { sb in
                    objective.specialize(
                        NACLFusedSweep(
                            nacl: self, input: input, target: target.base, ignore: ignore, mark: mark,
                            fromLogits: options.fromLogits, firstChannel: options.firstChannel,
                            ceWeight: S(ceWeight), scale: S(scale), gradient: outputs.gradient,
                            ce: cb.baseAddress!, penalties: pb.baseAddress!, scans: sb.baseAddress!,
                            failures: failures),
                        hardTargets: hard)
                }
            }
        }
        try failures.check()
        var scan = InputScan()
        for s in scans { scan.merge(s) }
        try scan.check(input: input, target: target, fromLogits: options.fromLogits, ignoreIndex: ignore)
        return ceWeight * ce.reduce(0, +) + scale * penalties.reduce(0, +)
    }
}

/// The sweep of `NACLLoss.evaluateFused`, run with the (specialised) cross-entropy
/// objective: plane p writes its cross-entropy sum to `ce[p]`, its Σ d(x − u) to
/// `penalties[p]`, its validation counts to `scans[p]`; planes of dropped channels get a
/// zero gradient.
struct NACLFusedSweep<S: SegScalar>: PixelObjectiveVisitor {
    let nacl: NACLLoss
    let input: TensorView<S>, target: UnsafePointer<S>
    let ignore: S?, mark: S, fromLogits: Bool, firstChannel: Int
    let ceWeight: S, scale: S
    let gradient: UnsafeMutablePointer<S>?
    let ce: UnsafeMutablePointer<Double>, penalties: UnsafeMutablePointer<Double>
    let scans: UnsafeMutablePointer<InputScan>
    /// Where a plane that could not get its scratch records the failure.
    let failures: AllocationFailures

    func visit<O: PixelObjective>(_ objective: O) {
        let shape = input.shape, plane = shape.spatialCount, C = shape.channels
        let filter = SameSizeFilter<S>(taps: nacl.taps())
        let l1 = nacl.distance == .l1
        let x = input.base
        Parallel.forEachChunk(
            shape.batch * C, work: shape.count * (24 + filter.taps.count * shape.spatial.count)
        ) { p in
            let base = p * plane
            guard p % C >= firstChannel else {
                gradient?.advanced(by: base).update(repeating: 0, count: plane)
                return
            }
            ScratchBuffers.withBuffer(of: S.self, count: 2 * plane, failures: failures) { u in
                nacl.smoothTarget(target + base, into: u, mark: mark, filter: filter, spatial: shape.spatial)
                var ceSum = 0.0, penaltySum = 0.0, scan = InputScan(), s = 0
                while s < plane {
                    let end = min(plane, s + NACLLoss.fusedSegment)
                    let r = PixelLossEvaluator.run(
                        objective, x, target, base + s, base + end, ignore, fromLogits, ceWeight,
                        LossOutputs(gradient: gradient), false)
                    ceSum += r.0
                    scan.merge(r.1)
                    var b = s
                    while b < end {
                        let n = min(Blocks.size, end - b)
                        penaltySum += NACLLoss.blockDistance(
                            x + base + b, target + base + b, smoothed: u + b, count: n, mark: mark,
                            gradient: gradient.map { $0 + base + b }, scale: scale, l1: l1)
                        b += n
                    }
                    s = end
                }
                ce[p] = ceSum
                penalties[p] = penaltySum
                scans[p] = scan
            }
        }
    }
}
