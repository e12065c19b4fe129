import Testing
import SemSegTraining
import SemSegLoss

// MARK: - Catalogue losses as training objectives; piecewise epochs

@Suite struct CatalogObjectiveTests {
    @Test func gradientIsTheLibrarysGradient() throws {
        let shape = try TensorShape([2, 1, 4, 4])
        let z = randomValues(32, seed: 3).map { Float($0 * 4) }
        let y = randomValues(32, seed: 4).map { $0 > 0 ? Float(1) : 0 }
        let objective = try CatalogObjective("dice_bce_loss", options: [("smooth_nr", 1), ("smooth_dr", 1)])
        var grad = [Float](repeating: .nan, count: 32)
        let value = try z.withUnsafeBufferPointer { zb in
            try y.withUnsafeBufferPointer { yb in
                try objective.lossAndGradient(logits: zb.baseAddress!, shape: shape, target: yb.baseAddress!,
                                              targetShape: shape.dims, gradient: &grad)
            }
        }
        let reference = try LossCatalog.make("dice_bce_loss", options: [("smooth_nr", 1), ("smooth_dr", 1)])(z, y, shape: shape.dims)
        #expect(value == reference.value)
        #expect(grad == reference.gradient)
    }

    @Test func refusesOptionsThatCannotTrain() throws {
        #expect(throws: SegLossError.self) { try CatalogObjective("dice_loss", options: [("reduction", 1)]) }
        #expect(throws: SegLossError.self) { try CatalogObjective("dice_loss", options: [("from_logits", 0)]) }
        #expect(throws: SegLossError.self) { try CatalogObjective("no_loss") }
        #expect(throws: SegLossError.self) { try CatalogObjective("dice_loss", options: [("mode", 0)], outChannels: 2) }
        // A mode the model's channels cannot take names `mode` and out_channels (not the probe's logits).
        for (mode, channels) in [(0.0, 3), (2.0, 1)] {
            do {
                _ = try CatalogObjective("dice_bce_loss", options: [("mode", mode)], outChannels: channels)
                Issue.record("expected an error for mode \(mode) with \(channels) channels")
            } catch {
                #expect(error.argument == "mode" && error.message.contains("out_channels=\(channels)"))
            }
        }
        let multi = try CatalogObjective("dice_loss", outChannels: 3)
        #expect(multi.loss.options.mode == .multilabel)
    }

    @Test func targetErrorsNameY() throws {
        let shape = try TensorShape([1, 1, 2, 2])
        let z: [Float] = [0, 1, 2, 3], y: [Float] = [0, 2, 0, 1]
        var grad = [Float](repeating: 0, count: 4)
        let objective = try CatalogObjective("bce_loss")
        do {
            _ = try z.withUnsafeBufferPointer { zb in
                try y.withUnsafeBufferPointer { yb in
                    try objective.lossAndGradient(logits: zb.baseAddress!, shape: shape, target: yb.baseAddress!,
                                                  targetShape: shape.dims, gradient: &grad)
                }
            }
            Issue.record("expected an error")
        } catch {
            #expect((error as? SegLossError)?.argument == "y")
        }
    }

    @Test func piecewiseEpochsMatchFit() throws {
        let data = try diskData(11, seed: 8), valid = try diskData(4, seed: 9)
        func fresh() throws -> Trainer {
            try Trainer(model: try UNet(baseChannels: 2, depth: 2, seed: 2, threads: 2),
                        objective: try CatalogObjective("focal_tversky_loss"), learningRate: 3e-3, batchSize: 3, seed: 5)
        }
        let stop = EarlyStopping(metric: .iou, patience: 9)
        let a = try fresh()
        _ = try a.fit(data, epochs: 2, validation: valid, earlyStopping: stop)
        let b = try fresh()
        for _ in 0..<2 {
            var run = try b.beginEpoch(data)
            #expect(run.batchCount == 4)
            while !run.isComplete { try b.trainBatches(data, run: &run, count: 1) }
            #expect(throws: SegLossError.self) { try b.trainBatches(valid, run: &run, count: 1) }
            _ = try b.recordEpoch(loss: try b.endEpoch(run), validation: valid, earlyStopping: stop, checkpointPath: nil)
        }
        #expect(Array(a.model.parameters.buffer) == Array(b.model.parameters.buffer))
        #expect(a.history == b.history && a.epoch == 2 && b.epochsSinceImprovement == a.epochsSinceImprovement)
        let partial = try b.beginEpoch(data)
        #expect(throws: SegLossError.self) { try b.endEpoch(partial) }
    }
}
