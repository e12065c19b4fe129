import Foundation
import Testing
@testable import SemSegLoss

/// soft_cldice_loss and soft_dice_cldice_loss: the soft skeleton by hand, values,
/// finite-difference gradients through the skeleton's reverse pass, edges.
@Suite("Soft clDice")
struct SoftClDiceTests {
    /// A line p = (0.2, 0.9, 0.3): erode (0.2, 0.2, 0.3), open (0.2, 0.3, 0.3), δ₀ = (0, 0.6, 0);
    /// then x₁ = (0.2, 0.2, 0.3) opens to 0.2 everywhere, δ₁ = (0, 0, 0.1), s₁ = (0, 0.6, 0.1);
    /// later steps add nothing. g = (0, 1, 0) has skeleton (0, 1, 0).
    @Test("skeletons and value by hand")
    func byHand() throws {
        let sk = SoftSkeleton<Double>(spatial: [3], iterations: 3)
        let sp = sk.skeleton([0.2, 0.9, 0.3])
        #expect(maxAbsDiff(sp, [0, 0.6, 0.1]) < 1e-12)
        let sg = sk.skeleton([0.0, 1, 0])
        #expect(maxAbsDiff(sg, [0, 1, 0]) < 1e-12)
        let r = try run("soft_cldice_loss", [("from_logits", 0)], [0.2, 0.9, 0.3], [0, 1, 0], [1, 1, 3])
        let tprec = 1.6 / 1.7, tsens = 1.9 / 2.0
        #expect(abs(r.value - (1 - 2 * tprec * tsens / (tprec + tsens))) < 1e-12)
        let d = try run("soft_dice_cldice_loss", [("from_logits", 0), ("alpha", 0.3)], [0.2, 0.9, 0.3], [0, 1, 0], [1, 1, 3])
        let dice = 1 - (2 * 0.9 + 1) / (1.4 + 1 + 1)
        #expect(abs(d.value - (0.7 * dice + 0.3 * (1 - 2 * tprec * tsens / (tprec + tsens)))) < 1e-12)
    }

    @Test("the skeleton of a filled square: its centre, nothing outside")
    func square() {
        var g = [Double](repeating: 0, count: 81)
        for y in 2..<7 { for x in 2..<7 { g[y * 9 + x] = 1 } }
        let sk = SoftSkeleton<Double>(spatial: [9, 9], iterations: 3)
        let s = sk.skeleton(g)
        #expect(abs(s[4 * 9 + 4] - 1) < 1e-12)
        #expect(s.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect((0..<81).allSatisfy { g[$0] == 1 || s[$0] == 0 })
    }

    static let families: [(String, [Int], [(String, Double)])] = [
        ("binary logits 2-D", [1, 1, 6, 7], []),
        ("binary probabilities, 2 iterations", [2, 1, 5, 5], [("from_logits", 0), ("iterations", 2)]),
        ("multilabel no background, ignore", [1, 3, 5, 4], [("mode", 1), ("include_background", 0), ("ignore_index", 255)]),
        ("3-D, smooth 0.5", [1, 1, 3, 4, 4], [("smooth", 0.5)]),
        ("1-D", [2, 1, 9], []),
    ]

    @Test("gradient matches central differences (Double)", arguments: 0..<families.count, ["soft_cldice_loss", "soft_dice_cldice_loss"])
    func gradient(_ f: Int, _ name: String) throws {
        let (label, shape, options) = Self.families[f]
        var rng = TestRandom(seed: UInt64(60 + f))
        let n = shape.reduce(1, *)
        let x = label.contains("probabilities") ? rng.probs(n) : rng.logits(n)
        var g = rng.bits(n, p: 0.4)
        if label.contains("ignore") { g[3] = 255; g[11] = 255 }
        let err = try finiteDifferenceError(name, options, x, g, shape)
        #expect(err < 1e-6, "\(name) \(label): \(err)")
    }

