import Testing
import SemSegTraining
import SemSegLoss

// MARK: - Architecture, initialisation and whole-network gradients

@Suite struct UNetTests {
    @Test func defaultParameterCount() throws {
        let c = UNetConfiguration()
        #expect(c.parameterCount == 1_940_817)
        let model = try UNet(inChannels: 1, outChannels: 1, baseChannels: 16, depth: 4, seed: 0, threads: 1)
        #expect(model.parameterCount == 1_940_817)
        #expect(model.parameters.count == 1_940_817)
    }

    @Test func parameterCountMatchesLayers() throws {
        for bn in [false, true] {
            let m = try UNetModel<Double>(inChannels: 3, outChannels: 2, baseChannels: 4, depth: 3, batchNorm: bn, threads: 1)
            let convs = m.encoder + m.decoder
            let layers = convs.reduce(0) { $0 + $1.conv.parameterCount + ($1.norm?.parameterCount ?? 0) }
                + m.upsamplers.reduce(0) { $0 + $1.parameterCount } + m.head.parameterCount
            #expect(layers == m.parameterCount)
            #expect(m.head.offset + m.head.parameterCount == m.parameterCount)
            let norms = convs.reduce(0) { $0 + ($1.norm?.statisticsCount ?? 0) }
            #expect(m.statisticsCount == norms && (norms > 0) == bn)
        }
    }

    @Test func initialisationBoundsAndDeterminism() throws {
        let a = try UNet(baseChannels: 4, depth: 2, seed: 42, threads: 1)
        let b = try UNet(baseChannels: 4, depth: 2, seed: 42, threads: 2)
        let c = try UNet(baseChannels: 4, depth: 2, seed: 43, threads: 1)
        let pa = Array(a.parameters.buffer), pb = Array(b.parameters.buffer), pc = Array(c.parameters.buffer)
        #expect(pa == pb)
        #expect(pa != pc)
        // encoder conv 1 of level 1: fan_in = 4·9, bound 1/6
        let conv = a.encoder[2].conv
        let w = pa[conv.offset..<conv.offset + conv.weightCount]
        #expect(w.allSatisfy { abs($0) <= 1 / 6 })
        #expect(w.map { abs($0) }.max()! > 0.9 / 6)
        // ConvTranspose 16 -> 8: PyTorch's fan_in is Cout·4 = 32 (not Cin·4), bound 1/√32
        let up = a.upsamplers[0]
        #expect(up.inChannels == 16 && up.outChannels == 8)
        let bound = Float(1 / (32.0).squareRoot())
        let wu = pa[up.offset..<up.offset + up.weightCount]
        #expect(wu.allSatisfy { abs($0) <= bound } && wu.map { abs($0) }.max()! > 0.9 * bound)
    }

    @Test(arguments: [false, true])
    func wholeNetworkGradient(batchNorm: Bool) throws {
        let model = try UNetModel<Double>(inChannels: 2, outChannels: 2, baseChannels: 2, depth: 2,
                                          batchNorm: batchNorm, seed: 5, threads: 2)
        let shape = [2, 2, 8, 8]
        let x = randomValues(2 * 2 * 64, seed: 6)
        let g = randomValues(2 * 2 * 64, seed: 7)
        let theta = Array(model.parameters.buffer)
        let grad = try model.parameterGradient(x, shape: shape, outputGradient: g)
        func loss(_ v: [Double]) throws -> Double {
            for i in 0..<v.count { model.parameters.pointer[i] = v[i] }
            return dot(try model.logits(x, shape: shape, training: true), g)
        }
        // every layer's first and last weight and bias, plus a random sample
        var indices = sampleIndices(theta.count, count: 150)
        for b in model.encoder + model.decoder {
            indices += [b.conv.offset, b.conv.offset + b.conv.weightCount - 1]
            if let n = b.norm { indices += [n.offset, n.offset + 2 * n.channels - 1] } else { indices.append(b.conv.biasOffset) }
        }
        for u in model.upsamplers { indices += [u.offset, u.biasOffset] }
        indices += [model.head.offset, model.head.biasOffset]
        let err = try maxGradientError(theta, analytic: grad, indices: indices, h: 1e-6, loss)
        #expect(err < 1e-6, "max relative FD error \(err)")
    }

    @Test func logitsIndependentOfThreadCountAndBatchSplit() throws {
        let a = try UNet(baseChannels: 4, depth: 2, seed: 1, threads: 1)
        let b = try UNet(baseChannels: 4, depth: 2, seed: 1, threads: 2)
        let x = randomValues(3 * 16 * 16, seed: 2).map(Float.init)
        let la = try a.predict(x, shape: [3, 1, 16, 16], batchSize: 3)
        let lb = try b.predict(x, shape: [3, 1, 16, 16], batchSize: 1)
        #expect(zip(la, lb).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
        let probs = try a.predict(x, shape: [3, 1, 16, 16], output: .probabilities)
        #expect(probs.allSatisfy { $0 > 0 && $0 < 1 })
        let mask = try a.predict(x, shape: [3, 1, 16, 16], output: .mask(threshold: 0.5))
        #expect(zip(mask, la).allSatisfy { $0 == ($1 > 0 ? 1 : 0) })
    }

    @Test func badArgumentsThrow() throws {
        #expect(throws: SegLossError.self) { try UNet(baseChannels: 0) }
        #expect(throws: SegLossError.self) { try UNet(depth: 0) }
        #expect(throws: SegLossError.self) { try UNet(depth: 11) }
        #expect(throws: SegLossError.self) { try UNet(inChannels: -1) }
        #expect(throws: SegLossError.self) { try UNet(baseChannels: 1 << 20) }
        #expect(throws: SegLossError.self) { try UNet(threads: 100_000) }
        let m = try UNet(baseChannels: 2, depth: 2, threads: 1)
        let x = [Float](repeating: 0, count: 2 * 12 * 12)
        // 12 is not divisible by 2^2... it is; 10 is not
        #expect(throws: SegLossError.self) { try m.predict([Float](repeating: 0, count: 100), shape: [1, 1, 10, 10]) }
        #expect(throws: SegLossError.self) { try m.predict(x, shape: [2, 2, 12, 6]) }       // channels
        #expect(throws: SegLossError.self) { try m.predict(x, shape: [2, 1, 12, 13]) }      // count
        #expect(throws: SegLossError.self) { try m.predict(x, shape: [2, 1, 12]) }          // rank
        #expect(throws: SegLossError.self) { try m.predict(x, shape: [-2, 1, 12, 12]) }
        #expect(throws: SegLossError.self) { try m.predict(x, shape: [2, 1, 12, 12], batchSize: 0) }
        #expect(throws: SegLossError.self) { try m.predict(x, shape: [Int.max, 1, Int.max, 4]) }
        #expect(throws: SegLossError.self) { try m.predict(x, shape: [2, 1, 12, 12], output: .mask(threshold: 2)) }
        let bn = try UNet(baseChannels: 2, depth: 2, batchNorm: true, threads: 1)
        #expect(throws: SegLossError.self) {
            try bn.logits([Float](repeating: 0, count: 16), shape: [1, 1, 4, 4], training: true)
        }
        #expect(try m.predict(x, shape: [2, 1, 12, 12]).count == 2 * 144)
    }
}
