// MARK: - One line, run by run

/// The line solver shared by `TwoSidedTransform` and the last pass of
/// `EuclideanDistanceTransform`: a line is split into runs of equal class; each run is
/// solved with the two voxels just outside it as zero sites (see `TwoSidedTransform`), by
/// direct search when distances are short and by the lower envelope otherwise.
extension TwoSidedTransform {
    /// One line: `out[q] = min over the candidates of q's run` (see the type documentation).
    @inline(__always)
    static func line(
        f: UnsafePointer<Double>, classes: UnsafePointer<UInt8>, count n: Int, step: Int, weight w: Double,
        out: UnsafeMutablePointer<Double>, stacks: RunStacks, tryDirect: Bool = true
    ) {
        var a = 0
        while a < n {
            let cls = classes[a &* step] != 0
            var b = a
            while b &+ 1 < n && (classes[(b &+ 1) &* step] != 0) == cls { b &+= 1 }
            let hasLeft = a > 0, hasRight = b < n &- 1
            solveRun(f: f, step: step, a: a, b: b, hasLeft: hasLeft, hasRight: hasRight, weight: w,
                     out: out, stacks: stacks, tryDirect: tryDirect)
            a = b &+ 1
        }
    }

    /// Solves one run: short runs, and long runs whose result is provably within
    /// `directRadius`, by direct search; other long runs first by a direct search with a
    /// budget of `searchBudget` steps per voxel (cheap on fragmented masks, where distances
    /// are short although column values can be large), falling back to the envelope when
    /// the budget runs out (large objects).
    @inline(__always)
    static func solveRun(
        f: UnsafePointer<Double>, step: Int, a: Int, b: Int, hasLeft: Bool, hasRight: Bool, weight w: Double,
        out: UnsafeMutablePointer<Double>, stacks: RunStacks, tryDirect: Bool = true
    ) {
        if b &- a < shortRun || directSearchPays(f: f, step: step, a: a, b: b, hasLeft: hasLeft, hasRight: hasRight, weight: w) {
            _ = shortRunSearch(f: f, step: step, a: a, b: b, hasLeft: hasLeft, hasRight: hasRight, weight: w,
                               out: out, budget: Int.max, cap: Int.max)
        } else if !tryDirect || !shortRunSearch(
            f: f, step: step, a: a, b: b, hasLeft: hasLeft, hasRight: hasRight, weight: w,
            out: out, budget: searchBudget &* (b &- a &+ 1), cap: searchCap
        ) {
            runEnvelope(f: f, step: step, a: a, b: b, hasLeft: hasLeft, hasRight: hasRight, weight: w,
                        out: out, stacks: stacks)
        }
    }

    /// Steps per voxel the direct search may take on a long run before the envelope takes
    /// over, and the most steps one voxel may take (a longer search means a large object,
    /// where the envelope is cheaper: giving up early wastes little).
    static let searchBudget = 3
    static let searchCap = 12

    /// Whether the direct search is cheap on a long run: its cost at `q` is at most
    /// `√(U(q)/w)` steps with `U(q) = min(f(q), w·dz(q)²)` (`dz`: distance to the run's end
    /// beyond which lies a zero site), an upper bound of the result. True when that bound
    /// stays below `directRadius` everywhere (fragmented masks: short distances).
    @inline(__always)
    static func directSearchPays(
        f: UnsafePointer<Double>, step: Int, a: Int, b: Int, hasLeft: Bool, hasRight: Bool, weight w: Double
    ) -> Bool {
        let limit = w * Double(directRadius * directRadius)
        for q in a...b {
            let v = f[q &* step]
            if v <= limit { continue }
            let dl = hasLeft ? q &- a &+ 1 : Int.max, dr = hasRight ? b &+ 1 &- q : Int.max
            if Swift.min(dl, dr) > directRadius { return false }
        }
        return true
    }

