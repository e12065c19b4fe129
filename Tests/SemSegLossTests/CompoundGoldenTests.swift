import Foundation
import Testing
@testable import SemSegLoss

/// The compound family's golden values (Tests/Fixtures/golden_compound.json, written by
/// make_golden_compound.py from plain-Python formulas), also read by the Python suite.
@Suite("Compound losses: golden values")
struct CompoundGoldenTests {
    struct Case: Sendable {
        var name: String, loss: String, options: [(String, Double)], shape: [Int]
        var input: [Double], target: [Double], value: [Double], grad: [Double], gradOutput: [Double]?, tol: Double
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/golden_compound.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let losses = root["losses"] as? [[String: Any]] else { return [] }
        return losses.map { c in
            var options = c["options"] as? [String: Any] ?? [:]
            // Choices of this family (encodeOptions knows mode, reduction and empty).
            if let v = options["variant"] as? String { options["variant"] = v == "symmetric" ? 1.0 : 0.0 }
            if let v = options["weight_type"] as? String { options["weight_type"] = ["square": 0.0, "simple": 1, "uniform": 2][v] }
            // Python's focal alpha=<number> (not None) turns the weighting on.
            let focalAlpha: Set<String> = ["dice_focal_loss", "generalized_dice_focal_loss", "unet3p_hybrid_loss"]
            if options["alpha"] is Double, focalAlpha.contains(c["loss"] as? String ?? "") { options["alpha_weighting"] = 1.0 }
            let value: [Double] = (c["value"] as? [Double]) ?? [(c["value"] as? Double) ?? .nan]
            return Case(
                name: c["name"] as? String ?? "", loss: c["loss"] as? String ?? "",
                options: encodeOptions(options), shape: c["shape"] as? [Int] ?? [],
                input: c["input"] as? [Double] ?? [], target: c["target"] as? [Double] ?? [], value: value,
                grad: c["grad"] as? [Double] ?? [], gradOutput: c["grad_output"] as? [Double],
                tol: c["tol"] as? Double ?? 1e-9)
        }
    }()

    @Test("fixture covers every loss of the family")
    func complete() {
        #expect(Set(Self.cases.map(\.loss)) == Set(CompoundFamily.names))
    }

    @Test("value and gradient in Double and Float", arguments: cases.map(\.name))
    func golden(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let r = try run(c.loss, c.options, c.input, c.target, c.shape, gradOutput: c.gradOutput)
        let got = r.values.isEmpty ? [r.value] : r.values
        #expect(got.count == c.value.count)
        for (a, b) in zip(got, c.value) { #expect(close(a, b, c.tol), "\(name): \(a) vs \(b)") }
        #expect(maxAbsDiff(r.gradient, c.grad) <= c.tol, "\(name): \(r.gradient) vs \(c.grad)")
        guard c.gradOutput == nil else { return }
        let f = try runFloat(c.loss, c.options, c.input, c.target, c.shape)
        let gotF = f.values.isEmpty ? [f.value] : f.values.map(Double.init)
        for (a, b) in zip(gotF, c.value) { #expect(close(a, b, 2e-6), "\(name) Float: \(a) vs \(b)") }
        #expect(maxAbsDiff(f.gradient.map(Double.init), c.grad) <= 5e-6)
    }
}
