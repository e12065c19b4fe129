import CSemSegLoss
import SemSegLossC
import Testing

extension TrainingABITests {
    /// Bad arguments give statuses (and messages naming them): architectures and
    /// hyper-parameters, loss names and options, data shapes, dtypes and values, predict
    /// and parameter arguments.
    @Suite("bad arguments: settings, losses, data")
    struct ArgumentTests {
        @Test("invalid architectures and hyper-parameters")
        func badSettings() {
            var model: OpaquePointer?
            for (args, name) in [((0, 1, 2, 2), "in_channels"), ((1, 0, 2, 2), "out_channels"), ((1, 1, 0, 2), "base_channels"),
                                 ((1, 1, 2, 0), "depth"), ((1, 1, 2, 11), "depth"), ((1, 1, Int64.max, 2), "base_channels"),
                                 ((-5, 1, 2, 2), "in_channels")] as [((Int64, Int64, Int64, Int64), String)] {
                let r = withError { semseg_unet_create(args.0, args.1, args.2, args.3, 0, 0, 1, &model, $0, $1) }
                #expect(r.status == SEMSEG_ERR_VALUE && r.message.hasPrefix(name), "\(args): \(r.message)")
            }
            #expect(semseg_unet_create(1, 1, 2, 2, 2, 0, 1, &model, nil, 0) == SEMSEG_ERR_VALUE)
            #expect(semseg_unet_create(1, 1, 2, 2, 0, 0, -1, &model, nil, 0) == SEMSEG_ERR_VALUE)
            #expect(semseg_unet_create(1, 1, 2, 2, 0, 0, 1 << 40, &model, nil, 0) == SEMSEG_ERR_VALUE)

            let m = makeModel()
            defer { semseg_unet_destroy(m) }
            for (lr, batch, message) in [(-1.0, 4, "lr"), (.nan, 4, "lr"), (.infinity, 4, "lr"), (1e-3, 0, "batch_size"),
                                         (1e-3, -3, "batch_size"), (1e-3, Int64.max, "batch_size")] as [(Double, Int64, String)] {
                let r = makeTrainer(m, lr: lr, batchSize: batch)
                #expect(r.status == SEMSEG_ERR_VALUE && r.message.hasPrefix(message), "\(r.message)")
                #expect(r.trainer == nil)
            }
            var t: OpaquePointer?
            #expect(semseg_trainer_create(m, "dice_loss", nil, 0, 1e-3, 4, 0, -1, 0.5, &t, nil, 0) == SEMSEG_ERR_VALUE)
            #expect(semseg_trainer_create(m, "dice_loss", nil, 0, 1e-3, 4, 0, 0, 1.5, &t, nil, 0) == SEMSEG_ERR_VALUE)
            #expect(semseg_trainer_create(m, "dice_loss", nil, 0, 1e-3, 4, 0, .nan, 0.5, &t, nil, 0) == SEMSEG_ERR_VALUE)
        }

        @Test("unknown losses and bad loss options")
        func badLosses() {
            let m = makeModel()
            defer { semseg_unet_destroy(m) }
            let unknown = makeTrainer(m, loss: "dice")
            #expect(unknown.status == SEMSEG_ERR_OPTION && unknown.message.contains("dice_bce_loss"))
            #expect(makeTrainer(m, options: [("smoth_nr", 1)]).status == SEMSEG_ERR_OPTION)
            #expect(makeTrainer(m, options: [("reduction", 1)]).status == SEMSEG_ERR_OPTION)
            #expect(makeTrainer(m, options: [("from_logits", 0)]).status == SEMSEG_ERR_OPTION)
            #expect(makeTrainer(m, options: [("mode", 7)]).status == SEMSEG_ERR_OPTION)
            #expect(makeTrainer(m, options: [("smooth_nr", .nan)]).status == SEMSEG_ERR_VALUE)
            #expect(makeTrainer(m, options: [("mode", 1), ("mode", 0)]).status == SEMSEG_ERR_OPTION)
            var t: OpaquePointer?
            #expect(semseg_trainer_create(m, nil, nil, 0, 1e-3, 4, 0, 0, 0.5, &t, nil, 0) == SEMSEG_ERR_VALUE)
            #expect(semseg_trainer_create(m, "dice_loss", nil, 2, 1e-3, 4, 0, 0, 0.5, &t, nil, 0) == SEMSEG_ERR_VALUE)
            // two output channels default to multilabel; binary is refused
            let m2 = makeModel(outChannels: 2)
            defer { semseg_unet_destroy(m2) }
            let ok = makeTrainer(m2, loss: "tversky_loss")
            #expect(ok.status == SEMSEG_OK)
            semseg_trainer_destroy(ok.trainer)
            #expect(makeTrainer(m2, options: [("mode", 0)]).status == SEMSEG_ERR_OPTION)  // names `mode`
        }

