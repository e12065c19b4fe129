import Foundation
import Testing
@testable import SemSegLoss

/// The binary top-k path with a sampled band (`TopKBinaryValues`) against the general
/// one: the same per-element values and gradient as `PixelLossEvaluator`'s BCE, and the
/// same selection (threshold, ties, cutoff) as `TopKSelection.select` on those values,
/// also when the sample misleads (the band misses the K-th largest) or has too few valid
/// elements.
@Suite("Top-k BCE with a sampled band")
struct TopKBinaryValuesTests {
    struct Outcome<S: SegScalar> {
        var values: [S]
        var gradient: [S]
        var pick: TopKSelection.Pick<S>?
    }

    /// The band path on x, g.
    static func banded<S: SegScalar>(
        _ x: [S], _ g: [S], shape: [Int], ignore: S?, logits: Bool, percent: Double
    ) throws -> Outcome<S> {
        var values = [S](repeating: -7, count: x.count), gradient = [S](repeating: -7, count: x.count)
        let shape = try TensorShape(shape)
        let pick = try x.withUnsafeBufferPointer { xb in
            try g.withUnsafeBufferPointer { gb in
                try values.withUnsafeMutableBufferPointer { vb in
                    try gradient.withUnsafeMutableBufferPointer { db in
                        try TopKBinaryValues.evaluate(
                            input: TensorView(xb.baseAddress!, shape: shape), target: gb.baseAddress!, ignore: ignore,
                            fromLogits: logits, percent: percent, values: vb.baseAddress!, gradient: db.baseAddress!)
                    }
                }
            }
        }
        return Outcome(values: values, gradient: gradient, pick: pick)
    }

    /// The general path: BCE values and gradient per element (NaN / 0 where ignored),
    /// then the general selection.
    static func general<S: SegScalar>(
        _ x: [S], _ g: [S], shape: [Int], ignore: S?, logits: Bool, percent: Double
    ) throws -> Outcome<S> {
        var values = [S](repeating: 0, count: x.count), gradient = [S](repeating: 0, count: x.count)
        var options = LossOptions()
        options.reduction = .none
        options.fromLogits = logits
        options.ignoreIndex = ignore.map { Double($0) }
        let tensorShape = try TensorShape(shape)
        try x.withUnsafeBufferPointer { xb in
            try g.withUnsafeBufferPointer { gb in
                try values.withUnsafeMutableBufferPointer { vb in
                    try gradient.withUnsafeMutableBufferPointer { db in
                        _ = try PixelLossEvaluator.evaluate(
                            BCELoss(), input: TensorView(xb.baseAddress!, shape: tensorShape),
                            target: TensorView(gb.baseAddress!, shape: tensorShape), options: options,
                            outputs: LossOutputs(gradient: db.baseAddress!, values: vb.baseAddress!))
                    }
                }
            }
        }
        for i in x.indices where ignore.map({ g[i] == $0 }) ?? false { values[i] = .nan }
        let valid = values.filter { !$0.isNaN }.count
        let pick = values.withUnsafeBufferPointer {
            TopKSelection.select($0.baseAddress!, count: x.count, valid: valid, percent: percent)
        }
        return Outcome(values: values, gradient: gradient, pick: pick)
    }

    static func check<S: SegScalar>(
        _ x: [S], _ g: [S], shape: [Int], ignore: S? = nil, logits: Bool = true, percent: Double, _ label: String
    ) throws {
        let got = try banded(x, g, shape: shape, ignore: ignore, logits: logits, percent: percent)
        let want = try general(x, g, shape: shape, ignore: ignore, logits: logits, percent: percent)
        #expect(zip(got.values, want.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(label): values")
        #expect(got.gradient == want.gradient, "\(label): gradient")
        #expect(got.pick?.threshold == want.pick?.threshold, "\(label): threshold")
        #expect(got.pick?.kept == want.pick?.kept, "\(label): K")
        #expect(got.pick?.equal == want.pick?.equal, "\(label): ties selected")
        #expect(got.pick?.tieCutoff == want.pick?.tieCutoff, "\(label): tie cutoff")
    }

    /// Logits and hard targets of a 4x1x128x130 batch (above the sampling limit).
    static func batch(seed: UInt64, ties: Bool = false) -> (x: [Double], g: [Double], shape: [Int]) {
        let shape = [4, 1, 128, 130], n = shape.reduce(1, *)
        var rng = TestRandom(seed: seed)
        let x: [Double] = (0..<n).map { _ in
            let z = 4 * (rng.uniform() - 0.5)
            return ties ? (z * 2).rounded() / 2 : z
        }
        let g: [Double] = (0..<n).map { _ in rng.uniform() < 0.3 ? 1 : 0 }
        return (x, g, shape)
    }

