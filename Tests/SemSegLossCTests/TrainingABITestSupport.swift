import CSemSegLoss
import SemSegLossC
import Testing
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers: C-owned tensors, options and handles

/// A tensor descriptor with its own copies of data and shape (freed on deinit).
final class HostTensor {
    let data: UnsafeMutableRawPointer
    let shape: UnsafeMutablePointer<Int64>
    let descriptor: UnsafeMutablePointer<semseg_tensor_t>

    init(_ values: [Float], shape dims: [Int64], dtype: Int32 = SEMSEG_FLOAT32, nullData: Bool = false) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, values.count) * 8, alignment: 64)
        values.withUnsafeBytes { raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let dimsPointer = UnsafeMutablePointer<Int64>.allocate(capacity: max(1, dims.count))
        for (i, d) in dims.enumerated() { dimsPointer[i] = d }
        let d = UnsafeMutablePointer<semseg_tensor_t>.allocate(capacity: 1)
        d.initialize(to: semseg_tensor_t(data: nullData ? nil : UnsafeRawPointer(raw), shape: dimsPointer,
                                         ndim: Int32(dims.count), dtype: dtype))
        data = raw
        shape = dimsPointer
        descriptor = d
    }

    deinit {
        data.deallocate()
        shape.deallocate()
        descriptor.deallocate()
    }
}

/// Options as a C array with strdup'ed names.
final class HostOptions {
    let names: [UnsafeMutablePointer<CChar>?]
    let list: UnsafeMutablePointer<semseg_option_t>
    let count: Int64

    init(_ pairs: [(String, Double)]) {
        names = pairs.map { strdup($0.0) }
        list = .allocate(capacity: max(1, pairs.count))
        for (i, p) in pairs.enumerated() { list[i] = semseg_option_t(name: names[i], value: p.1) }
        count = Int64(pairs.count)
    }

    deinit {
        names.forEach { free($0) }
        list.deallocate()
    }
}

/// Status and message of one call that takes (err, err_len).
func withError(_ body: (UnsafeMutablePointer<CChar>, Int) -> semseg_status_t) -> (status: semseg_status_t, message: String) {
    var buffer = [CChar](repeating: 0, count: 512)
    let status = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
    let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    return (status, message)
}

/// Bright squares on noise: `n` images 1×16×16 and their masks.
func squares(_ n: Int, seed: UInt32) -> (x: HostTensor, y: HostTensor) {
    var state = seed
    func unit() -> Float { state = state &* 1_664_525 &+ 1_013_904_223; return Float(state >> 8) / Float(1 << 24) }
    var x = [Float](), y = [Float]()
    for _ in 0..<n {
        let r0 = Int(unit() * 8), c0 = Int(unit() * 8)
        for r in 0..<16 {
            for c in 0..<16 {
                let inside = r >= r0 && r < r0 + 7 && c >= c0 && c < c0 + 7
                x.append((inside ? 0.7 : 0) + 0.4 * unit() - 0.2)
                y.append(inside ? 1 : 0)
            }
        }
    }
    return (HostTensor(x, shape: [Int64(n), 1, 16, 16]), HostTensor(y, shape: [Int64(n), 1, 16, 16]))
}

func makeModel(base: Int64 = 2, depth: Int64 = 2, outChannels: Int64 = 1, seed: UInt64 = 1) -> OpaquePointer? {
    var model: OpaquePointer?
    let status = semseg_unet_create(1, outChannels, base, depth, 0, seed, 1, &model, nil, 0)
    return status == SEMSEG_OK ? model : nil
}

func makeTrainer(_ model: OpaquePointer?, loss: String = "dice_bce_loss", options: [(String, Double)] = [],
                 lr: Double = 1e-2, batchSize: Int64 = 4) -> (status: semseg_status_t, message: String, trainer: OpaquePointer?) {
    var trainer: OpaquePointer?
    let opts = HostOptions(options)
    let r = withError { semseg_trainer_create(model, loss, opts.list, opts.count, lr, batchSize, 3, 0, 0.5, &trainer, $0, $1) }
    return (r.status, r.message, trainer)
}

func parameters(_ model: OpaquePointer?) -> [Float] {
    var info = semseg_unet_info_t()
    guard semseg_unet_info(model, &info, nil, 0) == SEMSEG_OK else { return [] }
    var out = [Float](repeating: 0, count: Int(info.parameter_count))
    let status = semseg_unet_get_parameters(model, &out, info.parameter_count, nil, 0)
    return status == SEMSEG_OK ? out : []
}

func tempFile(_ name: String) -> String { "/tmp/semseg-abi-training-\(getpid())-\(name)" }

// MARK: - The parent suite

/// The U-Net and trainer C ABI. Its concerns are suites nested in this `.serialized` one,
/// so every training ABI test still runs one at a time, one file each: handles
/// (TrainingABIHandleTests), bad arguments (TrainingABIArgumentTests), epochs and loss
/// changes (TrainingABIEpochTests), checkpoints (TrainingABICheckpointTests) and the BLAS
/// kernels (TrainingABIBLASKernelTests).
@Suite("C ABI: training", .serialized)
struct TrainingABITests {}