    @Test("multiclass: label maps = one-hot, gradient through the softmax")
    func multiclass() throws {
        var rng = TestRandom(seed: 71)
        let shape = [2, 3, 4, 5]
        let x = rng.logits(120), labels = rng.labels(40, classes: 3)
        for name in ["soft_cldice_loss", "soft_dice_cldice_loss"] {
            let options: [(String, Double)] = [("mode", 2), ("include_background", 0)]
            let err = try finiteDifferenceErrorLabels(name, options, x, labels, shape)
            #expect(err < 1e-6, "\(name): \(err)")
            let a = try runLabels(name, options, x, labels, shape)
            let b = try run(name, options, x, oneHot(labels, classes: 3, spatial: 20), shape)
            #expect(abs(a.value - b.value) < 1e-12 && maxAbsDiff(a.gradient, b.gradient) < 1e-12)
        }
    }

    @Test("edges: ±30 logits, empty and full masks, 1x1, all ignored; Float agrees")
    func edges() throws {
        for name in ["soft_cldice_loss", "soft_dice_cldice_loss"] {
            for g in [[Double](repeating: 0, count: 9), [Double](repeating: 1, count: 9), [0, 1, 0, 1, 1, 1, 0, 1, 0]] {
                for s in [30.0, -30.0] {
                    let x = g.map { $0 > 0 ? s : -s }
                    let r = try run(name, [], x, g, [1, 1, 3, 3])
                    #expect(r.value.isFinite && r.value >= 0 && r.value <= 1 && r.gradient.allSatisfy(\.isFinite))
                    let f = try runFloat(name, [], x, g, [1, 1, 3, 3])
                    #expect(abs(Double(f.value) - r.value) < 1e-5)
                }
            }
            let one = try run(name, [], [0.4], [1], [1, 1, 1, 1])
            #expect(one.value.isFinite && one.gradient.allSatisfy(\.isFinite))
            let ignored = try run(name, [("ignore_index", 255)], [0.3, -1, 2, 0], [255, 255, 255, 255], [1, 1, 2, 2])
            #expect(ignored.value == 0 && ignored.gradient.allSatisfy { $0 == 0 })
        }
    }

    @Test("bad options and inputs name the argument")
    func errors() {
        let x = [0.1, 0.2, 0.3, 0.4], g = [1.0, 0, 1, 0], shape = [1, 1, 2, 2]
        for k in [-1.0, 1.5, .nan] {
            expectError(.value, "iterations") { _ = try run("soft_cldice_loss", [("iterations", k)], x, g, shape) }
        }
        expectError(.value, "smooth") { _ = try run("soft_cldice_loss", [("smooth", 0)], x, g, shape) }
        expectError(.value, "alpha") { _ = try run("soft_dice_cldice_loss", [("alpha", 1.5)], x, g, shape) }
        expectError(.option, "alpha") { _ = try run("soft_cldice_loss", [("alpha", 0.5)], x, g, shape) }
        expectError(.option, "reduction") { _ = try run("soft_cldice_loss", [("reduction", 2)], x, g, shape) }
        expectError(.value, "input") { _ = try run("soft_cldice_loss", [], [0.1, .nan, 0.3, 0.4], g, shape) }
        expectError(.value, "input") { _ = try run("soft_cldice_loss", [("from_logits", 0)], [0.1, 1.2, 0.3, 0.4], g, shape) }
        expectError(.value, "target") { _ = try run("soft_cldice_loss", [], x, [1, 2, 1, 0], shape) }
        expectError(.shape, "target") { _ = try run("soft_cldice_loss", [], x, [1, 0, 1], shape) }
    }
}

extension SoftClDiceTests {
    /// Planes of 1 to 3 axes: odd sizes, axes of length 1 and 2, a single voxel.
    static let planeDims: [[Int]] = [
        [1], [2], [3], [11], [7, 9], [1, 6], [6, 1], [2, 5], [5, 2], [2, 2], [1, 1],
        [3, 4, 5], [1, 4, 3], [4, 1, 3], [3, 2, 1], [2, 2, 2], [1, 1, 1], [3, 1, 1],
    ]

    /// Continuous values (no ties), or values on a coarse grid (many ties, every tie rule).
    static func plane(_ n: Int, ties: Bool, seed: UInt64) -> [Double] {
        var rng = TestRandom(seed: seed)
        return (0..<n).map { _ in ties ? Double(Int(rng.uniform() * 4)) / 4 : rng.uniform() }
    }

