"""Compile (or load from numba's cache) every compiled kernel of the signal core up front.

The kernels (:mod:`biofeedback.signal.kernels`) are compiled on their first call and cached on
disk. On a fresh machine that first call takes seconds (docs/performance.md, "Cold start"):
``make`` runs :func:`warm_up` right after installing, and the test session starts with it, so
neither the live window's first block nor a timed test pays it. With the cache filled it takes
a fraction of a second.
"""

from __future__ import annotations

import numpy as np


def warm_up() -> None:
    """Run each kernel once with the argument types the app and ``analyze`` use."""
    from biofeedback.signal.analysis import analyze, analyze_chunks
    from biofeedback.signal.config import DetectionConfig, PipelineConfig
    from biofeedback.signal.live import LiveProcessor

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4000, 2))
    # two seconds of rest, then a burst: baseline, detection, the meter and the metrics run
    y = np.concatenate([rng.standard_normal((6000, 2)), 20 * rng.standard_normal((2000, 2)),
                        rng.standard_normal((4000, 2))])
    analyze(x, 2000.0)  # conditioning, quality extremes, metrics statistics
    analyze(y, 2000.0)
    analyze(y[:, :1], 2000.0)  # one channel: contiguous envelope columns
    # 12 seconds at once: quality's many-second path (every quality_kernels signature, with
    # the live processor's below)
    analyze(np.concatenate([y, y]), 2000.0)
    analyze_chunks([y[:5000], y[5000:]], 2000.0, keep_traces=False)
    analyze(x[:, :1], 2000.0, PipelineConfig(detection=DetectionConfig(tkeo=True)))  # rms_rows
    proc = LiveProcessor(2000.0, ("pfm", "abdominal"), pressure_fs=100.0)
    for a in range(0, len(y), 40):
        proc.process_emg(y[a:a + 40], a)
        proc.process_pressure(np.full((2, 1), 10.0 if a > 8000 else 0.0), a // 20)
    proc.status()  # sosfilt_rows (pressure), strain with pressure
    from biofeedback.signal.feedback_kernel import relaxed_states  # used once the level is sure

    relaxed_states(np.ones(4), 0, 2.0, 5.0, 10, np.array([-1, 0, 0], dtype=np.int64),
                   np.empty(4, dtype=np.bool_))
    from biofeedback.signal.baseline import robust_stats  # a marked rest's statistics

    robust_stats(np.ones((4, 2)))


if __name__ == "__main__":
    warm_up()
