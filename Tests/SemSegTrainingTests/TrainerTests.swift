import Testing
import SemSegTraining
import SemSegLoss
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Training, checkpoints, resume

/// Bright disks (radius 4–9) on uniform noise, `n` images of 32×32, with their masks.
func diskData(_ n: Int, seed: UInt64) throws -> SegmentationData {
    let (x, y) = diskArrays(n, seed: seed)
    return try SegmentationData(x: x, xShape: [n, 1, 32, 32], y: y, yShape: [n, 1, 32, 32])
}

/// The images and masks of `diskData`, (n, 1, 32, 32) each, as arrays.
func diskArrays(_ n: Int, seed: UInt64) -> (x: [Float], y: [Float]) {
    var rng = Xoshiro256(seed: seed)
    let s = 32
    var x = [Float](repeating: 0, count: n * s * s), y = x
    for i in 0..<n {
        let r = 4 + 5 * rng.nextUnit()
        let cx = r + (Double(s) - 2 * r) * rng.nextUnit(), cy = r + (Double(s) - 2 * r) * rng.nextUnit()
        for py in 0..<s {
            for px in 0..<s {
                let inside = (Double(px) - cx) * (Double(px) - cx) + (Double(py) - cy) * (Double(py) - cy) <= r * r
                x[i * s * s + py * s + px] = Float((inside ? 0.6 : 0) + 0.8 * rng.nextUnit() - 0.4)
                y[i * s * s + py * s + px] = inside ? 1 : 0
            }
        }
    }
    return (x, y)
}

func tempPath(_ name: String) -> String { "/tmp/semseg-training-test-\(getpid())-\(name).ckpt" }

