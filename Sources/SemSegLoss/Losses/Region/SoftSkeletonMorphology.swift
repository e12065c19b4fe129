// MARK: - The soft skeleton's 3-voxel window passes, with choice codes, and their transposes

/// One spatial axis of a plane (C order): `length` voxels `stride` apart, repeated over
/// `outer` blocks of `length·stride` voxels.
struct SkeletonAxis {
    let length: Int
    let stride: Int
    let outer: Int
}

/// The window passes of `SoftSkeleton`, over raw buffers of one plane.
///
/// A pass takes, for every voxel i, the extreme of the clipped window (x_{i−s}, x_i, x_{i+s})
/// along one axis (window order; the first extreme wins ties) and can record which voxel
/// won as a one-byte code: `centre` (0), `minus` (i − s) or `plus` (i + s). The caller
/// chooses the two side codes, so that an erosion can tell the axes apart (1 + 2a and
/// 2 + 2a for axis a). Its transpose is a gather: voxel j receives
///
///     g_j·[c_j = centre] + g_{j+s}·[c_{j+s} = minus] + g_{j−s}·[c_{j−s} = plus]
///
/// (neighbours only inside the line along the axis). Loops are contiguous, selects only
/// (see `Blocks`): along an axis of stride s > 1 each row of s voxels reads the rows above
/// and below; along stride 1 each line's interior reads shifted pointers.
enum SkeletonPasses {
    static let centre: UInt8 = 0

    /// Row q of block o along an axis of stride > 1: the row's offset, the rows before and
    /// after it and their codes. A missing neighbour (first or last row) reads the centre,
    /// with the centre's code: window order keeps the first of equal values, so it never
    /// displaces a real neighbour's strict win and the choice is the clipped window's.
    struct Window<S: SegScalar> {
        let row: Int
        let previous: UnsafePointer<S>, middle: UnsafePointer<S>, next: UnsafePointer<S>
        let minus: UInt8, plus: UInt8

        @inline(__always)
        init(_ x: UnsafePointer<S>, _ o: Int, _ q: Int, _ axis: SkeletonAxis, minus: UInt8, plus: UInt8) {
            let length = axis.length, stride = axis.stride
            row = (o &* length &+ q) &* stride
            previous = x + (q > 0 ? row &- stride : row)
            middle = x + row
            next = x + (q < length &- 1 ? row &+ stride : row)
            self.minus = q > 0 ? minus : SkeletonPasses.centre
            self.plus = q < length &- 1 ? plus : SkeletonPasses.centre
        }
    }

    /// `out_i = extreme of the window` and, with `Record`, `code_i` = the winner's code.
    /// With `Combine` (erosions after the first axis, minimum only) the window's minimum
    /// replaces `out_i` (and its code `code_i`) only where it is strictly smaller: the earlier
    /// axis wins ties.
    @inline(__always)
    static func extreme<S: SegScalar, Maximum: StaticFlag, Record: StaticFlag, Combine: StaticFlag>(
        _ x: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ code: UnsafeMutablePointer<UInt8>,
        _ axis: SkeletonAxis, minus: UInt8, plus: UInt8,
        _: Maximum.Type, _: Record.Type, _: Combine.Type
    ) {
        @inline(__always) func better(_ a: S, _ b: S) -> Bool { Maximum.isOn ? a > b : a < b }
        // The winner of (a, b, c) (a or c may be the centre b itself at a border) merged
        // into out[t] / code[t].
        @inline(__always) func store(
            _ o: UnsafeMutablePointer<S>, _ f: UnsafeMutablePointer<UInt8>, _ t: Int,
            _ a: S, _ ca: UInt8, _ b: S, _ c: S, _ cc: UInt8
        ) {
            let takeB = better(b, a)
            let best0 = takeB ? b : a
            let code0 = takeB ? centre : ca
            let takeC = better(c, best0)
            let best = takeC ? c : best0
            let code = takeC ? cc : code0
            if Combine.isOn {
                let take = best < o[t]
                o[t] = take ? best : o[t]
                if Record.isOn { f[t] = take ? code : f[t] }
            } else {
                o[t] = best
                if Record.isOn { f[t] = code }
            }
        }
        let length = axis.length, stride = axis.stride
        if stride == 1 {
            for o in 0..<axis.outer {
                let base = o &* length, line = x + base, dst = out + base, f = code + base
                // Ends: the window (line[0], line[1]) and (line[L−2], line[L−1]).
                store(dst, f, 0, line[0], centre, line[0], line[1], plus)
                store(dst, f, length &- 1, line[length &- 2], minus, line[length &- 1], line[length &- 1], centre)
                let left = line, middle = line + 1, right = line + 2, d = dst + 1, g = f + 1
                for t in 0..<(length &- 2) { store(d, g, t, left[t], minus, middle[t], right[t], plus) }
            }
            return
        }
        for o in 0..<axis.outer {
            for q in 0..<length {
                let w = Window(x, o, q, axis, minus: minus, plus: plus)
                let dst = out + w.row, f = code + w.row
                for t in 0..<stride { store(dst, f, t, w.previous[t], w.minus, w.middle[t], w.next[t], w.plus) }
            }
        }
    }

