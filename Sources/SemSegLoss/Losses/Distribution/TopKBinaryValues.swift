// MARK: - Top-k BCE values with a band from a sample (binary / multilabel)

/// The values pass and the search for the K-th largest of `TopKCrossEntropyLoss`'s binary
/// and multilabel path for batches of more than `TopKSelection.exactLimit` elements with
/// the background. It replaces the general selection's counting pass, which compares
/// every value with 8 pivots, by two comparisons made while ℓ is computed:
///
/// 1. A sample of `sampleRuns` runs of `sampleRun` consecutive elements at a fixed stride
///    gives ℓ at those elements alone; around the expected sample rank of the K-th
///    largest (Floyd–Rivest), ±`bandSigmas` standard deviations of that rank plus
///    `bandSlack` positions, two sample values give a band [low, high) (about 3 % of the
///    values on independent data).
/// 2. One parallel pass computes ℓ_i (NaN where ignored) and ∂ℓ/∂x_i, as
///    `PixelLossEvaluator` does, and counts per chunk the valid values, those ≥ high and
///    those in the band, and the input and target problems.
/// 3. If `above` < K ≤ `above` + band size, the K-th largest lies in the band: one pass
///    copies the band's values and indices (`TopKSelection.collectBand`, to offsets known
///    from the counts), and `TopKSelection.select` on the band (a sample of
///    `bandSample` values) gives the (K − above)-th largest and its tie cutoff, mapped
///    back to a flat index. Otherwise (the sample misled: rare on independent values,
///    likelier on strongly correlated images) the general selection runs on all values:
///    slower, never wrong.
///
/// The selection is exact (ties to the lowest flat indices) and, with fixed chunks and
/// integer counts, independent of the thread count.
enum TopKBinaryValues {
    /// Consecutive elements per sample run and the number of runs.
    static let sampleRun = 8
    static let sampleRuns = 512
    /// Half-width of the band around the expected sample rank of the K-th largest, in
    /// standard deviations of that rank, plus a fixed number of sample positions.
    static let bandSigmas = 3.0
    static let bandSlack = 4.0
    /// Sample size of the selection inside the band.
    static let bandSample = 1024
    /// Elements per chunk of the value and band passes.
    static let chunkSize = 1 << 14

    /// Values in [low, high) are in the band; ±∞ where the sample gives no bound.
    struct Band<S: SegScalar> {
        var low: S
        var high: S
        static var everything: Band { Band(low: -S.infinity, high: S.infinity) }
        var isEverything: Bool { low == -S.infinity && high == S.infinity }
    }

    /// What one chunk of the value pass counted.
    struct ChunkCounts {
        var above = 0
        var band = 0
        var valid = 0
        var scan = InputScan()
    }

    /// Whether this path applies: the background included, and a batch large enough to
    /// sample.
    static func applies(count: Int, includeBackground: Bool) -> Bool {
        includeBackground && count > TopKSelection.exactLimit
    }

    /// Fills `values` with ℓ (NaN where target == `ignore`) and `gradient` (if given)
    /// with ∂ℓ/∂x (0 where ignored), and selects the K largest (K from `percent` and the
    /// valid count): returns the selection, or nil when no element is valid. Throws on
    /// bad input or target values.
    static func evaluate<S: SegScalar>(
        input: TensorView<S>, target: UnsafePointer<S>, ignore: S?, fromLogits: Bool, percent: Double,
        values: UnsafeMutablePointer<S>, gradient: UnsafeMutablePointer<S>?
    ) throws(SegLossError) -> TopKSelection.Pick<S>? {
        let count = input.shape.count, x = input.base
        let band = sampleBand(x, target, count: count, ignore: ignore, fromLogits: fromLogits, percent: percent)
        let chunks = (count + chunkSize - 1) / chunkSize
        var found = [ChunkCounts](repeating: ChunkCounts(), count: chunks)
        let ig = ignore ?? 0
        let g = gradient ?? values  // written only with a gradient
        found.withUnsafeMutableBufferPointer { fb in
            guard let f = fb.baseAddress else { return }
            Parallel.forEachChunk(chunks, work: count &* 16) { c in
                let lo = c &* chunkSize, hi = min(count, lo &+ chunkSize)
                switch (fromLogits, ignore != nil, gradient != nil) {
                case (true, false, true): f[c] = valueChunk(x, target, lo, hi, ig, band, values, g, On.self, Off.self, On.self)
                case (true, true, true): f[c] = valueChunk(x, target, lo, hi, ig, band, values, g, On.self, On.self, On.self)
                case (false, false, true): f[c] = valueChunk(x, target, lo, hi, ig, band, values, g, Off.self, Off.self, On.self)
                case (false, true, true): f[c] = valueChunk(x, target, lo, hi, ig, band, values, g, Off.self, On.self, On.self)
                case (true, false, false): f[c] = valueChunk(x, target, lo, hi, ig, band, values, g, On.self, Off.self, Off.self)
                case (true, true, false): f[c] = valueChunk(x, target, lo, hi, ig, band, values, g, On.self, On.self, Off.self)
                case (false, false, false): f[c] = valueChunk(x, target, lo, hi, ig, band, values, g, Off.self, Off.self, Off.self)
                case (false, true, false): f[c] = valueChunk(x, target, lo, hi, ig, band, values, g, Off.self, On.self, Off.self)
                }
            }
        }
        var total = ChunkCounts()
        for f in found {
            total.above &+= f.above
            total.band &+= f.band
            total.valid &+= f.valid
            total.scan.merge(f.scan)
        }
        try total.scan.check(
            input: input, target: TensorView(target, shape: input.shape), fromLogits: fromLogits, ignoreIndex: ignore)
        guard total.valid > 0 else { return nil }
        let kept = TopKSelection.kept(valid: total.valid, percent: percent)
        if !band.isEverything, total.above < kept, kept <= total.above &+ total.band,
           let pick = selectInBand(values, count: count, band: band, found: found, size: total.band, kept: kept, above: total.above) {
            return pick
        }
        return TopKSelection.select(UnsafePointer(values), count: count, valid: total.valid, kept: kept)
    }