    /// The voxel a code points at (`SoftSkeleton`'s codes).
    static func source(_ sk: SoftSkeleton<Double>, _ i: Int, _ code: UInt8, erosion: Bool, pass axis: Int = 0) -> Int {
        guard code != 0 else { return i }
        let a = erosion ? Int(code - 1) / 2 : axis, minus = erosion ? code == UInt8(1 + 2 * a) : code == 1
        return minus ? i - sk.axes[a].stride : i + sk.axes[a].stride
    }

    /// Erosion and dilation values equal the index-recording reference exactly, with or
    /// without codes, and the codes point at the voxels the reference took (ties included).
    @Test("morphology with codes equals the index-recording reference, ties included", arguments: planeDims)
    func morphologyCodes(_ dims: [Int]) {
        let n = dims.reduce(1, *)
        let sk = SoftSkeleton<Double>(spatial: dims[...], iterations: 1)
        let reference = IndexScatterSkeleton<Double>(spatial: dims[...], iterations: 1)
        for ties in [false, true] {
            let x = Self.plane(n, ties: ties, seed: UInt64(n))
            let (erodedRef, erodedFrom) = reference.erode(x)
            let (dilatedRef, dilatedFrom) = reference.dilate(x)
            let (eroded, erosionCodes) = sk.erodeRecorded(x)
            let (dilated, passCodes) = sk.dilateRecorded(x)
            #expect(eroded == erodedRef && sk.erodeValues(x) == erodedRef, "\(dims) ties \(ties)")
            #expect(dilated == dilatedRef && sk.dilateValues(x) == dilatedRef, "\(dims) ties \(ties)")
            let erodedAt = (0..<n).map { Self.source(sk, $0, erosionCodes[$0], erosion: true) }
            #expect(erodedAt == erodedFrom.map { Int($0) }, "\(dims) ties \(ties)")
            // Compose the dilation passes (last axis first): follow them back from the output.
            let dilatedAt = (0..<n).map { i in
                var at = i
                for p in passCodes.indices.reversed() {
                    at = Self.source(sk, at, passCodes[p][at], erosion: false, pass: sk.axes.count - 1 - p)
                }
                return at
            }
            #expect(dilatedAt == dilatedFrom.map { Int($0) }, "\(dims) ties \(ties)")
        }
    }

    /// The gather backward equals the reference's index scatter (same subgradient at ties;
    /// sums of several contributions may round differently) and, where there are no ties,
    /// central differences; the skeleton equals the reference's exactly.
    @Test("backward equals the index-scatter reference and central differences", arguments: planeDims)
    func backwardReference(_ dims: [Int]) {
        let n = dims.reduce(1, *)
        for iterations in [0, 1, 2, 3, 5] {
            let sk = SoftSkeleton<Double>(spatial: dims[...], iterations: iterations)
            let reference = IndexScatterSkeleton<Double>(spatial: dims[...], iterations: iterations)
            for ties in [false, true] {
                let seed = UInt64(n * 10 + iterations) + (ties ? 1000 : 0)
                let x = Self.plane(n, ties: ties, seed: seed)
                let w = Self.plane(n, ties: false, seed: seed + 7).map { $0 - 0.3 }
                let (skeletonRef, tape) = x.withUnsafeBufferPointer { reference.forward($0.baseAddress!, record: true) }
                #expect(sk.skeleton(x) == skeletonRef, "\(dims) K=\(iterations) ties \(ties)")
                let expected = reference.backward(tape!, w)
                let got = sk.gradient(x, w)
                let scale = 1 + expected.map(abs).max()!
                #expect(maxAbsDiff(got, expected) <= 1e-13 * scale, "\(dims) K=\(iterations) ties \(ties): \(maxAbsDiff(got, expected))")
                guard !ties else { continue }
                // L = Σ w·s(x), central differences.
                func loss(_ y: [Double]) -> Double { zip(w, sk.skeleton(y)).reduce(0) { $0 + $1.0 * $1.1 } }
                let h = 1e-7
                var worst = 0.0
                for i in 0..<n {
                    var up = x, down = x
                    up[i] += h
                    down[i] -= h
                    worst = max(worst, abs((loss(up) - loss(down)) / (2 * h) - got[i]))
                }
                #expect(worst < 1e-6, "\(dims) K=\(iterations): \(worst)")
            }
        }
    }

