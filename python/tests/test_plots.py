"""The study's figures (``semsegloss_swift.plots``), checked on the matplotlib objects (Agg),
not on pixels: one colour per loss and a legend naming each loss once, integer epoch ticks,
NaN metrics drawn as "n/a" without numpy or matplotlib warnings, figures that fit many
losses, and overlays that outline a prediction filling the whole image."""
import json
import os
import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from matplotlib.colors import to_rgba  # noqa: E402

from semsegloss_swift import plots  # noqa: E402
from semsegloss_swift.losses import LOSSES  # noqa: E402


@pytest.fixture
def figures(monkeypatch):
    """The figures the plots close, kept open for inspection (list of Figure)."""
    import matplotlib.pyplot as plt
    kept, close = [], plt.close

    def keep(fig=None):
        kept.append(fig)
    monkeypatch.setattr(plt, "close", keep)
    yield kept
    for fig in kept:
        close(fig)


def write_history(out, loss, seed, history):
    run = out / "runs" / f"{loss}-seed{seed}"
    run.mkdir(parents=True, exist_ok=True)
    (run / "history.json").write_text(json.dumps(history))


def curves(out, losses, seeds, epochs=3):
    rng = np.random.default_rng(0)
    for loss in losses:
        for seed in seeds:
            write_history(out, loss, seed, {"loss": list(np.sort(rng.random(epochs))[::-1] + 0.1),
                                            "val_iou": list(rng.random(epochs))})


def test_learning_curves_keep_one_colour_per_loss_and_name_each_loss_once(tmp_path, figures):
    """With several seeds every loss keeps its colour (seeds differ in line style) and the
    legend names each loss once. Before 2026-12-06 each (loss, seed) curve got its own
    colour and only the first seed's were in the legend: with two losses and two seeds,
    four colours and two legend entries, so two curves could not be told apart."""
    losses, seeds = ["dice_bce", "jaccard", "focal"], [0, 1, 2]
    curves(tmp_path, losses, seeds)
    plots.learning_curves(str(tmp_path), losses, seeds)
    (fig,) = figures
    train, val = fig.axes[:2]
    for ax in (train, val):
        lines = ax.get_lines()
        assert len(lines) == len(losses) * len(seeds)
        by_loss = [lines[i * len(seeds):(i + 1) * len(seeds)] for i in range(len(losses))]
        colours = [{to_rgba(line.get_color())[:3] for line in group} for group in by_loss]
        assert all(len(c) == 1 for c in colours), colours          # one colour per loss
        assert len(set().union(*colours)) == len(losses)           # different losses, different colours
        assert len({line.get_linestyle() for line in by_loss[0]}) == len(seeds)   # seeds: line styles
    (legend,) = fig.legends
    names = [t.get_text() for t in legend.get_texts()]
    assert sorted(names) == sorted(losses)
    legend_colours = {t.get_text(): to_rgba(h.get_color())[:3]
                      for t, h in zip(legend.get_texts(), legend.legend_handles)}
    for i, loss in enumerate(losses):
        assert legend_colours[loss] == to_rgba(val.get_lines()[i * len(seeds)].get_color())[:3]
    seed_names = [t.get_text() for t in train.get_legend().get_texts()]
    assert seed_names == ["seed 0", "seed 1", "seed 2"]


def test_learning_curves_have_integer_epoch_ticks(tmp_path, figures):
    """Epochs are whole numbers; before 2026-12-06 a 3-epoch study had ticks at 1.25, 1.5, ..."""
    curves(tmp_path, ["dice_bce"], [0], epochs=3)
    plots.learning_curves(str(tmp_path), ["dice_bce"], [0])
    (fig,) = figures
    fig.canvas.draw()
    for ax in fig.axes[:2]:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def nan_rows():
    nan = float("nan")
    return [dict(loss="dice_bce", seed=0, iou=nan, dice=nan, accuracy=0.9),
            dict(loss="dice_bce", seed=1, iou=nan, dice=nan, accuracy=0.8),
            dict(loss="jaccard", seed=0, iou=0.5, dice=nan, accuracy=0.7),
            dict(loss="jaccard", seed=1, iou=0.7, dice=0.8, accuracy=0.6)]