    /// The value pass over chunk lo..<hi: values[i] = ℓ_i (NaN where ignored),
    /// gradient[i] = ∂ℓ/∂x_i (0 where ignored; with `Grad`), and the counts. Options:
    /// logits, ignore_index, gradient.
    static func valueChunk<S: SegScalar, Logits: StaticFlag, Ignoring: StaticFlag, Grad: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int, _ ignore: S, _ band: Band<S>,
        _ values: UnsafeMutablePointer<S>, _ gradient: UnsafeMutablePointer<S>,
        _: Logits.Type, _: Ignoring.Type, _: Grad.Type
    ) -> ChunkCounts {
        let objective = BCELoss(), logits = Logits.isOn
        var counts = ChunkCounts()
        var badIn = 0, badT = 0
        var b = lo
        while b < hi {
            let n = min(Blocks.size, hi &- b)
            let xb = x + b, tb = t + b, vb = values + b, gb = gradient + b
            var bi: Int32 = 0, bt: Int32 = 0, vc: Int32 = 0, ab: Int32 = 0, bc: Int32 = 0
            for j in 0..<n {
                let z = xb[j], gRaw = tb[j]
                let valid = Ignoring.isOn ? gRaw != ignore : true
                let g = valid ? gRaw : 0
                let (l, d) = objective.evaluate(z, g, fromLogits: logits)
                let v = valid ? l : S.nan  // NaN: neither above nor in the band
                vb[j] = v
                if Grad.isOn { gb[j] = valid ? d : 0 }
                bi &+= ElementChecks.badInput(z, logits: logits)
                bt &+= ElementChecks.badTarget(g)
                vc &+= ElementChecks.bit(valid)
                ab &+= ElementChecks.bit(v >= band.high)
                bc &+= TopKSelection.inBand(v, band.low, band.high)
            }
            counts.above &+= Int(ab)
            counts.band &+= Int(bc)
            counts.valid &+= Int(vc)
            badIn &+= Int(bi)
            badT &+= Int(bt)
            b &+= n
        }
        counts.scan.badInput = Double(badIn)
        counts.scan.badTarget = Double(badT)
        return counts
    }

    /// The selection of the K = `kept` largest when the K-th largest is in the band
    /// (`above` < K ≤ `above` + `size`): the band's values and flat indices are copied in
    /// flat order (chunk c to the offset of the chunks before it), and the
    /// (K − above)-th largest of the band is selected; its tie cutoff (one past the band
    /// position of the last tie selected) becomes one past that element's flat index.
    static func selectInBand<S: SegScalar>(
        _ values: UnsafeMutablePointer<S>, count: Int, band: Band<S>, found: [ChunkCounts], size: Int, kept: Int,
        above: Int
    ) -> TopKSelection.Pick<S>? {
        let chunks = found.count
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: chunks + 1)
        defer { offsets.deallocate() }
        offsets[0] = 0
        for c in 0..<chunks { offsets[c &+ 1] = offsets[c] &+ found[c].band }
        let bandValues = UnsafeMutablePointer<S>.allocate(capacity: max(1, size))
        let bandIndices = UnsafeMutablePointer<Int>.allocate(capacity: max(1, size))
        defer { bandValues.deallocate(); bandIndices.deallocate() }
        Parallel.forEachChunk(chunks, work: count) { c in
            let start = offsets[c], length = offsets[c &+ 1] &- start
            guard length > 0 else { return }
            let lo = c &* chunkSize
            TopKSelection.collectBand(
                values + lo, min(chunkSize, count &- lo), base: lo, low: band.low, high: band.high,
                values: bandValues + start, indices: bandIndices + start, capacity: length)
        }
        // Its tie cutoff is one past the band position of the last tie selected.
        guard var pick = TopKSelection.select(
            UnsafePointer(bandValues), count: size, valid: size, kept: kept &- above, sample: bandSample),
            pick.tieCutoff >= 1, pick.tieCutoff <= size
        else { return nil }
        pick.kept = kept
        pick.tieCutoff = bandIndices[pick.tieCutoff &- 1] &+ 1
        return pick
    }

    /// [low, high) around the expected K-th largest, from ℓ at `sampleRuns` runs of
    /// `sampleRun` elements at a fixed stride (ignored elements left out; n and K
    /// estimated from the sample's valid share); `Band.everything` when the sample has
    /// fewer than 64 valid elements.
    static func sampleBand<S: SegScalar>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, count: Int, ignore: S?, fromLogits: Bool, percent: Double
    ) -> Band<S> {
        let size = sampleRuns * sampleRun, stride = count / sampleRuns
        guard stride >= sampleRun else { return .everything }
        let buffer = UnsafeMutablePointer<S>.allocate(capacity: 3 * size)
        defer { buffer.deallocate() }
        let sx = buffer, st = buffer + size, sample = buffer + 2 * size
        for r in 0..<sampleRuns {
            (sx + r &* sampleRun).update(from: x + r &* stride, count: sampleRun)
            (st + r &* sampleRun).update(from: t + r &* stride, count: sampleRun)
        }
        let ig = ignore ?? 0
        switch (fromLogits, ignore != nil) {
        case (true, false): sampleValues(sx, st, size, ig, sample, On.self, Off.self)
        case (true, true): sampleValues(sx, st, size, ig, sample, On.self, On.self)
        case (false, false): sampleValues(sx, st, size, ig, sample, Off.self, Off.self)
        case (false, true): sampleValues(sx, st, size, ig, sample, Off.self, On.self)
        }
        // The valid sample values, compacted.
        var m = 0
        for i in 0..<size {
            let v = sample[i]
            sample[m] = v
            m &+= Int(ElementChecks.bit(v == v))
        }
        guard m >= 64 else { return .everything }
        let n = max(1, Int((Double(count) * Double(m) / Double(size)).rounded()))
        let q = Double(TopKSelection.kept(valid: n, percent: percent)) / Double(n)
        let center = q * Double(m), sigma = (Double(m) * q * (1 - q)).squareRoot()
        let reach = bandSigmas * sigma + bandSlack
        let first = (center - reach).rounded(.down), last = (center + reach).rounded(.up)
        let ranked = SampleRanks(sample, count: m)
        defer { ranked.deallocate() }
        var band = Band<S>.everything
        if first >= 0 { band.high = ranked.value(atDescendingRank: Int(first), sample) }
        if last < Double(m) { band.low = ranked.value(atDescendingRank: Int(last), sample) }
        // Half-open: the sample's value at `first` belongs in the band (and ties at low
        // must not empty it).
        band.high = max(band.high, band.low).nextUp
        return band
    }

    /// Exact order statistics of the (non-NaN) sample: a histogram of the top 12 bits of
    /// the values' Float bit patterns (sign, exponent and 3 mantissa bits, in the order of
    /// the values for values ≥ 0; a negative value, which BCE never gives, goes to bucket
    /// 0 with the smallest), then a quickselect among the members of one bucket.
    struct SampleRanks {
        static let buckets = 1 << 12
        let histogram: UnsafeMutablePointer<Int32>
        let count: Int

        init<S: SegScalar>(_ sample: UnsafePointer<S>, count m: Int) {
            histogram = .allocate(capacity: Self.buckets)
            histogram.initialize(repeating: 0, count: Self.buckets)
            for i in 0..<m { histogram[Self.bucket(sample[i])] &+= 1 }
            count = m
        }

        func deallocate() { histogram.deallocate() }

        @inline(__always)
        static func bucket<S: SegScalar>(_ v: S) -> Int {
            v > 0 ? Int(truncatingIfNeeded: Float(v).bitPattern &>> 20) : 0
        }

        /// The value at position `rank` (0-based) of the sample in descending order.
        func value<S: SegScalar>(atDescendingRank rank: Int, _ sample: UnsafePointer<S>) -> S {
            var b = Self.buckets &- 1, above = 0
            while b > 0 && above &+ Int(histogram[b]) <= rank {
                above &+= Int(histogram[b])
                b &-= 1
            }
            let members = UnsafeMutablePointer<S>.allocate(capacity: max(1, Int(histogram[b])))
            defer { members.deallocate() }
            var n = 0
            for i in 0..<count where Self.bucket(sample[i]) == b {
                members[n] = sample[i]
                n &+= 1
            }
            guard n > 0 else { return sample[0] }  // unreachable: rank < count
            return TopKSelection.kthLargest(
                UnsafeMutableBufferPointer(start: members, count: n), min(n &- 1, max(0, rank &- above)))
        }
    }

    /// sample[i] = ℓ(x_i, t_i), NaN where t_i == `ignore`.
    static func sampleValues<S: SegScalar, Logits: StaticFlag, Ignoring: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ n: Int, _ ignore: S, _ sample: UnsafeMutablePointer<S>,
        _: Logits.Type, _: Ignoring.Type
    ) {
        let objective = BCELoss()
        for i in 0..<n {
            let gRaw = t[i]
            let valid = Ignoring.isOn ? gRaw != ignore : true
            let l = objective.evaluate(x[i], valid ? gRaw : 0, fromLogits: Logits.isOn).loss
            sample[i] = valid ? l : S.nan
        }
    }
}
