// MARK: - Reading text that the C ABI wrote into a buffer

/// The NUL-terminated UTF-8 text at the start of a C buffer (an error message, a name).
func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