    /// Direct search outward from each `q`, stopping once `w·d²` reaches the best value.
    /// Returns false (outputs incomplete) when more than `budget` steps in all, or more than
    /// `cap` for one voxel, were needed.
    @inline(__always)
    static func shortRunSearch(
        f: UnsafePointer<Double>, step: Int, a: Int, b: Int, hasLeft: Bool, hasRight: Bool, weight w: Double,
        out: UnsafeMutablePointer<Double>, budget: Int, cap: Int
    ) -> Bool {
        var steps = 0
        for q in a...b {
            var best = f[q &* step]
            var d = 1
            while true {
                let wd = w * Double(d &* d)
                if !(wd < best) { break }  // also stops on NaN-free +∞ best only when both sides are done
                let lo = q &- d, hi = q &+ d
                let leftIn = lo >= a, rightIn = hi <= b
                if leftIn {
                    let v = wd + f[lo &* step]
                    if v < best { best = v }
                } else if lo == a &- 1 && hasLeft {
                    if wd < best { best = wd }
                }
                if rightIn {
                    let v = wd + f[hi &* step]
                    if v < best { best = v }
                } else if hi == b &+ 1 && hasRight {
                    if wd < best { best = wd }
                }
                if !leftIn && !rightIn { break }  // no candidate farther away
                d &+= 1
                if d > cap { return false }
            }
            steps &+= d
            if steps > budget { return false }
            out[q &* step] = best
        }
        return true
    }

    /// Stacks of `runEnvelope` for runs of up to `n` voxels (`n + 2` sites with the two
    /// zero sites): positions, values and heights `f + w·p²` of the parabolas, and the
    /// boundaries between them as fractions `num/den` (den > 0), so that no division sits on
    /// the dependency chain of the pops.
    struct RunStacks {
        let positions, values, heights, boundNum, boundDen: UnsafeMutablePointer<Double>
        static func doubleCount(length n: Int) -> Int { 5 * (n + 3) }
        init(_ base: UnsafeMutablePointer<Double>, length n: Int) {
            let m = n + 3
            positions = base
            values = base + m
            heights = base + 2 * m
            boundNum = base + 3 * m
            boundDen = base + 4 * m
        }
    }

    /// Felzenszwalb–Huttenlocher lower envelope over the sites of one run: the zero site
    /// `a − 1` (if `hasLeft`), the finite `f` of `a...b`, the zero site `b + 1` (if `hasRight`);
    /// evaluated on `a...b`. The intersection of parabolas `p < q` lies at
    /// `s = ((f_q + w q²) − (f_p + w p²)) / (2w(q − p))`; it is kept as numerator and
    /// denominator and every comparison `s ≤ t` is made as `num ≤ t·den` (exact for unit
    /// spacing; otherwise it can differ from the divided form only by rounding at an exact
    /// tie, where both parabolas give the same minimum).
    static func runEnvelope(
        f: UnsafePointer<Double>, step: Int, a: Int, b: Int, hasLeft: Bool, hasRight: Bool, weight w: Double,
        out: UnsafeMutablePointer<Double>, stacks: RunStacks
    ) {
        let vp = stacks.positions, vf = stacks.values, vh = stacks.heights
        let zn = stacks.boundNum, zd = stacks.boundDen
        let twoW = 2 * w
        // The first site starts the stack; the bound after the top is written once at the
        // end (pops only read bounds 1...k).
        var k = 0
        var q = a
        if hasLeft {
            let dq = Double(a &- 1)
            vp[0] = dq; vf[0] = 0; vh[0] = w * dq * dq
        } else {
            while q <= b && f[q &* step] == .infinity { q &+= 1 }
            if q > b && !hasRight {
                for i in a...b { out[i &* step] = .infinity }
                return
            }
            if q <= b {
                let dq = Double(q), v = f[q &* step]
                vp[0] = dq; vf[0] = v; vh[0] = v + w * dq * dq
                q &+= 1
            } else {
                k = -1  // only the right zero site
            }
        }
        @inline(__always) func push(_ dq: Double, _ value: Double) {
            let hq = value + w * dq * dq
            // pop while s(top, q) ≤ z[k], i.e. (hq − h_k)/(2w(q − p_k)) ≤ zn_k/zd_k
            while k > 0 && (hq - vh[k]) * zd[k] <= zn[k] * (twoW * (dq - vp[k])) { k &-= 1 }
            let num = hq - vh[k], den = twoW * (dq - vp[k])
            k &+= 1
            vp[k] = dq; vf[k] = value; vh[k] = hq
            zn[k] = num; zd[k] = den
        }
        if k == 0 {
            while q <= b {
                let v = f[q &* step]
                if v != .infinity { push(Double(q), v) }
                q &+= 1
            }
            if hasRight { push(Double(b &+ 1), 0) }
        } else {
            let dq = Double(b &+ 1)
            k = 0
            vp[0] = dq; vf[0] = 0; vh[0] = w * dq * dq
        }
        zn[k &+ 1] = .infinity; zd[k &+ 1] = 1
        k = 0
        for i in a...b {
            let di = Double(i)
            while zn[k &+ 1] < di * zd[k &+ 1] { k &+= 1 }
            let d = di - vp[k]
            out[i &* step] = w * d * d + vf[k]
        }
    }
}
