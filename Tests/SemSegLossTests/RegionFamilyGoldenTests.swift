import Foundation
import Testing
@testable import SemSegLoss

/// The region family's golden file (Tests/Fixtures/golden_region.json, written by
/// make_golden_region.py in plain Python), also read by python/tests/test_region_golden.py.
@Suite("Region family golden values")
struct RegionFamilyGoldenTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String, loss: String, options: [(String, Double)], shape: [Int]
        var input: [Double], target: [Double], value: [Double], grad: [Double], tol: Double
        var testDescription: String { name }
    }

    static let weightTypes = ["square": 0.0, "simple": 1, "uniform": 2]

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/golden_region.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let items = root["losses"] as? [[String: Any]] else { return [] }
        return items.compactMap { item -> Case? in
            guard let name = item["name"] as? String, let loss = item["loss"] as? String,
                  var options = item["options"] as? [String: Any], let shape = item["shape"] as? [Int],
                  let input = item["input"] as? [Double], let target = item["target"] as? [Double],
                  let grad = item["grad"] as? [Double], let tol = item["tol"] as? Double else { return nil }
            if let w = options["weight_type"] as? String { options["weight_type"] = weightTypes[w] ?? .nan }
            if let w = options["weighting_mode"] as? String { options["weighting_mode"] = w == "GDL" ? 1.0 : 0.0 }
            // A matrix option (dist_matrix) is passed flat, row by row.
            var matrix: [(String, Double)] = []
            if let rows = options.removeValue(forKey: "dist_matrix") as? [[Double]] {
                matrix = rows.joined().enumerated().map { ("dist_matrix.\($0.offset)", $0.element) }
            }
            let value = item["value"] as? [Double] ?? [(item["value"] as? Double) ?? .nan]
            return Case(name: name, loss: loss, options: encodeOptions(options) + matrix, shape: shape, input: input,
                        target: target, value: value, grad: grad, tol: tol)
        }
    }()

    @Test("fixture is present and covers every loss of the family")
    func complete() {
        #expect(Set(Self.cases.map(\.loss)) == Set(RegionFamily.names))
        #expect(Self.cases.count >= 18)
    }

    @Test("value and gradient in Double", arguments: cases)
    func double(_ c: Case) throws {
        let r = try run(c.loss, c.options, c.input, c.target, c.shape)
        let got = r.values.isEmpty ? [r.value] : r.values
        #expect(got.count == c.value.count)
        for (a, b) in zip(got, c.value) { #expect(close(a, b, c.tol), "value \(a) vs \(b)") }
        #expect(maxAbsDiff(r.gradient, c.grad) <= c.tol, "gradient \(r.gradient) vs \(c.grad)")
    }

    @Test("value and gradient in Float", arguments: cases)
    func float(_ c: Case) throws {
        let r = try runFloat(c.loss, c.options, c.input, c.target, c.shape)
        let got = r.values.isEmpty ? [r.value] : r.values.map(Double.init)
        for (a, b) in zip(got, c.value) { #expect(close(a, b, max(c.tol, 2e-5)), "value \(a) vs \(b)") }
        #expect(maxAbsDiff(r.gradient.map(Double.init), c.grad) <= max(c.tol, 2e-5))
    }
}
