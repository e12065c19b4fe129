"""distance_transform_edt and signed_distance against scipy.ndimage (issue 4)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy import ndimage

import semsegloss_swift as ss

RNG = np.random.default_rng(1234)


def random_mask(shape, density, rng=RNG):
    return rng.random(shape) < density


SHAPES = [(17,), (1, 9), (9, 1), (13, 21), (64, 48), (5, 7, 9), (1, 6, 11), (16, 32, 24)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("density", [0.05, 0.5, 0.97, 0.999])
def test_edt_matches_scipy(shape, density):
    m = random_mask(shape, density)
    if m.all():
        m.flat[0] = False
    np.testing.assert_allclose(ss.distance_transform_edt(m), ndimage.distance_transform_edt(m), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,sampling", [((30, 40), (0.5, 2.0)), ((7, 12, 9), (3.0, 0.7, 1.1)),
                                            ((25,), (0.3,)), ((20, 20), 0.25)], ids=str)
def test_edt_anisotropic_sampling(shape, sampling):
    m = random_mask(shape, 0.8)
    m.flat[3] = False
    np.testing.assert_allclose(ss.distance_transform_edt(m, sampling=sampling),
                               ndimage.distance_transform_edt(m, sampling=sampling), rtol=1e-12, atol=1e-12)


def test_edt_one_pixel_objects_and_holes():
    m = np.zeros((31, 33), bool)
    m[15, 16] = True
    np.testing.assert_array_equal(ss.distance_transform_edt(m), ndimage.distance_transform_edt(m))
    hole = ~m  # a single background voxel: distance to it
    np.testing.assert_allclose(ss.distance_transform_edt(hole), ndimage.distance_transform_edt(hole), atol=1e-12)
    yy, xx = np.mgrid[:31, :33]
    np.testing.assert_allclose(ss.distance_transform_edt(hole), np.hypot(yy - 15, xx - 16), atol=1e-12)


def test_edt_object_touching_border():
    m = np.zeros((20, 30), bool)
    m[:8, :] = True  # touches three borders; the image edge is not background
    m[15:, 25:] = True
    np.testing.assert_allclose(ss.distance_transform_edt(m), ndimage.distance_transform_edt(m), atol=1e-12)
    assert ss.distance_transform_edt(m)[0, 0] == 8.0


def test_edt_empty_and_full():
    np.testing.assert_array_equal(ss.distance_transform_edt(np.zeros((5, 6), bool)), np.zeros((5, 6)))
    full = ss.distance_transform_edt(np.ones((5, 6), bool))
    assert np.isposinf(full).all()  # documented: no false voxel to measure to


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int32, np.int64, np.float32, np.float64])
def test_edt_mask_dtypes(dtype):
    m = random_mask((12, 13), 0.6)
    arr = m.astype(dtype) * (3 if dtype not in (np.bool_,) else 1)
    out = ss.distance_transform_edt(arr)
    assert out.dtype == np.float64 and out.shape == m.shape
    np.testing.assert_allclose(out, ndimage.distance_transform_edt(m), atol=1e-12)
    # lists and non-contiguous arrays
    np.testing.assert_allclose(ss.distance_transform_edt(m.tolist()), out)
    big = random_mask((24, 26), 0.6)
    np.testing.assert_allclose(ss.distance_transform_edt(big[::2, ::2]),
                               ndimage.distance_transform_edt(big[::2, ::2]), atol=1e-12)


@given(st.integers(1, 3).flatmap(lambda d: st.tuples(
    st.lists(st.integers(1, 12), min_size=d, max_size=d), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1),
    st.lists(st.floats(0.2, 4.0), min_size=d, max_size=d))))
def test_edt_property_random(args):
    shape, density, seed, sampling = args
    m = np.random.default_rng(seed).random(shape) < density
    if m.all():
        m.flat[-1] = False
    np.testing.assert_allclose(ss.distance_transform_edt(m, sampling=sampling),
                               ndimage.distance_transform_edt(m, sampling=sampling), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- signed distance

def sdf_oracle(m, sampling=None, convention="boundary_loss"):
    if not m.any() or m.all():
        return np.zeros(m.shape)
    inside = ndimage.distance_transform_edt(m, sampling=sampling)
    outside = ndimage.distance_transform_edt(~m, sampling=sampling)
    if convention == "boundary_loss":  # Kervadec's one_hot2dist
        return outside * ~m - (inside - 1) * m
    if convention == "symmetric":
        return outside - inside
    return outside + inside


@pytest.mark.parametrize("convention", ["boundary_loss", "symmetric", "two_sided"])
@pytest.mark.parametrize("shape,sampling", [((40, 50), None), ((6, 20, 18), (2.0, 1.0, 0.5)), ((33,), None),
                                            ((32, 32), (1.0, 3.0))], ids=str)
def test_signed_distance_matches_oracle(convention, shape, sampling):
    m = random_mask(shape, 0.4)
    got = ss.signed_distance(m, sampling=sampling, convention=convention)
    np.testing.assert_allclose(got, sdf_oracle(m, sampling, convention), rtol=1e-12, atol=1e-12)


def test_signed_distance_degenerate_policies():
    for m in (np.zeros((4, 5), bool), np.ones((4, 5), bool)):
        np.testing.assert_array_equal(ss.signed_distance(m), np.zeros((4, 5)))
    assert np.isposinf(ss.signed_distance(np.zeros((4, 5), bool), degenerate="inf")).all()
    assert np.isneginf(ss.signed_distance(np.ones((4, 5), bool), degenerate="inf")).all()
    assert np.isposinf(ss.signed_distance(np.ones((4, 5), bool), convention="two_sided", degenerate="inf")).all()


def test_signed_distance_one_pixel_and_border():
    m = np.zeros((9, 9), bool)
    m[4, 4] = True
    sd = ss.signed_distance(m)
    assert sd[4, 4] == 0.0 and sd[4, 5] == 1.0 and sd[0, 0] == pytest.approx(np.hypot(4, 4))
    m[:, :3] = True  # touches the border
    np.testing.assert_allclose(ss.signed_distance(m, convention="symmetric"), sdf_oracle(m, None, "symmetric"))


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("fn", [ss.distance_transform_edt, ss.signed_distance], ids=lambda f: f.__name__)
def test_bad_input(fn):
    m = random_mask((6, 7), 0.5)
    with pytest.raises(TypeError, match="mask"):
        fn(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="mask"):
        fn(np.ones((3, 3), dtype=complex))
    with pytest.raises(ValueError, match="mask"):
        fn(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="mask"):
        fn(np.zeros((2, 2, 2, 2), bool))
    with pytest.raises(ValueError, match="mask"):
        fn(np.zeros((0, 3), bool))
    with pytest.raises(ValueError, match="mask"):
        fn(np.bool_(True))
    with pytest.raises(ValueError, match="sampling"):
        fn(m, sampling=(1.0, -1.0))
    with pytest.raises(ValueError, match="sampling"):
        fn(m, sampling=(1.0, 0.0))
    with pytest.raises(ValueError, match="sampling"):
        fn(m, sampling=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="sampling"):
        fn(m, sampling=(1.0, np.nan))
    with pytest.raises(TypeError, match="sampling"):
        fn(m, sampling="wide")


def test_signed_distance_bad_choices():
    m = random_mask((6, 7), 0.5)
    with pytest.raises(ValueError, match="convention"):
        ss.signed_distance(m, convention="kervadec")
    with pytest.raises(ValueError, match="degenerate"):
        ss.signed_distance(m, degenerate="nan")


def test_core_rejects_bad_arguments_without_crashing():
    """The C layer validates on its own (the Python checks are a convenience)."""
    from semsegloss_swift import _core
    m = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match="spatial"):
        _core.distance_transform_edt(m, 4)
    with pytest.raises(ValueError, match="spatial|mask"):
        _core.distance_transform_edt(m, 3)
    with pytest.raises(TypeError, match="mask"):
        _core.distance_transform_edt(m.astype(np.float64), 2)
    with pytest.raises(ValueError, match="sampling"):
        _core.distance_transform_edt(m, 2, [1.0, -2.0])
    with pytest.raises(ValueError, match="convention"):
        _core.signed_distance(m, 2, None, 7, 0)
    # leading axes are independent images
    batch = random_mask((3, 10, 12), 0.7).astype(np.uint8)
    out = _core.distance_transform_edt(batch, 2)
    for b in range(3):
        np.testing.assert_allclose(out[b], ndimage.distance_transform_edt(batch[b]), atol=1e-12)


@pytest.mark.parametrize("shape", [(256, 256), (300, 170), (12, 64, 80)], ids=str)
@pytest.mark.parametrize("noise", [0.0, 0.03, 0.09, 0.3])
def test_noisy_blobs_all_paths(shape, noise):
    """Large objects (envelope), long runs with short distances (budgeted direct search),
    fragmented masks (short runs): EDT, complement and signed maps against SciPy."""
    rng = np.random.default_rng(int(noise * 100) + len(shape))
    grid = np.indices(shape)
    m = np.zeros(shape, bool)
    for _ in range(5):
        centre = [rng.uniform(0, n) for n in shape]
        m |= sum((q - c) ** 2 for q, c in zip(grid, centre)) <= rng.uniform(3, min(shape) / 2.5) ** 2
    m ^= rng.random(shape) < noise
    sampling = (1.0,) * (len(shape) - 1) + (0.8,)
    for mask in (m, ~m):
        np.testing.assert_allclose(ss.distance_transform_edt(mask, sampling=sampling),
                                   ndimage.distance_transform_edt(mask, sampling=sampling), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ss.signed_distance(m, convention="two_sided"), sdf_oracle(m, None, "two_sided"),
                               rtol=1e-12, atol=1e-12)


def test_distance_module_doctests():
    import doctest
    from semsegloss_swift import distance
    result = doctest.testmod(distance, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
    assert np.signbit(ss.signed_distance(np.array([0, 1, 1, 1, 0], bool))).tolist() == [False, False, True, False, False]
