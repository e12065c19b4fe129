// MARK: - Region losses as functions of (TP, P, G)

/// Value and partial derivatives of one region-loss term ℓ(TP, P, G).
public struct RegionTerm: Sendable, Equatable {
    public var loss: Double
    /// ∂ℓ/∂TP
    public var dIntersection: Double
    /// ∂ℓ/∂P
    public var dPrediction: Double

    public init(loss: Double, dIntersection: Double, dPrediction: Double) {
        self.loss = loss
        self.dIntersection = dIntersection
        self.dPrediction = dPrediction
    }

    /// The term of an entry with an empty target under
    /// `EmptyTargetPolicy.penalizeFalsePositives`: ℓ = P/(P + 1), ∂ℓ/∂P = 1/(P + 1)²
    /// (TP = 0 on an empty target, so ∂ℓ/∂TP does not matter and is 0).
    public static func falsePositivePenalty(prediction P: Double) -> RegionTerm {
        let d = P + 1
        return RegionTerm(loss: P / d, dIntersection: 0, dPrediction: 1 / (d * d))
    }

    /// The term times `w` (a class weight; w = 1 leaves it bit for bit).
    public func scaled(by w: Double) -> RegionTerm {
        RegionTerm(loss: w * loss, dIntersection: w * dIntersection, dPrediction: w * dPrediction)
    }
}

/// A loss computed per (image, class) — or per class over the batch — from the sums
/// TP, P, G of `RegionStats`. The gradient then follows by the chain rule
/// ∂ℓ/∂p_i = ∂ℓ/∂TP · g_i + ∂ℓ/∂P · ∂P/∂p_i (see `RegionStatsKernel`).
public protocol RegionObjective: Sendable {
    /// The smoothing, batch and empty-target options.
    var region: RegionOptions { get }
    /// `true` when P and G are sums of squares (V-Net denominator).
    var squaredSums: Bool { get }
    /// Checks the loss's own parameters (throws naming the Python argument).
    func validate() throws(SegLossError)
    /// ℓ and its partials for one entry.
    func term(_ s: RegionStats) -> RegionTerm
    /// ℓ and its partials for an entry of input channel `channel` (the evaluators call
    /// this one); defaults to `term(s)`. Losses that treat classes differently (the
    /// asymmetric unified focal losses: channel 0 is the background) override it.
    func term(_ s: RegionStats, channel: Int) -> RegionTerm
}

extension RegionObjective {
    public var squaredSums: Bool { false }
    public func term(_ s: RegionStats, channel: Int) -> RegionTerm { term(s) }

    /// The weight of `channel`'s entries (`RegionOptions.classWeights`, checked to hold one
    /// value per channel by the evaluators that accept them), 1 without class weights (and,
    /// defensively, for a channel beyond the list: never a trap).
    func classWeight(_ channel: Int) -> Double {
        guard let weights = region.classWeights, weights.indices.contains(channel) else { return 1 }
        return weights[channel]
    }
}

// MARK: - Focal transform shared by focal Tversky (and later exp-log variants)

/// ℓ = max(x, floor)^γ with ∂ℓ/∂x = γ·x^(γ−1) where x > floor and 0 below: the floor keeps
/// the gradient finite for γ < 1 at a perfect prediction (LOSSES.md §4.10, SemSegLoss #2).
@inlinable
func clampedPower(_ x: Double, gamma: Double, floor: Double) -> (value: Double, derivative: Double) {
    if x <= floor {
        return (pow(max(floor, 0), gamma), 0)
    }
    return (pow(x, gamma), gamma * pow(x, gamma - 1))
}

#if canImport(Glibc)
import Glibc
#endif
