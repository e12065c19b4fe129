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
/// model's workers, so it is deterministic.
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

    /// One update of `parameters` with `gradient` (both `m.count` values).
    public func update(
        _ parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, context: ComputeContext<Float>
    ) {
        step += 1
        let c = configuration
        let t = Double(step)
        let bc1 = 1 - pow(c.beta1, t), bc2 = 1 - pow(c.beta2, t)
        let stepSize = Float(c.learningRate / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let b1 = Float(c.beta1), b2 = Float(c.beta2), eps = Float(c.epsilon), wd = Float(c.weightDecay)
        let oneMinusB1 = Float(1 - c.beta1), oneMinusB2 = Float(1 - c.beta2)
        let count = m.count
        let mp = m.pointer, vp = v.pointer
        context.run { worker in
            for i in partition(count, parts: context.threads, index: worker) {
                var g = gradient[i]
                if wd != 0 { g += wd * parameters[i] }
                let mi = b1 * mp[i] + oneMinusB1 * g
                let vi = b2 * vp[i] + oneMinusB2 * g * g
                mp[i] = mi
                vp[i] = vi
                parameters[i] -= stepSize * (mi / (vi.squareRoot() / bc2Sqrt + eps))
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
