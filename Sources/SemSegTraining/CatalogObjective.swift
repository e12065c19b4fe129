import SemSegLoss

// MARK: - Any catalogue loss as the training objective

/// Drives training with a loss of `LossCatalog` (chosen by name, with its options): the
/// loss's analytic gradient ∂ℓ/∂z with respect to the logits is the network's upstream
/// gradient.
///
/// The network outputs logits and the trainer minimises one number per batch, so:
/// - `from_logits` must stay `true` (the default) and `reduction` must stay `mean`
///   (the mean over the batch's pixels or (image, class) entries, as the loss defines it);
///   other values are refused with `SegLossError.option`;
/// - when `mode` is not given and the model has more than one output channel, the
///   objective uses `mode = multilabel` (independent sigmoid channels), since `binary`
///   needs exactly one channel.
///
/// Targets have the logits' shape `(N, out_channels, H, W)` or, with `mode = multiclass`,
/// are integer label maps `(N, H, W)` (stored as Float; `ignore_index` allowed). Errors
/// from the loss are reported with trainer spelling: `target` becomes `y`, `input` becomes
/// `logits`. With `mode = multiclass` the validation scores count exclusive classes
/// (argmax), whatever the target form.
///
///     let objective = try CatalogObjective("dice_bce_loss", options: [("smooth_nr", 1)])
///     let trainer = try Trainer(model: try UNet(), objective: objective)
public struct CatalogObjective: TrainingObjective, Sendable {
    /// The configured loss (Float evaluation, reduction mean, from logits).
    public let loss: ConfiguredLoss

    /// Builds loss `name` from `options` (the names and numeric codes of `LossCatalog.make`).
    /// `outChannels` picks the default mode (see the type's documentation) and is checked
    /// against the mode.
    public init(_ name: String, options: [(String, Double)] = [], outChannels: Int = 1) throws(SegLossError) {
        var pairs = options
        if outChannels > 1 && !options.contains(where: { $0.0 == "mode" }) {
            pairs.append(("mode", Double(SegmentationMode.multilabel.rawValue)))
        }
        try self.init(LossCatalog.make(name, options: pairs), outChannels: outChannels)
    }

    /// Wraps an already configured loss after checking that it can drive training.
    public init(_ loss: ConfiguredLoss, outChannels: Int = 1) throws(SegLossError) {
        guard loss.options.fromLogits else {
            throw .option("from_logits", "the U-Net outputs logits: the training loss needs from_logits=True")
        }
        guard loss.options.reduction == .mean else {
            throw .option("reduction", "the trainer minimises the mean loss of each batch: leave reduction='mean' (got \(loss.options.reduction))")
        }
        guard outChannels >= 1 else { throw .value("out_channels", "must be at least 1, got \(outChannels)") }
        // Said here rather than by the probe below, whose error would name `logits` of an
        // internal shape (1, C, 1, 1).
        switch loss.options.mode {
        case .binary where outChannels != 1:
            throw .option("mode", "mode='binary' needs a model with out_channels=1 (one sigmoid channel), but the model has out_channels=\(outChannels); use mode='multilabel' (independent channels) or mode='multiclass' (exclusive classes)")
        case .multiclass where outChannels < 2:
            throw .option("mode", "mode='multiclass' needs a model with out_channels >= 2 (a softmax over the classes), but the model has out_channels=\(outChannels); use mode='binary' for one channel, or a UNet with one output channel per class")
        default: break
        }
        let probe = try TensorShape([1, outChannels, 1, 1], argument: "out_channels")
        do { try loss.options.validate(for: probe) } catch { throw Self.rename(error) }
        try Self.checkParameters(loss, outChannels: outChannels)
        self.loss = loss
    }

    /// Side of the probe images of `checkParameters`.
    static let probeSide = 16

    /// Surfaces a bad loss parameter (`gamma < 0`, `k` outside (0, 100], …) when the
    /// objective is built instead of at the first batch: the loss is evaluated once on a
    /// small all-background batch (zero logits; label 0 in multiclass mode). Errors naming
    /// the probe's input or target (its size, e.g. an SSIM window wider than 16) are not
    /// the parameters' fault and are left for the real batches.
    static func checkParameters(_ loss: ConfiguredLoss, outChannels: Int) throws(SegLossError) {
        let side = probeSide, plane = side * side
        let shape = try TensorShape([1, outChannels, side, side], argument: "out_channels")
        let x = [Float](repeating: 0, count: shape.count)
        var gradient = [Float](repeating: 0, count: shape.count)
        do {
            if loss.options.mode == .multiclass {
                _ = try loss(x, labels: [Int64](repeating: 0, count: plane), shape: shape.dims)
            } else {
                let target = [Float](repeating: 0, count: shape.count)
                _ = try x.withUnsafeBufferPointer { xb throws(SegLossError) in
                    try target.withUnsafeBufferPointer { tb throws(SegLossError) in
                        try gradient.withUnsafeMutableBufferPointer { gb throws(SegLossError) in
                            try loss.evaluate(
                                input: TensorView(xb.baseAddress!, shape: shape),
                                target: .dense(TensorView(tb.baseAddress!, shape: shape)),
                                outputs: LossOutputs(gradient: gb.baseAddress))
                        }
                    }
                }
            }
        } catch where error.argument == "input" || error.argument == "target" {
            return
        } catch {
            throw Self.rename(error)
        }
    }

