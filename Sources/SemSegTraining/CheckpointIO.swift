import SemSegLoss
import Synchronization
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

    /// Numbers the temporary files of this process, so that concurrent saves never share one.
    private static let saves = Atomic<Int>(0)

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory is
    /// written, flushed, `fsync`ed and renamed over the file. The temporary name is short
    /// and unique to the call (`.ssl-<pid>-<n>.tmp`: concurrent saves to one path each
    /// rename a complete file, and a long file name leaves room for it). A symbolic link is
    /// followed (the link stays, its target gets the new contents); an existing target that
    /// is not a regular file (a directory, a device such as /dev/null) is refused, and an
    /// existing file keeps its permission bits.
    /// Refuses a path that C calls would cut short at a NUL byte (they would write or read
    /// another file).
    static func requireNoNUL(_ path: String, argument: String = "path") throws(SegLossError) {
        guard !path.utf8.contains(0) else { throw .value(argument, "contains a NUL byte") }
    }

    /// Checks, before training, that `save` could write `path`: not empty, no NUL byte, a
    /// symbolic link that can be followed, not a directory or device, its folder an
    /// existing writable directory (`Trainer.fit`; the save itself checks again).
    static func requireWritable(_ path: String, argument: String = "checkpoint") throws(SegLossError) {
        guard !path.isEmpty else { throw SegLossError(.io, argument: argument, "must not be empty") }
        try requireNoNUL(path, argument: argument)
        let target: String
        do { target = try resolved(path) } catch { throw SegLossError(.io, argument: argument, error.message) }
        var info = stat()
        if stat(target, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
            throw SegLossError(.io, argument: argument, "\(path): exists and is not a regular file (a directory or a device)")
        }
        let slash = target.lastIndex(of: "/")
        let folder = slash.map { String(target[...$0]) } ?? "."
        guard stat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, access(folder, W_OK) == 0 else {
            throw SegLossError(.io, argument: argument, "\(path): the folder \(folder) does not exist, is not a folder or is not writable")
        }
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(SegLossError) {
        guard !path.isEmpty else { throw SegLossError(.io, argument: "path", "must not be empty") }
        try requireNoNUL(path)
        let target = try resolved(path)
        var info = stat()
        let exists = stat(target, &info) == 0
        if exists && info.st_mode & S_IFMT != S_IFREG {
            throw SegLossError(.io, argument: "path", "\(path): exists and is not a regular file (a directory or a device); refusing to replace it")
        }
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { String(target[...$0]) } ?? ""
        let tmp = directory + ".ssl-\(getpid())-\(saves.add(1, ordering: .relaxed).newValue).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0, let f = fdopen(fd, "wb") else {
            let e = ioError(tmp, "cannot create a temporary file next to \(path)")
            if fd >= 0 { close(fd); unlink(tmp) }
            throw e
        }
        if exists { fchmod(fd, info.st_mode & 0o7777) }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let ok = written == bytes.count && fflush(f) == 0 && fsync(fd) == 0
        let closed = fclose(f) == 0
        guard ok, closed else {
            let e = ioError(tmp, "write failed")
            unlink(tmp)
            throw e
        }
        guard rename(tmp, target) == 0 else {
            let e = ioError(path, "cannot rename \(tmp) to it")
            unlink(tmp)
            throw e
        }
    }

    /// `path`, or the file it links to when it is a symbolic link, link after link (a
    /// relative target is relative to its link's folder). The file need not exist: a link
    /// to a file not yet written is followed too, so that saving through it creates the
    /// file. A loop (more than 40 links) or a target that is not UTF-8 is an error.
    private static func resolved(_ path: String) throws(SegLossError) -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { throw ioError(path, "is a symbolic link that cannot be followed") }
            guard let target = String(validatingCString: Array(buffer[0..<n]) + [0]) else {
                throw SegLossError(.io, argument: "path", "\(path): is a symbolic link to a path that is not UTF-8")
            }
            if target.hasPrefix("/") {
                current = target
            } else if let slash = current.lastIndex(of: "/") {
                current = String(current[...slash]) + target
            } else {
                current = target
            }
        }
        throw SegLossError(.io, argument: "path", "\(path): is a symbolic link that cannot be followed (a loop, or more than 40 links)")
    }

    /// Reads a whole checkpoint: a regular file that starts with `magic` (checked before the
    /// rest is read, so that a large file of another kind is refused at once), of at most
    /// `limit` bytes. Memory that cannot be had is an `.allocation` error naming `path`,
    /// not a trap.
    static func read(_ path: String, magic: [UInt8], limit: Int = 1 << 40) throws(SegLossError) -> [UInt8] {
        try requireNoNUL(path)
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(path, "cannot open for reading") }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, let f = fdopen(fd, "rb") else {
            close(fd)
            throw SegLossError(.io, argument: "path", "\(path): is not a regular file (a directory or a device)")
        }
        defer { fclose(f) }
        let size = Int(info.st_size)
        var head = [UInt8](repeating: 0, count: magic.count)
        let gotHead = head.withUnsafeMutableBytes { fread($0.baseAddress, 1, magic.count, f) }
        guard gotHead == magic.count, head == magic else {
            throw ByteReader(bytes: [], path: path).fail("bad magic")
        }
        guard size <= limit, fseek(f, 0, SEEK_SET) == 0 else { throw ioError(path, "cannot determine size") }
        guard let probe = malloc(max(size, 1)) else {
            throw SegLossError(.allocation, argument: "path", "\(path): out of memory reading \(size) bytes")
        }
        free(probe)
        var bytes = [UInt8](repeating: 0, count: size)
        let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, f) }
        guard got == size else { throw ioError(path, "short read") }
        return bytes
    }
}
