import SemSegLoss

// MARK: - The U-Net model

/// A 3×3 convolution, optionally BatchNorm, then ReLU (fused).
public struct ConvBlock<Scalar: TrainScalar>: Sendable {
    public let conv: Conv2D<Scalar>
    public let norm: BatchNorm2D<Scalar>?
}

/// The U-Net of `UNetConfiguration`, generic over the element type (`Float` to train,
/// `Double` for gradient checks); `UNet` is the `Float` model.
///
/// Parameters live in one flat vector in this order (the checkpoint order): encoder
/// levels 0…depth (block 1: conv weight `[Cout][Cin][3][3]`, bias `[Cout]` (or BatchNorm
/// γ, β), block 2 likewise), decoder levels depth−1…0 (ConvTranspose weight
/// `[Cin][Cout][2][2]`, bias, then the two blocks), head weight `[out][w_0]` and bias.
/// Weights are initialised as PyTorch's defaults from `Xoshiro256(seed)`.
///
/// A model is not thread-safe; use one per thread. It owns its workspace (activations
/// for the largest batch seen at one image size) and its compute context (`threads`
/// workers, 0 = one per core).
public final class UNetModel<Scalar: TrainScalar> {
    public let configuration: UNetConfiguration
    /// Trainable parameters, `parameterCount` values.
    public let parameters: Buffer<Scalar>
    /// BatchNorm running means and variances (empty without BatchNorm).
    public let statistics: Buffer<Scalar>
    public let context: ComputeContext<Scalar>

    public let encoder: [ConvBlock<Scalar>]
    public let decoder: [ConvBlock<Scalar>]
    public let upsamplers: [ConvTranspose2D<Scalar>]
    public let head: Conv2D<Scalar>
    public var parameterCount: Int { configuration.parameterCount }
    public var statisticsCount: Int { statistics.count }

    var workspace: UNetWorkspace<Scalar>?

    /// Builds and initialises the model; throws `SegLossError` for invalid sizes.
    public convenience init(
        inChannels: Int = 1, outChannels: Int = 1, baseChannels: Int = 16, depth: Int = 4,
        batchNorm: Bool = false, seed: UInt64 = 0, threads: Int = 0
    ) throws(SegLossError) {
        try self.init(
            configuration: UNetConfiguration(inChannels: inChannels, outChannels: outChannels,
                                             baseChannels: baseChannels, depth: depth, batchNorm: batchNorm),
            seed: seed, threads: threads)
    }

    public init(configuration c: UNetConfiguration, seed: UInt64 = 0, threads: Int = 0) throws(SegLossError) {
        try c.validate()
        configuration = c
        var offset = 0, stats = 0
        func block(_ cin: Int, _ cout: Int) -> ConvBlock<Scalar> {
            let conv = Conv2D<Scalar>(inChannels: cin, outChannels: cout, kernelSize: 3, bias: !c.batchNorm, offset: offset)
            offset += conv.parameterCount
            var norm: BatchNorm2D<Scalar>? = nil
            if c.batchNorm {
                norm = BatchNorm2D(channels: cout, offset: offset, statsOffset: stats)
                offset += 2 * cout
                stats += 2 * cout
            }
            return ConvBlock(conv: conv, norm: norm)
        }
        var enc: [ConvBlock<Scalar>] = [], dec: [ConvBlock<Scalar>] = [], ups: [ConvTranspose2D<Scalar>] = []
        var cin = c.inChannels
        for l in 0...c.depth {
            enc.append(block(cin, c.width(l)))
            enc.append(block(c.width(l), c.width(l)))
            cin = c.width(l)
        }
        for l in stride(from: c.depth - 1, through: 0, by: -1) {
            let up = ConvTranspose2D<Scalar>(inChannels: c.width(l + 1), outChannels: c.width(l), offset: offset)
            offset += up.parameterCount
            ups.append(up)
            dec.append(block(2 * c.width(l), c.width(l)))
            dec.append(block(c.width(l), c.width(l)))
        }
        head = Conv2D(inChannels: c.width(0), outChannels: c.outChannels, kernelSize: 1, bias: true, offset: offset)
        offset += head.parameterCount
        encoder = enc
        decoder = dec
        upsamplers = ups
        parameters = try Buffer(count: offset, argument: "parameters")
        statistics = try Buffer(count: stats, argument: "parameters")
        context = try ComputeContext(threads: threads, parameterCount: offset)
        reinitialize(seed: seed)
    }

    /// Draws all parameters again from `Xoshiro256(seed)` in parameter order.
    public func reinitialize(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let p = parameters.pointer, s = statistics.pointer
        var di = 0
        for b in encoder { b.conv.initialize(p, rng: &rng); b.norm?.initialize(p, statistics: s) }
        for up in upsamplers {
            up.initialize(p, rng: &rng)
            for b in decoder[di..<di + 2] { b.conv.initialize(p, rng: &rng); b.norm?.initialize(p, statistics: s) }
            di += 2
        }
        head.initialize(p, rng: &rng)
    }

    // MARK: Indexing helpers

    /// Decoder blocks are stored deepest level first; index of level `l`'s first block.
    func decoderIndex(_ level: Int) -> Int { 2 * (configuration.depth - 1 - level) }
    /// Index of the upsampler into level `l`.
    func upIndex(_ level: Int) -> Int { configuration.depth - 1 - level }
    /// Block index into `workspace.blockZ`: encoder blocks then decoder blocks.
    func zIndex(decoder: Bool, _ i: Int) -> Int { decoder ? encoder.count + i : i }

    /// Ensures a workspace for `g` (reallocating for a larger batch or another size).
    func prepare(_ g: Geometry) throws(SegLossError) -> UNetWorkspace<Scalar> {
        if let ws = workspace, ws.fits(g) { return ws }
        workspace = nil
        let ws = try UNetWorkspace<Scalar>(configuration: configuration, capacity: g)
        workspace = ws
        return ws
    }
}

/// The single-precision model used for training.
public typealias UNet = UNetModel<Float>
