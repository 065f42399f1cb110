"""One engine: streaming in random blocks gives the same envelope, events and meter states
(feedback codes) as ``analyze``."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biofeedback.signal import LiveProcessor, analyze


def _stream(x: np.ndarray, fs: float, sizes: list[int]):
    proc = LiveProcessor(fs, ("pfm", "abdominal"))
    env = np.empty_like(x)
    fb = np.empty(len(x), dtype=np.uint8)
    events = {}
    pos, k = 0, 0
    while pos < len(x):
        n = sizes[k % len(sizes)]
        k += 1
        fr = proc.process_emg(x[pos:pos + n], pos)
        env[pos:pos + len(fr.envelope)] = fr.envelope
        fb[pos:pos + len(fr.envelope)] = fr.feedback
        for ev in fr.events:
            events[ev.id] = ev
        pos += n
    for ev in proc.finish().events:
        events[ev.id] = ev
    return env, [events[i] for i in sorted(events)], fb


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(st.lists(st.one_of(st.integers(1, 7), st.integers(8, 500), st.integers(501, 40000)),
                min_size=1, max_size=30))
def test_random_block_sizes_give_identical_envelope_and_events(two_contractions, sizes):
    emg, _, _ = two_contractions
    offline = analyze(emg, 2000.0)
    env, events, fb = _stream(emg, 2000.0, sizes)
    np.testing.assert_allclose(env, offline.envelope, rtol=1e-9, atol=1e-9)
    assert events == offline.events
    assert len(events) == 2
    np.testing.assert_array_equal(fb, offline.feedback)


def test_one_sample_blocks_match_offline_on_a_short_signal(two_contractions):
    emg, _, _ = two_contractions
    x = emg[: 2000 * 5]  # the first contraction, sample by sample
    offline = analyze(x, 2000.0)
    env, events, fb = _stream(x, 2000.0, [1])
    np.testing.assert_allclose(env, offline.envelope, rtol=1e-9, atol=1e-9)
    assert events == offline.events
    assert len(events) == 1
    np.testing.assert_array_equal(fb, offline.feedback)
