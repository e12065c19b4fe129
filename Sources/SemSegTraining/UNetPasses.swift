import SemSegLoss

// MARK: - Forward and backward passes over the workspace

extension UNetModel {
    /// Geometry of every level, `geometries[l]` = input geometry halved `l` times.
    func levelGeometries(_ g: Geometry) -> [Geometry] {
        var out = [g]
        for _ in 0..<configuration.depth { out.append(out[out.count - 1].halved) }
        return out
    }

    private func blockForward(
        _ block: ConvBlock<Scalar>, z: Int, _ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>,
        _ g: Geometry, training: Bool, _ ws: UNetWorkspace<Scalar>
    ) throws(SegLossError) {
        let p = UnsafePointer(parameters.pointer)
        if let norm = block.norm {
            let zb = ws.blockZ[z].pointer
            try block.conv.forward(x, zb, geometry: g, parameters: p, relu: false, context: context)
            norm.forward(zb, y, pixels: g.pixels, training: training, relu: true, parameters: p,
                         statistics: statistics.pointer, saved: ws.blockSaved[z].pointer, context: context)
        } else {
            try block.conv.forward(x, y, geometry: g, parameters: p, relu: true, context: context)
        }
    }

    private func blockBackward(
        _ block: ConvBlock<Scalar>, z: Int, _ x: UnsafePointer<Scalar>, _ dy: UnsafeMutablePointer<Scalar>,
        _ dx: UnsafeMutablePointer<Scalar>?, mask: Range<Int>, _ g: Geometry, _ ws: UNetWorkspace<Scalar>
    ) throws(SegLossError) {
        let p = UnsafePointer(parameters.pointer)
        if let norm = block.norm {
            let dz = ws.blockDZ[z].pointer
            try norm.backward(ws.blockZ[z].pointer, dy, dz, pixels: g.pixels, parameters: p,
                              saved: ws.blockSaved[z].pointer, context: context)
            try block.conv.backward(x, dz, dx, maskChannels: mask, geometry: g, parameters: p, context: context)
        } else {
            try block.conv.backward(x, dy, dx, maskChannels: mask, geometry: g, parameters: p, context: context)
        }
    }

