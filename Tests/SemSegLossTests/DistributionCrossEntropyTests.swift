import Foundation
import Testing
@testable import SemSegLoss

/// Option families of the categorical losses, for parametrised gradient checks.
struct DistributionFamilyCase: CustomTestStringConvertible, Sendable {
    var label: String
    var options: [(String, Double)]
    /// Target form: label map, one-hot of it, or soft distributions.
    var target: Target = .labels
    var shape: [Int] = [2, 3, 2, 3]
    var testDescription: String { label }

    enum Target: Sendable { case labels, oneHot, soft }

    var isNone: Bool { options.contains { $0.0 == "reduction" && $0.1 == 2 } }
    var ignores: Bool { options.contains { $0.0 == "ignore_index" } }
    var probabilities: Bool { options.contains { $0.0 == "from_logits" && $0.1 == 0 } }
}

/// Random input and target for a family; returns (input, labels, dense target).
func distributionProblem(_ f: DistributionFamilyCase, seed: UInt64) -> ([Double], [Int64], [Double]) {
    var rng = TestRandom(seed: seed)
    let n = f.shape[0], c = f.shape[1], sp = f.shape.dropFirst(2).reduce(1, *)
    var x = rng.logits(n * c * sp)
    if f.probabilities { x = softmaxChannels(rng.logits(n * c * sp), n: n, c: c, sp: sp) }
    var labels = rng.labels(n * sp, classes: c)
    if f.ignores { labels[1] = 255; labels[n * sp - 2] = 255 }
    var dense = oneHot(labels, classes: c, spatial: sp, fill: 255)
    if f.target == .soft {
        let soft = c == 1 ? (0..<n * sp).map { _ in rng.uniform() } : softmaxChannels(rng.logits(n * c * sp), n: n, c: c, sp: sp)
        for i in 0..<dense.count where dense[i] != 255 { dense[i] = soft[i] }
    }
    return (x, labels, dense)
}

/// Softmax over channels of (n, c, sp) values.
func softmaxChannels(_ v: [Double], n: Int, c: Int, sp: Int) -> [Double] {
    var out = v
    for b in 0..<n {
        for i in 0..<sp {
            let idx = (0..<c).map { (b * c + $0) * sp + i }
            let m = idx.map { v[$0] }.max()!
            let e = idx.map { exp(v[$0] - m) }
            let s = e.reduce(0, +)
            for (k, j) in idx.enumerated() { out[j] = e[k] / s }
        }
    }
    return out
}

/// Finite-difference error of a family (label map or dense target).
func distributionGradientError(_ loss: String, _ f: DistributionFamilyCase, seed: UInt64) throws -> Double {
    let (x, labels, dense) = distributionProblem(f, seed: seed)
    var rng = TestRandom(seed: seed &+ 99)
    let outCount = try LossCatalog.make(loss, options: f.options).outputShape(input: try TensorShape(f.shape)).reduce(1, *)
    let w = f.isNone ? rng.logits(outCount) : nil
    // Probabilities: a smaller step keeps p inside (0, 1).
    let h = f.probabilities ? 1e-7 : 1e-6
    return f.target == .labels
        ? try finiteDifferenceErrorLabels(loss, f.options, x, labels, f.shape, gradOutput: w, h: h)
        : try finiteDifferenceError(loss, f.options, x, dense, f.shape, gradOutput: w, h: h)
}

@Suite("Cross-entropy loss")
struct DistributionCrossEntropyTests {
    static let mc: (String, Double) = ("mode", 2)

