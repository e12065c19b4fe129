import SemSegLoss

// MARK: - Architecture description

/// The U-Net of Ronneberger et al. (2015) with "same" padding:
///
/// - encoder level `l = 0…depth` has width `w_l = base·2^l` and two (conv 3×3 → ReLU)
///   blocks; levels `0…depth−1` are followed by a 2×2 max-pool;
/// - decoder level `l = depth−1…0`: ConvTranspose 2×2/2 from `w_{l+1}` to `w_l` channels
///   (no activation), concatenation `[upsampled, skip_l]` (`2·w_l` channels), two
///   (conv 3×3 → ReLU) blocks;
/// - head: conv 1×1 from `w_0` to `outChannels` logits.
///
/// With `batchNorm`, every 3×3 block is conv (no bias) → BatchNorm → ReLU.
/// For `base = 16, depth = 4, in = out = 1` (the default) the model has 1,940,817
/// parameters. Input height and width must be divisible by `2^depth`.
public struct UNetConfiguration: Sendable, Equatable, CustomStringConvertible {
    public var inChannels: Int
    public var outChannels: Int
    public var baseChannels: Int
    public var depth: Int
    public var batchNorm: Bool

    public init(inChannels: Int = 1, outChannels: Int = 1, baseChannels: Int = 16, depth: Int = 4, batchNorm: Bool = false) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.baseChannels = baseChannels
        self.depth = depth
        self.batchNorm = batchNorm
    }

    /// Largest channel count of any layer.
    public static let maxChannels = 1 << 16
    /// Largest depth (number of poolings).
    public static let maxDepth = 10

    /// Throws unless every size is positive and the widest layer and the parameter count
    /// stay within bounds.
    public func validate() throws(SegLossError) {
        guard (1...Self.maxChannels).contains(inChannels) else {
            throw .value("in_channels", "must be in 1...\(Self.maxChannels), got \(inChannels)")
        }
        guard (1...Self.maxChannels).contains(outChannels) else {
            throw .value("out_channels", "must be in 1...\(Self.maxChannels), got \(outChannels)")
        }
        guard (1...Self.maxDepth).contains(depth) else {
            throw .value("depth", "must be in 1...\(Self.maxDepth), got \(depth)")
        }
        guard baseChannels >= 1, baseChannels <= Self.maxChannels >> depth else {
            throw .value("base_channels", "must be in 1...\(Self.maxChannels >> depth) for depth \(depth) (widest layer base·2^depth at most \(Self.maxChannels)), got \(baseChannels)")
        }
        guard parameterCount <= Int(Int32.max) else {
            throw .value("base_channels", "the model would have \(parameterCount) parameters, more than \(Int32.max)")
        }
    }

    /// Channels of encoder / decoder level `level`, `base·2^level`.
    public func width(_ level: Int) -> Int { baseChannels << level }

    /// Required divisor of the input height and width, `2^depth`.
    public var sizeDivisor: Int { 1 << depth }

    /// Number of trainable parameters (weights, biases, BatchNorm γ and β).
    /// Valid once `validate()` passed (sizes are small enough not to overflow).
    public var parameterCount: Int {
        let bias = !batchNorm
        func conv(_ cin: Int, _ cout: Int, _ k: Int, bias: Bool) -> Int { cout * cin * k * k + (bias ? cout : 0) }
        func block(_ cin: Int, _ cout: Int) -> Int { conv(cin, cout, 3, bias: bias) + (batchNorm ? 2 * cout : 0) }
        var n = 0
        var cin = inChannels
        for l in 0...depth {
            n += block(cin, width(l)) + block(width(l), width(l))
            cin = width(l)
        }
        for l in stride(from: depth - 1, through: 0, by: -1) {
            n += width(l + 1) * width(l) * 4 + width(l)
            n += block(2 * width(l), width(l)) + block(width(l), width(l))
        }
        return n + conv(width(0), outChannels, 1, bias: true)
    }

    public var description: String {
        "UNet(in_channels=\(inChannels), out_channels=\(outChannels), base_channels=\(baseChannels), depth=\(depth), batch_norm=\(batchNorm))"
    }

    /// Validates an input shape `(N, C, H, W)` for this architecture and returns its
    /// geometry. `argument` names the array in messages.
    public func geometry(forInput dims: [Int], argument: String = "x") throws(SegLossError) -> Geometry {
        guard dims.count == 4 else {
            throw .shape(argument, "expected shape (N, C, H, W), got \(TensorShape.format(dims))")
        }
        guard dims.allSatisfy({ $0 > 0 }) else {
            throw .shape(argument, "every dimension must be positive, got \(TensorShape.format(dims))")
        }
        guard dims[1] == inChannels else {
            throw .shape(argument, "has \(dims[1]) channels but the model expects in_channels = \(inChannels), shape \(TensorShape.format(dims))")
        }
        guard dims[2] % sizeDivisor == 0, dims[3] % sizeDivisor == 0 else {
            throw .shape(argument, "height and width must be divisible by 2^depth = \(sizeDivisor), got \(dims[2]) x \(dims[3])")
        }
        return try Geometry(batch: dims[0], height: dims[2], width: dims[3])
    }
}
