import CSemSegLoss
import Glibc
import SemSegLoss
import SemSegLossC
import Testing

/// The distance section of the C ABI: results, and statuses instead of traps.
@Suite("C ABI: distance transforms and surface metrics")
struct DistanceABITests {
    /// Calls semseg_distance_transform_edt (convention < 0) or semseg_signed_distance.
    func transform(
        mask: [UInt8], shape: [Int64], spatialNdim: Int32, sampling: [Double]? = nil, nSampling: Int32? = nil,
        convention: Int32 = -1, degenerate: Int32 = SEMSEG_DEGENERATE_ZERO, dtype: Int32 = SEMSEG_UINT8,
        outLen: Int64? = nil, nullOut: Bool = false, nullMask: Bool = false
    ) -> (status: semseg_status_t, out: [Double], message: String) {
        var out = [Double](repeating: -1, count: mask.count)
        var err = [CChar](repeating: 0, count: 256)
        let status: semseg_status_t = mask.withUnsafeBytes { mb in
            shape.withUnsafeBufferPointer { sb in
                var t = semseg_tensor_t(data: nullMask ? nil : mb.baseAddress, shape: sb.baseAddress,
                                        ndim: Int32(shape.count), dtype: dtype)
                return out.withUnsafeMutableBufferPointer { ob in
                    err.withUnsafeMutableBufferPointer { eb in
                        let s = sampling ?? []
                        return s.withUnsafeBufferPointer { spb in
                            let sp = sampling == nil ? nil : spb.baseAddress
                            let n = nSampling ?? Int32(s.count)
                            let o = nullOut ? nil : ob.baseAddress
                            let len = outLen ?? Int64(mask.count)
                            if convention < 0 {
                                return semseg_distance_transform_edt(&t, spatialNdim, sp, n, o, len, eb.baseAddress, 256)
                            }
                            return semseg_signed_distance(&t, spatialNdim, sp, n, convention, degenerate, o, len,
                                                          eb.baseAddress, 256)
                        }
                    }
                }
            }
        }
        return (status, out, text(err))
    }

    @Test("EDT and signed distance compute through the ABI; leading axes are a batch")
    func valid() {
        let r = transform(mask: [0, 1, 1, 1, 0, 1, 1, 0], shape: [2, 4], spatialNdim: 1)
        #expect(r.status == SEMSEG_OK)
        #expect(r.out == [0, 1, 2, 3, 0, 1, 1, 0])  // two images; the image edge is not background
        let one = transform(mask: [0, 1, 1, 1, 0, 1, 1, 0], shape: [1, 8], spatialNdim: 2, sampling: [1, 0.5])
        #expect(one.out == [0, 0.5, 1, 0.5, 0, 0.5, 0.5, 0])
        let sdf = transform(mask: [0, 0, 1, 1, 1, 1, 0], shape: [7], spatialNdim: 1, convention: SEMSEG_SDF_BOUNDARY_LOSS)
        #expect(sdf.out == [2, 1, 0, -1, -1, 0, 1])
        let two = transform(mask: [0, 0, 1, 1, 1, 1, 0], shape: [7], spatialNdim: 1, convention: SEMSEG_SDF_TWO_SIDED)
        #expect(two.out == [2, 1, 1, 2, 2, 1, 1])
        let full = transform(mask: [1, 1, 1], shape: [3], spatialNdim: 1, convention: SEMSEG_SDF_SYMMETRIC,
                             degenerate: SEMSEG_DEGENERATE_INF)
        #expect(full.out.allSatisfy { $0 == -.infinity })
    }

