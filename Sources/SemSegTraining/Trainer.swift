import SemSegLoss

// MARK: - Training loop

/// One line of the training history.
public struct EpochRecord: Sendable, Equatable {
    /// 1-based epoch number (counted over resumes).
    public var epoch: Int
    /// Mean training loss of the epoch (batch losses weighted by batch size).
    public var loss: Double
    /// Scores on the validation data, when given.
    public var validation: SegmentationScores?

    public init(epoch: Int, loss: Double, validation: SegmentationScores?) {
        self.epoch = epoch
        self.loss = loss
        self.validation = validation
    }
}

/// Stop when the monitored validation score has not improved by more than `minDelta`
/// for `patience` consecutive epochs (`loss`: lower is better; others: higher).
public struct EarlyStopping: Sendable, Equatable {
    public enum Metric: Int, Sendable { case loss = 0, iou = 1, dice = 2, accuracy = 3 }
    public var metric: Metric
    public var patience: Int
    public var minDelta: Double

    public init(metric: Metric = .loss, patience: Int = 5, minDelta: Double = 0) {
        self.metric = metric
        self.patience = patience
        self.minDelta = minDelta
    }

    func value(_ s: SegmentationScores) -> Double {
        switch metric { case .loss: -s.loss; case .iou: s.iou; case .dice: s.dice; case .accuracy: s.accuracy }
    }
}

/// Trains a `UNet` with Adam on a data set held in memory.
///
/// Each epoch shuffles the sample order with the trainer's `Xoshiro256` (seeded by
/// `seed`), runs mini-batches of `batchSize` (the last one smaller), and per batch:
/// forward pass, `objective.lossAndGradient`, backward pass, Adam update. Training is
/// bitwise deterministic for a given seed and thread count, and a run resumed from a
/// checkpoint (`save` / `load`, written between epochs) continues exactly as the
/// uninterrupted run.
public final class Trainer {
    public let model: UNet
    public var objective: any TrainingObjective
    public let optimizer: Adam
    public let batchSize: Int
    public let seed: UInt64
    /// Probability threshold for validation IoU / Dice / accuracy (checked by `init`, in
    /// [0, 1]; a constant, so that it cannot be set to NaN afterwards).
    public let threshold: Double
    /// Completed epochs (over resumes).
    public internal(set) var epoch: Int = 0
    public internal(set) var history: [EpochRecord] = []

    var rng: Xoshiro256
    /// Early-stopping state: best monitored value, the monitor it is a value of (nil for a
    /// best loaded from a checkpoint that did not record it: the next monitor adopts it),
    /// and epochs since.
    var best: Double? = nil
    var bestMonitor: EarlyStopping.Metric? = nil
    var epochsWithoutImprovement = 0
    /// Per-batch staging (targets, NCHW logits and gradients), reused between steps.
    var staging: (targets: Buffer<Float>, logits: Buffer<Float>, gradient: Buffer<Float>)?

    public convenience init(
        model: UNet, objective: any TrainingObjective = BCEWithLogitsObjective(),
        learningRate: Double = 2e-4, batchSize: Int = 16, seed: UInt64 = 0, weightDecay: Double = 0,
        threshold: Double = 0.5
    ) throws(SegLossError) {
        try self.init(model: model, objective: objective,
                      adam: AdamConfiguration(learningRate: learningRate, weightDecay: weightDecay),
                      batchSize: batchSize, seed: seed, threshold: threshold)
    }

    public init(
        model: UNet, objective: any TrainingObjective, adam: AdamConfiguration,
        batchSize: Int, seed: UInt64, threshold: Double = 0.5
    ) throws(SegLossError) {
        guard batchSize >= 1, batchSize <= 1 << 20 else {
            throw .value("batch_size", "must be in 1...\(1 << 20), got \(batchSize)")
        }
        try SegLossError.requireInRange(threshold, 0, 1, "threshold")
        self.model = model
        self.objective = objective
        self.optimizer = try Adam(parameterCount: model.parameterCount, configuration: adam)
        self.batchSize = batchSize
        self.seed = seed
        self.threshold = threshold
        self.rng = Xoshiro256(seed: seed)
    }

    // MARK: Fit

    /// Trains for up to `epochs` more epochs and returns the records of those epochs.
    /// With `validation`, scores it after each epoch; with `earlyStopping` (needs
    /// validation) stops once the monitored score stalls; with `checkpointPath`, saves the
    /// trainer there (atomically) after every epoch.
    public func fit(
        _ data: SegmentationData, epochs: Int, validation: SegmentationData? = nil,
        earlyStopping: EarlyStopping? = nil, checkpointPath: String? = nil
    ) throws(SegLossError) -> [EpochRecord] {
        guard epochs >= 0 else { throw .value("epochs", "must be >= 0, got \(epochs)") }
        try checkFitOptions(earlyStopping, hasValidation: validation != nil)
        try checkData(data, argument: "x")
        try checkTargets(data, argument: "y")   // images: by beginEpoch, before the first step
        if let validation {
            try checkData(validation, argument: "validation_data")
            try checkFinite(validation, argument: "validation_data")
            try checkTargets(validation, argument: "validation_data")
        }
        if let checkpointPath { try CheckpointFile.requireWritable(checkpointPath) }
        var records: [EpochRecord] = []
        for _ in 0..<epochs {
            if shouldStop(earlyStopping) { break }
            let loss = try trainEpoch(data)
            records.append(try recordEpoch(loss: loss, validation: validation, earlyStopping: earlyStopping,
                                           checkpointPath: checkpointPath))
        }
        return records
    }

    /// One pass over `data` in a fresh shuffled order; returns the mean training loss.
    public func trainEpoch(_ data: SegmentationData) throws(SegLossError) -> Double {
        var run = try beginEpoch(data)
        try trainBatches(data, run: &run, count: run.batchCount)
        return try endEpoch(run)
    }

    func checkData(_ data: SegmentationData, argument: String) throws(SegLossError) {
        _ = try model.configuration.geometry(forInput: data.xShape, argument: argument)
    }

    /// Every image value finite (`FiniteValues`), before the first step.
    func checkFinite(_ data: SegmentationData, argument: String) throws(SegLossError) {
        try data.withPointers { (x, _) throws(SegLossError) in
            try FiniteValues.require(x, samples: 0..<data.count, imageSize: data.imageSize, argument: argument)
        }
    }

    /// The objective's check of every target value (`TrainingObjective.validateTargets`),
    /// once per epoch or evaluation rather than per batch.
    func checkTargets(_ data: SegmentationData, argument: String) throws(SegLossError) {
        let outChannels = model.configuration.outChannels
        try data.withPointers { (_, y) throws(SegLossError) in
            try objective.validateTargets(y, yShape: data.yShape, outChannels: outChannels, argument: argument)
        }
    }
}
