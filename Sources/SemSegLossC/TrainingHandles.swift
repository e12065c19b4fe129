import CSemSegLoss
import SemSegLoss
import SemSegTraining
import Synchronization

// MARK: - Opaque handles of the training section of semsegloss.h

/// What a `semseg_unet_t *` points to: a retained box around the model and the lock that
/// serialises every call on it (a model and its workspace are not thread-safe).
final class ModelBox: @unchecked Sendable {
    let model: UNet
    let lock = Mutex<Void>(())

    init(_ model: UNet) { self.model = model }
}

/// What a `semseg_trainer_t *` points to: the trainer, the box of its model (whose lock
/// also guards the trainer) and the epoch being trained piecewise, if any.
final class TrainerBox: @unchecked Sendable {
    let modelBox: ModelBox
    let trainer: Trainer
    var run: EpochRun?

    init(_ trainer: Trainer, modelBox: ModelBox) {
        self.trainer = trainer
        self.modelBox = modelBox
    }

    /// Runs `body` under the model's lock.
    func locked<R>(_ body: (TrainerBox) throws(SegLossError) -> R) throws(SegLossError) -> R {
        let result: Result<R, SegLossError> = modelBox.lock.withLock { _ in
            do throws(SegLossError) { return .success(try body(self)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

extension ModelBox {
    /// Runs `body` under the lock.
    func locked<R>(_ body: (UNet) throws(SegLossError) -> R) throws(SegLossError) -> R {
        let result: Result<R, SegLossError> = lock.withLock { _ in
            do throws(SegLossError) { return .success(try body(model)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// A +1 reference to `object` as an opaque C pointer.
func retainedHandle(_ object: AnyObject) -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(object).toOpaque())
}

/// The object behind a non-NULL handle, if it is a `T` (a handle of the other kind is an
/// error, not undefined behaviour; a dangling pointer cannot be detected).
func unbox<T: AnyObject>(_ handle: OpaquePointer, as _: T.Type, argument: String, kind: String) throws(SegLossError) -> T {
    let object = Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    guard let box = object as? T else { throw .value(argument, "is not a \(kind) handle") }
    return box
}

/// Releases a handle made by `retainedHandle` if it holds a `T`; ignores anything else.
func releaseHandle<T: AnyObject>(_ handle: OpaquePointer?, as _: T.Type) {
    guard let handle else { return }
    let unmanaged = Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(handle))
    guard unmanaged.takeUnretainedValue() is T else { return }
    unmanaged.release()
}

// MARK: - Float32 arrays and data sets

/// A validated float32 array argument: positive dimensions, element count without overflow.
struct Float32Array {
    let buffer: UnsafeBufferPointer<Float>
    let dims: [Int]

    init(_ t: UnsafePointer<semseg_tensor_t>?, argument: String) throws(SegLossError) {
        let d = try DecodedTensor(t, argument: argument)
        guard d.type == .float32 else {
            throw SegLossError(.dtype, argument: argument, "must be float32, got \(d.type.name)")
        }
        var count = 1
        for (axis, n) in d.dims.enumerated() {
            guard n > 0 else {
                throw .shape(argument, "every dimension must be positive, got \(TensorShape.format(d.dims)) (size \(n) at axis \(axis))")
            }
            let (p, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow, p <= Int.max / 4 else { throw .shape(argument, "shape \(TensorShape.format(d.dims)) has too many elements") }
            count = p
        }
        buffer = UnsafeBufferPointer(start: d.data.assumingMemoryBound(to: Float.self), count: count)
        dims = d.dims
    }

    /// Throws unless every value of the images `samples` (each `imageSize` values) is finite.
    func requireFinite<S: Sequence<Int>>(samples: S, imageSize: Int, argument: String) throws(SegLossError) {
        guard let base = buffer.baseAddress else { return }
        try FiniteValues.require(base, samples: samples, imageSize: imageSize, argument: argument)
    }
}

/// Images and targets as a borrowed `SegmentationData`, with messages naming `xName` and
/// `yName`; with `finite`, checks every image value.
func decodeData(
    _ x: UnsafePointer<semseg_tensor_t>?, _ y: UnsafePointer<semseg_tensor_t>?,
    xName: String = "x", yName: String = "y", finite: Bool
) throws(SegLossError) -> (SegmentationData, Float32Array) {
    let xs = try Float32Array(x, argument: xName)
    let ys = try Float32Array(y, argument: yName)
    let data: SegmentationData
    do {
        data = try SegmentationData(borrowingX: xs.buffer, xShape: xs.dims, y: ys.buffer, yShape: ys.dims)
    } catch {
        var e = error
        e.argument = e.argument == "y" ? yName : xName
        throw e
    }
    if finite { try xs.requireFinite(samples: 0..<data.count, imageSize: data.imageSize, argument: xName) }
    return (data, xs)
}

/// Checks an input shape against a model (messages name `argument`).
func checkInput(_ model: UNet, _ dims: [Int], argument: String) throws(SegLossError) {
    _ = try model.configuration.geometry(forInput: dims, argument: argument)
}

// MARK: - Small conversions

/// Product of non-negative sizes, throwing `.shape` for `argument` on overflow.
func checkedProduct(_ factors: [Int], argument: String) throws(SegLossError) -> Int {
    var p = 1
    for f in factors {
        let (q, overflow) = p.multipliedReportingOverflow(by: f)
        guard f >= 0, !overflow, q <= Int.max / 4 else {
            throw .shape(argument, "size \(factors.map(String.init).joined(separator: " x ")) is too large")
        }
        p = q
    }
    return p
}

func nonNegativeInt(_ v: Int64, _ argument: String) throws(SegLossError) -> Int {
    guard v >= 0, let n = Int(exactly: v) else { throw .value(argument, "must be >= 0, got \(v)") }
    return n
}

func earlyStopping(monitor: Int32, patience: Int64, minDelta: Double) throws(SegLossError) -> EarlyStopping? {
    guard monitor != SEMSEG_MONITOR_NONE else { return nil }
    guard let metric = EarlyStopping.Metric(rawValue: Int(monitor)) else {
        throw .option("monitor", "unknown code \(monitor); expected -1 (none), 0 (val_loss), 1 (val_iou), 2 (val_dice) or 3 (val_accuracy)")
    }
    guard patience >= 1, patience <= Int64(Int32.max) else { throw .value("patience", "must be >= 1, got \(patience)") }
    try SegLossError.requireAtLeast(minDelta, 0, "min_delta")
    return EarlyStopping(metric: metric, patience: Int(patience), minDelta: minDelta)
}

extension semseg_epoch_record_t {
    init(_ r: EpochRecord) {
        let v = r.validation
        self.init(epoch: Int64(r.epoch), loss: r.loss, has_validation: v == nil ? 0 : 1,
                  val_loss: v?.loss ?? .nan, val_iou: v?.iou ?? .nan, val_dice: v?.dice ?? .nan,
                  val_accuracy: v?.accuracy ?? .nan)
    }
}
