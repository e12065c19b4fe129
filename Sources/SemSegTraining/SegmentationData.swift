import SemSegLoss

// MARK: - A data set held in memory

/// Images `x` of shape `(N, C_in, H, W)` and targets `y` of shape `(N, C_t, H, W)` or
/// `(N, H, W)` (label maps), both C-contiguous `Float`, either owned (Swift arrays) or
/// borrowed from the caller (pointers that must stay valid while the trainer uses them,
/// e.g. NumPy buffers behind the C ABI).
public struct SegmentationData: @unchecked Sendable {
    enum Storage {
        case owned([Float], [Float])
        case borrowed(UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>)
    }

    let storage: Storage
    public let xShape: [Int]
    public let yShape: [Int]

    /// Number of samples `N`.
    public var count: Int { xShape[0] }
    public var height: Int { xShape[2] }
    public var width: Int { xShape[3] }
    /// Values per image, `C_in·H·W`.
    public var imageSize: Int { xShape[1] * xShape[2] * xShape[3] }
    /// Values per target, `C_t·H·W` or `H·W`.
    public var targetSize: Int { yShape.dropFirst().reduce(1, *) }

    /// Owning initialiser (arrays are copy-on-write: no copy is made).
    public init(x: [Float], xShape: [Int], y: [Float], yShape: [Int]) throws(SegLossError) {
        try Self.validate(xCount: x.count, xShape: xShape, yCount: y.count, yShape: yShape)
        storage = .owned(x, y)
        self.xShape = xShape
        self.yShape = yShape
    }

    /// Borrowing initialiser: the caller keeps both buffers alive and unchanged while the
    /// data is in use.
    public init(borrowingX x: UnsafeBufferPointer<Float>, xShape: [Int], y: UnsafeBufferPointer<Float>, yShape: [Int]) throws(SegLossError) {
        try Self.validate(xCount: x.count, xShape: xShape, yCount: y.count, yShape: yShape)
        storage = .borrowed(x, y)
        self.xShape = xShape
        self.yShape = yShape
    }

    static func validate(xCount: Int, xShape: [Int], yCount: Int, yShape: [Int]) throws(SegLossError) {
        guard xShape.count == 4 else {
            throw .shape("x", "expected shape (N, C, H, W), got \(TensorShape.format(xShape))")
        }
        let nx = try Checked.product(xShape, argument: "x", limit: Int.max)
        guard xShape.allSatisfy({ $0 > 0 }) else {
            throw .shape("x", "every dimension must be positive, got \(TensorShape.format(xShape))")
        }
        guard xCount == nx else { throw .shape("x", "has \(xCount) elements but shape \(TensorShape.format(xShape)) needs \(nx)") }
        let spatial = Array(xShape[2...])
        guard (yShape.count == 4 && yShape[1] > 0 && Array(yShape[2...]) == spatial) || (yShape.count == 3 && Array(yShape[1...]) == spatial),
              yShape.first == xShape[0] else {
            throw .shape("y", "expected shape (\(xShape[0]), C, \(spatial[0]), \(spatial[1])) or (\(xShape[0]), \(spatial[0]), \(spatial[1])) to match x \(TensorShape.format(xShape)), got \(TensorShape.format(yShape))")
        }
        let ny = try Checked.product(yShape, argument: "y", limit: Int.max)
        guard yCount == ny else { throw .shape("y", "has \(yCount) elements but shape \(TensorShape.format(yShape)) needs \(ny)") }
    }

    /// Runs `body` with base pointers of `x` and `y`.
    func withPointers<R>(
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>) throws(SegLossError) -> R
    ) throws(SegLossError) -> R {
        switch storage {
        case .borrowed(let x, let y):
            guard let xp = x.baseAddress, let yp = y.baseAddress else { throw .shape("x", "empty data") }
            return try body(xp, yp)
        case .owned(let x, let y):
            let r: Result<R, SegLossError> = x.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    guard let xp = xb.baseAddress, let yp = yb.baseAddress else { return .failure(.shape("x", "empty data")) }
                    do throws(SegLossError) { return .success(try body(xp, yp)) } catch { return .failure(error) }
                }
            }
            return try r.get()
        }
    }
}
