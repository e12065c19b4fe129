import Foundation
import Testing
@testable import SemSegLoss

// MARK: - Options in Python spelling -> catalogue pairs

/// Encodes options written as in Python (strings for mode/reduction/empty, booleans,
/// `NSNull` for None) into the numeric pairs the catalogue takes.
func encodeOptions(_ options: [String: Any], metric: Bool = false) -> [(String, Double)] {
    let modes = ["binary": 0.0, "multilabel": 1, "multiclass": 2]
    let reductions = ["mean": 0.0, "sum": 1, "none": 2]
    let empties = metric ? ["nan": 0.0, "one": 1, "zero": 2] : ["smooth": 0.0, "skip": 1]
    var pairs: [(String, Double)] = []
    let booleans: Set<String> = ["from_logits", "batch", "squared_pred", "include_background", "per_image", "generalized"]
    let choices: [String: [String: Double]] = ["classes": ["present": 0, "all": 1]]
    for (k, v) in options.sorted(by: { $0.key < $1.key }) {
        if v is NSNull {
            if k == "alpha" { pairs.append(("alpha_weighting", 0)) }  // focal alpha=None
            continue
        }
        if let s = v as? String {
            let table = k == "mode" ? modes : k == "reduction" ? reductions : choices[k] ?? empties
            pairs.append((k, table[s] ?? .nan))
        } else if booleans.contains(k), let b = v as? Bool {
            pairs.append((k, b ? 1 : 0))
        } else if let d = v as? Double {
            pairs.append((k, d))
        } else if let i = v as? Int {
            pairs.append((k, Double(i)))
        }
    }
    return pairs
}

// MARK: - Golden fixture shared with the Python suite

struct GoldenLossCase {
    var name: String, loss: String, options: [String: Any], shape: [Int]
    var input: [Double], target: [Double], value: [Double], grad: [Double], tol: Double
}

struct GoldenMetricCase {
    var name: String, options: [String: Any], shape: [Int], input: [Double], target: [Double]
    var values: [Double], value: Double, counts: [[[Int]]]
}

enum Golden {
    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/golden.json")

    nonisolated(unsafe) static let root: [String: Any] = {
        guard let data = try? Data(contentsOf: url),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return obj
    }()

    static var losses: [GoldenLossCase] { lossCases(root) }

    /// The root object of a fixture file next to golden.json (empty if unreadable).
    static func load(_ file: String) -> [String: Any] {
        let other = url.deletingLastPathComponent().appendingPathComponent(file)
        guard let data = try? Data(contentsOf: other),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return obj
    }

    /// The loss cases of a fixture's root object.
    static func lossCases(_ root: [String: Any]) -> [GoldenLossCase] {
        (root["losses"] as? [[String: Any]] ?? []).map { c in
            let value: [Double] = (c["value"] as? [Double]) ?? [(c["value"] as? Double) ?? .nan]
            return GoldenLossCase(
                name: c["name"] as? String ?? "", loss: c["loss"] as? String ?? "",
                options: c["options"] as? [String: Any] ?? [:], shape: c["shape"] as? [Int] ?? [],
                input: c["input"] as? [Double] ?? [], target: c["target"] as? [Double] ?? [],
                value: value, grad: c["grad"] as? [Double] ?? [], tol: c["tol"] as? Double ?? 1e-9)
        }
    }

    static var metrics: [GoldenMetricCase] {
        (root["metrics"] as? [[String: Any]] ?? []).map { c in
            GoldenMetricCase(
                name: c["name"] as? String ?? "", options: c["options"] as? [String: Any] ?? [:],
                shape: c["shape"] as? [Int] ?? [], input: c["input"] as? [Double] ?? [],
                target: c["target"] as? [Double] ?? [], values: c["values"] as? [Double] ?? [],
                value: c["value"] as? Double ?? .nan, counts: c["counts"] as? [[[Int]]] ?? [])
        }
    }
}

// MARK: - Evaluation helpers

