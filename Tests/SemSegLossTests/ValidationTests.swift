import Foundation
import Testing
@testable import SemSegLoss

/// Bad shapes, values and options are errors naming the argument (never traps).
@Suite("Validation")
struct ValidationTests {
    @Test("shapes")
    func shapes() {
        expectError(.shape, "input") { _ = try TensorShape([2, 3]) }
        expectError(.shape, "input") { _ = try TensorShape([1, 1, 2, 2, 2, 2]) }
        expectError(.shape, "input") { _ = try TensorShape([0, 1, 4, 4]) }
        expectError(.shape, "input") { _ = try TensorShape([-1, 1, 4, 4]) }
        expectError(.shape, "input") { _ = try TensorShape([Int.max / 2, 4, 4, 4]) }
        expectError(.shape, "target") { _ = try run("dice_loss", [], [1, 2, 3, 4], [1, 0, 1], [1, 1, 2, 2]) }
        expectError(.shape, "input") { _ = try run("dice_loss", [], [1, 2, 3, 4], [1, 0, 1, 0], [1, 2, 2, 1]) }
        expectError(.shape, "input") { _ = try run("dice_loss", [("mode", 2)], [1, 2, 3, 4], [1, 0, 1, 0], [1, 1, 2, 2]) }
    }

    /// A mask (N, *spatial) for a one-channel input (N, 1, *spatial) is told how to add the
    /// axis; other mismatches are not.
    @Test("target without the channel axis gets the remedy")
    func missingChannelAxis() throws {
        let input = try TensorShape([2, 1, 3, 4])
        let hint = "target[:, None]"
        #expect(input.targetMismatch(try TensorShape([2, 3, 4])).message.contains(hint))
        #expect(!input.targetMismatch(try TensorShape([2, 1, 3, 5])).message.contains(hint))
        #expect(!input.targetMismatch(try TensorShape([2, 4, 3])).message.contains(hint))
        #expect(!(try TensorShape([2, 2, 3, 4])).targetMismatch(try TensorShape([2, 3, 4])).message.contains(hint))
        let volume = try TensorShape([1, 1, 2, 3, 4])
        #expect(volume.targetMismatch(try TensorShape([1, 2, 3, 4])).message.contains(hint))
        do {
            _ = try run("dice_loss", [], [1, 2, 3, 4, 5, 6], [1, 0, 1, 0, 1, 0], [1, 3, 2])
            Issue.record("expected an input error")
        } catch let e as SegLossError {
            #expect(e.argument == "input" && e.message.contains("input[:, None]"), "\(e)")
        }
    }

    // ssim_loss needs images of at least its window (11): its NaN/range checks are in SSIMTests.swift;
    // the multiclass-only generalized_wasserstein_dice_loss has them in WassersteinDiceTests.swift.
    @Test("values: NaN/inf input, out-of-range target and probabilities",
          arguments: LossCatalog.names.filter { !["ssim_loss", "generalized_wasserstein_dice_loss"].contains($0) })
    func values(_ loss: String) {
        expectError(.value, "input") { _ = try run(loss, [], [1, .nan, 3, 4], [1, 0, 1, 0], [1, 1, 2, 2]) }
        expectError(.value, "input") { _ = try run(loss, [], [1, .infinity, 3, 4], [1, 0, 1, 0], [1, 1, 2, 2]) }
        expectError(.value, "input") { _ = try runFloat(loss, [], [1, -.infinity, 3, 4], [1, 0, 1, 0], [1, 1, 2, 2]) }
        expectError(.value, "target") { _ = try run(loss, [], [1, 2, 3, 4], [1, 0, 255, 0], [1, 1, 2, 2]) }
        expectError(.value, "target") { _ = try run(loss, [], [1, 2, 3, 4], [1, .nan, 1, 0], [1, 1, 2, 2]) }
        expectError(.value, "target") { _ = try run(loss, [], [1, 2, 3, 4], [1, -0.5, 1, 0], [1, 1, 2, 2]) }
        expectError(.value, "input") { _ = try run(loss, [("from_logits", 0)], [0.5, 1.5, 0.3, 0.1], [1, 0, 1, 0], [1, 1, 2, 2]) }
    }

