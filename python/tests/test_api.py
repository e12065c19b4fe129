"""The public names of DESIGN.md §2: LOSSES, the CamelCase classes, the metrics module,
__version__, and the doctests of the package modules."""
from __future__ import annotations

import doctest
import inspect
import re
import sys

import numpy as np
import pytest

import semsegloss_swift as ss
import semsegloss_swift.losses
import semsegloss_swift.metrics
import semsegloss_swift.datasets
import semsegloss_swift.training
import semsegloss_swift._custom_data
import semsegloss_swift.study
from conftest import ALL_LOSSES, DISTANCE_LOSSES, LOVASZ_LOSSES, METRIC_NAMES, SURFACE_METRIC_NAMES

CLASS_NAMES = {
    "bce_loss": "BCELoss", "focal_loss": "FocalLoss", "dice_loss": "DiceLoss",
    "jaccard_loss": "JaccardLoss", "tversky_loss": "TverskyLoss",
    "focal_tversky_loss": "FocalTverskyLoss", "dice_bce_loss": "DiceBCELoss",
}
COMMON_OPTIONS = {"mode", "from_logits", "reduction", "ignore_index", "include_background"}
REGION_OPTIONS = {"smooth_nr", "smooth_dr", "batch", "empty"}


def test_losses_maps_the_seven_names_to_functions():
    families = {f.__name__ for m in (ss.losses_distribution, ss.losses_region, ss.losses_lovasz,
                                     ss.losses_compound, ss.losses_distance) for f in m.FAMILY_LOSSES}
    assert set(ss.LOSSES) == set(ALL_LOSSES) | families
    assert set(DISTANCE_LOSSES) == {f.__name__ for f in ss.losses_distance.FAMILY_LOSSES}
    for name, fn in ss.LOSSES.items():
        assert callable(fn) and fn.__name__ == name
        assert getattr(ss, name) is fn
        assert getattr(ss.losses, name) is fn
        assert getattr(sys.modules[fn.__module__], name) is fn  # the module that defines it


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_function_signature(name):
    sig = inspect.signature(ss.LOSSES[name])
    params = list(sig.parameters.values())
    assert [p.name for p in params[:2]] == ["input", "target"]
    keyword = {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert COMMON_OPTIONS <= keyword
    assert {"return_grad", "grad_output"} <= keyword
    if name not in ("bce_loss", "focal_loss"):
        assert REGION_OPTIONS <= keyword
    assert sig.parameters["from_logits"].default is True
    assert sig.parameters["reduction"].default == "mean"
    assert sig.parameters["ignore_index"].default is None
    assert sig.parameters["include_background"].default is True
    assert ss.LOSSES[name].__doc__ and "{common}" not in ss.LOSSES[name].__doc__


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_class_exists_and_is_registered(name):
    cls = getattr(ss, CLASS_NAMES[name])
    assert inspect.isclass(cls) and issubclass(cls, ss.Loss)
    assert cls.__name__ == CLASS_NAMES[name]
    assert ss.LOSS_CLASSES[name] is cls
    assert CLASS_NAMES[name] in ss.__all__ and name in ss.__all__


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("options", [{}, {"mode": "multilabel", "reduction": "sum"},
                                     {"mode": "multilabel", "from_logits": False, "ignore_index": 255}])
def test_class_call_equals_function(name, options):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.05, 0.95, (2, 1 if not options else 2, 3, 4))
    g = (rng.random(x.shape) < 0.5).astype(np.float64)
    if "ignore_index" in options:
        g[0, 0, 0] = 255
    fn = ss.LOSSES[name]
    obj = ss.LOSS_CLASSES[name](**options)
    assert obj(x, g) == fn(x, g, **options)
    a, ga = obj(x, g, return_grad=True)
    b, gb = fn(x, g, return_grad=True, **options)
    assert a == b
    np.testing.assert_array_equal(ga, gb)
    assert obj.options == options
    assert repr(obj).startswith(CLASS_NAMES[name] + "(")


@pytest.mark.parametrize("name", [n for n in ALL_LOSSES if n != "dice_bce_loss"])
def test_class_accepts_grad_output_at_call(name):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 1, 3, 3))
    g = (rng.random(x.shape) < 0.5).astype(np.float64)
    obj = ss.LOSS_CLASSES[name](reduction="none")
    values = obj(x, g)
    w = rng.normal(size=values.shape)
    a, ga = obj(x, g, return_grad=True, grad_output=w)
    b, gb = ss.LOSSES[name](x, g, reduction="none", return_grad=True, grad_output=w)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ga, gb)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_class_rejects_unknown_options(name):
    cls = ss.LOSS_CLASSES[name]
    with pytest.raises(TypeError, match="smoothing"):
        cls(smoothing=1.0)
    with pytest.raises(TypeError):
        cls(return_grad=True)  # a call option, not a loss option
    with pytest.raises(TypeError):
        cls(0.5)  # options are keyword-only


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_class_option_names_match_function(name):
    cls = ss.LOSS_CLASSES[name]
    sig = inspect.signature(ss.LOSSES[name])
    keyword = [p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY
               and p.name not in ("return_grad", "grad_output")]
    assert cls.option_names() == keyword
    assert cls.__doc__ and name in cls.__doc__


