import CSemSegLoss
import SemSegLoss
import SemSegLossC
import Testing

/// The C ABI: statuses instead of traps for every kind of bad argument.
@Suite("C ABI")
struct ABITests {
    /// Calls semseg_loss with a float64 (1,1,2,2) batch and the given overrides.
    func callLoss(
        name: String? = "dice_loss", options: [(String, Double)] = [],
        shape: [Int64] = [1, 1, 2, 2], targetShape: [Int64]? = nil, dtype: Int32 = SEMSEG_FLOAT64,
        targetDtype: Int32? = nil, nullInput: Bool = false, nullValue: Bool = false,
        errLen: Int = 256, misaligned: Bool = false
    ) -> (status: semseg_status_t, value: Double, message: String) {
        let x: [Double] = [0.5, -1, 2, 0.3, 0, 0, 0, 0]
        let g: [Double] = [1, 0, 1, 0, 0, 0, 0, 0]
        var value = -1.0
        var err = [CChar](repeating: 0, count: max(errLen, 1))
        let names = options.map { strdup($0.0) }
        defer { names.forEach { free($0) } }
        var opts = zip(names, options).map { semseg_option_t(name: UnsafePointer($0.0), value: $0.1.1) }
        let status: semseg_status_t = x.withUnsafeBytes { xb in
            g.withUnsafeBytes { gb in
                shape.withUnsafeBufferPointer { sb in
                    (targetShape ?? shape).withUnsafeBufferPointer { tsb in
                        var xi = semseg_tensor_t(data: nullInput ? nil : (misaligned ? xb.baseAddress! + 1 : xb.baseAddress),
                                                 shape: sb.baseAddress, ndim: Int32(shape.count), dtype: dtype)
                        var ti = semseg_tensor_t(data: gb.baseAddress, shape: tsb.baseAddress,
                                                 ndim: Int32((targetShape ?? shape).count), dtype: targetDtype ?? dtype)
                        return opts.withUnsafeMutableBufferPointer { ob in
                            err.withUnsafeMutableBufferPointer { eb in
                                withUnsafeMutablePointer(to: &value) { vp in
                                    semseg_loss(name, ob.baseAddress, Int64(ob.count), &xi, &ti, nil,
                                                nullValue ? nil : vp, nil, nil, errLen == 0 ? nil : eb.baseAddress, errLen)
                                }
                            }
                        }
                    }
                }
            }
        }
        let message = errLen == 0 ? "" : text(err)
        return (status, value, message)
    }

    @Test("a valid call succeeds")
    func ok() {
        let r = callLoss()
        #expect(r.status == SEMSEG_OK)
        #expect(r.value > 0 && r.value < 1)
    }

    @Test("version, catalogue names")
    func library() {
        #expect(semseg_abi_version() == SEMSEG_ABI_VERSION)
        #expect(String(cString: semseg_version()) == "0.1.0")
        #expect(semseg_loss_count() == Int32(LossCatalog.names.count))
        #expect(semseg_loss_name(-1) == nil && semseg_loss_name(semseg_loss_count()) == nil)
        #expect(String(cString: semseg_loss_name(0)!) == "bce_loss")
        #expect(semseg_metric_count() == 8)
        #expect(semseg_metric_name(99) == nil)
    }

    @Test("scratch memory: reported within its limit, released")
    func scratch() {
        #expect(semseg_scratch_bytes() >= 0 && semseg_scratch_bytes() <= Int64(ScratchBuffers.shared.retainedBytes))
        semseg_release_scratch()
        // Other suites may run losses concurrently and pool a buffer meanwhile: only the
        // limit is certain after the release.
        #expect(semseg_scratch_bytes() <= Int64(ScratchBuffers.shared.retainedBytes))
    }

    @Test("null pointers")
    func nulls() {
        #expect(callLoss(name: nil).status == SEMSEG_ERR_VALUE)
        #expect(callLoss(nullInput: true).status == SEMSEG_ERR_VALUE)
        let r = callLoss(nullValue: true)
        #expect(r.status == SEMSEG_ERR_NULL_POINTER)
        #expect(r.message.hasPrefix("value:"))
        #expect(callLoss(errLen: 0).status == SEMSEG_OK)
        var value = 0.0
        #expect(semseg_loss("dice_loss", nil, 1, nil, nil, nil, &value, nil, nil, nil, 0) == SEMSEG_ERR_VALUE)
        #expect(semseg_loss("dice_loss", nil, -1, nil, nil, nil, &value, nil, nil, nil, 0) == SEMSEG_ERR_VALUE)
        #expect(semseg_loss_output_shape("dice_loss", nil, 0, nil, nil, nil, nil, 0) == SEMSEG_ERR_NULL_POINTER)
        #expect(semseg_confusion_counts(nil, 0, nil, nil, nil, 0, nil, 0) == SEMSEG_ERR_NULL_POINTER)
        #expect(semseg_metric("iou", nil, 0, nil, nil, nil, nil, nil, 0) == SEMSEG_ERR_NULL_POINTER)
    }

