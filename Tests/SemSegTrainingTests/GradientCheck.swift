import SemSegTraining
import SemSegLoss

// MARK: - Finite-difference helpers (Double)

/// Uniform values in [lo, hi) from a seeded generator.
func randomValues(_ n: Int, seed: UInt64, _ lo: Double = -1, _ hi: Double = 1) -> [Double] {
    var rng = Xoshiro256(seed: seed)
    return (0..<n).map { _ in lo + (hi - lo) * rng.nextUnit() }
}

/// `Σ g ⊙ y`, the scalar whose gradient the layer tests check.
func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// Largest relative error between `analytic[i]` and the central difference
/// `(f(v + h·e_i) − f(v − h·e_i)) / 2h` over `indices`, relative to
/// `max(1, |analytic|, |numeric|)` scaled by `scale`.
func maxGradientError(
    _ values: [Double], analytic: [Double], indices: [Int], h: Double = 1e-6,
    _ f: ([Double]) throws -> Double
) rethrows -> Double {
    var worst = 0.0
    let scale = max(1e-3, analytic.map { abs($0) }.max() ?? 1)
    for i in indices {
        var v = values
        v[i] = values[i] + h
        let up = try f(v)
        v[i] = values[i] - h
        let down = try f(v)
        let numeric = (up - down) / (2 * h)
        worst = max(worst, abs(numeric - analytic[i]) / scale)
    }
    return worst
}

/// `count` indices spread over `0..<n` (all of them when n ≤ count).
func sampleIndices(_ n: Int, count: Int, seed: UInt64 = 3) -> [Int] {
    if n <= count { return Array(0..<n) }
    var rng = Xoshiro256(seed: seed)
    return (0..<count).map { _ in rng.nextBelow(n) }
}

/// Runs a layer's backward pass with zeroed per-worker gradients and returns the reduced
/// parameter gradient.
func collectGradient(_ context: ComputeContext<Double>, _ body: () throws -> Void) throws -> [Double] {
    try context.reserveGradients()
    context.zeroGradients()
    try body()
    context.reduceGradients()
    return Array(UnsafeBufferPointer(start: context.gradient, count: context.parameterCount))
}
