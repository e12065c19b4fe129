import Testing
@testable import SemSegTraining

/// `BLASKernels`: the kernels OpenBLAS reports, and the advice when they are a generic
/// fallback on a CPU with AVX2 or AVX-512.
@Suite("OpenBLAS kernels and the advice on a generic fallback")
struct BLASKernelsTests {
    static let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]
    static let avx2: Set<String> = ["sse3", "avx", "avx2", "fma"]
    static let sse: Set<String> = ["sse2", "sse3", "ssse3"]

    @Test("a generic core on an AVX-512 CPU: SkylakeX; on an AVX2 CPU: Haswell")
    func genericFallback() {
        #expect(BLASKernels.fasterCore(than: "Prescott", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLASKernels.fasterCore(than: "Sandybridge", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLASKernels.fasterCore(than: "Core2", cpuFlags: Self.avx2) == "Haswell")
        #expect(BLASKernels.fasterCore(than: "NEHALEM", cpuFlags: Self.avx2) == "Haswell")
        // AVX-512F alone is not enough for the SkylakeX kernels.
        #expect(BLASKernels.fasterCore(than: "Prescott", cpuFlags: Self.avx2.union(["avx512f"])) == "Haswell")
    }

    @Test("no advice for AVX2 kernels, unknown names, or CPUs without AVX2 and FMA")
    func noAdvice() {
        for core in ["Haswell", "SkylakeX", "CooperLake", "SapphireRapids", "Zen", "Excavator", "Zen9", ""] {
            #expect(BLASKernels.fasterCore(than: core, cpuFlags: Self.avx512) == nil, "\(core)")
        }
        #expect(BLASKernels.fasterCore(than: "Prescott", cpuFlags: Self.sse) == nil)
        #expect(BLASKernels.fasterCore(than: "Prescott", cpuFlags: ["avx2"]) == nil)
        #expect(BLASKernels.advice(core: "Haswell", cpuFlags: Self.avx512) == nil)
    }

    @Test("the advice names the core in use and the variable to set")
    func adviceText() throws {
        let text = try #require(BLASKernels.advice(core: "Prescott", cpuFlags: Self.avx512))
        #expect(text.contains("'Prescott'"))
        #expect(text.contains("AVX-512"))
        #expect(text.contains("OPENBLAS_CORETYPE=SkylakeX"))
        let avx2 = try #require(BLASKernels.advice(core: "Prescott", cpuFlags: Self.avx2))
        #expect(avx2.contains("AVX2") && avx2.contains("OPENBLAS_CORETYPE=Haswell"))
    }

    @Test("flags from /proc/cpuinfo text: the first processor's flags line")
    func parsesCPUInfo() {
        let text = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            flags\t\t: fpu sse3 avx2 fma  avx512f
            bugs\t\t: spectre_v1

            processor\t: 1
            flags\t\t: fpu
            """
        #expect(BLASKernels.cpuFlags(cpuinfo: text) == ["fpu", "sse3", "avx2", "fma", "avx512f"])
        #expect(BLASKernels.cpuFlags(cpuinfo: "vendor_id : AuthenticAMD\n").isEmpty)
        #expect(BLASKernels.cpuFlags(cpuinfo: "").isEmpty)
    }

    @Test("this process: OpenBLAS names its kernels; the machine's flags are read on Linux")
    func thisProcess() {
        #expect(!BLASKernels.coreName.isEmpty)
        #if os(Linux) && arch(x86_64)
        #expect(BLASKernels.machineCPUFlags.contains("sse2"))
        #endif
        // The advice is consistent with the rule for this process's core and CPU.
        let expected = BLASKernels.fasterCore(than: BLASKernels.coreName, cpuFlags: BLASKernels.machineCPUFlags)
        #expect((BLASKernels.advice() != nil) == (expected != nil))
    }
}
