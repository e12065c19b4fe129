"""The U-Net from Python: parameter count (against an independent count), seeded
initialisation, predictions, parameter round trip, and concurrent calls on one model."""
from __future__ import annotations

import threading

import numpy as np

import semsegloss_swift as ss
from training_data import TINY, disks


def unet_parameter_count(in_c=1, out_c=1, w=16, depth=4):
    """Independent count: two 3x3 convs per level, transposed 2x2 convs, 1x1 head."""
    conv = lambda cin, cout, k: cout * cin * k * k + cout  # noqa: E731
    n, cin = 0, in_c
    for level in range(depth + 1):
        n += conv(cin, w << level, 3) + conv(w << level, w << level, 3)
        cin = w << level
    for level in range(depth - 1, -1, -1):
        n += (w << (level + 1)) * (w << level) * 4 + (w << level)
        n += conv(2 * (w << level), w << level, 3) + conv(w << level, w << level, 3)
    return n + conv(w, out_c, 1)


# ------------------------------------------------------------------ model

def test_default_parameter_count():
    assert ss.UNet().num_parameters == 1_940_817 == unet_parameter_count()
    m = ss.UNet(in_channels=3, out_channels=2, base_channels=4, depth=2)
    assert m.num_parameters == unet_parameter_count(3, 2, 4, 2) == m.get_parameters().size
    assert (m.in_channels, m.out_channels, m.base_channels, m.depth, m.batch_norm) == (3, 2, 4, 2, False)
    assert "1,940,817" in repr(ss.UNet())


def test_initialisation_is_seeded():
    a, b, c = ss.UNet(seed=3, **TINY), ss.UNet(seed=3, **TINY), ss.UNet(seed=4, **TINY)
    assert np.array_equal(a.get_parameters(), b.get_parameters())
    assert not np.array_equal(a.get_parameters(), c.get_parameters())
    # PyTorch default bounds: |w| <= 1/sqrt(fan_in) for the first conv (fan_in = 9)
    assert np.abs(a.get_parameters()[:36]).max() <= 1 / 3 + 1e-7


def test_predict_outputs():
    x, _ = disks(5, seed=1)
    m = ss.UNet(seed=2, **TINY)
    logits = m.predict(x, output="logits")
    probs = m.predict(x)
    assert logits.shape == probs.shape == (5, 1, 16, 16) and probs.dtype == np.float32
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-logits.astype(np.float64))), rtol=1e-6, atol=1e-7)
    mask = m.predict(x, output="mask", threshold=0.3)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert np.array_equal(mask, (1 / (1 + np.exp(-logits.astype(np.float64))) > 0.3).astype(np.float32))
    # batching changes results only by float rounding; dtype conversion not at all
    np.testing.assert_allclose(m.predict(x, batch_size=2, output="logits"), logits, rtol=1e-5, atol=1e-6)
    assert np.array_equal(m.predict(x.astype(np.float64), output="logits"), logits)
    assert np.array_equal(m.predict(x.tolist(), output="logits"), logits)
    two = ss.UNet(out_channels=2, seed=2, **TINY).predict(x, output="softmax")
    np.testing.assert_allclose(two.sum(axis=1), 1, rtol=1e-6)


def test_parameters_round_trip():
    a, b = ss.UNet(seed=1, **TINY), ss.UNet(seed=2, **TINY)
    b.set_parameters(a.get_parameters())
    x, _ = disks(2)
    assert np.array_equal(a.predict(x), b.predict(x))


# ------------------------------------------------------------------ threads

def test_concurrent_calls_on_one_model():
    x, y = disks(8, seed=12)
    m = ss.UNet(**TINY)
    t = ss.Trainer(m, batch_size=4)
    expected = m.predict(x)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(m.predict(x))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and all(np.array_equal(r, expected) for r in results)
    # training and predicting from two threads is serialised, not corrupted
    runner = threading.Thread(target=lambda: t.fit(x, y, epochs=2, verbose=False))
    runner.start()
    while runner.is_alive():
        assert m.predict(x).shape == x.shape
    runner.join()
    assert t.epoch == 2
