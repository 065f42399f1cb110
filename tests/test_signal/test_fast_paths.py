"""The offline fast paths give exactly what the plain computations give."""

from __future__ import annotations

import dataclasses
import math

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


def _mask_metrics(result, segments=()):
    """The metrics as computed before the interval lists: per-sample masks and
    ``segment_metrics`` (numpy's summation over the gathered selection)."""
    from biofeedback.signal.metrics import SegmentSpectra, segment_metrics

    fs, n = result.fs, result.n_samples
    usable = result.usable
    env, filt = np.ascontiguousarray(result.envelope[:, 0]), result.filtered[:, 0]
    inside = np.zeros(n, dtype=bool)
    busy = np.zeros(n, dtype=bool)
    for ev in result.events:
        stop = ev.offset_index if ev.offset_index is not None else n
        inside[ev.onset_index:stop] = True
        end = ev.recovery_index if ev.recovery_index is not None else stop
        busy[ev.onset_index:max(stop, end)] = True
    rest = ~busy
    rest[:min(n, int(round(result.config.baseline.settle_s * fs)))] = False
    spec = SegmentSpectra(filt, fs)
    out = {"recording": segment_metrics("recording", spec, env, fs, 0, n, usable, result.events),
           "rest": segment_metrics("rest", spec, env, fs, 0, n, usable, [], rest),
           "contractions": segment_metrics("contractions", spec, env, fs, 0, n, usable,
                                           result.events, inside)}
    for name, a, b in segments:
        i0, i1 = max(0, int(round(a * fs))), min(n, int(round(b * fs)))
        out[name] = segment_metrics(name, spec, env, fs, i0, i1, usable, result.events)
    return out


def _assert_metrics_close(got, want, rel=1e-12):
    """Equal metrics, floats within ``rel`` (the block merges' order of additions)."""
    assert set(got) == set(want)
    for name, g in got.items():
        for f, gv in dataclasses.asdict(g).items():
            wv = getattr(want[name], f)
            if isinstance(gv, float) and isinstance(wv, float):
                assert math.isclose(gv, wv, rel_tol=rel), (name, f, gv, wv)
            else:
                assert gv == wv, (name, f, gv, wv)


def test_selection_metrics_equal_the_mask_metrics(two_contractions):
    emg, _, _ = two_contractions
    x = emg.copy()
    x[9000:9300, 0] = np.nan  # an excluded second inside the recording
    seg = [("middle", 2.0, 6.5), ("start", 0.0, 1.3)]
    result = analyze(x, 2000.0, segments=seg)
    want = _mask_metrics(result, seg)
    _assert_metrics_close(result.metrics, want)
    # what is not a mean or an SD is the same number
    for name, m in result.metrics.items():
        assert (m.usable_s, m.peak_uv, m.median_frequency_hz, m.contractions) == (
            want[name].usable_s, want[name].peak_uv, want[name].median_frequency_hz,
            want[name].contractions)


def test_selection_stats_equal_numpy_on_the_gathered_values():
    from biofeedback.signal.intervals import complement, intersect
    from biofeedback.signal.metrics import _pieces
    from biofeedback.signal.metrics_kernels import BLOCK, selection_stats

    rng = np.random.default_rng(4)
    for trial in range(150):
        n = int(rng.integers(1, 6 * BLOCK))
        v = rng.standard_normal(n) * 3 + 5 + 1e3 * (trial % 3 == 0)  # an offset: SD stays exact
        sels = []
        for _ in range(int(rng.integers(1, 5))):
            cuts = np.sort(rng.integers(0, n + 1, 2 * int(rng.integers(0, 12))))
            iv = [(int(a), int(b)) for a, b in zip(cuts[::2], cuts[1::2], strict=True) if b > a]
            sels.append(intersect(complement([], 0, n), iv))
        cuts, member = _pieces(sels, n)
        got = selection_stats(v, cuts, member, len(sels))
        for s, iv in enumerate(sels):
            sel = np.concatenate([v[a:b] for a, b in iv]) if iv else np.empty(0)
            assert got[s, 0] == len(sel)
            if len(sel):
                assert math.isclose(got[s, 1], np.mean(sel), rel_tol=1e-13)
                assert math.isclose(np.sqrt(got[s, 2] / len(sel)), np.std(sel),
                                    rel_tol=1e-9, abs_tol=1e-12)
                assert got[s, 3] == np.max(sel)
            else:
                assert np.isnan(got[s, 1]) and np.isnan(got[s, 3])


def test_periodogram_sums_of_many_selections_are_the_single_sums():
    from biofeedback.signal.kernels import sum_rows
    from biofeedback.signal.metrics_kernels import sum_rows_many

    rng = np.random.default_rng(5)
    table = rng.random((300, 17))
    weights = (rng.random((4, 300)) < 0.4).astype(float)
    got = sum_rows_many(table, weights)
    for s in range(4):
        assert np.array_equal(got[s], sum_rows(table, weights[s]))  # same order: bit for bit


def test_interval_stats_equal_numpy_on_the_gathered_values():
    from biofeedback.signal.kernels import interval_stats

    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 5000))
        v = rng.standard_normal(n) * 3 + 5
        cuts = np.sort(rng.integers(0, n + 1, 2 * int(rng.integers(1, 30))))
        s, e = cuts[::2], cuts[1::2]
        sel = np.concatenate([v[a:b] for a, b in zip(s, e, strict=True)])
        k, mean, sd, peak = interval_stats(v, s.astype(np.int64), e.astype(np.int64))
        assert k == len(sel)
        if k:
            assert (mean, sd, peak) == (np.mean(sel), np.std(sel), np.max(sel))


