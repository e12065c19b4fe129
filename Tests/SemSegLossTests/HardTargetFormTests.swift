import Testing
@testable import SemSegLoss

/// The hard-label forms of pixel objectives (`PixelObjective.hasHardTargetForm`) and the
/// scan that selects them (`HardTargetScan`).
@Suite("Hard-label forms of pixel objectives")
struct HardTargetFormTests {
    @Test("the scan accepts 0, 1 and ignore_index, and nothing else")
    func scan() {
        func all(_ t: [Float], ignore: Float? = nil) -> Bool {
            t.withUnsafeBufferPointer { HardTargetScan.all($0.baseAddress!, count: t.count, ignore: ignore) }
        }
        let n = 3 * HardTargetScan.chunkSize + 5  // several chunks and a partial one
        var t = (0..<n).map { Float($0 % 3 == 0 ? 1 : 0) }
        #expect(all(t))
        t[n - 1] = 0.5
        #expect(!all(t))
        t[n - 1] = 255
        #expect(!all(t))
        #expect(all(t, ignore: 255))
        t[HardTargetScan.chunkSize + 7] = .nan
        #expect(!all(t, ignore: 255))
        t[HardTargetScan.chunkSize + 7] = -1
        #expect(!all(t, ignore: 255))
        #expect(all([Float]([0]), ignore: nil))
        #expect([Float]().withUnsafeBufferPointer { _ in HardTargetScan.all(UnsafePointer<Float>(bitPattern: 8)!, count: 0, ignore: nil) })
    }

    /// Inputs covering both signs, tiny and saturated logits (±30, ±100) and clamped
    /// probabilities.
    static let logits: [Double] = [-100, -30, -8, -1, -1e-4, 0, 1e-4, 0.3, 1, 8, 30, 100]
    static let probabilities: [Double] = [0, 1e-9, 1e-7, 0.01, 0.3, 0.5, 0.8, 0.99, 1 - 1e-7, 1]

    func compare<S: SegScalar>(_: S.Type, gamma: Double, floor: Double) {
        let general = ExpLogCrossEntropy(gamma: gamma, floor: floor)
        let hard = ExpLogHardCrossEntropy(gamma: gamma, floor: floor)
        for (inputs, fromLogits) in [(Self.logits, true), (Self.probabilities, false)] {
            for x in inputs {
                for g in [S(0), S(1)] {
                    let a = general.evaluate(S(x), g, fromLogits: fromLogits)
                    let b = hard.evaluate(S(x), g, fromLogits: fromLogits)
                    // == treats −0 and +0 as equal (the general form may add a +0 term).
                    #expect(a.loss == b.loss && a.grad == b.grad,
                            "\(S.self) x \(x) g \(g) logits \(fromLogits) γ \(gamma): \(a) vs \(b)")
                }
            }
        }
    }

    @Test("exp-log cross-entropy: the hard form equals the general one on hard labels",
          arguments: [(0.3, 1e-7), (1.0, 1e-7), (2.5, 0.0), (0.0, 1e-7)])
    func expLogHardForm(_ gamma: Double, _ floor: Double) {
        compare(Float.self, gamma: gamma, floor: floor)
        compare(Double.self, gamma: gamma, floor: floor)
    }

    @Test("exp_log_loss: hard targets give the values the general form gives element by element")
    func expLogThroughCatalogue() throws {
        var rng = TestRandom(seed: 11)
        let shape = [2, 1, 5, 7], n = 70
        var x = rng.logits(n)
        x[0] = 30
        x[1] = -30
        let g = rng.bits(n)
        // w_dice 0: the loss is w_ce · mean(ℓ_i), its gradient w_ce · ∂ℓ_i/∂x_i / n.
        let r = try run("exp_log_loss", [("w_dice", 0), ("w_ce", 1)], x, g, shape)
        let ce = ExpLogCrossEntropy(gamma: 0.3, floor: 1e-7)
        var mean = 0.0
        for i in 0..<n {
            let e = ce.evaluate(x[i], g[i], fromLogits: true)
            mean += e.loss / Double(n)
            #expect(abs(r.gradient[i] - e.grad / Double(n)) <= 1e-15)
        }
        #expect(abs(r.value - mean) < 1e-14)
    }
}
