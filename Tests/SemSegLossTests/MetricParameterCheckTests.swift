import Testing
@testable import SemSegLoss

/// `MetricCatalog.make` and `SurfaceMetricCatalog.make` refuse an option value out of its
/// range where it is given, as `LossCatalog.make` does (`LossParameterCheckTests`).
@Suite("Metric parameters checked when the metric is built")
struct MetricParameterCheckTests {
    static let options = ["threshold", "beta", "percentile", "tolerance", "empty_both", "empty_both_value",
                          "empty_one", "empty_one_value", "image_mean"]

    /// For every metric, option and bad value that `make` accepts, evaluating the metric on a
    /// valid binary problem (2 images of 8x8) must accept it too.
    @Test("no option value that evaluation refuses gets through make")
    func noDeferredRangeErrors() {
        let shape = [2, 1, 8, 8], n = 128
        let x = (0..<n).map { Double(($0 * 37) % 11) / 11 }, g = (0..<n).map { Double($0 % 3 == 0 ? 1 : 0) }
        var deferred: [String] = []
        var refusedByMake = 0, evaluated = 0
        func probe(_ name: String, _ make: ([(String, Double)]) throws -> (([Double], [Double], [Int]) throws -> Void)) {
            let base: [(String, Double)] = name == "normalized_surface_dice" ? [("tolerance", 1)] : []
            for option in Self.options {
                for v in [-1.0, .nan, 1e30, 1.5, 3, 150] {
                    let opts = base.filter { $0.0 != option } + [(option, v)]
                    guard let metric = try? make(opts) else {
                        refusedByMake += 1
                        continue
                    }
                    evaluated += 1
                    do { try metric(x, g, shape) } catch { deferred.append("\(name) \(option)=\(v): \(error)") }
                }
            }
        }
        for name in MetricCatalog.names {
            probe(name) { opts in
                let m = try MetricCatalog.make(name, options: opts)
                return { x, g, s in _ = try m(x, g, shape: s) }
            }
        }
        for name in SurfaceMetricCatalog.names {
            probe(name) { opts in
                let m = try SurfaceMetricCatalog.make(name, options: opts)
                return { x, g, s in _ = try m(x, g, shape: s) }
            }
        }
        #expect(deferred.isEmpty, "\(deferred.joined(separator: "\n"))")
        #expect(refusedByMake > 50, "make refused \(refusedByMake)")
        #expect(evaluated > 30, "evaluated \(evaluated)")
    }

    @Test("examples: the option named, at make")
    func examples() {
        expectError(.value, "threshold") { _ = try MetricCatalog.make("iou", options: [("threshold", 1.5)]) }
        expectError(.value, "threshold") { _ = try SurfaceMetricCatalog.make("hausdorff_distance", options: [("threshold", 0)]) }
        expectError(.value, "percentile") { _ = try SurfaceMetricCatalog.make("hausdorff_distance", options: [("percentile", 150)]) }
        expectError(.value, "tolerance") { _ = try SurfaceMetricCatalog.make("normalized_surface_dice", options: [("tolerance", -1)]) }
        expectError(.option, "empty") {
            _ = try SurfaceMetricCatalog.make("normalized_surface_dice", options: [("tolerance", 1), ("empty_one", 3)])
        }
    }
}
