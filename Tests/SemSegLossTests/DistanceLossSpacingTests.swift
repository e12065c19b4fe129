import Foundation
import Testing
@testable import SemSegLoss

/// The `spacing` option of the distance-map losses: distances in physical units (BL's
/// `resolution`), checked by hand, against uniform scaling, by central differences, and
/// for bad values.
@Suite("distance-map losses with anisotropic spacing")
struct DistanceLossSpacingTests {
    static func spacing(_ s: [Double]) -> [(String, Double)] {
        s.enumerated().map { ("spacing.\($0.offset)", $0.element) }
    }

    @Test("boundary loss by hand: phi = (-5, -3, -1, 2, 4) with voxels 2 wide")
    func boundaryByHand() throws {
        // Row of 5 (the first spatial axis has size 1, so its spacing does not matter):
        // outside 2·EDT(¬G) = (2, 4); inside −(2·EDT(G) − 1) = (−5, −3, −1).
        let p = [0.9, 0.8, 0.7, 0.2, 0.1], g = [1.0, 1, 1, 0, 0]
        let r = try run("boundary_loss", [("from_logits", 0)] + Self.spacing([7, 2]), p, g, [1, 1, 1, 5])
        #expect(abs(r.value - (-4.5 - 2.4 - 0.7 + 0.4 + 0.4) / 5) < 1e-12, "\(r.value)")
        #expect(maxAbsDiff(r.gradient, [-5, -3, -1, 2, 4].map { $0 / 5 }) < 1e-12, "\(r.gradient)")
    }

    @Test("uniform spacing s scales the Hausdorff-DT weights by s^alpha",
          arguments: ["hausdorff_dt_loss", "dice_hausdorff_dt_loss"])
    func uniformScaling(_ loss: String) throws {
        var rng = TestRandom(seed: 31)
        let x = rng.logits(2 * 7 * 6, scale: 2), g = rng.bits(2 * 7 * 6)
        let unit = try run(loss, [("alpha", 1.5)], x, g, [2, 1, 7, 6])
        let scaled = try run(loss, [("alpha", 1.5)] + Self.spacing([3, 3]), x, g, [2, 1, 7, 6])
        #expect(abs(scaled.value - pow(3, 1.5) * unit.value) < 1e-10 * abs(scaled.value))
    }

    static let losses = [
        "hausdorff_dt_loss", "log_hausdorff_dt_loss", "boundary_loss", "distance_penalized_ce_loss",
        "shape_aware_loss", "distance_weighted_dice_loss", "dice_boundary_loss", "dice_hausdorff_dt_loss",
    ]

    @Test("anisotropic 3-D: gradient matches central differences (Double); unit spacing is the default",
          arguments: losses)
    func gradient(_ loss: String) throws {
        var rng = TestRandom(seed: UInt64(loss.count))
        let shape = [2, 1, 3, 4, 5], n = shape.reduce(1, *)
        let x = rng.logits(n, scale: 2), g = rng.bits(n)
        let options = Self.spacing([2.5, 1, 0.6])
        if loss != "dice_hausdorff_dt_loss" {  // its balance weight is detached: not a derivative
            let err = try finiteDifferenceError(loss, options, x, g, shape)
            #expect(err < 1e-6, "\(loss): \(err)")
        }
        let unit = try run(loss, Self.spacing([1, 1, 1]), x, g, shape), plain = try run(loss, [], x, g, shape)
        #expect(unit.value == plain.value && unit.gradient == plain.gradient)
        let aniso = try run(loss, options, x, g, shape)
        #expect(aniso.value.isFinite && aniso.gradient.allSatisfy(\.isFinite))
    }

    @Test("bad spacing names the argument", arguments: [[1.0], [1, 2, 3], [1, -2], [0, 1], [.nan, 1], [.infinity, 1]])
    func badSpacing(_ s: [Double]) {
        for loss in Self.losses {
            #expect(thrownError { _ = try run(loss, Self.spacing(s), [1, -1, 2, -2], [1, 0, 1, 0], [1, 1, 2, 2]) }?.argument
                    == "spacing", "\(loss) \(s)")
        }
    }
}
