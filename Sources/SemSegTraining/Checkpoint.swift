import SemSegLoss

// MARK: - Checkpoint format (version 1)

/// Binary checkpoint of a model, optionally with the complete trainer state. All numbers
/// little-endian; `i64` signed, `f32`/`f64` IEEE 754.
///
///     magic   8 bytes  "SSLUNET\0"
///     u32     version (1)
///     u32     flags (bit 0: trainer section present)
///     model:  i64 in_channels, out_channels, base_channels, depth, batch_norm (0/1)
///             i64 P, f32[P] parameters (flat order of `UNetModel`)
///             i64 S, f32[S] BatchNorm running mean/var (S = 0 without BatchNorm)
///     trainer (flag bit 0):
///             f64 lr, beta1, beta2, eps, weight_decay;  i64 adam_step
///             f32[P] Adam m;  f32[P] Adam v
///             i64 batch_size, u64 seed, i64 threads, f64 threshold, i64 epoch
///             u64[4] xoshiro256** state
///             u8 has_best, f64 best, i64 epochs_without_improvement
///                 (has_best: 0 none; 2 + k the best value of monitor k, `EarlyStopping.Metric`
///                 raw value; 1 a best of an unrecorded monitor, as files before 2026-12-06)
///             i64 H, then H records: i64 epoch, f64 loss, u8 has_validation,
///                 f64 val_loss, f64 iou, f64 dice, f64 accuracy
///     u64     FNV-1a 64 of every preceding byte
///
/// Files are written to a temporary file, `fsync`ed and renamed into place, so a crash
/// leaves either the old or the new checkpoint.
enum Checkpoint {
    static let magic: [UInt8] = Array("SSLUNET".utf8) + [0]
    static let version: UInt32 = 1

    /// Refuses to save a model whose parameters or BatchNorm statistics are not all finite
    /// (`load` would refuse the file as damaged).
    static func requireFinite(_ m: UNet) throws(SegLossError) {
        let p = UnsafeBufferPointer(start: m.parameters.pointer, count: m.parameterCount)
        let s = UnsafeBufferPointer(start: m.statistics.pointer, count: m.statisticsCount)
        guard p.allSatisfy(\.isFinite), s.allSatisfy(\.isFinite) else {
            throw .value("model", "has NaN or infinite parameters or BatchNorm statistics (a diverged run?); not saved, since such a checkpoint could not be loaded")
        }
    }

    static func writeModel(_ m: UNet, _ w: inout ByteWriter) {
        let c = m.configuration
        w.i64(c.inChannels); w.i64(c.outChannels); w.i64(c.baseChannels); w.i64(c.depth); w.i64(c.batchNorm ? 1 : 0)
        w.i64(m.parameterCount); w.floats(m.parameters.pointer, m.parameterCount)
        w.i64(m.statisticsCount); w.floats(m.statistics.pointer, m.statisticsCount)
    }

    /// The model section as read, before a model is built.
    struct ModelSection {
        var configuration: UNetConfiguration
        var parameters: [Float]
        var statistics: [Float]

        func makeModel(threads: Int) throws(SegLossError) -> UNet {
            let model = try UNet(configuration: configuration, seed: 0, threads: threads)
            model.parameters.pointer.update(from: parameters, count: parameters.count)
            model.statistics.pointer.update(from: statistics, count: statistics.count)
            return model
        }
    }

    static func readModel(_ r: inout ByteReader) throws(SegLossError) -> ModelSection {
        let c = UNetConfiguration(inChannels: try r.i64(), outChannels: try r.i64(), baseChannels: try r.i64(),
                                  depth: try r.i64(), batchNorm: try r.i64() != 0)
        do { try c.validate() } catch { throw r.fail("invalid configuration: \(error.message)") }
        let p = try r.i64()
        guard p == c.parameterCount else { throw r.fail("parameter count \(p) does not match \(c)") }
        let params = try r.floatArray(p)
        // The checksum guards against corruption, not against a crafted file: values that
        // `set_parameters` refuses are refused here too.
        guard params.allSatisfy(\.isFinite) else { throw r.fail("a parameter is NaN or infinite") }
        let s = try r.i64()
        let expected = c.batchNorm ? Self.statisticsCount(c) : 0
        guard s == expected else { throw r.fail("statistics count \(s), expected \(expected)") }
        let statistics = try r.floatArray(s)
        guard statistics.allSatisfy(\.isFinite) else { throw r.fail("a BatchNorm statistic is NaN or infinite") }
        return ModelSection(configuration: c, parameters: params, statistics: statistics)
    }

