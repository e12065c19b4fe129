import Testing
@testable import SemSegLoss

/// |a − b| ≤ tol·max(1, |b|), with NaN equal to NaN.
func close(_ a: Double, _ b: Double, _ tol: Double) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return Swift.abs(a - b) <= tol * Swift.max(1.0, Swift.abs(b))
}

/// Hand-computed values shared with the Python suite (Tests/Fixtures/golden.json).
@Suite("Golden values")
struct GoldenValueTests {
    @Test("fixture is present and complete")
    func fixtureLoaded() {
        #expect(Golden.losses.count >= 20)
        #expect(Golden.metrics.count == 8)
        let names = Set(Golden.losses.map(\.loss))
        #expect(names == Set(coreLossNames))  // distance-map losses: DistanceLossTests.swift
    }

    @Test("loss value and gradient in Double", arguments: Golden.losses.map(\.name))
    func lossDouble(_ name: String) throws {
        let c = try #require(Golden.losses.first { $0.name == name })
        let r = try run(c.loss, encodeOptions(c.options), c.input, c.target, c.shape)
        let got: [Double] = r.values.isEmpty ? [r.value] : r.values
        #expect(got.count == c.value.count)
        for (a, b) in zip(got, c.value) { #expect(close(a, b, c.tol), "\(name): value \(a) vs \(b)") }
        #expect(maxAbsDiff(r.gradient, c.grad) <= c.tol, "\(name): gradient \(r.gradient) vs \(c.grad)")
    }

    @Test("loss value and gradient in Float", arguments: Golden.losses.map(\.name))
    func lossFloat(_ name: String) throws {
        let c = try #require(Golden.losses.first { $0.name == name })
        let r = try runFloat(c.loss, encodeOptions(c.options), c.input, c.target, c.shape)
        let got: [Double] = r.values.isEmpty ? [r.value] : r.values.map { Double($0) }
        for (a, b) in zip(got, c.value) { #expect(close(a, b, Swift.max(c.tol, 2e-6)), "\(name): \(a) vs \(b)") }
        #expect(maxAbsDiff(r.gradient.map(Double.init), c.grad) <= max(c.tol, 2e-6))
    }

    @Test("metric values and confusion counts", arguments: Golden.metrics.map(\.name))
    func metric(_ name: String) throws {
        let c = try #require(Golden.metrics.first { $0.name == name })
        var options = encodeOptions(c.options, metric: true)
        let mean = try MetricCatalog.make(name, options: options)
        let x = c.input, g = c.target
        let shape = try TensorShape(c.shape)
        let (value, values) = try x.withTensorView(shape: shape, argument: "input") { xv throws(SegLossError) in
            try g.withTensorView(shape: shape, argument: "target") { gv throws(SegLossError) in try mean.evaluate(input: xv, target: gv) }
        }
        #expect(abs(value - c.value) < 1e-12)
        #expect(maxAbsDiff(values, c.values) < 1e-12)
        options.append(("reduction", 2))
        let counts = try x.withTensorView(shape: shape, argument: "input") { xv throws(SegLossError) in
            try g.withTensorView(shape: shape, argument: "target") { gv throws(SegLossError) in
                try ConfusionKernel.counts(input: xv, target: gv, metric: MetricOptions())
            }
        }
        let flat = counts.map { [Int($0.truePositive), Int($0.falsePositive), Int($0.falseNegative), Int($0.trueNegative)] }
        #expect(flat == c.counts.flatMap { $0 })
    }
}
