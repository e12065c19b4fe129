import Testing
import SemSegTraining
import SemSegLoss
#if canImport(Glibc)
import Glibc
#endif

// MARK: - The README's Swift example for training, on a small model and data set

/// The statements of the README's training ```swift block with smaller numbers (a U-Net of
/// base 2, depth 2, on 32×32 images for 2 epochs: the README's 16 / 4 / 128 / 50 would take
/// minutes in a debug build). `python/tests/test_readme_swift.py` checks that every statement
/// of the README block appears here with only its numbers changed.
@Suite(.serialized) struct ReadmeTrainingExampleTests {
    @Test func trainingExampleRuns() throws {
        let n = 4
        let (x, y) = diskArrays(n, seed: 21)
        let valid = try diskData(2, seed: 22)
        let path = tempPath("readme")
        defer { unlink(path) }
        let checkpoint = path

        let model = try UNet(baseChannels: 2, depth: 2, seed: 0, threads: 2)
        let trainer = try Trainer(model: model, objective: try CatalogObjective("dice_bce_loss"),
                                  learningRate: 2e-3, batchSize: 2, seed: 0)
        let data = try SegmentationData(x: x, xShape: [n, 1, 32, 32], y: y, yShape: [n, 1, 32, 32])
        let records = try trainer.fit(data, epochs: 2, validation: valid, checkpointPath: "\(checkpoint)")

        #expect(records.count == 2 && records.allSatisfy { $0.validation != nil })
        #expect(try Trainer.load(from: checkpoint, objective: try CatalogObjective("dice_bce_loss")).epoch == 2)
    }
}
