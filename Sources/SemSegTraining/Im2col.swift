// MARK: - im2col for "same" convolutions

/// Unfolds image rows `rows` (global row index `g = n·H + y`) of a CNHW tensor into the
/// column matrix of a k×k, stride-1, padding-`k/2` convolution:
///
///     col[(c·k² + ky·k + kx), (g − g₀)·W + x] = X[c, n, y + ky − p, x + kx − p]   (0 outside)
///
/// with `p = k/2`. `col` is row-major with leading dimension `rows.count · W` (the chunk's
/// pixel count), so `Y[:, chunk] = Wmat[Cout × Cin·k²] · col` is one GEMM. Rows are copied
/// with bulk moves (one per image row and tap), zero padding written explicitly.
@inline(__always)
func im2col<S: TrainScalar>(
    _ x: UnsafePointer<S>, channels: Int, channelStride: Int, geometry: Geometry,
    kernel: Int, rows: Range<Int>, into col: UnsafeMutablePointer<S>
) {
    let h = geometry.height, w = geometry.width
    let pad = kernel / 2
    let ld = rows.count * w
    var r = 0
    for c in 0..<channels {
        let plane = x + c * channelStride
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                let dst0 = col + r * ld
                let dx = kx - pad
                let left = min(w, max(0, -dx))       // leading zeros
                let right = min(w, max(0, dx))       // trailing zeros
                let middle = w - left - right
                for g in rows {
                    let dst = dst0 + (g - rows.lowerBound) * w
                    let y = g % h
                    let yy = y + ky - pad
                    if yy < 0 || yy >= h || middle <= 0 {
                        dst.initialize(repeating: 0, count: w)
                        continue
                    }
                    let src = plane + (g - y + yy) * w
                    if left > 0 { dst.initialize(repeating: 0, count: left) }
                    (dst + left).update(from: src + left + dx, count: middle)
                    if right > 0 { (dst + left + middle).initialize(repeating: 0, count: right) }
                }
                r += 1
            }
        }
    }
}