        @Test("bad shapes and dtypes of data")
        func badData() {
            let m = makeModel()
            defer { semseg_unet_destroy(m) }
            let t = makeTrainer(m).trainer
            defer { semseg_trainer_destroy(t) }
            let (x, y) = squares(3, seed: 2)
            var loss = 0.0
            func train(_ x: HostTensor, _ y: HostTensor) -> (status: semseg_status_t, message: String) {
                withError { semseg_trainer_train_epoch(t, x.descriptor, y.descriptor, &loss, $0, $1) }
            }
            let v = [Float](repeating: 0.5, count: 3 * 18 * 18)
            let odd = train(HostTensor(v, shape: [3, 1, 18, 18]), HostTensor(v, shape: [3, 1, 18, 18]))
            #expect(odd.status == SEMSEG_ERR_SHAPE && odd.message.contains("divisible by 2^depth = 4"), "\(odd.message)")
            #expect(train(HostTensor(v, shape: [3, 16, 16]), y).status == SEMSEG_ERR_SHAPE)
            #expect(train(x, HostTensor(v, shape: [2, 1, 16, 16])).status == SEMSEG_ERR_SHAPE)
            #expect(train(x, HostTensor(v, shape: [3, 1, 16, 8])).status == SEMSEG_ERR_SHAPE)
            #expect(train(HostTensor(v, shape: [3, 2, 16, 8]), y).status == SEMSEG_ERR_SHAPE)        // in_channels
            #expect(train(x, HostTensor(v + v, shape: [3, 2, 16, 16])).status == SEMSEG_ERR_SHAPE)  // out_channels
            #expect(train(HostTensor(v, shape: [3, 1, 0, 16]), y).status == SEMSEG_ERR_SHAPE)
            #expect(train(HostTensor(v, shape: [3, 1, -16, 16]), y).status == SEMSEG_ERR_SHAPE)
            #expect(train(HostTensor(v, shape: [Int64.max, Int64.max, 16, 16]), y).status == SEMSEG_ERR_SHAPE)
            #expect(train(HostTensor(v, shape: [3, 1, 16, 16], dtype: SEMSEG_FLOAT64), y).status == SEMSEG_ERR_DTYPE)
            #expect(train(x, HostTensor(v, shape: [3, 1, 16, 16], dtype: SEMSEG_INT64)).status == SEMSEG_ERR_DTYPE)
            // non-finite images and targets outside [0, 1]
            var bad = v
            bad[300] = .nan
            let nan = train(HostTensor(bad, shape: [3, 1, 16, 16]), y)
            #expect(nan.status == SEMSEG_ERR_VALUE && nan.message.hasPrefix("x:"))
            let outside = train(x, HostTensor(v.map { $0 * 3 }, shape: [3, 1, 16, 16]))
            #expect(outside.status == SEMSEG_ERR_VALUE && outside.message.hasPrefix("y:"), "\(outside.message)")
            // predict
            var out = [Float](repeating: 0, count: 3 * 256)
            #expect(semseg_unet_predict(m, x.descriptor, 9, 0.5, 4, &out, 768, nil, 0) == SEMSEG_ERR_OPTION)
            #expect(semseg_unet_predict(m, x.descriptor, SEMSEG_PREDICT_MASK, 2, 4, &out, 768, nil, 0) == SEMSEG_ERR_VALUE)
            #expect(semseg_unet_predict(m, x.descriptor, 0, 0.5, 0, &out, 768, nil, 0) == SEMSEG_ERR_VALUE)
            #expect(semseg_unet_predict(m, x.descriptor, 0, 0.5, 4, &out, 767, nil, 0) == SEMSEG_ERR_SHAPE)
            let badX = HostTensor(bad, shape: [3, 1, 16, 16])
            withExtendedLifetime(badX) {
                #expect(semseg_unet_predict(m, badX.descriptor, 0, 0.5, 4, &out, 768, nil, 0) == SEMSEG_ERR_VALUE)
            }
            #expect(semseg_unet_predict(m, x.descriptor, SEMSEG_PREDICT_MASK, 0.5, 2, &out, 768, nil, 0) == SEMSEG_OK)
            #expect(out.allSatisfy { $0 == 0 || $0 == 1 })
            // parameters
            var p = parameters(m)
            #expect(semseg_unet_set_parameters(m, p, Int64(p.count) - 1, nil, 0) == SEMSEG_ERR_SHAPE)
            p[5] = .infinity
            #expect(semseg_unet_set_parameters(m, p, Int64(p.count), nil, 0) == SEMSEG_ERR_VALUE)
        }
    }
}
