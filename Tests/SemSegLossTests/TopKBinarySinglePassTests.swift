import Foundation
import Testing
@testable import SemSegLoss

/// The one-pass binary top-k path (`TopKBinarySinglePass`) against the general one (BCE
/// per element, `TopKSelection.select`, then the selection applied): the same selection
/// and gradient, the same loss up to the order of the sum; nil (the caller's fallback)
/// when the sample misleads.
@Suite("Top-k BCE in one pass")
struct TopKBinarySinglePassTests {
    /// The one-pass path: (loss or nil, gradient or nil).
    static func onePass<S: SegScalar>(
        _ x: [S], _ g: [S], shape: [Int], logits: Bool, percent: Double, mean: Bool, withGradient: Bool = true
    ) throws -> (loss: Double?, gradient: [S]) {
        var gradient = [S](repeating: -7, count: x.count), band = [S](repeating: 0, count: x.count)
        let shape = try TensorShape(shape)
        let loss = try x.withUnsafeBufferPointer { xb in
            try g.withUnsafeBufferPointer { gb in
                try gradient.withUnsafeMutableBufferPointer { db in
                    try band.withUnsafeMutableBufferPointer { bb in
                        try TopKBinarySinglePass.evaluate(
                            input: TensorView(xb.baseAddress!, shape: shape), target: gb.baseAddress!,
                            fromLogits: logits, percent: percent, mean: mean,
                            gradient: withGradient ? db.baseAddress! : nil, bandValues: bb.baseAddress!)
                    }
                }
            }
        }
        return (loss, gradient)
    }

    /// The general path: loss (mean or sum of the K largest BCE values, ties to the lowest
    /// flat index) and gradient (scale·∂ℓ/∂x on the selected elements, 0 elsewhere).
    static func general<S: SegScalar>(
        _ x: [S], _ g: [S], shape: [Int], logits: Bool, percent: Double, mean: Bool
    ) throws -> (loss: Double, gradient: [S]) {
        let all = try TopKBinaryValuesTests.general(x, g, shape: shape, ignore: nil, logits: logits, percent: percent)
        let pick = try #require(all.pick)
        let scale: S = mean ? 1 / S(pick.kept) : 1
        var sum = 0.0, gradient = [S](repeating: 0, count: x.count), chosen = 0
        for i in x.indices {
            let v = all.values[i]
            guard v > pick.threshold || (v == pick.threshold && i < pick.tieCutoff) else { continue }
            sum += Double(v)
            gradient[i] = all.gradient[i] * scale
            chosen += 1
        }
        #expect(chosen == pick.kept)
        return (mean ? sum / Double(pick.kept) : sum, gradient)
    }

    static func check<S: SegScalar>(
        _ x: [S], _ g: [S], shape: [Int], logits: Bool = true, percent: Double, _ label: String
    ) throws {
        for mean in [true, false] {
            let got = try onePass(x, g, shape: shape, logits: logits, percent: percent, mean: mean)
            let want = try general(x, g, shape: shape, logits: logits, percent: percent, mean: mean)
            let loss = try #require(got.loss, "\(label): the band missed on independent data")
            let tolerance = (S.self == Float.self ? 2e-6 : 1e-11) * max(1, abs(want.loss))
            #expect(abs(loss - want.loss) <= tolerance, "\(label) mean \(mean): \(loss) vs \(want.loss)")
            // `==` treats −0 and +0 as equal: the general path can give −0 where this gives +0.
            #expect(got.gradient == want.gradient, "\(label) mean \(mean): gradient")
            let valueOnly = try onePass(x, g, shape: shape, logits: logits, percent: percent, mean: mean, withGradient: false)
            #expect(valueOnly.loss == got.loss, "\(label) mean \(mean): value without the gradient")
            #expect(valueOnly.gradient.allSatisfy { $0 == -7 }, "\(label): no gradient written without one")
        }
    }

