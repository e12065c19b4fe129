import Testing
@testable import SemSegLoss

/// A Lovász entry run on all threads (`LovaszEntryKernel.runSplit`: gathering in parts,
/// `LovaszSort.sortSegments`, the walk's chunks in parallel) against the same entries run
/// one per thread (`run`): values, loss and gradient equal bit for bit, for entries that
/// span several gathering parts and walk chunks.
@Suite("Lovász: a large entry split over the threads equals the serial run")
struct LovaszSplitEntryTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var shape: [Int]
        var hinge = false, logits = true, soft = false, ignore = false, absent = false, allClasses = false
        var reduction: Reduction = .mean
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "Lovász-sigmoid, 3x1x200x401 (rows cut into parts)", shape: [3, 1, 200, 401]),
        Case(label: "hinge pooled, 2x1x300x300", shape: [2, 1, 300, 300], hinge: true),
        Case(label: "hinge on probabilities (slope from the input)", shape: [2, 1, 256, 300], hinge: true, logits: false),
        Case(label: "absolute error on probabilities", shape: [2, 1, 256, 300], logits: false),
        Case(label: "multilabel pooled, strided rows", shape: [3, 2, 150, 160], reduction: .none),
        Case(label: "ignore_index", shape: [2, 1, 256, 300], ignore: true),
        Case(label: "soft labels (serial walk)", shape: [2, 1, 256, 300], soft: true),
        Case(label: "G = 0 (hinge: only the largest error counts)", shape: [2, 1, 256, 300], hinge: true, absent: true, reduction: .sum),
        // Every voxel an item, so the gathering pass leaves the gradient to the walk, which
        // with G = 0 writes one element: the rest must still come out zero (not the -7
        // the buffers are filled with).
        Case(label: "Lovász-sigmoid, G = 0, classes all", shape: [2, 1, 256, 300], absent: true, allClasses: true,
             reduction: .sum),
        Case(label: "Lovász-sigmoid, G = 0, classes present", shape: [2, 1, 256, 300], absent: true),
        Case(label: "3-D, 2x1x9x100x90", shape: [2, 1, 9, 100, 90]),
        Case(label: "Lovász-sigmoid, 5x1x256x256 (sorted by the top digit first)", shape: [5, 1, 256, 256]),
        Case(label: "hinge pooled, 5x1x256x256 (sorted by the top digit first)", shape: [5, 1, 256, 256], hinge: true),
    ]

    /// The evaluator on x, g with `split` forced: (loss, values, gradient).
    static func evaluate<S: SegScalar>(_ c: Case, _ x: [S], _ g: [S], split: Bool) throws -> (Double, [S], [S]) {
        let shape = try TensorShape(c.shape)
        var options = LossOptions(mode: c.shape[1] > 1 ? .multilabel : .binary, fromLogits: c.logits, reduction: c.reduction)
        if c.ignore { options.ignoreIndex = 255 }
        var gradient = [S](repeating: -7, count: x.count), values = [S](repeating: -7, count: c.shape[1])
        let loss = try x.withUnsafeBufferPointer { xb in
            try g.withUnsafeBufferPointer { gb in
                try gradient.withUnsafeMutableBufferPointer { db in
                    try values.withUnsafeMutableBufferPointer { vb in
                        let input = TensorView(xb.baseAddress!, shape: shape), target = TensorView(gb.baseAddress!, shape: shape)
                        let outputs = LossOutputs(gradient: db.baseAddress!, values: vb.baseAddress!)
                        func run<E: LovaszErrorFunction>(_ errors: E) throws -> Double where E.S == S {
                            try LovaszEvaluator.evaluate(
                                errors, input: input, target: target, options: options, perImage: false,
                                presentOnly: !c.hinge && !c.allClasses, outputs: outputs, split: split)
                        }
                        switch (c.hinge, c.logits) {
                        case (true, true): return try run(HingeOnLogits<S>())
                        case (true, false): return try run(HingeOnProbabilities<S>())
                        case (false, true): return try run(AbsoluteErrorOnLogits<S>())
                        case (false, false): return try run(AbsoluteErrorOnProbabilities<S>())
                        }
                    }
                }
            }
        }
        return (loss, values, gradient)
    }

    static func data(_ c: Case) -> ([Double], [Double]) {
        var rng = TestRandom(seed: UInt64(c.label.count))
        let n = c.shape.reduce(1, *)
        let x = c.logits ? rng.logits(n, scale: 2) : rng.probs(n)
        var g = c.soft ? (0..<n).map { _ in rng.uniform() } : rng.bits(n, p: 0.3)
        if c.absent { g = [Double](repeating: 0, count: n) }
        if c.ignore { for i in 0..<n where rng.uniform() < 0.1 { g[i] = 255 } }
        // Ties: every 97th input equal.
        return (x.enumerated().map { $0.offset % 97 == 0 ? (c.logits ? 0.5 : 0.25) : $0.element }, g)
    }

    /// Elements that differ (a count, so that a failure does not print ~10⁵ elements).
    static func mismatches<S: SegScalar>(_ a: [S], _ b: [S]) -> Int {
        a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : max(a.count, b.count)
    }

    @Test("Float: same loss, values and gradient bit for bit", arguments: cases)
    func float(_ c: Case) throws {
        let (x, g) = Self.data(c)
        let xf = x.map(Float.init), gf = g.map(Float.init)
        let serial = try Self.evaluate(c, xf, gf, split: false), split = try Self.evaluate(c, xf, gf, split: true)
        #expect(serial.0 == split.0)
        #expect(Self.mismatches(serial.2, split.2) == 0)
        if c.reduction == .none { #expect(Self.mismatches(serial.1, split.1) == 0) }
        #expect(serial.0.isFinite && serial.2.allSatisfy(\.isFinite))
        if c.absent { #expect(split.2.filter { $0 != 0 }.count <= 1) }
    }

    @Test("Double: same loss and gradient bit for bit", arguments: [cases[0], cases[4], cases[5], cases[8]])
    func double(_ c: Case) throws {
        let (x, g) = Self.data(c)
        let serial = try Self.evaluate(c, x, g, split: false), split = try Self.evaluate(c, x, g, split: true)
        #expect(serial.0 == split.0)
        #expect(Self.mismatches(serial.2, split.2) == 0)
    }

    /// Bad input reaches the same error through both paths (and no crash with NaN items).
    @Test("NaN input: the same error either way")
    func badInput() throws {
        let c = Self.cases[0]
        var (x, g) = Self.data(c)
        x[123_457] = .nan
        let xf = x.map(Float.init), gf = g.map(Float.init)
        for split in [false, true] {
            #expect(throws: SegLossError.self) { _ = try Self.evaluate(c, xf, gf, split: split) }
        }
    }
}
