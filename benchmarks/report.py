"""Markdown tables of the benchmark results in benchmarks/results/*.json, for README.

    python benchmarks/report.py                      # every table on stdout
    python benchmarks/report.py --write README.md    # refresh the generated blocks of README
    python benchmarks/report.py --check README.md    # exit 1 if README's blocks are stale

README's speed tables are not typed by hand: each sits between two markers,
``<!-- report:NAME -->`` and ``<!-- /report:NAME -->``, and this script rewrites what lies
between them from the JSON that the benchmark scripts wrote (``--json``). A test
(python/tests/test_benchmark_report.py) runs ``--check``, so README cannot quote numbers
that the committed results do not contain. After a benchmark run: ``--write README.md``.

Blocks: ``numpy`` and ``catalogue``, ``wrappers`` (bench_losses.py), ``torch``
(bench_torch.py), ``distance`` (bench_distance.py), ``training`` (bench_training.py),
``lovasz`` (bench_lovasz_sizes.py, results in lovasz_sizes.json).
The catalogue's category column comes from README's losses table (the "Category" column),
so a loss is categorised in one place.
"""
import argparse
import difflib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
README = os.path.join(ROOT, "README.md")

#: Ratios to Dice above this are printed in bold (issue 3's bound for pixel-wise and
#: region losses).
DICE_BOUND = 3.0


def ms(x):
    """A time in ms with three significant digits (0.359, 3.86, 42.1, 338)."""
    if x is None:
        return "—"
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    if x >= 1:
        return "%.2f" % x
    return "%.3f" % x


def ratio(x, bold_above=None, suffix=""):
    """A ratio with two decimals below 10, one above; bold when above `bold_above`."""
    if x is None:
        return "—"
    text = ("%.2f" if x < 10 else "%.1f") % x + suffix
    return "**%s**" % text if bold_above is not None and x > bold_above else text


def table(header, rows, align):
    """A Markdown table; `align` holds "l" or "r" per column."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def load(name, results=RESULTS):
    path = os.path.join(results, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def categories(readme_text):
    """Python name -> category, from README's losses table (a row may name several losses)."""
    found = {}
    in_table = False
    for line in readme_text.splitlines():
        if line.startswith("| Python name | Swift type | Category |"):
            in_table = True
            continue
        if in_table and not line.startswith("|"):
            break
        if in_table and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            for name in re.findall(r"`([a-z0-9_]+)`", cells[0]):
                found[name] = cells[2]
    if not found:
        raise ValueError("README.md has no losses table with a 'Category' column")
    return found


def numpy_block(losses):
    rows = []
    for r in losses["rows"]:
        if "swift_ms" not in r:
            continue
        peer = "—"
        for key, label in (("torch", "torch"), ("monai", "MONAI")):
            if key + "_ms" in r:
                peer = "%s %s ms (%s)" % (label, ms(r[key + "_ms"]), ratio(r["speedup_vs_" + key], suffix="×"))
        rows.append(["`%s`" % r["loss"], ms(r["swift_ms"]), ms(r["numpy_ms"]),
                     ratio(r["speedup_vs_numpy"], suffix="×"), peer])
    head = ("Forward + backward, float32 %s, median of %d calls; %s, numpy %s."
            % ("×".join(map(str, losses["shape"])), losses["repeat"], losses["machine"], losses["numpy"]))
    return head + "\n\n" + table(["loss", "ours ms", "NumPy ms", "vs NumPy", "peer in the same run"],
                                 rows, "lrrrl")


def catalogue_block(losses, category_of):
    rows = []
    for r in losses["catalogue"]:
        name = r["loss"]
        if name not in category_of:
            raise ValueError("%s is not in README's losses table" % name)
        rows.append(["`%s`" % name, category_of[name],
                     ms(r.get("binary_ms")), ratio(r.get("binary_vs_dice"), DICE_BOUND),
                     ms(r.get("multiclass_ms")), ratio(r.get("multiclass_vs_dice"), DICE_BOUND),
                     ms(r.get("numpy_ms")), ratio(r.get("speedup_vs_numpy"), suffix="×")])
    return table(["loss", "category", "binary ms", "/ Dice", "multiclass ms", "/ Dice",
                  "NumPy ms", "vs NumPy"], rows, "llrrrrrr")


def wrappers_block(losses):
    rows = [[r["call"], ms(r["ms"]), ratio(r["vs_dice"])] for r in losses.get("wrappers", [])]
    return table(["call (binary batch unless named)", "ms", "/ Dice"], rows, "lrr")


