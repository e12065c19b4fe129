// MARK: - Softmax over the channel axis

/// Softmax over channels of (N, C, *spatial) logits, and its chain rule.
///
/// p_c = exp(z_c − m) / Σ_k exp(z_k − m) with m = max_k z_k, so no exponential overflows
/// and the largest term is 1 (the sum is ≥ 1). log p_c = z_c − m − log Σ_k exp(z_k − m).
/// The chain rule (LOSSES.md §6.12): ∂L/∂z_c = p_c (∂L/∂p_c − Σ_k p_k ∂L/∂p_k).
/// Work is split into blocks of voxels of one image (deterministic, thread-count free).
public enum SoftmaxKernel {
    /// Voxels per task: the C channels of a block stay in L1/L2 while the loops pass over them.
    static let blockSize = 2048

    /// Writes softmax probabilities into `p` (the input's shape) and returns the number of
    /// non-finite logits (those voxels get undefined values; callers reject them).
    public static func probabilities<S: SegScalar>(
        _ z: TensorView<S>, into p: UnsafeMutablePointer<S>
    ) -> Int {
        forEachBlock(z.shape) { n, lo, hi in
            block(z.base, p, nil, z.shape, n, lo, hi)
        }
    }

    /// Writes softmax probabilities into `p` and log-probabilities into `logp`.
    public static func probabilities<S: SegScalar>(
        _ z: TensorView<S>, into p: UnsafeMutablePointer<S>, logarithms logp: UnsafeMutablePointer<S>
    ) -> Int {
        forEachBlock(z.shape) { n, lo, hi in
            block(z.base, p, logp, z.shape, n, lo, hi)
        }
    }

    /// In place: `gradient` holds ∂L/∂p on entry and ∂L/∂z on return, given the softmax
    /// probabilities `p` of the same shape.
    public static func chain<S: SegScalar>(
        probabilities p: UnsafePointer<S>, gradient: UnsafeMutablePointer<S>, shape: TensorShape
    ) {
        _ = forEachBlock(shape) { n, lo, hi in
            let C = shape.channels, S_ = shape.spatialCount
            let base = n * C * S_
            var dot = [S](repeating: 0, count: hi - lo)
            dot.withUnsafeMutableBufferPointer { d in
                for c in 0..<C {
                    let pc = p + base + c * S_, gc = gradient + base + c * S_
                    for i in lo..<hi { d[i - lo] += pc[i] * gc[i] }
                }
                for c in 0..<C {
                    let pc = p + base + c * S_, gc = gradient + base + c * S_
                    for i in lo..<hi { gc[i] = pc[i] * (gc[i] - d[i - lo]) }
                }
            }
            return 0
        }
    }

    // MARK: Blocks

    /// Runs `body(image, lo, hi)` over blocks of voxels and adds up what it returns.
    static func forEachBlock(_ shape: TensorShape, _ body: (Int, Int, Int) -> Int) -> Int {
        mapBlocks(shape, empty: 0, body).results.reduce(0, +)
    }

    /// Runs `body(image, lo, hi)` over blocks of voxels in parallel and returns what each
    /// block gives, image by image and in voxel order within an image (`perImage` blocks
    /// each), so that callers add the blocks in a fixed order.
    static func mapBlocks<R>(
        _ shape: TensorShape, empty: R, _ body: (Int, Int, Int) -> R
    ) -> (results: [R], perImage: Int) {
        let perImage = (shape.spatialCount + blockSize - 1) / blockSize
        let units = shape.batch * perImage
        var results = [R](repeating: empty, count: units)
        results.withUnsafeMutableBufferPointer { rb in
            let out = rb.baseAddress!
            Parallel.forEachChunk(units, work: shape.count * 16) { u in
                let n = u / perImage, b = u % perImage
                let lo = b * blockSize, hi = min(shape.spatialCount, lo + blockSize)
                out[u] = body(n, lo, hi)
            }
        }
        return (results, perImage)
    }

    /// Softmax of voxels lo..<hi of image n, written to whole-tensor buffers `p` and `logp`
    /// (optional, both the input's shape). Returns the number of non-finite logits.
    static func block<S: SegScalar>(
        _ z: UnsafePointer<S>, _ p: UnsafeMutablePointer<S>, _ logp: UnsafeMutablePointer<S>?,
        _ shape: TensorShape, _ n: Int, _ lo: Int, _ hi: Int
    ) -> Int {
        let offset = n * shape.channels * shape.spatialCount + lo
        return block(z, shape, n, lo, hi, p: p + offset, logp: logp.map { $0 + offset }, stride: shape.spatialCount)
    }

    /// Softmax of voxels lo..<hi of image n: channel c of voxel lo + i goes to
    /// `p[c·stride + i]` and `logp[c·stride + i]` (`logp` optional), so the outputs may be a
    /// block-sized scratch (stride hi − lo) or the whole tensor (stride = spatial size, the
    /// pointers offset to voxel lo of image n). Returns the number of non-finite logits.
    static func block<S: SegScalar>(
        _ z: UnsafePointer<S>, _ shape: TensorShape, _ n: Int, _ lo: Int, _ hi: Int,
        p: UnsafeMutablePointer<S>, logp: UnsafeMutablePointer<S>?, stride: Int
    ) -> Int {
        let C = shape.channels, S_ = shape.spatialCount, m = hi - lo
        let z0 = z + n * C * S_ + lo
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: 2 * m)
        defer { scratch.deallocate() }
        let mx = scratch, sum = scratch + m
        var bad: Int32 = 0
        mx.update(from: z0, count: m)
        sum.update(repeating: 0, count: m)
        for c in 0..<C {
            let zc = z0 + c * S_
            for i in 0..<m {
                let x = zc[i]
                bad &+= 1 &- ElementChecks.bit(x - x == 0)
                mx[i] = x > mx[i] ? x : mx[i]
            }
        }
        for c in 0..<C {
            let zc = z0 + c * S_, pc = p + c * stride
            for i in 0..<m {
                let e = S.sexp(zc[i] - mx[i])
                pc[i] = e
                sum[i] += e
            }
        }
        // sum ∈ [1, C]: its logarithm and reciprocal are safe.
        if let logp {
            for i in 0..<m { mx[i] += S.slogNormal(sum[i]) }  // log Σ_k exp z_k
            for c in 0..<C {
                let zc = z0 + c * S_, lc = logp + c * stride
                for i in 0..<m { lc[i] = zc[i] - mx[i] }
            }
        }
        for i in 0..<m { sum[i] = 1 / sum[i] }
        for c in 0..<C {
            let pc = p + c * stride
            for i in 0..<m { pc[i] *= sum[i] }
        }
        return Int(bad)
    }
}
