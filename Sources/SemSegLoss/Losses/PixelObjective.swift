// MARK: - Pixel-wise losses

/// A loss that is a sum of independent per-element terms ℓ(x_i, g_i), where x is a logit
/// (`fromLogits`) or a probability. Implementations return ℓ and ∂ℓ/∂x of one element.
///
/// `evaluate` runs inside the kernel's element loop, which LLVM vectorises for Float: mark
/// it `@inline(always)`, use selects (`c ? a : b`) rather than branches on the data, and
/// only `SegScalar`'s math (no other calls).
public protocol PixelObjective: Sendable {
    func validate() throws(SegLossError)
    func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S)
    /// Calls `visitor.visit` with an objective equal to this one in which loop-invariant
    /// choices are made by type (focal γ = 2 squares instead of calling exp and log), so
    /// the evaluator's element loop specialises for them. The default passes `self`.
    func specialize<V: PixelObjectiveVisitor>(_ visitor: V) -> V.Result
    /// Whether the objective has a cheaper form for hard labels (every target 0 or 1),
    /// which `specialize(_:hardTargets:)` then passes; the evaluator only scans the
    /// targets (`HardTargetScan`) for objectives that say so. Default false.
    var hasHardTargetForm: Bool { get }
    /// `specialize(_:)`, told that every target is 0 or 1 (the values must be the same as
    /// the general form's). The default ignores `hardTargets`.
    func specialize<V: PixelObjectiveVisitor>(_ visitor: V, hardTargets: Bool) -> V.Result
}

/// Work to run with a concrete pixel objective (the evaluator's sweep over a batch);
/// see `PixelObjective.specialize`.
public protocol PixelObjectiveVisitor {
    associatedtype Result
    func visit<O: PixelObjective>(_ objective: O) -> Result
}

extension PixelObjective {
    public func specialize<V: PixelObjectiveVisitor>(_ visitor: V) -> V.Result { visitor.visit(self) }
    public var hasHardTargetForm: Bool { false }
    public func specialize<V: PixelObjectiveVisitor>(_ visitor: V, hardTargets: Bool) -> V.Result {
        specialize(visitor)
    }
}

/// log p and log(1 − p) of probabilities clamped to [ε, 1 − ε] (ε = 1e−7, as Keras and
/// SemSegLoss), with the derivative of the clamped logs: 1/p and −1/(1 − p) inside, 0 where
/// the clamp is active.
@usableFromInline
struct ClampedProbabilityLogs<S: SegScalar> {
    @usableFromInline var logP: S
    @usableFromInline var logQ: S
    /// d log p / dp
    @usableFromInline var dLogP: S
    /// d log(1 − p) / dp
    @usableFromInline var dLogQ: S
    @usableFromInline var p: S
    @usableFromInline var q: S
    /// ε < p < 1 − ε (the clamp is inactive).
    @usableFromInline var unclamped: Bool

    @inlinable @inline(always)
    init(_ pIn: S) {
        let eps = S.probabilityEpsilon
        p = S.sclamp(pIn, eps, 1 - eps)
        q = 1 - p
        logP = S.slogNormal(p)
        logQ = S.slogNormal(q)
        unclamped = ElementChecks.both(pIn > eps, pIn < 1 - eps)
        dLogP = unclamped ? 1 / p : 0
        dLogQ = unclamped ? -1 / q : 0
    }
}

// MARK: - Binary cross-entropy

/// Binary cross-entropy with a positive-class weight q (`pos_weight`) and a
/// negative-class weight r (1 except for the balanced form):
///
///     ℓ = −[q·g·log p + r·(1 − g)·log(1 − p)],  p = σ(z)
///
/// From logits log p and log(1 − p) come in closed form from log1p(e^−|z|) and
/// max(∓z, 0), which never overflows, with ∂ℓ/∂z = σ(z)(q·g + r(1 − g)) − q·g
/// (LOSSES.md §6.7). From probabilities, p is clamped to [1e−7, 1 − 1e−7] inside the
/// logs (gradient 0 where clamped); prefer logits.
///
/// Catalogue entries: `bce_loss` (q = pos_weight, r = 1), `weighted_bce_loss`
/// (q = β/(1 − β) or pos_weight, r = 1) and `balanced_bce_loss` (q = β, r = 1 − β).
public struct BCELoss: PixelObjective {
    /// q > 0; 1 is the plain BCE. SemSegLoss's `weighted_cross_entropyloss` uses
    /// q = β/(1 − β) = 1/3, which *down*-weights positives (LOSSES.md §1.1).
    public var posWeight: Double
    /// r > 0, the weight of the negative term (1 − β for the balanced BCE).
    public var negativeWeight: Double

    public init(posWeight: Double = 1, negativeWeight: Double = 1) {
        self.posWeight = posWeight
        self.negativeWeight = negativeWeight
    }

    public func validate() throws(SegLossError) {
        guard posWeight.isFinite, posWeight > 0 else {
            throw .value("pos_weight", "must be a finite number > 0, got \(posWeight)")
        }
        guard negativeWeight.isFinite, negativeWeight > 0 else {
            throw .value("beta", "the negative-class weight 1 - beta must be a finite number > 0, got \(negativeWeight)")
        }
    }

    @inlinable @inline(always)
    public func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        let q = S(posWeight), r = S(negativeWeight)
        let pos = q * g, neg = r * (1 - g)
        if fromLogits {
            let s = Sigmoid(logits: x)
            let (logP, logQ) = s.logs(x)
            let loss = -(pos * logP + neg * logQ)
            let grad = s.p * (pos + neg) - pos
            return (loss, grad)
        }
        let c = ClampedProbabilityLogs(x)
        let loss = -(pos * c.logP + neg * c.logQ)
        let grad = -(pos * c.dLogP + neg * c.dLogQ)
        return (loss, grad)
    }
}