def lovasz_block(lovasz):
    rows = [["%d×%d" % (r["size"], r["size"]), str(r["images"]), ms(r["hinge_ms"]),
             "%.2f" % r["hinge_ns_per_voxel"], "%.2f" % r["softmax_ns_per_voxel"], "%.2f" % r["dice_ns_per_voxel"],
             ratio(r["hinge_vs_dice"]), ms(r["numpy_hinge_ms"]), ratio(r["hinge_speedup_vs_numpy"], suffix="×")]
            for r in lovasz["rows"]]
    head = ("Forward + backward, float32, %d voxels per batch in images of each size, median of %d calls; "
            "%s, numpy %s." % (lovasz["voxels"], lovasz["repeat"], lovasz["machine"], lovasz["numpy"]))
    return head + "\n\n" + table(["image", "batch", "hinge ms", "hinge ns/voxel",
                                  "Lovász-softmax (per image) ns/voxel", "Dice ns/voxel", "hinge / Dice",
                                  "NumPy hinge ms", "hinge vs NumPy"], rows, "lrrrrrrrr")


def torch_block(torch):
    rows = [[r["peer"], r["mode"], r["shape"].replace("x", "×"), ms(r["peer_ms"]), ms(r["ours_ms"]),
             ratio(r["speedup"], suffix="×"), ms(r["numpy_api_ms"])] for r in torch["rows"]]
    versions = ", ".join("%s %s" % kv for kv in torch["versions"].items())
    head = ("Forward + backward, median of %d calls, the two sides interleaved; %s, torch with %d "
            "threads; %s." % (torch["repeat"], torch["machine"], torch["torch_threads"], versions))
    return head + "\n\n" + table(["peer loss", "mode", "input", "peer ms", "`semsegloss_swift.torch` ms",
                                  "speed-up", "NumPy API ms"], rows, "lllrrrr")


def distance_block(distance):
    rows = []
    for r in distance["rows"]:
        if "monai_ms" in r:
            baseline, base_ms = "MONAI", r["monai_ms"]
        else:
            baseline = "NumPy + SciPy" if "loss" in r["name"] else "SciPy"
            base_ms = r["scipy_ms"]
        rows.append([r["name"].replace(" vs MONAI", ""), ms(r["swift_ms"]), baseline, ms(base_ms),
                     ratio(r["ratio"], suffix="×")])
    head = "Median of %d calls; %s, %d cores." % (distance["repeat"], distance["machine"], distance["cores"])
    return head + "\n\n" + table(["workload", "ours ms", "baseline", "baseline ms", "speed-up"], rows, "lrlrr")


def training_block(training):
    rows = []
    for r in training["results"]:
        row = ["%d×%d" % (r["size"], r["size"]), str(r["batch"]), str(r["threads"]),
               "%.2f" % r["gflop_per_step"], "%.3f" % r["swift_s"], "%.0f" % r["swift_gflops"]]
        row.append("%.3f" % r["torch_s"] if "torch_s" in r else "—")
        rows.append(row)
    head = "%s, %d cores." % (training["machine"], training["cores"])
    return head + "\n\n" + table(["image", "batch", "threads", "GFLOP/step", "s/step", "GFLOP/s",
                                  "torch s/step"], rows, "lrrrrrr")


def blocks(readme_text, results=RESULTS):
    """NAME -> Markdown of every block whose results exist."""
    out = {}
    losses = load("losses", results)
    if losses is not None:
        out["numpy"] = numpy_block(losses)
        out["catalogue"] = catalogue_block(losses, categories(readme_text))
        out["wrappers"] = wrappers_block(losses)
    for name, render in (("torch", torch_block), ("distance", distance_block), ("training", training_block),
                         ("lovasz", lovasz_block)):
        data = load("lovasz_sizes" if name == "lovasz" else name, results)
        if data is not None:
            out[name] = render(data)
    return out


MARKER = re.compile(r"(<!-- report:([a-z]+) -->\n)(.*?)(<!-- /report:\2 -->)", re.S)


def refresh(readme_text, results=RESULTS):
    """README's text with every generated block rewritten; raises on an unknown block."""
    generated = blocks(readme_text, results)

    def replace(m):
        name = m.group(2)
        if name not in generated:
            raise ValueError("README block %r has no results to render" % name)
        return m.group(1) + generated[name] + "\n" + m.group(4)

    return MARKER.sub(replace, readme_text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="README", help="rewrite the generated blocks of this file")
    group.add_argument("--check", metavar="README", help="exit 1 when this file's blocks are stale")
    args = ap.parse_args(argv)
    path = args.write or args.check
    if path is None:
        with open(README) as f:
            for name, text in blocks(f.read()).items():
                print("<!-- report:%s -->\n%s\n" % (name, text))
        return 0
    with open(path) as f:
        text = f.read()
    if not MARKER.search(text):
        print("%s has no <!-- report:NAME --> blocks" % path, file=sys.stderr)
        return 1
    new = refresh(text)
    if args.write:
        if new != text:
            with open(path, "w") as f:
                f.write(new)
        print("%s: %s" % (path, "updated" if new != text else "up to date"))
        return 0
    if new != text:
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                   path, path + " (from benchmarks/results)"))
        print("%s quotes numbers that benchmarks/results does not hold: "
              "run python benchmarks/report.py --write %s" % (path, path), file=sys.stderr)
        return 1
    print("%s: generated blocks match benchmarks/results" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
