// MARK: - Deep supervision

/// A catalogue loss applied to every output of a deeply supervised network (MONAI
/// `DeepSupervisionLoss`; LOSSES.md §2 row 55; nnU-Net's deep supervision):
///
///     L = Σ_l w_l · loss(input_l, resize(target, spatial size of input_l))
///
/// The target (dense, or an integer label map in multiclass mode) is given once at its
/// own resolution and resized to each level by `NearestResample` (nearest-exact, as MONAI)
/// when the sizes differ; level 0 is usually the full-resolution output. Each level's
/// gradient is the loss's own gradient times w_l.
///
/// Weights (`WeightMode`, MONAI's names): `same` 1, 1, 1, …; `exp` max(0.5^l, 1/16):
/// 1, 0.5, 0.25, 0.125, 0.0625, 0.0625, …; `two` 1, 0.5, 0.5, …; or explicit weights,
/// one per level. MONAI silently falls back to the mode when fewer weights than levels are
/// given; here that is an error naming `weights`. `reduction = none` is refused (the
/// levels' unreduced losses differ in shape).
public struct DeepSupervisionLoss: Sendable {
    public enum WeightMode: Int32, Sendable, CaseIterable {
        case same = 0
        case exp = 1
        case two = 2

        public var name: String { "\(self)" }
    }

    public var loss: ConfiguredLoss
    public var weightMode: WeightMode
    /// Explicit weights (finite, ≥ 0), one per level; overrides `weightMode`.
    public var weights: [Double]?

    public init(loss: ConfiguredLoss, weightMode: WeightMode = .exp, weights: [Double]? = nil) {
        self.loss = loss
        self.weightMode = weightMode
        self.weights = weights
    }

    /// The weight of each of `levels` levels.
    public func levelWeights(_ levels: Int) throws(SegLossError) -> [Double] {
        guard levels >= 1 else { throw .value("inputs", "needs at least one level, got \(levels)") }
        if let weights {
            guard weights.count == levels else {
                throw .value("weights", "needs one weight per level: \(levels) levels, got \(weights.count) weights")
            }
            for (l, w) in weights.enumerated() where !(w.isFinite && w >= 0) {
                throw .value("weights", "must be finite and >= 0, got \(w) for level \(l)")
            }
            return weights
        }
        return (0..<levels).map { l in
            switch weightMode {
            case .same: 1
            case .exp: Swift.max(Double.pow2(-l), 0.0625)
            case .two: l == 0 ? 1 : 0.5
            }
        }
    }

    /// Evaluates the weighted sum; `gradients[l]` (nil, or input_l-shaped) receives
    /// w_l · ∂loss/∂input_l. Returns L.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func evaluate<S: SegScalar>(
        inputs: [TensorView<S>], target: LossTarget<S>, gradients: [UnsafeMutablePointer<S>?]
    ) throws(SegLossError) -> Double {
        guard !inputs.isEmpty else { throw .value("inputs", "needs at least one level") }
        guard gradients.isEmpty || gradients.count == inputs.count else {
            throw .value("grads", "needs one gradient buffer (or none) per level, got \(gradients.count) for \(inputs.count) levels")
        }
        if loss.options.reduction == .none {
            throw .option("reduction", "'none' is not available with deep supervision (each level's unreduced loss has its own shape); use 'mean' or 'sum'")
        }
        let w = try levelWeights(inputs.count)
        let first = inputs[0].shape
        for (l, x) in inputs.enumerated() {
            guard x.shape.batch == first.batch, x.shape.channels == first.channels,
                  x.shape.spatial.count == first.spatial.count else {
                throw .shape("inputs", "level \(l) has shape \(x.shape), level 0 has \(first): every level needs the same N, C and number of spatial axes")
            }
        }
        var total = 0.0
        for (l, x) in inputs.enumerated() {
            let gradient = gradients.isEmpty ? nil : gradients[l]
            let value = try withLevelTarget(target, for: x.shape, level: l) { (t: LossTarget<S>) throws(SegLossError) -> Double in
                do throws(SegLossError) {
                    return try loss.evaluate(input: x, target: t, outputs: LossOutputs(gradient: gradient))
                } catch where error.argument == "input" {
                    // The loss names its own input; here that is level l of `inputs`.
                    throw SegLossError(error.kind, argument: "inputs[\(l)]", error.message)
                }
            }
            total += w[l] * value
            if let gradient {
                let s = S(w[l])
                for i in 0..<x.shape.count { gradient[i] *= s }
            }
        }
        return total
    }

    /// Calls `body` with the target at the spatial size of `shape`: as given when the
    /// sizes agree, else resized (nearest-exact) into scratch memory.
    private func withLevelTarget<S: SegScalar>(
        _ target: LossTarget<S>, for shape: TensorShape, level: Int,
        _ body: (LossTarget<S>) throws(SegLossError) -> Double
    ) throws(SegLossError) -> Double {
        let size = Array(shape.spatial)
        switch target {
        case .dense(let t):
            let from = Array(t.shape.spatial)
            guard t.shape.batch == shape.batch, t.shape.channels == shape.channels, from.count == size.count else {
                throw .shape("target", "shape \(t.shape) does not match level \(level)'s input \(shape) in N, C or the number of spatial axes")
            }
            if from == size { return try body(target) }
            let resized = try TensorShape([shape.batch, shape.channels] + size, argument: "target")
            return try ScratchBuffers.withBuffer(of: S.self, count: resized.count) {
                (buffer: UnsafeMutablePointer<S>) throws(SegLossError) -> Double in
                NearestResample.resample(t.base, slices: t.shape.rows, from: from, to: size, into: buffer)
                return try body(.dense(TensorView(UnsafePointer(buffer), shape: resized)))
            }
        case .labels(let labels):
            let from = Array(labels.dims.dropFirst())
            guard labels.batch == shape.batch, from.count == size.count else {
                throw .shape("target", "label map of shape \(TensorShape.format(labels.dims)) does not match level \(level)'s input \(shape) in N or the number of spatial axes")
            }
            if from == size { return try body(target) }
            return try ScratchBuffers.withBuffer(of: Int64.self, count: shape.batch * shape.spatialCount) {
                (buffer: UnsafeMutablePointer<Int64>) throws(SegLossError) -> Double in
                NearestResample.resample(labels.base, slices: labels.batch, from: from, to: size, into: buffer)
                let view = try LabelView(UnsafePointer(buffer), dims: [shape.batch] + size, input: shape)
                return try body(.labels(view))
            }
        }
    }
}

extension Double {
    /// 2^e for small integer e.
    static func pow2(_ e: Int) -> Double { Double(sign: .plus, exponent: e, significand: 1) }
}
