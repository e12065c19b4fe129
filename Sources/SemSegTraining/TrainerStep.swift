import SemSegLoss

// MARK: - One optimisation step and evaluation

/// What `Trainer.forwardBatch` leaves behind (pointers valid until the next batch).
struct BatchResult {
    var loss: Double
    var geometry: Geometry
    var shape: TensorShape
    var targetShape: [Int]
    var logits: UnsafePointer<Float>
    var targets: UnsafePointer<Float>
}

extension Trainer {
    /// Shape of the targets of a batch of `n` samples.
    func batchTargetShape(_ data: SegmentationData, _ n: Int) -> [Int] { [n] + data.yShape.dropFirst() }

    /// Makes sure the staging buffers hold a batch of `n` samples of `data`.
    func stage(_ data: SegmentationData, _ n: Int) throws(SegLossError) -> (targets: Buffer<Float>, logits: Buffer<Float>, gradient: Buffer<Float>) {
        let targets = try Checked.product([n, data.targetSize], argument: "y", limit: Int.max)
        let logits = try Checked.product([n, model.configuration.outChannels, data.height, data.width], argument: "x", limit: Int.max)
        if let s = staging, s.targets.count >= targets, s.logits.count >= logits { return s }
        let s = (targets: try Buffer<Float>(count: targets, argument: "y"),
                 logits: try Buffer<Float>(count: logits, argument: "x"),
                 gradient: try Buffer<Float>(count: logits, argument: "x"))
        staging = s
        return s
    }

    /// Loads samples `indices` of `data` into the model's input and the staging targets,
    /// runs the forward pass and the objective; leaves ∂loss/∂logits in the model's
    /// CNHW gradient buffer when `withGradient`. Returns the loss, geometry and logits shape.
    func forwardBatch(
        _ data: SegmentationData, indices: ArraySlice<Int>, training: Bool, withGradient: Bool
    ) throws(SegLossError) -> BatchResult {
        let n = indices.count
        let g = try Geometry(batch: n, height: data.height, width: data.width)
        let ws = try model.prepare(g)
        if withGradient { try ws.reserveGradients() }
        let s = try stage(data, n)
        let cin = model.configuration.inChannels, cout = model.configuration.outChannels
        let plane = g.height * g.width
        let imageSize = data.imageSize, targetSize = data.targetSize
        try data.withPointers { (x, y) throws(SegLossError) in
            for (i, sample) in indices.enumerated() {
                copyToChannelMajor(x + sample * imageSize, channels: cin, plane: plane, into: ws.input.pointer, dstBatch: n, dstIndex: i)
                (s.targets.pointer + i * targetSize).update(from: y + sample * targetSize, count: targetSize)
            }
        }
        try model.forwardPass(g, training: training)
        let shape = try TensorShape([n, cout, g.height, g.width], argument: "logits")
        // With one output channel CNHW and NCHW coincide: hand the model's buffers over.
        let logits: UnsafePointer<Float>
        let gradient: UnsafeMutablePointer<Float>
        if cout == 1 {
            logits = UnsafePointer(ws.logits.pointer)
            gradient = withGradient ? ws.dLogits.pointer : s.gradient.pointer
        } else {
            for i in 0..<n {
                copyFromChannelMajor(ws.logits.pointer, srcBatch: n, srcIndex: i, channels: cout, plane: plane,
                                     into: s.logits.pointer + i * cout * plane)
            }
            logits = UnsafePointer(s.logits.pointer)
            gradient = s.gradient.pointer
        }
        let targetShape = batchTargetShape(data, n)
        let loss = try objective.lossAndGradient(logits: logits, shape: shape, target: s.targets.pointer,
                                                 targetShape: targetShape, gradient: gradient)
        guard loss.isFinite else {
            throw .value("loss", "is not finite (\(loss)) at epoch \(epoch + 1); the model diverged (try a lower learning rate)")
        }
        if withGradient && cout > 1 {
            for i in 0..<n {
                copyToChannelMajor(s.gradient.pointer + i * cout * plane, channels: cout, plane: plane,
                                   into: ws.dLogits.pointer, dstBatch: n, dstIndex: i)
            }
        }
        return BatchResult(loss: loss, geometry: g, shape: shape, targetShape: targetShape,
                           logits: logits, targets: UnsafePointer(s.targets.pointer))
    }

    /// One optimisation step on samples `indices` of `data`; returns the batch loss.
    @discardableResult
    public func step(_ data: SegmentationData, indices: ArraySlice<Int>) throws(SegLossError) -> Double {
        guard !indices.isEmpty else { throw .value("indices", "a batch needs at least one sample") }
        for i in indices where i < 0 || i >= data.count {
            throw .value("indices", "sample index \(i) is outside 0..<\(data.count)")
        }
        let r = try forwardBatch(data, indices: indices, training: true, withGradient: true)
        try model.backwardPass(r.geometry)
        try optimizer.update(model.parameters.pointer, gradient: model.context.gradient, context: model.context)
        return r.loss
    }

    /// Loss and scores of the model (evaluation mode) on `data`, in batches of
    /// `batchSize` (default: the trainer's).
    public func evaluate(_ data: SegmentationData, batchSize: Int? = nil) throws(SegLossError) -> SegmentationScores {
        try checkData(data, argument: "x")
        try checkTargets(data, argument: "y")
        let b = batchSize ?? self.batchSize
        guard b >= 1 else { throw .value("batch_size", "must be at least 1, got \(b)") }
        var counts = ScoreCounts()
        var total = 0.0
        var start = 0
        while start < data.count {
            let end = min(data.count, start + b)
            let r = try forwardBatch(data, indices: (start..<end).map { $0 }[...], training: false, withGradient: false)
            total += r.loss * Double(end - start)
            try counts.add(logits: r.logits, shape: r.shape, target: r.targets, targetShape: r.targetShape,
                           threshold: threshold, rule: objective.scoring)
            start = end
        }
        return counts.scores(loss: total / Double(data.count))
    }

    /// Model output for `x` (`(N, in_channels, H, W)`), see `UNetModel.predict`.
    public func predict(_ x: [Float], shape: [Int], output: PredictionOutput = .logits) throws(SegLossError) -> [Float] {
        try model.predict(x, shape: shape, output: output, batchSize: batchSize)
    }
}
