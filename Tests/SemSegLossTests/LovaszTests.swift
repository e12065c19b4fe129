import Foundation
import Testing
@testable import SemSegLoss

/// A direct transcription of LovaszSoftmax's `lovasz_grad` + sort for one entry
/// (errors, labels): returns (loss, ∂loss/∂error). Equal errors keep voxel order (the
/// stable `argsort(-e)`); errors ≤ 0 add 0 and get a zero gradient.
func naiveLovasz(_ errors: [Double], _ labels: [Double]) -> (Double, [Double]) {
    let order = errors.indices.sorted { errors[$0] > errors[$1] || (errors[$0] == errors[$1] && $0 < $1) }
    let G = labels.reduce(0, +)
    var a = 0.0, b = 0.0, previous = 0.0, loss = 0.0
    var grad = [Double](repeating: 0, count: errors.count)
    for i in order {
        a += labels[i]
        b += 1 - labels[i]
        let j = 1 - (G - a) / (G + b)
        grad[i] = j - previous
        previous = j
        loss += max(errors[i], 0) * grad[i]
        if errors[i] <= 0 { grad[i] = 0 }
    }
    return (loss, grad)
}

@Suite("Lovász hinge and Lovász-softmax")
struct LovaszTests {
    static let p: [Double] = [0.9, 0.2, 0.7, 0.1]
    static let g: [Double] = [1, 0, 1, 0]
    static let z: [Double] = p.map { log($0 / (1 - $0)) }

    // MARK: Known values

    @Test("LOSSES.md §6.13: hinge 0.076351, gradient (0, 0, −0.5, 0)")
    func referenceHinge() throws {
        for perImage in [0.0, 1.0] {
            let r = try run("lovasz_hinge_loss", [("per_image", perImage)], Self.z, Self.g, [1, 1, 2, 2])
            #expect(abs(r.value - 0.076351) < 1e-6)
            #expect(maxAbsDiff(r.gradient, [0, 0, -0.5, 0]) < 1e-12)
            let f = try runFloat("lovasz_hinge_loss", [("per_image", perImage)], Self.z, Self.g, [1, 1, 2, 2])
            #expect(abs(f.value - 0.076351) < 1e-5)
        }
    }

    /// Empty target, margins m = 1 + z = (1.5, 0.5, −1): Δ = e₁, loss = 1.5, ∂/∂z₁ = 1.
    @Test("empty target: only the largest margin counts (Δ = e₁)")
    func emptyTargetHinge() throws {
        let r = try run("lovasz_hinge_loss", [], [0.5, -0.5, -2], [0, 0, 0], [1, 1, 3])
        #expect(abs(r.value - 1.5) < 1e-12)
        #expect(r.gradient == [1, 0, 0])
        let f = try runFloat("lovasz_hinge_loss", [], [0.5, -0.5, -2], [0, 0, 0], [1, 1, 3])
        #expect(f.value == 1.5 && f.gradient == [1, 0, 0])
    }

    /// p = (0.8, 0.3, 0.6), g = (1, 0, 0): e = (0.2, 0.3, 0.6), order 3, 2, 1, G = 1:
    /// J = 1 − 1/2, 1 − 1/3, 1 − 0/3 → Δ = (1/2, 1/6, 1/3) for voxels 3, 2, 1;
    /// L = 0.6/2 + 0.3/6 + 0.2/3 = 0.416667; ∂L/∂p = (−1/3, 1/6, 1/2).
    @Test("Lovász-sigmoid on probabilities, worked by hand")
    func handSoftmaxBinary() throws {
        let r = try run("lovasz_softmax_loss", [("from_logits", 0)], [0.8, 0.3, 0.6], [1, 0, 0], [1, 1, 3])
        #expect(abs(r.value - (0.3 + 0.05 + 0.2 / 3)) < 1e-12)
        #expect(maxAbsDiff(r.gradient, [-1.0 / 3, 1.0 / 6, 0.5]) < 1e-12)
    }

