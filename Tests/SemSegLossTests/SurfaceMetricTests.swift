import Foundation
import Testing
@testable import SemSegLoss

/// The tensor form of the surface metrics (`SurfaceMetricCatalog`), checked against the
/// per-mask `SurfaceDistances` API and brute force.
@Suite("Surface metrics on tensors")
struct SurfaceMetricTests {
    func evaluate(_ name: String, _ options: [(String, Double)], _ x: [Double], _ g: [Double], _ shape: [Int],
                  spacing: [Double]? = nil) throws -> (value: Double, values: [Double]) {
        let m = try SurfaceMetricCatalog.make(name, options: options, spacing: spacing)
        let s = try TensorShape(shape)
        return try x.withTensorView(shape: s, argument: "input") { xv throws(SegLossError) in
            try g.withTensorView(shape: s, argument: "target") { gv throws(SegLossError) in
                try m.evaluate(input: xv, target: gv)
            }
        }
    }

    @Test("per-entry values equal SurfaceDistances on the thresholded masks, with spacing")
    func matchesSurfaceDistances() throws {
        var rng = TestRandom(seed: 4)
        let shape = [2, 2, 6, 7], spatial = [6, 7], n = 42
        let x = rng.probs(2 * 2 * n), g = rng.bits(2 * 2 * n, p: 0.4)
        let spacing = [0.7, 1.3]
        let hd = try evaluate("hausdorff_distance", [("mode", 1), ("reduction", 2)], x, g, shape, spacing: spacing)
        let hd95 = try evaluate("hausdorff_distance", [("mode", 1), ("reduction", 2), ("percentile", 95)], x, g, shape, spacing: spacing)
        let asd = try evaluate("average_surface_distance", [("mode", 1), ("reduction", 2)], x, g, shape, spacing: spacing)
        let nsd = try evaluate("normalized_surface_dice", [("mode", 1), ("reduction", 2), ("tolerance", 1.5)], x, g, shape, spacing: spacing)
        for r in 0..<4 {
            let p = x[(r * n)..<((r + 1) * n)].map { $0 >= 0.5 }, t = g[(r * n)..<((r + 1) * n)].map { $0 >= 0.5 }
            let d = try SurfaceDistances.compute(prediction: p, target: t, spatial: spatial, spacing: spacing)
            #expect(hd.values[r] == (try d.hausdorffDistance()))
            #expect(hd95.values[r] == (try d.hausdorffDistance(percentile: 95)))
            #expect(asd.values[r] == (try d.averageSurfaceDistance()))
            #expect(nsd.values[r] == (try d.normalizedSurfaceDice(tolerance: 1.5)))
            // brute force
            let sp = DistanceReference.bruteForceSurface(p, spatial), st = DistanceReference.bruteForceSurface(t, spatial)
            let a = DistanceReference.bruteForceDirected(sp, st, spatial, spacing)
            let b = DistanceReference.bruteForceDirected(st, sp, spatial, spacing)
            if !a.isEmpty && !b.isEmpty {
                #expect(abs(hd.values[r] - max(a.max()!, b.max()!)) < 1e-12)
            }
        }
        let mean = try evaluate("hausdorff_distance", [("mode", 1)], x, g, shape, spacing: spacing)
        let kept = hd.values.filter { !$0.isNaN }
        #expect(abs(mean.value - kept.reduce(0, +) / Double(kept.count)) < 1e-12)
    }

    @Test("logits threshold, include_background and ignore_index")
    func options() throws {
        let g: [Double] = [0, 1, 1, 0, 0, 0, 0, 0]
        let z: [Double] = [-1, 2, 3, 0.5, -2, -2, -2, -2]  // σ ≥ 0.5 at 1, 2, 3
        let hd = try evaluate("hausdorff_distance", [("from_logits", 1)], z, g, [1, 1, 1, 8])
        #expect(hd.value == 1)
        let ignored = try evaluate("hausdorff_distance", [("from_logits", 1), ("ignore_index", 255)], z,
                                   [0, 1, 1, 255, 0, 0, 0, 0], [1, 1, 1, 8])
        #expect(ignored.value == 0)  // voxel 3 is background in both masks
        let two = try evaluate("hausdorff_distance", [("mode", 1), ("include_background", 0), ("reduction", 2)],
                               [1, 1, 1, 1, 0, 1, 1, 1], [1, 1, 1, 1, 0, 1, 1, 0], [1, 2, 1, 4])
        #expect(two.values.count == 1 && two.values[0] == 1)
    }

