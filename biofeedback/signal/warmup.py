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
    from biofeedback.signal.analysis import analyze
    from biofeedback.signal.config import DetectionConfig, PipelineConfig
    from biofeedback.signal.live import LiveProcessor

    x = np.random.default_rng(0).standard_normal((4000, 2))
    analyze(x, 2000.0)  # conditioning, quality extremes, metrics statistics
    analyze(x[:, :1], 2000.0, PipelineConfig(detection=DetectionConfig(tkeo=True)))  # rms_rows
    proc = LiveProcessor(2000.0, ("pfm", "abdominal"), pressure_fs=100.0)
    proc.process_emg(x[:40], 0)
    proc.process_pressure(np.zeros((2, 1)), 0)  # sosfilt_rows
    from biofeedback.signal.feedback_kernel import relaxed_states  # used once the level is sure

    relaxed_states(np.ones(4), 0, 2.0, 5.0, 10, np.array([-1, 0, 0], dtype=np.int64),
                   np.empty(4, dtype=np.bool_))


if __name__ == "__main__":
    warm_up()
