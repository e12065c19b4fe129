// MARK: - The cross (von Neumann) stencil with zero padding

/// Convolution of one C-order image of 1 to 3 spatial axes with the cross kernel (the
/// voxel and its 2d axis neighbours, each weighted 1/(2d + 1); OpenCV's `MORPH_CROSS`
/// 3×3 in 2-D, the 7-point cross in 3-D), with zero padding:
///
///     out_i = (b_i + Σ_axes (b_{i−s} + b_{i+s})) / (2d + 1)     (neighbours outside count 0)
///
/// The kernel is symmetric and the padding zero, so the operator is self-adjoint: the same
/// call applies its transpose in a reverse pass. Loops run over contiguous slabs
/// (vectorisable): along an axis of stride s and size n, each block of s·n voxels adds its
/// own content shifted by ±s.
struct CrossStencil {
    let spatial: [Int]
    let count: Int
    let weight: Double

    init(spatial: [Int]) {
        self.spatial = spatial
        count = spatial.reduce(1, *)
        weight = 1 / Double(2 * spatial.count + 1)
    }

    /// `out = K ∗ b` (`out` and `b` must not overlap).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func apply<T: BinaryFloatingPoint>(_ b: UnsafePointer<T>, into out: UnsafeMutablePointer<T>) {
        if spatial.count == 2 {
            applyPlane(b, into: out, height: spatial[0], width: spatial[1])
            return
        }
        out.update(from: b, count: count)
        var stride = 1
        for axis in spatial.indices.reversed() {
            let n = spatial[axis], block = stride * n
            if n > 1 {
                var base = 0
                while base < count {
                    let lo = out + base, src = b + base
                    let span = block - stride
                    for j in 0..<span { lo[j + stride] += src[j] }
                    for j in 0..<span { lo[j] += src[j + stride] }
                    base += block
                }
            }
            stride = block
        }
        let w = T(weight)
        for i in 0..<count { out[i] *= w }
    }

    /// The 2-D case in one pass: each output line reads its own line and the two next to
    /// it (in cache); missing neighbour lines read a line of zeros, and the interior of each
    /// line runs without bounds checks (vectorisable).
    private func applyPlane<T: BinaryFloatingPoint>(
        _ b: UnsafePointer<T>, into out: UnsafeMutablePointer<T>, height: Int, width: Int
    ) {
        let w = T(weight)
        let zeros = [T](repeating: 0, count: width)
        zeros.withUnsafeBufferPointer { zb in
            let zero = zb.baseAddress!
            for y in 0..<height {
                let row = b + y * width, o = out + y * width
                let u = y > 0 ? row - width : zero, d = y + 1 < height ? row + width : zero
                guard width > 1 else {
                    o[0] = (row[0] + u[0] + d[0]) * w
                    continue
                }
                o[0] = (row[0] + row[1] + u[0] + d[0]) * w
                for x in 1..<(width - 1) {
                    o[x] = (row[x - 1] + row[x] + row[x + 1] + u[x] + d[x]) * w
                }
                let last = width - 1
                o[last] = (row[last - 1] + row[last] + u[last] + d[last]) * w
            }
        }
    }
}
