// MARK: - Are all targets hard labels?

/// Whether every target of a dense batch is 0 or 1 (or `ignore`, whose voxels the pixel
/// evaluator treats as target 0 and then drops). A pixel objective with a cheaper form for
/// hard labels (`PixelObjective.hasHardTargetForm`: the exponential-logarithmic
/// cross-entropy needs one power instead of two) is switched to it after this scan.
/// One parallel pass of integer counts per fixed chunk (vectorised compares); a NaN or a
/// soft label makes the answer false, and the general form then reports or handles it.
enum HardTargetScan {
    static let chunkSize = 1 << 16

    static func all<S: SegScalar>(_ t: UnsafePointer<S>, count: Int, ignore: S?) -> Bool {
        guard count > 0 else { return true }
        let chunks = (count + chunkSize - 1) / chunkSize
        let ig = ignore ?? 0  // 0 is a hard label already
        var soft = [Int](repeating: 0, count: chunks)
        soft.withUnsafeMutableBufferPointer { sb in
            let out = sb.baseAddress!
            Parallel.forEachChunk(chunks, work: count) { c in
                let lo = c * chunkSize, hi = min(count, lo + chunkSize)
                out[c] = softCount(t, lo, hi, ig)
            }
        }
        return soft.allSatisfy { $0 == 0 }
    }

    /// `all` for one row, on the calling thread (inside a parallel task), without ignore_index.
    static func row<S: SegScalar>(_ t: UnsafePointer<S>, count: Int) -> Bool {
        softCount(t, 0, count, 0) == 0
    }

    /// Targets of `lo..<hi` that are neither 0, 1 nor `ignore`.
    @inline(__always)
    static func softCount<S: SegScalar>(_ t: UnsafePointer<S>, _ lo: Int, _ hi: Int, _ ignore: S) -> Int {
        var n: Int32 = 0
        for i in lo..<hi {
            let g = t[i]
            n &+= 1 &- (ElementChecks.bit(g == 0) | ElementChecks.bit(g == 1) | ElementChecks.bit(g == ignore))
        }
        return Int(n)
    }
}
