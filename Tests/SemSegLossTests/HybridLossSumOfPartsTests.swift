import Foundation
import Testing
@testable import SemSegLoss

extension HybridLossTests {
    /// Each hybrid equals the weighted sum of its parts called on their own (value and
    /// gradient), on dense targets of every option family and on multiclass label maps.
    @Suite("the weighted sum of the parts")
    struct SumOfPartsTests {
        @Test("equals the weighted sum of its parts (value and gradient)", arguments: cases, families)
        func sumOfParts(_ c: Case, _ f: Family) throws {
            let (x, g) = HybridLossTests.problem(f, seed: UInt64(c.name.count * 17 + f.label.count))
            if c.hasSSIM && f.ignore {
                expectError(.option, "ignore_index") { _ = try run(c.name, c.options + f.options, x, g, f.shape) }
                return
            }
            let got = try run(c.name, c.options + f.options, x, g, f.shape)
            let (value, gradient) = try HybridLossTests.sumOfParts(c, f, x, g)
            #expect(abs(got.value - value) < 1e-12, "\(got.value) vs \(value)")
            #expect(maxAbsDiff(got.gradient, gradient) < 1e-12)
        }

        @Test("multiclass label maps: the sum of the parts, and label map = one-hot", arguments: cases)
        func multiclass(_ c: Case) throws {
            var rng = TestRandom(seed: 9)
            let shape = [2, 3, 3, 4]
            let x = rng.logits(72), labels = rng.labels(24, classes: 3)
            for extra: [(String, Double)] in [[], [("include_background", 0)], [("reduction", 1)]] {
                let options = [("mode", 2.0)] + extra
                let got = try runLabels(c.name, c.options + options, x, labels, shape)
                var value = 0.0, gradient = [Double](repeating: 0, count: x.count)
                for p in c.parts {
                    let r = try runLabels(p.name, p.options + options, x, labels, shape)
                    value += p.weight * r.value
                    for i in gradient.indices { gradient[i] += p.weight * r.gradient[i] }
                }
                #expect(abs(got.value - value) < 1e-12 && maxAbsDiff(got.gradient, gradient) < 1e-12, "\(extra)")
                let dense = try run(c.name, c.options + options, x, oneHot(labels, classes: 3, spatial: 12), shape)
                #expect(abs(got.value - dense.value) < 1e-12 && maxAbsDiff(got.gradient, dense.gradient) < 1e-12, "\(extra)")
            }
        }
    }
}
