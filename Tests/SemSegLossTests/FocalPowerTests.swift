import Testing
@testable import SemSegLoss

/// The power laws of the focal modulating factor (FocalPowers.swift): the square-root form
/// for γ = 0.5 (`HalfPower`) must give what e^(γ·log x) (`RealPower`) gives, in every focal
/// term that takes it, and the dispatch must pick it exactly for γ = 0.5.
@Suite("Focal power laws")
struct FocalPowerTests {
    /// Both signs, tiny and saturated logits.
    static let logits: [Double] = [-100, -30, -8, -1, -1e-4, 0, 1e-4, 0.3, 1, 8, 30, 100]
    /// 0 and 1, values inside the clamp [1e−7, 1 − 1e−7] and around it.
    static let probabilities: [Double] = [0, 1e-9, 1e-7, 2e-7, 0.01, 0.3, 0.5, 0.8, 0.99, 1 - 2e-7, 1 - 1e-7, 1]

    /// |a − b| ≤ tol·max(1, |b|).
    func close<S: SegScalar>(_ a: S, _ b: S, _ tol: Double) -> Bool {
        a.isFinite && b.isFinite && abs(Double(a) - Double(b)) <= tol * max(1, abs(Double(b)))
    }

    func tolerance<S: SegScalar>(_: S.Type) -> Double { S.self == Float.self ? 2e-6 : 1e-13 }

    @Test("γ = 2 gets products, γ = 0.5 square roots where they vectorise, other γ the exp form")
    func dispatch() {
        #expect(FocalPowerKind(gamma: 2) == .square)
        #if SEMSEG_VECTOR_SQRT
        #expect(FocalPowerKind(gamma: 0.5) == .half)
        #else
        #expect(FocalPowerKind(gamma: 0.5) == .real)
        #endif
        for gamma in [0, 0.4999999, 0.5000001, 1, 1.5, 3.3] {
            #expect(FocalPowerKind(gamma: gamma) == .real, "γ = \(gamma)")
        }
    }

    func comparePowers<S: SegScalar>(_: S.Type) {
        let tol = tolerance(S.self), gamma = S(0.5)
        for xd in [0, 1e-30, 1e-7, 0.01, 0.25, 0.3, 0.5, 0.999, 1] {
            let x = S(xd)
            let half = HalfPower.power(x, gamma), real = RealPower.power(x, gamma)
            #expect(close(half.value, real.value, tol), "√\(xd)")
            if xd >= 1e-7 {  // RealPower's γ·x^(γ−1) grows without bound as x → 0
                #expect(close(half.derivative, real.derivative, tol), "d√\(xd)")
            }
            if xd > 0 {
                let l = S.slog(x)
                let v = HalfPower.power(x, log: l, gamma)
                #expect(close(v, RealPower.power(x, log: l, gamma), tol), "√\(xd) from its log")
                #expect(close(HalfPower.slope(x, value: v, inverse: 1 / x, gamma),
                              RealPower.slope(x, value: v, inverse: 1 / x, gamma), tol), "slope at \(xd)")
            }
        }
        // At 0 both take the derivative as 0 (the softmax focal term's limit handles p = 1).
        #expect(HalfPower.power(S(0), gamma).derivative == 0)
        #expect(RealPower.power(S(0), gamma).derivative == 0)
    }

    @Test("√x, its derivative and its slope equal the exp-log forms (Float and Double)")
    func powers() {
        comparePowers(Float.self)
        comparePowers(Double.self)
    }

    func compareTerms<S: SegScalar>(_: S.Type) {
        let tol = 4 * tolerance(S.self)
        for (inputs, fromLogits) in [(Self.logits, true), (Self.probabilities, false)] {
            for xd in inputs {
                for g in [S(0), S(1), S(0.3)] {
                    let x = S(xd)
                    for alpha in [0.25, nil] as [Double?] {
                        let a = FocalTerms<HalfPower, Off>(alpha: alpha, gamma: 0.5).evaluateWithFactor(x, g, fromLogits: fromLogits)
                        let b = FocalTerms<RealPower, Off>(alpha: alpha, gamma: 0.5).evaluateWithFactor(x, g, fromLogits: fromLogits)
                        let where_ = "x = \(xd), g = \(g), logits \(fromLogits), α \(String(describing: alpha))"
                        #expect(close(a.loss, b.loss, tol), "focal loss, \(where_)")
                        #expect(close(a.grad, b.grad, tol), "focal gradient, \(where_)")
                        #expect(close(a.factor, b.factor, tol), "focal factor, \(where_)")
                        #expect(close(a.factorGrad, b.factorGrad, tol), "focal factor gradient, \(where_)")
                    }
                    let a = AsymmetricFocalTerms<HalfPower>(delta: 0.6, gamma: 0.5).evaluate(x, g, fromLogits: fromLogits)
                    let b = AsymmetricFocalTerms<RealPower>(delta: 0.6, gamma: 0.5).evaluate(x, g, fromLogits: fromLogits)
                    #expect(close(a.loss, b.loss, tol) && close(a.grad, b.grad, tol), "asymmetric, x = \(xd), g = \(g)")
                }
            }
        }
        // The softmax term takes p ∈ [0, 1] with its log; p = 1 (q = 0) uses the limit.
        for pd in [1e-30, 1e-7, 0.01, 0.3, 0.5, 0.9, 1 - 1e-6, 1] {
            let p = S(pd), l = S.slog(p)
            for g in [S(0), S(1), S(0.4)] {
                let a = SoftmaxFocalTerm<HalfPower, Off>(gamma: 0.5).evaluate(l, p, g, 0.7)
                let b = SoftmaxFocalTerm<RealPower, Off>(gamma: 0.5).evaluate(l, p, g, 0.7)
                #expect(close(a.loss, b.loss, tol) && close(a.dl, b.dl, tol), "softmax term, p = \(pd), g = \(g)")
                let c = AsymmetricSoftmaxFocalTerm<HalfPower>(gamma: 0.5).evaluate(l, p, g, 0.7)
                let d = AsymmetricSoftmaxFocalTerm<RealPower>(gamma: 0.5).evaluate(l, p, g, 0.7)
                #expect(close(c.loss, d.loss, tol) && close(c.dl, d.dl, tol), "asymmetric softmax term, p = \(pd), g = \(g)")
            }
        }
    }

    @Test("the focal terms with square roots equal those with the exp-log power (Float and Double)")
    func terms() {
        compareTerms(Float.self)
        compareTerms(Double.self)
    }
}
