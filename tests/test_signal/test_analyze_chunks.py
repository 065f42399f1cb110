"""``analyze_chunks``: any cut of a recording into chunks gives what ``analyze`` gives; with
``keep_traces=False`` the traces are dropped and the metrics, accumulated as the samples go
by, equal the whole-array ones up to float summation order (relative 1e-9 here; measured
differences are ~1e-14)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biofeedback.signal import DetectionConfig, EmgConfig, PipelineConfig, analyze
from biofeedback.signal.analysis import analyze_chunks

FS = 2000.0
REL = 1e-9  # float summation order only (Chan merges, running PSD sum)


def _close(a, b, path=""):
    """Equal JSON trees, floats within REL."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _close(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=REL, abs_tol=1e-9), (path, a, b)
    else:
        assert a == b, (path, a, b)


def _split(x: np.ndarray, cuts: list[int]) -> list[np.ndarray]:
    return np.split(x, sorted(c % len(x) for c in cuts))


def _amp(profile, seed=0) -> np.ndarray:
    """White noise whose amplitude follows ``profile`` [(seconds, µV), ...]."""
    amp = np.concatenate([np.full(int(d * FS), a) for d, a in profile])
    return (amp * np.random.default_rng(seed).standard_normal(len(amp)))[:, None]


cuts_st = st.lists(st.one_of(st.integers(0, 50), st.integers(0, 10**6)), max_size=40)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(cuts=cuts_st)
def test_any_split_gives_the_same_result_as_analyze(two_contractions, cuts):
    emg, _, _ = two_contractions
    kw = dict(rest_intervals=[(0.0, 0.8), (6.0, 7.0)], segments=[("a", 0.5, 4.2)])
    ref = analyze(emg, FS, **kw)
    whole = analyze_chunks([emg], FS, **kw)
    chunks = _split(emg, cuts)
    kept = analyze_chunks(chunks, FS, **kw)
    assert whole.to_json_dict() == ref.to_json_dict() == kept.to_json_dict()
    for name in ("filtered", "envelope", "relaxation", "active", "strain", "feedback"):
        np.testing.assert_array_equal(getattr(kept, name), getattr(ref, name))
    assert kept.events == ref.events and kept.quality == ref.quality
    lean = analyze_chunks(chunks, FS, keep_traces=False, **kw)
    for name in ("filtered", "envelope", "relaxation", "active", "strain", "feedback"):
        assert getattr(lean, name) is None
    assert lean.events == ref.events and lean.quality == ref.quality
    assert lean.n_samples == len(emg)
    _close(ref.to_json_dict(), lean.to_json_dict())


RECORDINGS = {
    # contractions whose recovery is never found (k_recovery far below the baseline): the
    # time after each is rest only once the next one starts or the data end
    "never recovers": (dict(profile=[(8, 3), (2, 30), (3, 3), (2, 30), (5, 3), (2, 25), (4, 3)]),
                       PipelineConfig(detection=DetectionConfig(k_recovery=-5.0)), {}),
    "late recovery": (dict(profile=[(6, 3), (2, 30), (4, 4), (3, 3), (2, 20), (3, 3)]),
                      PipelineConfig(detection=DetectionConfig(k_recovery=-0.3)), {}),
    "notch, segments": (dict(profile=[(5, 3), (2, 20), (6, 3), (1.5, 15), (4, 3)]),
                        PipelineConfig(emg=EmgConfig(notch_hz=50.0)),
                        dict(segments=[("s", 3.0, 11.7), ("past the end", 15.0, 99.0)])),
    "marked rest to the end": (dict(profile=[(5, 3), (2, 20), (6, 3)]), None,
                               dict(rest_intervals=[(0.0, 4.0), (10.0, 50.0)])),
}


@pytest.mark.parametrize("name", list(RECORDINGS))
def test_bounded_metrics_equal_the_whole_array_ones(name):
    spec, cfg, kw = RECORDINGS[name]
    x = _amp(spec["profile"], seed=2)
    x[int(9.3 * FS):int(9.5 * FS)] = np.nan  # a dropout: an excluded second
    ref = analyze(x, FS, cfg, **kw)
    assert ref.events, "the recording must contain contractions"
    rng = np.random.default_rng(7)
    for k in (1, 7, 40):
        chunks = _split(x, rng.integers(0, len(x), k).tolist())
        lean = analyze_chunks(chunks, FS, cfg, keep_traces=False, **kw)
        _close(ref.to_json_dict(), lean.to_json_dict())


def test_one_sample_chunks(two_contractions):
    x = two_contractions[0][: int(4 * FS)]
    ref = analyze(x, FS)
    lean = analyze_chunks((x[i:i + 1] for i in range(len(x))), FS, keep_traces=False)
    _close(ref.to_json_dict(), lean.to_json_dict())


def test_bad_chunks_are_one_clear_error():
    with pytest.raises(ValueError, match="no samples"):
        analyze_chunks([], FS)
    with pytest.raises(ValueError, match="no samples"):
        analyze_chunks([np.zeros((0, 2))], FS)
    with pytest.raises(ValueError, match="chunk at sample 10 has 1 channels"):
        analyze_chunks([np.zeros((10, 2)), np.zeros((10, 1))], FS)
