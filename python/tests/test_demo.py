"""The demo of README's set-up section (``semsegloss-swift demo``) runs every loss and
metric on its synthetic batch."""
from __future__ import annotations

import math

import semsegloss_swift as ss
from semsegloss_swift import demo


def test_demo_prints_every_loss_and_metric():
    out = demo.run(batch=2, size=32, seed=1)
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line and line.split()[0] in ss.LOSSES}
    assert set(rows) == set(ss.LOSSES)
    assert all(math.isfinite(float(r[0])) and math.isfinite(float(r[1])) for r in rows.values())
    for name in ss.metrics.METRICS:
        assert any(line.startswith(name + " ") for line in out.splitlines()), name
