import Testing
@testable import SemSegLoss

/// Finite-difference checks in Double of every loss and option family.
@Suite("Finite-difference gradients")
struct GradientCheckTests {
    struct Family: CustomTestStringConvertible, Sendable {
        var label: String
        var options: [String: Double]
        var shape: [Int]
        var probabilities = false
        var ignore = false
        var gradOutput = false
        var testDescription: String { label }
    }

    static let families: [Family] = [
        Family(label: "binary logits", options: [:], shape: [2, 1, 3, 4]),
        Family(label: "binary probabilities", options: ["from_logits": 0], shape: [2, 1, 3, 3], probabilities: true),
        Family(label: "multilabel batch", options: ["mode": 1, "batch": 1], shape: [2, 3, 2, 3]),
        Family(label: "multilabel no background", options: ["mode": 1, "include_background": 0], shape: [2, 3, 2, 2]),
        Family(label: "ignore_index", options: ["mode": 1, "ignore_index": 255], shape: [2, 2, 3, 3], ignore: true),
        Family(label: "reduction sum", options: ["reduction": 1, "smooth_nr": 1, "smooth_dr": 1], shape: [3, 1, 2, 3]),
        Family(label: "reduction none with grad_output", options: ["mode": 1, "reduction": 2], shape: [2, 2, 2, 3], gradOutput: true),
        Family(label: "3-D spatial", options: [:], shape: [1, 1, 2, 3, 3]),
        Family(label: "1-D spatial odd", options: ["mode": 1], shape: [1, 2, 7]),
    ]

    static let losses = coreLossNames  // distance-map losses: DistanceLossTests.swift

    @Test("analytic gradient matches central differences", arguments: losses, families)
    func gradient(_ loss: String, _ family: Family) throws {
        if family.gradOutput && loss == "dice_bce_loss" { return }  // compound: no reduction none
        var rng = TestRandom(seed: UInt64(loss.utf8.count * 131 + family.label.utf8.count))
        let n = family.shape.reduce(1, *)
        let x = family.probabilities ? rng.probs(n) : rng.logits(n)
        var g = rng.bits(n)
        if family.ignore { for i in stride(from: 0, to: n, by: 4) { g[i] = 255 } }
        // Region-only options (smoothing, batch pooling) are not options of pixel losses.
        let regionOnly: Set<String> = ["batch", "smooth_nr", "smooth_dr", "empty", "squared_pred"]
        let pixelLoss = loss == "bce_loss" || loss == "focal_loss"
        var options = family.options.filter { !(pixelLoss && regionOnly.contains($0.key)) }.map { ($0.key, $0.value) }
        if loss == "focal_tversky_loss" { options.append(("gamma", 1.5)) }
        if loss == "focal_loss" { options.append(("gamma", 1.5)) }
        let configured = try LossCatalog.make(loss, options: options)
        let outCount = configured.outputShape(input: try TensorShape(family.shape)).reduce(1, *)
        let w = family.gradOutput ? rng.logits(outCount) : nil
        let err = try finiteDifferenceError(loss, options, x, g, family.shape, gradOutput: w)
        #expect(err < 1e-6, "\(loss) / \(family.label): relative error \(err)")
    }

    @Test("squared_pred variants", arguments: ["dice_loss", "jaccard_loss", "dice_bce_loss"])
    func squared(_ loss: String) throws {
        var rng = TestRandom(seed: 7)
        let shape = [2, 2, 3, 2], n = 24
        let options: [(String, Double)] = [("mode", 1), ("squared_pred", 1), ("smooth_nr", 1), ("smooth_dr", 1)]
        let err = try finiteDifferenceError(loss, options, rng.logits(n), (0..<n).map { _ in rng.uniform() }, shape)
        #expect(err < 1e-6)
    }

    @Test("focal tversky with gamma < 1 away from a perfect fit")
    func focalTverskyFractional() throws {
        var rng = TestRandom(seed: 11)
        let err = try finiteDifferenceError("focal_tversky_loss", [("gamma", 0.75)], rng.logits(12), rng.bits(12), [1, 1, 3, 4])
        #expect(err < 1e-6)
    }

    /// γ = 2 takes `SquarePower`; the others `RealPower`'s log form on the clamped logs.
    @Test("focal from probabilities, alpha off and on, integer and real gamma",
          arguments: zip([-1.0, 0.25, -1.0, 0.25, -1.0, 0.25], [2.0, 2.0, 0.5, 3.3, 1.0, 0.0]))
    func focalProbabilities(_ alpha: Double, _ gamma: Double) throws {
        var rng = TestRandom(seed: 5)
        var options: [(String, Double)] = [("from_logits", 0), ("gamma", gamma)]
        options.append(alpha >= 0 ? ("alpha", alpha) : ("alpha_weighting", 0))
        let err = try finiteDifferenceError("focal_loss", options, rng.probs(12), rng.bits(12), [1, 1, 3, 4])
        #expect(err < 1e-6)
    }

    @Test("soft targets", arguments: coreLossNames)
    func softTargets(_ loss: String) throws {
        var rng = TestRandom(seed: 13)
        let err = try finiteDifferenceError(loss, [("mode", 1)], rng.logits(16), (0..<16).map { _ in rng.uniform() }, [2, 2, 2, 2])
        #expect(err < 1e-6)
    }
}
