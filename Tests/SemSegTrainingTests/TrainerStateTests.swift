import Testing
import SemSegTraining
import SemSegLoss
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Failures leave the trainer as it was; early stopping follows its monitor

/// Findings of an audit of 2026-12-06: bad targets failed only in the batch that held them
/// (after the Adam steps of the batches before it, with an index into the shuffled batch);
/// a diverging step left NaN parameters that could be saved but not loaded; a `best` kept
/// from a run with another monitor stopped the next run early.
@Suite(.serialized) struct TrainerStateTests {
    func tiny(_ objective: any TrainingObjective = BCEWithLogitsObjective(), lr: Double = 1e-3) throws -> Trainer {
        try Trainer(model: try UNet(baseChannels: 2, depth: 2, seed: 1, threads: 1), objective: objective,
                    learningRate: lr, batchSize: 2, seed: 3)
    }

    @Test func aBadTargetFailsBeforeTheFirstStepWithItsIndexInY() throws {
        var (x, y) = diskArrays(6, seed: 5)
        y[5 * 1024 + 7] = 2  // sample 5, the last batch of the epoch in any order
        let data = try SegmentationData(x: x, xShape: [6, 1, 32, 32], y: y, yShape: [6, 1, 32, 32])
        let t = try tiny()
        let before = Array(t.model.parameters.buffer)
        do {
            _ = try t.fit(data, epochs: 1)
            Issue.record("expected an error")
        } catch {
            #expect(error.argument == "y" && error.message.contains("got 2.0 at flat index 5127 (sample 5)"))
        }
        #expect(t.optimizer.step == 0 && Array(t.model.parameters.buffer) == before)
        #expect(throws: SegLossError.self) { try t.beginEpoch(data) }
    }

    @Test func aBadClassLabelFailsBeforeTheFirstStep() throws {
        let (x, masks) = diskArrays(4, seed: 6)
        var labels = masks
        labels[3 * 1024] = 3  // three classes: 0, 1, 2
        let data = try SegmentationData(x: x, xShape: [4, 1, 32, 32], y: labels, yShape: [4, 32, 32])
        let objective = try CatalogObjective("dice_ce_loss", options: [("mode", 2)], outChannels: 3)
        let t = try Trainer(model: try UNet(outChannels: 3, baseChannels: 2, depth: 2, seed: 1, threads: 1),
                            objective: objective, batchSize: 2)
        do {
            _ = try t.fit(data, epochs: 1)
            Issue.record("expected an error")
        } catch {
            #expect(error.argument == "y" && error.message.contains("class labels must be integers in [0, 3)"))
            #expect(error.message.contains("at flat index 3072 (sample 3)"))
        }
        #expect(t.optimizer.step == 0)
    }

    @Test func aStepThatWouldNotBeFiniteIsRefusedAndChangesNothing() throws {
        let data = try diskData(2, seed: 7)
        let t = try tiny(lr: 1e38)
        let before = Array(t.model.parameters.buffer)
        do {
            _ = try t.fit(data, epochs: 1)
            Issue.record("expected an error")
        } catch {
            #expect(error.argument == "lr" && error.message.contains("was not applied"))
        }
        #expect(t.optimizer.step == 0 && Array(t.model.parameters.buffer) == before)
        #expect(Array(t.optimizer.m.buffer).allSatisfy { $0 == 0 })
        try t.save(to: tempPath("finite"))  // still finite, so still saved and loadable
        defer { unlink(tempPath("finite")) }
        #expect(try Trainer.load(from: tempPath("finite")).optimizer.step == 0)
    }

    @Test func aModelWithNaNParametersIsNotSaved() throws {
        let t = try tiny()
        t.model.parameters.pointer[3] = .nan
        #expect(throws: SegLossError.self) { try t.save(to: tempPath("nan")) }
        #expect(throws: SegLossError.self) { try t.model.save(to: tempPath("nan")) }
        #expect(access(tempPath("nan"), F_OK) != 0)
    }

    func scores(loss: Double, iou: Double) -> SegmentationScores {
        SegmentationScores(loss: loss, iou: iou, dice: iou, accuracy: 0.9)
    }

