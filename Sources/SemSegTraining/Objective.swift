import SemSegLoss
#if canImport(Glibc)
import Glibc
#endif

// MARK: - The loss the trainer minimises

/// A training loss: given one batch of logits and the matching targets, return the scalar
/// loss and write its gradient with respect to every logit.
///
/// - `logits`: `shape` = `(N, out_channels, H, W)`, C-contiguous NCHW `Float`.
/// - `target`: the batch's targets, C-contiguous, of shape `targetShape` (the training
///   targets' per-sample shape with the batch size in front: `(N, C_t, H, W)` for
///   binary / one-hot / soft masks, or `(N, H, W)` for integer label maps stored as Float).
/// - `gradient`: `shape.count` values to overwrite with ∂loss/∂logits.
/// - returns the loss (finite; the trainer averages batch losses weighted by batch size).
///
/// The trainer calls it from one thread at a time. Throw `SegLossError` for invalid
/// targets; the error propagates out of `Trainer.fit`.
public protocol TrainingObjective {
    func lossAndGradient(
        logits: UnsafePointer<Float>, shape: TensorShape,
        target: UnsafePointer<Float>, targetShape: [Int],
        gradient: UnsafeMutablePointer<Float>
    ) throws(SegLossError) -> Double

    /// How the validation scores read targets of the logits' shape: thresholded channels
    /// (the default), or exclusive classes (argmax) for a softmax objective.
    var scoring: ScoringRule { get }

    /// Checks the values of a whole data set's targets (`y`, shape `yShape`, for a model
    /// of `outChannels` outputs) before training or scoring starts, so that a bad target
    /// fails before any Adam step, with its index in `y` rather than in a shuffled batch.
    /// `argument` names `y` in errors. Default: no check (`lossAndGradient` checks each batch).
    func validateTargets(
        _ y: UnsafePointer<Float>, yShape: [Int], outChannels: Int, argument: String
    ) throws(SegLossError)
}

extension TrainingObjective {
    public var scoring: ScoringRule { ScoringRule() }

    public func validateTargets(
        _ y: UnsafePointer<Float>, yShape: [Int], outChannels: Int, argument: String
    ) throws(SegLossError) {}
}

/// Target checks shared by the objectives' `validateTargets`.
public enum TargetValues {
    /// Every value in [0, 1] (soft or hard masks), or equal to `ignore`.
    public static func requireUnitInterval(
        _ y: UnsafePointer<Float>, count: Int, perSample: Int, ignore: Double?, argument: String
    ) throws(SegLossError) {
        let ig = ignore.map { Float($0) }
        for i in 0..<count where !(y[i] >= 0 && y[i] <= 1) && y[i] != ig {
            throw .value(argument, "values must lie in [0, 1]\(ignore == nil ? "" : " or equal ignore_index"), got \(y[i]) at flat index \(i) (sample \(i / max(1, perSample)))")
        }
    }

    /// Every value a class index in [0, classes), or equal to `ignore`.
    public static func requireClassLabels(
        _ y: UnsafePointer<Float>, count: Int, perSample: Int, classes: Int, ignore: Double?, argument: String
    ) throws(SegLossError) {
        let ig = ignore.map { Float($0) }
        for i in 0..<count where y[i] != ig {
            let v = y[i]
            guard v.isFinite, v == v.rounded(), v >= 0, v < Float(classes) else {
                throw .value(argument, "class labels must be integers in [0, \(classes))\(ignore == nil ? "" : " or equal ignore_index"), got \(v) at flat index \(i) (sample \(i / max(1, perSample)))")
            }
        }
    }
}

/// How `SegmentationScores` reads predictions and targets.
public struct ScoringRule: Sendable, Equatable {
    /// Classes are exclusive: a dense (one-hot / soft) target's class is its argmax
    /// channel and the prediction is the argmax logit, as for label maps.
    public var exclusiveClasses = false
    /// Label (or dense target value) of pixels left out of the scores.
    public var ignoreLabel: Double?

    public init(exclusiveClasses: Bool = false, ignoreLabel: Double? = nil) {
        self.exclusiveClasses = exclusiveClasses
        self.ignoreLabel = ignoreLabel
    }
}

/// Wraps a closure as a `TrainingObjective`.
public struct ClosureObjective: TrainingObjective {
    public typealias Body = (UnsafePointer<Float>, TensorShape, UnsafePointer<Float>, [Int], UnsafeMutablePointer<Float>) throws(SegLossError) -> Double
    public let body: Body
    public init(_ body: @escaping Body) { self.body = body }
    public func lossAndGradient(
        logits: UnsafePointer<Float>, shape: TensorShape, target: UnsafePointer<Float>, targetShape: [Int],
        gradient: UnsafeMutablePointer<Float>
    ) throws(SegLossError) -> Double {
        try body(logits, shape, target, targetShape, gradient)
    }
}

/// Binary cross-entropy on logits, mean over all elements (PyTorch `BCEWithLogitsLoss`):
///
///     ℓ(z, y) = max(z, 0) − z·y + log(1 + e^−|z|),   ∂ℓ/∂z = σ(z) − y,
///
/// divided by the element count. Targets must have the logits' shape and lie in [0, 1].
public struct BCEWithLogitsObjective: TrainingObjective {
    public init() {}

    public func validateTargets(
        _ y: UnsafePointer<Float>, yShape: [Int], outChannels: Int, argument: String
    ) throws(SegLossError) {
        let count = yShape.reduce(1, *)
        try TargetValues.requireUnitInterval(y, count: count, perSample: count / max(1, yShape[0]), ignore: nil,
                                             argument: argument)
    }

    public func lossAndGradient(
        logits: UnsafePointer<Float>, shape: TensorShape, target: UnsafePointer<Float>, targetShape: [Int],
        gradient: UnsafeMutablePointer<Float>
    ) throws(SegLossError) -> Double {
        guard targetShape == shape.dims else {
            throw .shape("target", "must have the logits' shape \(shape), got \(TensorShape.format(targetShape))")
        }
        let n = shape.count
        let scale = 1 / Double(n)
        var total = 0.0
        for i in 0..<n {
            let z = Double(logits[i]), y = Double(target[i])
            guard y >= 0, y <= 1 else { throw .value("target", "values must lie in [0, 1], got \(y)") }
            total += max(z, 0) - z * y + log1p(exp(-abs(z)))
            let s = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
            gradient[i] = Float((s - y) * scale)
        }
        return total * scale
    }
}
