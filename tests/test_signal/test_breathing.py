"""Breathing from vaginal pressure: rate, in/out-breath timing, squeezes rejected, any block size,
and the pelvic floor scored per breath against a pacer."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal
from biofeedback.signal.breathing import (
    Breath,
    BreathDetector,
    BreathingConfig,
    detect_breaths,
    pacer_breaths,
    score_breaths,
    summarize_breathing,
)

FS = 100.0


def breathing_wave(rate_per_min: float, ie: float, seconds: float, amp: float = 1.0,
                   fs: float = FS, rest: float = 18.0, phase_s: float = 0.0) -> np.ndarray:
    """Smooth asymmetric breathing: a half-cosine rise over the in-breath, fall over the out-breath.

    The cycle starts at a trough (start of the in-breath) at ``phase_s``.
    """
    period = 60.0 / rate_per_min
    ti = period * ie / (1 + ie)
    t = (np.arange(int(seconds * fs)) / fs - phase_s) % period
    up = t < ti
    y = np.where(up, (1 - np.cos(np.pi * t / ti)) / 2,
                 (1 + np.cos(np.pi * (t - ti) / (period - ti))) / 2)
    return rest + amp * y


def squeeze(n: int, start_s: float, length_s: float, height: float, fs: float = FS,
            tau_s: float = 0.25) -> np.ndarray:
    """A contraction's pressure: first-order rise and fall (the simulator's muscle lag)."""
    t = np.arange(n) / fs
    on = (t >= start_s) & (t < start_s + length_s)
    target = np.where(on, height, 0.0)
    a = math.exp(-1 / (tau_s * fs))
    y = np.empty(n)
    level = 0.0
    for i, v in enumerate(target):
        level = a * level + (1 - a) * v
        y[i] = level
    return y


@pytest.mark.parametrize(("rate", "ie"), [(6.0, 3 / 7), (6.0, 1.0), (4.0, 0.5), (12.0, 0.8),
                                          (20.0, 1.0), (20.0, 0.42), (5.0, 0.42)])
def test_rate_and_inhale_exhale_of_exact_waves(rate, ie):
    x = breathing_wave(rate, ie, 180.0, amp=1.0)
    s = summarize_breathing(detect_breaths(x, FS))
    assert s.n_breaths >= int(180 * rate / 60) - 2
    assert abs(s.breaths_per_min - rate) <= 0.5
    assert s.ie_ratio == pytest.approx(ie, rel=0.10)
    assert s.inhale_s + s.exhale_s == pytest.approx(60 / rate, rel=0.02)


def test_breath_times_line_up_with_the_wave_after_the_filter_delay():
    x = breathing_wave(6.0, 3 / 7, 60.0, phase_s=1.0)
    breaths = detect_breaths(x, FS)
    starts = np.array([b.start_s for b in breaths])
    turns = np.array([b.turn_s for b in breaths])
    assert len(breaths) >= 4
    assert np.all(np.abs(_off_grid(starts, 1.0, 10.0)) <= 0.15)  # troughs at 1, 11, 21 ... s
    assert np.all(np.abs(_off_grid(turns, 4.0, 10.0)) <= 0.15)  # peaks 3 s later


def _off_grid(t: np.ndarray, origin: float, period: float) -> np.ndarray:
    return (t - origin + period / 2) % period - period / 2


def test_simulated_sensor_pressure_gives_its_breathing_rate():
    cfg = SimulatedConfig(breathing_hz=0.2)
    blocks = list(SimulatedSignal(Scenario.parse("rest:120"), cfg).generate(120.0))
    p = np.concatenate([b.data[:, 0] for b in blocks if b.stream == "pressure"])
    s = summarize_breathing(detect_breaths(p, cfg.pressure_fs))
    assert abs(s.breaths_per_min - 12.0) <= 0.5
    assert s.ie_ratio == pytest.approx(1.0, rel=0.10)  # a sine: in-breath = out-breath


def test_simulated_squeeze_is_not_a_breath():
    cfg = SimulatedConfig(breathing_hz=0.1)  # 6/min
    scenario = Scenario.parse("rest:40,contract:8@0.3,rest:40,contract:5@0.6,rest:40")
    blocks = list(SimulatedSignal(scenario, cfg).generate(133.0))
    p = np.concatenate([b.data[:, 0] for b in blocks if b.stream == "pressure"])
    det = BreathDetector(cfg.pressure_fs)
    breaths = det.process(p, 0)
    assert det.rejected >= 2  # the swings into and out of each squeeze (+10 and +21 cmH2O)
    s = summarize_breathing(breaths)
    assert abs(s.breaths_per_min - 6.0) <= 0.5
    assert s.ie_ratio == pytest.approx(1.0, rel=0.10)
    assert s.n_breaths <= 11  # 13 cycles fit in 133 s


def test_noise_and_a_heartbeat_do_not_make_extra_breaths():
    rng = np.random.default_rng(7)
    n = int(240 * FS)
    t = np.arange(n) / FS
    x = (breathing_wave(6.0, 3 / 7, 240.0, amp=0.6) + 0.15 * rng.standard_normal(n)
         + 0.1 * np.sin(2 * np.pi * 1.2 * t) + 0.5 * t / 240)  # noise, pulse, slow drift
    s = summarize_breathing(detect_breaths(x, FS))
    assert s.n_breaths in range(22, 25)
    assert abs(s.breaths_per_min - 6.0) <= 0.5
    assert s.ie_ratio == pytest.approx(3 / 7, rel=0.10)


def test_a_squeeze_is_not_a_breath():
    n = int(120 * FS)
    x = breathing_wave(6.0, 3 / 7, 120.0, amp=1.0) + squeeze(n, 40.0, 8.0, 10.0)
    det = BreathDetector(FS)
    breaths = det.process(x, 0)
    assert det.rejected >= 1
    assert all(b.swing_cmh2o <= 4.0 for b in breaths)
    # no accepted breath spans the squeeze's rise (40 s) or its fall (48 s)
    assert not any(b.start_s < 40.5 < b.end_s or b.start_s < 48.5 < b.end_s for b in breaths)
    s = summarize_breathing(breaths)
    assert abs(s.breaths_per_min - 6.0) <= 0.5
    assert s.ie_ratio == pytest.approx(3 / 7, rel=0.10)
    assert s.n_breaths <= 11  # 12 cycles fit in 120 s; the squeeze costs at least one


def test_sign_parameter_swaps_in_and_out_breath():
    x = breathing_wave(6.0, 3 / 7, 120.0)
    down = summarize_breathing(detect_breaths(2 * 18.0 - x, FS,
                                              BreathingConfig(inhale_rises=False)))
    assert down.ie_ratio == pytest.approx(3 / 7, rel=0.10)
    wrong = summarize_breathing(detect_breaths(x, FS, BreathingConfig(inhale_rises=False)))
    assert wrong.ie_ratio == pytest.approx(7 / 3, rel=0.10)


def test_gap_and_nan_never_make_a_breath_across_them():
    x = breathing_wave(6.0, 3 / 7, 120.0)
    det = BreathDetector(FS)
    first = det.process(x[:5000], 0)
    second = det.process(x[5500:], 5500)  # 5 s lost
    assert not any(b.start_index < 5500 <= b.end_index for b in first + second)
    y = x.copy()
    y[3000] = np.nan
    assert not any(b.start_index <= 3000 <= b.end_index for b in detect_breaths(y, FS))
    assert (len(first), len(second)) == (3, 5)  # whole breaths on each side of the gap


def _stream(x: np.ndarray, sizes: list[int]) -> list[Breath]:
    det = BreathDetector(FS)
    out, pos, k = [], 0, 0
    while pos < len(x):
        n = sizes[k % len(sizes)]
        out += det.process(x[pos:pos + n], pos)
        pos, k = pos + n, k + 1
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.integers(1, 5), st.integers(6, 300), st.integers(301, 6000)),
                min_size=1, max_size=20))
def test_random_block_sizes_give_identical_breaths(sizes):
    rng = np.random.default_rng(3)
    n = int(100 * FS)
    x = (breathing_wave(7.0, 0.6, 100.0, amp=0.8) + 0.1 * rng.standard_normal(n)
         + squeeze(n, 50.0, 6.0, 10.0))
    offline = detect_breaths(x, FS)
    assert len(offline) >= 8
    assert _stream(x, sizes) == offline


def test_pacer_breaths_follow_rate_and_ratio():
    ph = pacer_breaths(6.0, 3 / 7, 10.0, 70.0)
    assert len(ph) == 6
    assert ph[0].start_s == pytest.approx(10.0)
    assert ph[0].inhale_s == pytest.approx(3.0)
    assert ph[0].exhale_s == pytest.approx(7.0)
    assert all(a.end_index == b.start_index for a, b in itertools.pairwise(ph))
    with pytest.raises(ValueError):
        pacer_breaths(0.0, 0.5, 0.0, 60.0)


def _envelope(seconds: float, relaxed_inhale: bool, fs: float = 100.0):
    """An envelope that drops during the pacer's in-breath (a release) or rises (guarding)."""
    t = np.arange(int(seconds * fs)) / fs
    inhale = (t % 10.0) < 3.0
    if relaxed_inhale:
        return t, np.where(inhale, 3.0, 5.0)
    return t, np.where(inhale, 6.0, 4.0)