    static let families: [DistributionFamilyCase] = [
        .init(label: "labels", options: [mc]),
        .init(label: "one-hot", options: [mc], target: .oneHot),
        .init(label: "soft targets", options: [mc], target: .soft),
        .init(label: "ignore_index labels", options: [mc, ("ignore_index", 255)]),
        .init(label: "ignore_index dense", options: [mc, ("ignore_index", 255)], target: .oneHot),
        .init(label: "class weights", options: [mc, ("weight.0", 0.2), ("weight.1", 1), ("weight.2", 3)]),
        .init(label: "weights soft", options: [mc, ("weight.0", 0.2), ("weight.1", 1), ("weight.2", 3)], target: .soft),
        .init(label: "label smoothing", options: [mc, ("label_smoothing", 0.1)]),
        .init(label: "smoothing+weights sum", options: [mc, ("label_smoothing", 0.3), ("weight.0", 2), ("weight.1", 0.5), ("weight.2", 1), ("reduction", 1)]),
        .init(label: "no background", options: [mc, ("include_background", 0), ("ignore_index", 255)]),
        .init(label: "reduction none", options: [mc, ("reduction", 2), ("ignore_index", 255)]),
        .init(label: "probabilities", options: [mc, ("from_logits", 0)], target: .soft),
        .init(label: "probabilities labels weights", options: [mc, ("from_logits", 0), ("weight.0", 1), ("weight.1", 2), ("weight.2", 0.5)]),
        .init(label: "3-D", options: [mc, ("ignore_index", 255)], shape: [2, 3, 2, 2, 3]),
        .init(label: "4 classes 1x1", options: [mc, ("reduction", 2)], shape: [1, 4, 1, 1]),
        .init(label: "binary", options: [("mode", 0)], target: .soft, shape: [2, 1, 3, 3]),
        .init(label: "multilabel none", options: [("mode", 1), ("reduction", 2)], target: .soft, shape: [2, 2, 3, 2]),
    ]

    @Test("gradient matches central differences", arguments: families)
    func gradient(_ f: DistributionFamilyCase) throws {
        var f = f
        if f.shape[1] == 1 || !f.options.contains(where: { $0.0 == "mode" && $0.1 == 2 }) {
            // Binary / multilabel targets: values in [0, 1] (no ignored 255 from the helper).
            f.options.append(("ignore_index", 255))
        }
        let err = try distributionGradientError("cross_entropy_loss", f, seed: UInt64(f.label.count))
        #expect(err < 1e-6, "\(f.label): \(err)")
    }

    // Worked by hand: logits (1, 2, 3), label 0: log Σ e^z = 3 + log(1 + e^−1 + e^−2) = 3.4076059644,
    // CE = 2.4076059644, p = (0.0900305732, 0.2447284711, 0.6652409558), grad = p − e_0.
    // Smoothing 0.1: 0.9·2.4076059644 + (0.1/3)(2.4076059644 + 1.4076059644 + 0.4076059644)
    //   = 2.3076059644, grad = p − (0.9333333, 0.0333333, 0.0333333).
    @Test("known values by hand")
    func knownValues() throws {
        let x: [Double] = [1, 2, 3], shape = [1, 3, 1, 1]
        let plain = try runLabels("cross_entropy_loss", [Self.mc], x, [0], shape)
        #expect(abs(plain.value - 2.4076059644) < 1e-9)
        let p = [0.0900305732, 0.2447284711, 0.6652409558]
        #expect(maxAbsDiff(plain.gradient, [p[0] - 1, p[1], p[2]]) < 1e-9)
        let smooth = try runLabels("cross_entropy_loss", [Self.mc, ("label_smoothing", 0.1)], x, [0], shape)
        #expect(abs(smooth.value - 2.3076059644) < 1e-9)
        #expect(maxAbsDiff(smooth.gradient, [p[0] - 0.9 - 0.1 / 3, p[1] - 0.1 / 3, p[2] - 0.1 / 3]) < 1e-9)
        // Weighted mean (PyTorch): voxel 1 as above with w_0 = 2; voxel 2 logits 0, label 2,
        // w_2 = 0.5: (2·2.4076059644 + 0.5·log 3) / (2 + 0.5) = 2.1458072286.
        let x2: [Double] = [1, 0, 2, 0, 3, 0]
        let weighted = try runLabels("cross_entropy_loss", [Self.mc, ("weight.0", 2), ("weight.1", 1), ("weight.2", 0.5)],
                                     x2, [0, 2], [1, 3, 1, 2])
        #expect(abs(weighted.value - (2 * 2.4076059644 + 0.5 * log(3.0)) / 2.5) < 1e-9)
        // Without the background the class-0 voxel adds 0 to the sum but keeps w_0 = 2 in
        // the denominator: 0.5·log 3 / 2.5; all-ones weights give the unweighted mean.
        let noBackground = [Self.mc, ("include_background", 0.0)]
        let weightedNoBg = try runLabels(
            "cross_entropy_loss", noBackground + [("weight.0", 2), ("weight.1", 1), ("weight.2", 0.5)], x2, [0, 2], [1, 3, 1, 2])
        #expect(abs(weightedNoBg.value - 0.5 * log(3.0) / 2.5) < 1e-12)
        let unweighted = try runLabels("cross_entropy_loss", noBackground, x2, [0, 2], [1, 3, 1, 2])
        #expect(abs(unweighted.value - log(3.0) / 2) < 1e-12)
        let ones = try runLabels(
            "cross_entropy_loss", noBackground + [("weight.0", 1), ("weight.1", 1), ("weight.2", 1)], x2, [0, 2], [1, 3, 1, 2])
        #expect(ones.value == unweighted.value && ones.gradient == unweighted.gradient)
    }