    /// The value-only forward equals the recorded one.
    @Test("value-only forward equals the recorded one", arguments: [[7, 9], [3, 4, 5], [11]])
    func valueOnly(_ dims: [Int]) {
        var rng = TestRandom(seed: UInt64(dims.count))
        let x = rng.logits(dims.reduce(1, *))
        let sk = SoftSkeleton<Double>(spatial: dims[...], iterations: 3)
        #expect(sk.erodeValues(x) == sk.erodeRecorded(x).0)
        #expect(sk.dilateValues(x) == sk.dilateRecorded(x).0)
        #expect(sk.skeleton(x) == sk.recordedSkeleton(x))
    }
}

/// Array forms of `SoftSkeleton`'s pointer API.
extension SoftSkeleton where S == Double {
    func skeleton(_ x: [Double]) -> [Double] {
        var out = [Double](repeating: .nan, count: count)
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { skeleton(of: xb.baseAddress!, into: $0.baseAddress!, failures: AllocationFailures()) } }
        return out
    }

    /// The skeleton from the recording forward pass.
    func recordedSkeleton(_ x: [Double]) -> [Double] {
        var out = [Double](repeating: .nan, count: count)
        var scalars = [Double](repeating: .nan, count: tapeScalars + workScalars)
        var codes = [UInt8](repeating: 0, count: tapeCodes)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                scalars.withUnsafeMutableBufferPointer { sb in
                    codes.withUnsafeMutableBufferPointer { cb in
                        let tape = Tape(differences: sb.baseAddress!, skeletons: sb.baseAddress! + (iterations + 1) * count, codes: cb.baseAddress!)
                        forward(xb.baseAddress!, into: ob.baseAddress!, work: sb.baseAddress! + tapeScalars, tape: tape, On.self)
                    }
                }
            }
        }
        return out
    }

    /// ∂(Σ w·s)/∂x.
    func gradient(_ x: [Double], _ w: [Double]) -> [Double] {
        var ds = w, dx = [Double](repeating: .nan, count: count)
        x.withUnsafeBufferPointer { xb in
            ds.withUnsafeMutableBufferPointer { db in
                dx.withUnsafeMutableBufferPointer { gradient(of: xb.baseAddress!, dSkeleton: db.baseAddress!, into: $0.baseAddress!, failures: AllocationFailures()) }
            }
        }
        return dx
    }

    func erodeRecorded(_ x: [Double]) -> ([Double], [UInt8]) {
        var out = [Double](repeating: .nan, count: count), codes = [UInt8](repeating: 99, count: count)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                codes.withUnsafeMutableBufferPointer { erode(xb.baseAddress!, into: ob.baseAddress!, codes: $0.baseAddress!, On.self) }
            }
        }
        return (out, codes)
    }

    func erodeValues(_ x: [Double]) -> [Double] {
        var out = [Double](repeating: .nan, count: count), none = [UInt8](repeating: 99, count: 1)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                none.withUnsafeMutableBufferPointer { erode(xb.baseAddress!, into: ob.baseAddress!, codes: $0.baseAddress!, Off.self) }
            }
        }
        return out
    }

    /// The dilation and the codes of each pass (last axis first).
    func dilateRecorded(_ x: [Double]) -> ([Double], [[UInt8]]) {
        var codes = [UInt8](repeating: 99, count: max(1, axes.count) * count)
        let out = dilate(x, &codes, On.self)
        return (out, (0..<axes.count).map { Array(codes[($0 * count)..<(($0 + 1) * count)]) })
    }

    func dilateValues(_ x: [Double]) -> [Double] {
        var none = [UInt8](repeating: 99, count: 1)
        return dilate(x, &none, Off.self)
    }

    private func dilate<Record: StaticFlag>(_ x: [Double], _ codes: inout [UInt8], _: Record.Type) -> [Double] {
        var work = [Double](repeating: .nan, count: 2 * count)
        return x.withUnsafeBufferPointer { xb in
            work.withUnsafeMutableBufferPointer { wb in
                codes.withUnsafeMutableBufferPointer { cb in
                    let w = wb.baseAddress!
                    let out = dilate(xb.baseAddress!, w, w + count, codes: cb.baseAddress!, Record.self)
                    return Array(UnsafeBufferPointer(start: out, count: count))
                }
            }
        }
    }
}
