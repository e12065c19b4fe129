import SemSegLoss
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Little-endian byte encoding with a checksum

/// Appends little-endian scalars to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func floats(_ p: UnsafePointer<Float>, _ n: Int) {
        bytes.reserveCapacity(bytes.count + 4 * n)
        for i in 0..<n { u32(p[i].bitPattern) }
    }
}

/// Reads little-endian scalars with bounds checks; every failure is a `.io` error
/// naming the file.
struct ByteReader {
    let bytes: [UInt8]
    var position = 0
    let path: String

    func fail(_ what: String) -> SegLossError {
        SegLossError(.io, argument: "path", "\(path): not a valid SemSegLoss U-Net checkpoint (\(what))")
    }

    mutating func take(_ n: Int) throws(SegLossError) -> Int {
        guard n >= 0, n <= bytes.count - position else { throw fail("truncated") }
        defer { position += n }
        return position
    }
    mutating func u8() throws(SegLossError) -> UInt8 { bytes[try take(1)] }
    mutating func u32() throws(SegLossError) -> UInt32 {
        let p = try take(4)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[p + i]) << (8 * UInt32(i)) }
        return v
    }
    mutating func u64() throws(SegLossError) -> UInt64 {
        let p = try take(8)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[p + i]) << (8 * UInt64(i)) }
        return v
    }
    mutating func i64() throws(SegLossError) -> Int { Int(Int64(bitPattern: try u64())) }
    mutating func f64() throws(SegLossError) -> Double { Double(bitPattern: try u64()) }
    /// Reads `n` floats (n is checked against the remaining bytes before allocating).
    mutating func floatArray(_ n: Int) throws(SegLossError) -> [Float] {
        guard n >= 0, n <= (bytes.count - position) / 4 else { throw fail("truncated") }
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n { out[i] = Float(bitPattern: try u32()) }
        return out
    }
}

/// FNV-1a, 64 bit, over `bytes[range]`.
func fnv1a(_ bytes: [UInt8], _ range: Range<Int>) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for i in range { h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01B3 }
    return h
}

// MARK: - Files

enum CheckpointFile {
    static func ioError(_ path: String, _ what: String) -> SegLossError {
        let reason = String(cString: strerror(errno))
        return SegLossError(.io, argument: "path", "\(path): \(what) (\(reason))")
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory is
    /// written, flushed, `fsync`ed and renamed over `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(SegLossError) {
        guard !path.isEmpty else { throw SegLossError(.io, argument: "path", "must not be empty") }
        let tmp = path + ".tmp-\(getpid())"
        guard let f = fopen(tmp, "wb") else { throw ioError(tmp, "cannot open for writing") }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let ok = written == bytes.count && fflush(f) == 0 && fsync(fileno(f)) == 0
        let closed = fclose(f) == 0
        guard ok, closed else {
            let e = ioError(tmp, "write failed")
            unlink(tmp)
            throw e
        }
        guard rename(tmp, path) == 0 else {
            let e = ioError(path, "cannot rename \(tmp) to it")
            unlink(tmp)
            throw e
        }
    }

    /// Reads a whole file (at most `limit` bytes).
    static func read(_ path: String, limit: Int = 1 << 40) throws(SegLossError) -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw ioError(path, "cannot open for reading") }
        defer { fclose(f) }
        guard fseek(f, 0, SEEK_END) == 0 else { throw ioError(path, "cannot seek") }
        let size = ftell(f)
        guard size >= 0, size <= limit, fseek(f, 0, SEEK_SET) == 0 else { throw ioError(path, "cannot determine size") }
        var bytes = [UInt8](repeating: 0, count: size)
        let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, f) }
        guard got == size else { throw ioError(path, "short read") }
        return bytes
    }
}
