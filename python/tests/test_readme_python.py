"""The README's Python examples are code that is run: every ```python block of README.md is
read at test time and executed, plain code statement by statement in README order (blocks
that use an earlier block's names share its namespace) and ``>>>`` transcripts line by line,
each output or exception compared with the one README prints. What a block's comments
promise (a shape, a dtype, a value, "0 outside the mask") is checked on what the statement
returned. Names README leaves to the reader (``x``, ``images``, ``roi``, ``masks``...) are
small arrays made here; the training and study blocks run with fewer epochs and a smaller
U-Net through the substitutions below, each of which must still find its text in README.
A README edit that breaks an example or changes a shown output, or an API change that the
README does not follow, fails here, naming the README line."""
import ast
import contextlib
import re
from typing import Any, Dict

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import optional_module
from readme_examples import (BLOCKS, Block, check_exchange, readme_block, readme_blocks, run_code,
                             run_transcript, step_of, substituted)
from semsegloss_swift import datasets


#: Substitutions that make the training and study blocks fast (README's numbers are a real
#: run's). Each must occur exactly once in its block: a README edit that removes one fails
#: instead of silently running the slow version.
FAST = {
    "unet": [("base_channels=16, depth=4", "base_channels=4, depth=2"), ("epochs=50", "epochs=2")],
    "loss_schedule": [("range(50)", "range(2)")],
    "multiclass_unet": [("ss.UNet(out_channels=3)", "ss.UNet(out_channels=3, base_channels=4, depth=2)"),
                        ("epochs=50", "epochs=1")],
    "study": [("size=128", "size=32"), ("epochs=30", "epochs=1, base_channels=4, depth=2, batch_size=4")],
}

SIZE = 32  # side of the images made here for names README leaves to the reader


# ----------------------------------------------------------------------------- data README leaves to the reader

@contextlib.contextmanager
def numpy_seeded(seed: int = 0):
    """README's blocks draw from NumPy's global generator: seeded here, restored afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def phantom(n: int, seed: int):
    """(images, masks) of n chest X-ray phantoms, (n, 1, SIZE, SIZE) each, masks 0/1."""
    return datasets.chest_xray_phantom(n, size=SIZE, seed=seed)


def three_class_labels(masks: np.ndarray) -> np.ndarray:
    """(N, H, W) int64 label map: 0 background, 1 the left and 2 the right lung field, a
    border row of 255 (the ignore index of the multiclass examples)."""
    labels = masks[:, 0].astype(np.int64)
    labels[:, :, SIZE // 2:] *= 2
    labels[:, :1] = 255
    return labels


@pytest.fixture(scope="module")
def quickstart():
    """README's first block, run once: (namespace, steps). Later blocks use its names."""
    ns: Dict[str, Any] = {}
    with numpy_seeded():
        steps = run_code(readme_block("quickstart"), ns)
    return ns, steps


# ----------------------------------------------------------------------------- tests

def test_readme_python_blocks_are_the_ones_tested():
    blocks = readme_blocks()
    assert len(blocks) == 12, "README's ```python blocks changed: update BLOCKS and the tests"
    for name, (index, first_line) in BLOCKS.items():
        assert blocks[index].text.startswith(first_line), \
            f"block #{index} (README line {blocks[index].line}) should be the {name} block"


