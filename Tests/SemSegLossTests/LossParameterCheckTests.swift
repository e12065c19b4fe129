import Testing
@testable import SemSegLoss

/// `LossCatalog.make` refuses a loss parameter out of its range where it is given
/// (`LossFunction.validate(options:)`), not at the first evaluation (an audit of the Swift
/// API, 2026-12-06: `make("focal_loss", [("gamma", -1)])` succeeded and the first call threw).
@Suite("Loss parameters checked when the loss is built")
struct LossParameterCheckTests {
    /// The numeric options of the Python signatures that take a range.
    static let options = [
        "alpha", "beta", "data_range", "delta", "eps", "epsilon", "erosions", "floor", "gamma", "gamma_ce",
        "gamma_dice", "iterations", "k", "k1", "k2", "kernel_sigma", "kernel_size", "label_smoothing",
        "lambda_bce", "lambda_boundary", "lambda_ce", "lambda_dice", "lambda_focal", "lambda_gdl", "lambda_jaccard",
        "lambda_ssim", "lambda_top_k", "pos_weight", "r", "reduced_threshold", "shape_weight", "sigma", "smooth",
        "smooth_dr", "smooth_nr", "w_ce", "w_dice", "weight", "win_size",
    ]

    /// Logits and a dense target (binary, or one-hot over `channels` classes) of 2 images of 16x16.
    static func problem(channels c: Int) -> (x: [Double], g: [Double], shape: [Int]) {
        let shape = [2, c, 16, 16], n = shape.reduce(1, *), plane = 256
        let x = (0..<n).map { Double(($0 * 37) % 11) / 5 - 1 }
        var g = [Double](repeating: 0, count: n)
        for b in 0..<2 {
            for i in 0..<plane {
                if c == 1 { g[b * plane + i] = i % 3 == 0 ? 1 : 0 } else { g[(b * c + (i * 7) % c) * plane + i] = 1 }
            }
        }
        return (x, g, shape)
    }

    /// For every loss, option and bad value (−1, NaN, ±1e30) that `make` accepts, the
    /// evaluation of that loss on a valid binary and multiclass problem must accept it too:
    /// no range error is left for the first call.
    @Test("no option value that evaluation refuses gets through make")
    func noDeferredRangeErrors() {
        var deferred: [String] = []
        var refusedByMake = 0, evaluated = 0
        for name in LossCatalog.names {
            for option in Self.options {
                for v in [-1.0, .nan, 1e30, -1e30] {
                    guard (try? LossCatalog.make(name, options: [(option, v)])) != nil else {
                        refusedByMake += 1
                        continue
                    }
                    for (mode, c) in [(0.0, 1), (2.0, 3)] {
                        let (x, g, shape) = Self.problem(channels: c)
                        let base: [(String, Double)] = [("mode", mode)]
                        guard (try? LossCatalog.make(name, options: base)(x, g, shape: shape)) != nil else { continue }
                        evaluated += 1
                        do {
                            _ = try LossCatalog.make(name, options: base + [(option, v)])(x, g, shape: shape)
                        } catch {
                            deferred.append("\(name) \(option)=\(v) mode \(mode): \(error)")
                        }
                    }
                }
            }
        }
        #expect(deferred.isEmpty, "\(deferred.joined(separator: "\n"))")
        #expect(refusedByMake > 400, "make refused \(refusedByMake)")
        #expect(evaluated > 100, "evaluated \(evaluated)")
    }

    @Test("examples: the option named, at make")
    func examples() {
        expectError(.value, "gamma") { _ = try LossCatalog.make("focal_loss", options: [("gamma", -1)]) }
        expectError(.value, "smooth_nr") { _ = try LossCatalog.make("dice_ce_loss", options: [("smooth_nr", -1)]) }
        expectError(.value, "pos_weight") { _ = try LossCatalog.make("dice_bce_loss", options: [("pos_weight", 0)]) }
        expectError(.value, "delta") { _ = try LossCatalog.make("unified_focal_loss", options: [("delta", 2)]) }
        expectError(.value, "smooth_dr") {
            _ = try LossCatalog.make("generalized_wasserstein_dice_loss", options: [("mode", 2), ("smooth_dr", .nan)])
        }
        expectError(.value, "smooth") { _ = try LossCatalog.make("soft_cldice_loss", options: [("smooth", 0)]) }
        // A field changed after make is checked again when evaluated.
        var loss = try? LossCatalog.make("soft_cldice_loss")
        if case .regionFamily(.clDice(var cl)) = loss?.function {
            cl.iterations = 5000
            loss?.function = .regionFamily(.clDice(cl))
        }
        let (x, g, shape) = Self.problem(channels: 1)
        expectError(.value, "iterations") { _ = try loss?(x, g, shape: shape) }
    }
}
