import Testing
import SemSegTraining
import SemSegLoss

// MARK: - Finite-difference checks of every layer, in Double

@Suite struct LayerGradientTests {
    // Odd, non-square sizes and two workers exercise the row partition and the padding.
    let geometry = try! Geometry(batch: 2, height: 5, width: 6)

    @Test(arguments: [(3, 1), (3, 3), (1, 1)] as [(Int, Int)])
    func conv2d(kernel: Int, threads: Int) throws {
        let cin = 3, cout = 4
        let conv = Conv2D<Double>(inChannels: cin, outChannels: cout, kernelSize: kernel, bias: true, offset: 0)
        let ctx = try ComputeContext<Double>(threads: threads, parameterCount: conv.parameterCount)
        let p = geometry.pixels
        var params = randomValues(conv.parameterCount, seed: 1)
        // u: pre-activation input; the layer sees x = relu(u) and masks dX by x > 0.
        let u = randomValues(cin * p, seed: 2)
        let g = randomValues(cout * p, seed: 3)
        func run(_ params: [Double], _ u: [Double]) throws -> Double {
            let x = u.map { max(0, $0) }
            var y = [Double](repeating: 0, count: cout * p)
            try conv.forward(x, &y, geometry: geometry, parameters: params, relu: false, context: ctx)
            return dot(y, g)
        }
        let x = u.map { max(0, $0) }
        var dx = [Double](repeating: 0, count: cin * p)
        let grad = try collectGradient(ctx) {
            try conv.backward(x, g, &dx, maskChannels: 0..<cin, geometry: geometry, parameters: params, context: ctx)
        }
        let ep = try maxGradientError(params, analytic: grad, indices: Array(0..<params.count)) { try run($0, u) }
        let ex = try maxGradientError(u, analytic: dx, indices: Array(0..<u.count)) { try run(params, $0) }
        #expect(ep < 1e-7)
        #expect(ex < 1e-7)
        params[0] += 0  // keep `var`
    }

    @Test func convFusedReLUMatchesReference() throws {
        let conv = Conv2D<Double>(inChannels: 2, outChannels: 3, kernelSize: 3, bias: true)
        let ctx = try ComputeContext<Double>(threads: 2, parameterCount: conv.parameterCount)
        let params = randomValues(conv.parameterCount, seed: 4)
        let x = randomValues(2 * geometry.pixels, seed: 5)
        var fused = [Double](repeating: 0, count: 3 * geometry.pixels), plain = fused, ref = fused
        try conv.forward(x, &fused, geometry: geometry, parameters: params, relu: true, context: ctx)
        try conv.forward(x, &plain, geometry: geometry, parameters: params, relu: false, context: ctx)
        ReLU.forward(plain, &ref, count: ref.count)
        #expect(fused == ref)
        #expect(plain.contains { $0 < 0 })
    }

    @Test(arguments: [1, 2])
    func convTranspose(threads: Int) throws {
        let cin = 3, cout = 2
        let up = ConvTranspose2D<Double>(inChannels: cin, outChannels: cout, offset: 0)
        let ctx = try ComputeContext<Double>(threads: threads, parameterCount: up.parameterCount)
        let pIn = geometry.pixels, pOut = 4 * pIn
        let params = randomValues(up.parameterCount, seed: 6)
        let u = randomValues(cin * pIn, seed: 7)
        let g = randomValues(cout * pOut, seed: 8)
        func run(_ params: [Double], _ u: [Double]) throws -> Double {
            var y = [Double](repeating: 0, count: cout * pOut)
            try up.forward(u.map { max(0, $0) }, &y, input: geometry, parameters: params, context: ctx)
            return dot(y, g)
        }
        var dx = [Double](repeating: 0, count: cin * pIn)
        let grad = try collectGradient(ctx) {
            try up.backward(u.map { max(0, $0) }, g, &dx, maskInput: true, input: geometry, parameters: params, context: ctx)
        }
        #expect(try maxGradientError(params, analytic: grad, indices: Array(0..<params.count)) { try run($0, u) } < 1e-7)
        #expect(try maxGradientError(u, analytic: dx, indices: Array(0..<u.count)) { try run(params, $0) } < 1e-7)
    }