def test_compiled_run_search_equals_the_vectorised_definition():
    from biofeedback.signal.detection import _first_run
    from biofeedback.signal.kernels import first_run

    rng = np.random.default_rng(1)
    for _ in range(300):
        x = rng.standard_normal(int(rng.integers(1, 300)))
        thr, carry, length = float(rng.normal()), int(rng.integers(0, 5)), int(rng.integers(1, 8))
        for above in (True, False):
            k, run = first_run(x, thr, above, carry, length)
            want_k, want_run = _first_run(x > thr if above else x < thr, carry, length)
            assert k == want_k
            if k < 0:
                assert run == want_run


def test_many_seconds_at_once_give_the_per_second_kernels_numbers():
    """The quality check's statistics of many seconds at once (numpy's reductions) equal
    those of the compiled per-second loops that live seconds use."""
    from biofeedback.signal import quality

    rng = np.random.default_rng(9)
    raw = np.round(rng.standard_normal((12, 2, 2000)) * 3, 1)
    raw[3, 1, 500:900] = raw[3, 1].min()  # a flat bottom: counts at the extreme
    bp = rng.standard_normal((12, 2, 2000))
    wide = quality._second_stats(raw, bp, -4.0, 4.0, 100, {})
    assert len(raw) >= quality._NUMPY_FROM_SECONDS
    narrow = [quality._second_stats(raw[s:s + 1], bp[s:s + 1], -4.0, 4.0, 100, None)
              for s in range(len(raw))]
    for i in range(2):
        assert np.array_equal(wide[i], np.concatenate([n[i] for n in narrow], axis=1))


def test_the_meters_mean_peak_is_numpys_mean():
    from collections import deque

    from biofeedback.signal.meter import _mean

    rng = np.random.default_rng(4)
    for n in range(1, 12):
        for scale in (1.0, 1e3, 1e-3):
            d = deque(rng.random(n) * scale)
            assert _mean(d) == float(np.mean(d))


def test_compiled_baseline_medians_equal_numpy():
    """The baseline's compiled medians (detection_kernels.py) give numpy's exact values:
    even and odd counts, ties, a column with a NaN, no rows."""
    from biofeedback.signal.baseline import MAD_TO_SD, robust_stats
    from biofeedback.signal.detection_kernels import column_medians, pooled_robust_stats

    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 50, 51, 400):
        v = np.round(rng.lognormal(size=(n, 4)), 2)  # ties
        if n == 51:
            v[7, 2] = np.nan
        med, sd = robust_stats(v)
        want = np.median(v, axis=0)
        np.testing.assert_array_equal(med, want)
        np.testing.assert_array_equal(sd, MAD_TO_SD * np.median(np.abs(v - want), axis=0))
        out = np.empty(4)
        column_medians(v, out)
        np.testing.assert_array_equal(out, want)
        rows = rng.integers(0, 5, n)
        keep = rng.random((5, 2)) < 0.7
        med, sd = np.empty(4), np.empty(4)
        n_pfm = pooled_robust_stats(v, rows, keep, MAD_TO_SD, med, sd)
        assert n_pfm == keep[rows, 0].sum()
        for ch in range(2):
            sel = v[keep[rows, ch]][:, [ch, 2 + ch]]
            if len(sel):
                m, s = robust_stats(sel)
                np.testing.assert_array_equal(med[[ch, 2 + ch]], m)
                np.testing.assert_array_equal(sd[[ch, 2 + ch]], s)
            else:
                assert np.isnan(med[[ch, 2 + ch]]).all()


def test_detector_events_are_made_as_the_dataclass_makes_them():
    """The detector's fast event constructor: the dataclass's fields, order and defaults."""
    import dataclasses

    from biofeedback.signal.detection import ContractionEvent, _event

    ev = _event(3, 100, 12.5, 160, 2000.0, 170)
    want = ContractionEvent(3, 100, 0.05, 12.5, 160, 0.03, release_index=170)
    assert ev == want and list(ev.__dict__) == [f.name for f in dataclasses.fields(want)]
    ev = _event(3, 100, 12.5, 160, 2000.0, 170, 300, 250, 0.065, 260)
    assert ev == dataclasses.replace(want, recovery_index=300, offset_index=250, offset_s=0.125,
                                     recovery_latency_s=0.065, confirmed_index=260)


def test_compiled_floor_runs_equal_the_numpy_definition():
    from biofeedback.signal.detection_kernels import floor_runs

    rng = np.random.default_rng(4)
    for _ in range(200):
        meds = np.round(rng.uniform(0, 3, int(rng.integers(0, 40))), 1)
        level, rise = 1.0, float(rng.uniform(1.5, 3.5))
        at_floor = meds <= level
        edges = np.flatnonzero(np.diff(np.r_[0, at_floor.astype(np.int8), 0]))
        runs = edges[1::2] - edges[::2]
        trailing = int(runs[-1]) if len(runs) and at_floor[-1] else 0
        longest = int(runs.max()) if len(runs) else 0
        assert floor_runs(meds, level, rise) == (trailing, longest, bool((meds >= rise).any()))
