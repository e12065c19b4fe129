// MARK: - Input validation

/// Byte masks of a whole batch written by `DistanceLossChecks.validate`: target `g > 0.5`
/// and not ignored, prediction `p > 0.5` (`z > 0` from logits; optional), validity.
struct DistanceMasks {
    let target: UnsafeMutablePointer<UInt8>
    let prediction: UnsafeMutablePointer<UInt8>?
    let valid: UnsafeMutablePointer<UInt8>
}

enum DistanceLossChecks {
    /// Validates input (finite logits, or probabilities in [0, 1]) and target (in [0, 1]
    /// unless equal to `ignore`); returns the number of valid voxels in included channels.
    /// Fills `masks` in the same pass.
    static func validate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, ignore: S?,
        masks: DistanceMasks? = nil
    ) throws(SegLossError) -> Int {
        let shape = input.shape
        let chunk = 1 << 15
        let chunks = (shape.count + chunk - 1) / chunk
        // per chunk: valid count, first bad input index, first bad target index
        var results = [(Int, Int, Int)](repeating: (0, -1, -1), count: chunks)
        let fromLogits = options.fromLogits, c0 = options.firstChannel
        let channels = shape.channels, rowLength = shape.spatialCount
        let cut: S = fromLogits ? 0 : 0.5
        let hasIgnore = ignore != nil, ignoreValue = ignore ?? 0
        // Without caller masks the bytes go to scratch (the loop stays branch-free).
        guard shape.count <= DistanceGeometry.maximumCount else {
            throw .shape("input", "shape \(shape) has too many elements")
        }
        let sink = masks == nil ? DistanceScratch.allocate(UInt8.self, count: 3 * shape.count) : nil
        defer { DistanceScratch.release(sink) }
        if masks == nil && sink == nil { throw DistanceScratch.failure("input", count: 3 * shape.count, of: "uint8") }
        results.withUnsafeMutableBufferPointer { rb in
            Parallel.forEachChunk(chunks, work: shape.count * 2, threshold: 1 << 17) { c in
                let lo = c * chunk, hi = min(shape.count, lo + chunk)
                var valid = 0, badInput = -1, badTarget = -1
                let validBytes = masks?.valid ?? sink.unsafelyUnwrapped
                let targetBytes = masks?.target ?? sink.unsafelyUnwrapped + shape.count
                var i = lo
                while i < hi {
                    let rowEnd = min(hi, (i / rowLength + 1) * rowLength)
                    let included = (i / rowLength) % channels >= c0
                    let prediction = masks?.prediction.map { $0 + i }
                    let scan = fromLogits
                        ? scanBlock(input.base + i, target.base + i, rowEnd - i, On.self, ignoring: hasIgnore, ignoreValue,
                                    cut: cut, valid: validBytes + i, target: targetBytes + i, prediction: prediction)
                        : scanBlock(input.base + i, target.base + i, rowEnd - i, Off.self, ignoring: hasIgnore, ignoreValue,
                                    cut: cut, valid: validBytes + i, target: targetBytes + i, prediction: prediction)
                    let (bad, bad2, count) = scan
                    if included { valid &+= count }
                    if bad != 0 && badInput < 0 {
                        for k in i..<rowEnd {
                            let x = input.base[k]
                            if !(fromLogits ? x.isFinite : (x >= 0 && x <= 1)) { badInput = k; break }
                        }
                    }
                    if bad2 != 0 && badTarget < 0 {
                        for k in i..<rowEnd {
                            let g = target.base[k]
                            if !(hasIgnore && g == ignoreValue) && !(g >= 0 && g <= 1) { badTarget = k; break }
                        }
                    }
                    i = rowEnd
                }
                rb[c] = (valid, badInput, badTarget)
            }
        }
        if let bad = results.lazy.map(\.1).first(where: { $0 >= 0 }) {
            let x = input.base[bad]
            let what = fromLogits ? "must be finite (logits)" : "must hold probabilities in [0, 1] with from_logits=False"
            throw .value("input", "\(what); got \(x) at flat index \(bad)")
        }
        if let bad = results.lazy.map(\.2).first(where: { $0 >= 0 }) {
            let g = target.base[bad]
            let hint = ignore.map { " (ignore_index is \($0))" } ?? "; if this value marks pixels to ignore, pass ignore_index=\(g)"
            throw .value("target", "values must lie in [0, 1]; got \(g) at flat index \(bad)\(hint)")
        }
        return results.reduce(0) { $0 + $1.0 }
    }

    /// One block of one row: validity flags (any bad input, any bad non-ignored target),
    /// the number of kept voxels, and the byte masks. Branch-free, with the activation and
    /// the presence of a prediction mask fixed per call, so that the loop vectorises (a
    /// run-time choice inside it, or a prediction store that may alias the valid bytes,
    /// kept it scalar: measured about 8x slower).
    @inline(__always)
    private static func scanBlock<S: SegScalar, L: StaticFlag>(
        _ x: UnsafePointer<S>, _ g: UnsafePointer<S>, _ n: Int, _: L.Type, ignoring hasIgnore: Bool, _ ignoreValue: S,
        cut: S, valid: UnsafeMutablePointer<UInt8>, target: UnsafeMutablePointer<UInt8>,
        prediction: UnsafeMutablePointer<UInt8>?
    ) -> (bad: UInt8, bad2: UInt8, count: Int) {
        var bad: UInt8 = 0, bad2: UInt8 = 0, count = 0
        let ignoring: UInt8 = hasIgnore ? 1 : 0
        let half: S = 0.5
        for k in 0..<n {
            let xk = x[k], gk = g[k]
            let finite: UInt8 = xk - xk == 0 ? 1 : 0
            let unit: UInt8 = (xk >= 0 ? 1 : 0) & (xk <= 1 ? 1 : 0)
            let inputOK = L.isOn ? finite : unit
            let ignored: UInt8 = (gk == ignoreValue ? 1 : 0) & ignoring
            let inRange: UInt8 = (gk >= 0 ? 1 : 0) & (gk <= 1 ? 1 : 0)
            let kept = (ignored ^ 1) & (ignored | inRange)
            bad |= inputOK ^ 1
            bad2 |= (ignored | inRange) ^ 1
            count &+= Int(kept)
            valid[k] = ignored ^ 1
            target[k] = (ignored ^ 1) & (gk > half ? 1 : 0)
        }
        if let prediction {
            for k in 0..<n { prediction[k] = x[k] > cut ? 1 : 0 }
        }
        return (bad, bad2, count)
    }
}
