import CSemSegLoss
import SemSegLossC
import Testing

extension TrainingABITests {
    /// Model creation, NULL handles and outputs, handles of the other kind, and the
    /// lifetime of a trainer's model handle.
    @Suite("handles: creation, NULL pointers, kinds and lifetimes")
    struct HandleTests {
        @Test("default architecture has 1,940,817 parameters")
        func defaultModel() {
            var model: OpaquePointer?
            #expect(semseg_unet_create(1, 1, 16, 4, 0, 0, 1, &model, nil, 0) == SEMSEG_OK)
            defer { semseg_unet_destroy(model) }
            var info = semseg_unet_info_t()
            #expect(semseg_unet_info(model, &info, nil, 0) == SEMSEG_OK)
            #expect(info.parameter_count == 1_940_817 && info.base_channels == 16 && info.depth == 4 && info.threads == 1)
        }

        @Test("NULL handles and outputs give SEMSEG_ERR_NULL_POINTER")
        func nullHandles() {
            let (x, y) = squares(2, seed: 1)
            var model: OpaquePointer?, trainer: OpaquePointer?
            var info = semseg_unet_info_t(), tinfo = semseg_trainer_info_t(), scores = semseg_scores_t()
            var loss = 0.0, n: Int64 = 0, stop: Int32 = 0
            var out = [Float](repeating: 0, count: 512)
            let nullStatus = SEMSEG_ERR_NULL_POINTER
            #expect(semseg_unet_create(1, 1, 2, 2, 0, 0, 1, nil, nil, 0) == nullStatus)
            #expect(semseg_unet_info(nil, &info, nil, 0) == nullStatus)
            #expect(semseg_unet_predict(nil, x.descriptor, 0, 0.5, 4, &out, 512, nil, 0) == nullStatus)
            #expect(semseg_unet_get_parameters(nil, &out, 1, nil, 0) == nullStatus)
            #expect(semseg_unet_set_parameters(nil, &out, 1, nil, 0) == nullStatus)
            #expect(semseg_unet_save(nil, "/tmp/x", nil, 0) == nullStatus)
            #expect(semseg_unet_load(nil, 0, &model, nil, 0) == nullStatus)
            #expect(semseg_trainer_create(nil, "dice_loss", nil, 0, 1e-3, 4, 0, 0, 0.5, &trainer, nil, 0) == nullStatus)
            #expect(semseg_trainer_model(nil, &model, nil, 0) == nullStatus)
            #expect(semseg_trainer_info(nil, &tinfo, nil, 0) == nullStatus)
            #expect(semseg_trainer_train_epoch(nil, x.descriptor, y.descriptor, &loss, nil, 0) == nullStatus)
            #expect(semseg_trainer_begin_epoch(nil, x.descriptor, y.descriptor, &n, nil, 0) == nullStatus)
            #expect(semseg_trainer_train_batches(nil, x.descriptor, y.descriptor, 1, nil, nil, nil, 0) == nullStatus)
            #expect(semseg_trainer_end_epoch(nil, nil, nil, -1, 1, 0, nil, nil, nil, nil, 0) == nullStatus)
            #expect(semseg_trainer_abort_epoch(nil, nil, 0) == nullStatus)
            #expect(semseg_trainer_should_stop(nil, 1, 1, &stop, nil, 0) == nullStatus)
            #expect(semseg_trainer_evaluate(nil, x.descriptor, y.descriptor, 0, &scores, nil, 0) == nullStatus)
            #expect(semseg_trainer_history(nil, nil, 0, &n, nil, 0) == nullStatus)
            #expect(semseg_trainer_save(nil, "/tmp/x", nil, 0) == nullStatus)
            #expect(semseg_trainer_load(nil, "dice_loss", nil, 0, 0, &trainer, nil, 0) == nullStatus)
            semseg_unet_destroy(nil)
            semseg_trainer_destroy(nil)

            let m = makeModel()
            defer { semseg_unet_destroy(m) }
            let t = makeTrainer(m).trainer
            defer { semseg_trainer_destroy(t) }
            let r = withError { semseg_unet_info(m, nil, $0, $1) }
            #expect(r.status == nullStatus && r.message == "info: must not be NULL")
            #expect(semseg_trainer_train_epoch(t, x.descriptor, y.descriptor, nil, nil, 0) == nullStatus)
            #expect(semseg_trainer_evaluate(t, x.descriptor, y.descriptor, 0, nil, nil, 0) == nullStatus)
            #expect(semseg_trainer_history(t, nil, 0, nil, nil, 0) == nullStatus)
            // NULL tensors and NULL data are reported, not dereferenced
            #expect(semseg_trainer_train_epoch(t, nil, y.descriptor, &loss, nil, 0) == SEMSEG_ERR_VALUE)
            let noData = HostTensor([0], shape: [1, 1, 16, 16], nullData: true)
            withExtendedLifetime(noData) {
                #expect(semseg_trainer_train_epoch(t, x.descriptor, noData.descriptor, &loss, nil, 0) == SEMSEG_ERR_VALUE)
            }
            #expect(semseg_trainer_history(t, nil, 3, &n, nil, 0) == SEMSEG_ERR_VALUE)
        }

        @Test("a handle of the other kind is rejected")
        func handleKinds() {
            let m = makeModel()
            defer { semseg_unet_destroy(m) }
            let t = makeTrainer(m).trainer
            var info = semseg_unet_info_t(), tinfo = semseg_trainer_info_t()
            let r = withError { semseg_unet_info(t, &info, $0, $1) }
            #expect(r.status == SEMSEG_ERR_VALUE && r.message.contains("not a U-Net handle"))
            #expect(semseg_trainer_info(m, &tinfo, nil, 0) == SEMSEG_ERR_VALUE)
            semseg_unet_destroy(t)  // wrong kind: ignored, the trainer stays valid
            #expect(semseg_trainer_info(t, &tinfo, nil, 0) == SEMSEG_OK)
            // the model handle of a trainer outlives the trainer
            var shared: OpaquePointer?
            #expect(semseg_trainer_model(t, &shared, nil, 0) == SEMSEG_OK)
            semseg_trainer_destroy(t)
            #expect(semseg_unet_info(shared, &info, nil, 0) == SEMSEG_OK && info.parameter_count > 0)
            #expect(parameters(shared) == parameters(m))
            semseg_unet_destroy(shared)
        }
    }
}
