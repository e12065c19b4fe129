// MARK: - The per-chunk loops of the pixel objectives

extension PixelLossEvaluator {
    /// Picks the compiled loop for the options: the common cases — a gradient and no other
    /// output, a gradient added to the caller's (the pixel part of a compound loss), a
    /// gradient and the values (top-k), or the loss alone — have loops of their own; the
    /// others go through scratch.
    static func run<S: SegScalar, O: PixelObjective>(
        _ objective: O, _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int,
        _ ignore: S?, _ fromLogits: Bool, _ weight: S, _ outputs: LossOutputs<S>, _ accumulate: Bool
    ) -> (Double, InputScan) {
        let ig = ignore ?? 0
        let none = UnsafeMutablePointer(mutating: x)  // never written unless Direct*
        if outputs.values == nil, outputs.gradOutput == nil, !accumulate {
            if let gradient = outputs.gradient {
                switch (fromLogits, ignore != nil) {
                case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, DirectGradient.self, gradient, outputs, false)
                case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, DirectGradient.self, gradient, outputs, false)
                case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, DirectGradient.self, gradient, outputs, false)
                case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, DirectGradient.self, gradient, outputs, false)
                }
            }
            switch (fromLogits, ignore != nil) {
            case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, LossOnly.self, none, outputs, false)
            case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, LossOnly.self, none, outputs, false)
            case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, LossOnly.self, none, outputs, false)
            case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, LossOnly.self, none, outputs, false)
            }
        }
        if outputs.values == nil, outputs.gradOutput == nil, accumulate, let gradient = outputs.gradient {
            switch (fromLogits, ignore != nil) {
            case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, DirectAccumulate.self, gradient, outputs, true)
            case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, DirectAccumulate.self, gradient, outputs, true)
            case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, DirectAccumulate.self, gradient, outputs, true)
            case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, DirectAccumulate.self, gradient, outputs, true)
            }
        }
        if outputs.values != nil, outputs.gradOutput == nil, !accumulate, let gradient = outputs.gradient {
            switch (fromLogits, ignore != nil) {
            case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, DirectWithValues.self, gradient, outputs, false)
            case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, DirectWithValues.self, gradient, outputs, false)
            case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, DirectWithValues.self, gradient, outputs, false)
            case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, DirectWithValues.self, gradient, outputs, false)
            }
        }
        switch (fromLogits, ignore != nil) {
        case (true, false): return run(objective, x, t, lo, hi, ig, weight, On.self, Off.self, Staged.self, none, outputs, accumulate)
        case (true, true): return run(objective, x, t, lo, hi, ig, weight, On.self, On.self, Staged.self, none, outputs, accumulate)
        case (false, false): return run(objective, x, t, lo, hi, ig, weight, Off.self, Off.self, Staged.self, none, outputs, accumulate)
        case (false, true): return run(objective, x, t, lo, hi, ig, weight, Off.self, On.self, Staged.self, none, outputs, accumulate)
        }
    }

    /// How a chunk delivers ∂ℓ/∂x: `DirectGradient` writes weight·∂ℓ/∂x straight to the
    /// gradient (the only output); `DirectAccumulate` adds it to the gradient (the only
    /// output, no grad_output); `DirectWithValues` also writes ℓ straight to the values
    /// output (no grad_output, no accumulation); `LossOnly` computes the loss alone;
    /// `Staged` writes ℓ and ∂ℓ/∂x of a block to scratch, and simple loops then apply
    /// `outputs` (values, grad_output, accumulation).
    ///
    /// In every mode ℓ of a block goes through scratch and `BlockSums` (fixed lanes), so
    /// that the loss is the same number whatever the mode, and whether or not the element
    /// loop was vectorised: a relaxed sum inside a loop that also stores (the gradient) is
    /// only vectorised when LLVM's run-time overlap check passes, which depends on where
    /// the arrays lie in memory, and the scalar fallback adds in another order (one Float
    /// ulp per block; seen as a flaky loss-only ≠ with-gradient test).
    protocol OutputMode {
        static var direct: Bool { get }
        /// Whether the direct gradient is added to the buffer's old value.
        static var adds: Bool { get }
        static var values: Bool { get }
        static var staged: Bool { get }
    }
    enum DirectGradient: OutputMode {
        static var direct: Bool { true }; static var values: Bool { false }; static var staged: Bool { false }
        static var adds: Bool { false }
    }
    enum DirectAccumulate: OutputMode {
        static var direct: Bool { true }; static var values: Bool { false }; static var staged: Bool { false }
        static var adds: Bool { true }
    }
    enum DirectWithValues: OutputMode {
        static var direct: Bool { true }; static var values: Bool { true }; static var staged: Bool { false }
        static var adds: Bool { false }
    }
    enum LossOnly: OutputMode {
        static var direct: Bool { false }; static var values: Bool { false }; static var staged: Bool { false }
        static var adds: Bool { false }
    }
    enum Staged: OutputMode {
        static var direct: Bool { false }; static var values: Bool { false }; static var staged: Bool { true }
        static var adds: Bool { false }
    }

    /// One chunk: Σℓ over valid elements, the outputs, and validation counts. Options:
    /// logits, ignore_index, and the output mode.
    static func run<S: SegScalar, O: PixelObjective, Logits: StaticFlag, Ignoring: StaticFlag, Mode: OutputMode>(
        _ objective: O, _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int,
        _ ignore: S, _ weight: S, _: Logits.Type, _: Ignoring.Type, _: Mode.Type,
        _ direct: UnsafeMutablePointer<S>, _ outputs: LossOutputs<S>, _ accumulate: Bool
    ) -> (Double, InputScan) {
        let logits = Logits.isOn, ignoring = Ignoring.isOn
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: 2 * Blocks.size)
        defer { scratch.deallocate() }
        let lBuf = scratch, dBuf = scratch + Blocks.size
        let valuesOut = outputs.values ?? direct  // written only by DirectWithValues
        var lossD = 0.0
        var badIn = 0, badT = 0
        var b = lo
        while b < hi {
            let n = min(Blocks.size, hi - b)
            let xb = x + b, tb = t + b, outb = direct + b, valb = valuesOut + b
            var bi: Int32 = 0, bt: Int32 = 0
            for j in 0..<n {
                let z = xb[j], gRaw = tb[j]
                let v = ignoring ? gRaw != ignore : true
                let g = v ? gRaw : 0
                let (l, d) = objective.evaluate(z, g, fromLogits: logits)
                lBuf[j] = v ? l : 0
                if Mode.values { valb[j] = v ? l : 0 }
                if Mode.direct {
                    let w = v ? d * weight : 0
                    outb[j] = Mode.adds ? w + outb[j] : w
                }
                if Mode.staged { dBuf[j] = v ? d : 0 }
                bi &+= ElementChecks.badInput(z, logits: logits)
                bt &+= ElementChecks.badTarget(g)
            }
            if Mode.staged { apply(lBuf, dBuf, b, n, weight, outputs, accumulate) }
            lossD += BlockSums.sum(lBuf, n)
            badIn += Int(bi)
            badT += Int(bt)
            b += n
        }
        var scan = InputScan()
        scan.badInput = Double(badIn)
        scan.badTarget = Double(badT)
        return (lossD, scan)
    }

    /// Writes one block's outputs from scratch: values ← ℓ; gradient ← weight·∂ℓ/∂x
    /// (times grad_output, plus the old gradient when accumulating).
    @inline(never)
    static func apply<S: SegScalar>(
        _ l: UnsafePointer<S>, _ d: UnsafePointer<S>, _ b: Int, _ n: Int, _ weight: S,
        _ outputs: LossOutputs<S>, _ accumulate: Bool
    ) {
        if let values = outputs.values {
            let v = values + b
            for j in 0..<n { v[j] = l[j] }
        }
        guard let gradient = outputs.gradient else { return }
        let gr = gradient + b
        switch (outputs.gradOutput, accumulate) {
        case (let go?, false): let o = go + b; for j in 0..<n { gr[j] = d[j] * weight * o[j] }
        case (let go?, true): let o = go + b; for j in 0..<n { gr[j] = d[j] * weight * o[j] + gr[j] }
        case (nil, false): for j in 0..<n { gr[j] = d[j] * weight }
        case (nil, true): for j in 0..<n { gr[j] = d[j] * weight + gr[j] }
        }
    }
}
