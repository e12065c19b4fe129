"""Option values from the input audit: NumPy booleans where numbers are expected, integers
beyond the float range, lists for scalar options, spacing / sampling that are strings,
empty or nested, and unhashable values for string choices. Each is a TypeError or
ValueError naming the option (never an OverflowError naming nothing, nor a silent reading
of True as 1 or of '2' as 2.0); the forms that are valid keep working."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss

BIG = 10 ** 400  # beyond the float range: float(BIG) is an OverflowError


def raises(exc, fn, *args, names=(), absent=(), **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    for name in names:
        assert name in msg, f"{name!r} not in message {msg!r}"
    for text in absent:
        assert text not in msg, f"{text!r} in message {msg!r}"
    return msg


def binary(shape=(2, 1, 6, 6), seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), (rng.random(shape) > 0.5).astype(np.float64)


def multiclass(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 3, 6, 6)), rng.integers(0, 3, (2, 6, 6))


def probabilities():
    x, t = binary()
    return 1 / (1 + np.exp(-x)), t


# ------------------------------------------------------------------ NumPy booleans

NUMERIC_OPTIONS = [
    ("cross_entropy_loss", "ignore_index", multiclass, dict(mode="multiclass")),
    ("focal_loss", "gamma", binary, {}),
    ("dice_loss", "smooth_nr", binary, {}),
    ("top_k_ce_loss", "k", multiclass, dict(mode="multiclass")),
    ("tversky_loss", "alpha", binary, {}),
]


@pytest.mark.parametrize("name,option,data,extra", NUMERIC_OPTIONS, ids=[f"{n}-{o}" for n, o, _, _ in NUMERIC_OPTIONS])
@pytest.mark.parametrize("value", [np.False_, np.True_, False, np.array(True)], ids=["np.False_", "np.True_", "False", "0-d"])
def test_numeric_loss_options_refuse_numpy_booleans(name, option, data, extra, value):
    """``ignore_index=np.False_`` used to ignore class 0, ``gamma=np.True_`` to run with 1."""
    x, t = data()
    raises(TypeError, getattr(ss, name), x, t, names=[option], **extra, **{option: value})
    raises(TypeError, getattr(ss, ss.LOSS_CLASSES[name].__name__)(**extra, **{option: value}), x, t, names=[option])


def test_numeric_options_refuse_numpy_booleans_on_every_path():
    x, t = binary()
    p, _ = probabilities()
    raises(TypeError, ss.metrics.iou, p, t, ignore_index=np.False_, names=["ignore_index"])
    raises(TypeError, ss.metrics.f_beta, p, t, beta=np.True_, names=["beta"])
    raises(TypeError, ss.metrics.hausdorff_distance, p, t, percentile=np.True_, names=["percentile"])
    raises(TypeError, ss.deep_supervision_loss, [x], t, loss="focal", gamma=np.True_, names=["gamma"])
    raises(TypeError, ss.masked_loss, x, t, np.ones_like(x), smooth_nr=np.True_, names=["smooth_nr"])
    model = ss.UNet(base_channels=2, depth=1, threads=1)
    raises(TypeError, ss.Trainer, model, loss="focal", loss_options={"gamma": np.True_}, names=["gamma"])


def test_boolean_options_take_numpy_booleans():
    x, t = binary((2, 2, 6, 6))
    for option in ("include_background", "batch", "squared_pred"):
        for value in (True, False):
            assert ss.dice_loss(x, t, mode="multilabel", **{option: np.bool_(value)}) == \
                ss.dice_loss(x, t, mode="multilabel", **{option: value})
    assert ss.focal_loss(x, t, mode="multilabel", normalized=np.True_) == \
        ss.focal_loss(x, t, mode="multilabel", normalized=True)
    value, grad = ss.dice_loss(x, t, mode="multilabel", return_grad=np.True_)
    np.testing.assert_array_equal(grad, ss.dice_loss(x, t, mode="multilabel", return_grad=True)[1])
    assert ss.dice_loss(x, t, mode="multilabel", return_grad=np.False_) == value
    assert len(ss.deep_supervision_loss([x], t, mode="multilabel", return_grad=np.True_)[1]) == 1
    assert ss.metrics.iou(x > 0, t, mode="multilabel", batch=np.True_) == \
        ss.metrics.iou(x > 0, t, mode="multilabel", batch=True)


# ------------------------------------------------------------------ integers beyond the float range

@pytest.mark.parametrize("big", [BIG, -BIG], ids=["big", "-big"])
def test_integers_beyond_the_float_range_name_the_argument(big):
    x, t = binary()
    p, _ = probabilities()
    xm, tm = multiclass()
    m = t[0, 0] > 0
    cases = [
        (ss.focal_loss, (x, t), dict(gamma=big), "gamma"),
        (ss.dice_loss, (x, t), dict(smooth_nr=big), "smooth_nr"),
        (ss.dice_loss, (x, t), dict(weight=[big]), "weight"),
        (ss.generalized_wasserstein_dice_loss, (xm, tm), dict(dist_matrix=big), "dist_matrix"),
        (ss.generalized_wasserstein_dice_loss, (xm, tm), dict(dist_matrix=[[0, big, 1], [1, 0, 1], [1, 1, 0]]),
         "dist_matrix"),
        (ss.metrics.iou, (p, t), dict(threshold=big), "threshold"),
        (ss.metrics.hausdorff_distance, (p, t), dict(spacing=big), "spacing"),
        (ss.metrics.average_surface_distance, (p, t), dict(spacing=[1.0, big]), "spacing"),
        (ss.metrics.hausdorff_distance, (p, t), dict(empty=(big, "nan")), "empty"),
        (ss.distance_transform_edt, (m,), dict(sampling=big), "sampling"),
        (ss.signed_distance, (m,), dict(sampling=[big, 1]), "sampling"),
    ]
    for fn, args, kwargs, name in cases:
        msg = raises(ValueError, fn, *args, names=[name], **kwargs)
        assert "range" in msg or "finite" in msg, msg


# ------------------------------------------------------------------ lists for scalar options

def test_a_list_for_a_scalar_option_says_a_number_is_expected():
    """It used to say that the option does not exist while listing it as accepted."""
    xm, tm = multiclass()
    x, t = binary()
    p, _ = probabilities()
    for fn, args, kwargs, name in [(ss.top_k_ce_loss, (xm, tm), dict(mode="multiclass", k=[10.0]), "k"),
                                   (ss.unified_focal_loss, (x, t), dict(weight=[0.5]), "weight"),
                                   (ss.focal_loss, (x, t), dict(gamma=(2.0,)), "gamma"),
                                   (ss.metrics.iou, (p, t), dict(threshold=np.array([0.5])), "threshold")]:
        raises(TypeError, fn, *args, names=[f"{name}: expected a number"], absent=["not an option"], **kwargs)


def test_sequence_options_still_take_sequences():
    x, t = binary((2, 1, 8, 8))
    assert ss.dice_loss(x, t, weight=[2.0]) == pytest.approx(2 * ss.dice_loss(x, t), rel=1e-12)
    assert ss.dice_loss(x, t, weight=np.array([2.0])) == ss.dice_loss(x, t, weight=(2.0,))
    spaced = ss.boundary_loss(x, t, spacing=[2.0, 3.0])
    assert spaced != ss.boundary_loss(x, t) and spaced == ss.boundary_loss(x, t, spacing=np.array([2.0, 3.0]))
    xm, tm = multiclass()
    matrix = [[0.0, 1.0, 1.0], [1.0, 0.0, 0.5], [1.0, 0.5, 0.0]]
    assert ss.generalized_wasserstein_dice_loss(xm, tm, dist_matrix=matrix) == \
        ss.generalized_wasserstein_dice_loss(xm, tm, dist_matrix=np.array(matrix))


# ------------------------------------------------------------------ spacing and sampling

SURFACE = [ss.metrics.hausdorff_distance, ss.metrics.average_surface_distance,
           lambda p, t, **kw: ss.metrics.normalized_surface_dice(p, t, tolerance=1.0, **kw)]


@pytest.mark.parametrize("fn", SURFACE, ids=["hausdorff", "assd", "nsd"])
def test_surface_metric_spacing_is_validated(fn):
    p, t = probabilities()
    raises(ValueError, fn, p, t, spacing=[], names=["spacing"])
    raises(TypeError, fn, p, t, spacing="2", names=["spacing"])
    raises(TypeError, fn, p, t, spacing=b"2", names=["spacing"])
    raises(TypeError, fn, p, t, spacing=[2.0, True], names=["spacing"])
    raises(TypeError, fn, p, t, spacing=[2.0, "2"], names=["spacing"])
    raises(ValueError, fn, p, t, spacing=[[2.0], [2.0]], names=["spacing", "flat"])
    want = fn(p, t, spacing=[2.0, 2.0])
    assert want != fn(p, t)
    for same in (2.0, 2, (2, 2), np.array([2.0, 2.0]), np.float32(2.0)):
        assert fn(p, t, spacing=same) == want


@pytest.mark.parametrize("fn", [ss.distance_transform_edt, ss.signed_distance], ids=["edt", "signed"])
def test_sampling_is_validated(fn):
    m = np.zeros((6, 7), bool)
    m[1:5, 2:6] = True
    raises(TypeError, fn, m, sampling="1", names=["sampling"])
    raises(TypeError, fn, m, sampling=[1, True], names=["sampling"])
    raises(TypeError, fn, m, sampling=[1j, 1], names=["sampling"])
    raises(ValueError, fn, m, sampling=[], names=["sampling"])
    msg = raises(ValueError, fn, m, sampling=[[1, 1]], names=["sampling", "flat"])
    assert "got 2" not in msg  # was "needs one value per spatial axis (2), got 2"
    np.testing.assert_array_equal(fn(m, sampling=2), fn(m, sampling=[2.0, 2.0]))
    np.testing.assert_array_equal(fn(m, sampling=(1, 2)), fn(m, sampling=np.array([1.0, 2.0])))


# ------------------------------------------------------------------ string choices

def test_unhashable_choices_name_the_argument_and_the_choices():
    """``value in dict`` with a list raised "unhashable type: 'list'"."""
    m = np.zeros((5, 5), bool)
    m[1:3, 1:3] = True
    raises(ValueError, ss.signed_distance, m, convention=[], names=["convention", "'symmetric'", "'two_sided'"])
    raises(ValueError, ss.signed_distance, m, degenerate={}, names=["degenerate", "'zero'", "'inf'"])
    np.testing.assert_array_equal(ss.signed_distance(m, convention="symmetric"),
                                  ss.distance_transform_edt(~m) - ss.distance_transform_edt(m))
