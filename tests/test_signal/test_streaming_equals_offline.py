"""One engine: streaming in random blocks gives the same envelope, events and meter states
(feedback codes) as ``analyze``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biofeedback.signal import LiveProcessor, analyze


def _stream(x: np.ndarray, fs: float, sizes: list[int]):
    proc = LiveProcessor(fs, ("pfm", "abdominal"))
    env = np.empty_like(x)
    fb = np.empty(len(x), dtype=np.uint8)
    rel = np.empty(len(x))
    events = {}
    pos, k = 0, 0
    while pos < len(x):
        n = sizes[k % len(sizes)]
        k += 1
        fr = proc.process_emg(x[pos:pos + n], pos)
        env[pos:pos + len(fr.envelope)] = fr.envelope
        fb[pos:pos + len(fr.envelope)] = fr.feedback
        rel[pos:pos + len(fr.envelope)] = fr.relaxation
        for ev in fr.events:
            events[ev.id] = ev
        pos += n
    for ev in proc.finish().events:
        events[ev.id] = ev
    return env, [events[i] for i in sorted(events)], fb, rel


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(st.lists(st.one_of(st.integers(1, 7), st.integers(8, 500), st.integers(501, 40000)),
                min_size=1, max_size=30))
def test_random_block_sizes_give_identical_envelope_and_events(two_contractions, sizes):
    emg, _, _ = two_contractions
    offline = analyze(emg, 2000.0)
    env, events, fb, rel = _stream(emg, 2000.0, sizes)
    np.testing.assert_allclose(env, offline.envelope, rtol=1e-9, atol=1e-9)
    assert events == offline.events
    assert len(events) == 2
    np.testing.assert_array_equal(fb, offline.feedback)
    # the offline relaxation is made from the envelope when asked: the frames' numbers
    np.testing.assert_array_equal(rel, offline.relaxation)


def test_one_sample_blocks_match_offline_on_a_short_signal(two_contractions):
    emg, _, _ = two_contractions
    x = emg[: 2000 * 5]  # the first contraction, sample by sample
    offline = analyze(x, 2000.0)
    env, events, fb, rel = _stream(x, 2000.0, [1])
    np.testing.assert_allclose(env, offline.envelope, rtol=1e-9, atol=1e-9)
    assert events == offline.events
    assert len(events) == 1
    np.testing.assert_array_equal(fb, offline.feedback)
    np.testing.assert_array_equal(rel, offline.relaxation)


def _dense(seed: int) -> np.ndarray:
    """Contractions close together whose level still rises late in the hold: the OFF line
    (peak-relative) and the meter's contraction level must follow the samples, not the
    blocks (both depended on the block size before issue 16)."""
    fs = 2000.0
    rng = np.random.default_rng(seed)
    parts = [np.full(int(3 * fs), 3.0)]
    for _ in range(6):
        lvl = rng.uniform(10, 40)
        parts += [np.linspace(lvl * rng.uniform(0.3, 1.0), lvl, int(rng.uniform(0.8, 2.5) * fs)),
                  np.full(int(rng.uniform(0.6, 2.0) * fs), 3.0)]
    amp = np.concatenate(parts)
    return amp[:, None] * rng.standard_normal((len(amp), 2)) * np.array([1.0, 0.4])


@pytest.mark.parametrize("seed", [0, 1, 4])
def test_dense_contractions_with_late_peaks_do_not_depend_on_the_cut(seed):
    x = _dense(seed)
    ref = analyze(x, 2000.0)
    assert len(ref.events) >= 5
    for block_s in (0.02, 0.5, 7.0):
        r = analyze(x, 2000.0, block_s=block_s)
        assert r.events == ref.events
        np.testing.assert_array_equal(r.feedback, ref.feedback)
        np.testing.assert_array_equal(r.active, ref.active)
        np.testing.assert_array_equal(r.relaxation, ref.relaxation)
    _, events, fb, rel = _stream(x, 2000.0, [40])  # the live 20 ms blocks
    assert events == ref.events
    np.testing.assert_array_equal(fb, ref.feedback)
    np.testing.assert_array_equal(rel, ref.relaxation)