def test_class_validates_values_on_call():
    obj = ss.DiceLoss(smooth_nr=-1.0)  # accepted at construction, checked by the library
    with pytest.raises(ValueError, match="smooth_nr"):
        obj(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2)))


def test_metrics_module_functions():
    for name in METRIC_NAMES + ("confusion_counts",):
        fn = getattr(ss.metrics, name)
        assert callable(fn) and fn.__name__ == name and fn.__doc__
        assert name in ss.metrics.__all__
    assert set(ss.metrics.METRICS) == set(METRIC_NAMES) | set(SURFACE_METRIC_NAMES)
    sig = inspect.signature(ss.metrics.iou)
    for option, default in [("threshold", 0.5), ("from_logits", False), ("mode", "binary"),
                            ("ignore_index", None), ("reduction", "mean"), ("empty", "nan"),
                            ("batch", False), ("include_background", True)]:
        assert sig.parameters[option].default == default, option
    assert inspect.signature(ss.metrics.f_beta).parameters["beta"].default == 1.0


def test_version():
    assert isinstance(ss.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+([.\-+].*)?", ss.__version__)


@pytest.mark.parametrize("module", [ss, ss.losses, ss.losses_distribution, ss.losses_region,
                                    ss.losses_generalized_dice, ss.losses_cldice, ss.losses_lovasz,
                                    ss.losses_compound, ss.losses_unified_focal, ss.losses_hybrid,
                                    ss.losses_distance, ss.metrics, ss.metrics_surface, ss.deep_supervision, ss.masked, ss.presets,
                                    ss.training, ss.unet, ss.datasets, ss._openblas_core, ss._custom_data,
                                    ss.study],
                         ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest failures in {module.__name__}"
    assert result.attempted > 0


def test_doctests_of_loss_classes():
    """The classes reuse the function docstrings; their examples must run too."""
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for cls in ss.LOSS_CLASSES.values():
        for test in finder.find(cls, cls.__name__, globs={}):
            runner.run(test)
    assert runner.failures == 0


def test_scratch_memory_is_kept_and_released():
    """A large Lovász call leaves its sort buffers in the scratch pool; releasing empties
    it, and the next call computes the same result."""
    rng = np.random.default_rng(5)
    x = rng.normal(0, 2, (2, 1, 300, 300)).astype(np.float32)
    g = (rng.random(x.shape) < 0.3).astype(np.float32)
    ss.release_scratch_memory()
    assert ss.scratch_memory_bytes() == 0
    first = ss.lovasz_softmax_loss(x, g, mode="binary", return_grad=True)
    kept = ss.scratch_memory_bytes()
    assert kept >= 2 * x.size * 8  # the two sort buffers of the pooled entry
    assert kept <= 256 << 20
    ss.release_scratch_memory()
    assert ss.scratch_memory_bytes() == 0
    again = ss.lovasz_softmax_loss(x, g, mode="binary", return_grad=True)
    assert again[0] == first[0] and np.array_equal(again[1], first[1])
    assert "release_scratch_memory" in ss.__all__ and "scratch_memory_bytes" in ss.__all__


def test_submodules_load_on_first_use():
    """`ss.datasets`, `ss.study`, `ss.plots`, `ss.demo` and `ss.torch` work after a plain
    `import semsegloss_swift as ss`, and importing the package loads none of them."""
    import subprocess
    import sys
    code = ("import sys, semsegloss_swift as ss\n"
            "lazy = ['datasets', 'study', 'plots', 'demo']\n"
            "assert not any('semsegloss_swift.' + m in sys.modules for m in lazy + ['torch'])\n"
            "assert ss.datasets.chest_xray_phantom and ss.study and ss.plots and ss.demo\n"
            "assert all(m in dir(ss) for m in lazy + ['torch'])\n"
            "try:\n    ss.no_such_thing\nexcept AttributeError as e:\n    assert 'no_such_thing' in str(e)\n"
            "else:\n    raise SystemExit('no AttributeError')\n")
    subprocess.run([sys.executable, "-c", code], check=True)