    @Test("empty masks: NaN by default, policies as options")
    func emptyPolicies() throws {
        let empty = [0.0, 0, 0, 0], some = [0.0, 1, 0, 0]
        for name in ["hausdorff_distance", "average_surface_distance"] {
            let extra: [(String, Double)] = []
            #expect(try evaluate(name, extra, empty, empty, [1, 1, 2, 2]).value.isNaN)
            #expect(try evaluate(name, extra, some, empty, [1, 1, 2, 2]).value.isNaN)
            #expect(try evaluate(name, [("empty_both", 1), ("empty_both_value", 0)], empty, empty, [1, 1, 2, 2]).value == 0)
            #expect(try evaluate(name, [("empty_one", 2)], empty, some, [1, 1, 2, 2]).value == .infinity)
            #expect(try evaluate(name, [("empty_one", 3)], some, empty, [1, 1, 2, 2], spacing: [3, 4]).value == 10)
        }
        let nsd: [(String, Double)] = [("tolerance", 1)]
        #expect(try evaluate("normalized_surface_dice", nsd, empty, empty, [1, 1, 2, 2]).value.isNaN)
        #expect(try evaluate("normalized_surface_dice", nsd, some, empty, [1, 1, 2, 2]).value == 0)
        #expect(try evaluate("normalized_surface_dice", nsd + [("empty_both", 1), ("empty_both_value", 1)], empty, empty, [1, 1, 2, 2]).value == 1)
    }

    @Test("bad options are errors naming the argument")
    func validation() {
        func expectError(_ argument: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("expected an error for \(argument)")
            } catch let e as SegLossError {
                #expect(e.argument == argument, "\(e)")
            } catch { Issue.record("\(error)") }
        }
        let x = [0.0, 1, 0, 0]
        expectError("metric") { _ = try SurfaceMetricCatalog.make("hd95") }
        expectError("tolerance") { _ = try SurfaceMetricCatalog.make("normalized_surface_dice") }
        expectError("tolerance") { _ = try evaluate("normalized_surface_dice", [("tolerance", -1)], x, x, [1, 1, 2, 2]) }
        expectError("percentile") { _ = try evaluate("hausdorff_distance", [("percentile", 101)], x, x, [1, 1, 2, 2]) }
        expectError("spacing") { _ = try evaluate("hausdorff_distance", [], x, x, [1, 1, 2, 2], spacing: [1]) }
        expectError("spacing") { _ = try evaluate("hausdorff_distance", [], x, x, [1, 1, 2, 2], spacing: [1, -1]) }
        expectError("threshold") { _ = try evaluate("hausdorff_distance", [("threshold", 0)], x, x, [1, 1, 2, 2]) }
        expectError("empty") { _ = try evaluate("normalized_surface_dice", [("tolerance", 1), ("empty_one", 3)], x, x, [1, 1, 2, 2]) }
        expectError("empty_one_value") { _ = try SurfaceMetricCatalog.make("hausdorff_distance", options: [("empty_one", 1)]) }
        expectError("tolerance") { _ = try SurfaceMetricCatalog.make("hausdorff_distance", options: [("tolerance", 1)]) }
        expectError("input") { _ = try evaluate("hausdorff_distance", [], [0, 2, 0, 0], x, [1, 1, 2, 2]) }
        expectError("mode") { _ = try evaluate("hausdorff_distance", [("mode", 3)], x + x, x + x, [1, 2, 2, 2]) }
        expectError("target") { _ = try evaluate("hausdorff_distance", [("mode", 2)], x + x, x.map { $0 + 1 } + x, [1, 2, 2, 2]) }
    }
}
