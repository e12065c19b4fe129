import Foundation
import Testing
@testable import SemSegLoss

/// Known values worked by hand, invariants, edge cases and bad parameters of the compound
/// family. Reference vector of LOSSES.md §6.13: p = (0.9, 0.2, 0.7, 0.1), g = (1, 0, 1, 0).
@Suite("Compound losses: values, invariants, edge cases")
struct CompoundValueTests {
    static let p = [0.9, 0.2, 0.7, 0.1], g = [1.0, 0, 1, 0], shape = [1, 1, 2, 2]
    static let probs: [(String, Double)] = [("from_logits", 0), ("smooth_nr", 0), ("smooth_dr", 0)]

    static let known: [(String, [(String, Double)], Double)] = [
        // BCE mean 0.197635 (§6.13), Dice 0.179487: 0.5·0.5·0.197635 + 0.5·0.179487.
        ("combo_loss", probs, 0.139152),
        // D = 3.2/3.9 = 0.820513, −ln D = 0.197826; CE: −ln(0.9, 0.8, 0.7, 0.9)
        // = (0.105361, 0.223144, 0.356675, 0.105361); 0.8·0.197826^0.3 + 0.2·mean(a^0.3).
        ("exp_log_loss", probs, 0.611502),
        // δ = 0.7, γ = 2: (0.7·0.105361 + 0.3·0.2²·0.223144 + 0.7·0.356675 + 0.3·0.1²·0.105361)/4.
        ("asymmetric_focal_loss", [("from_logits", 0)], 0.081605),
        // fg: 1 − TI = 1 − 1.6/1.97 = 0.187817 (the Tversky value of §6.13);
        // bg: TN = 1.7, FN_bg = 0.3, FP_bg = 0.4: 1 − 1.7/2.03 = 0.162562.
        // asymmetric (0.162562 + 0.187817^0.25)/2, symmetric (0.162562^0.25 + 0.187817^0.25)/2.
        ("asymmetric_focal_tversky_loss", probs, 0.410438),
        ("symmetric_focal_tversky_loss", probs, 0.646644),
    ]

    @Test("hand-computed values", arguments: 0..<known.count)
    func handValues(_ i: Int) throws {
        let (name, options, want) = Self.known[i]
        let r = try run(name, options, Self.p, Self.g, Self.shape)
        #expect(abs(r.value - want) < 1e-6, "\(name): \(r.value) vs \(want)")
        let f = try runFloat(name, options, Self.p, Self.g, Self.shape)
        #expect(abs(f.value - want) < 1e-5)
    }

    // MARK: Invariants

