import CSemSegLoss
import SemSegLoss

// MARK: - Errors to statuses (the one place where Swift errors cross the ABI)

extension SegLossError.Kind {
    /// The header's status code for this kind.
    var status: semseg_status_t {
        switch self {
        case .shape: SEMSEG_ERR_SHAPE
        case .value: SEMSEG_ERR_VALUE
        case .option: SEMSEG_ERR_OPTION
        case .dtype: SEMSEG_ERR_DTYPE
        case .allocation: SEMSEG_ERR_ALLOC
        case .io: SEMSEG_ERR_IO
        }
    }
}

/// Runs `body`, converting a thrown `SegLossError` into its status and message.
@inline(__always)
func reportingStatus(
    _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int, _ body: () throws(SegLossError) -> Void
) -> semseg_status_t {
    do {
        try body()
        return SEMSEG_OK
    } catch {
        writeMessage("\(error.argument): \(error.message)", err, errLen)
        return error.kind.status
    }
}

/// A NULL required pointer: status SEMSEG_ERR_NULL_POINTER naming the argument.
func nullPointer(_ argument: String, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) -> semseg_status_t {
    writeMessage("\(argument): must not be NULL", err, errLen)
    return SEMSEG_ERR_NULL_POINTER
}

/// Copies `message` into the caller's buffer, NUL-terminated, truncated at a UTF-8
/// character boundary to fit `errLen` bytes. Does nothing without a buffer.
func writeMessage(_ message: String, _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int) {
    guard let err, errLen > 0 else { return }
    var bytes = Array(message.utf8)
    if bytes.count > errLen - 1 {
        var cut = errLen - 1
        while cut > 0 && (bytes[cut] & 0xC0) == 0x80 { cut -= 1 }  // don't split a character
        bytes.removeSubrange(cut...)
    }
    for (i, b) in bytes.enumerated() { err[i] = CChar(bitPattern: b) }
    err[bytes.count] = 0
}
