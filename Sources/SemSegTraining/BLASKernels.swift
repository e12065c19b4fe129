import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Which OpenBLAS kernels the trainer runs on

/// The OpenBLAS kernels behind the trainer's convolutions (im2col + `?gemm`), and whether
/// they are a generic fallback on a CPU that has much faster ones.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's `libopenblas0`) picks its kernels once, when
/// it is loaded, from the CPU it detects; a CPU newer than the OpenBLAS release is not
/// recognised and gets the most generic kernels. Debian bookworm's 0.3.21 runs Sapphire and
/// Emerald Rapids Xeons on "Prescott" (SSE3) kernels: a 128×128 U-Net training step took
/// 1.40 s there instead of 0.55 s with `OPENBLAS_CORETYPE=SkylakeX`
/// (`benchmarks/bench_training.py`, README "Training a U-Net"). The variable is read only
/// when OpenBLAS loads, i.e. before `main` for a Swift program linking `SemSegTraining`:
/// it has to be set in the environment that starts the program. (`import semsegloss_swift`
/// sets it itself while it loads the library.)
///
///     if let advice = BLASKernels.advice() { print("warning:", advice) }
public enum BLASKernels {
    /// OpenBLAS's name for the kernels it chose (`openblas_get_corename()`), e.g.
    /// "SkylakeX", "Haswell", "Zen", "Prescott"; "" if it reports none.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "" }
        return String(cString: name)
    }

    /// OpenBLAS's x86-64 kernel sets without AVX2 (lower-cased `coreName`s): what it uses for
    /// CPUs older than Haswell, and where it falls back for CPUs it does not know.
    static let withoutAVX2: Set<String> = [
        "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
        "nehalem", "sandybridge", "athlon", "opteron", "opteron_sse3", "barcelona", "bobcat", "bulldozer",
        "piledriver", "steamroller", "nano", "unknown",
    ]

    /// AVX-512 subsets OpenBLAS's SkylakeX kernels use.
    static let avx512Flags = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]

    /// The `OPENBLAS_CORETYPE` that would run faster than `core` on a CPU with these
    /// `/proc/cpuinfo` flags, or nil: "SkylakeX" (AVX-512) or "Haswell" (AVX2 and FMA) when
    /// `core` is one of the kernel sets without AVX2; nil for any other core (Haswell,
    /// SkylakeX, Zen, … and names this table does not know) and for CPUs without AVX2.
    public static func fasterCore(than core: String, cpuFlags: Set<String>) -> String? {
        guard withoutAVX2.contains(core.lowercased()), cpuFlags.contains("avx2"), cpuFlags.contains("fma") else {
            return nil
        }
        return avx512Flags.allSatisfy(cpuFlags.contains) ? "SkylakeX" : "Haswell"
    }

    /// The flags of the first processor in `/proc/cpuinfo`-formatted text (the `flags` line).
    public static func cpuFlags(cpuinfo: String) -> Set<String> {
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].trimmingSpaces == "flags" else { continue }
            return Set(parts[1].split(separator: " ", omittingEmptySubsequences: true).map(String.init))
        }
        return []
    }

    /// This machine's CPU flags (Linux `/proc/cpuinfo`; empty elsewhere or if unreadable).
    public static var machineCPUFlags: Set<String> { cpuFlags(cpuinfo: readCPUInfo()) }

    /// A sentence saying which `OPENBLAS_CORETYPE` to set, when OpenBLAS runs generic kernels
    /// on a CPU with AVX2 or AVX-512; nil when its choice is fine. Defaults: this process's
    /// kernels and this machine's CPU.
    public static func advice(core: String? = nil, cpuFlags: Set<String>? = nil) -> String? {
        let core = core ?? coreName
        guard let faster = fasterCore(than: core, cpuFlags: cpuFlags ?? machineCPUFlags) else { return nil }
        return "OpenBLAS runs its generic '\(core)' kernels on this CPU, which has "
            + (faster == "SkylakeX" ? "AVX-512" : "AVX2")
            + ": start the program with OPENBLAS_CORETYPE=\(faster) in its environment for much faster training"
            + " (OpenBLAS reads it once, when it loads)"
    }

    /// `/proc/cpuinfo` up to its first blank line (the first processor), or "".
    static func readCPUInfo() -> String {
        #if os(Linux)
        guard let file = fopen("/proc/cpuinfo", "r") else { return "" }
        defer { fclose(file) }
        var text = ""
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let l = line {
            let s = String(cString: l)
            if s == "\n" { break }
            text += s
        }
        return text
        #else
        return ""
        #endif
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
