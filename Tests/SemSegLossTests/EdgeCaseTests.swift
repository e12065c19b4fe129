import Testing
@testable import SemSegLoss

/// Empty and full masks, all pixels ignored, tiny and odd sizes, confident logits.
@Suite("Edge cases")
struct EdgeCaseTests {
    static let losses = coreLossNames  // distance-map losses: DistanceLossTests.swift

    @Test("all pixels ignored: loss 0 and zero gradient", arguments: losses)
    func allIgnored(_ loss: String) throws {
        let r = try run(loss, [("ignore_index", 255)], [0.3, -1, 2, 0.5], [255, 255, 255, 255], [1, 1, 2, 2])
        #expect(r.value == 0)
        #expect(r.gradient.allSatisfy { $0 == 0 })
    }

    @Test("1x1 image", arguments: losses)
    func oneByOne(_ loss: String) throws {
        let r = try run(loss, [], [0.7], [1], [1, 1, 1, 1])
        #expect(r.value.isFinite && r.value >= 0)
        #expect(r.gradient[0] < 0, "a positive voxel must be pushed up")
        #expect(try finiteDifferenceError(loss, [], [0.7], [1], [1, 1, 1, 1]) < 1e-6)
    }

    @Test("odd 3x5 image matches the same data laid out as 15x1", arguments: losses)
    func oddSize(_ loss: String) throws {
        var rng = TestRandom(seed: 3)
        let x = rng.logits(15), g = rng.bits(15)
        let a = try run(loss, [], x, g, [1, 1, 3, 5]), b = try run(loss, [], x, g, [1, 1, 15, 1])
        #expect(abs(a.value - b.value) < 1e-12)
        #expect(maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    @Test("logits of ±30: finite, ~0 when confidently right, large when confidently wrong", arguments: losses)
    func confidentLogits(_ loss: String) throws {
        let g: [Double] = [1, 0, 1, 0]
        let right = try run(loss, [], [30, -30, 30, -30], g, [1, 1, 2, 2])
        let wrong = try run(loss, [], [-30, 30, -30, 30], g, [1, 1, 2, 2])
        #expect(right.value.isFinite && wrong.value.isFinite)
        #expect(right.gradient.allSatisfy(\.isFinite) && wrong.gradient.allSatisfy(\.isFinite))
        #expect(right.value < 1e-4)
        #expect(wrong.value > 0.1)
        let rightF = try runFloat(loss, [], [30, -30, 30, -30], g, [1, 1, 2, 2])
        #expect(rightF.value.isFinite && rightF.gradient.allSatisfy(\.isFinite))
    }

    @Test("empty target and empty prediction give ~0 for region losses", arguments: ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss"])
    func emptyEmpty(_ loss: String) throws {
        let r = try run(loss, [("from_logits", 0)], [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 2, 2])
        #expect(abs(r.value) < 1e-5)  // focal Tversky: floor^0.75 = 5.6e-6
    }

    @Test("empty target with false positives: smooth gives ~1, skip leaves it out of the mean")
    func emptyPolicy() throws {
        // image 0: empty target, prediction 0.5 everywhere; image 1: perfect
        let x: [Double] = [0.5, 0.5, 0.5, 0.5, 1, 0, 1, 0]
        let g: [Double] = [0, 0, 0, 0, 1, 0, 1, 0]
        let smooth = try run("dice_loss", [("from_logits", 0), ("reduction", 2)], x, g, [2, 1, 2, 2])
        #expect(abs(smooth.values[0] - 1) < 1e-4)
        #expect(abs(smooth.values[1]) < 1e-6)
        let skip = try run("dice_loss", [("from_logits", 0), ("empty", 1)], x, g, [2, 1, 2, 2])
        #expect(abs(skip.value) < 1e-6, "the empty image is skipped, the perfect one remains")
        #expect(skip.gradient[0..<4].allSatisfy { $0 == 0 })
        let skipNone = try run("dice_loss", [("from_logits", 0), ("empty", 1), ("reduction", 2)], x, g, [2, 1, 2, 2])
        #expect(skipNone.values[0].isNaN)
        let allEmpty = try run("dice_loss", [("from_logits", 0), ("empty", 1)], [0.3, 0.2], [0, 0], [1, 1, 2, 1])
        #expect(allEmpty.value == 0 && allEmpty.gradient.allSatisfy { $0 == 0 })
    }

    @Test("full masks predicted fully give ~0", arguments: losses)
    func fullMask(_ loss: String) throws {
        let r = try run(loss, [], [30, 30, 30, 30], [1, 1, 1, 1], [1, 1, 2, 2])
        #expect(r.value < 1e-4)
    }

    @Test("focal tversky gradient stays finite at a perfect prediction (gamma < 1)")
    func focalTverskyPerfect() throws {
        let r = try run("focal_tversky_loss", [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)], [1, 0, 1, 0], [1, 0, 1, 0], [1, 1, 2, 2])
        #expect(r.value.isFinite && r.gradient.allSatisfy(\.isFinite))
    }
}