    /// Largest epoch, Adam step or epoch count a checkpoint may hold: far beyond any real
    /// training, far enough below `Int.max` that counting on from it cannot overflow.
    static let largestCounter = 1 << 52

    /// BatchNorm running statistics: mean and variance for every 3×3 block.
    static func statisticsCount(_ c: UNetConfiguration) -> Int {
        var n = 0
        for l in 0...c.depth { n += 4 * c.width(l) }
        for l in 0..<c.depth { n += 4 * c.width(l) }
        return n
    }

    static func header(flags: UInt32) -> ByteWriter {
        var w = ByteWriter()
        w.bytes = magic
        w.u32(version)
        w.u32(flags)
        return w
    }

    static func finish(_ w: inout ByteWriter, path: String) throws(SegLossError) {
        w.u64(fnv1a(w.bytes, 0..<w.bytes.count))
        try CheckpointFile.writeAtomically(w.bytes, to: path)
    }

    /// Reads and checks magic, version and checksum; returns the reader after the header
    /// and the flags.
    static func open(_ path: String) throws(SegLossError) -> (ByteReader, UInt32) {
        let bytes = try CheckpointFile.read(path, magic: magic)
        var r = ByteReader(bytes: bytes, path: path)
        guard bytes.count >= magic.count + 16, Array(bytes[0..<magic.count]) == magic else { throw r.fail("bad magic") }
        let stored = bytes[(bytes.count - 8)...].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard stored == fnv1a(bytes, 0..<(bytes.count - 8)) else { throw r.fail("checksum mismatch: file is corrupt") }
        r = ByteReader(bytes: Array(bytes[0..<(bytes.count - 8)]), path: path)
        _ = try r.take(magic.count)
        let v = try r.u32()
        guard v == version else { throw r.fail("unsupported version \(v), this library reads version \(version)") }
        let flags = try r.u32()
        return (r, flags)
    }
}

// MARK: - Model save / load

extension UNetModel where Scalar == Float {
    /// Saves configuration, parameters and BatchNorm statistics (no optimiser state).
    public func save(to path: String) throws(SegLossError) {
        try Checkpoint.requireFinite(self)
        var w = Checkpoint.header(flags: 0)
        Checkpoint.writeModel(self, &w)
        try Checkpoint.finish(&w, path: path)
    }

    /// Loads a model saved by `save(to:)` or `Trainer.save(to:)`.
    public static func load(from path: String, threads: Int = 0) throws(SegLossError) -> UNet {
        var (r, _) = try Checkpoint.open(path)
        return try Checkpoint.readModel(&r).makeModel(threads: threads)
    }
}

// MARK: - Trainer save / load

extension Trainer {
    /// Saves the model and the complete training state (Adam moments and step, epoch,
    /// shuffle generator, early-stopping state, history), so that `load` + `fit` continues
    /// bitwise-identically to an uninterrupted run with the same thread count.
    public func save(to path: String) throws(SegLossError) {
        try Checkpoint.requireFinite(model)
        var w = Checkpoint.header(flags: 1)
        Checkpoint.writeModel(model, &w)
        let a = optimizer.configuration
        w.f64(a.learningRate); w.f64(a.beta1); w.f64(a.beta2); w.f64(a.epsilon); w.f64(a.weightDecay)
        w.i64(optimizer.step)
        w.floats(optimizer.m.pointer, model.parameterCount)
        w.floats(optimizer.v.pointer, model.parameterCount)
        w.i64(batchSize); w.u64(seed); w.i64(model.context.threads); w.f64(threshold); w.i64(epoch)
        let s = rng.state
        w.u64(s.0); w.u64(s.1); w.u64(s.2); w.u64(s.3)
        w.u8(best == nil ? 0 : bestMonitor.map { UInt8(2 + $0.rawValue) } ?? 1)
        w.f64(best ?? 0); w.i64(epochsWithoutImprovement)
        w.i64(history.count)
        for h in history {
            w.i64(h.epoch); w.f64(h.loss); w.u8(h.validation == nil ? 0 : 1)
            let v = h.validation ?? SegmentationScores(loss: 0, iou: 0, dice: 0, accuracy: 0)
            w.f64(v.loss); w.f64(v.iou); w.f64(v.dice); w.f64(v.accuracy)
        }
        try Checkpoint.finish(&w, path: path)
    }

