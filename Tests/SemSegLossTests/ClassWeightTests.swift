import Foundation
import Testing
@testable import SemSegLoss

/// Class weights of the overlap losses (`RegionOptions.classWeights`, Python `weight=`,
/// MONAI `DiceLoss(weight=...)`): each (image, class) loss times w_c before the mean over
/// entries; by hand, against the unweighted entries, central differences, and bad values.
@Suite("region losses: class weights")
struct ClassWeightTests {
    static let losses = ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss"]

    static func weights(_ w: [Double]) -> [(String, Double)] {
        w.enumerated().map { ("weight.\($0.offset)", $0.element) }
    }

    @Test("by hand: two channels, Dice 1 − 2·1.6/3.9 and 1 − 2·0.3/1.1, weights 0.5 and 3")
    func byHand() throws {
        let p = [0.9, 0.2, 0.7, 0.1, 0.1, 0.0, 0.2, 0.8], g = [1.0, 0, 1, 0, 0, 0, 0, 1]
        let options: [(String, Double)] = [("from_logits", 0), ("mode", 1), ("smooth_nr", 0), ("smooth_dr", 0)]
        let r = try run("dice_loss", options + Self.weights([0.5, 3]), p, g, [1, 2, 2, 2])
        let d0 = 1 - 3.2 / 3.9, d1 = 1 - 1.6 / 2.1
        #expect(abs(r.value - (0.5 * d0 + 3 * d1) / 2) < 1e-14, "\(r.value)")
    }

    @Test("weighted entries are w_c times the unweighted ones (mean, sum, none; batch; multiclass)",
          arguments: losses)
    func againstUnweighted(_ loss: String) throws {
        var rng = TestRandom(seed: UInt64(loss.count))
        let shape = [2, 3, 5, 6], n = shape.reduce(1, *)
        let x = rng.logits(n), g = rng.bits(n, p: 0.4)
        let w = [0.25, 1.5, 0]
        for extra in [[("mode", 1.0)], [("mode", 1.0), ("batch", 1.0)], [("mode", 1.0), ("soft_label", 1.0)]] {
            let plain = try run(loss, extra + [("reduction", 2)], x, g, shape).values
            let channels = extra.contains { $0.0 == "batch" } ? (0..<3).map { $0 } : (0..<6).map { $0 % 3 }
            let weighted = try run(loss, extra + [("reduction", 2)] + Self.weights(w), x, g, shape).values
            #expect(maxAbsDiff(weighted, zip(plain, channels).map { $0 * w[$1] }) < 1e-15, "\(loss) \(extra)")
            let mean = try run(loss, extra + Self.weights(w), x, g, shape).value
            #expect(abs(mean - zip(plain, channels).map { $0 * w[$1] }.reduce(0, +) / Double(plain.count)) < 1e-14)
        }
        // Multiclass with a label map, background dropped: weights index the channels.
        let labels = (0..<(2 * 30)).map { _ in Int64(rng.next() % 3) }
        let mc: [(String, Double)] = [("mode", 2), ("include_background", 0), ("reduction", 2)]
        let plain = try runLabels(loss, mc, x, labels, shape).values
        let weighted = try runLabels(loss, mc + Self.weights(w), x, labels, shape).values
        #expect(maxAbsDiff(weighted, plain.enumerated().map { $0.element * w[1 + $0.offset % 2] }) < 1e-15)
    }

    @Test("all weights 1 change nothing, bit for bit")
    func unitWeights() throws {
        var rng = TestRandom(seed: 4)
        let x = rng.logits(2 * 2 * 30), g = rng.bits(2 * 2 * 30)
        for loss in Self.losses {
            let a = try run(loss, [("mode", 1)], x, g, [2, 2, 5, 6])
            let b = try run(loss, [("mode", 1)] + Self.weights([1, 1]), x, g, [2, 2, 5, 6])
            #expect(a.value == b.value && a.gradient == b.gradient, "\(loss)")
        }
    }

    @Test("central differences (Double), with an empty class under penalize_fp", arguments: losses)
    func gradient(_ loss: String) throws {
        var rng = TestRandom(seed: 17)
        let shape = [2, 3, 4, 5], n = shape.reduce(1, *)
        let x = rng.logits(n)
        var g = rng.bits(n, p: 0.4)
        for i in 40..<60 { g[i] = 0 }  // image 0, class 2: empty target
        for empty in [0.0, 2.0] {
            let options = [("mode", 1.0), ("empty", empty)] + Self.weights([0.3, 2, 1.25])
            let err = try finiteDifferenceError(loss, options, x, g, shape)
            #expect(err < 1e-6, "\(loss) empty=\(empty): \(err)")
        }
        let labels = (0..<(2 * 20)).map { _ in Int64(rng.next() % 3) }
        let err = try finiteDifferenceErrorLabels(loss, [("mode", 2)] + Self.weights([0.3, 2, 1.25]), x, labels, shape)
        #expect(err < 1e-6, "\(loss) multiclass: \(err)")
    }

    @Test("bad weights name the argument; other region losses refuse them")
    func errors() {
        let x = [Double](repeating: 0.5, count: 8), g = [1.0, 0, 1, 0, 0, 1, 0, 1]
        for bad in [[1.0], [1, 1, 1], [1, -0.5], [1, .infinity]] {
            for loss in Self.losses {
                #expect(thrownError { _ = try run(loss, [("mode", 1)] + Self.weights(bad), x, g, [1, 2, 2, 2]) }?
                    .argument == "weight", "\(loss) \(bad)")
            }
        }
        let gdl = GeneralizedDiceLoss(region: RegionOptions(classWeights: [1, 2]))
        #expect(thrownError { try gdl.validate() }?.argument == "weight")
    }
}