    @Test("entries against the naive sort, 2x3x9x7 multilabel, per image and pooled")
    func againstNaive() throws {
        var rng = TestRandom(seed: 5)
        let shape = [2, 3, 9, 7], n = 2 * 3 * 63
        let x = rng.logits(n, scale: 2), g = rng.bits(n, p: 0.3)
        for perImage in [true, false] {
            let r = try run("lovasz_hinge_loss", [("mode", 1), ("per_image", perImage ? 1 : 0)], x, g, shape)
            var total = 0.0, grad = [Double](repeating: 0, count: n)
            let entries: [[Int]] = perImage
                ? (0..<6).map { row in (0..<63).map { row * 63 + $0 } }
                : (0..<3).map { c in (0..<2).flatMap { b in (0..<63).map { (b * 3 + c) * 63 + $0 } } }
            for idx in entries {
                let (l, d) = naiveLovasz(idx.map { 1 - x[$0] * (2 * g[$0] - 1) }, idx.map { g[$0] })
                total += l / Double(entries.count)
                for (k, i) in idx.enumerated() { grad[i] = d[k] * (1 - 2 * g[i]) / Double(entries.count) }
            }
            #expect(abs(r.value - total) < 1e-12)
            #expect(maxAbsDiff(r.gradient, grad) < 1e-12)
        }
    }

    // MARK: Gradients

    struct Case: CustomTestStringConvertible, Sendable {
        var label: String, loss: String, options: [(String, Double)], shape: [Int]
        var probabilities = false, ignore = false
        var testDescription: String { "\(loss) \(label)" }
    }

    static let cases: [Case] = [
        Case(label: "binary logits", loss: "lovasz_hinge_loss", options: [], shape: [2, 1, 4, 5]),
        Case(label: "binary probabilities", loss: "lovasz_hinge_loss", options: [("from_logits", 0)], shape: [2, 1, 3, 5], probabilities: true),
        Case(label: "multilabel pooled", loss: "lovasz_hinge_loss", options: [("mode", 1), ("per_image", 0)], shape: [2, 3, 3, 4]),
        Case(label: "multilabel no background, sum", loss: "lovasz_hinge_loss", options: [("mode", 1), ("include_background", 0), ("reduction", 1)], shape: [2, 3, 4, 3]),
        Case(label: "ignore_index 255", loss: "lovasz_hinge_loss", options: [("ignore_index", 255)], shape: [3, 1, 4, 4], ignore: true),
        Case(label: "reduction none", loss: "lovasz_hinge_loss", options: [("mode", 1), ("reduction", 2)], shape: [2, 2, 5, 3]),
        Case(label: "3-D", loss: "lovasz_hinge_loss", options: [("per_image", 0)], shape: [2, 1, 3, 3, 3]),
        Case(label: "sigmoid binary", loss: "lovasz_softmax_loss", options: [], shape: [2, 1, 4, 5]),
        Case(label: "sigmoid multilabel per image, all", loss: "lovasz_softmax_loss", options: [("mode", 1), ("per_image", 1), ("classes", 1)], shape: [2, 3, 3, 4]),
        Case(label: "probabilities, ignore, none", loss: "lovasz_softmax_loss", options: [("mode", 1), ("from_logits", 0), ("ignore_index", 255), ("reduction", 2)], shape: [2, 2, 4, 3], probabilities: true, ignore: true),
        Case(label: "multiclass one-hot 3-D", loss: "lovasz_softmax_loss", options: [("mode", 2)], shape: [2, 3, 2, 3, 2]),
    ]

    @Test("gradient matches central differences (Double)", arguments: cases)
    func gradient(_ c: Case) throws {
        var rng = TestRandom(seed: UInt64(c.label.count * 31 + c.loss.count))
        let n = c.shape.reduce(1, *)
        let x = c.probabilities ? rng.probs(n) : rng.logits(n, scale: 2)
        var g = rng.bits(n, p: 0.4)
        if c.loss == "lovasz_softmax_loss" && c.options.contains(where: { $0 == ("mode", 2) }) {
            let spatial = n / (c.shape[0] * c.shape[1])
            g = oneHot(rng.labels(c.shape[0] * spatial, classes: c.shape[1]), classes: c.shape[1], spatial: spatial)
        }
        if c.ignore { for i in stride(from: 1, to: n, by: 5) { g[i] = 255 } }
        let reductionNone = c.options.contains { $0 == ("reduction", 2) }
        let outCount = try LossCatalog.make(c.loss, options: c.options).outputShape(input: try TensorShape(c.shape)).reduce(1, *)
        let w = reductionNone ? rng.logits(outCount) : nil
        let err = try finiteDifferenceError(c.loss, c.options, x, g, c.shape, gradOutput: w)
        #expect(err < 1e-6, "\(c.testDescription): \(err)")
        let r = try run(c.loss, c.options, x, g, c.shape, gradOutput: w)
        #expect(r.value > 0 && r.gradient.contains { $0 != 0 })
    }

