import Testing
@testable import SemSegLoss

/// A loss with a fused multiclass path and the adapter path it replaces.
protocol FusionSubject {
    func outputCount(_ shape: TensorShape, _ options: LossOptions) -> Int
    func fused<S: SegScalar>(
        _ input: TensorView<S>, _ target: LossTarget<S>, _ options: LossOptions, _ outputs: LossOutputs<S>,
        scale: Double, accumulate: Bool
    ) throws(SegLossError) -> Double
    /// The loss on softmax probabilities and dense targets (inside `MulticlassAdapter`).
    func inner<S: SegScalar>(
        _ p: TensorView<S>, _ g: TensorView<S>, _ options: LossOptions, _ outputs: LossOutputs<S>, scale: Double
    ) throws(SegLossError) -> Double
}

struct ObjectiveSubject<O: RegionObjective>: FusionSubject {
    let objective: O

    func outputCount(_ shape: TensorShape, _ options: LossOptions) -> Int {
        RegionLossEvaluator.outputShape(input: shape, options: options, region: objective.region).reduce(1, *)
    }

    func fused<S: SegScalar>(
        _ input: TensorView<S>, _ target: LossTarget<S>, _ options: LossOptions, _ outputs: LossOutputs<S>,
        scale: Double, accumulate: Bool
    ) throws(SegLossError) -> Double {
        try SoftmaxRegionEvaluator.evaluate(
            objective, input: input, target: target, options: options, outputs: outputs, scale: scale,
            accumulate: accumulate)
    }

    func inner<S: SegScalar>(
        _ p: TensorView<S>, _ g: TensorView<S>, _ options: LossOptions, _ outputs: LossOutputs<S>, scale: Double
    ) throws(SegLossError) -> Double {
        try RegionLossEvaluator.evaluate(objective, input: p, target: g, options: options, outputs: outputs, scale: scale)
    }
}

/// Generalized Dice (its own entries: one per image over the classes); scale 1 only.
struct GeneralizedDiceSubject: FusionSubject {
    let loss: GeneralizedDiceLoss

    func outputCount(_ shape: TensorShape, _ options: LossOptions) -> Int {
        loss.outputShape(input: shape, options: options).reduce(1, *)
    }

    func fused<S: SegScalar>(
        _ input: TensorView<S>, _ target: LossTarget<S>, _ options: LossOptions, _ outputs: LossOutputs<S>,
        scale: Double, accumulate: Bool
    ) throws(SegLossError) -> Double {
        try loss.evaluateSoftmax(input: input, target: target, options: options, outputs: outputs)
    }

    func inner<S: SegScalar>(
        _ p: TensorView<S>, _ g: TensorView<S>, _ options: LossOptions, _ outputs: LossOutputs<S>, scale: Double
    ) throws(SegLossError) -> Double {
        try loss.evaluate(input: p, target: g, options: options, outputs: outputs)
    }
}

/// Generalized Wasserstein Dice (`evaluateSoftmax` against `evaluateDense` in the adapter);
/// scale 1 only.
struct WassersteinSubject: FusionSubject {
    let loss: GeneralizedWassersteinDiceLoss

    func matrix(_ classes: Int) -> [Double] { try! loss.matrix(classes: classes) }

    func outputCount(_ shape: TensorShape, _ options: LossOptions) -> Int {
        loss.outputShape(input: shape, options: options).reduce(1, *)
    }

    func fused<S: SegScalar>(
        _ input: TensorView<S>, _ target: LossTarget<S>, _ options: LossOptions, _ outputs: LossOutputs<S>,
        scale: Double, accumulate: Bool
    ) throws(SegLossError) -> Double {
        try loss.evaluateSoftmax(input: input, target: target, matrix: matrix(input.shape.channels), options: options, outputs: outputs)
    }

    func inner<S: SegScalar>(
        _ p: TensorView<S>, _ g: TensorView<S>, _ options: LossOptions, _ outputs: LossOutputs<S>, scale: Double
    ) throws(SegLossError) -> Double {
        try loss.evaluateDense(p: p, g: g, matrix: matrix(p.shape.channels), options: options, outputs: outputs)
    }
}

