import SemSegLoss

// MARK: - Adam optimiser

/// Hyper-parameters of Adam (Kingma and Ba 2015) as in PyTorch `torch.optim.Adam`.
public struct AdamConfiguration: Sendable, Equatable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// L2 penalty added to the gradient, `g ← g + λ·θ` (PyTorch Adam's `weight_decay`).
    public var weightDecay: Double

    public init(learningRate: Double = 2e-4, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func validate() throws(SegLossError) {
        guard learningRate.isFinite, learningRate > 0 else { throw .value("lr", "must be a finite number > 0, got \(learningRate)") }
        guard beta1.isFinite, beta1 >= 0, beta1 < 1 else { throw .value("beta1", "must lie in [0, 1), got \(beta1)") }
        guard beta2.isFinite, beta2 >= 0, beta2 < 1 else { throw .value("beta2", "must lie in [0, 1), got \(beta2)") }
        guard epsilon.isFinite, epsilon > 0 else { throw .value("eps", "must be a finite number > 0, got \(epsilon)") }
        try SegLossError.requireAtLeast(weightDecay, 0, "weight_decay")
    }
}

/// Adam state: first and second moment estimates and the step count. With `t` the step
/// number (from 1), per parameter:
///
///     g ← g + λθ;   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²
///     θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// exactly PyTorch's (non-`amsgrad`, non-fused) update order. Elementwise, split over the
/// model's workers, so it is deterministic. A step that would leave a parameter or a
/// moment NaN or infinite (a non-finite gradient, or a step too large for Float) is
/// refused before anything changes: `update` computes the step once without storing it,
/// then again storing it (the same arithmetic, so the same values).
public final class Adam {
    public var configuration: AdamConfiguration
    public let m: Buffer<Float>
    public let v: Buffer<Float>
    public internal(set) var step: Int = 0

    public init(parameterCount: Int, configuration: AdamConfiguration) throws(SegLossError) {
        try configuration.validate()
        self.configuration = configuration
        m = try Buffer(count: parameterCount, argument: "parameters")
        v = try Buffer(count: parameterCount, argument: "parameters")
    }

    /// One update of `parameters` with `gradient` (both `m.count` values); throws
    /// `.value("lr", …)`, changing nothing, if the update would not be finite.
    public func update(
        _ parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, context: ComputeContext<Float>
    ) throws(SegLossError) {
        let rule = UpdateRule(configuration, step: step + 1)
        let count = m.count
        let mp = m.pointer, vp = v.pointer
        var finite = [Bool](repeating: true, count: context.threads)
        finite.withUnsafeMutableBufferPointer { ok in
            let flags = ok.baseAddress!
            context.run { worker in
                var all = true
                for i in partition(count, parts: context.threads, index: worker) {
                    let (mi, vi, p) = rule.apply(parameters[i], gradient[i], mp[i], vp[i])
                    all = all && mi.isFinite && vi.isFinite && p.isFinite
                }
                flags[worker] = all
            }
        }
        guard finite.allSatisfy({ $0 }) else {
            throw .value("lr", "Adam step \(step + 1) would make parameters NaN or infinite (a non-finite gradient, or a step too large); it was not applied and the model keeps its parameters: lower the learning rate")
        }
        step += 1
        context.run { worker in
            for i in partition(count, parts: context.threads, index: worker) {
                let (mi, vi, p) = rule.apply(parameters[i], gradient[i], mp[i], vp[i])
                mp[i] = mi
                vp[i] = vi
                parameters[i] = p
            }
        }
    }
}

/// The elementwise Adam update of step `t` in Float, constants precomputed.
struct UpdateRule {
    let stepSize, bc2Sqrt, b1, b2, eps, wd, oneMinusB1, oneMinusB2: Float

    init(_ c: AdamConfiguration, step: Int) {
        let t = Double(step)
        let bc1 = 1 - pow(c.beta1, t), bc2 = 1 - pow(c.beta2, t)
        stepSize = Float(c.learningRate / bc1)
        bc2Sqrt = Float(bc2.squareRoot())
        b1 = Float(c.beta1); b2 = Float(c.beta2); eps = Float(c.epsilon); wd = Float(c.weightDecay)
        oneMinusB1 = Float(1 - c.beta1); oneMinusB2 = Float(1 - c.beta2)
    }

    /// (m, v, θ) after the step, from θ, g and the moments before it.
    @inline(__always)
    func apply(_ theta: Float, _ gIn: Float, _ m: Float, _ v: Float) -> (Float, Float, Float) {
        var g = gIn
        if wd != 0 { g += wd * theta }
        let mi = b1 * m + oneMinusB1 * g
        let vi = b2 * v + oneMinusB2 * g * g
        return (mi, vi, theta - stepSize * (mi / (vi.squareRoot() / bc2Sqrt + eps)))
    }
}

#if canImport(Glibc)
import Glibc
#endif
