// MARK: - The region family of the catalogue

/// log-cosh Dice, sensitivity-specificity, generalized Dice, MCC, F-beta, log Dice.
public enum RegionFamily: LossFamily {
    public static let names: [String] = []

    public static func make(_ name: String, _ reader: inout OptionReader, common: LossOptions) throws(SegLossError) -> Self {
        throw .option("loss", "unknown loss '\(name)'")
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        switch self {}
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        switch self {}
    }
}
