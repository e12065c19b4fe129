// MARK: - Families of the catalogue

/// A group of losses that lives in its own files and plugs into `LossCatalog` and
/// `LossFunction` through one case each: the names it owns, construction from named
/// options, the unreduced output shape, and evaluation with either target form.
///
/// Families are enums with one case per loss, so that evaluation stays statically
/// dispatched and specialised for Float and Double.
public protocol LossFamily: Sendable {
    /// Catalogue names owned by the family, in the order shown to users.
    static var names: [String] { get }

    /// Builds loss `name` (one of `names`) from the remaining options in `reader` (the
    /// common ones are already read into `common`); reads every option it accepts.
    static func make(_ name: String, _ reader: inout OptionReader, common: LossOptions) throws(SegLossError) -> Self

    /// Shape of the unreduced output (`[]` for mean/sum).
    func outputShape(input: TensorShape, options: LossOptions) -> [Int]

    /// Evaluates the loss; see `LossOutputs`. Must validate everything (never trap).
    func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double
}
