#if canImport(Glibc)
import Glibc
#endif

// MARK: - Distance-map losses: the shared driver

/// The per-voxel term of a distance-map loss, given a constant field `w` (a distance map,
/// recomputed on every call and never differentiated):
///
/// | term           | ℓᵢ                      | ∂ℓᵢ/∂pᵢ (probability space)     |
/// |----------------|-------------------------|---------------------------------|
/// | `.squaredError`| (pᵢ − gᵢ)² · wᵢ         | 2(pᵢ − gᵢ) · wᵢ                 |
/// | `.linear`      | pᵢ · wᵢ                 | wᵢ                              |
/// | `.crossEntropy`| wᵢ · BCE(xᵢ, gᵢ)        | wᵢ · ∂BCE/∂xᵢ                   |
///
/// From logits, `p = σ(z)` is computed stably and the chain rule `∂p/∂z = p(1 − p)` is
/// applied (BCE uses its own stable form, ∂BCE/∂z = p − g). From probabilities, BCE clamps
/// p to [1e−7, 1 − 1e−7] inside the logarithms (gradient 0 where clamped), as `BCELoss`.
enum DistanceTerm: Sendable {
    case squaredError
    case linear
    case crossEntropy
}

/// A loss built from a distance field and a `DistanceTerm`: the four distance-map losses
/// (`HausdorffDTLoss`, `BoundaryLoss`, `DistancePenalizedCELoss`, `ShapeAwareLoss`) conform.
protocol DistanceFieldLoss: Sendable {
    var term: DistanceTerm { get }
    /// Physical voxel size per spatial axis for the distance maps (`nil`: 1 on every axis;
    /// BL's `resolution`, MONAI metrics' `spacing`). Checked against the input's spatial
    /// dimensions (`DistanceGeometry`: one positive finite value per axis).
    var spacing: [Double]? { get }
    /// Whether `fillField` reads the thresholded prediction (`DistanceFieldBuffers.prediction`).
    var needsPrediction: Bool { get }
    func validate(_ options: LossOptions) throws(SegLossError)
    /// Writes the field of `rows` consecutive rows (images × channels) into `buffers.field`.
    func fillField(_ buffers: DistanceFieldBuffers, rows: Int, geometry: DistanceGeometry) throws(SegLossError)
    /// The loss on a dense target (binary and multilabel modes), through `DistanceLossEvaluator`.
    func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double
}

/// Scratch of one group of rows: byte masks (1 = object) of the target and of the
/// thresholded prediction, the field, and two Double work buffers, `count` elements each.
struct DistanceFieldBuffers {
    let count: Int
    /// Target mask: g > 0.5 and not ignored (ignored voxels count as background).
    let target: UnsafeMutablePointer<UInt8>
    /// Prediction mask: p > 0.5 (z > 0 from logits). Only filled when `needsPrediction`.
    let prediction: UnsafeMutablePointer<UInt8>
    /// 1 where the voxel is valid (not ignored), 0 elsewhere.
    let valid: UnsafeMutablePointer<UInt8>
    let field: UnsafeMutablePointer<Double>
    let workA: UnsafeMutablePointer<Double>
    let workB: UnsafeMutablePointer<Double>
    /// Voxels per row.
    let rowLength: Int

    /// `EDT(mask) + EDT(¬mask)` into `out` (fused, `TwoSidedTransform`): on every voxel the
    /// distance to the nearest voxel of the other class; 0 on rows with an empty or full
    /// mask (no boundary) when `zeroDegenerate`, else `+∞` there.
    func twoSided(_ mask: UnsafePointer<UInt8>, _ geometry: DistanceGeometry, into out: UnsafeMutablePointer<Double>,
                  zeroDegenerate: Bool = true) throws(SegLossError) {
        try TwoSidedTransform.run(mask: mask, geometry: geometry, output: out)
        guard zeroDegenerate else { return }
        Parallel.forEachRange(count: count, chunkSize: 1 << 15, threshold: 1 << 17) { _, range in
            for i in range where out[i] == .infinity { out[i] = 0 }
        }
    }
}

/// Drives a `DistanceFieldLoss` over a batch (binary and multilabel modes).
///
/// Rows (image, channel) are processed in groups of about 2¹⁸ voxels: build the masks,
/// compute the field (batched exact EDTs, parallel inside), then evaluate the term voxel by
/// voxel. Ignored voxels (target == `ignore_index`) and, with `include_background = false`,
/// channel 0 leave every sum and the mean's denominator (value 0, gradient 0); if nothing is
/// left the loss is 0 with a zero gradient. `none` returns per-voxel values (input shape).
/// Values accumulate in Double per fixed chunk, combined in order (deterministic).
enum DistanceLossEvaluator {
    static let groupVoxels = 1 << 16