    /// The winner of the window (a, b, c) with b the centre, for a minimum (window order,
    /// the first of equal values wins).
    @inline(__always)
    static func windowMinimum<S: SegScalar>(_ a: S, _ ca: UInt8, _ b: S, _ c: S, _ cc: UInt8) -> (S, UInt8) {
        let takeB = b < a
        let best0 = takeB ? b : a
        let code0 = takeB ? centre : ca
        let takeC = c < best0
        return (takeC ? c : best0, takeC ? cc : code0)
    }

    /// Two erosion passes in one sweep: along `axis` (stride s = the line length; merged
    /// into out/code strictly-smaller-wins with `Combine`, else written), then along the
    /// contiguous lines (stride 1, merged strictly-smaller-wins). Same values and codes as
    /// the two `extreme` calls, one read and write of out/code instead of two.
    @inline(__always)
    static func erodeLastTwo<S: SegScalar, Record: StaticFlag, Combine: StaticFlag>(
        _ x: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ code: UnsafeMutablePointer<UInt8>,
        _ axis: SkeletonAxis, minus: UInt8, plus: UInt8, lineMinus: UInt8, linePlus: UInt8,
        _: Record.Type, _: Combine.Type
    ) {
        let length = axis.length, line = axis.stride
        @inline(__always) func voxel(
            _ o: UnsafeMutablePointer<S>, _ f: UnsafeMutablePointer<UInt8>, _ t: Int,
            _ a: S, _ ca: UInt8, _ b: S, _ c: S, _ cc: UInt8, _ left: S, _ cl: UInt8, _ right: S, _ cr: UInt8
        ) {
            var (best, bestCode) = windowMinimum(a, ca, b, c, cc)
            if Combine.isOn {
                let take = best < o[t]
                best = take ? best : o[t]
                if Record.isOn { bestCode = take ? bestCode : f[t] }
            }
            let (lineBest, lineCode) = windowMinimum(left, cl, b, right, cr)
            let take = lineBest < best
            o[t] = take ? lineBest : best
            if Record.isOn { f[t] = take ? lineCode : bestCode }
        }
        for o in 0..<axis.outer {
            for q in 0..<length {
                let w = Window(x, o, q, axis, minus: minus, plus: plus)
                let row = w.row, previous = w.previous, middle = w.middle, next = w.next
                let dst = out + row, f = code + row
                let cp = w.minus, cn = w.plus
                let e = line &- 1
                voxel(dst, f, 0, previous[0], cp, middle[0], next[0], cn, middle[0], centre, middle[1], linePlus)
                voxel(dst, f, e, previous[e], cp, middle[e], next[e], cn, middle[e &- 1], lineMinus, middle[e], centre)
                let pp = previous + 1, pm = middle + 1, pn = next + 1, left = middle, right = middle + 2
                let d = dst + 1, g = f + 1
                for t in 0..<(line &- 2) {
                    voxel(d, g, t, pp[t], cp, pm[t], pn[t], cn, left[t], lineMinus, right[t], linePlus)
                }
            }
        }
    }

