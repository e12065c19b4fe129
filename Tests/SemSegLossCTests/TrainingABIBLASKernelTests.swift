import CSemSegLoss
import SemSegLossC
import Testing

extension TrainingABITests {
    /// semseg_blas_kernels: which OpenBLAS kernels the trainer runs on.
    @Suite("BLAS kernels")
    struct BLASKernelTests {
        @Test("semseg_blas_kernels: the core name and the faster core, truncated, NULL buffers skipped")
        func blasKernels() {
            var core = [CChar](repeating: 1, count: 64), faster = [CChar](repeating: 1, count: 64)
            semseg_blas_kernels(&core, core.count, &faster, faster.count)
            let name = text(core), better = text(faster)
            #expect(!name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" })
            #expect(["", "SkylakeX", "Haswell"].contains(better))
            #expect(better.isEmpty || better.lowercased() != name.lowercased())  // (the rule: BLASKernelsTests)
            var short = [CChar](repeating: 1, count: 3)
            semseg_blas_kernels(&short, short.count, nil, 0)
            #expect(text(short) == String(name.prefix(2)) && short[2] == 0)
            semseg_blas_kernels(nil, 0, nil, 0)  // nothing to write: no crash
        }
    }
}