    @Test func aNewMonitorStartsAfreshAndCheckpointsKeepIt() throws {
        let t = try tiny()
        let byIoU = EarlyStopping(metric: .iou, patience: 2), byLoss = EarlyStopping(metric: .loss, patience: 2)
        for iou in [0.5, 0.4, 0.4] {
            _ = try t.recordEpoch(loss: 1, scores: scores(loss: 1, iou: iou), earlyStopping: byIoU, checkpointPath: nil)
        }
        #expect(t.shouldStop(byIoU) && t.epochsSinceImprovement == 2)
        #expect(!t.shouldStop(byLoss))  // before: true, from the IoU run's count
        let path = tempPath("monitor")
        defer { unlink(path) }
        try t.save(to: path)
        let resumed = try Trainer.load(from: path)
        #expect(resumed.shouldStop(byIoU) && !resumed.shouldStop(byLoss))
        // the first loss-monitored epoch is a best of its own, whatever the IoU
        _ = try resumed.recordEpoch(loss: 1, scores: scores(loss: 3, iou: 0.1), earlyStopping: byLoss, checkpointPath: nil)
        #expect(resumed.epochsSinceImprovement == 0 && !resumed.shouldStop(byLoss))
        _ = try resumed.recordEpoch(loss: 1, scores: scores(loss: 2, iou: 0.1), earlyStopping: byLoss, checkpointPath: nil)
        #expect(resumed.epochsSinceImprovement == 0)
        _ = try resumed.recordEpoch(loss: 1, scores: scores(loss: 2.5, iou: 0.1), earlyStopping: byLoss, checkpointPath: nil)
        #expect(resumed.epochsSinceImprovement == 1)
    }

    @Test func aNaNScoreIsNeverABest() throws {
        let t = try tiny()
        let byLoss = EarlyStopping(metric: .loss, patience: 3)
        _ = try t.recordEpoch(loss: 1, scores: scores(loss: .nan, iou: 0), earlyStopping: byLoss, checkpointPath: nil)
        #expect(t.epochsSinceImprovement == 1)
        let path = tempPath("nanbest")
        defer { unlink(path) }
        try t.save(to: path)
        #expect(try Trainer.load(from: path).epochsSinceImprovement == 1)
    }
}

/// Findings of an audit of the Swift API (2026-12-06): `fit` trained an epoch before a bad
/// checkpoint path failed, NaN images failed an Adam step with advice about the learning
/// rate, `predict` turned NaN images into finite probabilities, and a path with a NUL byte
/// was cut short (saving to another file).
@Suite(.serialized) struct SwiftCallerChecksTests {
    @Test func fitChecksTheCheckpointPathAndTheImagesBeforeTheFirstStep() throws {
        let t = try Trainer(model: try UNet(baseChannels: 2, depth: 2, seed: 1, threads: 1), batchSize: 2)
        let data = try diskData(2, seed: 9)
        for bad in ["/nonexistent-semseg-folder/x.ckpt", "/tmp", ""] {
            do {
                _ = try t.fit(data, epochs: 1, checkpointPath: bad)
                Issue.record("expected an error for \(bad)")
            } catch {
                #expect(error.kind == .io && error.argument == "checkpoint")
            }
        }
        var (x, y) = diskArrays(2, seed: 9)
        x[1500] = .nan
        let nanData = try SegmentationData(x: x, xShape: [2, 1, 32, 32], y: y, yShape: [2, 1, 32, 32])
        do {
            _ = try t.fit(nanData, epochs: 1)
            Issue.record("expected an error")
        } catch {
            #expect(error.argument == "x" && error.message.contains("in sample 1 (flat index 1500)"))
        }
        #expect(t.optimizer.step == 0 && t.epoch == 0)
        #expect(throws: SegLossError.self) { try t.model.predict(x, shape: [2, 1, 32, 32]) }
    }

    @Test func pathsWithANULByteAreRefused() throws {
        let t = try Trainer(model: try UNet(baseChannels: 2, depth: 2, seed: 1, threads: 1))
        let path = tempPath("nul")
        defer { unlink(path) }
        do {
            try t.model.save(to: path + "\0.ckpt")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .value && error.argument == "path")
        }
        #expect(access(path, F_OK) != 0)
        try t.model.save(to: path)
        #expect(throws: SegLossError.self) { try UNet.load(from: path + "\0x") }
    }
}