    static func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        options.reduction == .none ? input.dims : []
    }

    /// Returns the reduced loss (for `none`, the sum of the values). With `logarithm`, the
    /// loss is log(1 + L) of the reduced L (mean or sum; `none` refused by the caller) and
    /// the gradient is scaled by 1/(1 + L).
    static func evaluate<S: SegScalar, L: DistanceFieldLoss>(
        _ loss: L, input: TensorView<S>, target: TensorView<S>, options: LossOptions,
        outputs: LossOutputs<S>, logarithm: Bool = false
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        try options.validateDense(input: shape, target: target.shape) { () throws(SegLossError) in try loss.validate(options) }
        let ignore = options.ignoreIndex.map { S($0) }
        // Validates the size once (≤ Int.max / 64 voxels): scratch sizes below cannot overflow.
        _ = try DistanceGeometry(batch: shape.rows, spatial: Array(shape.spatial), spacing: loss.spacing,
                                 maskArgument: "input", spacingArgument: "spacing")
        let total = shape.count
        // Masks of the whole batch (target, prediction, validity), filled by the validation pass.
        guard let bytes = DistanceScratch.allocate(UInt8.self, count: 3 * total) else {
            throw DistanceScratch.failure("input", count: 3 * total, of: "uint8")
        }
        defer { DistanceScratch.release(bytes) }
        let masks = DistanceMasks(target: bytes, prediction: loss.needsPrediction ? bytes + total : nil,
                                  valid: bytes + 2 * total)
        let validCount = try DistanceLossChecks.validate(
            input: input, target: target, options: options, ignore: ignore, masks: masks)
        if options.reduction == .none, let go = outputs.gradOutput {
            for i in 0..<shape.count where !go[i].isFinite {
                throw .value("grad_output", "must be finite, got \(go[i]) at flat index \(i)")
            }
        }
        let weight: Double
        switch options.reduction {
        case .mean: weight = validCount > 0 ? 1 / Double(validCount) : 0
        case .sum, .none: weight = 1
        }

        let rowLength = shape.spatialCount, rows = shape.rows
        // Groups of rows of about `groupVoxels` voxels. With several groups, groups run in
        // parallel (each one's transforms and loops serial, its data in one core's cache);
        // a single group (one large image) runs its inner loops in parallel instead. Losses
        // are summed per fixed chunk of each row, in order: the grouping never changes them.
        let groupRows = max(1, min(rows, groupVoxels / rowLength))
        let groupCount = (rows + groupRows - 1) / groupRows
        let acrossGroups = groupCount > 1
        let capacity = groupRows * rowLength
        let perRow = (rowLength + voxelChunk - 1) / voxelChunk
        var chunkSums = [Double](repeating: 0, count: rows * perRow)
        var failures = [SegLossError?](repeating: nil, count: groupCount)
        let perTask = acrossGroups ? max(1, groupCount / (4 * Parallel.workerCount)) : groupCount
        let tasks = (groupCount + perTask - 1) / perTask
        let spatial = Array(shape.spatial)
        chunkSums.withUnsafeMutableBufferPointer { sumBuffer in
            failures.withUnsafeMutableBufferPointer { failureBuffer in
                let sums = sumBuffer.baseAddress.unsafelyUnwrapped, errors = failureBuffer.baseAddress.unsafelyUnwrapped
                Parallel.forEachChunk(tasks, work: acrossGroups ? Int.max : 0, threshold: 1) { t in
                    let first = t * perTask, last = min(groupCount, first + perTask)
                    guard let doubles = DistanceScratch.allocate(Double.self, count: 3 * capacity) else {
                        errors[first] = DistanceScratch.failure("input", count: 3 * capacity, of: "float64")
                        return
                    }
                    defer { DistanceScratch.release(doubles) }
                    for group in first..<last {
                        let row0 = group * groupRows
                        let count = min(groupRows, rows - row0)
                        let base = row0 * rowLength
                        let buffers = DistanceFieldBuffers(
                            count: count * rowLength, target: masks.target + base,
                            prediction: (masks.prediction ?? masks.target) + base, valid: masks.valid + base,
                            field: doubles, workA: doubles + capacity, workB: doubles + 2 * capacity,
                            rowLength: rowLength)
                        do throws(SegLossError) {
                            let geometry = try DistanceGeometry(
                                batch: count, spatial: spatial, spacing: loss.spacing,
                                maskArgument: "input", spacingArgument: "spacing")
                            try loss.fillField(buffers, rows: count, geometry: geometry)
                            try voxelPass(
                                loss.term, buffers, rows: row0..<(row0 + count), channels: shape.channels,
                                firstChannel: options.firstChannel, input: input.base + base,
                                target: target.base + base, fromLogits: options.fromLogits, weight: weight,
                                outputs: outputs, base: base, sums: sums + row0 * perRow, parallel: !acrossGroups)
                        } catch {
                            errors[group] = error
                            return
                        }
                    }
                }
            }
        }
        if let error = failures.lazy.compactMap({ $0 }).first { throw error }
        let sum = chunkSums.reduce(0, +)
        var value = sum * weight
        if logarithm {
            let scale = 1 / (1 + value)
            if let gradient = outputs.gradient, validCount > 0 {
                let s = S(scale)
                Parallel.forEachRange(count: shape.count, chunkSize: 1 << 16, threshold: 1 << 18) { _, range in
                    for i in range { gradient[i] *= s }
                }
            }
            value = log1p(value)
        }
        return value
    }

    /// Losses are summed in chunks of this many voxels of one row.
    static let voxelChunk = 1 << 13

    /// Evaluates the term on one group: writes Σℓ over the valid voxels of each chunk of
    /// `voxelChunk` voxels of each row into `sums` (unweighted, fixed order), the gradient
    /// (× weight × grad_output) and the values.
    static func voxelPass<S: SegScalar>(
        _ term: DistanceTerm, _ b: DistanceFieldBuffers, rows: Range<Int>, channels: Int, firstChannel: Int,
        input: UnsafePointer<S>, target: UnsafePointer<S>, fromLogits: Bool, weight: Double,
        outputs: LossOutputs<S>, base: Int, sums: UnsafeMutablePointer<Double>, parallel: Bool
    ) throws(SegLossError) {
        let chunk = voxelChunk
        let rowLength = b.rowLength
        let perRow = (rowLength + chunk - 1) / chunk
        let chunks = rows.count * perRow
        let gradient = outputs.gradient.map { $0 + base }
        let values = outputs.values.map { $0 + base }
        let gradOutput = outputs.gradOutput.map { $0 + base }
        guard let scratch = DistanceScratch.allocate(Double.self, count: parallel ? chunks * chunk : chunk) else {
            throw DistanceScratch.failure("input", count: chunk, of: "float64")
        }
        defer { DistanceScratch.release(scratch) }
        Parallel.forEachChunk(chunks, work: parallel ? b.count * 8 : 0, threshold: 1 << 16) { c in
            let (r, part) = c.quotientAndRemainder(dividingBy: perRow)
            let lo = r * rowLength + part * chunk
            let count = min(chunk, rowLength - part * chunk)
            guard (rows.lowerBound + r) % channels >= firstChannel else {
                for k in lo..<(lo + count) {
                    gradient?[k] = 0
                    values?[k] = 0
                }
                sums[c] = 0
                return
            }
            // Per-voxel losses of this chunk (Double, 0 where invalid).
            let losses = parallel ? scratch + c * chunk : scratch
            VoxelKernels.run(term, x: input + lo, g: target + lo, w: b.field + lo, valid: b.valid + lo,
                             count: count, fromLogits: fromLogits, scale: weight,
                             gradient: gradient.map { $0 + lo }, losses: losses)
            if let values { for k in 0..<count { values[lo + k] = S(losses[k]) } }
            if let gradient, let gradOutput {
                for k in 0..<count { gradient[lo + k] *= gradOutput[lo + k] }
            }
            sums[c] = VoxelKernels.sum(losses, count)
        }
    }

    /// ℓ and ∂ℓ/∂x of one voxel (x a logit or a probability).
    @inline(__always)
    static func evaluateTerm(_ term: DistanceTerm, _ x: Double, _ g: Double, _ w: Double, _ fromLogits: Bool) -> (Double, Double) {
        switch term {
        case .crossEntropy:
            if fromLogits {
                let e = exp(-Swift.abs(x))
                let l1p = log1p(e)
                let logP = -(Swift.max(-x, 0) + l1p), logQ = -(Swift.max(x, 0) + l1p)
                let p = x >= 0 ? 1 / (1 + e) : e / (1 + e)
                return (-w * (g * logP + (1 - g) * logQ), w * (p - g))
            }
            let eps = 1e-7
            let p = Swift.min(Swift.max(x, eps), 1 - eps)
            let inside = x > eps && x < 1 - eps
            let l = -w * (g * log(p) + (1 - g) * log(1 - p))
            return (l, inside ? -w * (g / p - (1 - g) / (1 - p)) : 0)
        case .squaredError, .linear:
            var p = x, dp = 1.0
            if fromLogits {
                let e = exp(-Swift.abs(x))
                let inv = 1 / (1 + e)
                p = x >= 0 ? inv : e * inv
                dp = e * inv * inv
            }
            if case .linear = term { return (p * w, w * dp) }
            let r = p - g
            return (r * r * w, 2 * r * w * dp)
        }
    }
}