def test_quickstart_runs_with_the_types_shapes_and_metrics_its_comments_give(quickstart):
    ns, steps = quickstart
    logits, target, scores, labels = ns["logits"], ns["target"], ns["scores"], ns["labels"]
    assert isinstance(step_of(steps, "loss = ss.dice_loss(logits, target)", says="a float").bound["loss"], float)
    grad = step_of(steps, "loss, grad = ss.dice_loss(logits, target, return_grad=True)", says="float32").bound["grad"]
    assert grad.dtype == np.float32 and grad.shape == logits.shape
    per_image = step_of(steps, "per_image = ", says="(N, C)").bound["per_image"]
    assert per_image.shape == logits.shape[:2]
    assert isinstance(step_of(steps, "value = crit(logits, target)").bound["value"], float)

    # "mean IoU per image (threshold 0.5)": sigmoid(z) > 0.5 is z > 0
    iou = step_of(steps, "ss.metrics.iou(logits, target", says="mean IoU per image (threshold 0.5)").value
    pred, truth = logits > 0, target > 0.5
    per_image_iou = (pred & truth).sum(axis=(2, 3)) / (pred | truth).sum(axis=(2, 3))
    assert np.isclose(iou, per_image_iou.mean(), rtol=1e-6)
    counts = step_of(steps, "ss.metrics.confusion_counts(", says="(N, C, 4): TP, FP, FN, TN").value
    expected = np.stack([(pred & truth).sum(axis=(2, 3)), (pred & ~truth).sum(axis=(2, 3)),
                         (~pred & truth).sum(axis=(2, 3)), (~pred & ~truth).sum(axis=(2, 3))], axis=-1)
    assert counts.shape == (16, 1, 4) and np.array_equal(counts, expected)

    grad = step_of(steps, "loss, grad = ss.dice_loss(scores, labels", says="d/d(scores)").bound["grad"]
    assert grad.shape == scores.shape and np.all(np.isfinite(grad))
    onehot = ns["onehot"]
    assert onehot.shape == scores.shape and np.array_equal(onehot.argmax(axis=1)[:, 4:], labels[:, 4:])
    per_class = step_of(steps, "ss.metrics.iou(scores, labels", says="(8, 4) IoU per image and class").value
    assert per_class.shape == (8, 4)
    hd95 = step_of(steps, "ss.metrics.hausdorff_distance(scores, labels").value
    assert np.all(np.isfinite(hd95))


def test_bad_input_transcript_raises_the_errors_readme_shows(quickstart):
    ns = dict(quickstart[0])
    ns["masks"] = ns["target"][:, 0]  # README: "logits (N, 1, H, W), masks (N, H, W)"
    # README elides the flat index of the first 255 (its `target` is random)
    exchanges = run_transcript(readme_block("bad_input"), ns)
    assert len(exchanges) == 5
    for ex in exchanges:
        check_exchange(ex)


def test_masked_loss_block_has_zero_gradient_outside_the_mask(quickstart):
    ns = dict(quickstart[0])
    with numpy_seeded(1):
        steps = run_code(readme_block("masks"), ns)
    roi = ns["roi"]
    grad = step_of(steps, "loss, grad = ss.masked_dice_loss(", says="grad is 0 outside the mask").bound["grad"]
    assert grad.shape == ns["logits"].shape
    assert np.all(grad[~roi] == 0) and np.any(grad[roi] != 0)
    assert np.isfinite(step_of(steps, "loss = ss.masked_loss(scores, labels").bound["loss"])
    crit = step_of(steps, "crit = ss.MaskedLoss(", says="crit(input, target, mask)").bound["crit"]
    assert crit(ns["logits"], ns["target"], roi) == ss.masked_loss(ns["logits"], ns["target"], roi,
                                                                     loss="jaccard", batch=True)