def test_released_on_the_in_breath_against_the_pacer():
    ph = pacer_breaths(6.0, 3 / 7, 0.0, 60.0)
    t, env = _envelope(60.0, relaxed_inhale=True)
    scores = score_breaths(ph, t, env)
    assert all(s.released_on_inhale for s in scores)
    assert scores[1].inhale_uv == pytest.approx(3.0)
    assert scores[1].reference_exhale_uv == pytest.approx(5.0)  # the previous out-breath
    t, env = _envelope(60.0, relaxed_inhale=False)
    guarded = score_breaths(ph, t, env)
    assert not any(s.released_on_inhale for s in guarded)
    below = score_breaths(ph, t, env, line_uv=6.5)  # in-breath below the line counts
    assert all(s.released_on_inhale for s in below)
    s = summarize_breathing(ph, scores[:3] + guarded[3:], pacer_rate_per_min=6.0)
    assert s.release_share == pytest.approx(0.5)
    assert s.pacer_deviation_per_min == pytest.approx(0.0, abs=1e-9)


def test_scoring_detected_breaths_with_a_gap_in_the_envelope():
    x = breathing_wave(5.0, 0.5, 120.0)
    breaths = detect_breaths(x, FS)
    t = np.arange(int(120 * FS)) / FS
    env = np.full(len(t), 4.0)
    env[(t > 30) & (t < 60)] = np.nan  # a gap: breaths inside it are not judged
    scores = score_breaths(breaths, t, env)
    judged = [s for s in scores if s.released_on_inhale is not None]
    assert 0 < len(judged) < len(scores)
    assert not any(s.released_on_inhale for s in judged)  # flat: no release
    summary = summarize_breathing(breaths, scores, pacer_rate_per_min=6.0)
    assert summary.pacer_deviation_per_min == pytest.approx(1.0, abs=0.5)
    assert summary.release_share == 0.0
    d = summary.to_json_dict()
    assert d["n_breaths"] == len(breaths)
    assert d["pacer_rate_per_min"] == 6.0


def test_no_breaths_gives_an_empty_summary():
    s = summarize_breathing([])
    assert s.n_breaths == 0
    assert math.isnan(s.breaths_per_min)
    assert s.to_json_dict()["breaths_per_min"] is None
    assert s.release_share is None