def test_nan_metrics_are_drawn_as_n_a_without_warnings(tmp_path, figures):
    """A metric that is NaN for every seed of a loss (e.g. all masks empty) has no bar and is
    labelled "n/a"; the error bars use the defined seeds. Before 2026-12-06 numpy printed
    "RuntimeWarning: Mean of empty slice" and "Degrees of freedom <= 0" to the terminal of
    the study (even with --quiet)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.metric_bars(str(tmp_path), nan_rows(), ["dice_bce", "jaccard"])
    (fig,) = figures
    iou, dice, accuracy = fig.axes[:3]
    assert len(iou.patches) == 1 and [t.get_text().strip() for t in iou.texts] == ["n/a"]
    assert iou.texts[0].get_position()[1] == 0                     # at dice_bce, the first loss
    assert len(dice.patches) == 1 and [t.get_text().strip() for t in dice.texts] == ["n/a"]
    assert dice.patches[0].get_width() == pytest.approx(0.8)       # jaccard: the one defined seed
    assert len(accuracy.patches) == 2 and not accuracy.texts
    assert sorted(p.get_width() for p in accuracy.patches) == pytest.approx([0.65, 0.85])


def test_every_figure_fits_every_loss_of_the_catalogue_without_warnings(tmp_path, figures):
    """With the whole catalogue (~50 losses, long names) no layout warning escapes; before
    2026-12-06 matplotlib printed "UserWarning: Tight layout not applied" for the bar chart
    of 47 losses. Also an empty test mask, an all-NaN metric and NaN validation IoUs."""
    losses = sorted(LOSSES)
    seeds = [0, 1]
    curves(tmp_path, losses, seeds, epochs=2)
    write_history(tmp_path, losses[0], 0, {"loss": [0.5, 0.4], "val_iou": [float("nan")] * 2})
    rows = [dict(loss=loss, seed=s, iou=float("nan") if k == 0 else 0.5 + 0.01 * s, dice=0.6, accuracy=0.9)
            for k, loss in enumerate(losses) for s in seeds]
    x = np.random.default_rng(0).random((2, 1, 32, 32)).astype(np.float32)
    y = np.zeros_like(x)
    y[1, 0, 8:20, 8:20] = 1
    for loss in losses:
        run = tmp_path / "runs" / f"{loss}-seed0"
        np.save(run / "test_prob_sample.npy", np.full((2, 1, 32, 32), 0.9, np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = plots.make_all(type("Cfg", (), dict(out=str(tmp_path), losses=losses, seeds=seeds, classes=1)),
                               rows, [None, None, (x, y)])
    assert [os.path.basename(p) for p in paths] == [
        "learning_curves.png", "test_metrics.png", "overlays.png", "overlays-seed1.png"]
    for fig in figures:   # every axes (tick labels, title) and legend inside its figure
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        box = fig.bbox
        for artist in fig.axes + fig.legends:
            extent = artist.get_tightbbox(renderer)
            assert (box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1 and box.y0 - 1 <= extent.y0
                    and extent.y1 <= box.y1 + 1), (artist, extent, box)


def test_learning_curves_of_losses_that_reach_zero_or_below(tmp_path, figures):
    """A loss history with values <= 0 is drawn on a linear scale; before 2026-12-06 the
    log scale of the training-loss panel could not show it."""
    write_history(tmp_path, "a", 0, {"loss": [0.0, -0.5, -0.7], "val_iou": [0.1, 0.2, 0.3]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.learning_curves(str(tmp_path), ["a"], [0])
    assert figures[0].axes[0].get_yscale() == "linear"


def red_segments(ax):
    """Vertices of the red contour lines of `ax`."""
    points = []
    for c in ax.collections:
        colours = np.atleast_2d(c.get_edgecolor())
        if len(colours) and np.allclose(colours[0][:3], to_rgba("red")[:3]):
            for path in c.get_paths():
                points.append(path.vertices)
    return np.concatenate(points) if points else np.zeros((0, 2))


def test_overlays_outline_a_prediction_that_fills_the_image(tmp_path, figures):
    """A prediction of foreground everywhere is outlined along the image edge (and tinted). Before
    2026-12-06 it drew no red contour at all, which looked like "predicted nothing"."""
    x = np.random.default_rng(1).random((1, 1, 32, 32)).astype(np.float32)
    y = np.zeros_like(x)
    y[0, 0, 8:20, 8:20] = 1
    run = tmp_path / "runs" / "dice_bce-seed0"
    run.mkdir(parents=True)
    np.save(run / "test_prob_sample.npy", np.full((1, 1, 32, 32), 0.99, np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.overlays(str(tmp_path), ["dice_bce"], 0, x, y, count=1)
    (fig,) = figures
    ax = fig.axes[1]
    points = red_segments(ax)
    assert len(points), "no red outline of the prediction"
    assert points[:, 0].min() == pytest.approx(-0.5) and points[:, 0].max() == pytest.approx(31.5)
    assert points[:, 1].min() == pytest.approx(-0.5) and points[:, 1].max() == pytest.approx(31.5)
    assert ax.get_xlim() == pytest.approx((-0.5, 31.5))
    assert len(ax.images) == 2                                     # the image and the red tint
    assert "seed 0" in fig.get_suptitle()