    /// Restores a trainer saved by `save(to:)`. `threads` defaults to the saved count
    /// (needed for bitwise-identical continuation). The loss is not saved: pass the
    /// objective the trainer was trained with (the default is binary cross-entropy, which
    /// would silently change the loss of a resumed run).
    public static func load(
        from path: String, objective: any TrainingObjective = BCEWithLogitsObjective(), threads: Int? = nil
    ) throws(SegLossError) -> Trainer {
        var (r, flags) = try Checkpoint.open(path)
        guard flags & 1 != 0 else { throw r.fail("it holds a model only, no trainer state; use UNet.load") }
        let section = try Checkpoint.readModel(&r)
        let adam = AdamConfiguration(learningRate: try r.f64(), beta1: try r.f64(), beta2: try r.f64(),
                                     epsilon: try r.f64(), weightDecay: try r.f64())
        let step = try r.i64()
        guard (0...Checkpoint.largestCounter).contains(step) else { throw r.fail("Adam step \(step) out of range") }
        let count = section.parameters.count
        let m = try r.floatArray(count), v = try r.floatArray(count)
        guard m.allSatisfy(\.isFinite), v.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw r.fail("an Adam moment is NaN, infinite or (second moment) negative")
        }
        let batchSize = try r.i64(), seed = try r.u64(), savedThreads = try r.i64()
        let threshold = try r.f64()
        // A saved count is one a ComputeContext accepted (1...4096); anything else is damage,
        // reported as such rather than as a bad `threads` argument.
        guard threads != nil || (1...4096).contains(savedThreads) else {
            throw r.fail("saved thread count \(savedThreads) out of range")
        }
        let model = try section.makeModel(threads: threads ?? savedThreads)
        let trainer: Trainer
        do {
            trainer = try Trainer(model: model, objective: objective, adam: adam, batchSize: batchSize, seed: seed, threshold: threshold)
        } catch { throw r.fail("invalid trainer settings: \(error.message)") }
        trainer.optimizer.step = step
        trainer.optimizer.m.pointer.update(from: m, count: count)
        trainer.optimizer.v.pointer.update(from: v, count: count)
        trainer.epoch = try r.i64()
        guard (0...Checkpoint.largestCounter).contains(trainer.epoch) else { throw r.fail("epoch \(trainer.epoch) out of range") }
        trainer.rng = Xoshiro256(state: (try r.u64(), try r.u64(), try r.u64(), try r.u64()))
        let hasBest = try r.u8(), best = try r.f64()
        let monitor = hasBest >= 2 ? EarlyStopping.Metric(rawValue: Int(hasBest) - 2) : nil
        guard hasBest <= 1 || monitor != nil else { throw r.fail("unknown early-stopping monitor \(hasBest)") }
        guard hasBest == 0 || best.isFinite else { throw r.fail("the best validation score is NaN or infinite") }
        trainer.best = hasBest != 0 ? best : nil
        trainer.bestMonitor = monitor
        trainer.epochsWithoutImprovement = try r.i64()
        guard (0...Checkpoint.largestCounter).contains(trainer.epochsWithoutImprovement) else {
            throw r.fail("epochs without improvement \(trainer.epochsWithoutImprovement) out of range")
        }
        let h = try r.i64()
        guard h >= 0, h <= (r.bytes.count - r.position) / 49 else { throw r.fail("bad history length") }
        for _ in 0..<h {
            let e = try r.i64(), loss = try r.f64(), hasV = try r.u8()
            let v = SegmentationScores(loss: try r.f64(), iou: try r.f64(), dice: try r.f64(), accuracy: try r.f64())
            trainer.history.append(EpochRecord(epoch: e, loss: loss, validation: hasV != 0 ? v : nil))
        }
        guard r.position == r.bytes.count else { throw r.fail("trailing bytes") }
        return trainer
    }
}
