import Foundation
import Testing
@testable import SemSegLoss

/// The `normalize_map` option of the boundary loss (`BoundaryMapNormalization`): φ divided
/// by its largest |φ| per (image, class), or by the image diagonal; checked by hand, per
/// map, with spacing, in multiclass mode, by central differences, and for bad codes.
@Suite("boundary loss: normalised distance maps")
struct BoundaryMapNormalizationTests {
    static let none = 0.0, maximum = 1.0, diagonal = 2.0
    static let p = [0.9, 0.8, 0.7, 0.2, 0.1], g = [1.0, 1, 1, 0, 0]

    @Test("by hand on a row of 5: phi = (-2, -1, 0, 1, 2), max |phi| = 2, diagonal = sqrt(26)")
    func byHand() throws {
        let phi = [-2.0, -1, 0, 1, 2]
        let plain = try run("boundary_loss", [("from_logits", 0)], Self.p, Self.g, [1, 1, 1, 5])
        #expect(abs(plain.value - (-0.44)) < 1e-12)
        for (code, scale) in [(Self.none, 1.0), (Self.maximum, 2.0), (Self.diagonal, sqrt(26.0))] {
            let r = try run("boundary_loss", [("from_logits", 0), ("normalize_map", code)], Self.p, Self.g, [1, 1, 1, 5])
            #expect(abs(r.value - (-0.44) / scale) < 1e-12, "code \(code): \(r.value)")
            #expect(maxAbsDiff(r.gradient, phi.map { $0 / (5 * scale) }) < 1e-12, "code \(code): \(r.gradient)")
        }
    }

    @Test("max: each (image, class) map by its own largest |phi|; an empty map stays 0")
    func perMap() throws {
        // Image 0: the row above (max |phi| = 2). Image 1: one object voxel at the left end,
        // phi = (0, 1, 2, 3, 4) (max 4). Image 2: empty target, phi = 0.
        let p = Self.p + Self.p + Self.p
        let g = Self.g + [1, 0, 0, 0, 0] + [0, 0, 0, 0, 0]
        let r = try run("boundary_loss", [("from_logits", 0), ("normalize_map", Self.maximum), ("reduction", 2)],
                        p, g, [3, 1, 1, 5])
        let expected = [-2.0, -1, 0, 1, 2].map { $0 / 2 } + [0.0, 1, 2, 3, 4].map { $0 / 4 } + [0, 0, 0, 0, 0]
        #expect(maxAbsDiff(r.gradient, expected) < 1e-12, "\(r.gradient)")
        #expect(maxAbsDiff(r.values, zip(p, expected).map { $0 * $1 }) < 1e-12)
    }

    @Test("diagonal uses the spacing: sqrt((1*7)^2 + (5*2)^2) with voxels 7 x 2")
    func diagonalWithSpacing() throws {
        let options = [("from_logits", 0.0), ("spacing.0", 7), ("spacing.1", 2)]
        let plain = try run("boundary_loss", options, Self.p, Self.g, [1, 1, 1, 5])
        let scaled = try run("boundary_loss", options + [("normalize_map", Self.diagonal)], Self.p, Self.g, [1, 1, 1, 5])
        let d = sqrt(49.0 + 100)
        #expect(abs(scaled.value - plain.value / d) < 1e-12)
        #expect(maxAbsDiff(scaled.gradient, plain.gradient.map { $0 / d }) < 1e-12)
    }

    @Test("central differences (Double), 2-D, 3-D, multiclass and the Dice + boundary hybrid",
          arguments: [Self.maximum, Self.diagonal])
    func gradient(_ code: Double) throws {
        var rng = TestRandom(seed: UInt64(code * 10))
        for (loss, shape) in [("boundary_loss", [2, 2, 5, 6]), ("boundary_loss", [1, 1, 3, 4, 5]),
                              ("dice_boundary_loss", [2, 1, 5, 6])] {
            let n = shape.reduce(1, *)
            let x = rng.logits(n, scale: 2), g = rng.bits(n)
            let err = try finiteDifferenceError(loss, [("normalize_map", code), ("mode", 1)], x, g, shape)
            #expect(err < 1e-6, "\(loss) \(shape): \(err)")
        }
        let x = rng.logits(2 * 3 * 5 * 6, scale: 2)
        let labels = (0..<(2 * 5 * 6)).map { _ in Int64(rng.next() % 3) }
        let err = try finiteDifferenceErrorLabels(
            "boundary_loss", [("mode", 2), ("normalize_map", code), ("include_background", 0)], x, labels, [2, 3, 5, 6])
        #expect(err < 1e-6, "multiclass: \(err)")
    }

    @Test("Float agrees with Double")
    func float() throws {
        var rng = TestRandom(seed: 9)
        let x = rng.logits(2 * 7 * 9, scale: 3), g = rng.bits(2 * 7 * 9)
        for code in [Self.maximum, Self.diagonal] {
            let d = try run("boundary_loss", [("normalize_map", code)], x, g, [2, 1, 7, 9])
            let f = try runFloat("boundary_loss", [("normalize_map", code)], x, g, [2, 1, 7, 9])
            #expect(abs(Double(f.value) - d.value) < 1e-6, "\(code)")
            #expect(maxAbsDiff(f.gradient.map(Double.init), d.gradient) < 1e-7)
        }
    }

    @Test("unknown code names the option", arguments: [3.0, -1, 0.5])
    func badCode(_ code: Double) {
        for loss in ["boundary_loss", "dice_boundary_loss"] {
            #expect(thrownError { _ = try run(loss, [("normalize_map", code)], [1, -1, 2, -2], [1, 0, 1, 0], [1, 1, 2, 2]) }?
                .argument == "normalize_map", "\(loss) \(code)")
        }
    }
}
