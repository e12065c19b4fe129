// MARK: - Weighted sums of catalogue losses

/// A compound loss whose parts are whole catalogue losses, evaluated on the same input,
/// target and common options (mode, activation, `ignore_index`, `include_background`):
///
///     ℓ = Σ_k w_k·ℓ_k,   ∂ℓ/∂x = Σ_k w_k·∂ℓ_k/∂x
///
/// Each part brings its own multiclass form (softmax, label maps) and validation, so the
/// sum supports exactly the modes and options its parts support; a part that refuses an
/// option (SSIM refuses `ignore_index`) makes the sum refuse it, with the part's message.
/// Used by the sums of `HybridLosses`. Every part is evaluated, also with weight 0 (each
/// part validates the input; the value is then w·ℓ = 0). `reduction = none` is refused:
/// the parts' unreduced shapes differ.
///
/// `balanced` (two parts; Karimi & Salcudean's Dice + HD-DT): the first weight is
/// w₀ = ℓ₁/ℓ₀ at the current input, held constant in the gradient ("detached", as
/// SegLoss's `DC_and_HD_loss`), so ℓ = 2·ℓ₁ and ∂ℓ/∂x = (ℓ₁/ℓ₀)·∂ℓ₀/∂x + w₁·∂ℓ₁/∂x; w₀ = 0
/// when ℓ₀ = 0.
///
/// Gradient: the first part writes the caller's buffer; each further part writes one pooled
/// scratch buffer, which is added with its weight (the first part's weight is applied in
/// the pass that adds the second part), or — a pixel loss of binary/multilabel mode —
/// adds its weighted gradient to the buffer itself.
public struct WeightedLossSum: Sendable {
    /// One weighted term.
    public struct Part: Sendable {
        public var weight: Double
        public var loss: ConfiguredLoss

        public init(weight: Double, loss: ConfiguredLoss) {
            self.weight = weight
            self.loss = loss
        }
    }

    /// The catalogue name of the sum and its parts in words (for messages).
    public var name: String
    public var partNames: String
    public var parts: [Part]
    public var balanced = false

    /// Parts `(weight, option name of the weight, loss)`: each weight must be finite and ≥ 0.
    public init(
        name: String, partNames: String, parts: [(weight: Double, argument: String, function: LossFunction)],
        options: LossOptions
    ) throws(SegLossError) {
        self.name = name
        self.partNames = partNames
        var built: [Part] = []
        for p in parts {
            try SegLossError.requireAtLeast(p.weight, 0, p.argument)
            built.append(Part(weight: p.weight, loss: ConfiguredLoss(name: name, function: p.function, options: options)))
        }
        self.parts = built
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try CompoundParts.requireReduced(options, name, parts: partNames)
        if balanced {
            return try evaluateBalanced(input: input, target: target, options: options, outputs: outputs)
        }
        if let value = try evaluateRegionPlusPixel(input: input, target: target, options: options, outputs: outputs) {
            return value
        }
        var total = 0.0
        guard let gradient = outputs.gradient, !parts.isEmpty else {
            for part in parts { total += part.weight * (try evaluate(part, input, target, options, nil)) }
            return total
        }
        let count = input.shape.count, first = S(parts[0].weight)
        total += parts[0].weight * (try evaluate(parts[0], input, target, options, gradient))
        let needsScratch = parts.dropFirst().contains { !addsInPlace($0, options) }
        return try ScratchBuffers.withBuffer(of: S.self, count: needsScratch ? count : 0) { (scratch: UnsafeMutablePointer<S>) throws(SegLossError) -> Double in
            // The first part's weight is applied in the pass that adds the second part (or
            // on its own before a part adds its gradient in place).
            var firstApplied = false
            for part in parts.dropFirst() {
                if addsInPlace(part, options) {
                    if !firstApplied { Self.combine(gradient, first, nil, 0, count: count) }
                    total += part.weight * (try evaluateAdding(part, input, target, options, gradient))
                } else {
                    total += part.weight * (try evaluate(part, input, target, options, scratch))
                    Self.combine(gradient, firstApplied ? 1 : first, scratch, S(part.weight), count: count)
                }
                firstApplied = true
            }
            if !firstApplied { Self.combine(gradient, first, nil, 0, count: count) }
            return total
        }
    }

