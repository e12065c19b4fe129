import Foundation
import Testing
@testable import SemSegLoss

/// The distance-map losses (issue 4). Their maps depend on the spatial layout and they take
/// no region options, so the generic loss suites (which reshape images and pass Dice
/// options) run over `coreLossNames`; everything they check is checked here instead.
let distanceLossNames: Set<String> = [
    "hausdorff_dt_loss", "log_hausdorff_dt_loss", "boundary_loss", "distance_penalized_ce_loss",
    "shape_aware_loss",
]

/// The foundation's losses (family losses have suites of their own).
let coreLossNames = LossCatalog.coreNames

// MARK: - Oracles (brute force, for small images)

enum DistanceLossOracle {
    /// Two-sided field of one row: distance to the nearest voxel of the other class, 0 if none.
    static func twoSided(_ mask: [Bool], _ spatial: [Int]) -> [Double] {
        let inside = DistanceReference.bruteForceEDT(mask, spatial, spatial.map { _ in 1 })
        let outside = DistanceReference.bruteForceEDT(mask.map { !$0 }, spatial, spatial.map { _ in 1 })
        return zip(inside, outside).map { a, b in
            let s = a + b
            return s.isFinite ? s : 0
        }
    }

    static func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    /// Hausdorff-DT loss (mean) of a binary/multilabel batch, probabilities or logits.
    static func hausdorff(_ x: [Double], _ g: [Double], _ shape: [Int], logits: Bool, alpha: Double = 2) -> Double {
        let spatial = Array(shape[2...]), n = spatial.reduce(1, *)
        var total = 0.0
        for r in 0..<(shape[0] * shape[1]) {
            let xs = Array(x[(r * n)..<((r + 1) * n)]), gs = Array(g[(r * n)..<((r + 1) * n)])
            let p = logits ? xs.map(sigmoid) : xs
            let dp = twoSided(p.map { $0 > 0.5 }, spatial), dg = twoSided(gs.map { $0 > 0.5 }, spatial)
            for i in 0..<n {
                total += (p[i] - gs[i]) * (p[i] - gs[i]) * (pow(dp[i], alpha) + pow(dg[i], alpha))
            }
        }
        return total / Double(x.count)
    }
}

// MARK: - Tests

