import SemSegLoss

// MARK: - Images that must hold finite values

/// The check that images hold no NaN or infinite value, shared by training (`Trainer.fit`,
/// the C ABI's batch-wise training) and prediction (`UNetModel.predict`): a NaN pixel
/// would otherwise go through ReLU as 0 (max(NaN, 0) = 0) and give plausible-looking
/// outputs, or fail an Adam step much later with an error about the learning rate.
public enum FiniteValues {
    /// Throws `.value(argument, …)` naming the first non-finite value of the images
    /// `samples` (each `imageSize` values, image `s` at `base + s·imageSize`), with its
    /// sample and flat index.
    public static func require<T: BinaryFloatingPoint, S: Sequence<Int>>(
        _ base: UnsafePointer<T>, samples: S, imageSize: Int, argument: String
    ) throws(SegLossError) {
        for s in samples {
            let p = base + s * imageSize
            var bad = T(0)
            for i in 0..<imageSize { bad += p[i] - p[i] }  // NaN iff some value is NaN or ±inf
            if bad.isNaN {
                let i = (0..<imageSize).first { !p[$0].isFinite } ?? 0
                throw .value(argument, "values must be finite, got \(p[i]) in sample \(s) (flat index \(s * imageSize + i))")
            }
        }
    }
}
