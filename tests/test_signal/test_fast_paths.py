"""The offline fast paths give exactly what the plain computations give."""

from __future__ import annotations

import numpy as np

from biofeedback.signal import analyze
from biofeedback.signal.analysis import compute_metrics
from biofeedback.signal.kernels import second_extremes


def test_metrics_from_the_quality_periodograms_equal_metrics_computed_afresh(two_contractions):
    emg, _, _ = two_contractions
    x = emg[: len(emg) - 1234]  # a last partial second: its segment is transformed afresh
    result = analyze(x, 2000.0, segments=[("middle", 2.0, 6.5)])
    assert result.metrics == compute_metrics(result, [("middle", 2.0, 6.5)])


def test_second_extremes_equal_the_numpy_reductions():
    rng = np.random.default_rng(5)
    raw = np.round(rng.standard_normal((4, 2, 1000)) * 3, 1)  # ties at the extremes
    raw[1, 0, 100:200] = raw[1, 0].max()  # a flat top
    bp = rng.standard_normal((4, 2, 1000))
    lo, hi = -5.0, 5.0
    out = np.empty((7, 4, 2))
    second_extremes(raw, bp, lo, hi, out)
    rmax, rmin = raw.max(axis=2), raw.min(axis=2)
    want = [rmax, rmin, (raw == rmax[..., None]).sum(axis=2), (raw == rmin[..., None]).sum(axis=2),
            bp.max(axis=2), bp.min(axis=2), ((raw >= hi) | (raw <= lo)).sum(axis=2)]
    for got, w in zip(out, want, strict=True):
        assert np.array_equal(got, w)


def test_live_quality_is_spread_over_the_next_blocks_and_equals_offline(two_contractions):
    """A second completed by a 20 ms block is assessed over the next three blocks, in order,
    with exactly the numbers the offline analysis gets."""
    from biofeedback.signal import LiveProcessor

    emg, _, _ = two_contractions
    proc = LiveProcessor(2000.0, ("pfm", "abdominal"))
    got, arrival = [], {}
    for k, a in enumerate(range(0, len(emg), 40)):
        for q in proc.process_emg(emg[a:a + 40], a).quality:
            got.append(q)
            arrival[q.second] = k
    got += proc.finish().quality
    assert got == analyze(emg, 2000.0).quality
    for second, k in arrival.items():  # completed by block 50·(s+1) - 1, out 3 blocks later
        assert k == 50 * (second + 1) + 2