    @Test("symmetric focal = sigmoid focal with alpha = delta (binary)")
    func symmetricIsFocal() throws {
        var rng = TestRandom(seed: 1)
        let x = rng.logits(24), t = rng.probs(24), shape = [2, 1, 3, 4]
        let a = try run("symmetric_focal_loss", [("delta", 0.35), ("gamma", 1.5)], x, t, shape)
        let b = try run("focal_loss", [("alpha", 0.35), ("gamma", 1.5)], x, t, shape)
        #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    @Test("combo with beta 0.5 = dice_bce with lambda_dice 1 - alpha, lambda_bce alpha/2")
    func comboIsDiceBCE() throws {
        var rng = TestRandom(seed: 2)
        let x = rng.logits(30), t = rng.bits(30), shape = [2, 3, 5]
        let a = try run("combo_loss", [("alpha", 0.3), ("mode", 1)], x, t, shape)
        let b = try run("dice_bce_loss", [("lambda_dice", 0.7), ("lambda_bce", 0.15), ("mode", 1)], x, t, shape)
        #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    @Test("exp_log with gamma 1 and w_dice 0 = w_ce * BCE")
    func expLogIsBCE() throws {
        var rng = TestRandom(seed: 3)
        let x = rng.logits(24), t = rng.probs(24), shape = [2, 1, 3, 4]
        let a = try run("exp_log_loss", [("w_dice", 0), ("w_ce", 0.5), ("gamma_ce", 1)], x, t, shape)
        let b = try run("bce_loss", [], x, t, shape)
        #expect(abs(a.value - 0.5 * b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient.map { 0.5 * $0 }) < 1e-12)
    }

    @Test("unified = weight·FTL + (1 − weight)·FL", arguments: [0.0, 1.0])
    func unifiedIsSum(_ variant: Double) throws {
        var rng = TestRandom(seed: 4)
        let x = rng.logits(36), t = rng.bits(36), shape = [2, 2, 3, 3]
        let name = variant == 0 ? "asymmetric" : "symmetric"
        let common: [(String, Double)] = [("mode", 1), ("delta", 0.6), ("gamma", 0.5)]
        let u = try run("unified_focal_loss", common + [("variant", variant), ("weight", 0.3)], x, t, shape)
        let ftl = try run("\(name)_focal_tversky_loss", common, x, t, shape)
        let fl = try run("\(name)_focal_loss", common, x, t, shape)
        #expect(abs(u.value - (0.3 * ftl.value + 0.7 * fl.value)) < 1e-12)
        let sum = zip(ftl.gradient, fl.gradient).map { 0.3 * $0 + 0.7 * $1 }
        #expect(maxAbsDiff(u.gradient, sum) < 1e-12)
    }

    @Test("binary mode = UFL two channels (bg, fg) as a 2-class softmax", arguments: ["asymmetric_focal_tversky_loss", "symmetric_focal_tversky_loss"])
    func binaryIsTwoClasses(_ name: String) throws {
        var rng = TestRandom(seed: 6)
        let z = rng.logits(12), t = rng.bits(12)
        let binary = try run(name, [], z, t, [2, 1, 2, 3])
        // Two channels (0, z): softmax gives (1 − σ(z), σ(z)); targets (1 − g, g).
        var z2 = [Double](), g2 = [Double]()
        for n in 0..<2 {
            z2 += [Double](repeating: 0, count: 6) + z[(n * 6)..<(n * 6 + 6)]
            g2 += t[(n * 6)..<(n * 6 + 6)].map { 1 - $0 } + t[(n * 6)..<(n * 6 + 6)]
        }
        let two = try run(name, [("mode", 2)], z2, g2, [2, 2, 2, 3])
        #expect(abs(binary.value - two.value) < 1e-12)
        // dL/dz of the binary logit = dL/dz_1 − dL/dz_0 of the two-class softmax... and
        // with z_0 fixed at 0, dL/dz = dL/dz_1 (the softmax of (0, z) is (1 − σ, σ)).
        for n in 0..<2 {
            for i in 0..<6 { #expect(abs(binary.gradient[n * 6 + i] - two.gradient[n * 12 + 6 + i]) < 1e-12) }
        }
    }

    // MARK: Edge cases

    static let all = CompoundGradientTests.losses.map(\.0)

    @Test("empty and full masks, 1x1, logits of ±30: finite values and gradients", arguments: all)
    func extremes(_ name: String) throws {
        for (x, t, shape): ([Double], [Double], [Int]) in [
            ([30, -30, 30, -30], [0, 0, 0, 0], [1, 1, 2, 2]),
            ([30, 30, -30, -30], [1, 1, 1, 1], [1, 1, 2, 2]),
            ([30, -30, 30, -30], [1, 0, 1, 0], [1, 1, 2, 2]),   // perfect: floors active
            ([-30, 30, -30, 30], [1, 0, 1, 0], [1, 1, 2, 2]),   // all wrong
            ([0.3], [1], [1, 1, 1, 1]),
        ] {
            let r = try run(name, [], x, t, shape)
            #expect(r.value.isFinite && r.value >= 0, "\(name) \(x) \(t): \(r.value)")
            #expect(r.gradient.allSatisfy { $0.isFinite }, "\(name): \(r.gradient)")
            let f = try runFloat(name, [], x, t, shape)
            #expect(f.value.isFinite && f.gradient.allSatisfy { $0.isFinite })
        }
    }

    @Test("perfect prediction with probabilities: floors keep the gradient finite", arguments: all)
    func perfectProbabilities(_ name: String) throws {
        let r = try run(name, [("from_logits", 0)], [1, 0, 1, 0], [1, 0, 1, 0], [1, 1, 2, 2])
        #expect(r.value.isFinite && r.gradient.allSatisfy { $0.isFinite })
    }

    @Test("all voxels ignored: loss 0, zero gradient", arguments: all)
    func allIgnored(_ name: String) throws {
        let r = try run(name, [("ignore_index", 255)], [0.5, -1, 2, 0], [255, 255, 255, 255], [1, 1, 2, 2])
        #expect(r.value == 0 && r.gradient.allSatisfy { $0 == 0 })
    }

    @Test("ignored voxels get zero gradient and leave the loss", arguments: all)
    func ignoredVoxels(_ name: String) throws {
        let x = [0.5, -1, 2, 0, 1.5, -0.2], t = [1.0, 0, 255, 1, 255, 0]
        let r = try run(name, [("ignore_index", 255)], x, t, [1, 1, 2, 3])
        #expect(r.gradient[2] == 0 && r.gradient[4] == 0)
        let kept = try run(name, [], [0.5, -1, 0, -0.2], [1, 0, 1, 0], [1, 1, 2, 2])
        #expect(abs(r.value - kept.value) < 1e-12)
    }

    // MARK: Bad input

    @Test("bad parameters throw naming the argument")
    func badParameters() {
        let x = [0.1, 0.2], t = [1.0, 0], shape = [1, 1, 1, 2]
        for (name, option, value) in [
            ("combo_loss", "alpha", 1.5), ("combo_loss", "beta", -0.1), ("exp_log_loss", "gamma_dice", -1),
            ("exp_log_loss", "gamma_ce", .infinity), ("exp_log_loss", "w_dice", -1), ("exp_log_loss", "w_ce", -1),
            ("exp_log_loss", "floor", 0), ("unified_focal_loss", "weight", 2), ("unified_focal_loss", "delta", 1.1),
            ("unified_focal_loss", "gamma", 1.5), ("unified_focal_loss", "variant", 7), ("asymmetric_focal_loss", "gamma", -1),
            ("symmetric_focal_loss", "delta", -0.5), ("asymmetric_focal_tversky_loss", "gamma", 2),
            ("symmetric_focal_tversky_loss", "floor", 0), ("unified_focal_loss", "smooth_nr", -1),
        ] as [(String, String, Double)] {
            #expect(thrownError { _ = try run(name, [(option, value)], x, t, shape) }?.argument == option, "\(name) \(option)")
        }
        for name in ["combo_loss", "exp_log_loss", "unified_focal_loss"] {
            #expect(thrownError { _ = try run(name, [("reduction", 2)], x, t, shape) }?.argument == "reduction")
        }
        #expect(thrownError { _ = try run("asymmetric_focal_loss", [("batch", 1)], x, t, shape) }?.argument == "batch")
        #expect(thrownError { _ = try run("combo_loss", [], [.nan, 0], t, shape) }?.argument == "input")
        #expect(thrownError { _ = try run("unified_focal_loss", [], x, [2, 0], shape) }?.argument == "target")
    }

    @Test("reduction none shapes of the parts")
    func noneShapes() throws {
        let shape = try TensorShape([2, 3, 4, 5])
        let opts: [(String, Double)] = [("mode", 1), ("reduction", 2)]
        #expect(try LossCatalog.make("asymmetric_focal_loss", options: opts).outputShape(input: shape) == [2, 3, 4, 5])
        #expect(try LossCatalog.make("symmetric_focal_tversky_loss", options: opts).outputShape(input: shape) == [2, 3])
        #expect(try LossCatalog.make("combo_loss", options: [("mode", 1)]).outputShape(input: shape) == [])
    }
}