    @Test("options")
    func options() {
        expectError(.option, "gama") { _ = try LossCatalog.make("focal_loss", options: [("gama", 2)]) }
        expectError(.option, "loss") { _ = try LossCatalog.make("dice") }
        expectError(.option, "mode") { _ = try LossCatalog.make("dice_loss", options: [("mode", 7)]) }
        expectError(.option, "reduction") { _ = try LossCatalog.make("dice_loss", options: [("reduction", 0.5)]) }
        expectError(.option, "smooth_nr") { _ = try LossCatalog.make("dice_loss", options: [("smooth_nr", 1), ("smooth_nr", 2)]) }
        expectError(.value, "batch") { _ = try LossCatalog.make("dice_loss", options: [("batch", 2)]) }
        expectError(.value, "smooth_nr") { _ = try run("dice_loss", [("smooth_nr", -1)], [1], [1], [1, 1, 1]) }
        expectError(.value, "smooth_dr") { _ = try run("dice_loss", [("smooth_dr", .infinity)], [1], [1], [1, 1, 1]) }
        expectError(.value, "alpha") { _ = try run("focal_loss", [("alpha", 1.5)], [1], [1], [1, 1, 1]) }
        expectError(.value, "gamma") { _ = try run("focal_loss", [("gamma", -1)], [1], [1], [1, 1, 1]) }
        expectError(.value, "pos_weight") { _ = try run("bce_loss", [("pos_weight", 0)], [1], [1], [1, 1, 1]) }
        expectError(.value, "alpha") { _ = try run("tversky_loss", [("alpha", -0.1)], [1], [1], [1, 1, 1]) }
        expectError(.value, "floor") { _ = try run("focal_tversky_loss", [("floor", 0)], [1], [1], [1, 1, 1]) }
        expectError(.value, "lambda_dice") { _ = try run("dice_bce_loss", [("lambda_dice", -1)], [1], [1], [1, 1, 1]) }
        expectError(.option, "reduction") { _ = try run("dice_bce_loss", [("reduction", 2)], [1], [1], [1, 1, 1]) }
        expectError(.option, "include_background") { _ = try run("dice_loss", [("include_background", 0)], [1], [1], [1, 1, 1]) }
        expectError(.value, "ignore_index") { _ = try run("dice_loss", [("ignore_index", .infinity)], [1], [1], [1, 1, 1]) }
        expectError(.value, "grad_output") {
            _ = try run("bce_loss", [("reduction", 2)], [1, 2], [1, 0], [1, 1, 2], gradOutput: [1, .nan])
        }
    }

    @Test("metric options")
    func metricOptions() {
        expectError(.option, "metric") { _ = try MetricCatalog.make("ioU") }
        expectError(.value, "beta") { _ = try MetricCatalog.make("f_beta", options: [("beta", 0)]) }
        expectError(.option, "beta") { _ = try MetricCatalog.make("iou", options: [("beta", 2)]) }
        expectError(.value, "threshold") {
            let m = try MetricCatalog.make("iou", options: [("threshold", 1)])
            let shape = try TensorShape([1, 1, 1])
            _ = try [0.5].withTensorView(shape: shape, argument: "input") { x throws(SegLossError) in
                try [1.0].withTensorView(shape: shape, argument: "target") { t throws(SegLossError) in try m.evaluate(input: x, target: t) }
            }
        }
    }

    /// The kernels count suspect values with a bit-pattern test that also flags −0 and then
    /// re-check exactly: −0 targets and probabilities are valid, NaN/±inf logits are not,
    /// whichever block of a row they fall in.
    @Test("negative zero is valid; non-finite logits are found in any block", arguments: coreLossNames)
    func negativeZeroAndNonFinite(_ loss: String) throws {
        let n = 5000, shape = [2, 1, 50, 50]
        var rng = TestRandom(seed: 9)
        let x = rng.logits(n)
        let g = rng.bits(n)
        let signed = g.map { $0 == 0 ? -0.0 : $0 }
        let a = try runFloat(loss, [], x, g, shape), b = try runFloat(loss, [], x, signed, shape)
        #expect(a.value == b.value && a.gradient == b.gradient)
        let p = x.map { 1 / (1 + exp(-$0)) }.map { $0 < 0.5 ? -0.0 : $0 }
        #expect(try runFloat(loss, [("from_logits", 0)], p, g, shape).value.isFinite)
        for bad in [Double.nan, .infinity, -.infinity] {
            for at in [0, 1023, 1024, 2500, n - 1] {
                var y = x
                y[at] = bad
                expectError(.value, "input") { _ = try runFloat(loss, [], y, g, shape) }
            }
        }
        // Targets outside [0, 1] (the region kernel folds its check into a running maximum
        // of bit patterns per block): found wherever they fall.
        for bad in [Double.nan, .infinity, -.infinity, 2, -1, 1.0000001, -1e-30] {
            for at in [0, 1023, 1024, 2500, n - 1] {
                var h = g
                h[at] = bad
                expectError(.value, "target") { _ = try runFloat(loss, [], x, h, shape) }
            }
        }
    }
}