    @Test("equals the general path: Float and Double, logits and probabilities, ties, K from 1 to n, mean and sum")
    func equalsGeneral() throws {
        for (seed, ties) in [(UInt64(1), false), (2, true)] {
            let (x, g, shape) = TopKBinaryValuesTests.batch(seed: seed, ties: ties)
            for percent in [0.001, 0.5, 10, 60, 100] {
                let label = "seed \(seed) ties \(ties) k \(percent)"
                try Self.check(x, g, shape: shape, percent: percent, "\(label), Double")
                try Self.check(x.map(Float.init), g.map(Float.init), shape: shape, percent: percent, "\(label), Float")
            }
            let p = x.map { 1 / (1 + exp(-$0)) }
            try Self.check(p, g, shape: shape, logits: false, percent: 10, "seed \(seed), probabilities, Double")
            try Self.check(p.map(Float.init), g.map(Float.init), shape: shape, logits: false, percent: 10, "seed \(seed), probabilities")
        }
    }

    @Test("edge cases: empty and full masks, logits of ±30 (large ties), odd sizes, soft targets")
    func edgeCases() throws {
        var (x, g, shape) = TopKBinaryValuesTests.batch(seed: 7)
        try Self.check(x, [Double](repeating: 0, count: g.count), shape: shape, percent: 10, "empty mask")
        try Self.check(x.map(Float.init), [Float](repeating: 1, count: g.count), shape: shape, percent: 10, "full mask")
        let saturated = x.map { $0 > 0 ? 30.0 : -30.0 }
        try Self.check(saturated, g, shape: shape, percent: 10, "logits ±30")
        try Self.check(saturated.map(Float.init), g.map(Float.init), shape: shape, percent: 45, "logits ±30, Float")
        for i in stride(from: 0, to: g.count, by: 5) { g[i] = 0.25 }
        try Self.check(x, g, shape: shape, percent: 10, "soft targets")
        let odd = [3, 1, 101, 127], n = odd.reduce(1, *)
        var rng = TestRandom(seed: 8)
        let xo: [Float] = (0..<n).map { _ in Float(6 * (rng.uniform() - 0.5)) }
        let go: [Float] = (0..<n).map { _ in rng.uniform() < 0.2 ? 1 : 0 }
        try Self.check(xo, go, shape: odd, percent: 7, "odd sizes")
    }

    @Test("a misleading sample returns nil (the caller then runs the general path)")
    func misleadingSample() throws {
        let (x, g, shape) = TopKBinaryValuesTests.misleadingBatch(seed: 4)
        for percent in [10.0, 90] {
            let got = try Self.onePass(x.map(Float.init), g.map(Float.init), shape: shape, logits: true, percent: percent, mean: true)
            #expect(got.loss == nil, "k \(percent)")
        }
    }

    @Test("the loss through TopKCrossEntropyLoss equals the oracle path, also when the sample misleads")
    func throughTheLoss() throws {
        var (x, g, shape) = TopKBinaryValuesTests.batch(seed: 9)
        for misleading in [false, true] {
            if misleading {
                let stride = x.count / TopKBinaryValues.sampleRuns
                for r in 0..<TopKBinaryValues.sampleRuns { x[r * stride] = 30; g[r * stride] = 0 }
            }
            for reduction in [0.0, 1] {
                let r = try run("top_k_ce_loss", [("mode", 0), ("k", 10), ("reduction", reduction)], x, g, shape)
                let want = try Self.general(x, g, shape: shape, logits: true, percent: 10, mean: reduction == 0)
                #expect(abs(r.value - want.loss) <= 1e-11 * max(1, abs(want.loss)), "misleading \(misleading) reduction \(reduction)")
                #expect(r.gradient == want.gradient, "misleading \(misleading) reduction \(reduction): gradient")
            }
        }
    }

    @Test("bad input and target values throw, naming the argument")
    func badInput() throws {
        var (x, g, shape) = TopKBinaryValuesTests.batch(seed: 5)
        x[777] = .infinity
        do {
            _ = try Self.onePass(x, g, shape: shape, logits: true, percent: 10, mean: true)
            Issue.record("an infinite logit was accepted")
        } catch {
            #expect("\(error)".contains("input"))
        }
        x[777] = 0
        g[12345] = -1
        do {
            _ = try Self.onePass(x.map(Float.init), g.map(Float.init), shape: shape, logits: true, percent: 10, mean: false)
            Issue.record("a target of -1 was accepted")
        } catch {
            #expect("\(error)".contains("target"))
        }
    }
}