/// Records an issue unless `body` throws a `SegLossError` of `kind` naming `argument`.
func expectError(_ kind: SegLossError.Kind, _ argument: String, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a \(kind) error for \(argument)")
    } catch let e as SegLossError {
        #expect(e.kind == kind, "\(e)")
        #expect(e.argument == argument, "\(e)")
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

/// Evaluates `name` with options on Double arrays; returns the result.
func run(_ name: String, _ options: [(String, Double)], _ x: [Double], _ g: [Double], _ shape: [Int],
         gradOutput: [Double]? = nil) throws -> LossResult<Double> {
    try LossCatalog.make(name, options: options)(x, g, shape: shape, gradOutput: gradOutput)
}

func runFloat(_ name: String, _ options: [(String, Double)], _ x: [Double], _ g: [Double], _ shape: [Int]) throws -> LossResult<Float> {
    try LossCatalog.make(name, options: options)(x.map(Float.init), g.map(Float.init), shape: shape)
}

/// Central finite differences of the scalar objective Σ w·values (reduction none) or the
/// reduced value, in Double. Returns the largest error relative to max(1, |g|).
func finiteDifferenceError(
    _ name: String, _ options: [(String, Double)], _ x: [Double], _ g: [Double], _ shape: [Int],
    gradOutput: [Double]? = nil, h: Double = 1e-6
) throws -> Double {
    try finiteDifferenceError(x, gradOutput: gradOutput, h: h) { xs, w in
        try run(name, options, xs, g, shape, gradOutput: w)
    }
}

/// The check behind both target forms: `evaluate(x, gradOutput)` runs the loss; the
/// analytic gradient at `x` is compared with central differences of the objective.
func finiteDifferenceError(
    _ x: [Double], gradOutput: [Double]?, h: Double,
    evaluate: ([Double], [Double]?) throws -> LossResult<Double>
) throws -> Double {
    let analytic = try evaluate(x, gradOutput).gradient
    func objective(_ xs: [Double]) throws -> Double {
        let r = try evaluate(xs, nil)
        guard let w = gradOutput else { return r.value }
        return zip(r.values, w).reduce(0) { $0 + $1.0 * $1.1 }
    }
    var worst = 0.0
    for i in 0..<x.count {
        var plus = x, minus = x
        plus[i] += h
        minus[i] -= h
        let numeric = (try objective(plus) - objective(minus)) / (2 * h)
        worst = max(worst, abs(numeric - analytic[i]) / max(1, abs(analytic[i])))
    }
    return worst
}

/// Deterministic pseudo-random numbers (SplitMix64) for reproducible tests.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal(_ scale: Double = 1) -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return scale * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
    mutating func bits(_ n: Int, p: Double = 0.5) -> [Double] { (0..<n).map { _ in uniform() < p ? 1 : 0 } }
    mutating func logits(_ n: Int, scale: Double = 2) -> [Double] { (0..<n).map { _ in normal(scale) } }
    mutating func probs(_ n: Int) -> [Double] { (0..<n).map { _ in 0.05 + 0.9 * uniform() } }
}

func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

// MARK: - Multiclass (label maps)

/// Evaluates `name` on Double logits with an integer label map.
func runLabels(_ name: String, _ options: [(String, Double)], _ x: [Double], _ labels: [Int64], _ shape: [Int],
               gradOutput: [Double]? = nil) throws -> LossResult<Double> {
    try LossCatalog.make(name, options: options)(x, labels: labels, shape: shape, gradOutput: gradOutput)
}

/// Finite-difference check with a label-map target (largest error relative to max(1, |g|)).
func finiteDifferenceErrorLabels(
    _ name: String, _ options: [(String, Double)], _ x: [Double], _ labels: [Int64], _ shape: [Int],
    gradOutput: [Double]? = nil, h: Double = 1e-6
) throws -> Double {
    try finiteDifferenceError(x, gradOutput: gradOutput, h: h) { xs, w in
        try runLabels(name, options, xs, labels, shape, gradOutput: w)
    }
}

/// One-hot (N, C, *spatial) of a label map (N, *spatial) with C classes; ignored labels
/// (outside [0, C)) give `fill` in every channel.
func oneHot(_ labels: [Int64], classes: Int, spatial: Int, fill: Double = 0) -> [Double] {
    let n = labels.count / spatial
    var out = [Double](repeating: 0, count: n * classes * spatial)
    for b in 0..<n {
        for i in 0..<spatial {
            let k = labels[b * spatial + i]
            for c in 0..<classes {
                out[(b * classes + c) * spatial + i] = (k >= 0 && k < classes) ? (Int64(c) == k ? 1 : 0) : fill
            }
        }
    }
    return out
}

extension TestRandom {
    /// Labels in 0..<classes.
    mutating func labels(_ n: Int, classes: Int) -> [Int64] { (0..<n).map { _ in Int64(next() % UInt64(classes)) } }
}

/// The `SegLossError` thrown by `body`, or nil when it returns normally (so that
/// `#expect(thrownError { ... }?.argument == "target")` fails if nothing is thrown).
func thrownError(_ body: () throws -> Void) -> SegLossError? {
    do { try body() } catch let e as SegLossError { return e } catch { return nil }
    return nil
}
