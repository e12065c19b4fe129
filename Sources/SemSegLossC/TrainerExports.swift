import CSemSegLoss
import SemSegLoss
import SemSegTraining

// MARK: - Training section of semsegloss.h: the trainer

/// The trainer behind a non-NULL handle.
private func trainerBox(_ handle: OpaquePointer) throws(SegLossError) -> TrainerBox {
    try unbox(handle, as: TrainerBox.self, argument: "trainer", kind: "trainer")
}

@c @implementation
public func semseg_trainer_create(
    _ model: OpaquePointer?, _ loss: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?,
    _ nOptions: Int64, _ learningRate: Double, _ batchSize: Int64, _ seed: UInt64, _ weightDecay: Double,
    _ threshold: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let model else { return nullPointer("model", err, errLen) }
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let box = try unbox(model, as: ModelBox.self, argument: "model", kind: "U-Net")
        let objective = try CatalogObjective(
            try decodeName(loss, argument: "loss"), options: try decodeOptions(options, nOptions),
            outChannels: box.model.configuration.outChannels)
        guard batchSize >= 1, batchSize <= 1 << 20 else { throw .value("batch_size", "must be in 1...\(1 << 20), got \(batchSize)") }
        let trainer = try Trainer(model: box.model, objective: objective, learningRate: learningRate,
                                  batchSize: Int(batchSize), seed: seed, weightDecay: weightDecay, threshold: threshold)
        out.pointee = retainedHandle(TrainerBox(trainer, modelBox: box))
    }
}

@c @implementation
public func semseg_trainer_destroy(_ trainer: OpaquePointer?) {
    releaseHandle(trainer, as: TrainerBox.self)
}

@c @implementation
public func semseg_trainer_set_loss(
    _ trainer: OpaquePointer?, _ loss: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?,
    _ nOptions: Int64, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let box = try trainerBox(trainer)
        let name = try decodeName(loss, argument: "loss"), decoded = try decodeOptions(options, nOptions)
        try box.locked { b throws(SegLossError) in
            guard b.run == nil else {
                throw .option("loss", "cannot change while an epoch is in progress; change it between epochs")
            }
            b.trainer.objective = try CatalogObjective(
                name, options: decoded, outChannels: b.modelBox.model.configuration.outChannels)
        }
    }
}

@c @implementation
public func semseg_trainer_model(
    _ trainer: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        out.pointee = retainedHandle(try trainerBox(trainer).modelBox)
    }
}