    @Test("bad shapes")
    func shapes() {
        #expect(callLoss(shape: [1, 1, 0, 2]).status == SEMSEG_ERR_SHAPE)
        #expect(callLoss(shape: [1, 1, -2, 2]).status == SEMSEG_ERR_SHAPE)
        #expect(callLoss(shape: [4]).status == SEMSEG_ERR_SHAPE)
        #expect(callLoss(shape: [Int64.max, Int64.max, 2, 2]).status == SEMSEG_ERR_SHAPE)
        #expect(callLoss(shape: [1, 1, 2, 2, 1, 1, 1, 1, 1]).status == SEMSEG_ERR_SHAPE)
        #expect(callLoss(targetShape: [1, 1, 4, 1]).status == SEMSEG_ERR_SHAPE)
        #expect(callLoss(shape: [1, 2, 1, 2]).status == SEMSEG_ERR_SHAPE)  // binary with 2 channels
        // Counts that fit Int64 but whose bytes do not (a trap in the kernels' work arrays
        // before the check on bytes, found by an ABI audit on 2026-12-06).
        let r = callLoss(shape: [Int64.max, 1, 1, 1])
        #expect(r.status == SEMSEG_ERR_SHAPE && r.message.contains("bytes"))
    }

    @Test("unknown names, options and codes")
    func options() {
        #expect(callLoss(name: "nope").status == SEMSEG_ERR_OPTION)
        let r = callLoss(options: [("smoth_nr", 1)])
        #expect(r.status == SEMSEG_ERR_OPTION)
        #expect(r.message.contains("smoth_nr"))
        #expect(callLoss(options: [("mode", 9)]).status == SEMSEG_ERR_OPTION)
        #expect(callLoss(options: [("smooth_nr", .nan)]).status == SEMSEG_ERR_VALUE)
        #expect(callLoss(options: [("smooth_nr", -.infinity)]).status == SEMSEG_ERR_VALUE)
        // A list index of Int64.max overflowed when the list's length was counted (a trap).
        for index in ["9223372036854775807", "1048576", "-1", "x"] {
            #expect(callLoss(name: "generalized_dice_loss", options: [("weight." + index, 1)]).status == SEMSEG_ERR_OPTION, "\(index)")
        }
    }

    @Test("dtypes and alignment")
    func dtypes() {
        #expect(callLoss(dtype: 42).status == SEMSEG_ERR_DTYPE)
        #expect(callLoss(dtype: SEMSEG_INT64).status == SEMSEG_ERR_DTYPE)
        #expect(callLoss(targetDtype: SEMSEG_FLOAT32).status == SEMSEG_ERR_DTYPE)
        #expect(callLoss(misaligned: true).status == SEMSEG_ERR_VALUE)
    }

    @Test("error message is truncated on a character boundary and NUL-terminated", arguments: [1, 2, 5, 17, 40])
    func truncation(_ len: Int) {
        let r = callLoss(name: "nope", errLen: len)
        #expect(r.status == SEMSEG_ERR_OPTION)
        #expect(r.message.utf8.count <= len - 1)
    }

    @Test("output shape and confusion counts")
    func shapesAndCounts() {
        var shape: [Int64] = [2, 3, 4, 5]
        var out = [Int64](repeating: 0, count: 8)
        var ndim: Int32 = -1
        let names = [strdup("mode"), strdup("reduction")]
        defer { names.forEach { free($0) } }
        var opts = [semseg_option_t(name: names[0], value: 1), semseg_option_t(name: names[1], value: 2)]
        var x = [Float](repeating: 0.5, count: 120), g = [Float](repeating: 1, count: 120)
        let status = shape.withUnsafeMutableBufferPointer { sb in
            x.withUnsafeMutableBytes { xb in
                var t = semseg_tensor_t(data: xb.baseAddress, shape: sb.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT32)
                return semseg_loss_output_shape("dice_loss", &opts, 2, &t, &out, &ndim, nil, 0)
            }
        }
        #expect(status == SEMSEG_OK && ndim == 2 && out[0] == 2 && out[1] == 3)
        var counts = [Int64](repeating: -1, count: 24)
        let countStatus = shape.withUnsafeMutableBufferPointer { sb in
            x.withUnsafeMutableBytes { xb in
                g.withUnsafeMutableBytes { gb in
                    var xi = semseg_tensor_t(data: xb.baseAddress, shape: sb.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT32)
                    var ti = semseg_tensor_t(data: gb.baseAddress, shape: sb.baseAddress, ndim: 4, dtype: SEMSEG_FLOAT32)
                    let bad = semseg_confusion_counts(&opts, 1, &xi, &ti, &counts, 23, nil, 0)
                    #expect(bad == SEMSEG_ERR_SHAPE)
                    return semseg_confusion_counts(&opts, 1, &xi, &ti, &counts, 24, nil, 0)
                }
            }
        }
        #expect(countStatus == SEMSEG_OK)
        #expect(counts[0] == 20 && counts[1] == 0 && counts[2] == 0 && counts[3] == 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