func readBytes(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

func writeBytes(_ bytes: [UInt8], _ path: String) {
    guard let f = fopen(path, "wb") else { return }
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
}

@Suite(.serialized) struct TrainerTests {
    @Test func learnsDisks() throws {
        let train = try diskData(32, seed: 1), valid = try diskData(16, seed: 2)
        let model = try UNet(baseChannels: 4, depth: 2, seed: 0, threads: 2)
        let trainer = try Trainer(model: model, learningRate: 1e-2, batchSize: 8, seed: 0)
        let before = try trainer.evaluate(valid)
        let records = try trainer.fit(train, epochs: 12, validation: valid)
        #expect(records.count == 12)
        #expect(records.last!.loss < 0.5 * records.first!.loss)
        let after = records.last!.validation!
        #expect(after.loss < before.loss)
        #expect(after.iou > 0.6, "validation IoU \(after.iou)")
        #expect(after.dice >= after.iou && after.accuracy > 0.9)
    }

    @Test func trainingIsDeterministic() throws {
        let data = try diskData(12, seed: 3)
        func run() throws -> [Float] {
            let t = try Trainer(model: try UNet(baseChannels: 2, depth: 2, seed: 9, threads: 2), learningRate: 1e-3, batchSize: 5, seed: 4)
            _ = try t.fit(data, epochs: 2)
            return Array(t.model.parameters.buffer)
        }
        #expect(try run() == run())
    }

    @Test(arguments: [false, true])
    func resumeIsBitwiseIdentical(batchNorm: Bool) throws {
        let data = try diskData(10, seed: 5), valid = try diskData(4, seed: 6)
        let stop = EarlyStopping(metric: .dice, patience: 50)
        func fresh() throws -> Trainer {
            try Trainer(model: try UNet(baseChannels: 2, depth: 2, batchNorm: batchNorm, seed: 1, threads: 2),
                        learningRate: 2e-3, batchSize: 4, seed: 7, weightDecay: 1e-4)
        }
        let full = try fresh()
        _ = try full.fit(data, epochs: 3, validation: valid, earlyStopping: stop)

        let path = tempPath("resume-\(batchNorm)")
        defer { unlink(path) }
        let first = try fresh()
        _ = try first.fit(data, epochs: 1, validation: valid, earlyStopping: stop, checkpointPath: path)
        let resumed = try Trainer.load(from: path)
        #expect(resumed.epoch == 1 && resumed.optimizer.step == 3 && resumed.model.context.threads == 2)
        _ = try resumed.fit(data, epochs: 2, validation: valid, earlyStopping: stop)

        #expect(Array(resumed.model.parameters.buffer) == Array(full.model.parameters.buffer))
        #expect(Array(resumed.model.statistics.buffer) == Array(full.model.statistics.buffer))
        #expect(Array(resumed.optimizer.v.buffer) == Array(full.optimizer.v.buffer))
        #expect(resumed.history == full.history)
        #expect(resumed.epoch == 3)
    }

    @Test func saveLoadRoundTrip() throws {
        let model = try UNet(inChannels: 2, outChannels: 3, baseChannels: 2, depth: 3, batchNorm: true, seed: 3, threads: 1)
        model.statistics.pointer[0] = 0.25
        let path = tempPath("model")
        defer { unlink(path) }
        try model.save(to: path)
        let loaded = try UNet.load(from: path)
        #expect(loaded.configuration == model.configuration)
        #expect(Array(loaded.parameters.buffer) == Array(model.parameters.buffer))
        #expect(Array(loaded.statistics.buffer) == Array(model.statistics.buffer))
        let x = randomValues(2 * 2 * 16 * 16, seed: 1).map(Float.init)
        #expect(try loaded.predict(x, shape: [2, 2, 16, 16]) == model.predict(x, shape: [2, 2, 16, 16]))
        // a model-only file is not a trainer checkpoint
        #expect(throws: SegLossError.self) { try Trainer.load(from: path) }
        // corruption and truncation are detected
        var bytes = readBytes(path)
        #expect(bytes.count > 100 && Array(bytes[0..<7]) == Array("SSLUNET".utf8))
        bytes[100] ^= 0xFF
        writeBytes(bytes, path)
        #expect(throws: SegLossError.self) { try UNet.load(from: path) }
        writeBytes(Array(bytes[0..<50]), path)
        #expect(throws: SegLossError.self) { try UNet.load(from: path) }
        writeBytes([], path)
        #expect(throws: SegLossError.self) { try UNet.load(from: path) }
        #expect(throws: SegLossError.self) { try UNet.load(from: "/nonexistent/dir/model.ckpt") }
        #expect(throws: SegLossError.self) { try model.save(to: "/nonexistent/dir/model.ckpt") }
    }

    @Test func multiChannelOutputsAndLabelMaps() throws {
        // two output channels: BCE per channel (multilabel), exercising the NCHW staging
        let n = 4, s = 8
        let x = randomValues(n * s * s, seed: 1).map(Float.init)
        let y2 = x.flatMap { [$0 > 0 ? Float(1) : 0, $0 > 0.5 ? Float(1) : 0] }
        var yml = [Float](repeating: 0, count: n * 2 * s * s)
        for i in 0..<n { for c in 0..<2 { for p in 0..<(s * s) { yml[(i * 2 + c) * s * s + p] = y2[(i * s * s + p) * 2 + c] } } }
        let data = try SegmentationData(x: x, xShape: [n, 1, s, s], y: yml, yShape: [n, 2, s, s])
        let t = try Trainer(model: try UNet(outChannels: 2, baseChannels: 2, depth: 2, threads: 2), learningRate: 1e-2, batchSize: 3)
        let r = try t.fit(data, epochs: 3, validation: data)
        #expect(r.count == 3 && r.allSatisfy { $0.loss.isFinite })
        // label maps (N, H, W) with a closure objective (zero gradient) for scoring
        let labels = x.map { $0 > 0 ? Float(1) : 0 }
        let lm = try SegmentationData(x: x, xShape: [n, 1, s, s], y: labels, yShape: [n, s, s])
        let zero = ClosureObjective { _, shape, _, targetShape, grad throws(SegLossError) in
            guard targetShape == [shape.batch, s, s] else { throw .shape("target", "unexpected") }
            for i in 0..<shape.count { grad[i] = 0 }
            return 0.5
        }
        let t2 = try Trainer(model: try UNet(outChannels: 2, baseChannels: 2, depth: 2, threads: 1), objective: zero)
        let scores = try t2.evaluate(lm)
        #expect(scores.loss == 0.5 && scores.accuracy >= 0 && scores.accuracy <= 1)
        let bad = try SegmentationData(x: x, xShape: [n, 1, s, s], y: labels.map { $0 * 7 }, yShape: [n, s, s])
        #expect(throws: SegLossError.self) { try t2.evaluate(bad) }
    }

    @Test func badArgumentsThrow() throws {
        let model = try UNet(baseChannels: 2, depth: 2, threads: 1)
        #expect(throws: SegLossError.self) { try Trainer(model: model, batchSize: 0) }
        #expect(throws: SegLossError.self) { try Trainer(model: model, learningRate: -1) }
        #expect(throws: SegLossError.self) { try Trainer(model: model, learningRate: .nan) }
        #expect(throws: SegLossError.self) { try Trainer(model: model, weightDecay: -1) }
        #expect(throws: SegLossError.self) { try Trainer(model: model, threshold: 1.5) }
        let x = [Float](repeating: 0.5, count: 2 * 64)
        #expect(throws: SegLossError.self) { try SegmentationData(x: x, xShape: [2, 1, 8, 8], y: x, yShape: [3, 1, 8, 8]) }
        #expect(throws: SegLossError.self) { try SegmentationData(x: x, xShape: [2, 1, 8, 8], y: x, yShape: [2, 1, 4, 16]) }
        #expect(throws: SegLossError.self) { try SegmentationData(x: x, xShape: [2, 1, 8, 9], y: x, yShape: [2, 1, 8, 9]) }
        #expect(throws: SegLossError.self) { try SegmentationData(x: x, xShape: [2, 1, 8], y: x, yShape: [2, 1, 8]) }
        #expect(throws: SegLossError.self) { try SegmentationData(x: x, xShape: [Int.max, 2, 2, 2], y: x, yShape: [2, 1, 8, 8]) }
        let t = try Trainer(model: model)
        let odd = try SegmentationData(x: [Float](repeating: 0, count: 36), xShape: [1, 1, 6, 6], y: [Float](repeating: 0, count: 36), yShape: [1, 1, 6, 6])
        #expect(throws: SegLossError.self) { try t.fit(odd, epochs: 1) }           // 6 not divisible by 4
        let data = try SegmentationData(x: x, xShape: [2, 1, 8, 8], y: x, yShape: [2, 1, 8, 8])
        #expect(throws: SegLossError.self) { try t.fit(data, epochs: -1) }
        #expect(throws: SegLossError.self) { try t.fit(data, epochs: 1, earlyStopping: EarlyStopping()) }
        #expect(throws: SegLossError.self) { try t.fit(data, epochs: 1, validation: data, earlyStopping: EarlyStopping(patience: 0)) }
        #expect(throws: SegLossError.self) { try t.step(data, indices: [5][...]) }
        let twoCh = try SegmentationData(x: [Float](repeating: 0, count: 128), xShape: [1, 2, 8, 8], y: x, yShape: [1, 2, 8, 8])
        #expect(throws: SegLossError.self) { try t.fit(twoCh, epochs: 1) }        // in_channels mismatch
        let badTargets = try SegmentationData(x: x, xShape: [2, 1, 8, 8], y: x.map { $0 * 3 }, yShape: [2, 1, 8, 8])
        #expect(throws: SegLossError.self) { try t.fit(badTargets, epochs: 1) }   // BCE targets outside [0, 1]
        let diverge = ClosureObjective { _, _, _, _, _ throws(SegLossError) in .nan }
        let t3 = try Trainer(model: model, objective: diverge)
        #expect(throws: SegLossError.self) { try t3.fit(data, epochs: 1) }
        #expect(try t.fit(data, epochs: 1).count == 1)
    }

    /// An epoch run takes only the data it began with: before 2026-12-06 same-count data of
    /// another image size was trained on within the run.
    @Test func epochRunRefusesDataOfAnotherShape() throws {
        let t = try Trainer(model: try UNet(baseChannels: 2, depth: 2, threads: 1), batchSize: 2)
        let x = [Float](repeating: 0.5, count: 4 * 256)
        let square = try SegmentationData(x: x, xShape: [4, 1, 16, 16], y: x, yShape: [4, 1, 16, 16])
        let wide = try SegmentationData(x: x, xShape: [4, 1, 8, 32], y: x, yShape: [4, 1, 8, 32])
        var run = try t.beginEpoch(square)
        do {
            try t.trainBatches(wide, run: &run, count: 1)
            Issue.record("expected an error")
        } catch {
            #expect(error.argument == "x" && error.message.contains("[4, 1, 16, 16]"))
        }
        #expect(run.position == 0)
        try t.trainBatches(square, run: &run, count: 2)
        #expect(run.isComplete)
    }

    /// A checkpoint that cannot be written fails `recordEpoch` with a message saying the
    /// epoch was trained and recorded (the weights changed; the file did not).
    @Test func failedCheckpointSaveSaysTheEpochIsRecorded() throws {
        let t = try Trainer(model: try UNet(baseChannels: 2, depth: 2, threads: 1), batchSize: 2)
        let data = try diskData(2, seed: 4)
        let run = try t.beginEpoch(data)
        var done = run
        try t.trainBatches(data, run: &done, count: 1)
        let loss = try t.endEpoch(done)
        do {
            _ = try t.recordEpoch(loss: loss, scores: nil, earlyStopping: nil,
                                  checkpointPath: "/nonexistent-semseg-dir/\(getpid())/x.ckpt")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .io && error.message.contains("epoch 1 was trained and recorded but not saved"))
        }
        #expect(t.epoch == 1 && t.history.count == 1)
    }
}