    @Test func convTransposeIsPixelShuffle() throws {
        // One input pixel, Cin = 1: output window (a, b) of channel o is W[0, o, a, b]·x + bias[o].
        let up = ConvTranspose2D<Double>(inChannels: 1, outChannels: 2)
        let ctx = try ComputeContext<Double>(threads: 1, parameterCount: up.parameterCount)
        let params: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 0.5, -0.5]
        var y = [Double](repeating: 0, count: 8)
        try up.forward([2], &y, input: Geometry(batch: 1, height: 1, width: 1), parameters: params, context: ctx)
        #expect(y == [2.5, 4.5, 6.5, 8.5, 9.5, 11.5, 13.5, 15.5])
    }

    @Test(arguments: [1, 2])
    func maxPool(threads: Int) throws {
        let g4 = try Geometry(batch: 2, height: 4, width: 6)
        let c = 3, p = g4.pixels
        let ctx = try ComputeContext<Double>(threads: threads, parameterCount: 1)
        let x = randomValues(c * p, seed: 9)
        let dy = randomValues(c * p / 4, seed: 10)
        var idx = [UInt8](repeating: 0, count: c * p / 4)
        func run(_ x: [Double]) -> Double {
            var y = [Double](repeating: 0, count: c * p / 4)
            var i = idx
            MaxPool2D.forward(x, &y, argmax: &i, channels: c, input: g4, context: ctx)
            return dot(y, dy)
        }
        var y = [Double](repeating: 0, count: c * p / 4)
        MaxPool2D.forward(x, &y, argmax: &idx, channels: c, input: g4, context: ctx)
        #expect(y[0] == max(x[0], x[1], x[6], x[7]))
        var dx = [Double](repeating: 7, count: c * p)
        MaxPool2D.backward(x, dy, argmax: idx, &dx, channels: c, input: g4, accumulate: false, mask: false, context: ctx)
        #expect(maxGradientError(x, analytic: dx, indices: Array(0..<x.count), run) < 1e-8)
        // accumulate adds the routed gradient on top of what is there
        var acc = [Double](repeating: 1, count: c * p)
        MaxPool2D.backward(x, dy, argmax: idx, &acc, channels: c, input: g4, accumulate: true, mask: false, context: ctx)
        #expect(zip(acc, dx).allSatisfy { abs($0 - 1 - $1) < 1e-15 })
    }

    @Test func reluAndConcat() {
        let x: [Double] = [-1, 0, 2, -3, 4]
        var y = [Double](repeating: 9, count: 5), dx = y
        ReLU.forward(x, &y, count: 5)
        #expect(y == [0, 0, 2, 0, 4])
        ReLU.backward(output: y, [1, 1, 1, 1, 1], &dx, count: 5)
        #expect(dx == [0, 0, 1, 0, 1])
        let u = randomValues(5, seed: 1)
        let fd = maxGradientError(u, analytic: u.map { $0 > 0 ? 1 : 0 }, indices: Array(0..<5)) { v in
            var out = [Double](repeating: 0, count: 5)
            ReLU.forward(v, &out, count: 5)
            return out.reduce(0, +)
        }
        #expect(fd < 1e-8)
        // concatenation of (2 channels × 3 px) and (1 channel × 3 px)
        let a: [Double] = [1, 2, 3, 4, 5, 6], b: [Double] = [7, 8, 9]
        var out = [Double](repeating: 0, count: 9)
        ChannelConcat.forward(a, channelsA: 2, b, channelsB: 1, pixels: 3, into: &out)
        #expect(out == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        var da = [Double](repeating: 0, count: 6), db = [Double](repeating: 0, count: 3)
        ChannelConcat.backward(out, channelsA: 2, channelsB: 1, pixels: 3, &da, &db)
        #expect(da == a && db == b)
    }

    @Test(arguments: [1, 2])
    func batchNorm(threads: Int) throws {
        let c = 3, p = geometry.pixels
        let bn = BatchNorm2D<Double>(channels: c, offset: 0, statsOffset: 0)
        let ctx = try ComputeContext<Double>(threads: threads, parameterCount: bn.parameterCount)
        var params = randomValues(bn.parameterCount, seed: 11, 0.5, 1.5)
        params[c] = 0.3
        var stats = [Double](repeating: 0, count: bn.statisticsCount)
        var saved = [Double](repeating: 0, count: 2 * c)
        let x = randomValues(c * p, seed: 12, -2, 3)
        let g = randomValues(c * p, seed: 13)
        func run(_ params: [Double], _ x: [Double]) -> Double {
            var y = [Double](repeating: 0, count: c * p), s = stats, sv = saved
            bn.forward(x, &y, pixels: p, training: true, relu: false, parameters: params, statistics: &s, saved: &sv, context: ctx)
            return dot(y, g)
        }
        var y = [Double](repeating: 0, count: c * p)
        bn.forward(x, &y, pixels: p, training: true, relu: false, parameters: params, statistics: &stats, saved: &saved, context: ctx)
        let mean0 = x[0..<p].reduce(0, +) / Double(p)
        #expect(abs(stats[0] - 0.1 * mean0) < 1e-12)
        var dx = [Double](repeating: 0, count: c * p)
        let grad = try collectGradient(ctx) {
            try bn.backward(x, g, &dx, pixels: p, parameters: params, saved: saved, context: ctx)
        }
        #expect(maxGradientError(params, analytic: grad, indices: Array(0..<params.count)) { run($0, x) } < 1e-7)
        #expect(maxGradientError(x, analytic: dx, indices: Array(0..<x.count)) { run(params, $0) } < 1e-7)
    }
}
