import Foundation
import Testing
@testable import SemSegLoss

@Suite("Top-k cross-entropy")
struct DistributionTopKTests {
    static let mc: (String, Double) = ("mode", 2)

    static let families: [DistributionFamilyCase] = [
        .init(label: "labels k 30", options: [mc, ("k", 30)]),
        .init(label: "one-hot k 50 sum", options: [mc, ("k", 50), ("reduction", 1)], target: .oneHot),
        .init(label: "soft targets default k", options: [mc], target: .soft, shape: [2, 3, 4, 5]),
        .init(label: "ignore_index", options: [mc, ("k", 40), ("ignore_index", 255)]),
        .init(label: "weights smoothing", options: [mc, ("k", 25), ("weight.0", 0.5), ("weight.1", 2), ("weight.2", 1), ("label_smoothing", 0.1)]),
        .init(label: "reduction none", options: [mc, ("k", 50), ("reduction", 2), ("ignore_index", 255)]),
        .init(label: "probabilities", options: [mc, ("k", 50), ("from_logits", 0)], target: .soft),
        .init(label: "3-D", options: [mc, ("k", 20)], shape: [2, 3, 2, 2, 3]),
        .init(label: "binary", options: [("mode", 0), ("k", 30)], target: .soft, shape: [2, 1, 3, 3]),
        .init(label: "multilabel none", options: [("mode", 1), ("k", 40), ("reduction", 2)], target: .soft, shape: [2, 2, 3, 2]),
    ]

    @Test("gradient matches central differences", arguments: families)
    func gradient(_ f: DistributionFamilyCase) throws {
        let err = try distributionGradientError("top_k_ce_loss", f, seed: UInt64(f.label.count + 3))
        #expect(err < 1e-6, "\(f.label): \(err)")
    }

    // By hand: 4 voxels, 2 classes, label 0, logits z_0 = 0 and z_1 = (2, 0, −1, 1):
    // CE_i = log(1 + e^{z_1}) = (2.1269280110, 0.6931471806, 0.3132616875, 1.3132616875).
    // k = 50: K = 2, mean of the two largest = (2.1269280110 + 1.3132616875)/2 = 1.7200948493;
    // gradient on voxels 0 and 3 only: ±σ(z_1)/2.
    @Test("known value by hand; k = 100 is the cross-entropy")
    func knownValue() throws {
        let x: [Double] = [0, 0, 0, 0, 2, 0, -1, 1], labels: [Int64] = [0, 0, 0, 0]
        let r = try runLabels("top_k_ce_loss", [Self.mc, ("k", 50)], x, labels, [1, 2, 4])
        #expect(abs(r.value - 1.7200948493) < 1e-9)
        let s0 = 1 / (1 + exp(-2.0)), s3 = 1 / (1 + exp(-1.0))
        #expect(maxAbsDiff(r.gradient, [-s0 / 2, 0, 0, -s3 / 2, s0 / 2, 0, 0, s3 / 2]) < 1e-12)
        var rng = TestRandom(seed: 12)
        let xr = rng.logits(60), lr = rng.labels(20, classes: 3)
        let all = try runLabels("top_k_ce_loss", [Self.mc, ("k", 100), ("ignore_index", 2)], xr, lr, [2, 3, 10])
        let ce = try runLabels("cross_entropy_loss", [Self.mc, ("ignore_index", 2)], xr, lr, [2, 3, 10])
        #expect(abs(all.value - ce.value) < 1e-12 && maxAbsDiff(all.gradient, ce.gradient) < 1e-12)
    }

    @Test("ties: the lower flat indices win; K >= 1; all ignored gives 0")
    func ties() throws {
        // All logits 0: every CE value is log 3; k = 40 of 5 voxels: K = 2 -> voxels 0, 1.
        let r = try runLabels("top_k_ce_loss", [Self.mc, ("k", 40), ("reduction", 2)], [Double](repeating: 0, count: 15), [0, 1, 2, 0, 1], [1, 3, 5])
        #expect(r.values.map { $0 > 0 } == [true, true, false, false, false])
        #expect(r.gradient.enumerated().allSatisfy { ($0.offset % 5 < 2) == ($0.element != 0) })
        let one = try runLabels("top_k_ce_loss", [Self.mc, ("k", 1)], [0, 0, 0, 0, 3, -3, 1, 0], [0, 0, 0, 0], [1, 2, 4])
        #expect(abs(one.value - log(1 + exp(3.0))) < 1e-12)  // K = max(1, 0): the largest
        let ignored = try runLabels("top_k_ce_loss", [Self.mc, ("ignore_index", 7)], [1, 2, 3, 4], [7, 7], [1, 2, 2])
        #expect(ignored.value == 0 && ignored.gradient.allSatisfy { $0 == 0 })
    }

    @Test("binary, large, ignore_index: the selected set is that of sorting the BCE values", arguments: [false, true])
    func largeBinary(_ float: Bool) throws {
        var rng = TestRandom(seed: float ? 21 : 22)
        let shape = [2, 1, 150, 151], n = 2 * 150 * 151
        let x = rng.logits(n), g = (0..<n).map { _ in rng.uniform() < 0.1 ? 2.0 : rng.uniform() < 0.3 ? 1 : 0 }
        let options: [(String, Double)] = [("mode", 0), ("k", 10), ("ignore_index", 2), ("reduction", 2)]
        let top: [Double], bce: [Double]
        if float {
            top = try runFloat("top_k_ce_loss", options, x, g, shape).values.map(Double.init)
            bce = try runFloat("bce_loss", options.filter { $0.0 != "k" }, x, g, shape).values.map(Double.init)
        } else {
            top = try run("top_k_ce_loss", options, x, g, shape).values
            bce = try run("bce_loss", options.filter { $0.0 != "k" }, x, g, shape).values
        }
        let masked = bce.indices.map { g[$0] == 2 ? Double.nan : bce[$0] }
        let want = try #require(TopKSelectionTests.oracle(masked, percent: 10))
        #expect(Set(top.indices.filter { top[$0] != 0 }) == want.selected)
        #expect(want.selected.allSatisfy { top[$0] == bce[$0] })
    }

    @Test("bad parameters throw naming the argument")
    func badParameters() {
        for k in [0.0, -5, 100.5, .infinity] {
            #expect(thrownError { _ = try runLabels("top_k_ce_loss", [Self.mc, ("k", k)], [1, 2, 3, 4], [0, 1], [1, 2, 2]) }?.argument == "k")
        }
        #expect(thrownError { _ = try runLabels("top_k_ce_loss", [Self.mc, ("weight.0", 1)], [1, 2, 3, 4], [0, 1], [1, 2, 2]) }?.argument == "weight")
        #expect(thrownError { _ = try run("top_k_ce_loss", [("mode", 0), ("label_smoothing", 0.1)], [1, 2], [0, 1], [1, 1, 2]) }?.argument == "label_smoothing")
        #expect(thrownError { _ = try runLabels("top_k_ce_loss", [Self.mc], [1, .nan, 3, 4], [0, 1], [1, 2, 2]) }?.argument == "input")
    }
}
