import CSemSegLoss
import SemSegLossC
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension TrainingABITests {
    /// Model and trainer checkpoints: round trip, resume, I/O errors, corrupt files.
    @Suite("checkpoints: save and load")
    struct CheckpointTests {
        @Test("save and load: round trip, resume, I/O errors, corrupt files")
        func checkpoints() {
            let (x, y) = squares(6, seed: 6)
            let m = makeModel()
            defer { semseg_unet_destroy(m) }
            let t = makeTrainer(m).trainer
            defer { semseg_trainer_destroy(t) }
            var loss = 0.0
            #expect(semseg_trainer_train_epoch(t, x.descriptor, y.descriptor, &loss, nil, 0) == SEMSEG_OK)
            let modelPath = tempFile("model.ckpt"), trainerPath = tempFile("trainer.ckpt")
            defer { unlink(modelPath); unlink(trainerPath) }
            #expect(semseg_unet_save(m, modelPath, nil, 0) == SEMSEG_OK)
            #expect(semseg_trainer_save(t, trainerPath, nil, 0) == SEMSEG_OK)

            var loaded: OpaquePointer?
            #expect(semseg_unet_load(modelPath, 1, &loaded, nil, 0) == SEMSEG_OK)
            #expect(parameters(loaded) == parameters(m))
            semseg_unet_destroy(loaded)

            // resume: load + epoch == uninterrupted epoch
            var resumed: OpaquePointer?
            let opts = HostOptions([])
            #expect(semseg_trainer_load(trainerPath, "dice_bce_loss", opts.list, 0, 0, &resumed, nil, 0) == SEMSEG_OK)
            defer { semseg_trainer_destroy(resumed) }
            var loss2 = 0.0
            #expect(semseg_trainer_train_epoch(t, x.descriptor, y.descriptor, &loss, nil, 0) == SEMSEG_OK)
            #expect(semseg_trainer_train_epoch(resumed, x.descriptor, y.descriptor, &loss2, nil, 0) == SEMSEG_OK)
            var rm: OpaquePointer?
            #expect(semseg_trainer_model(resumed, &rm, nil, 0) == SEMSEG_OK)
            #expect(loss == loss2 && parameters(rm) == parameters(m))
            semseg_unet_destroy(rm)

            // unwritable paths
            let dir = withError { semseg_unet_save(m, "/nonexistent-dir/model.ckpt", $0, $1) }
            #expect(dir.status == SEMSEG_ERR_IO && dir.message.hasPrefix("path:"))
            #expect(semseg_trainer_save(t, "/nonexistent-dir/trainer.ckpt", nil, 0) == SEMSEG_ERR_IO)
            #expect(semseg_unet_save(m, "", nil, 0) == SEMSEG_ERR_IO)
            // a path that is not UTF-8 (it used to be read with U+FFFD, naming another file)
            let latin1: [CChar] = Array("/tmp/lat".utf8CString.dropLast()) + [CChar(bitPattern: 0xE9)] + Array(".ckpt".utf8CString)
            let notUTF8 = latin1.withUnsafeBufferPointer { p in withError { semseg_unet_save(m, p.baseAddress, $0, $1) } }
            #expect(notUTF8.status == SEMSEG_ERR_IO && notUTF8.message.contains("UTF-8"))
            #expect(latin1.withUnsafeBufferPointer { p in semseg_trainer_save(t, p.baseAddress, nil, 0) } == SEMSEG_ERR_IO)
            // missing, model-only, corrupt, truncated and foreign files
            var h: OpaquePointer?
            #expect(semseg_unet_load("/nonexistent-dir/model.ckpt", 0, &h, nil, 0) == SEMSEG_ERR_IO)
            #expect(semseg_trainer_load(modelPath, "dice_loss", nil, 0, 0, &h, nil, 0) == SEMSEG_ERR_IO)
            #expect(semseg_trainer_load(trainerPath, "no_such_loss", nil, 0, 0, &h, nil, 0) == SEMSEG_ERR_OPTION)
            #expect(semseg_trainer_load(trainerPath, "dice_loss", nil, 0, -1, &h, nil, 0) == SEMSEG_ERR_VALUE)
            var bytes = readBytes(modelPath)
            #expect(bytes.count > 200)
            bytes[150] ^= 0x5A
            writeBytes(bytes, modelPath)
            let corrupt = withError { semseg_unet_load(modelPath, 0, &h, $0, $1) }
            #expect(corrupt.status == SEMSEG_ERR_IO && corrupt.message.contains("corrupt"), "\(corrupt.message)")
            writeBytes(Array(bytes[0..<40]), modelPath)
            #expect(semseg_unet_load(modelPath, 0, &h, nil, 0) == SEMSEG_ERR_IO)
            writeBytes(Array("not a checkpoint at all, just some text".utf8), modelPath)
            #expect(semseg_unet_load(modelPath, 0, &h, nil, 0) == SEMSEG_ERR_IO)
            writeBytes([], modelPath)
            #expect(semseg_unet_load(modelPath, 0, &h, nil, 0) == SEMSEG_ERR_IO)
            #expect(h == nil)
        }
    }
}

// MARK: - Raw file access (corrupting checkpoints)

func readBytes(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

func writeBytes(_ bytes: [UInt8], _ path: String) {
    guard let f = fopen(path, "wb") else { return }
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
}