    @Test("bad arguments give statuses naming them")
    func invalid() {
        let m: [UInt8] = [0, 1, 1, 0]
        func expect(_ r: (status: semseg_status_t, out: [Double], message: String), _ status: semseg_status_t, _ name: String) {
            #expect(r.status == status, "\(r.message)")
            #expect(r.message.hasPrefix(name), "\(r.message)")
        }
        expect(transform(mask: m, shape: [4], spatialNdim: 1, nullOut: true), SEMSEG_ERR_NULL_POINTER, "out")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, nullMask: true), SEMSEG_ERR_VALUE, "mask")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, dtype: SEMSEG_FLOAT64), SEMSEG_ERR_DTYPE, "mask")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, dtype: 99), SEMSEG_ERR_DTYPE, "mask")
        expect(transform(mask: m, shape: [4], spatialNdim: 0), SEMSEG_ERR_SHAPE, "mask")
        expect(transform(mask: m, shape: [4], spatialNdim: 2), SEMSEG_ERR_SHAPE, "mask")
        expect(transform(mask: m, shape: [2, 2], spatialNdim: 4), SEMSEG_ERR_SHAPE, "mask")
        expect(transform(mask: m, shape: [4, 0], spatialNdim: 1), SEMSEG_ERR_SHAPE, "mask")
        expect(transform(mask: m, shape: [-4], spatialNdim: 1), SEMSEG_ERR_SHAPE, "mask")
        expect(transform(mask: m, shape: [Int64.max, 4], spatialNdim: 1), SEMSEG_ERR_SHAPE, "mask")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, outLen: 3), SEMSEG_ERR_SHAPE, "out")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, sampling: [1, 2]), SEMSEG_ERR_SHAPE, "sampling")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, sampling: [-1]), SEMSEG_ERR_VALUE, "sampling")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, sampling: [.nan]), SEMSEG_ERR_VALUE, "sampling")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, sampling: nil, nSampling: 1), SEMSEG_ERR_VALUE, "sampling")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, sampling: [-1], convention: SEMSEG_SDF_SYMMETRIC),
               SEMSEG_ERR_VALUE, "sampling")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, convention: 7), SEMSEG_ERR_OPTION, "convention")
        expect(transform(mask: m, shape: [4], spatialNdim: 1, convention: 0, degenerate: 5), SEMSEG_ERR_OPTION, "degenerate")
    }

    @Test("surface metrics: names, output shape, values and errors")
    func surfaceMetrics() {
        #expect(semseg_surface_metric_count() == 3)
        #expect(String(cString: semseg_surface_metric_name(0)!) == "hausdorff_distance")
        #expect(semseg_surface_metric_name(3) == nil && semseg_surface_metric_name(-1) == nil)
        let x: [Double] = [0, 1, 1, 0, 0, 0, 0, 0], g: [Double] = [0, 1, 1, 1, 1, 1, 0, 0]
        let shape: [Int64] = [1, 1, 1, 8]
        func call(_ name: String?, _ options: [(String, Double)], spacing: [Double]? = nil, values: Bool = false,
                  nullValue: Bool = false) -> (semseg_status_t, Double, [Double], String) {
            var value = -1.0
            var out = [Double](repeating: -1, count: 1)
            var err = [CChar](repeating: 0, count: 256)
            let names = options.map { strdup($0.0) }
            defer { names.forEach { free($0) } }
            let opts = zip(names, options).map { semseg_option_t(name: UnsafePointer($0.0), value: $0.1.1) }
            let status: semseg_status_t = x.withUnsafeBytes { xb in
                g.withUnsafeBytes { gb in
                    shape.withUnsafeBufferPointer { sb in
                        var xt = semseg_tensor_t(data: xb.baseAddress, shape: sb.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT64)
                        var gt = semseg_tensor_t(data: gb.baseAddress, shape: sb.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT64)
                        return opts.withUnsafeBufferPointer { ob in
                            (spacing ?? []).withUnsafeBufferPointer { spb in
                                out.withUnsafeMutableBufferPointer { vb in
                                    err.withUnsafeMutableBufferPointer { eb in
                                        withUnsafeMutablePointer(to: &value) { vp in
                                            semseg_surface_metric(
                                                name, ob.baseAddress, Int64(ob.count), &xt, &gt,
                                                spacing == nil ? nil : spb.baseAddress, Int32(spacing?.count ?? 0),
                                                nullValue ? nil : vp, values ? vb.baseAddress : nil, values ? 1 : 0,
                                                eb.baseAddress, 256)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return (status, value, out, text(err))
        }
        let hd = call("hausdorff_distance", [])
        #expect(hd.0 == SEMSEG_OK && hd.1 == 3)
        #expect(call("hausdorff_distance", [], spacing: [1, 0.5]).1 == 1.5)
        let none = call("normalized_surface_dice", [("tolerance", 1), ("reduction", Double(SEMSEG_REDUCTION_NONE))], values: true)
        #expect(none.0 == SEMSEG_OK && abs(none.2[0] - 5.0 / 7) < 1e-15)
        #expect(call(nil, []).0 == SEMSEG_ERR_VALUE)
        #expect(call("hd", []).0 == SEMSEG_ERR_OPTION)
        #expect(call("hausdorff_distance", [], nullValue: true).0 == SEMSEG_ERR_NULL_POINTER)
        #expect(call("hausdorff_distance", [], spacing: [1]).3.hasPrefix("spacing"))
        #expect(call("hausdorff_distance", [("percentile", 150)]).3.hasPrefix("percentile"))
        #expect(call("hausdorff_distance", [("empty_both", 9)]).0 == SEMSEG_ERR_OPTION)
        #expect(call("hausdorff_distance", [("reduction", Double(SEMSEG_REDUCTION_NONE))], values: false).0 == SEMSEG_OK)
    }
}
