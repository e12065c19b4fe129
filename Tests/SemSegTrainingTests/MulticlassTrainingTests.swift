import Testing
import SemSegTraining
import SemSegLoss

// MARK: - Multiclass objectives: label-map targets and exclusive-class scores

@Suite struct MulticlassTrainingTests {
    static let n = 3, c = 3, s = 6

    /// Labels of `n` images `s × s` in 0..<c, as Float, and their one-hot (N, C, H, W) form.
    static func labels(seed: UInt64) -> (labels: [Float], oneHot: [Float]) {
        let plane = s * s
        let labels = randomValues(n * plane, seed: seed).map { Float(min(c - 1, Int(($0 + 1) * 1.5))) }
        var oneHot = [Float](repeating: 0, count: n * c * plane)
        for i in 0..<n { for p in 0..<plane { oneHot[(i * c + Int(labels[i * plane + p])) * plane + p] = 1 } }
        return (labels, oneHot)
    }

    func evaluate(_ o: CatalogObjective, _ z: [Float], _ y: [Float], _ shape: TensorShape, _ yShape: [Int]) throws -> (Double, [Float]) {
        var grad = [Float](repeating: .nan, count: shape.count)
        let value = try z.withUnsafeBufferPointer { zb in
            try y.withUnsafeBufferPointer { yb in
                try o.lossAndGradient(logits: zb.baseAddress!, shape: shape, target: yb.baseAddress!, targetShape: yShape, gradient: &grad)
            }
        }
        return (value, grad)
    }

    @Test func labelMapsAreTheLossOfTheirOneHotForm() throws {
        let shape = try TensorShape([Self.n, Self.c, Self.s, Self.s])
        let z = randomValues(shape.count, seed: 11).map { Float($0 * 3) }
        let (labels, oneHot) = Self.labels(seed: 12)
        let objective = try CatalogObjective("dice_ce_loss", options: [("mode", 2)], outChannels: Self.c)
        let byLabels = try evaluate(objective, z, labels, shape, [Self.n, Self.s, Self.s])
        let dense = try evaluate(objective, z, oneHot, shape, shape.dims)
        let reference = try LossCatalog.make("dice_ce_loss", options: [("mode", 2)])(z, labels: labels.map { Int64($0) }, shape: shape.dims)
        #expect(byLabels.0 == reference.value && byLabels.1 == reference.gradient)
        #expect(abs(dense.0 - byLabels.0) < 1e-6 && zip(dense.1, byLabels.1).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(objective.scoring == ScoringRule(exclusiveClasses: true))
        #expect(try CatalogObjective("dice_ce_loss", outChannels: 3).scoring == ScoringRule())
    }

    @Test func labelMapErrorsNameY() throws {
        let shape = try TensorShape([Self.n, Self.c, Self.s, Self.s])
        let z = [Float](repeating: 0, count: shape.count)
        var (labels, _) = Self.labels(seed: 13)
        let multilabel = try CatalogObjective("dice_loss", outChannels: Self.c)
        let e1 = #expect(throws: SegLossError.self) { try evaluate(multilabel, z, labels, shape, [Self.n, Self.s, Self.s]) }
        #expect(e1?.argument == "y" && e1?.message.contains("multiclass") == true)
        let multiclass = try CatalogObjective("dice_loss", options: [("mode", 2)], outChannels: Self.c)
        labels[5] = 0.5
        let e2 = #expect(throws: SegLossError.self) { try evaluate(multiclass, z, labels, shape, [Self.n, Self.s, Self.s]) }
        #expect(e2?.argument == "y")
        labels[5] = 7
        let e3 = #expect(throws: SegLossError.self) { try evaluate(multiclass, z, labels, shape, [Self.n, Self.s, Self.s]) }
        #expect(e3?.argument == "y")
    }

    /// A multiclass objective with zero gradient: only its scoring rule matters.
    struct Scoring: TrainingObjective {
        var scoring: ScoringRule
        func lossAndGradient(
            logits: UnsafePointer<Float>, shape: TensorShape, target: UnsafePointer<Float>, targetShape: [Int],
            gradient: UnsafeMutablePointer<Float>
        ) throws(SegLossError) -> Double {
            for i in 0..<shape.count { gradient[i] = 0 }
            return 0
        }
    }

    @Test func exclusiveScoresCountArgmaxClassesAndSkipIgnoredPixels() throws {
        let (n, c, s) = (Self.n, Self.c, Self.s), plane = s * s
        let x = randomValues(n * plane, seed: 14).map(Float.init)
        var (labels, oneHot) = Self.labels(seed: 15)
        for p in stride(from: 0, to: labels.count, by: 5) {  // every 5th pixel ignored
            labels[p] = 255
            let i = p / plane, q = p % plane
            for k in 0..<c { oneHot[(i * c + k) * plane + q] = k == 0 ? 255 : 0 }
        }
        let model = try UNet(outChannels: c, baseChannels: 2, depth: 1, seed: 3, threads: 1)
        let rule = ScoringRule(exclusiveClasses: true, ignoreLabel: 255)
        let trainer = try Trainer(model: model, objective: Scoring(scoring: rule))
        let logits = try trainer.predict(x, shape: [n, 1, s, s])
        // By hand: argmax class against the label, foreground classes pooled.
        var tp = 0, fp = 0, fn = 0, correct = 0, total = 0
        for i in 0..<n {
            for q in 0..<plane where labels[i * plane + q] != 255 {
                let scores = (0..<c).map { logits[(i * c + $0) * plane + q] }
                let best = scores.firstIndex(of: scores.max()!)!, label = Int(labels[i * plane + q])
                total += 1
                if best == label { correct += 1 }
                if best == label && best > 0 { tp += 1 }
                if best != label && best > 0 { fp += 1 }
                if best != label && label > 0 { fn += 1 }
            }
        }
        let byLabels = try trainer.evaluate(try SegmentationData(x: x, xShape: [n, 1, s, s], y: labels, yShape: [n, s, s]))
        let dense = try trainer.evaluate(try SegmentationData(x: x, xShape: [n, 1, s, s], y: oneHot, yShape: [n, c, s, s]))
        #expect(byLabels.accuracy == Double(correct) / Double(total))
        #expect(byLabels.iou == (tp + fp + fn == 0 ? 1 : Double(tp) / Double(tp + fp + fn)))
        #expect(dense == byLabels)
        // The default rule thresholds each channel of a dense target instead.
        let thresholded = try Trainer(model: model, objective: Scoring(scoring: ScoringRule()))
            .evaluate(try SegmentationData(x: x, xShape: [n, 1, s, s], y: oneHot.map { $0 == 255 ? 0 : $0 }, yShape: [n, c, s, s]))
        #expect(thresholded.accuracy != byLabels.accuracy || thresholded.iou != byLabels.iou)
    }
}
