import COpenBLAS

// MARK: - Element types of the trainer

/// The element types the U-Net layers compute in: `Float` (training, `cblas_sgemm`) and
/// `Double` (finite-difference gradient checks, `cblas_dgemm`).
///
/// Every layer is generic over this protocol; the hot entry points carry
/// `@_specialize(where Scalar == Float)` so calls from other modules still run
/// specialised code.
public protocol TrainScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable {
    /// Row-major general matrix product `C ← α·op(A)·op(B) + β·C`, with
    /// `op(A)` of size `m × k` and `op(B)` of size `k × n` (BLAS `?gemm`).
    ///
    /// Callers guarantee that every size and leading dimension fits in `Int32`
    /// (checked once by `Geometry` / `UNetConfiguration`).
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    )

    /// Name shown in messages (`float32`, `float64`).
    static var trainDTypeName: String { get }
}

@inline(__always)
private func blasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: TrainScalar {
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, blasTranspose(transposeA), blasTranspose(transposeB),
            Int32(truncatingIfNeeded: m), Int32(truncatingIfNeeded: n), Int32(truncatingIfNeeded: k),
            alpha, a, Int32(truncatingIfNeeded: lda), b, Int32(truncatingIfNeeded: ldb),
            beta, c, Int32(truncatingIfNeeded: ldc))
    }
    public static var trainDTypeName: String { "float32" }
}

extension Double: TrainScalar {
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(
            CblasRowMajor, blasTranspose(transposeA), blasTranspose(transposeB),
            Int32(truncatingIfNeeded: m), Int32(truncatingIfNeeded: n), Int32(truncatingIfNeeded: k),
            alpha, a, Int32(truncatingIfNeeded: lda), b, Int32(truncatingIfNeeded: ldb),
            beta, c, Int32(truncatingIfNeeded: ldc))
    }
    public static var trainDTypeName: String { "float64" }
}

// MARK: - OpenBLAS threading

/// OpenBLAS is switched to one thread, once per process, the first time a compute context
/// is created: the trainer splits work over its own workers and calls single-threaded
/// `?gemm` from each, which avoids oversubscribing the cores and keeps results independent
/// of OpenBLAS's scheduling. (This is OpenBLAS's process-wide setting; SemSegTraining keeps
/// no mutable state of its own.)
enum OpenBLASSetup {
    static let singleThreaded: Bool = {
        openblas_set_num_threads(1)
        return true
    }()
}
