// MARK: - What a loss evaluation returns

/// Where a loss writes its outputs. All buffers are caller-owned; `nil` skips that output.
public struct LossOutputs<Scalar>: @unchecked Sendable {
    /// d(loss)/d(input), input shape. With `reduction = none` it is the vector-Jacobian
    /// product with `gradOutput` (ones when `gradOutput` is nil).
    public var gradient: UnsafeMutablePointer<Scalar>?
    /// With `reduction = none`: the unreduced losses, `outputShape` elements.
    public var values: UnsafeMutablePointer<Scalar>?
    /// With `reduction = none`: upstream gradient of the unreduced loss, `outputShape`
    /// elements (must be finite).
    public var gradOutput: UnsafePointer<Scalar>?

    public init(
        gradient: UnsafeMutablePointer<Scalar>? = nil, values: UnsafeMutablePointer<Scalar>? = nil,
        gradOutput: UnsafePointer<Scalar>? = nil
    ) {
        self.gradient = gradient
        self.values = values
        self.gradOutput = gradOutput
    }
}

/// Result of a convenience evaluation on Swift arrays.
public struct LossResult<Scalar: SegScalar>: Sendable {
    /// The reduced loss (for `reduction = none`: the plain sum of `values`; `gradOutput`
    /// weighs only the gradient).
    public var value: Double
    /// d(loss)/d(input), input shape.
    public var gradient: [Scalar]
    /// Unreduced losses when `reduction = none`, else empty.
    public var values: [Scalar]
    /// Shape of `values`.
    public var valuesShape: [Int]
}