    /// Runs the network on `ws.input` (CNHW over `g`) into `ws.logits`. `training` selects
    /// batch statistics for BatchNorm (and updates its running statistics).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forwardPass(_ g: Geometry, training: Bool) throws(SegLossError) {
        guard let ws = workspace, ws.fits(g) else { throw .shape("x", "internal: workspace not prepared for \(g)") }
        if configuration.batchNorm && training {
            // Batch statistics need more than one value per channel at the bottleneck.
            let deepest = g.pixels >> (2 * configuration.depth)
            guard deepest > 1 else {
                throw .shape("x", "BatchNorm in training mode needs more than one value per channel at the deepest level; batch \(g.batch) of \(g.height)x\(g.width) gives \(deepest)")
            }
        }
        let depth = configuration.depth
        let geos = levelGeometries(g)
        var x = UnsafePointer(ws.input.pointer)
        for l in 0...depth {
            let w = configuration.width(l), geo = geos[l]
            try blockForward(encoder[2 * l], z: 2 * l, x, ws.encA[l].pointer, geo, training: training, ws)
            let out = ws.encOut[l].pointer + (l < depth ? w * geo.pixels : 0)
            try blockForward(encoder[2 * l + 1], z: 2 * l + 1, ws.encA[l].pointer, out, geo, training: training, ws)
            if l < depth {
                MaxPool2D.forward(out, ws.pool[l].pointer, argmax: ws.argmax[l].pointer, channels: w, input: geo, context: context)
                x = UnsafePointer(ws.pool[l].pointer)
            }
        }
        let p = UnsafePointer(parameters.pointer)
        var src = UnsafePointer(ws.encOut[depth].pointer)
        for l in stride(from: depth - 1, through: 0, by: -1) {
            let di = decoderIndex(l)
            try upsamplers[upIndex(l)].forward(src, ws.encOut[l].pointer, input: geos[l + 1], parameters: p, context: context)
            try blockForward(decoder[di], z: zIndex(decoder: true, di), ws.encOut[l].pointer, ws.decA[l].pointer, geos[l], training: training, ws)
            try blockForward(decoder[di + 1], z: zIndex(decoder: true, di + 1), ws.decA[l].pointer, ws.decB[l].pointer, geos[l], training: training, ws)
            src = UnsafePointer(ws.decB[l].pointer)
        }
        try head.forward(src, ws.logits.pointer, geometry: g, parameters: p, relu: false, context: context)
    }

    /// Back-propagates `ws.dLogits` (CNHW) through the last `forwardPass(g, training: true)`;
    /// leaves d(loss)/d(parameters) in `context.gradient`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backwardPass(_ g: Geometry) throws(SegLossError) {
        guard let ws = workspace, ws.fits(g), ws.hasGradients else {
            throw .shape("x", "internal: workspace not prepared for backward on \(g)")
        }
        try context.reserveGradients()
        context.zeroGradients()
        let depth = configuration.depth
        let geos = levelGeometries(g)
        let p = UnsafePointer(parameters.pointer)
        let w0 = configuration.width(0)
        let headInput = UnsafePointer(depth > 0 ? ws.decB[0].pointer : ws.encOut[0].pointer)
        let dHeadInput = depth > 0 ? ws.dDecB[0].pointer : ws.dEncOut[0].pointer
        try head.backward(headInput, ws.dLogits.pointer, dHeadInput, maskChannels: 0..<w0, geometry: g, parameters: p, context: context)
        for l in 0..<depth {
            let w = configuration.width(l), di = decoderIndex(l)
            try blockBackward(decoder[di + 1], z: zIndex(decoder: true, di + 1), ws.decA[l].pointer, ws.dDecB[l].pointer,
                              ws.dDecA[l].pointer, mask: 0..<w, geos[l], ws)
            try blockBackward(decoder[di], z: zIndex(decoder: true, di), ws.encOut[l].pointer, ws.dDecA[l].pointer,
                              ws.dEncOut[l].pointer, mask: w..<(2 * w), geos[l], ws)
            let src = UnsafePointer(l + 1 == depth ? ws.encOut[depth].pointer : ws.decB[l + 1].pointer)
            let dSrc = l + 1 == depth ? ws.dEncOut[depth].pointer : ws.dDecB[l + 1].pointer
            try upsamplers[upIndex(l)].backward(src, ws.dEncOut[l].pointer, dSrc, maskInput: true, input: geos[l + 1],
                                                parameters: p, context: context)
        }
        for l in stride(from: depth, through: 0, by: -1) {
            let w = configuration.width(l), geo = geos[l]
            let skip = l < depth ? w * geo.pixels : 0
            try blockBackward(encoder[2 * l + 1], z: 2 * l + 1, ws.encA[l].pointer, ws.dEncOut[l].pointer + skip,
                              ws.dEncA[l].pointer, mask: 0..<w, geo, ws)
            if l == 0 {
                try blockBackward(encoder[0], z: 0, ws.input.pointer, ws.dEncA[0].pointer, nil, mask: 0..<0, geo, ws)
            } else {
                try blockBackward(encoder[2 * l], z: 2 * l, ws.pool[l - 1].pointer, ws.dEncA[l].pointer,
                                  ws.dPool[l - 1].pointer, mask: 0..<0, geo, ws)
                let wp = configuration.width(l - 1), gp = geos[l - 1]
                let skipP = wp * gp.pixels
                MaxPool2D.backward(ws.encOut[l - 1].pointer + skipP, ws.dPool[l - 1].pointer, argmax: ws.argmax[l - 1].pointer,
                                   ws.dEncOut[l - 1].pointer + skipP, channels: wp, input: gp,
                                   accumulate: true, mask: true, context: context)
            }
        }
        context.reduceGradients()
    }
}
