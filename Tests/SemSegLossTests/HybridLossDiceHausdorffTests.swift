import Foundation
import Testing
@testable import SemSegLoss

extension HybridLossTests {
    /// dice_hausdorff_dt_loss: Dice + Hausdorff-DT with the Dice weight held at L_HD/L_Dice.
    @Suite("dice_hausdorff_dt_loss (weight held at L_HD/L_Dice)")
    struct DiceHausdorffTests {
        /// The value is λ·Dice + HD with λ = HD/Dice, i.e. 2·HD, and the gradient that of
        /// λ·Dice + HD with λ held constant: checked against the parts and by central
        /// differences of that objective, in every mode.
        @Test("dice_hausdorff_dt_loss: value 2·HD, gradient (HD/Dice)·∇Dice + ∇HD", arguments: families)
        func diceHausdorff(_ f: Family) throws {
            let (x, g) = HybridLossTests.problem(f, seed: UInt64(f.label.count + 3))
            let common = f.options.filter { !["batch", "smooth_nr", "smooth_dr", "empty"].contains($0.0) }
            let regionOnly = f.options.filter { ["batch", "smooth_nr", "smooth_dr", "empty"].contains($0.0) }
            let got = try run("dice_hausdorff_dt_loss", f.options + [("alpha", 1.5)], x, g, f.shape)
            let dice = try run("dice_loss", common + regionOnly, x, g, f.shape)
            let hd = try run("hausdorff_dt_loss", common + [("alpha", 1.5)], x, g, f.shape)
            let lambda = dice.value != 0 ? hd.value / dice.value : 0
            #expect(abs(got.value - (lambda * dice.value + hd.value)) < 1e-12)
            let want = zip(dice.gradient, hd.gradient).map { lambda * $0 + $1 }
            #expect(maxAbsDiff(got.gradient, want) < 1e-12)
            let err = try finiteDifferenceError(x, gradOutput: nil, h: 1e-6) { xs, _ in
                let d = try run("dice_loss", common + regionOnly, xs, g, f.shape)
                let h = try run("hausdorff_dt_loss", common + [("alpha", 1.5)], xs, g, f.shape)
                return LossResult(value: lambda * d.value + h.value, gradient: got.gradient, values: [], valuesShape: [])
            }
            #expect(err < 1e-6, "\(f.label): \(err)")
        }

        @Test("dice_hausdorff_dt_loss with labels (multiclass) and a zero Dice")
        func diceHausdorffEdges() throws {
            var rng = TestRandom(seed: 8)
            let x = rng.logits(72), labels = rng.labels(24, classes: 3)
            let got = try runLabels("dice_hausdorff_dt_loss", [("mode", 2)], x, labels, [2, 3, 3, 4])
            let hd = try runLabels("hausdorff_dt_loss", [("mode", 2)], x, labels, [2, 3, 3, 4])
            #expect(abs(got.value - 2 * hd.value) < 1e-12)
            // A perfect probability prediction: Dice 0, the weight is 0 and so is the loss.
            let perfect = try run("dice_hausdorff_dt_loss", [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)],
                                  [1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 2, 2])
            #expect(perfect.value == 0 && perfect.gradient.allSatisfy(\.isFinite))
        }
    }
}