    /// Label maps (multiclass, `(N, H, W)`): integer classes in [0, out_channels) or
    /// ignore_index; dense targets: values in [0, 1] or ignore_index (what every catalogue
    /// loss accepts; a loss's own further conditions are still checked batch by batch).
    public func validateTargets(
        _ y: UnsafePointer<Float>, yShape: [Int], outChannels: Int, argument: String
    ) throws(SegLossError) {
        let count = yShape.reduce(1, *), perSample = count / max(1, yShape[0])
        let ignore = loss.options.ignoreIndex
        if loss.options.mode == .multiclass && yShape.count == 3 {
            try TargetValues.requireClassLabels(y, count: count, perSample: perSample, classes: outChannels,
                                                ignore: ignore, argument: argument)
        } else if yShape.count == 4 {
            try TargetValues.requireUnitInterval(y, count: count, perSample: perSample, ignore: ignore, argument: argument)
        }
    }

    public var scoring: ScoringRule {
        ScoringRule(exclusiveClasses: loss.options.mode == .multiclass, ignoreLabel: loss.options.ignoreIndex)
    }

    public func lossAndGradient(
        logits: UnsafePointer<Float>, shape: TensorShape, target: UnsafePointer<Float>, targetShape: [Int],
        gradient: UnsafeMutablePointer<Float>
    ) throws(SegLossError) -> Double {
        let labelShape = [shape.batch] + Array(shape.spatial)
        if loss.options.mode == .multiclass && targetShape == labelShape {
            return try labelMapLoss(logits: logits, shape: shape, labels: target, gradient: gradient)
        }
        if targetShape == labelShape && shape.channels > 1 {
            throw .shape("y", "a label map \(TensorShape.format(labelShape)) needs a multiclass loss (loss_options mode='multiclass'); \(loss.name) runs in mode '\(loss.options.mode.name)' and needs targets of the model output's shape \(shape)")
        }
        guard targetShape == shape.dims else {
            let labels = loss.options.mode == .multiclass ? " or a label map \(TensorShape.format(labelShape))" : ""
            throw .shape("y", "must have the model output's shape (N, out_channels, H, W) = \(shape)\(labels) per batch, got \(TensorShape.format(targetShape)) (loss \(loss.name))")
        }
        do {
            return try loss.evaluate(
                input: TensorView(logits, shape: shape), target: TensorView(target, shape: shape),
                outputs: LossOutputs(gradient: gradient))
        } catch {
            throw Self.rename(error)
        }
    }

    /// The loss of a batch whose targets are class labels stored as Float (`(N, H, W)`):
    /// converted to the library's int64 label map, every value an integer.
    func labelMapLoss(
        logits: UnsafePointer<Float>, shape: TensorShape, labels: UnsafePointer<Float>,
        gradient: UnsafeMutablePointer<Float>
    ) throws(SegLossError) -> Double {
        let count = shape.batch * shape.spatialCount
        var ints = [Int64](repeating: 0, count: count)
        for i in 0..<count {
            let v = labels[i]
            guard v.isFinite, v == v.rounded(), let k = Int64(exactly: Double(v)) else {
                throw .value("y", "class labels must be integers (a label map (N, H, W) with mode='multiclass'), got \(v) at flat index \(i)")
            }
            ints[i] = k
        }
        do {
            return try ints.withUnsafeBufferPointer { (b) throws(SegLossError) -> Double in
                let view = try LabelView(b.baseAddress!, dims: [shape.batch] + Array(shape.spatial), input: shape)
                return try loss.evaluate(
                    input: TensorView(logits, shape: shape), target: .labels(view), outputs: LossOutputs(gradient: gradient))
            }
        } catch {
            throw Self.rename(error)
        }
    }

    /// Loss-library argument names -> trainer names.
    static func rename(_ error: SegLossError) -> SegLossError {
        var e = error
        switch e.argument {
        case "target": e.argument = "y"
        case "input":
            e.argument = "logits"
            if e.kind == .value { e.message += " (the model produced non-finite logits: check x, or lower the learning rate)" }
        default: break
        }
        return e
    }
}
