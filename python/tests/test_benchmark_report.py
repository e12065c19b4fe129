"""README's speed tables are rendered from benchmarks/results/*.json by benchmarks/report.py:
README may not quote numbers that the committed results do not hold, and every loss the
benchmark times has a category in README's losses table."""
from __future__ import annotations

import importlib.util
import json

import pytest

import semsegloss_swift as ss
from conftest import REPO_ROOT

REPORT_PATH = REPO_ROOT / "benchmarks" / "report.py"
README_PATH = REPO_ROOT / "README.md"


def load_report():
    spec = importlib.util.spec_from_file_location("benchmark_report", REPORT_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report():
    return load_report()


@pytest.fixture(scope="module")
def readme():
    return README_PATH.read_text()


def test_readme_tables_match_the_committed_results(report, readme):
    assert report.refresh(readme) == readme, \
        "README's speed tables are stale: run python benchmarks/report.py --write README.md"


def test_readme_has_every_block(report, readme):
    names = {m.group(2) for m in report.MARKER.finditer(readme)}
    assert names == {"numpy", "catalogue", "wrappers", "torch", "distance", "training", "lovasz"}


def test_every_catalogue_loss_has_a_category(report, readme):
    category = report.categories(readme)
    missing = sorted(set(ss.LOSSES) - set(category))
    assert not missing, f"not in README's losses table: {missing}"


def test_catalogue_table_bolds_ratios_above_three_and_uses_row_numpy_times(report, tmp_path):
    losses = {"shape": [2, 1, 8, 8], "repeat": 3, "machine": "test CPU, 2 cores", "numpy": "0",
              "rows": [{"loss": "dice_loss", "swift_ms": 0.5, "numpy_ms": 5.0, "speedup_vs_numpy": 10.0,
                        "monai_ms": 1.5, "speedup_vs_monai": 3.0}],
              "catalogue": [{"loss": "dice_loss", "binary_ms": 0.5, "binary_vs_dice": 1.0,
                             "multiclass_ms": 0.75, "multiclass_vs_dice": 1.0},
                            {"loss": "lovasz_hinge_loss", "binary_ms": 4.0, "binary_vs_dice": 3.01,
                             "numpy_ms": 40.0, "speedup_vs_numpy": 10.0}],
              "wrappers": []}
    (tmp_path / "losses.json").write_text(json.dumps(losses))
    text = ("| Python name | Swift type | Category | Formula |\n|---|---|---|---|\n"
            "| `dice_loss` | `DiceLoss` | region | x |\n| `lovasz_hinge_loss` | `L` | sort | x |\n\n"
            "<!-- report:catalogue -->\nold\n<!-- /report:catalogue -->\n"
            "<!-- report:numpy -->\n<!-- /report:numpy -->\n")
    out = report.refresh(text, results=str(tmp_path))
    assert "| `dice_loss` | region | 0.500 | 1.00 | 0.750 | 1.00 | — | — |" in out
    assert "| `lovasz_hinge_loss` | sort | 4.00 | **3.01** | — | — | 40.0 | 10.0× |" in out
    assert "| `dice_loss` | 0.500 | 5.00 | 10.0× | MONAI 1.50 ms (3.00×) |" in out
    assert "old" not in out


def test_a_block_without_results_is_an_error(report, tmp_path):
    with pytest.raises(ValueError, match="training"):
        report.refresh("<!-- report:training -->\n<!-- /report:training -->\n", results=str(tmp_path))


def test_a_loss_missing_from_the_losses_table_is_an_error(report, tmp_path):
    losses = {"shape": [1], "repeat": 1, "machine": "m", "numpy": "0", "rows": [], "wrappers": [],
              "catalogue": [{"loss": "new_loss", "binary_ms": 1.0, "binary_vs_dice": 1.0}]}
    (tmp_path / "losses.json").write_text(json.dumps(losses))
    text = ("| Python name | Swift type | Category |\n|---|---|---|\n| `dice_loss` | D | region |\n\n"
            "<!-- report:catalogue -->\n<!-- /report:catalogue -->\n")
    with pytest.raises(ValueError, match="new_loss"):
        report.refresh(text, results=str(tmp_path))


def test_lovasz_sizes_block_renders_every_size(report, tmp_path):
    row = {"size": 64, "images": 256, "voxels": 1 << 20, "hinge_items_fraction": 0.69, "hinge_ms": 4.8,
           "softmax_per_image_ms": 7.2, "dice_ms": 0.7, "numpy_hinge_ms": 68.0, "hinge_ns_per_voxel": 4.58,
           "softmax_ns_per_voxel": 6.87, "dice_ns_per_voxel": 0.67, "hinge_vs_dice": 6.86,
           "hinge_speedup_vs_numpy": 14.17}
    data = {"voxels": 1 << 20, "repeat": 3, "machine": "test CPU, 2 cores", "numpy": "0",
            "rows": [row, dict(row, size=512, images=4)]}
    (tmp_path / "lovasz_sizes.json").write_text(json.dumps(data))
    out = report.refresh("<!-- report:lovasz -->\n<!-- /report:lovasz -->\n", results=str(tmp_path))
    assert "| 64×64 | 256 | 4.80 | 4.58 | 6.87 | 0.67 | 6.86 | 68.0 | 14.2× |" in out
    assert "| 512×512 | 4 |" in out
    assert "test CPU, 2 cores" in out


def test_lovasz_sizes_benchmark_runs_and_writes_what_the_block_reads(report, tmp_path):
    spec = importlib.util.spec_from_file_location(
        "bench_lovasz_sizes", REPO_ROOT / "benchmarks" / "bench_lovasz_sizes.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "lovasz_sizes.json"
    bench.main(["--sizes", "8", "16", "--voxels", "512", "--repeat", "1", "--block", "1", "--json", str(out)])
    data = json.loads(out.read_text())
    assert [r["size"] for r in data["rows"]] == [8, 16]
    assert [r["images"] for r in data["rows"]] == [8, 2]
    assert all(r["hinge_ms"] > 0 and 0 < r["hinge_items_fraction"] < 1 for r in data["rows"])
    assert "| 16×16 | 2 |" in report.lovasz_block(data)