    static let labelFamilies: [[(String, Double)]] = [
        [("mode", 2)],
        [("mode", 2), ("per_image", 1)],
        [("mode", 2), ("classes", 1), ("include_background", 0)],
        [("mode", 2), ("ignore_index", 255), ("reduction", 2)],
        [("mode", 2), ("per_image", 1), ("reduction", 1), ("ignore_index", 255)],
    ]

    @Test("Lovász-softmax with label maps: central differences through the softmax", arguments: 0..<5)
    func gradientLabels(_ k: Int) throws {
        let options = Self.labelFamilies[k]
        var rng = TestRandom(seed: UInt64(40 + k))
        let shape = [2, 3, 3, 4]
        let x = rng.logits(72, scale: 2)
        var labels = rng.labels(24, classes: 3)
        for i in 0..<12 where labels[i] == 1 { labels[i] = 2 }  // class 1 absent from image 0
        if options.contains(where: { $0.0 == "ignore_index" }) { labels[3] = 255; labels[17] = 255 }
        let none = options.contains { $0 == ("reduction", 2) }
        let outCount = try LossCatalog.make("lovasz_softmax_loss", options: options).outputShape(input: try TensorShape(shape)).reduce(1, *)
        let w = none ? rng.logits(outCount) : nil
        let err = try finiteDifferenceErrorLabels("lovasz_softmax_loss", options, x, labels, shape, gradOutput: w)
        #expect(err < 1e-6, "\(options): \(err)")
        let a = try runLabels("lovasz_softmax_loss", options, x, labels, shape)
        let b = try run("lovasz_softmax_loss", options, x, oneHot(labels, classes: 3, spatial: 12, fill: 255), shape)
        #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
    }

    /// The multiclass adapter does not zero the gradient for Lovász-softmax (the evaluator
    /// writes every element: each entry's rows, and channel 0 without the background), so
    /// a buffer full of NaN must come out equal to a zeroed one, all-ignored images included.
    @Test("multiclass Lovász-softmax writes every gradient element", arguments: 0..<5)
    func writesWholeGradient(_ k: Int) throws {
        let options = Self.labelFamilies[k]
        var rng = TestRandom(seed: UInt64(60 + k))
        let dims = [2, 3, 3, 4]
        let x = rng.logits(72, scale: 2)
        var labels = rng.labels(24, classes: 3)
        if options.contains(where: { $0.0 == "ignore_index" }) { for i in 0..<12 { labels[i] = 255 } }
        let loss = try LossCatalog.make("lovasz_softmax_loss", options: options)
        let shape = try TensorShape(dims)
        let none = options.contains { $0 == ("reduction", 2) }
        let entries = none ? loss.outputShape(input: shape).reduce(1, *) : 0
        let upstream = (0..<entries).map { 0.5 + Double($0) }
        var gradient = [Double](repeating: .nan, count: x.count), values = [Double](repeating: .nan, count: entries)
        let value = try x.withUnsafeBufferPointer { xb in
            try labels.withUnsafeBufferPointer { lb in
                try gradient.withUnsafeMutableBufferPointer { gb in
                    try values.withUnsafeMutableBufferPointer { vb in
                        try upstream.withUnsafeBufferPointer { ub in
                            let view = try LabelView(lb.baseAddress!, dims: [2, 3, 4], input: shape)
                            return try loss.evaluate(
                                input: TensorView(xb.baseAddress!, shape: shape), target: .labels(view),
                                outputs: LossOutputs(
                                    gradient: gb.baseAddress, values: entries > 0 ? vb.baseAddress : nil,
                                    gradOutput: entries > 0 ? ub.baseAddress : nil))
                        }
                    }
                }
            }
        }
        let zeroed = try runLabels("lovasz_softmax_loss", options, x, labels, dims, gradOutput: entries > 0 ? upstream : nil)
        #expect(value == zeroed.value || (value.isNaN && zeroed.value.isNaN), "\(options)")
        #expect(gradient == zeroed.gradient, "\(options)")
        #expect(gradient.contains { $0 != 0 }, "\(options)")
    }

