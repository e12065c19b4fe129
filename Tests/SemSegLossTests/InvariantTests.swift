import Testing
@testable import SemSegLoss

/// Identities between losses, ranges, Float/Double agreement, determinism.
@Suite("Invariants")
struct InvariantTests {
    var rng = TestRandom(seed: 42)

    @Test("Tversky(0.5, 0.5, s) equals Dice with smoothing 2s")
    mutating func tverskyHalfIsDice() throws {
        let x = rng.logits(24), g = rng.bits(24)
        let t = try run("tversky_loss", [("alpha", 0.5), ("beta", 0.5), ("smooth_nr", 0.5), ("smooth_dr", 0.5), ("mode", 1)], x, g, [2, 2, 2, 3])
        let d = try run("dice_loss", [("smooth_nr", 1), ("smooth_dr", 1), ("mode", 1)], x, g, [2, 2, 2, 3])
        #expect(abs(t.value - d.value) < 1e-12)
        #expect(maxAbsDiff(t.gradient, d.gradient) < 1e-12)
    }

    @Test("Tversky(1, 1) equals Jaccard")
    mutating func tverskyOneIsJaccard() throws {
        let x = rng.logits(12), g = rng.bits(12)
        let t = try run("tversky_loss", [("alpha", 1), ("beta", 1)], x, g, [1, 1, 3, 4])
        let j = try run("jaccard_loss", [], x, g, [1, 1, 3, 4])
        #expect(abs(t.value - j.value) < 1e-12)
        #expect(maxAbsDiff(t.gradient, j.gradient) < 1e-12)
    }

    @Test("focal Tversky with gamma 1 equals Tversky")
    mutating func focalTverskyGammaOne() throws {
        let x = rng.logits(12), g = rng.bits(12)
        let f = try run("focal_tversky_loss", [("gamma", 1)], x, g, [1, 1, 3, 4])
        let t = try run("tversky_loss", [], x, g, [1, 1, 3, 4])
        #expect(abs(f.value - t.value) < 1e-12)
        #expect(maxAbsDiff(f.gradient, t.gradient) < 1e-12)
    }

    @Test("focal with gamma 0 and no alpha equals BCE; alpha 0.5 halves it")
    mutating func focalGammaZero() throws {
        let x = rng.logits(12), g = rng.bits(12)
        let f = try run("focal_loss", [("gamma", 0), ("alpha_weighting", 0)], x, g, [1, 1, 3, 4])
        let b = try run("bce_loss", [], x, g, [1, 1, 3, 4])
        #expect(abs(f.value - b.value) < 1e-12)
        #expect(maxAbsDiff(f.gradient, b.gradient) < 1e-12)
        let h = try run("focal_loss", [("gamma", 0), ("alpha", 0.5)], x, g, [1, 1, 3, 4])
        #expect(abs(2 * h.value - b.value) < 1e-12)
    }

    @Test("dice_bce equals the weighted sum of its parts")
    mutating func diceBCEIsSum() throws {
        let x = rng.logits(12), g = rng.bits(12)
        let c = try run("dice_bce_loss", [("lambda_dice", 0.3), ("lambda_bce", 2)], x, g, [1, 1, 3, 4])
        let d = try run("dice_loss", [], x, g, [1, 1, 3, 4]), b = try run("bce_loss", [], x, g, [1, 1, 3, 4])
        #expect(abs(c.value - (0.3 * d.value + 2 * b.value)) < 1e-12)
        #expect(maxAbsDiff(c.gradient, zip(d.gradient, b.gradient).map { 0.3 * $0 + 2 * $1 }) < 1e-12)
    }

    @Test("region losses lie in [0, 1]", arguments: ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss"])
    func range(_ loss: String) throws {
        var rng = TestRandom(seed: 9)
        for _ in 0..<20 {
            let r = try run(loss, [("mode", 1), ("reduction", 2)], rng.logits(18, scale: 5), rng.bits(18), [1, 2, 3, 3])
            #expect(r.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }

    @Test("Float and Double agree", arguments: coreLossNames)
    func floatDouble(_ loss: String) throws {
        var rng = TestRandom(seed: 21)
        let n = 2 * 2 * 17 * 9
        let x = rng.logits(n), g = rng.bits(n)
        let d = try run(loss, [("mode", 1)], x, g, [2, 2, 17, 9])
        let f = try runFloat(loss, [("mode", 1)], x, g, [2, 2, 17, 9])
        #expect(abs(d.value - f.value) <= 1e-5 * max(1, abs(d.value)))
        let scale = d.gradient.map(abs).max() ?? 1
        #expect(maxAbsDiff(d.gradient, f.gradient.map(Double.init)) <= 1e-5 * scale)
    }

    @Test("repeated evaluation on a large batch is bit-identical (deterministic chunked sums)")
    func deterministic() throws {
        var rng = TestRandom(seed: 1)
        let shape = [4, 1, 128, 160], n = shape.reduce(1, *)
        let x = rng.logits(n).map(Float.init), g = rng.bits(n).map(Float.init)
        let loss = try LossCatalog.make("dice_loss")
        let a = try loss(x, g, shape: shape), b = try loss(x, g, shape: shape)
        #expect(a.value == b.value)
        #expect(a.gradient == b.gradient)
    }

    @Test("mean equals sum divided by the number of entries (region) or voxels (pixel)")
    mutating func meanVersusSum() throws {
        let x = rng.logits(24), g = rng.bits(24)
        for loss in coreLossNames where loss != "dice_bce_loss" {
            let mean = try run(loss, [("mode", 1)], x, g, [2, 2, 2, 3])
            let sum = try run(loss, [("mode", 1), ("reduction", 1)], x, g, [2, 2, 2, 3])
            let count: Double = loss == "bce_loss" || loss == "focal_loss" ? 24 : 4
            #expect(abs(mean.value * count - sum.value) < 1e-12, "\(loss)")
        }
    }
}
