import SemSegLoss

// MARK: - Activation and gradient buffers of one U-Net

/// Every tensor the forward pass keeps for the backward pass, allocated once for a
/// capacity geometry (largest batch seen, fixed height and width) and reused by every
/// step, so training allocates nothing per step. All tensors are CNHW (see `Geometry`);
/// a call with a smaller batch uses a prefix of each buffer.
///
/// Level `l` (`w_l` channels, geometry halved `l` times):
/// - `encA[l]`: output of the first encoder block;
/// - `encOut[l]`: output of the second encoder block. For `l < depth` it is the
///   concatenation buffer `[upsampled (w_l), skip (w_l)]` of decoder level `l`: the
///   encoder writes its second half and the transposed convolution its first half, so
///   the concatenation is free;
/// - `pool[l]`, `argmax[l]` (`l < depth`): max-pooled `encOut` skip half;
/// - `decA[l]`, `decB[l]` (`l < depth`): outputs of the decoder blocks.
/// With BatchNorm, each block also keeps its pre-normalisation convolution output `z`
/// and per-channel batch mean / inverse standard deviation.
/// Gradient buffers mirror the activations and are allocated on the first backward pass.
final class UNetWorkspace<Scalar: TrainScalar> {
    let capacity: Geometry
    let configuration: UNetConfiguration

    let input: Buffer<Scalar>
    let logits: Buffer<Scalar>
    var encA: [Buffer<Scalar>] = [], encOut: [Buffer<Scalar>] = []
    var pool: [Buffer<Scalar>] = [], argmax: [Buffer<UInt8>] = []
    var decA: [Buffer<Scalar>] = [], decB: [Buffer<Scalar>] = []
    /// BatchNorm only, indexed by block (see `UNetModel.blockIndex`): z and saved stats.
    var blockZ: [Buffer<Scalar>] = [], blockSaved: [Buffer<Scalar>] = []

    // Gradients (allocated by `reserveGradients()`).
    var hasGradients = false
    var dLogits: Buffer<Scalar>
    var dEncA: [Buffer<Scalar>] = [], dEncOut: [Buffer<Scalar>] = []
    var dPool: [Buffer<Scalar>] = []
    var dDecA: [Buffer<Scalar>] = [], dDecB: [Buffer<Scalar>] = []
    var blockDZ: [Buffer<Scalar>] = []

    init(configuration c: UNetConfiguration, capacity g: Geometry) throws(SegLossError) {
        self.configuration = c
        self.capacity = g
        input = try Self.alloc(c.inChannels, g.pixels)
        logits = try Self.alloc(c.outChannels, g.pixels)
        dLogits = try Buffer(count: 1)
        var geo = g
        for l in 0...c.depth {
            let w = c.width(l)
            encA.append(try Self.alloc(w, geo.pixels))
            encOut.append(try Self.alloc(l < c.depth ? 2 * w : w, geo.pixels))
            if l < c.depth {
                pool.append(try Self.alloc(w, geo.pixels / 4))
                let n = try Checked.product([w, geo.pixels / 4], argument: "x", limit: Int.max)
                argmax.append(try Buffer(count: n, argument: "x"))
                decA.append(try Self.alloc(w, geo.pixels))
                decB.append(try Self.alloc(w, geo.pixels))
            }
            geo = geo.halved
        }
        if c.batchNorm {
            for (w, p) in blockShapes() {
                blockZ.append(try Self.alloc(w, p))
                blockSaved.append(try Buffer(count: 2 * w))
            }
        }
    }

    /// `(channels, pixels)` of every 3×3 block's output in `UNetModel.blockIndex` order:
    /// encoder blocks of levels 0…depth, then decoder blocks of levels depth−1…0.
    func blockShapes() -> [(Int, Int)] {
        let c = configuration
        var shapes: [(Int, Int)] = []
        for l in 0...c.depth { let s = (c.width(l), capacity.pixels >> (2 * l)); shapes += [s, s] }
        for l in stride(from: c.depth - 1, through: 0, by: -1) {
            let s = (c.width(l), capacity.pixels >> (2 * l)); shapes += [s, s]
        }
        return shapes
    }

    static func alloc(_ channels: Int, _ pixels: Int) throws(SegLossError) -> Buffer<Scalar> {
        let n = try Checked.product([channels, pixels], argument: "x", limit: Int.max)
        return try Buffer(count: n, argument: "x")
    }

    /// Allocates the gradient buffers (once).
    func reserveGradients() throws(SegLossError) {
        guard !hasGradients else { return }
        dLogits = try Buffer(count: logits.count, argument: "x")
        for b in encA { dEncA.append(try Buffer(count: b.count, argument: "x")) }
        for b in encOut { dEncOut.append(try Buffer(count: b.count, argument: "x")) }
        for b in pool { dPool.append(try Buffer(count: b.count, argument: "x")) }
        for b in decA { dDecA.append(try Buffer(count: b.count, argument: "x")) }
        for b in decB { dDecB.append(try Buffer(count: b.count, argument: "x")) }
        for b in blockZ { blockDZ.append(try Buffer(count: b.count, argument: "x")) }
        hasGradients = true
    }

    /// Whether this workspace can run `g` (same height and width, batch within capacity).
    func fits(_ g: Geometry) -> Bool {
        g.height == capacity.height && g.width == capacity.width && g.batch <= capacity.batch
    }
}
