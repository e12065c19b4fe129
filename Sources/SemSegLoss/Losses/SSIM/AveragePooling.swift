// MARK: - 2× average pooling between the scales of MS-SSIM

/// 2× average pooling of a plane along its real spatial axes, and its adjoint. Dims are
/// those of `SeparableWindow` (left-padded with 1 to three axes); an axis pools by 2 when
/// the coarse size differs from the fine one (⌊n/2⌋: a trailing odd row is dropped, as
/// `avg_pool(kernel_size=2)`), and is kept as is otherwise (the padding axes).
enum AveragePooling {
    /// Pooling factor (1 or 2) of each of the three axes.
    private static func factors(fine: [Int], coarse: [Int]) -> (Int, Int, Int) {
        (fine[0] == coarse[0] ? 1 : 2, fine[1] == coarse[1] ? 1 : 2, fine[2] == coarse[2] ? 1 : 2)
    }

    /// coarse[v] = mean of the fine voxels of v's 2 × … × 2 block.
    static func pool<S: SegScalar>(
        _ fine: UnsafePointer<S>, from fineDims: [Int], into coarse: UnsafeMutablePointer<S>, to coarseDims: [Int]
    ) {
        let (fa, fb, fc) = factors(fine: fineDims, coarse: coarseDims)
        let scale = 1 / S(fa * fb * fc)
        for a in 0..<coarseDims[0] {
            for b in 0..<coarseDims[1] {
                for c in 0..<coarseDims[2] {
                    var sum: S = 0
                    for da in 0..<fa {
                        for db in 0..<fb {
                            let line = fine + ((a * fa + da) * fineDims[1] + b * fb + db) * fineDims[2] + c * fc
                            for dc in 0..<fc { sum += line[dc] }
                        }
                    }
                    coarse[(a * coarseDims[1] + b) * coarseDims[2] + c] = sum * scale
                }
            }
        }
    }

    /// The adjoint: adds coarse[v]/2^d to every fine voxel of v's block (the dropped
    /// trailing rows get nothing).
    static func addAdjoint<S: SegScalar>(
        _ coarse: UnsafePointer<S>, from coarseDims: [Int], into fine: UnsafeMutablePointer<S>, to fineDims: [Int]
    ) {
        let (fa, fb, fc) = factors(fine: fineDims, coarse: coarseDims)
        let scale = 1 / S(fa * fb * fc)
        for a in 0..<coarseDims[0] {
            for b in 0..<coarseDims[1] {
                for c in 0..<coarseDims[2] {
                    let share = coarse[(a * coarseDims[1] + b) * coarseDims[2] + c] * scale
                    for da in 0..<fa {
                        for db in 0..<fb {
                            let line = fine + ((a * fa + da) * fineDims[1] + b * fb + db) * fineDims[2] + c * fc
                            for dc in 0..<fc { line[dc] += share }
                        }
                    }
                }
            }
        }
    }
}
