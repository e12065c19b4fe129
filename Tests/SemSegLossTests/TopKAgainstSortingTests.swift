import Foundation
import Testing
@testable import SemSegLoss

/// Binary and multilabel `top_k_ce_loss` with hard targets against a sort of the exact
/// BCE values: every option family on inputs large enough for the sampled selection.
@Suite("Top-k cross-entropy against sorting")
struct TopKAgainstSortingTests {
    /// Top-k BCE by sorting: value, gradient and values (reduction none) for hard targets,
    /// in Double; ties by the lowest flat index.
    static func oracle(
        _ x: [Double], _ g: [Double], shape: [Int], k: Double, ignore: Double?, background: Bool,
        reduction: Int, gradOutput: [Double]?
    ) -> (value: Double, gradient: [Double], values: [Double]) {
        let plane = shape.dropFirst(2).reduce(1, *), channels = shape[1]
        let valid = (0..<x.count).filter { i in
            (ignore.map { g[i] != $0 } ?? true) && (background || (i / plane) % channels != 0)
        }
        func bce(_ i: Int) -> Double {
            let m = g[i] == 1 ? -x[i] : x[i]
            return max(m, 0) + log1p(exp(-abs(m)))
        }
        var gradient = [Double](repeating: 0, count: x.count), values = gradient
        guard !valid.isEmpty else { return (0, gradient, values) }
        let kept = max(1, min(valid.count, Int((k * Double(valid.count) / 100).rounded(.down))))
        let order = valid.sorted { bce($0) > bce($1) || (bce($0) == bce($1) && $0 < $1) }
        let scale = reduction == 0 ? 1 / Double(kept) : 1
        var total = 0.0
        for i in order.prefix(kept) {
            total += bce(i)
            values[i] = bce(i)
            gradient[i] = (1 / (1 + exp(-x[i])) - g[i]) * scale * (gradOutput?[i] ?? 1)
        }
        return (reduction == 0 ? total / Double(kept) : total, gradient, values)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var shape: [Int]
        var k = 10.0
        var ignore: Double?
        var background = true
        var reduction = 0
        /// Logits drawn from a few integers: many equal margins.
        var ties = false
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        .init(label: "binary, below the sampling limit", shape: [3, 1, 17, 19]),
        .init(label: "binary, above the sampling limit", shape: [4, 1, 128, 130], k: 7),
        .init(label: "multilabel, ignore_index, no background", shape: [2, 3, 90, 101], k: 20, ignore: 255, background: false),
        .init(label: "heavy ties, sum", shape: [2, 2, 150, 150], k: 15, reduction: 1, ties: true),
        .init(label: "none with grad_output, ignore_index", shape: [2, 1, 200, 210], k: 30, ignore: 255, reduction: 2),
        .init(label: "K = 1", shape: [1, 1, 5, 7], k: 0.5),
        .init(label: "K = n, 3-D", shape: [2, 1, 3, 4, 5], k: 100),
    ]

    @Test("equals sorting the BCE values (Double and Float)", arguments: cases)
    func equalsSorting(_ c: Case) throws {
        let n = c.shape.reduce(1, *)
        var rng = TestRandom(seed: UInt64(n % 9973))
        let x = c.ties ? (0..<n).map { _ in Double(Int(rng.uniform() * 5) - 2) } : rng.logits(n)
        var g = rng.bits(n, p: 0.3)
        if let ignore = c.ignore { for i in stride(from: 3, to: n, by: 11) { g[i] = ignore } }
        let go = c.reduction == 2 ? rng.probs(n) : nil
        let expected = Self.oracle(x, g, shape: c.shape, k: c.k, ignore: c.ignore, background: c.background,
                                   reduction: c.reduction, gradOutput: go)
        var options: [(String, Double)] = [("mode", c.shape[1] > 1 ? 1 : 0), ("k", c.k), ("reduction", Double(c.reduction))]
        if let ignore = c.ignore { options.append(("ignore_index", ignore)) }
        if !c.background { options.append(("include_background", 0)) }
        let r = try run("top_k_ce_loss", options, x, g, c.shape, gradOutput: go)
        let scale = max(1, abs(expected.value))
        #expect(abs(r.value - expected.value) <= 1e-12 * scale * Double(n), "\(r.value) vs \(expected.value)")
        #expect(maxAbsDiff(r.gradient, expected.gradient) < 1e-14)
        if c.reduction == 2 { #expect(maxAbsDiff(r.values, expected.values) < 1e-12) }
        // Float: the same selected set (margins are exact in Float), values to rounding.
        let f = try LossCatalog.make("top_k_ce_loss", options: options)(
            x.map(Float.init), g.map(Float.init), shape: c.shape, gradOutput: go?.map(Float.init))
        #expect(abs(Double(f.value) - expected.value) <= 2e-6 * scale)
        #expect(zip(f.gradient, expected.gradient).allSatisfy { ($0.0 != 0) == ($0.1 != 0) })
        #expect(maxAbsDiff(f.gradient.map(Double.init), expected.gradient) < 1e-6)
    }

    @Test("gradient matches central differences (hard targets)")
    func finiteDifferences() throws {
        var rng = TestRandom(seed: 31)
        let shape = [2, 2, 5, 7], n = 140
        let x = rng.logits(n), g = rng.bits(n, p: 0.4)
        for options: [(String, Double)] in [[("mode", 1), ("k", 30)], [("mode", 1), ("k", 60), ("reduction", 1)]] {
            #expect(try finiteDifferenceError("top_k_ce_loss", options, x, g, shape) < 1e-6)
        }
        let w = rng.probs(n)
        #expect(try finiteDifferenceError("top_k_ce_loss", [("mode", 1), ("k", 25), ("reduction", 2)], x, g, shape, gradOutput: w) < 1e-6)
    }
}
