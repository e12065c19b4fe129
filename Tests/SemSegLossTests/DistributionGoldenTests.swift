import Foundation
import Testing
@testable import SemSegLoss

/// A case of Tests/Fixtures/golden_distribution.json (make_golden_distribution.py).
struct DistributionGoldenCase {
    var name: String, loss: String, options: [(String, Double)], shape: [Int]
    var input: [Double], target: [Double], labels: Bool, value: [Double], grad: [Double]
    var gradOutput: [Double]?, tol: Double

    static let all: [DistributionGoldenCase] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/golden_distribution.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return (root["losses"] as? [[String: Any]] ?? []).map { c in
            var raw = c["options"] as? [String: Any] ?? [:]
            var lists: [(String, Double)] = []
            for (k, v) in raw {
                if let xs = v as? [Double] {
                    lists += xs.enumerated().map { ("\(k).\($0.offset)", $0.element) }
                    raw[k] = nil
                }
            }
            let value = (c["value"] as? [Double]) ?? [(c["value"] as? Double) ?? .nan]
            return DistributionGoldenCase(
                name: c["name"] as? String ?? "", loss: c["loss"] as? String ?? "",
                options: encodeOptions(raw) + lists, shape: c["shape"] as? [Int] ?? [],
                input: c["input"] as? [Double] ?? [], target: c["target"] as? [Double] ?? [],
                labels: c["labels"] as? Bool ?? false, value: value, grad: c["grad"] as? [Double] ?? [],
                gradOutput: c["grad_output"] as? [Double], tol: c["tol"] as? Double ?? 1e-9)
        }
    }()
}

@Suite("Distribution golden values")
struct DistributionGoldenTests {
    @Test("fixture is present and covers every loss of the family")
    func fixture() {
        let names = Set(DistributionGoldenCase.all.map(\.loss))
        #expect(names.isSuperset(of: ["cross_entropy_loss", "focal_loss"]))
        #expect(names.subtracting(["focal_loss"]).isSubset(of: Set(DistributionFamily.names)))
    }

    @Test("value and gradient in Double and Float", arguments: DistributionGoldenCase.all.map(\.name))
    func golden(_ name: String) throws {
        let c = try #require(DistributionGoldenCase.all.first { $0.name == name })
        let loss = try LossCatalog.make(c.loss, options: c.options)
        let d: LossResult<Double> = c.labels
            ? try loss(c.input, labels: c.target.map { Int64($0) }, shape: c.shape, gradOutput: c.gradOutput)
            : try loss(c.input, c.target, shape: c.shape, gradOutput: c.gradOutput)
        let f: LossResult<Float> = c.labels
            ? try loss(c.input.map(Float.init), labels: c.target.map { Int64($0) }, shape: c.shape, gradOutput: c.gradOutput?.map(Float.init))
            : try loss(c.input.map(Float.init), c.target.map(Float.init), shape: c.shape, gradOutput: c.gradOutput?.map(Float.init))
        let gotD = d.values.isEmpty ? [d.value] : d.values
        let gotF = f.values.isEmpty ? [f.value] : f.values.map(Double.init)
        #expect(gotD.count == c.value.count)
        for (a, b) in zip(gotD, c.value) { #expect(close(a, b, c.tol), "\(name): \(a) vs \(b)") }
        for (a, b) in zip(gotF, c.value) { #expect(close(a, b, max(c.tol, 2e-6)), "\(name) float: \(a) vs \(b)") }
        #expect(maxAbsDiff(d.gradient, c.grad) <= c.tol, "\(name): \(d.gradient) vs \(c.grad)")
        #expect(maxAbsDiff(f.gradient.map(Double.init), c.grad) <= max(c.tol, 2e-6))
    }
}