@c @implementation
public func semseg_trainer_info(
    _ trainer: OpaquePointer?, _ info: UnsafeMutablePointer<semseg_trainer_info_t>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    guard let info else { return nullPointer("info", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        info.pointee = try trainerBox(trainer).locked { b in
            let t = b.trainer, a = t.optimizer.configuration
            return semseg_trainer_info_t(
                epoch: Int64(t.epoch), step: Int64(t.optimizer.step), batch_size: Int64(t.batchSize), seed: t.seed,
                learning_rate: a.learningRate, weight_decay: a.weightDecay, threshold: t.threshold,
                history_length: Int64(t.history.count), epochs_without_improvement: Int64(t.epochsSinceImprovement),
                epoch_in_progress: b.run == nil ? 0 : 1)
        }
    }
}

// MARK: Training

private func requireNoEpoch(_ b: TrainerBox, _ what: String) throws(SegLossError) {
    guard let run = b.run else { return }
    throw .value("trainer", "an epoch is in progress (\(run.batchesDone) of \(run.batchCount) batches); end or abort it before \(what)")
}

@c @implementation
public func semseg_trainer_train_epoch(
    _ trainer: OpaquePointer?, _ x: UnsafePointer<semseg_tensor_t>?, _ y: UnsafePointer<semseg_tensor_t>?,
    _ loss: UnsafeMutablePointer<Double>?, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    guard let loss else { return nullPointer("loss", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let (data, _) = try decodeData(x, y, finite: true)
        loss.pointee = try trainerBox(trainer).locked { b throws(SegLossError) in
            try requireNoEpoch(b, "training another")
            return try b.trainer.trainEpoch(data)
        }
    }
}

@c @implementation
public func semseg_trainer_begin_epoch(
    _ trainer: OpaquePointer?, _ x: UnsafePointer<semseg_tensor_t>?, _ y: UnsafePointer<semseg_tensor_t>?,
    _ nBatches: UnsafeMutablePointer<Int64>?, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    guard let nBatches else { return nullPointer("n_batches", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let (data, _) = try decodeData(x, y, finite: false)
        nBatches.pointee = try trainerBox(trainer).locked { b throws(SegLossError) in
            try requireNoEpoch(b, "beginning another")
            let run = try b.trainer.beginEpoch(data)
            b.run = run
            return Int64(run.batchCount)
        }
    }
}

@c @implementation
public func semseg_trainer_train_batches(
    _ trainer: OpaquePointer?, _ x: UnsafePointer<semseg_tensor_t>?, _ y: UnsafePointer<semseg_tensor_t>?,
    _ nBatches: Int64, _ batchesDone: UnsafeMutablePointer<Int64>?, _ meanLoss: UnsafeMutablePointer<Double>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let count = try nonNegativeInt(nBatches, "n_batches")
        let (data, xs) = try decodeData(x, y, finite: false)
        let run = try trainerBox(trainer).locked { b throws(SegLossError) in
            guard var run = b.run else { throw .value("trainer", "no epoch in progress; call semseg_trainer_begin_epoch first") }
            try Trainer.requireSameData(data, as: run)
            let end = min(run.sampleCount, run.position + min(count, run.batchCount) * run.batchSize)
            try xs.requireFinite(samples: run.order[run.position..<end], imageSize: data.imageSize, argument: "x")
            defer { b.run = run }
            try b.trainer.trainBatches(data, run: &run, count: count)
            return run
        }
        batchesDone?.pointee = Int64(run.batchesDone)
        meanLoss?.pointee = run.meanLoss
    }
}

@c @implementation
public func semseg_trainer_end_epoch(
    _ trainer: OpaquePointer?, _ valX: UnsafePointer<semseg_tensor_t>?, _ valY: UnsafePointer<semseg_tensor_t>?,
    _ monitor: Int32, _ patience: Int64, _ minDelta: Double, _ checkpointPath: UnsafePointer<CChar>?,
    _ record: UnsafeMutablePointer<semseg_epoch_record_t>?, _ stop: UnsafeMutablePointer<Int32>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        guard (valX == nil) == (valY == nil) else { throw .value("val_y", "val_x and val_y must both be given or both be NULL") }
        let validation = valX == nil ? nil : try decodeData(valX, valY, xName: "val_x", yName: "val_y", finite: true).0
        let es = try earlyStopping(monitor: monitor, patience: patience, minDelta: minDelta)
        let path = try checkpointPath.map { (p) throws(SegLossError) in try decodePath(p, argument: "checkpoint") }
        let (r, s) = try trainerBox(trainer).locked { b throws(SegLossError) in
            guard let run = b.run else { throw .value("trainer", "no epoch in progress; call semseg_trainer_begin_epoch first") }
            guard run.isComplete else {
                throw .value("trainer", "\(run.batchesDone) of \(run.batchCount) batches trained; finish the epoch first")
            }
            try b.trainer.checkFitOptions(es, hasValidation: validation != nil)
            if let validation { try checkInput(b.trainer.model, validation.xShape, argument: "val_x") }
            // Score first: invalid validation data fails before the epoch is counted.
            let scores = try validation.map { v throws(SegLossError) in try b.trainer.evaluate(v) }
            let loss = try b.trainer.endEpoch(run)
            b.run = nil
            let r = try b.trainer.recordEpoch(loss: loss, scores: scores, earlyStopping: es, checkpointPath: path)
            return (r, b.trainer.shouldStop(es))
        }
        record?.pointee = semseg_epoch_record_t(r)
        stop?.pointee = s ? 1 : 0
    }
}

@c @implementation
public func semseg_trainer_abort_epoch(
    _ trainer: OpaquePointer?, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        try trainerBox(trainer).locked { b in b.run = nil }
    }
}

