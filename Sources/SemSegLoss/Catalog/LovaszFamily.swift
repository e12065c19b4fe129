// MARK: - The lovasz family of the catalogue

/// Lovász hinge, Lovász-softmax and the SSIM loss (the sort-based and window-based
/// losses that fit neither the region nor the pixel evaluators).
public enum LovaszFamily: LossFamily {
    case hinge(LovaszHingeLoss)
    case softmax(LovaszSoftmaxLoss)
    case ssim(SSIMLoss)

    public static let names: [String] = ["lovasz_hinge_loss", "lovasz_softmax_loss", "ssim_loss"]

    public static func make(_ name: String, _ reader: inout OptionReader, common: LossOptions) throws(SegLossError) -> Self {
        switch name {
        case "lovasz_hinge_loss":
            return .hinge(LovaszHingeLoss(perImage: try reader.bool("per_image", default: true)))
        case "lovasz_softmax_loss":
            return .softmax(LovaszSoftmaxLoss(
                perImage: try reader.bool("per_image", default: false),
                classes: try reader.code("classes", default: LovaszClasses.present, names: { $0.name })))
        case "ssim_loss":
            return .ssim(try SSIMLoss.make(&reader))
        default:
            throw .option("loss", "unknown loss '\(name)'")
        }
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        switch self {
        case .hinge(let l): l.outputShape(input: input, options: options)
        case .softmax(let l): l.outputShape(input: input, options: options)
        case .ssim(let l): l.outputShape(input: input, options: options)
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        switch self {
        case .hinge(let l): try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .softmax(let l): try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .ssim(let l): try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        }
    }
}