/// `SoftmaxRegionEvaluator` (the fused multiclass path of the region objectives) against
/// the path it replaces: softmax probabilities and dense targets materialised by
/// `MulticlassAdapter`, then `RegionLossEvaluator` and the softmax chain rule. Images of
/// 2 500 voxels span two blocks of `SoftmaxKernel.blockSize`.
@Suite("Fused softmax region path")
struct SoftmaxRegionFusionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var options: LossOptions
        var region: RegionOptions = RegionOptions()
        var squared = false
        var ignored = false
        var testDescription: String { label }
    }

    static let multiclass = LossOptions(mode: .multiclass)

    static let cases: [Case] = [
        Case(label: "defaults", options: multiclass),
        Case(label: "ignore_index 255", options: LossOptions(mode: .multiclass, ignoreIndex: 255), ignored: true),
        Case(label: "no background, batch", options: LossOptions(mode: .multiclass, includeBackground: false),
             region: RegionOptions(batch: true)),
        Case(label: "squared, smoothing 1", options: multiclass,
             region: RegionOptions(smoothNumerator: 1, smoothDenominator: 1), squared: true),
        Case(label: "reduction sum, skip empty", options: LossOptions(mode: .multiclass, reduction: .sum),
             region: RegionOptions(emptyTarget: .skip)),
        Case(label: "reduction none, ignore, class weights",
             options: LossOptions(mode: .multiclass, reduction: .none, ignoreIndex: -3),
             region: RegionOptions(classWeights: [0.5, 2, 1]), ignored: true),
        Case(label: "penalize false positives", options: multiclass,
             region: RegionOptions(emptyTarget: .penalizeFalsePositives)),
    ]

    /// Logits and labels of shape (2, 3, 50, 50); class 2 is absent from image 1 (empty
    /// targets), and a stripe of labels is `ignore` when the case ignores voxels.
    static func data(_ c: Case) -> (x: [Double], labels: [Int64], shape: TensorShape) {
        var rng = TestRandom(seed: UInt64(c.label.count))
        let shape = try! TensorShape([2, 3, 50, 50])
        let x = rng.logits(shape.count, scale: 3)
        var labels = rng.labels(2 * 2500, classes: 3)
        for i in 2500..<5000 where labels[i] == 2 { labels[i] = 0 }
        if c.ignored, let ig = c.options.ignoreIndex {
            for i in stride(from: 1000, to: 4000, by: 7) { labels[i] = Int64(ig) }
        }
        return (x, labels, shape)
    }

    /// (value, gradient, values) of one path, in scalar type S, the gradient scaled by
    /// `scale` and added to `start`.
    static func evaluate<S: SegScalar>(
        _ subject: some FusionSubject, _ c: Case, _: S.Type, fused: Bool, denseTarget: Bool, scale: Double = 1,
        start: Double = 0
    ) throws -> (value: Double, gradient: [Double], values: [Double]) {
        let (xd, labels, shape) = data(c)
        let x = xd.map { S($0) }
        let out = c.options.reduction == .none ? subject.outputCount(shape, c.options) : 0
        var gradient = [S](repeating: S(start), count: shape.count)
        var values = [S](repeating: 0, count: max(1, out))
        let upstream = (0..<max(1, out)).map { S(0.5 + Double($0 % 5) * 0.25) }
        let oneHot = oneHot(labels, classes: 3, spatial: 2500, fill: c.options.ignoreIndex ?? 0).map { S($0) }
        let value = try x.withUnsafeBufferPointer { xb in
            try labels.withUnsafeBufferPointer { lb in
                try oneHot.withUnsafeBufferPointer { hb in
                    try gradient.withUnsafeMutableBufferPointer { gb in
                        try values.withUnsafeMutableBufferPointer { vb in
                            try upstream.withUnsafeBufferPointer { ub in
                                let input = TensorView(xb.baseAddress!, shape: shape)
                                let target: LossTarget<S> = denseTarget
                                    ? .dense(TensorView(hb.baseAddress!, shape: shape))
                                    : .labels(try LabelView(lb.baseAddress!, dims: [2, 50, 50], input: shape))
                                let outputs = LossOutputs(
                                    gradient: gb.baseAddress!, values: out > 0 ? vb.baseAddress! : nil,
                                    gradOutput: out > 0 ? ub.baseAddress! : nil)
                                if fused {
                                    return try subject.fused(
                                        input, target, c.options, outputs, scale: scale, accumulate: start != 0)
                                }
                                // The adapter path; accumulation through a separate buffer.
                                var own = [S](repeating: 0, count: shape.count)
                                let v = try own.withUnsafeMutableBufferPointer { ob in
                                    var o = outputs
                                    o.gradient = ob.baseAddress!
                                    return try MulticlassAdapter.evaluate(
                                        input: input, target: target, options: c.options, outputs: o
                                    ) { (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, io: LossOutputs<S>) throws(SegLossError) -> Double in
                                        try subject.inner(p, g, inner, io, scale: scale)
                                    }
                                }
                                for i in 0..<shape.count { gb[i] += own[i] }
                                return v
                            }
                        }
                    }
                }
            }
        }
        return (value, gradient.map { Double($0) }, out > 0 ? values.map { Double($0) } : [])
    }

    /// Largest |a − b| relative to the largest |b| (1 when b is all zero).
    static func relative(_ a: [Double], _ b: [Double]) -> Double {
        maxAbsDiff(a, b) / max(1e-300, b.map(abs).max() ?? 1)
    }

    static func compare<O: RegionObjective>(_ objective: O, _ c: Case, denseTarget: Bool = false) throws {
        try compare(ObjectiveSubject(objective: objective), c, denseTarget: denseTarget)
    }

    static func compare(_ subject: some FusionSubject, _ c: Case, denseTarget: Bool = false) throws {
        let fused = try evaluate(subject, c, Double.self, fused: true, denseTarget: denseTarget)
        let adapter = try evaluate(subject, c, Double.self, fused: false, denseTarget: denseTarget)
        #expect(abs(fused.value - adapter.value) <= 1e-12 * max(1, abs(adapter.value)), "\(c.label): value")
        #expect(relative(fused.gradient, adapter.gradient) < 1e-10, "\(c.label): gradient")
        #expect(maxAbsDiff(fused.values.map { $0.isNaN ? -9 : $0 }, adapter.values.map { $0.isNaN ? -9 : $0 }) < 1e-12)
        #expect(fused.gradient.contains { $0 != 0 }, "\(c.label): the gradient is not all zero")
        let f32 = try evaluate(subject, c, Float.self, fused: true, denseTarget: denseTarget)
        let a32 = try evaluate(subject, c, Float.self, fused: false, denseTarget: denseTarget)
        #expect(abs(f32.value - a32.value) <= 1e-5 * max(1, abs(a32.value)), "\(c.label): Float value")
        #expect(relative(f32.gradient, a32.gradient) < 1e-4, "\(c.label): Float gradient")
    }

    @Test("Dice: same value, unreduced values and gradient as the adapter path", arguments: cases)
    func dice(_ c: Case) throws {
        try Self.compare(DiceLoss(region: c.region, squaredPrediction: c.squared), c)
    }

    @Test("Tversky, MCC and log-cosh Dice as the adapter path", arguments: cases.filter { $0.region.classWeights == nil && !$0.squared })
    func otherObjectives(_ c: Case) throws {
        try Self.compare(TverskyLoss(alpha: 0.3, beta: 0.7, region: c.region), c)
        try Self.compare(MCCLoss(region: c.region), c)
        try Self.compare(LogCoshDiceLoss(region: c.region), c)
    }

    @Test("generalized Dice (square, simple and penalty weights) as the adapter path",
          arguments: cases.filter { $0.region.classWeights == nil && !$0.squared })
    func generalizedDice(_ c: Case) throws {
        try Self.compare(GeneralizedDiceSubject(loss: GeneralizedDiceLoss(weightType: .square, region: c.region)), c)
        try Self.compare(GeneralizedDiceSubject(loss: GeneralizedDiceLoss(weightType: .simple, region: c.region, penalty: 2.5)), c)
        try Self.compare(GeneralizedDiceSubject(loss: GeneralizedDiceLoss(weightType: .square, region: c.region)), c, denseTarget: true)
    }

    @Test("generalized Wasserstein Dice (default and GDL weighting, batch, a class-distance matrix) as the adapter path",
          arguments: cases.filter { $0.options.includeBackground })
    func wasserstein(_ c: Case) throws {
        let distances: [Double] = [0, 1, 3, 1, 0, 2, 3, 2, 0]
        try Self.compare(WassersteinSubject(loss: GeneralizedWassersteinDiceLoss()), c)
        try Self.compare(WassersteinSubject(loss: GeneralizedWassersteinDiceLoss(weighting: .gdl, batch: true)), c)
        try Self.compare(
            WassersteinSubject(loss: GeneralizedWassersteinDiceLoss(distances: distances, weighting: .gdl)), c,
            denseTarget: true)
        try Self.compare(
            WassersteinSubject(loss: GeneralizedWassersteinDiceLoss(
                distances: distances, smoothNumerator: 0.5, smoothDenominator: 2, batch: true)), c)
    }

    @Test("dense one-hot targets (ignore_index in every channel) as the adapter path", arguments: cases)
    func denseTargets(_ c: Case) throws {
        try Self.compare(DiceLoss(region: c.region, squaredPrediction: c.squared), c, denseTarget: true)
    }

    @Test("scale and accumulation (compound losses) as the adapter path")
    func accumulates() throws {
        let c = Self.cases[1]
        let dice = ObjectiveSubject(objective: DiceLoss())
        let fused = try Self.evaluate(dice, c, Double.self, fused: true, denseTarget: false, scale: 0.7, start: 0.25)
        let adapter = try Self.evaluate(dice, c, Double.self, fused: false, denseTarget: false, scale: 0.7, start: 0.25)
        #expect(abs(fused.value - adapter.value) < 1e-12)
        #expect(Self.relative(fused.gradient, adapter.gradient) < 1e-10)
        let plain = try Self.evaluate(dice, c, Double.self, fused: true, denseTarget: false)
        // Accumulated = 0.25 + 0.7·(plain gradient), element by element.
        #expect(maxAbsDiff(fused.gradient, plain.gradient.map { 0.25 + 0.7 * $0 }) < 1e-12)
    }

    @Test("the catalogue routes multiclass logits through the fused path only where it applies")
    func applies() {
        #expect(SoftmaxRegionEvaluator.applies(DiceLoss(), options: LossOptions(mode: .multiclass)))
        #expect(!SoftmaxRegionEvaluator.applies(DiceLoss(), options: LossOptions(mode: .multiclass, fromLogits: false)))
        #expect(!SoftmaxRegionEvaluator.applies(DiceLoss(region: RegionOptions(softLabel: true)), options: LossOptions(mode: .multiclass)))
        #expect(!SoftmaxRegionEvaluator.applies(DiceLoss(), options: LossOptions(mode: .multilabel)))
    }

    @Test("a non-finite logit is named, in either block")
    func nonFinite() throws {
        let shape = try TensorShape([1, 3, 50, 50])
        for at in [5, 3 * 2500 - 1] {
            var x = [Double](repeating: 0.1, count: shape.count)
            x[at] = .nan
            let labels = [Int64](repeating: 1, count: 2500)
            let error = thrownError {
                _ = try x.withUnsafeBufferPointer { xb in
                    try labels.withUnsafeBufferPointer { lb in
                        try SoftmaxRegionEvaluator.evaluate(
                            DiceLoss(), input: TensorView(xb.baseAddress!, shape: shape),
                            target: .labels(try LabelView(lb.baseAddress!, dims: [1, 50, 50], input: shape)),
                            options: Self.multiclass, outputs: LossOutputs<Double>())
                    }
                }
            }
            #expect(error?.argument == "input")
            #expect(error?.message.contains("flat index \(at)") == true)
        }
    }
}
