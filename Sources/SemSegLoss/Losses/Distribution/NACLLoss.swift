// MARK: - Neighbor-aware calibration loss (NACL)

/// Kernel of the NACL smoothing.
public enum NACLKernel: Int32, Sendable, CaseIterable {
    /// Box of `kernelSize` voxels per axis, each tap 1/kernelSize (MONAI `kernel_ops="mean"`).
    case mean = 0
    /// MONAI's `GaussianFilter(sigma)`: taps ½[erf((x + ½)/(σ√2)) − erf((x − ½)/(σ√2))] for
    /// x = −t…t, t = ⌊max(4σ, ½) + ½⌋, not normalised (`kernelSize` unused; MONAI rounds
    /// 1/√2 to 0.70710678, a 10⁻⁹ difference in the taps).
    case gaussian = 1

    public var name: String { self == .mean ? "mean" : "gaussian" }
}

/// Distance between the smoothed target and the input.
public enum NACLDistance: Int32, Sendable, CaseIterable {
    case l1 = 0
    case l2 = 1

    public var name: String { self == .l1 ? "l1" : "l2" }
}

/// Neighbor-aware calibration loss (Murugesan et al., "Trust your neighbours: penalty-based
/// constraints for model calibration", MICCAI 2023; MONAI `NACLLoss`; LOSSES.md §2 row 15):
///
///     ℓ = CE(x, g) + α·mean_{i,c} d(u_ic − x_ic),   u = K ∗ onehot(g),   d = |·| (l1) or (·)² (l2)
///
/// The penalty pulls the *logits* x toward the class proportions of each voxel's
/// neighbourhood: K is a separable box or Gaussian kernel (`NACLKernel`) applied per
/// (image, class) plane with zero padding, so u is a constant (no gradient). Gradient:
/// ∂CE/∂x + (α/M)·d′(x − u), d′ = sign (0 at equality) or 2(x − u), M the number of
/// valid (voxel, kept class) pairs.
///
/// - Multiclass (MONAI's form): categorical cross-entropy of the softmax (label maps or
///   one-hot / soft targets), the penalty on every kept class channel.
/// - Binary / multilabel (an extension): binary cross-entropy per element and the penalty
///   on each channel's logit against K ∗ g.
/// - `ignore_index`: ignored voxels count as 0 in onehot(g) before the smoothing and leave
///   both means. `include_background = false` drops class 0 from both parts.
/// - `from_logits = false`: the cross-entropy of the probabilities and the penalty on the
///   probabilities. `reduction`: mean (MONAI) or sum (Σ CE + α·Σ d); none is refused.
/// - Speed: binary / multilabel batches of `fusedFromPlanes` (image, channel) planes or
///   more run both parts in one sweep over the planes (`evaluateFused`; 1.15x faster on
///   16×1×256×256); multiclass and smaller batches run the cross-entropy, then the penalty.
public struct NACLLoss: Sendable {
    public var alpha: Double
    public var kernel: NACLKernel
    public var kernelSize: Int
    public var sigma: Double
    public var distance: NACLDistance

    public init(alpha: Double = 0.1, kernel: NACLKernel = .mean, kernelSize: Int = 3, sigma: Double = 1,
                distance: NACLDistance = .l1) {
        self.alpha = alpha
        self.kernel = kernel
        self.kernelSize = kernelSize
        self.sigma = sigma
        self.distance = distance
    }

    /// Reads alpha, kernel_ops, kernel_size, sigma, distance_type.
    static func make(_ r: inout OptionReader) throws(SegLossError) -> NACLLoss {
        let size = try r.oddSize("kernel_size", default: 3, maximum: 1_001)
        let loss = NACLLoss(
            alpha: try r.double("alpha", default: 0.1),
            kernel: try r.code("kernel_ops", default: NACLKernel.mean, names: { $0.name }),
            kernelSize: size, sigma: try r.double("sigma", default: 1),
            distance: try r.code("distance_type", default: NACLDistance.l1, names: { $0.name }))
        try loss.validate()
        return loss
    }

