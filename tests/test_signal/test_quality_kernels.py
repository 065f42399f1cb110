"""The compiled quality check (signal/quality_kernels.py) gives exactly the numbers of the
numpy expressions it replaced: :func:`_reference` is the previous ``assess`` written in
numpy alone, kept here as the definition."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from biofeedback.signal import quality
from biofeedback.signal.config import QualityConfig


def _runs_at(x: np.ndarray, value: float) -> int:
    at = x == value
    if at.sum() < 3:
        return 0
    d = np.diff(np.concatenate([[0], at.view(np.int8), [0]]))
    lengths = np.flatnonzero(d == -1) - np.flatnonzero(d == 1)
    return int(lengths[lengths >= 3].sum())


def _reference(raw, bp, env, nan_count, fs, cfg, periodograms=None):
    s_n, n, c_n = bp.shape
    raw = np.ascontiguousarray(raw.transpose(0, 2, 1))
    bp = np.ascontiguousarray(bp.transpose(0, 2, 1))
    flags = np.zeros((s_n, c_n), dtype=np.int64)
    flags[nan_count > 0] |= 1
    m = max(1, int(round(0.05 * fs)))
    lo, hi = quality.clip_limits(cfg)
    rmax, rmin = raw.max(axis=2), raw.min(axis=2)
    ext = [rmax, rmin, (raw == rmax[..., None]).sum(axis=2), (raw == rmin[..., None]).sum(axis=2),
           bp.max(axis=2), bp.min(axis=2), ((raw >= hi) | (raw <= lo)).sum(axis=2)]
    sums = [np.add.reduce(bp * bp, axis=2)]
    if n // m >= 2:
        k = n // m
        means = np.add.reduce(raw[:, :, :k * m].reshape(s_n, c_n, k, m), axis=3) / m
        sums += [means.max(axis=2), means.min(axis=2)]
    rms = np.sqrt(sums[0] / n)
    flat = (rms < cfg.flat_rms_uv) | (rmax == rmin)
    flags[flat] |= 2
    need = max(3, int(np.ceil(cfg.clip_fraction * n)))
    maybe = (ext[2] >= need) | (ext[3] >= need)
    clipped = np.zeros((s_n, c_n), dtype=bool)
    for si, ci in zip(*np.nonzero(maybe & ~flat), strict=True):
        r = raw[si, ci]
        clipped[si, ci] = _runs_at(r, rmax[si, ci]) + _runs_at(r, rmin[si, ci]) >= need
    if cfg.physical_range is not None:
        clipped |= ext[6] >= need
    flags[clipped] |= 4
    floor_rms = np.maximum(rms, cfg.flat_rms_uv)
    if n // m >= 2:
        motion = (sums[1] - sums[2]) > cfg.motion_ratio * floor_rms
    else:
        motion = np.zeros((s_n, c_n), dtype=bool)
    absmax = np.maximum(ext[4], -ext[5])
    for si, ci in zip(*np.nonzero(absmax > cfg.spike_crest * floor_rms), strict=True):
        a = np.abs(bp[si, ci])
        big = (a > cfg.spike_crest * floor_rms[si, ci]) & (a > cfg.spike_crest * env[si, :, ci])
        motion[si, ci] |= 1 <= int(big.sum()) <= max(1, int(0.002 * n))
    flags[motion & ~flat] |= 8
    hum_db = np.full((s_n, c_n), np.nan)
    hum_hz = np.full(s_n, np.nan)
    if n >= 0.5 * fs:
        h = n // 2
        f = np.fft.rfft(bp[:, :, : 2 * h].reshape(s_n, c_n, 2, h) * np.hanning(h), axis=3)
        power = f.real**2 + f.imag**2
        spec = power.sum(axis=2)
        if periodograms is not None:
            periodograms[:] = power[:, 0].reshape(2 * s_n, -1)
        best = np.full((s_n, c_n), -np.inf)
        for mains, peak_bins, near in quality._hum_bins(h, fs):
            peak = spec[:, :, peak_bins].max(axis=2)
            ref = np.add.reduce(spec[:, :, near], axis=2) / len(near)
            db = 10.0 * np.log10(np.maximum(peak, 1e-30) / np.maximum(ref, 1e-30))
            better = db > best
            best = np.where(better, db, best)
            hum_hz = np.where(better.any(axis=1), mains, hum_hz)
        if np.isfinite(best).any():
            hum_db = np.where(np.isfinite(best), best, np.nan)
            flags[(hum_db > cfg.hum_db) & ~flat] |= 16
    return flags, rms, hum_db, hum_hz


def _seconds(rng, s_n, n, c_n, fs):
    """Seconds with every kind of problem: hum, flat, flat tops, spikes, movement, steps."""
    t = np.arange(n) / fs
    bp = rng.standard_normal((s_n, n, c_n)) * rng.uniform(0.5, 20, (s_n, 1, c_n))
    bp += rng.uniform(0, 30, (s_n, 1, c_n)) * np.sin(2 * np.pi * 50 * t)[None, :, None]
    bp[:, :, -1] += rng.uniform(0, 30, (s_n, 1)) * np.sin(2 * np.pi * 60 * t)[None, :]
    raw = np.round(bp * 4) / 4
    for s in range(s_n):
        c = s % c_n
        kind = s % 6
        if kind == 1:
            bp[s, :, c] = raw[s, :, c] = 0.01 * rng.standard_normal(n) * (s % 4 == 1)
        elif kind == 2:
            top = np.quantile(raw[s, :, c], 0.98)
            raw[s, :, c] = np.minimum(raw[s, :, c], top)
        elif kind == 3:
            bp[s, rng.integers(0, n, 2), c] += 500.0
        elif kind == 4:
            raw[s, n // 3:, c] += 300.0
    env = np.abs(bp) * 0.3 + 1.0
    return raw, bp, env


@pytest.mark.parametrize("fs", [2000.0, 1000.0, 250.0])
@pytest.mark.parametrize("c_n", [1, 2, 3])
def test_the_compiled_check_gives_the_previous_numbers(fs, c_n):
    rng = np.random.default_rng(int(fs) + c_n)
    L = int(fs)
    for s_n, n in ((1, L), (2, L), (12, L), (1, int(0.7 * L)), (3, int(0.3 * L))):
        raw, bp, env = _seconds(rng, s_n, n, c_n, fs)
        nans = (rng.random((s_n, c_n)) < 0.2).astype(np.int64)
        for cfg in (QualityConfig(), QualityConfig(physical_range=(-60.0, 60.0))):
            pg_got, pg_want = (np.full((2 * s_n, n // 4 + 1), np.nan) for _ in range(2))
            got = quality.assess(raw, bp, env, nans, fs, cfg, pg_got)
            want = _reference(raw, bp, env, nans, fs, cfg, pg_want)
            assert pickle.dumps(got) == pickle.dumps(want)  # bit for bit, nan included
            assert pickle.dumps(pg_got) == pickle.dumps(pg_want)
            if c_n == 2 and s_n == 12 and cfg.physical_range:
                seen = np.bitwise_or.reduce(got[0], axis=None)
                assert seen == 31  # every flag was exercised


def test_the_kernels_flag_bits_are_the_quality_flags():
    from biofeedback.signal import quality_kernels as qk

    flags = quality.QualityFlag
    assert (qk.DROPOUT, qk.FLAT, qk.CLIPPED, qk.MOTION, qk.HUM) == (
        flags.DROPOUT, flags.FLAT, flags.CLIPPED, flags.MOTION, flags.HUM)


def test_seconds_built_without_init_equal_the_constructed_ones():
    rng = np.random.default_rng(2)
    flags = rng.integers(0, 32, (5, 2))
    rms, hum_db = rng.random((5, 2)), rng.random((5, 2))
    hum_db[1, 0] = np.nan
    hum_hz = np.array([50.0, np.nan, 60.0, 50.0, 50.0])
    fast = quality._seconds(6000, 2000, 2000, flags, rms, hum_db, hum_hz)
    for s, q in enumerate(fast):
        ref = quality.QualitySecond(
            second=3 + s, start_index=6000 + 2000 * s, n_samples=2000,
            flags=tuple(quality.QualityFlag(int(v)) for v in flags[s]),
            rms_uv=tuple(rms[s].tolist()),
            hum_db=q.hum_db if s == 1 else tuple(hum_db[s].tolist()),  # (nan != nan)
            hum_hz=None if s == 1 else float(hum_hz[s]))
        assert q == ref and hash(q) == hash(ref) and repr(q) == repr(ref)
        assert pickle.dumps(pickle.loads(pickle.dumps(q))) == pickle.dumps(ref)
        assert vars(q) == vars(ref)
        assert q.flag == ref.flag and q.usable == ref.usable
        with pytest.raises(AttributeError):
            q.rms_uv = ()  # still frozen


def test_the_hum_neighbours_are_summed_as_numpy_does_for_several_seconds_or_channels():
    rng = np.random.default_rng(11)
    cfg = QualityConfig()
    for _ in range(40):
        for s_n, c_n in ((1, 2), (2, 1), (3, 2)):
            raw, bp, env = _seconds(rng, s_n, 2000, c_n, 2000.0)
            nans = np.zeros((s_n, c_n))
            got = quality.assess(raw, bp, env, nans, 2000.0, cfg)
            want = _reference(raw, bp, env, nans, 2000.0, cfg)
            assert pickle.dumps(got) == pickle.dumps(want)


def test_a_second_alone_gets_the_numbers_it_gets_among_many():
    """Live seconds come one at a time (one channel: numpy would sum its contiguous hum
    neighbours pairwise, and a running sum otherwise): the compiled check sums them in one
    order, so streaming gives the offline numbers bit for bit."""
    rng = np.random.default_rng(12)
    cfg = QualityConfig()
    for c_n in (1, 2):
        raw, bp, env = _seconds(rng, 12, 2000, c_n, 2000.0)  # >= 8: the many-second path
        nans = np.zeros((12, c_n))
        many = quality.assess(raw, bp, env, nans, 2000.0, cfg)
        for s in range(12):
            one = quality.assess(raw[s:s + 1], bp[s:s + 1], env[s:s + 1], nans[s:s + 1],
                                 2000.0, cfg)
            for got, want in zip(one, many, strict=True):
                assert pickle.dumps(got[0]) == pickle.dumps(want[s])
