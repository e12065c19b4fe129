import Foundation
import Testing
@testable import SemSegLoss

/// Finite-difference gradient checks in Double for every loss of the region family and
/// every option family (modes, activation, reductions, ignore_index, batch, background,
/// 3-D, empty-target policy, the losses' own parameters).
@Suite("Region family gradients")
struct RegionFamilyGradientTests {
    // Own suites: WassersteinDiceTests (multiclass only), SoftClDiceTests (one pooled value).
    static let losses = RegionFamily.names.filter { !["generalized_wasserstein_dice_loss", "soft_cldice_loss", "soft_dice_cldice_loss"].contains($0) }

    struct Family: CustomTestStringConvertible, Sendable {
        var label: String
        var options: [(String, Double)]
        var shape: [Int]
        var labels = false
        var ignore = false
        var emptyImage = false
        var testDescription: String { label }
    }

    static let families: [Family] = [
        Family(label: "binary logits", options: [], shape: [2, 1, 3, 4]),
        Family(label: "binary probabilities", options: [("from_logits", 0)], shape: [2, 1, 3, 4]),
        Family(label: "multilabel", options: [("mode", 1)], shape: [2, 3, 2, 3]),
        Family(label: "multilabel no background, batch", options: [("mode", 1), ("include_background", 0), ("batch", 1)], shape: [2, 3, 2, 3]),
        Family(label: "multilabel ignore_index", options: [("mode", 1), ("ignore_index", 255)], shape: [2, 2, 2, 3], ignore: true),
        Family(label: "reduction none with grad_output", options: [("mode", 1), ("reduction", 2)], shape: [2, 2, 2, 3]),
        Family(label: "reduction sum, 3-D", options: [("reduction", 1)], shape: [2, 1, 2, 2, 3]),
        Family(label: "empty skip with an empty image", options: [("empty", 1)], shape: [2, 1, 2, 3], emptyImage: true),
        Family(label: "empty smooth with an empty image", options: [], shape: [2, 1, 2, 3], emptyImage: true),
        Family(label: "multiclass labels", options: [("mode", 2)], shape: [2, 3, 2, 3], labels: true),
        Family(label: "multiclass labels, ignore, no background", options: [("mode", 2), ("ignore_index", 255), ("include_background", 0)], shape: [2, 3, 2, 3], labels: true, ignore: true),
        Family(label: "multiclass one-hot, batch, none", options: [("mode", 2), ("batch", 1), ("reduction", 2)], shape: [2, 3, 2, 2]),
        Family(label: "multiclass probabilities", options: [("mode", 2), ("from_logits", 0)], shape: [1, 3, 2, 3]),
    ]

    /// The loss's own options, changed from their defaults, per loss.
    static func own(_ loss: String) -> [[(String, Double)]] {
        switch loss {
        case "log_cosh_dice_loss", "log_dice_loss": [[("smooth_nr", 1), ("smooth_dr", 1)], [("squared_pred", 1)]]
        case "sensitivity_specificity_loss": [[("r", 0.3)], [("smooth_dr", 0)]]
        case "generalized_dice_loss": [[("weight_type", 1)], [("weight_type", 2), ("smooth_nr", 0.5), ("smooth_dr", 0.5)]]
        case "penalty_generalized_dice_loss": [[("k", 0.5)], [("k", 10), ("weight_type", 1)]]
        case "mcc_loss": [[("eps", 0)], [("eps", 0.5)]]
        case "asymmetric_similarity_loss": [[("beta", 0.5)], [("beta", 3), ("smooth_nr", 1), ("smooth_dr", 1)]]
        default: []
        }
    }

    @Test("analytic gradient matches central differences", arguments: losses, families)
    func gradient(_ loss: String, _ family: Family) throws {
        var rng = TestRandom(seed: UInt64(loss.count * 31 + family.label.count))
        let shape = family.shape, n = shape.reduce(1, *)
        let spatial = shape[2...].reduce(1, *), classes = shape[1]
        let probabilities = family.options.contains { $0.0 == "from_logits" && $0.1 == 0 }
        let multiclass = family.options.contains { $0.0 == "mode" && $0.1 == 2 }
        var x = probabilities ? rng.probs(n) : rng.logits(n)
        if probabilities && multiclass {  // a softmax per voxel
            for b in 0..<shape[0] {
                for i in 0..<spatial {
                    let idx = (0..<classes).map { (b * classes + $0) * spatial + i }
                    let s = idx.reduce(0) { $0 + x[$1] }
                    for k in idx { x[k] /= s }
                }
            }
        }
        let outCount = try LossCatalog.make(loss, options: family.options).outputShape(input: try TensorShape(shape)).reduce(1, *)
        let w = family.options.contains { $0.0 == "reduction" && $0.1 == 2 } ? rng.logits(outCount) : nil
        for extra in [[]] + Self.own(loss) {
            let options = family.options + extra
            let err: Double
            if family.labels {
                var labels = rng.labels(shape[0] * spatial, classes: classes)
                if family.ignore { labels[1] = 255; labels[4] = 255 }
                err = try finiteDifferenceErrorLabels(loss, options, x, labels, shape, gradOutput: w)
            } else {
                var g = multiclass ? oneHot(rng.labels(shape[0] * spatial, classes: classes), classes: classes, spatial: spatial) : rng.bits(n)
                if family.ignore { g[1] = 255; g[5] = 255 }
                if family.emptyImage { for i in 0..<(n / shape[0]) { g[i] = 0 } }
                err = try finiteDifferenceError(loss, options, x, g, shape, gradOutput: w)
            }
            #expect(err < 1e-6, "\(loss) / \(family.label) / \(extra): \(err)")
        }
    }

    @Test("soft targets", arguments: losses)
    func softTargets(_ loss: String) throws {
        var rng = TestRandom(seed: 17)
        let g = rng.probs(24)
        #expect(try finiteDifferenceError(loss, [("mode", 1)], rng.logits(24), g, [2, 2, 2, 3]) < 1e-6)
        #expect(try finiteDifferenceError(loss, [("mode", 1), ("from_logits", 0)], rng.probs(24), g, [2, 2, 2, 3]) < 1e-6)
    }

    @Test("confident logits of ±30: finite gradients that match central differences", arguments: losses)
    func confident(_ loss: String) throws {
        var rng = TestRandom(seed: 23)
        let x = (0..<12).map { _ in rng.uniform() < 0.5 ? -30.0 : 30.0 }, g = rng.bits(12)
        let r = try run(loss, [], x, g, [1, 1, 3, 4])
        #expect(r.value.isFinite && r.gradient.allSatisfy { $0.isFinite })
        #expect(try finiteDifferenceError(loss, [], x, g, [1, 1, 3, 4]) < 1e-6)
    }
}