@c @implementation
public func semseg_trainer_should_stop(
    _ trainer: OpaquePointer?, _ monitor: Int32, _ patience: Int64, _ stop: UnsafeMutablePointer<Int32>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    guard let stop else { return nullPointer("stop", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let es = try earlyStopping(monitor: monitor, patience: patience, minDelta: 0)
        stop.pointee = try trainerBox(trainer).locked { b in b.trainer.shouldStop(es) ? 1 : 0 }
    }
}

// MARK: Evaluation, history, checkpoints

@c @implementation
public func semseg_trainer_evaluate(
    _ trainer: OpaquePointer?, _ x: UnsafePointer<semseg_tensor_t>?, _ y: UnsafePointer<semseg_tensor_t>?,
    _ batchSize: Int64, _ scores: UnsafeMutablePointer<semseg_scores_t>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    guard let scores else { return nullPointer("scores", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        guard batchSize >= 0, batchSize <= 1 << 20 else { throw .value("batch_size", "must be in 0...\(1 << 20) (0: the trainer's), got \(batchSize)") }
        let (data, _) = try decodeData(x, y, finite: true)
        let s = try trainerBox(trainer).locked { b throws(SegLossError) in
            try b.trainer.evaluate(data, batchSize: batchSize == 0 ? nil : Int(batchSize))
        }
        scores.pointee = semseg_scores_t(loss: s.loss, iou: s.iou, dice: s.dice, accuracy: s.accuracy)
    }
}

@c @implementation
public func semseg_trainer_history(
    _ trainer: OpaquePointer?, _ records: UnsafeMutablePointer<semseg_epoch_record_t>?, _ capacity: Int64,
    _ count: UnsafeMutablePointer<Int64>?, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    guard let count else { return nullPointer("count", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let cap = try nonNegativeInt(capacity, "capacity")
        guard cap == 0 || records != nil else { throw .value("records", "must not be NULL when capacity > 0") }
        let history = try trainerBox(trainer).locked { b in b.trainer.history }
        for (i, r) in history.prefix(cap).enumerated() { records?[i] = semseg_epoch_record_t(r) }
        count.pointee = Int64(history.count)
    }
}

@c @implementation
public func semseg_trainer_save(
    _ trainer: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let trainer else { return nullPointer("trainer", err, errLen) }
    guard let path else { return nullPointer("path", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let p = try decodePath(path)
        try trainerBox(trainer).locked { b throws(SegLossError) in
            try requireNoEpoch(b, "saving (a checkpoint holds whole epochs)")
            try b.trainer.save(to: p)
        }
    }
}

@c @implementation
public func semseg_trainer_load(
    _ path: UnsafePointer<CChar>?, _ loss: UnsafePointer<CChar>?, _ options: UnsafePointer<semseg_option_t>?,
    _ nOptions: Int64, _ threads: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int
) -> semseg_status_t {
    guard let path else { return nullPointer("path", err, errLen) }
    guard let out else { return nullPointer("out", err, errLen) }
    return reportingStatus(err, errLen) { () throws(SegLossError) in
        let name = try decodeName(loss, argument: "loss")
        let pairs = try decodeOptions(options, nOptions)
        _ = try LossCatalog.make(name, options: pairs)  // unknown names and options fail before reading
        let t = try nonNegativeInt(threads, "threads")
        let trainer = try Trainer.load(from: try decodePath(path), threads: t == 0 ? nil : t)
        trainer.objective = try CatalogObjective(name, options: pairs, outChannels: trainer.model.configuration.outChannels)
        out.pointee = retainedHandle(TrainerBox(trainer, modelBox: ModelBox(trainer.model)))
    }
}