    @Test("label map equals its one-hot form, Float agrees with Double")
    func labelsEqualOneHot() throws {
        var rng = TestRandom(seed: 5)
        let shape = [2, 4, 3, 5], sp = 15
        let x = rng.logits(120), labels = rng.labels(30, classes: 4)
        for options: [(String, Double)] in [[Self.mc], [Self.mc, ("label_smoothing", 0.2), ("weight.0", 1), ("weight.1", 2), ("weight.2", 3), ("weight.3", 4)]] {
            let a = try runLabels("cross_entropy_loss", options, x, labels, shape)
            let b = try run("cross_entropy_loss", options, x, oneHot(labels, classes: 4, spatial: sp), shape)
            #expect(abs(a.value - b.value) < 1e-12)
            #expect(maxAbsDiff(a.gradient, b.gradient) < 1e-12)
            let f = try runFloat("cross_entropy_loss", options, x, oneHot(labels, classes: 4, spatial: sp), shape)
            #expect(abs(Double(f.value) - b.value) < 1e-5)
            #expect(maxAbsDiff(f.gradient.map(Double.init), b.gradient) < 1e-6)
        }
    }

    @Test("two classes equal BCE on the logit difference; binary mode equals bce_loss")
    func twoClassesAreBCE() throws {
        var rng = TestRandom(seed: 8)
        let z = rng.logits(6), g = rng.bits(6)
        let bce = try run("bce_loss", [], z, g, [1, 1, 6])
        var x = [Double](repeating: 0, count: 12)
        for i in 0..<6 { x[6 + i] = z[i] }
        let ce = try runLabels("cross_entropy_loss", [Self.mc], x, g.map { Int64($0) }, [1, 2, 6])
        #expect(abs(ce.value - bce.value) < 1e-12)
        #expect(maxAbsDiff(Array(ce.gradient[6...]), bce.gradient) < 1e-12)
        #expect(maxAbsDiff(Array(ce.gradient[..<6]), bce.gradient.map { -$0 }) < 1e-12)
        let binary = try run("cross_entropy_loss", [("mode", 0)], z, g, [1, 1, 6])
        #expect(binary.value == bce.value && binary.gradient == bce.gradient)
    }

    @Test("all ignored gives 0 and a zero gradient; zero weight sum gives 0")
    func allIgnored() throws {
        let x: [Double] = [1, -2, 0.5, 3, 0, 2]
        let r = try runLabels("cross_entropy_loss", [Self.mc, ("ignore_index", -1)], x, [-1, -1, -1], [1, 2, 3])
        #expect(r.value == 0 && r.gradient.allSatisfy { $0 == 0 })
        let w = try runLabels("cross_entropy_loss", [Self.mc, ("weight.0", 0), ("weight.1", 1)], x, [0, 0, 0], [1, 2, 3])
        #expect(w.value == 0 && w.gradient.allSatisfy { $0 == 0 })
    }

    @Test("confident logits ±30 and ±1000: finite values and gradients, odd sizes")
    func confidentLogits() throws {
        var rng = TestRandom(seed: 9)
        for scale in [30.0, 1000.0] {
            let shape = [1, 3, 3, 5]
            let x = (0..<45).map { _ in rng.uniform() < 0.5 ? -scale : scale }
            let labels = rng.labels(15, classes: 3)
            for gamma in [2.0, 0.5] {
                let ce = try runLabels("cross_entropy_loss", [Self.mc], x, labels, shape)
                let fl = try runLabels("focal_loss", [Self.mc, ("gamma", gamma)], x, labels, shape)
                let f32 = try LossCatalog.make("cross_entropy_loss", options: [Self.mc])(x.map(Float.init), labels: labels, shape: shape)
                #expect(ce.value.isFinite && ce.gradient.allSatisfy(\.isFinite))
                #expect(fl.value.isFinite && fl.gradient.allSatisfy(\.isFinite))
                #expect(f32.value.isFinite && f32.gradient.allSatisfy(\.isFinite))
            }
        }
    }

