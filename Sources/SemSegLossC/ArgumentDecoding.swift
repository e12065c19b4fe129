import CSemSegLoss
import SemSegLoss

// MARK: - Reading C arguments safely

/// Element type of a `semseg_tensor_t`.
enum ElementType: Equatable {
    case float32, float64, int64, uint8

    init(code: Int32, argument: String) throws(SegLossError) {
        switch code {
        case SEMSEG_FLOAT32: self = .float32
        case SEMSEG_FLOAT64: self = .float64
        case SEMSEG_INT64: self = .int64
        case SEMSEG_UINT8: self = .uint8
        default: throw SegLossError(.dtype, argument: argument, "unknown dtype code \(code)")
        }
    }

    var name: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int64: "int64"
        case .uint8: "uint8"
        }
    }

    var alignment: Int {
        switch self {
        case .float32: 4
        case .float64, .int64: 8
        case .uint8: 1
        }
    }
}

/// A validated tensor argument: non-NULL data, a checked shape, a known dtype, aligned.
struct DecodedTensor {
    let data: UnsafeRawPointer
    let dims: [Int]
    let type: ElementType

    init(_ t: UnsafePointer<semseg_tensor_t>?, argument: String) throws(SegLossError) {
        guard let t else { throw .value(argument, "tensor descriptor must not be NULL") }
        let d = t.pointee
        guard let data = d.data else { throw .value(argument, "data pointer must not be NULL") }
        guard d.ndim >= 0, d.ndim <= 8 else { throw .shape(argument, "ndim must be between 0 and 8, got \(d.ndim)") }
        guard d.ndim == 0 || d.shape != nil else { throw .value(argument, "shape pointer must not be NULL") }
        var dims: [Int] = []
        for i in 0..<Int(d.ndim) {
            guard let v = d.shape?[i], let n = Int(exactly: v) else { throw .shape(argument, "bad dimension at axis \(i)") }
            dims.append(n)
        }
        type = try ElementType(code: d.dtype, argument: argument)
        // The bytes described must be countable (the kernels size their work from them);
        // dimensions ≤ 0 are refused later, with the shape.
        var bytes = type.alignment  // the element size
        for n in dims where n > 0 {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: n)
            guard !overflow else { throw .shape(argument, "shape \(TensorShape.format(dims)) describes more than \(Int.max) bytes") }
            bytes = product
        }
        guard Int(bitPattern: data) % type.alignment == 0 else {
            throw .value(argument, "data pointer is not aligned for \(type.name)")
        }
        self.data = data
        self.dims = dims
    }

    /// The channel-first shape (validated: positive dims, no overflow).
    func shape(_ argument: String) throws(SegLossError) -> TensorShape {
        try TensorShape(dims, argument: argument)
    }

    func view<S>(_: S.Type, shape: TensorShape) -> TensorView<S> {
        TensorView(data.assumingMemoryBound(to: S.self), shape: shape)
    }
}

/// The target of an (input, target) pair: an int64 label map (N, *spatial), checked
/// against the input's shape (multiclass mode; the caller's loss or metric refuses it
/// otherwise), or a dense tensor of the input's float dtype.
struct DecodedTarget {
    let tensor: DecodedTensor
    let labels: LabelView?
    /// The dense target's shape (the input's shape for a label map).
    let shape: TensorShape

    init(_ t: DecodedTensor, input x: DecodedTensor, inputShape: TensorShape) throws(SegLossError) {
        tensor = t
        if t.type == .int64 {
            labels = try LabelView(t.data.assumingMemoryBound(to: Int64.self), dims: t.dims, input: inputShape)
            shape = inputShape
        } else {
            labels = nil
            shape = try t.shape("target")
            guard t.type == x.type else {
                throw SegLossError(.dtype, argument: "target", "dtype \(t.type.name) differs from the input's \(x.type.name) (integer label maps must be int64)")
            }
        }
    }

    func view<S>(_: S.Type) -> LossTarget<S> {
        labels.map { .labels($0) } ?? .dense(tensor.view(S.self, shape: shape))
    }
}

/// Reads a C string argument.
func decodeName(_ p: UnsafePointer<CChar>?, argument: String) throws(SegLossError) -> String {
    guard let p else { throw .value(argument, "must not be NULL") }
    return String(cString: p)
}

/// Reads a file path: UTF-8 (a path in another encoding would otherwise be read with
/// replacement characters, naming another file).
func decodePath(_ p: UnsafePointer<CChar>?, argument: String = "path") throws(SegLossError) -> String {
    guard let p else { throw .value(argument, "must not be NULL") }
    guard let path = String(validatingCString: p) else {
        throw SegLossError(.io, argument: argument, "is not valid UTF-8; paths in other encodings are not supported")
    }
    return path
}

/// Reads the option list into (name, value) pairs.
func decodeOptions(_ p: UnsafePointer<semseg_option_t>?, _ n: Int64) throws(SegLossError) -> [(String, Double)] {
    guard n >= 0, n <= 1024 else { throw .value("options", "count must be between 0 and 1024, got \(n)") }
    guard n == 0 || p != nil else { throw .value("options", "pointer must not be NULL when n_options > 0") }
    var pairs: [(String, Double)] = []
    for i in 0..<Int(n) {
        guard let o = p?[i], let name = o.name else { throw .value("options", "option \(i) has a NULL name") }
        pairs.append((String(cString: name), o.value))
    }
    return pairs
}

/// Writes `dims` into a caller array of 8.
func writeShape(_ dims: [Int], _ out: UnsafeMutablePointer<Int64>, _ ndim: UnsafeMutablePointer<Int32>) {
    for (i, d) in dims.enumerated() where i < 8 { out[i] = Int64(d) }
    ndim.pointee = Int32(min(dims.count, 8))
}

// MARK: - Static C strings

/// NUL-terminated copies of catalogue names that live as long as the library.
final class StaticCStrings: @unchecked Sendable {
    private let storage: [UnsafeMutablePointer<CChar>]

    init(_ strings: [String]) {
        storage = strings.map { s in
            let bytes = Array(s.utf8CString)
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            p.initialize(from: bytes, count: bytes.count)
            return p
        }
    }

    var count: Int32 { Int32(storage.count) }

    subscript(i: Int32) -> UnsafePointer<CChar>? {
        i >= 0 && Int(i) < storage.count ? UnsafePointer(storage[Int(i)]) : nil
    }
}