    /// Two parts, a region loss that is a `RegionObjective` of each row's sums (the
    /// generalized Dice loss with one class per entry) and a pixel loss (focal, BCE), in
    /// binary/multilabel mode: `CompoundParts.regionPlusPixel`, both parts in one sweep
    /// per row where that applies (`RegionPixelEvaluator`). nil for other sums. The value
    /// is w₀·ℓ₀ + w₁·ℓ₁ as in `evaluate`, with the same part values.
    private func evaluateRegionPlusPixel<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double? {
        guard parts.count == 2, addsInPlace(parts[1], options),
              case .regionFamily(.generalizedDice(let gdl)) = parts[0].loss.function,
              gdl.singleClass(input.shape, options, gdl.region)
        else { return nil }
        let dense = try target.requireDense(parts[1].loss.name)
        let region = GeneralizedDiceSingleClass(loss: gdl), w0 = parts[0].weight, w1 = parts[1].weight
        switch parts[1].loss.function {
        case .bce(let l):
            return try CompoundParts.regionPlusPixel(region, w0, l, w1, input: input, target: dense, options: options, outputs: outputs)
        case .focal(let l):
            return try CompoundParts.regionPlusPixel(region, w0, l, w1, input: input, target: dense, options: options, outputs: outputs)
        default:
            return nil
        }
    }

    /// Whether a part adds w·∂ℓ/∂x to the gradient itself (no scratch buffer, no pass to
    /// add it): the pixel losses of binary/multilabel mode, whose evaluator scales and
    /// accumulates (`evaluateAdding`) — `focal_loss` (except the normalized form) and BCE.
    private func addsInPlace(_ part: Part, _ options: LossOptions) -> Bool {
        guard options.mode != .multiclass else { return false }
        switch part.loss.function {
        case .bce: return true
        case .focal(let l): return !l.normalized
        default: return false
        }
    }

    /// A part of `addsInPlace`: its value (as `evaluate` returns it), w·∂ℓ/∂x added to
    /// `gradient`.
    private func evaluateAdding<S: SegScalar>(
        _ part: Part, _ input: TensorView<S>, _ target: LossTarget<S>, _ options: LossOptions,
        _ gradient: UnsafeMutablePointer<S>
    ) throws(SegLossError) -> Double {
        let dense = try target.requireDense(part.loss.name)
        let outputs = LossOutputs(gradient: gradient)
        switch part.loss.function {
        case .bce(let l):
            return try PixelLossEvaluator.evaluate(
                l, input: input, target: dense, options: options, outputs: outputs, scale: part.weight, accumulate: true)
        case .focal(let l):
            return try PixelLossEvaluator.evaluate(
                l, input: input, target: dense, options: options, outputs: outputs, scale: part.weight, accumulate: true)
        default:
            throw .option("loss", "internal error: \(part.loss.name) cannot add its gradient in place")
        }
    }

    /// Two parts, w₀ = ℓ₁/ℓ₀ (see `balanced`).
    private func evaluateBalanced<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let count = outputs.gradient == nil ? 0 : input.shape.count
        return try ScratchBuffers.withBuffer(of: S.self, count: count) { (scratch: UnsafeMutablePointer<S>) throws(SegLossError) -> Double in
            let first = try evaluate(parts[0], input, target, options, outputs.gradient)
            let second = try evaluate(parts[1], input, target, options, outputs.gradient == nil ? nil : scratch)
            let w0 = first != 0 ? parts[1].weight * second / first : 0
            if let gradient = outputs.gradient { Self.combine(gradient, S(w0), scratch, S(parts[1].weight), count: count) }
            return w0 * first + parts[1].weight * second
        }
    }

    /// gradient ← a·gradient + b·scratch (a·gradient alone without scratch), in parallel
    /// chunks (element-wise: the result does not depend on the chunking).
    static func combine<S: SegScalar>(
        _ gradient: UnsafeMutablePointer<S>, _ a: S, _ scratch: UnsafeMutablePointer<S>?, _ b: S, count: Int
    ) {
        if scratch == nil && a == 1 { return }
        Parallel.forEachRange(count: count, chunkSize: 1 << 16) { _, range in
            if let scratch {
                for i in range { gradient[i] = a * gradient[i] + b * scratch[i] }
            } else {
                for i in range { gradient[i] *= a }
            }
        }
    }

    /// One part with the sum's options (the caller's, which may differ from those the sum
    /// was built with only in ways every part accepts).
    private func evaluate<S: SegScalar>(
        _ part: Part, _ input: TensorView<S>, _ target: LossTarget<S>, _ options: LossOptions,
        _ gradient: UnsafeMutablePointer<S>?
    ) throws(SegLossError) -> Double {
        var loss = part.loss
        loss.options = options
        return try loss.evaluate(input: input, target: target, outputs: LossOutputs(gradient: gradient))
    }
}