    @Test("probabilities: clamped logs, gradient 0 where clamped")
    func probabilities() throws {
        // p = (1, 0) at voxel 0 (label 1: −log ε), (0.5, 0.5) at voxel 1 (label 0).
        let x: [Double] = [1, 0.5, 0, 0.5]
        let r = try runLabels("cross_entropy_loss", [Self.mc, ("from_logits", 0)], x, [1, 0], [1, 2, 2])
        #expect(abs(r.value - (-log(1e-7) + log(2.0)) / 2) < 1e-9)
        #expect(r.gradient[0] == 0 && r.gradient[2] == 0)
        #expect(abs(r.gradient[1] - (-1 / 0.5 / 2)) < 1e-12 && r.gradient[3] == 0)
    }

    @Test("bad parameters and inputs throw naming the argument")
    func badInput() throws {
        let x: [Double] = [1, 2, 3, 4], shape = [1, 2, 2]
        func arg(_ options: [(String, Double)], _ labels: [Int64] = [0, 1], x: [Double] = x) -> String? {
            thrownError { _ = try runLabels("cross_entropy_loss", options, x, labels, shape) }?.argument
        }
        #expect(arg([Self.mc, ("weight.0", 1)]) == "weight")
        #expect(arg([Self.mc, ("weight.0", 1), ("weight.1", -1)]) == "weight")
        #expect(arg([Self.mc, ("weight.0", 1), ("weight.1", .infinity)]) == "weight")
        #expect(arg([Self.mc, ("weight", 1)]) == "weight")
        #expect(arg([Self.mc, ("label_smoothing", 1.5)]) == "label_smoothing")
        #expect(arg([Self.mc, ("label_smoothing", -0.1)]) == "label_smoothing")
        #expect(arg([Self.mc], [0, 2]) == "target")
        #expect(arg([Self.mc], [0, 1], x: [1, .nan, 3, 4]) == "input")
        #expect(arg([Self.mc, ("from_logits", 0)], [0, 1], x: [1, 2, 0, 0]) == "input")
        #expect(arg([Self.mc, ("gamma", 1)]) == "gamma")
        #expect(thrownError { _ = try run("cross_entropy_loss", [("mode", 0)], x, [0, 1, 1, 0], shape) }?.argument == "input")
        #expect(thrownError { _ = try run("cross_entropy_loss", [("mode", 1), ("weight.0", 1), ("weight.1", 1)], x, [0, 1, 1, 0], shape) }?.argument == "weight")
        #expect(thrownError { _ = try run("cross_entropy_loss", [("mode", 1), ("label_smoothing", 0.1)], x, [0, 1, 1, 0], shape) }?.argument == "label_smoothing")
        #expect(thrownError { _ = try runLabels("cross_entropy_loss", [("mode", 1)], x, [0, 1], shape) }?.argument == "target")
        #expect(thrownError { _ = try run("cross_entropy_loss", [Self.mc], x, [0, 2, 1, 0], shape) }?.argument == "target")
    }

    @Test("inputs are not modified; reduction none has shape (N, *spatial)")
    func shapes() throws {
        let loss = try LossCatalog.make("cross_entropy_loss", options: [Self.mc, ("reduction", 2)])
        #expect(loss.outputShape(input: try TensorShape([2, 3, 4, 5])) == [2, 4, 5])
        #expect(try LossCatalog.make("cross_entropy_loss", options: [("reduction", 2)]).outputShape(input: try TensorShape([2, 1, 4, 5])) == [2, 1, 4, 5])
        var rng = TestRandom(seed: 1)
        let x = rng.logits(24), labels = rng.labels(8, classes: 3)
        let copy = x
        let r = try runLabels("cross_entropy_loss", [Self.mc, ("reduction", 2)], x, labels, [1, 3, 2, 4])
        #expect(x == copy && r.values.count == 8)
        let mean = try runLabels("cross_entropy_loss", [Self.mc], x, labels, [1, 3, 2, 4])
        #expect(abs(r.values.reduce(0, +) / 8 - mean.value) < 1e-12)
    }
}
