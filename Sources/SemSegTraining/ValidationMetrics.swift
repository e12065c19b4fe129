import SemSegLoss

// MARK: - Validation scores

/// Loss and overlap scores of a model on a data set.
///
/// - Binary / multilabel targets (target shape = logits shape): a pixel of a channel is
///   predicted positive when `σ(z) > threshold` and is truly positive when `y > 0.5`;
///   `TP, FP, FN, TN` are pooled over every pixel, channel and image, except pixels whose
///   target is `ScoringRule.ignoreLabel` (the loss's `ignore_index`).
/// - Label maps (`(N, H, W)` targets, `out_channels > 1`), and dense targets of an
///   objective with exclusive classes (`ScoringRule.exclusiveClasses`, e.g. a multiclass
///   loss; the class of a pixel is then its target's argmax channel): the prediction is
///   the arg-max channel; `TP, FP, FN` are pooled one-vs-rest over the foreground classes
///   `1..<C` (class 0 is background); accuracy is the fraction of pixels whose class is
///   right. Pixels labelled `ScoringRule.ignoreLabel` leave every count.
///
/// `IoU = TP/(TP + FP + FN)`, `Dice = 2TP/(2TP + FP + FN)` (both 1 when prediction and
/// truth are empty), `accuracy = (TP + TN)/total` (binary).
public struct SegmentationScores: Sendable, Equatable {
    public var loss: Double
    public var iou: Double
    public var dice: Double
    public var accuracy: Double

    public init(loss: Double, iou: Double, dice: Double, accuracy: Double) {
        self.loss = loss
        self.iou = iou
        self.dice = dice
        self.accuracy = accuracy
    }
}

/// Running confusion counts for `SegmentationScores`.
struct ScoreCounts {
    var tp = 0, fp = 0, fn = 0, correct = 0, total = 0

    /// Adds one batch. `logits` NCHW with `shape = (N, C, H, W)`; `target` either the same
    /// shape or `(N, H, W)` class labels.
    mutating func add(
        logits: UnsafePointer<Float>, shape: TensorShape, target: UnsafePointer<Float>, targetShape: [Int],
        threshold: Double, rule: ScoringRule = ScoringRule()
    ) throws(SegLossError) {
        let n = shape.batch, c = shape.channels, plane = shape.spatialCount
        let ignore = rule.ignoreLabel.map { Float($0) }
        if targetShape == shape.dims && !rule.exclusiveClasses {
            let t = Float(threshold <= 0 ? -Double.infinity : threshold >= 1 ? Double.infinity : Glibc.log(threshold / (1 - threshold)))
            var counted = 0
            for i in 0..<shape.count {
                if let ignore, target[i] == ignore { continue }
                let p = logits[i] > t, y = target[i] > 0.5
                if p && y { tp += 1 } else if p { fp += 1 } else if y { fn += 1 }
                if p == y { correct += 1 }
                counted += 1
            }
            total += counted
        } else {
            let dense = targetShape == shape.dims
            var counted = 0
            for img in 0..<n {
                for i in 0..<plane {
                    var best = 0, bestValue = logits[img * c * plane + i]
                    for k in 1..<max(1, c) where logits[(img * c + k) * plane + i] > bestValue {
                        best = k; bestValue = logits[(img * c + k) * plane + i]
                    }
                    let label: Int
                    if dense {  // one-hot / soft: the argmax channel; ignored if a channel is the ignore value
                        var top = 0, topValue = target[img * c * plane + i], ignored = topValue == ignore
                        for k in 1..<max(1, c) {
                            let v = target[(img * c + k) * plane + i]
                            if v == ignore { ignored = true }
                            if v > topValue { top = k; topValue = v }
                        }
                        if ignored { continue }
                        label = top
                    } else {
                        let v = target[img * plane + i]
                        if let ignore, v == ignore { continue }
                        guard v.isFinite, v >= 0, v < Float(c), v == v.rounded() else {
                            throw .value("y", "class labels must be integers in 0..<\(c), got \(v)")
                        }
                        label = Int(v)
                    }
                    counted += 1
                    if best == label { correct += 1 }
                    if best == label && best > 0 { tp += 1 }
                    if best != label && best > 0 { fp += 1 }
                    if best != label && label > 0 { fn += 1 }
                }
            }
            total += counted
        }
    }

    func scores(loss: Double) -> SegmentationScores {
        let iouDen = tp + fp + fn, diceDen = 2 * tp + fp + fn
        return SegmentationScores(
            loss: loss,
            iou: iouDen == 0 ? 1 : Double(tp) / Double(iouDen),
            dice: diceDen == 0 ? 1 : Double(2 * tp) / Double(diceDen),
            accuracy: total == 0 ? 1 : Double(correct) / Double(total))
    }
}

#if canImport(Glibc)
import Glibc
#endif
