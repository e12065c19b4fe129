import SemSegLoss

// MARK: - An epoch, batch by batch

/// An epoch in progress: the shuffled sample order and how far training got.
///
/// `Trainer.trainEpoch` is `beginEpoch`, `trainBatches` over every batch, `endEpoch`;
/// callers that report progress (the C ABI, the Python progress bar) run the same three
/// steps themselves, a few batches at a time, with bitwise-identical results.
public struct EpochRun: Sendable, Equatable {
    /// The epoch's sample order (a permutation of `0..<sampleCount`).
    public let order: [Int]
    /// Batch size of the trainer that began the run.
    public let batchSize: Int
    /// Shapes of the data the run began with (every call of `trainBatches` must pass the same).
    public let xShape: [Int]
    public let yShape: [Int]
    /// Samples trained so far (a multiple of `batchSize`, or all of them).
    public internal(set) var position = 0
    /// Batches trained so far.
    public internal(set) var batchesDone = 0
    /// Σ batch loss × batch size so far.
    public internal(set) var total = 0.0

    public var sampleCount: Int { order.count }
    /// Number of batches of the epoch (the last one may be smaller).
    public var batchCount: Int { (order.count + batchSize - 1) / batchSize }
    public var isComplete: Bool { position == order.count }
    /// Mean training loss of the samples seen so far (0 before the first batch).
    public var meanLoss: Double { position == 0 ? 0 : total / Double(position) }
}

extension Trainer {
    /// Checks `data` (shapes, every image value finite, every target value) and draws the
    /// epoch's sample order from the trainer's generator.
    public func beginEpoch(_ data: SegmentationData) throws(SegLossError) -> EpochRun {
        try checkData(data, argument: "x")
        try checkFinite(data, argument: "x")
        try checkTargets(data, argument: "y")
        var order = Array(0..<data.count)
        rng.shuffle(&order)
        return EpochRun(order: order, batchSize: batchSize, xShape: data.xShape, yShape: data.yShape)
    }

    /// Trains the next `count` batches of `run` (fewer if the epoch ends first) on `data`,
    /// which must be the data the run began with (same sample count and shapes).
    public func trainBatches(_ data: SegmentationData, run: inout EpochRun, count: Int) throws(SegLossError) {
        guard count >= 0 else { throw .value("n_batches", "must be >= 0, got \(count)") }
        guard run.batchSize == batchSize else {
            throw .value("run", "began by a trainer with batch size \(run.batchSize), this one has \(batchSize)")
        }
        try Trainer.requireSameData(data, as: run)
        try checkData(data, argument: "x")
        var left = count
        while left > 0 && run.position < run.order.count {
            let start = run.position, end = min(run.order.count, start + batchSize)
            let loss = try step(data, indices: run.order[start..<end])
            run.total += loss * Double(end - start)
            run.position = end
            run.batchesDone += 1
            left -= 1
        }
    }

    /// Throws unless `data` has the shapes the run began with.
    public static func requireSameData(_ data: SegmentationData, as run: EpochRun) throws(SegLossError) {
        guard data.xShape == run.xShape else {
            throw .shape("x", "the epoch began with x of shape \(run.xShape), got \(data.xShape)")
        }
        guard data.yShape == run.yShape else {
            throw .shape("y", "the epoch began with y of shape \(run.yShape), got \(data.yShape)")
        }
    }

    /// Closes a complete run: counts the epoch and returns its mean training loss.
    public func endEpoch(_ run: EpochRun) throws(SegLossError) -> Double {
        guard run.isComplete else {
            throw .value("epoch", "\(run.batchesDone) of \(run.batchCount) batches trained; finish the epoch first")
        }
        epoch += 1
        return run.total / Double(run.sampleCount)
    }

    // MARK: After an epoch

    /// Checks the early-stopping settings of `fit`.
    public func checkFitOptions(_ earlyStopping: EarlyStopping?, hasValidation: Bool) throws(SegLossError) {
        guard let es = earlyStopping else { return }
        guard hasValidation else { throw .value("early_stopping", "needs validation data") }
        guard es.patience >= 1 else { throw .value("patience", "must be >= 1, got \(es.patience)") }
        try SegLossError.requireAtLeast(es.minDelta, 0, "min_delta")
    }

    /// Whether early stopping says to stop before another epoch (the monitored score has
    /// not improved for `patience` epochs). Always false without early stopping.
    public func shouldStop(_ earlyStopping: EarlyStopping?) -> Bool {
        guard let es = earlyStopping else { return false }
        return stoppingState(for: es).waited >= es.patience
    }

    /// The best value and the epochs since it, for monitor `es.metric`: a best of another
    /// monitor (a `fit` that monitored something else) does not count, so a new monitor
    /// starts afresh.
    func stoppingState(for es: EarlyStopping) -> (best: Double?, waited: Int) {
        guard best == nil || bestMonitor == nil || bestMonitor == es.metric else { return (nil, 0) }
        return (best, epochsWithoutImprovement)
    }

    /// Epochs since the monitored score last improved (early-stopping state).
    public var epochsSinceImprovement: Int { epochsWithoutImprovement }

    /// What `fit` does after each epoch: scores `validation`, appends the record to
    /// `history`, updates the early-stopping state and saves the checkpoint. If the save
    /// fails the epoch stays recorded (its training happened) and the error says so.
    public func recordEpoch(
        loss: Double, validation: SegmentationData?, earlyStopping: EarlyStopping?, checkpointPath: String?
    ) throws(SegLossError) -> EpochRecord {
        let scores = try validation.map { v throws(SegLossError) in try evaluate(v) }
        return try recordEpoch(loss: loss, scores: scores, earlyStopping: earlyStopping, checkpointPath: checkpointPath)
    }

    /// `recordEpoch` with validation scores computed by the caller (e.g. before `endEpoch`,
    /// so that invalid validation data fails before the epoch is counted).
    public func recordEpoch(
        loss: Double, scores: SegmentationScores?, earlyStopping: EarlyStopping?, checkpointPath: String?
    ) throws(SegLossError) -> EpochRecord {
        let record = EpochRecord(epoch: epoch, loss: loss, validation: scores)
        history.append(record)
        if let es = earlyStopping, let scores {
            let v = es.value(scores), (b, waited) = stoppingState(for: es)
            if let b, !(v > b + es.minDelta) {
                epochsWithoutImprovement = waited + 1
            } else if v.isFinite {
                best = v
                epochsWithoutImprovement = 0
                bestMonitor = es.metric
            } else {  // a NaN score is no improvement, and never a best (checkpoints refuse it)
                epochsWithoutImprovement = waited + 1
            }
        }
        if let checkpointPath {
            // The epoch has changed the weights, so it stays counted and recorded; only the
            // file is missing, and the message says how to write it.
            do { try save(to: checkpointPath) } catch {
                throw SegLossError(error.kind, argument: error.argument, error.message
                    + " (epoch \(epoch) was trained and recorded but not saved; call save again once the path is writable)")
            }
        }
        return record
    }
}
