import Foundation
import Testing
@testable import SemSegLoss

extension HybridLossTests {
    /// Gradients against central differences in Double: every option family, and
    /// multiclass label maps with and without ignore_index.
    @Suite("gradients (central differences)")
    struct GradientTests {
        @Test("gradient matches central differences (Double)", arguments: cases, families)
        func gradient(_ c: Case, _ f: Family) throws {
            guard !(c.hasSSIM && f.ignore) else { return }
            let (x, g) = HybridLossTests.problem(f, seed: UInt64(c.name.count * 13 + f.label.count))
            let err = try finiteDifferenceError(c.name, c.options + f.options, x, g, f.shape)
            #expect(err < 1e-6, "\(c.testDescription) / \(f.label): \(err)")
        }

        @Test("multiclass gradient matches central differences (labels, ignore_index)", arguments: cases)
        func gradientMulticlass(_ c: Case) throws {
            var rng = TestRandom(seed: 21)
            let shape = [2, 3, 3, 4]
            let x = rng.logits(72)
            var labels = rng.labels(24, classes: 3)
            let e1 = try finiteDifferenceErrorLabels(c.name, c.options + [("mode", 2)], x, labels, shape)
            #expect(e1 < 1e-6, "\(c.testDescription): \(e1)")
            guard !c.hasSSIM else { return }
            labels[3] = 255
            labels[17] = 255
            let e2 = try finiteDifferenceErrorLabels(c.name, c.options + [("mode", 2), ("ignore_index", 255)], x, labels, shape)
            #expect(e2 < 1e-6, "\(c.testDescription) ignore: \(e2)")
        }
    }
}
