"""Device-clock → host-clock mapping: wrap-around, jitter, drift."""

from __future__ import annotations

import numpy as np

from biofeedback.devices.clock_map import WRAP, ClockMapper


def test_unwrap_crosses_the_32_bit_wrap_and_tolerates_interleaved_streams() -> None:
    cm = ClockMapper()
    t = WRAP - 30_000  # 30 ms before the wrap
    got = [cm.unwrap(t), cm.unwrap((t + 10_000) % WRAP), cm.unwrap((t - 40_000) % WRAP),
           cm.unwrap((t + 50_000) % WRAP)]
    base = (WRAP - 30_000) * 1e-6
    np.testing.assert_allclose(got, [base, base + 0.01, base - 0.04, base + 0.05], atol=1e-9)


def test_fit_rejects_queueing_delays_and_recovers_drift() -> None:
    rng = np.random.default_rng(1)
    drift = 80e-6  # a crystal 80 ppm fast relative to the host
    offset = 1234.5
    cm = ClockMapper()
    dev = np.arange(0, 60, 0.01)  # one block every 10 ms for a minute
    latency = 0.001 + rng.exponential(0.004, dev.size)  # USB/pty jitter, never negative
    latency[rng.random(dev.size) < 0.02] += 0.2  # occasional host stalls
    host = offset + dev * (1 + drift) + latency
    for d, h in zip(dev, host, strict=True):
        cm.observe(d, h)
    assert abs(cm.drift - drift) < 10e-6
    truth = offset + dev * (1 + drift)
    mapped = np.array([cm.to_host(d) for d in dev[-1000:]])
    err = mapped - truth[-1000:]
    # within the minimum link latency of the truth, and never after an observed arrival
    assert np.all(np.abs(err) < 0.002)
    assert np.all(mapped <= host[-1000:] + 1e-9)


def test_reset_forgets_the_old_clock() -> None:
    cm = ClockMapper()
    cm.observe(100.0, 500.0)
    cm.reset()
    cm.observe(0.5, 900.0)
    assert abs(cm.to_host(0.5) - 900.0) < 1e-9