@Suite("Distance-map losses")
struct DistanceLossTests {
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
        Family(label: "binary logits", options: [:], shape: [2, 1, 5, 6]),
        Family(label: "binary probabilities", options: ["from_logits": 0], shape: [2, 1, 4, 5], probabilities: true),
        Family(label: "multilabel", options: ["mode": 1], shape: [2, 3, 4, 4]),
        Family(label: "multilabel no background", options: ["mode": 1, "include_background": 0], shape: [2, 3, 4, 3]),
        Family(label: "ignore_index", options: ["mode": 1, "ignore_index": 255], shape: [2, 2, 4, 4], ignore: true),
        Family(label: "reduction sum", options: ["reduction": 1], shape: [3, 1, 3, 4]),
        Family(label: "reduction none with grad_output", options: ["mode": 1, "reduction": 2], shape: [2, 2, 3, 4], gradOutput: true),
        Family(label: "3-D spatial", options: [:], shape: [1, 1, 3, 4, 4]),
        Family(label: "1-D spatial", options: ["mode": 1], shape: [1, 2, 9]),
        Family(label: "alpha 1.5 / shape weight 0.3", options: ["mode": 1], shape: [1, 2, 5, 5]),
    ]

    static let names = LossCatalog.names.filter { distanceLossNames.contains($0) }

    @Test("analytic gradient matches central differences", arguments: names, families)
    func gradient(_ loss: String, _ family: Family) throws {
        if family.gradOutput && loss == "log_hausdorff_dt_loss" { return }  // no reduction none
        var rng = TestRandom(seed: UInt64(loss.utf8.count * 131 + family.label.utf8.count))
        let n = family.shape.reduce(1, *)
        let x = family.probabilities ? rng.probs(n) : rng.logits(n)
        var g = rng.bits(n)
        if family.ignore { for i in stride(from: 0, to: n, by: 5) { g[i] = 255 } }
        var options = family.options.map { ($0.key, $0.value) }
        if family.label.hasPrefix("alpha") {
            if loss.contains("hausdorff") { options.append(("alpha", 1.5)) }
            if loss == "shape_aware_loss" { options.append(("shape_weight", 0.3)) }
        }
        let configured = try LossCatalog.make(loss, options: options)
        let outCount = configured.outputShape(input: try TensorShape(family.shape)).reduce(1, *)
        let w = family.gradOutput ? rng.logits(outCount) : nil
        let err = try finiteDifferenceError(loss, options, x, g, family.shape, gradOutput: w)
        #expect(err < 1e-6, "\(loss) / \(family.label): relative error \(err)")
    }

    @Test("soft targets", arguments: names)
    func softTargets(_ loss: String) throws {
        var rng = TestRandom(seed: 13)
        let err = try finiteDifferenceError(loss, [("mode", 1)], rng.logits(32), (0..<32).map { _ in rng.uniform() }, [2, 2, 2, 4])
        #expect(err < 1e-6)
    }

    // MARK: Known values (the same numbers are the doctests of the Python functions)

    struct Known: Sendable, CustomTestStringConvertible {
        var loss: String, options: [String: Double], shape: [Int], x: [Double], g: [Double]
        var value: Double, grad: [Double]
        var testDescription: String { loss }
    }

    static let known: [Known] = {
        let p = [0.9, 0.2, 0.2, 0.6], g = [1.0, 1, 0, 0]
        let shapeGrad = zip(p, g).map { p, g in 2 * (-g / p + (1 - g) / (1 - p)) / 4 }
        let shapeValue = zip(p, g).map { p, g in -2 * (g * log(p) + (1 - g) * log(1 - p)) }.reduce(0, +) / 4
        return [
            // maps [2, 1, 1, 2] for target and prediction: ℓ = (p − g)²·2d², ∂ = (p − g)·d²
            Known(loss: "hausdorff_dt_loss", options: ["from_logits": 0], shape: [1, 1, 1, 4],
                  x: [0.9, 0.6, 0.2, 0.1], g: [1, 1, 0, 0], value: 0.14, grad: [-0.4, -0.4, 0.2, 0.4]),
            Known(loss: "log_hausdorff_dt_loss", options: ["from_logits": 0], shape: [1, 1, 1, 4],
                  x: [0.9, 0.6, 0.2, 0.1], g: [1, 1, 0, 0], value: log(1.14),
                  grad: [-0.4, -0.4, 0.2, 0.4].map { $0 / 1.14 }),
            // φ = [−2, −1, 0, 1, 2]: negative by design
            Known(loss: "boundary_loss", options: ["from_logits": 0], shape: [1, 1, 1, 5],
                  x: [0.9, 0.8, 0.7, 0.2, 0.1], g: [1, 1, 1, 0, 0], value: -0.44, grad: [-0.4, -0.2, 0, 0.2, 0.4]),
            // Φ inside [0, 1], outside [1, 0]: weights [1, 2, 2, 1]; BCE(0) = log 2, ∂ = w(½ − g)/4
            Known(loss: "distance_penalized_ce_loss", options: [:], shape: [1, 1, 1, 4],
                  x: [0, 0, 0, 0], g: [1, 1, 0, 0], value: 1.5 * log(2), grad: [-0.125, -0.25, 0.25, 0.125]),
            // contours {0, 3} → target contour {0, 1}: E = (0 + 2)/2 = 1, weight 2
            Known(loss: "shape_aware_loss", options: ["from_logits": 0], shape: [1, 1, 1, 4],
                  x: p, g: g, value: shapeValue, grad: shapeGrad),
        ]
    }()

    @Test("hand-computed values and gradients", arguments: known)
    func knownValues(_ k: Known) throws {
        let r = try run(k.loss, k.options.map { ($0.key, $0.value) }, k.x, k.g, k.shape)
        #expect(abs(r.value - k.value) < 1e-12, "\(k.loss): \(r.value) vs \(k.value)")
        #expect(maxAbsDiff(r.gradient, k.grad) < 1e-12, "\(k.loss): \(r.gradient) vs \(k.grad)")
        let f = try runFloat(k.loss, k.options.map { ($0.key, $0.value) }, k.x, k.g, k.shape)
        #expect(abs(f.value - k.value) < 1e-6)
    }

    @Test("Hausdorff-DT equals a brute-force oracle in 2-D and 3-D, logits and probabilities")
    func hausdorffOracle() throws {
        var rng = TestRandom(seed: 77)
        for shape in [[2, 1, 6, 7], [1, 2, 3, 4, 5], [2, 1, 11]] {
            let n = shape.reduce(1, *)
            let x = rng.logits(n), g = rng.bits(n, p: 0.4)
            let mode: Double = shape[1] > 1 ? 1 : 0
            let got = try run("hausdorff_dt_loss", [("mode", mode)], x, g, shape).value
            #expect(abs(got - DistanceLossOracle.hausdorff(x, g, shape, logits: true)) < 1e-10)
            let p = x.map(DistanceLossOracle.sigmoid)
            let got2 = try run("hausdorff_dt_loss", [("mode", mode), ("from_logits", 0), ("alpha", 1.5)], p, g, shape).value
            #expect(abs(got2 - DistanceLossOracle.hausdorff(p, g, shape, logits: false, alpha: 1.5)) < 1e-10)
        }
    }

    @Test("boundary loss equals Σ p·φ with φ from SignedDistance")
    func boundaryMatchesSignedDistance() throws {
        var rng = TestRandom(seed: 5)
        let spatial = [7, 9], n = 63
        let x = rng.probs(n), g = rng.bits(n, p: 0.3)
        let phi = try SignedDistance.compute(g.map { $0 > 0.5 }, spatial: spatial)
        let want = zip(x, phi).map(*).reduce(0, +) / Double(n)
        let got = try run("boundary_loss", [("from_logits", 0)], x, g, [1, 1] + spatial)
        #expect(abs(got.value - want) < 1e-12)
        #expect(maxAbsDiff(got.gradient, phi.map { $0 / Double(n) }) < 1e-12)
    }

    // MARK: Edge cases

    @Test("all voxels ignored: loss 0 and zero gradient", arguments: names)
    func allIgnored(_ loss: String) throws {
        let r = try run(loss, [("ignore_index", 255)], [0.3, -1, 2, 0.5], [255, 255, 255, 255], [1, 1, 2, 2])
        #expect(r.value == 0)
        #expect(r.gradient.allSatisfy { $0 == 0 })
    }

    @Test("empty and full masks: no boundary, maps 0; cross-entropy losses reduce to BCE", arguments: names)
    func degenerate(_ loss: String) throws {
        for (x, g) in [([-3.0, -2, -4, -1], [0.0, 0, 0, 0]), ([3.0, 2, 4, 1], [1.0, 1, 1, 1])] {
            let r = try run(loss, [], x, g, [1, 1, 2, 2])
            let bce = try run("bce_loss", [], x, g, [1, 1, 2, 2])
            if loss.contains("ce_loss") || loss == "shape_aware_loss" {
                #expect(abs(r.value - bce.value) < 1e-12)
                #expect(maxAbsDiff(r.gradient, bce.gradient) < 1e-12)
            } else {
                #expect(r.value == 0 && r.gradient.allSatisfy { $0 == 0 }, "\(loss): \(r.value)")
            }
        }
    }

    @Test("1x1 image and logits of ±30: finite in Float and Double", arguments: names)
    func tinyAndConfident(_ loss: String) throws {
        let one = try run(loss, [], [0.7], [1], [1, 1, 1, 1])
        #expect(one.value.isFinite && one.gradient.allSatisfy(\.isFinite))
        let g: [Double] = [1, 0, 1, 0, 0, 0]
        for x in [[30.0, -30, 30, -30, -30, -30], [-30.0, 30, -30, 30, 30, 30]] {
            let d = try run(loss, [], x, g, [1, 1, 2, 3]), f = try runFloat(loss, [], x, g, [1, 1, 2, 3])
            #expect(d.value.isFinite && d.gradient.allSatisfy(\.isFinite))
            #expect(f.value.isFinite && f.gradient.allSatisfy(\.isFinite))
        }
        let right = try run(loss, [], [30, -30, 30, -30, -30, -30], g, [1, 1, 2, 3])
        let wrong = try run(loss, [], [-30, 30, -30, 30, 30, 30], g, [1, 1, 2, 3])
        #expect(right.value < wrong.value)
        if loss != "boundary_loss" { #expect(right.value < 1e-4) }
    }

    @Test("Float and Double agree", arguments: names)
    func floatDouble(_ loss: String) throws {
        var rng = TestRandom(seed: 21)
        let n = 2 * 2 * 17 * 9
        let x = rng.logits(n), g = rng.bits(n)
        let d = try run(loss, [("mode", 1)], x, g, [2, 2, 17, 9])
        let f = try runFloat(loss, [("mode", 1)], x, g, [2, 2, 17, 9])
        #expect(abs(d.value - f.value) <= 1e-5 * max(1, abs(d.value)))
        let scale = d.gradient.map(abs).max() ?? 1
        #expect(maxAbsDiff(d.gradient, f.gradient.map(Double.init)) <= 1e-5 * scale)
    }

    @Test("mean × valid voxels = sum = Σ none; large batch is deterministic", arguments: names)
    func reductions(_ loss: String) throws {
        if loss == "log_hausdorff_dt_loss" { return }
        var rng = TestRandom(seed: 2)
        let shape = [2, 2, 6, 5], n = 120
        let x = rng.logits(n)
        var g = rng.bits(n)
        for i in stride(from: 0, to: n, by: 7) { g[i] = 255 }
        let valid = Double(g.filter { $0 != 255 }.count)
        let base: [(String, Double)] = [("mode", 1), ("ignore_index", 255)]
        let mean = try run(loss, base, x, g, shape)
        let sum = try run(loss, base + [("reduction", 1)], x, g, shape)
        let none = try run(loss, base + [("reduction", 2)], x, g, shape)
        #expect(abs(mean.value * valid - sum.value) < 1e-9 * max(1, abs(sum.value)))
        #expect(abs(none.values.reduce(0, +) - sum.value) < 1e-9 * max(1, abs(sum.value)))
        #expect(maxAbsDiff(none.gradient, sum.gradient) < 1e-12)
        let big = [4, 1, 96, 80], m = big.reduce(1, *)
        let xb = rng.logits(m).map(Float.init), gb = rng.bits(m).map(Float.init)
        let l = try LossCatalog.make(loss)
        let a = try l(xb, gb, shape: big), b = try l(xb, gb, shape: big)
        #expect(a.value == b.value && a.gradient == b.gradient)
    }

    // MARK: Validation

    @Test("bad options and values are errors naming the argument", arguments: names)
    func validation(_ loss: String) {
        expectError(.option, "mode") { _ = try run(loss, [("mode", 3)], [1, 2, 3, 4], [1, 0, 1, 0], [1, 1, 2, 2]) }
        if loss == "distance_penalized_ce_loss" || loss == "shape_aware_loss" {  // no multiclass form
            expectError(.option, "mode") { _ = try run(loss, [("mode", 2)], [1, 2, 3, 4, 5, 6, 7, 8], [1, 0, 1, 0, 0, 1, 0, 1], [1, 2, 2, 2]) }
        }
        expectError(.option, "smooth_nr") { _ = try LossCatalog.make(loss, options: [("smooth_nr", 1)]) }
        expectError(.value, "input") { _ = try run(loss, [], [1, .nan, 3, 4], [1, 0, 1, 0], [1, 1, 2, 2]) }
        expectError(.value, "input") { _ = try run(loss, [("from_logits", 0)], [0.5, 1.5, 0.3, 0.1], [1, 0, 1, 0], [1, 1, 2, 2]) }
        expectError(.value, "target") { _ = try run(loss, [], [1, 2, 3, 4], [1, 0, 255, 0], [1, 1, 2, 2]) }
        expectError(.value, "target") { _ = try run(loss, [], [1, 2, 3, 4], [1, .nan, 1, 0], [1, 1, 2, 2]) }
        expectError(.shape, "target") { _ = try run(loss, [], [1, 2, 3, 4], [1, 0, 1], [1, 1, 2, 2]) }
        expectError(.option, "include_background") { _ = try run(loss, [("include_background", 0)], [1], [1], [1, 1, 1]) }
    }

    @Test("loss-specific options")
    func specificOptions() {
        expectError(.value, "alpha") { _ = try run("hausdorff_dt_loss", [("alpha", 0)], [1], [1], [1, 1, 1]) }
        expectError(.value, "alpha") { _ = try run("log_hausdorff_dt_loss", [("alpha", .infinity)], [1], [1], [1, 1, 1]) }
        expectError(.option, "reduction") { _ = try run("log_hausdorff_dt_loss", [("reduction", 2)], [1], [1], [1, 1, 1]) }
        expectError(.value, "shape_weight") { _ = try run("shape_aware_loss", [("shape_weight", -1)], [1], [1], [1, 1, 1]) }
        expectError(.option, "alpha") { _ = try LossCatalog.make("boundary_loss", options: [("alpha", 1)]) }
        expectError(.value, "grad_output") {
            _ = try run("boundary_loss", [("reduction", 2)], [1, 2], [1, 0], [1, 1, 2], gradOutput: [1, .nan])
        }
    }
}