    func validate() throws(SegLossError) {
        try SegLossError.requireAtLeast(alpha, 0, "alpha")
        guard sigma.isFinite, sigma > 0, sigma <= 1_000 else {
            throw .value("sigma", "must be a finite number in (0, 1000], got \(sigma)")
        }
    }

    /// The 1-D taps of K.
    func taps<S: SegScalar>() -> [S] {
        switch kernel {
        case .mean:
            return [S](repeating: S(1 / Double(kernelSize)), count: kernelSize)
        case .gaussian:
            let tail = Int(max(4 * sigma, 0.5) + 0.5)
            let t = 1 / (2.0.squareRoot() * sigma)
            return (-tail...tail).map { x in S(max(0, 0.5 * (erf(t * (Double(x) + 0.5)) - erf(t * (Double(x) - 0.5))))) }
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate()
        try CompoundParts.requireReduced(options, "nacl_loss", parts: "cross-entropy and penalty")
        // The target per element, and the value marking an element that leaves the means:
        // the multiclass mark of an ignored voxel (in every channel), ignore_index, or NaN
        // when nothing is skipped (v != NaN always holds: branch-free tests).
        if options.mode == .multiclass {
            let ce = try CrossEntropyLoss().evaluate(
                input: input, target: target, options: options, outputs: LossOutputs(gradient: outputs.gradient))
            let targets = try MulticlassTargets<S>(target, shape: input.shape, ignoreIndex: options.ignoreIndex)
            return ce + (try targets.withDense { (dense) throws(SegLossError) in
                try penalty(input: input, target: dense, mark: MulticlassTargets<S>.ignoredMark, options: options,
                            gradient: outputs.gradient)
            })
        }
        let t = try target.requireDense("nacl_loss")
        if input.shape.batch * input.shape.channels >= Self.fusedFromPlanes {
            return try evaluateFused(input: input, target: t, options: options, outputs: outputs)
        }
        let ce = try CrossEntropyLoss().evaluate(
            input: input, target: target, options: options, outputs: LossOutputs(gradient: outputs.gradient))
        return ce + (try penalty(input: input, target: t.base, mark: options.ignoreIndex.map { S($0) } ?? .nan,
                                 options: options, gradient: outputs.gradient))
    }

    /// α·(mean or sum) of d(x − u) over the kept elements, with its gradient added.
    private func penalty<S: SegScalar>(
        input: TensorView<S>, target: UnsafePointer<S>, mark: S, options: LossOptions,
        gradient: UnsafeMutablePointer<S>?
    ) throws(SegLossError) -> Double {
        let count = keptCount(input.shape, target: target, mark: mark, firstChannel: options.firstChannel)
        let scale = options.reduction == .mean ? (count > 0 ? alpha / Double(count) : 0) : alpha
        return scale * (try distanceSum(input: input, target: target, mark: mark, options: options, scale: S(scale), gradient: gradient))
    }

    /// The elements of the kept channels whose target is not `mark` (all of them when
    /// `mark` is NaN).
    func keptCount<S: SegScalar>(_ shape: TensorShape, target: UnsafePointer<S>, mark: S, firstChannel c0: Int) -> Int {
        let plane = shape.spatialCount, C = shape.channels
        var count = 0
        for p in 0..<(shape.batch * C) where p % C >= c0 {
            guard !mark.isNaN else {  // nothing skipped (the cross-entropy rejected NaN targets)
                count &+= plane
                continue
            }
            var b = 0
            while b < plane {  // Int32 counts per block: they vectorise
                let n = min(Blocks.size, plane - b), g = target + p * plane + b
                var kept: Int32 = 0
                for i in 0..<n { kept &+= ElementChecks.bit(g[i] != mark) }
                count &+= Int(kept)
                b += n
            }
        }
        return count
    }

    /// Σ d(x − u) over the kept elements (target ≠ `mark`), plane by plane in parallel (each
    /// plane summed in fixed blocks, the per-plane sums added in plane order), and
    /// scale·d′(x − u) added to `gradient`. Branch-free element loops (they vectorise).
    private func distanceSum<S: SegScalar>(
        input: TensorView<S>, target: UnsafePointer<S>, mark: S, options: LossOptions, scale: S,
        gradient: UnsafeMutablePointer<S>?
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        let plane = shape.spatialCount, C = shape.channels, c0 = options.firstChannel
        let failures = AllocationFailures()
        let planes = shape.batch * C
        let filter = SameSizeFilter<S>(taps: taps())
        let l1 = distance == .l1
        var sums = [Double](repeating: 0, count: planes)
        sums.withUnsafeMutableBufferPointer { sb in
            let sums = sb.baseAddress!
            Parallel.forEachChunk(planes, work: shape.count * (4 + filter.taps.count * shape.spatial.count)) { p in
                guard p % C >= c0 else { return }
                ScratchBuffers.withBuffer(of: S.self, count: 2 * plane, failures: failures) { u in
                    let g = target + p * plane, x = input.base + p * plane
                    smoothTarget(g, into: u, mark: mark, filter: filter, spatial: shape.spatial)
                    var total = 0.0, b = 0
                    while b < plane {
                        let n = min(Blocks.size, plane - b)
                        total += Self.blockDistance(
                            x + b, g + b, smoothed: u + b, count: n, mark: mark,
                            gradient: gradient.map { $0 + p * plane + b }, scale: scale, l1: l1)
                        b += n
                    }
                    sums[p] = total
                }
            }
        }
        try failures.check()
        return sums.reduce(0, +)
    }

    /// u = K ∗ g on one plane (`plane` elements of `u`; `u` holds two planes, the second
    /// the filter's work space), elements marked skipped counting as 0.
    func smoothTarget<S: SegScalar>(
        _ g: UnsafePointer<S>, into u: UnsafeMutablePointer<S>, mark: S, filter: SameSizeFilter<S>, spatial: ArraySlice<Int>
    ) {
        let plane = spatial.reduce(1, *)
        if mark.isNaN {  // nothing skipped: smooth the target itself
            filter.apply(g, into: u, spatial: spatial, work: u + plane)
        } else {
            for i in 0..<plane { u[i] = g[i] != mark ? g[i] : 0 }
            filter.apply(u, into: u, spatial: spatial, work: u + plane)
        }
    }

    /// Σ d(x − u) over one block of `count` ≤ `Blocks.size` elements (in L1 across its
    /// loops): e = x − u staged in `smoothed` (0 where skipped), the gradient scale·d′(e)
    /// added (d′(0) = 0, so skipped elements add nothing), d(e) in place of e, and its
    /// lane sum. Loops of few streams each: they vectorise.
    @inline(__always)
    static func blockDistance<S: SegScalar>(
        _ x: UnsafePointer<S>, _ g: UnsafePointer<S>, smoothed u: UnsafeMutablePointer<S>, count n: Int, mark: S,
        gradient: UnsafeMutablePointer<S>?, scale: S, l1: Bool
    ) -> Double {
        for i in 0..<n { u[i] = g[i] != mark ? x[i] - u[i] : 0 }
        if let gradient { addSlope(u, into: gradient, count: n, scale: scale, l1: l1) }
        for i in 0..<n { u[i] = l1 ? abs(u[i]) : u[i] * u[i] }
        return BlockSums.sum(u, n)
    }

    /// gradient[i] += scale·d′(e_i): scale·sign(e) (0 at e = 0) for l1, 2·scale·e for l2.
    @inline(__always)
    private static func addSlope<S: SegScalar>(
        _ e: UnsafePointer<S>, into gradient: UnsafeMutablePointer<S>, count: Int, scale: S, l1: Bool
    ) {
        if l1 {
            for i in 0..<count { gradient[i] += e[i] > 0 ? scale : (e[i] < 0 ? -scale : 0) }
        } else {
            let twice = 2 * scale
            for i in 0..<count { gradient[i] += twice * e[i] }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
