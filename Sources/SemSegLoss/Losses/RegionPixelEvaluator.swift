// MARK: - A region loss plus a pixel loss in one sweep

/// Evaluates w_r·(region objective) + w_p·(pixel objective) on dense binary/multilabel
/// logits with `RegionPixelRowKernel` (one sweep per row for both parts), when that applies;
/// the compound losses (`CompoundParts.regionPlusPixel`) otherwise run the two evaluators
/// one after the other. The results are the same bit for bit either way, so the value does
/// not depend on whether a gradient is asked for, nor on the number of threads.
///
/// It applies where the region evaluator runs both of its passes row by row
/// (`RegionLossEvaluator.rowByRowApplies`: logits, linear sums, no `ignore_index`, the
/// smooth empty-target policy, one entry per row, rows that fit in L2, at least two rows
/// per thread), the rows are a multiple of `Blocks.size` voxels (32x32, 64x64, 256x256,
/// 96x96, 16x64x64, ...: the pixel evaluator's blocks then never straddle two rows) and a
/// gradient is requested. Every voxel is valid: the pixel part's mean is over the voxels
/// of the kept channels (all of them, or channels 1..<C without `include_background`).
enum RegionPixelEvaluator {
    /// The compound's value, or nil (nothing computed) when the fused sweep does not apply.
    static func evaluate<S: SegScalar, R: RegionObjective, P: PixelObjective>(
        _ region: R, _ regionWeight: Double, _ pixel: P, _ pixelWeight: Double,
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double? {
        guard let gradient = outputs.gradient, options.reduction != .none else { return nil }
        let shape = input.shape
        try RegionLossEvaluator.validate(region, input: shape, target: target.shape, options: options)
        try pixel.validate()
        let config = RegionLossEvaluator.config(region, options, S.self)
        guard !region.region.softLabel, shape.spatialCount % Blocks.size == 0,
              RegionLossEvaluator.rowByRowApplies(shape: shape, config: config, region: region.region)
        else { return nil }
        let entries = RegionEntries(shape: shape, options: options, batch: false)
        let first = options.firstChannel
        let voxels = shape.batch * (shape.channels - first) * shape.spatialCount
        guard voxels > 0 else { return nil }
        let perVoxel = S(options.reduction == .mean ? pixelWeight / Double(voxels) : pixelWeight)

        var blockSums = [Double](repeating: 0, count: shape.count / Blocks.size)
        let (stats, scan) = try blockSums.withUnsafeMutableBufferPointer { (sums) throws(SegLossError) in
            try RegionPixelRowKernel.run(
                pixel, input: input, target: target, gradient: gradient,
                pixelWeight: { row in row % shape.channels >= first ? perVoxel : 0 }, blockSums: sums.baseAddress!
            ) { row, s in
                RegionLossEvaluator.earlyCoefficients(
                    region, row: row, stats: s, entries: entries, options: options, outputs: outputs,
                    scale: regionWeight)
            }
        }
        try scan.check(input: input, target: target, fromLogits: true, ignoreIndex: nil)
        let regionValue = try RegionLossEvaluator.reduceEntries(
            region, stats: stats, entries: entries, shape: shape, options: options, outputs: outputs
        ).value
        let pixelSum = pixelTotal(blockSums, shape: shape, includeBackground: options.includeBackground)
        let pixelValue = options.reduction == .mean ? pixelSum / Double(voxels) : pixelSum
        return regionWeight * regionValue + pixelWeight * pixelValue
    }

    /// Σ ℓ over the pixel part's voxels from the block sums, added as `PixelLossEvaluator`
    /// adds them: blocks into chunks of `PixelLossEvaluator.chunkSize` voxels from the start
    /// of the batch, chunks in order; without `include_background`, the same per image over
    /// channels 1..<C (its sub-tensor), images in order.
    static func pixelTotal(_ blockSums: [Double], shape: TensorShape, includeBackground: Bool) -> Double {
        let perChunk = PixelLossEvaluator.chunkSize / Blocks.size
        /// Σ over chunks of Σ over their blocks, for the blocks `range`.
        func chunked(_ range: Range<Int>) -> Double {
            var total = 0.0
            for start in stride(from: range.lowerBound, to: range.upperBound, by: perChunk) {
                var chunk = 0.0
                for b in start..<min(range.upperBound, start + perChunk) { chunk += blockSums[b] }
                total += chunk
            }
            return total
        }
        guard !includeBackground else { return chunked(0..<blockSums.count) }
        let plane = shape.spatialCount / Blocks.size
        var total = 0.0
        for n in 0..<shape.batch {
            let first = (n * shape.channels + 1) * plane
            total += chunked(first..<(first + (shape.channels - 1) * plane))
        }
        return total
    }
}