def test_deep_supervision_block_gives_each_level_its_weighted_gradient(quickstart):
    ns = dict(quickstart[0])
    with numpy_seeded(2):
        steps = run_code(readme_block("deep_supervision"), ns)
    outs, labels = ns["outs"], ns["labels"]
    grads = step_of(steps, "loss, grads = ss.deep_supervision_loss(", says="grads[l]: w_l * d/d(outs[l])").bound["grads"]
    assert len(grads) == len(outs) == 4
    for level, out in enumerate(outs):
        # default weights "exp": max(0.5^l, 1/16); the target resized by nearest-exact
        # interpolation, which for a factor s picks the pixels s//2, s//2 + s, ...
        s = 2 ** level
        _, alone = ss.dice_ce_loss(out, labels[:, s // 2::s, s // 2::s] if level else labels,
                                   mode="multiclass", ignore_index=255, return_grad=True)
        np.testing.assert_allclose(grads[level], max(0.5 ** level, 1 / 16) * alone, rtol=1e-6, atol=1e-12)
    assert isinstance(ns["crit"], ss.DeepSupervisionLoss)


def test_unet_block_trains_saves_and_resumes_and_the_schedule_block_continues(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # run.ckpt and model.bin
    x, y = phantom(8, seed=0)
    xv, yv = phantom(4, seed=1)
    ns: Dict[str, Any] = {"x": x, "y": y, "xv": xv, "yv": yv}
    steps = run_code(substituted(readme_block("unet"), FAST["unet"]), ns)
    history = step_of(steps, "history = trainer.fit(").bound["history"]
    # README, below the block: fit "returns per-epoch loss, val_loss, val_iou, val_dice, val_accuracy, time"
    assert {"loss", "val_loss", "val_iou", "val_dice", "val_accuracy", "time"} <= set(history)
    assert len(history["loss"]) == 2 and np.all(np.isfinite(history["val_iou"]))
    masks = step_of(steps, "masks = model.predict(xv, output=\"mask\"").bound["masks"]
    assert masks.shape == yv.shape and set(np.unique(masks)) <= {0, 1}
    resumed = step_of(steps, "trainer = ss.Trainer.load(\"run.ckpt\"", says="resumes bitwise where it stopped")
    trainer = resumed.bound["trainer"]
    assert trainer.epoch == 2 and trainer.history["loss"] == history["loss"]
    model = ns["model"]  # reloaded from model.bin by the last line
    assert (tmp_path / "run.ckpt").is_file() and (tmp_path / "model.bin").is_file()
    assert np.array_equal(model.predict(xv, output="mask", threshold=0.5), masks)
    assert np.array_equal(trainer.model.predict(xv, output="logits"), model.predict(xv, output="logits"))

    steps = run_code(substituted(readme_block("loss_schedule"), FAST["loss_schedule"]), ns)
    trainer = ns["trainer"]
    assert trainer.loss_options == {"lambda_boundary": 0.01 * 2}
    assert trainer.epoch == 2 and len(trainer.history["loss"]) == 2  # history kept over fit calls


def test_blas_kernels_transcript_has_readme_keys():
    (ex,) = run_transcript(readme_block("blas_kernels"), {"ss": ss})
    assert ex.error is None, f"README.md line {ex.line}: {ex.error!r}"
    # README shows the kernels of its machine ("a 2-vCPU AMD EPYC"); other CPUs have other
    # kernels, so only the keys and the kinds of values are compared.
    shown = ast.literal_eval(ex.shown)
    assert list(ex.value) == list(shown)
    assert isinstance(ex.value["core"], str) and ex.value["core"]
    for key in shown:
        assert ex.value[key] is None or isinstance(ex.value[key], str), (key, ex.value[key])


def test_multiclass_unet_block_trains_on_label_maps_and_predicts_softmax(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    images, masks = phantom(8, seed=0)
    val_images, val_masks = phantom(4, seed=1)
    test_images, _ = phantom(3, seed=2)
    ns: Dict[str, Any] = {"ss": ss, "images": images, "labels": three_class_labels(masks),
                          "val_images": val_images, "val_labels": three_class_labels(val_masks),
                          "test_images": test_images}
    steps = run_code(substituted(readme_block("multiclass_unet"), FAST["multiclass_unet"]), ns)
    history = step_of(steps, "trainer.fit(images, labels", says="labels: (N, H, W)").value
    assert len(history["loss"]) == 1 and np.isfinite(history["val_iou"][0])
    probabilities = step_of(steps, "probabilities = model.predict(", says="(N, 3, H, W)").bound["probabilities"]
    assert probabilities.shape == (3, 3, SIZE, SIZE)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    classes = step_of(steps, "classes = probabilities.argmax(axis=1)", says="(N, H, W)").bound["classes"]
    assert classes.shape == (3, SIZE, SIZE)


def test_study_block_runs_on_arrays_and_writes_its_report(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the study's default out="study-out" lands in tmp_path
    images, masks = phantom(12, seed=0)
    # README's comment: images (N, H, W) floats in [0, 1] kept; masks (N, H, W) bool
    ns: Dict[str, Any] = {"images": images[:, 0], "masks": masks[:, 0] > 0.5}
    run_code(substituted(readme_block("study"), FAST["study"]), ns)
    printed = capsys.readouterr().out
    for loss in ns["cfg"].losses:
        assert re.search(rf"\| {loss}( †)? \|", printed), (loss, printed)
    assert (tmp_path / "study-out" / "results.md").read_text(encoding="utf-8") in printed
    assert (tmp_path / "study-out" / "results.csv").is_file()


def test_empty_target_transcript_shows_the_values_readme_prints():
    exchanges = run_transcript(readme_block("empty_targets"), {"np": np, "ss": ss})
    assert [ex.rounded for ex in exchanges] == [False, True, False]
    for ex in exchanges:
        check_exchange(ex)


def test_presets_block_gives_the_values_its_comments_show(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ns: Dict[str, Any] = {}
    steps = run_code(readme_block("presets"), ns)
    options = step_of(steps, 'ss.presets.preset_options("smp", "dice_loss")', says="{")
    assert options.value == ast.literal_eval(re.search(r"\{.*\}", options.comment).group(0))
    assert isinstance(step_of(steps, "tversky = ", says="a TverskyLoss object").bound["tversky"], ss.TverskyLoss)
    value = step_of(steps, "tversky(p, g)", says="tversky_loss(g, p): ")
    digits = re.search(r"tversky_loss\(g, p\): (\d+\.\d+)\.\.\.", value.comment).group(1)
    assert repr(value.value).startswith(digits), (value.value, digits)
    monai = step_of(steps, 'ss.presets.preset("monai", "dice_loss"', says="DiceLoss(softmax=True)").value
    assert isinstance(monai, ss.DiceLoss) and "mode='multiclass'" in repr(monai) and "from_logits=True" in repr(monai)
    assert capsys.readouterr().out.strip() == ss.presets.presets_of("monai")["jaccard_loss"].notes.strip()
    trainer = step_of(steps, "trainer = ss.Trainer(model, loss=ss.presets", says="loss objects train too").bound["trainer"]
    x, y = phantom(2, seed=0)
    history = trainer.fit(x, y, epochs=1, verbose=False)
    assert np.isfinite(history["loss"][0])


def test_torch_block_runs_and_backward_gives_the_analytic_gradient():
    torch = optional_module("torch")
    torch.manual_seed(0)
    n, classes = 4, 3
    labels = torch.randint(0, classes, (n, SIZE, SIZE))
    # README: "scores (N, C, H, W), labels (N, H, W) long"; `logits`, `target`, `roi`:
    # one-channel binary tensors as in the NumPy examples (roi: voxel weights)
    ns: Dict[str, Any] = {
        "scores": torch.randn(n, classes, SIZE, SIZE, requires_grad=True),
        "labels": labels,
        "logits": torch.randn(n, 1, SIZE, SIZE, requires_grad=True),
        "target": (torch.rand(n, 1, SIZE, SIZE) > 0.7).float(),
        "roi": torch.rand(n, 1, SIZE, SIZE) > 0.2,
    }
    steps = run_code(readme_block("torch"), ns)
    scores, logits = ns["scores"], ns["logits"]
    step_of(steps, "loss.backward()", says="scores.grad: the analytic gradient")
    _, analytic = ss.dice_ce_loss(scores.detach().numpy(), labels.numpy(), mode="multiclass", return_grad=True)
    np.testing.assert_allclose(scores.grad.numpy(), analytic, rtol=1e-6, atol=1e-12)
    masked = step_of(steps, "sst.DiceLoss()(logits, target, mask=roi)").value
    expected = ss.masked_loss(logits.detach().numpy(), ns["target"].numpy(), ns["roi"].numpy(), loss="dice")
    assert abs(masked.item() - expected) < 1e-6
    per_entry = step_of(steps, "per_entry = ", says="(N, C), differentiable too").bound["per_entry"]
    assert tuple(per_entry.shape) == tuple(logits.shape[:2]) and per_entry.requires_grad


def test_transcript_checks_catch_a_changed_output_or_message():
    def fails(transcript: str, ns: Dict[str, Any]) -> bool:
        try:
            for ex in run_transcript(Block(1, transcript), ns):
                check_exchange(ex)
        except AssertionError:
            return True
        return False

    ns = {"np": np, "ss": ss}
    assert not fails(">>> round(0.123456, 4)\n0.1235\n", ns)
    assert fails(">>> round(0.123456, 4)\n0.1234\n", ns)                  # other value
    assert not fails(">>> 0.123456\n0.1235   # (rounded)\n", ns)
    assert fails(">>> 0.123456\n0.1233   # (rounded)\n", ns)              # beyond the printed digits
    assert fails(">>> 1 + 1\n", ns)                                       # output README does not show
    assert not fails(">>> int('x')\nValueError: invalid literal for int() with base 10: ...\n", ns)
    assert fails(">>> int('x')\nValueError: invalid literal for float() (...)\n", ns)  # other message
    assert fails(">>> int('x')\nTypeError: invalid literal for int() with base 10: ...\n", ns)  # other type
    assert fails(">>> int('1')\nValueError: invalid literal ...\n", ns)     # no exception