    // MARK: Edge cases

    @Test("all voxels ignored: loss 0, zero gradient", arguments: ["lovasz_hinge_loss", "lovasz_softmax_loss"])
    func allIgnored(_ loss: String) throws {
        let r = try run(loss, [("ignore_index", 255)], [1, -2, 3, 0.5], [255, 255, 255, 255], [1, 1, 2, 2])
        #expect(r.value == 0 && r.gradient.allSatisfy { $0 == 0 })
    }

    @Test("1x1, 3x5 and logits ±30: finite", arguments: ["lovasz_hinge_loss", "lovasz_softmax_loss"])
    func edgeSizes(_ loss: String) throws {
        let one = try run(loss, [], [2], [1], [1, 1, 1, 1])
        #expect(one.value == 0 && one.gradient == [0] || loss == "lovasz_softmax_loss")
        var rng = TestRandom(seed: 9)
        let x = (0..<15).map { i in i % 2 == 0 ? 30.0 : -30.0 }, g = rng.bits(15)
        for r in [try run(loss, [], x, g, [1, 1, 3, 5]), try run(loss, [("mode", 1)], rng.logits(30), rng.bits(30), [2, 1, 3, 5])] {
            #expect(r.value.isFinite && r.gradient.allSatisfy(\.isFinite))
        }
        let f = try runFloat(loss, [], x, g, [1, 1, 3, 5])
        #expect(f.value.isFinite && f.gradient.allSatisfy(\.isFinite))
    }

    @Test("classes='present' skips absent classes; 'all' charges them their largest error")
    func presentVersusAll() throws {
        // Two channels (multilabel probabilities); channel 1 has an empty target.
        let p: [Double] = [0.8, 0.3, 0.6, 0.2, 0.1, 0.4], g: [Double] = [1, 0, 0, 0, 0, 0]
        let present = try run("lovasz_softmax_loss", [("mode", 1), ("from_logits", 0), ("reduction", 2)], p, g, [1, 2, 3])
        #expect(abs(present.values[0] - (0.3 + 0.05 + 0.2 / 3)) < 1e-12 && present.values[1].isNaN)
        #expect(present.gradient[3...].allSatisfy { $0 == 0 })
        let all = try run("lovasz_softmax_loss", [("mode", 1), ("from_logits", 0), ("classes", 1)], p, g, [1, 2, 3])
        #expect(abs(all.value - ((0.3 + 0.05 + 0.2 / 3) + 0.4) / 2) < 1e-12)
        #expect(all.gradient[3...] == [0, 0, 0.5])
    }

    @Test("Float equals Double on a 2x1x64x64 batch with ties and a pooled sort")
    func floatMatchesDouble() throws {
        var rng = TestRandom(seed: 11)
        let n = 2 * 64 * 64
        var x = rng.logits(n, scale: 3)
        for i in stride(from: 0, to: n, by: 7) { x[i] = 0.25 }  // many equal margins
        let xf = x.map { Double(Float($0)) }, g = rng.bits(n, p: 0.3)
        for loss in ["lovasz_hinge_loss", "lovasz_softmax_loss"] {
            for perImage in [0.0, 1.0] {
                let d = try run(loss, [("per_image", perImage)], xf, g, [2, 1, 64, 64])
                let f = try runFloat(loss, [("per_image", perImage)], xf, g, [2, 1, 64, 64])
                #expect(abs(d.value - f.value) < 1e-5 * max(1, d.value), "\(loss)")
                #expect(maxAbsDiff(d.gradient, f.gradient.map(Double.init)) < 1e-5, "\(loss)")
            }
        }
    }