    @Test("equals the general path: Float and Double, logits and probabilities, ties, K from 1 to n")
    func equalsGeneral() throws {
        for (seed, ties) in [(UInt64(1), false), (2, true)] {
            let (x, g, shape) = Self.batch(seed: seed, ties: ties)
            for percent in [0.001, 0.5, 10, 60, 100] {
                let label = "seed \(seed) ties \(ties) k \(percent)"
                try Self.check(x, g, shape: shape, percent: percent, "\(label), Double")
                try Self.check(x.map(Float.init), g.map(Float.init), shape: shape, percent: percent, "\(label), Float")
            }
            let p = x.map { 1 / (1 + exp(-$0)) }
            try Self.check(p.map(Float.init), g.map(Float.init), shape: shape, logits: false, percent: 10, "seed \(seed), probabilities")
        }
    }

    @Test("ignore_index: ignored elements are never selected and K counts the others")
    func ignoreIndex() throws {
        var (x, g, shape) = Self.batch(seed: 3)
        for i in stride(from: 0, to: g.count, by: 3) { g[i] = 255 }
        try Self.check(x.map(Float.init), g.map(Float.init), shape: shape, ignore: 255, percent: 10, "every third ignored")
        // Almost everything ignored: the sample has too few valid elements (no band).
        for i in g.indices where i % 1000 != 0 { g[i] = 255 }
        try Self.check(x, g, shape: shape, ignore: 255, percent: 10, "almost all ignored")
        // Everything ignored: nothing to select.
        let none = try Self.banded(x, [Double](repeating: 255, count: g.count), shape: shape, ignore: 255, logits: true, percent: 10)
        #expect(none.pick == nil && none.gradient.allSatisfy { $0 == 0 })
    }

    /// `batch(seed:)` whose sampled runs hold the largest losses (confident, wrong logits),
    /// so that the band from the sample lies far above the K-th largest, or (k = 90) far
    /// below.
    static func misleadingBatch(seed: UInt64) -> (x: [Double], g: [Double], shape: [Int]) {
        var (x, g, shape) = batch(seed: seed)
        let stride = x.count / TopKBinaryValues.sampleRuns
        for r in 0..<TopKBinaryValues.sampleRuns {
            for j in 0..<TopKBinaryValues.sampleRun {
                x[r * stride + j] = 30
                g[r * stride + j] = 0
            }
        }
        return (x, g, shape)
    }

    @Test("a misleading sample (the band misses the K-th largest) falls back to the general selection")
    func misleadingSample() throws {
        let (x, g, shape) = Self.misleadingBatch(seed: 4)
        for percent in [10.0, 90] {
            try Self.check(x.map(Float.init), g.map(Float.init), shape: shape, percent: percent, "misleading, k \(percent)")
        }
    }

    @Test("sample order statistics equal sorting (ties, zeros, tiny and negative values, Float and Double)")
    func sampleRanks() {
        var rng = TestRandom(seed: 6)
        for trial in 0..<40 {
            let m = 1 + Int(rng.next() % 5000)
            var a: [Double] = (0..<m).map { _ in -log(max(rng.uniform(), 1e-300)) * (trial % 3 == 0 ? 1e-3 : 3) }
            if trial % 4 == 1 { a = a.map { ($0 * 4).rounded() / 4 } }
            if trial % 5 == 2 { a[0] = 0; a[m / 2] = 1e-40; a[m - 1] = -0.5 }
            let sorted = a.sorted(by: >)
            for rank in Set([0, m / 10, m / 2, m - 1, Int(rng.next() % UInt64(m))]) {
                let got = a.withUnsafeBufferPointer { b -> Double in
                    let ranks = TopKBinaryValues.SampleRanks(b.baseAddress!, count: m)
                    defer { ranks.deallocate() }
                    return ranks.value(atDescendingRank: rank, b.baseAddress!)
                }
                #expect(got == sorted[rank], "trial \(trial) m \(m) rank \(rank)")
                let f = a.map(Float.init), fs = f.sorted(by: >)
                let gotF = f.withUnsafeBufferPointer { b -> Float in
                    let ranks = TopKBinaryValues.SampleRanks(b.baseAddress!, count: m)
                    defer { ranks.deallocate() }
                    return ranks.value(atDescendingRank: rank, b.baseAddress!)
                }
                #expect(gotF == fs[rank], "Float trial \(trial) m \(m) rank \(rank)")
            }
        }
    }

    @Test("bad input throws, naming the argument")
    func badInput() throws {
        var (x, g, shape) = Self.batch(seed: 5)
        x[777] = .nan
        #expect(throws: SegLossError.self) { _ = try Self.banded(x, g, shape: shape, ignore: nil, logits: true, percent: 10) }
        x[777] = 0
        g[5] = 2
        do {
            _ = try Self.banded(x, g, shape: shape, ignore: nil, logits: true, percent: 10)
            Issue.record("a target of 2 was accepted")
        } catch {
            #expect("\(error)".contains("target"))
        }
    }
}
