import Testing
@testable import SemSegLoss

// MARK: - Signed and two-sided distance maps

struct DistanceSignedTests {
    /// 5×5 image with a 3×3 square in the middle.
    static let square: [Bool] = [
        0, 0, 0, 0, 0,
        0, 1, 1, 1, 0,
        0, 1, 1, 1, 0,
        0, 1, 1, 1, 0,
        0, 0, 0, 0, 0,
    ].map { $0 != 0 }

    static let r2 = 2.0.squareRoot()

    @Test func boundaryLossConventionKnownValues() throws {
        let phi = try SignedDistance.compute(Self.square, spatial: [5, 5])
        let r2 = Self.r2
        let want: [Double] = [
            r2, 1, 1, 1, r2,
            1, 0, 0, 0, 1,
            1, 0, -1, 0, 1,
            1, 0, 0, 0, 1,
            r2, 1, 1, 1, r2,
        ]
        #expect(DistanceReference.maxAbsDifference(phi, want) <= 1e-15)
    }

    @Test func symmetricConventionKnownValues() throws {
        let phi = try SignedDistance.compute(Self.square, spatial: [5, 5], convention: .symmetric)
        let r2 = Self.r2
        let want: [Double] = [
            r2, 1, 1, 1, r2,
            1, -1, -1, -1, 1,
            1, -1, -2, -1, 1,
            1, -1, -1, -1, 1,
            r2, 1, 1, 1, r2,
        ]
        #expect(DistanceReference.maxAbsDifference(phi, want) <= 1e-15)
    }

    @Test func twoSidedKnownValues() throws {
        let d = try SignedDistance.twoSided(Self.square, spatial: [5, 5])
        let r2 = Self.r2
        let want: [Double] = [
            r2, 1, 1, 1, r2,
            1, 1, 1, 1, 1,
            1, 1, 2, 1, 1,
            1, 1, 1, 1, 1,
            r2, 1, 1, 1, r2,
        ]
        #expect(DistanceReference.maxAbsDifference(d, want) <= 1e-15)
    }

    /// Kervadec's "− 1" is one distance unit whatever the spacing (as in `one_hot2dist`).
    @Test func anisotropicBoundaryLossKeepsUnitOffset() throws {
        let phi = try SignedDistance.compute(Self.square, spatial: [5, 5], spacing: [2, 0.5])
        #expect(phi[2 * 5 + 2] == -(1.0 - 1))      // centre: nearest background 2 columns away
        #expect(phi[1 * 5 + 1] == -(0.5 - 1))      // inner corner: background 1 column away
        #expect(phi[0] == (4.0 + 0.25).squareRoot())  // outer corner to (1, 1)
    }

    @Test(arguments: [([9, 11], [1.0, 1.0]), ([7, 8], [0.6, 1.7]), ([4, 5, 6], [2.0, 1.0, 0.5])])
    func randomMasksMatchBruteForceFormulas(_ spatial: [Int], _ spacing: [Double]) throws {
        let n = spatial.reduce(1, *)
        for seed in UInt64(20)..<24 {
            let m = DistanceReference.randomMask(n, density: 0.6, seed: seed)
            let eIn = DistanceReference.bruteForceEDT(m, spatial, spacing)
            let eOut = DistanceReference.bruteForceEDT(m.map { !$0 }, spatial, spacing)
            let kervadec = try SignedDistance.compute(m, spatial: spatial, spacing: spacing)
            let symmetric = try SignedDistance.compute(m, spatial: spatial, spacing: spacing, convention: .symmetric)
            let twoSided = try SignedDistance.twoSided(m, spatial: spatial, spacing: spacing)
            #expect(DistanceReference.maxAbsDifference(kervadec, (0..<n).map { m[$0] ? -(eIn[$0] - 1) : eOut[$0] }) <= 1e-9)
            #expect(DistanceReference.maxAbsDifference(symmetric, (0..<n).map { eOut[$0] - eIn[$0] }) <= 1e-9)
            #expect(DistanceReference.maxAbsDifference(twoSided, (0..<n).map { eOut[$0] + eIn[$0] }) <= 1e-9)
        }
    }

    // MARK: Degenerate masks

    @Test(arguments: SignedDistance.Convention.allCases)
    func emptyAndFullMasksGiveZerosByDefault(_ convention: SignedDistance.Convention) throws {
        for value in [false, true] {
            let mask = [Bool](repeating: value, count: 12)
            let phi = try SignedDistance.compute(mask, spatial: [3, 4], convention: convention)
            #expect(phi.allSatisfy { $0 == 0 })
            #expect(try SignedDistance.twoSided(mask, spatial: [3, 4]).allSatisfy { $0 == 0 })
        }
    }

    @Test func infinityPolicyKeepsSignedInfinities() throws {
        let empty = [Bool](repeating: false, count: 6), full = [Bool](repeating: true, count: 6)
        for convention in SignedDistance.Convention.allCases {
            #expect(try SignedDistance.compute(empty, spatial: [6], convention: convention, degenerate: .infinity)
                .allSatisfy { $0 == .infinity })
            #expect(try SignedDistance.compute(full, spatial: [6], convention: convention, degenerate: .infinity)
                .allSatisfy { $0 == -.infinity })
        }
        #expect(try SignedDistance.twoSided(full, spatial: [2, 3], degenerate: .infinity).allSatisfy { $0 == .infinity })
    }

    /// In a batch, the degenerate policy applies per image.
    @Test func batchAppliesPolicyPerImage() throws {
        let images = [Self.square, [Bool](repeating: true, count: 25), [Bool](repeating: false, count: 25)]
        let batch = try SignedDistance.compute(images.flatMap { $0 }, batch: 3, spatial: [5, 5])
        let single = try SignedDistance.compute(Self.square, spatial: [5, 5])
        #expect(Array(batch[0..<25]) == single)
        #expect(batch[25...].allSatisfy { $0 == 0 })
        var bytes = images.flatMap { $0 }.map { UInt8($0 ? 7 : 0) }
        var out = [Double](repeating: .nan, count: 75)
        try bytes.withUnsafeMutableBufferPointer { m throws(SegLossError) in
            try out.withUnsafeMutableBufferPointer { o throws(SegLossError) in
                try SignedDistance.twoSided(
                    masks: UnsafePointer(m.baseAddress!), batch: 3, spatial: [5, 5], into: o.baseAddress!)
            }
        }
        #expect(Array(out[0..<25]) == (try SignedDistance.twoSided(Self.square, spatial: [5, 5])))
        #expect(out[25...].allSatisfy { $0 == 0 })
    }

    @Test func invalidArgumentsThrow() {
        #expect(throws: SegLossError.self) { try SignedDistance.compute([true, false], spatial: [3]) }
        #expect(throws: SegLossError.self) { try SignedDistance.twoSided([true, false], spatial: [2], spacing: [0]) }
        do {
            _ = try SignedDistance.compute([true, false], spatial: [2], spacing: [1, 2])
            Issue.record("accepted a spacing of the wrong length")
        } catch {
            #expect(error.argument == "spacing")
            #expect(error.kind == .shape)
        }
    }
}
