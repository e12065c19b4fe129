import Foundation
import Testing
@testable import SemSegLoss

/// soft_label (TP = Σ min(p, g), MONAI #8094) for the losses evaluated by
/// RegionLossEvaluator: dice, jaccard, (focal) tversky, the region family's Dice relatives
/// and the Dice part of Dice + BCE / CE / focal (MONAI's DiceCELoss and DiceFocalLoss).
@Suite("Soft-label intersection")
struct RegionSoftLabelTests {
    static let losses = ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "log_cosh_dice_loss",
                         "log_dice_loss", "asymmetric_similarity_loss", "dice_bce_loss", "dice_ce_loss", "dice_focal_loss"]

    static let compounds: Set = ["dice_bce_loss", "dice_ce_loss", "dice_focal_loss"]

    @Test("hard targets: the same value and gradient as without soft_label", arguments: losses)
    func hardTargets(_ loss: String) throws {
        var rng = TestRandom(seed: 2)
        let x = rng.logits(36), g = rng.bits(36)
        let a = try run(loss, [("mode", 1)], x, g, [2, 3, 2, 3])
        let b = try run(loss, [("mode", 1), ("soft_label", 1)], x, g, [2, 3, 2, 3])
        #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    @Test("soft targets: minimal (0 up to smoothing) at p = g, unlike the product form",
          arguments: ["dice_loss", "jaccard_loss", "tversky_loss"])
    func minimumAtTarget(_ loss: String) throws {
        var rng = TestRandom(seed: 3)
        let g = rng.probs(12)
        let soft = try run(loss, [("from_logits", 0), ("soft_label", 1)], g, g, [1, 1, 3, 4])
        let product = try run(loss, [("from_logits", 0)], g, g, [1, 1, 3, 4])
        #expect(soft.value < 1e-9 && product.value > 0.05)
    }

    struct Family: CustomTestStringConvertible, Sendable {
        var label: String
        var options: [(String, Double)]
        var shape: [Int]
        var testDescription: String { label }
    }

    static let families: [Family] = [
        Family(label: "binary logits", options: [], shape: [2, 1, 3, 4]),
        Family(label: "probabilities", options: [("from_logits", 0)], shape: [2, 1, 3, 4]),
        Family(label: "multilabel ignore, none", options: [("mode", 1), ("ignore_index", 255), ("reduction", 2)], shape: [2, 2, 2, 3]),
        Family(label: "multilabel batch, no background", options: [("mode", 1), ("batch", 1), ("include_background", 0)], shape: [2, 3, 2, 3]),
        Family(label: "multiclass soft targets", options: [("mode", 2)], shape: [2, 3, 2, 3]),
    ]

    @Test("gradient with soft targets matches central differences (no ties)", arguments: losses, families)
    func gradient(_ loss: String, _ family: Family) throws {
        var rng = TestRandom(seed: UInt64(loss.count + 7 * family.label.count))
        let n = family.shape.reduce(1, *)
        let probabilities = family.options.contains { $0.0 == "from_logits" }
        let x = probabilities ? rng.probs(n) : rng.logits(n)
        var g = rng.probs(n)
        if family.options.contains(where: { $0.0 == "ignore_index" }) { g[3] = 255 }
        if loss == "dice_bce_loss" && family.options.contains(where: { $0 == ("mode", 2) }) { return }  // binary/multilabel only
        // Compound losses refuse reduction none (their parts differ in shape): sum instead.
        let compound = Self.compounds.contains(loss)
        let options = family.options.map { compound && $0.0 == "reduction" ? ("reduction", 1.0) : $0 }
        let go = options.contains { $0 == ("reduction", 2) } ? rng.logits(4) : nil
        let err = try finiteDifferenceError(loss, options + [("soft_label", 1)], x, g, family.shape, gradOutput: go)
        #expect(err < 1e-6, "\(loss) / \(family.label): \(err)")
    }

    @Test("ties get the half subgradient; squared_pred is rejected; other losses do not take it")
    func edges() throws {
        // p = g = 0.5 on one voxel, D = (2·min + s)/(P + G + s) with TP = 0.5 + 0.2.
        let r = try run("dice_loss", [("from_logits", 0), ("soft_label", 1), ("smooth_nr", 0), ("smooth_dr", 0)],
                        [0.5, 0.2], [0.5, 0.9], [1, 1, 1, 2])
        let u = 0.7 + 1.4, num = 1.4
        #expect(abs(r.value - (1 - num / u)) < 1e-12)
        #expect(abs(r.gradient[0] - (num - 2 * 0.5 * u) / (u * u)) < 1e-12, "half at the tie")
        #expect(abs(r.gradient[1] - (num - 2 * u) / (u * u)) < 1e-12)
        let e = thrownError { _ = try run("dice_loss", [("soft_label", 1), ("squared_pred", 1)], [0, 0], [0, 1], [1, 1, 1, 2]) }
        #expect(e?.argument == "soft_label")
        #expect(thrownError { _ = try run("mcc_loss", [("soft_label", 1)], [0, 0], [0, 1], [1, 1, 1, 2]) }?.argument == "soft_label")
    }
}