    @Test("radix sort with exact fix-up equals the standard sort", arguments: [0, 1, 2, 3])
    func sortMatchesStandard(_ kind: Int) {
        var rng = TestRandom(seed: UInt64(kind))
        let n = 5000
        let errors: [Double] = (0..<n).map { i in
            switch kind {
            case 0: return rng.uniform() * 4 + 1e-9
            case 1: return 0.5  // one long run
            case 2: return 1 + Double(i % 3) * 1e-12  // ties below Float resolution
            default: return Double(Float(rng.uniform() * 1e-3)) * (i % 2 == 0 ? 1 : 1e45)  // keys of +inf
            }
        }
        var items = errors.enumerated().map { LovaszSort.item($0.element, $0.offset, label: $0.offset % 3 == 0) }
        var scratch = [UInt64](repeating: 0, count: n)
        items.withUnsafeMutableBufferPointer { ib in
            scratch.withUnsafeMutableBufferPointer { sb in
                LovaszSort.sortDescending(ib.baseAddress!, scratch: sb.baseAddress!, count: n)
                LovaszSort.refineRuns(ib.baseAddress!, count: n) {
                    let a = errors[LovaszSort.index($0)], b = errors[LovaszSort.index($1)]
                    return a > b || (a == b && LovaszSort.index($0) < LovaszSort.index($1))
                }
            }
        }
        // Decreasing errors, equal errors in index order (NumPy's stable argsort(-e)).
        let order = errors.indices.sorted { errors[$0] > errors[$1] || (errors[$0] == errors[$1] && $0 < $1) }
        #expect(items.map(LovaszSort.index) == order)
        #expect(Set(items.map(LovaszSort.index)).count == n)
        #expect(items.allSatisfy { LovaszSort.label($0) == (LovaszSort.index($0) % 3 == 0 ? 1 : 0) })
    }

    // MARK: Bad input

    @Test("bad options and inputs name the argument")
    func badInput() {
        #expect(thrownError { _ = try run("lovasz_hinge_loss", [("mode", 2)], [0, 0], [1, 0], [1, 2, 1]) }?.argument == "mode")
        #expect(thrownError { _ = try run("lovasz_softmax_loss", [("classes", 3)], [0], [1], [1, 1, 1]) }?.argument == "classes")
        #expect(thrownError { _ = try run("lovasz_hinge_loss", [("per_image", 2)], [0], [1], [1, 1, 1]) }?.argument == "per_image")
        #expect(thrownError { _ = try run("lovasz_hinge_loss", [], [.nan, 0], [1, 0], [1, 1, 2]) }?.argument == "input")
        #expect(thrownError { _ = try run("lovasz_hinge_loss", [("from_logits", 0)], [1.5, 0], [1, 0], [1, 1, 2]) }?.argument == "input")
        #expect(thrownError { _ = try run("lovasz_softmax_loss", [], [0.5, 0], [2, 0], [1, 1, 2]) }?.argument == "target")
        #expect(thrownError { _ = try run("lovasz_hinge_loss", [("smooth_nr", 1)], [0], [1], [1, 1, 1]) }?.argument == "smooth_nr")
        #expect(thrownError { _ = try runLabels("lovasz_hinge_loss", [("mode", 2)], [0, 0], [1], [1, 2, 1]) }?.argument == "mode")
        #expect(thrownError { _ = try runLabels("lovasz_softmax_loss", [("mode", 2)], [0, 0], [5], [1, 2, 1]) }?.argument == "target")
    }
}

/// Tests/Fixtures/golden_lovasz.json (make_golden_lovasz.py), shared with pytest.
@Suite("Lovász family golden values")
struct LovaszGoldenTests {
    nonisolated(unsafe) static let cases = Golden.lossCases(Golden.load("golden_lovasz.json"))

    @Test("fixture is present")
    func present() {
        #expect(Set(Self.cases.map(\.loss)) == ["lovasz_hinge_loss", "lovasz_softmax_loss", "ssim_loss"])
    }

    @Test("value and gradient in Double and Float", arguments: cases.map(\.name))
    func golden(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let r = try run(c.loss, encodeOptions(c.options), c.input, c.target, c.shape)
        let got: [Double] = r.values.isEmpty ? [r.value] : r.values
        #expect(got.count == c.value.count)
        for (a, b) in zip(got, c.value) { #expect(close(a, b, c.tol), "\(name): value \(a) vs \(b)") }
        #expect(maxAbsDiff(r.gradient, c.grad) <= c.tol, "\(name): gradient \(r.gradient) vs \(c.grad)")
        let f = try runFloat(c.loss, encodeOptions(c.options), c.input, c.target, c.shape)
        let gotF: [Double] = f.values.isEmpty ? [f.value] : f.values.map(Double.init)
        for (a, b) in zip(gotF, c.value) { #expect(close(a, b, 2e-5), "\(name): Float value \(a) vs \(b)") }
        #expect(maxAbsDiff(f.gradient.map(Double.init), c.grad) <= 2e-5, "\(name): Float gradient")
    }
}