    /// The transpose of a recorded pass: `h_j (+)= r_j = g_{j−s}·[c_{j−s} = plus]
    /// (+ g_j·[c_j = centre] with `Centre`) + g_{j+s}·[c_{j+s} = minus]`; `Accumulate`
    /// adds r to h instead of overwriting it, `Subtract` takes −r (the transpose of −g).
    @inline(__always)
    static func gather<S: SegScalar, Centre: StaticFlag, Accumulate: StaticFlag, Subtract: StaticFlag>(
        _ g: UnsafePointer<S>, _ code: UnsafePointer<UInt8>, _ h: UnsafeMutablePointer<S>,
        _ axis: SkeletonAxis, minus: UInt8, plus: UInt8, _: Centre.Type, _: Accumulate.Type, _: Subtract.Type
    ) {
        @inline(__always) func merge(_ h: S, _ r: S) -> S {
            Accumulate.isOn ? (Subtract.isOn ? h - r : h + r) : (Subtract.isOn ? -r : r)
        }
        @inline(__always) func term(_ c: UInt8, _ want: UInt8, _ v: S) -> S { c == want ? v : 0 }
        let length = axis.length, stride = axis.stride
        if stride == 1 {
            for o in 0..<axis.outer {
                let base = o &* length, gl = g + base, cl = code + base, hl = h + base
                // Ends: voxel 0 has no left neighbour, voxel L−1 no right one.
                let r0 = (Centre.isOn ? term(cl[0], centre, gl[0]) : 0) + term(cl[1], minus, gl[1])
                let e = length &- 1
                let rL = term(cl[e &- 1], plus, gl[e &- 1]) + (Centre.isOn ? term(cl[e], centre, gl[e]) : 0)
                hl[0] = merge(hl[0], r0)
                hl[e] = merge(hl[e], rL)
                let gLeft = gl, gMid = gl + 1, gRight = gl + 2
                let cLeft = cl, cMid = cl + 1, cRight = cl + 2, d = hl + 1
                for t in 0..<(length &- 2) {
                    let fromLeft = term(cLeft[t], plus, gLeft[t])
                    let own = Centre.isOn ? term(cMid[t], centre, gMid[t]) : 0
                    let fromRight = term(cRight[t], minus, gRight[t])
                    let r = Centre.isOn ? (fromLeft + own) + fromRight : fromLeft + fromRight
                    d[t] = merge(d[t], r)
                }
            }
            return
        }
        for o in 0..<axis.outer {
            for q in 0..<length {
                let row = (o &* length &+ q) &* stride
                let hasPrevious = q > 0, hasNext = q < length &- 1
                // A missing neighbour row reads this row with a code that never matches.
                let never: UInt8 = 255
                let gp = g + (hasPrevious ? row &- stride : row), cp = code + (hasPrevious ? row &- stride : row)
                let gn = g + (hasNext ? row &+ stride : row), cn = code + (hasNext ? row &+ stride : row)
                let gm = g + row, cm = code + row, d = h + row
                let wantPrevious = hasPrevious ? plus : never, wantNext = hasNext ? minus : never
                for t in 0..<stride {
                    let fromPrevious = term(cp[t], wantPrevious, gp[t])
                    let own = Centre.isOn ? term(cm[t], centre, gm[t]) : 0
                    let fromNext = term(cn[t], wantNext, gn[t])
                    let r = Centre.isOn ? (fromPrevious + own) + fromNext : fromPrevious + fromNext
                    d[t] = merge(d[t], r)
                }
            }
        }
    }
}
