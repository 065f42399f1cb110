"""The one feedback model, driven by the signal core block by block, in the scenarios this
patient group produces (no Qt, no clocks: the sample clock only)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from biofeedback.app.feedback import ASK_FOR_REST, WORDS, FeedbackModel, tone_hz
from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal
from biofeedback.signal import FeedbackState, LiveProcessor

FS = 2000.0
REFRESH_S = 1 / 30  # the window's refresh


def drive(scenario: str, seconds: float, seed: int = 3, line_uv: float | None = None):
    """Feed a simulated recording in 20 ms blocks; per block: time, envelope, view, status."""
    sig = SimulatedSignal(Scenario.parse(scenario), SimulatedConfig(seed=seed))
    proc = LiveProcessor(FS, ("pfm", "abdominal"), 100.0)
    if line_uv is not None:
        proc.set_threshold_uv(line_uv)
    model = FeedbackModel(FS)
    rows, codes, env = [], [], []
    for b in sig.generate(seconds):
        if b.stream == "pressure":
            proc.process_pressure(b.data, b.first_index)
            continue
        fr = proc.process_emg(b.data, b.first_index)
        codes.append(fr.feedback)
        env.append(fr.envelope[:, 0])
        st = proc.status()
        rows.append((b.end_index / FS, model.view(st), st))
    return rows, np.concatenate(codes), np.concatenate(env), proc


def test_a_guarded_start_is_never_called_relaxed_and_the_baseline_finds_the_true_rest():
    rows, codes, env, proc = drive("contract:20@0.4,rest:30", 50)
    guarding = [v for t, v, _ in rows if t < 20.5]
    assert guarding and all(v.state is not FeedbackState.RELAXED for v in guarding)
    assert all(v.headline != WORDS[FeedbackState.RELAXED][0] for v in guarding)
    assert not codes[: int(20.5 * FS)].__contains__(FeedbackState.RELAXED)
    true_rest = float(np.median(env[int(30 * FS):]))
    st = proc.status()
    assert not st.baseline_provisional
    assert abs(st.baseline_mean_uv - true_rest) <= 0.25 * true_rest
    # once the guarding lets go and the rest is confirmed, the meter does say relaxed
    assert rows[-1][1].state is FeedbackState.RELAXED


def test_a_long_provisional_start_asks_for_a_marked_rest():
    # (a steady guarding held for confirm_quiet_s = 30 s is taken as rest: see baseline.py)
    rows, *_ = drive("contract:40@0.4,rest:5", 29)
    late = [v for t, v, _ in rows if t > 25]
    assert all(v.state is FeedbackState.SETTLING for v in late)
    assert late[-1].detail == ASK_FOR_REST


def test_bearing_down_is_never_shown_as_relaxed():
    sc = "rest:8,strain:5@0.6,rest:8,contract:5@0.6,rest:8"
    rows, codes, _, _ = drive(sc, 34)
    strain = [v for t, v, st in rows if st.strain]
    assert strain, "the scenario must raise the strain flag"
    assert all(v.state is FeedbackState.BEARING_DOWN for v in strain)
    phase = codes[int(9 * FS):int(13 * FS)]  # well inside the bearing-down phase
    assert not (phase == FeedbackState.RELAXED).any()
    assert (phase == FeedbackState.BEARING_DOWN).mean() > 0.8


def test_slow_release_turns_relaxed_when_the_envelope_crosses_the_line_and_counts_right():
    sc = "rest:10,contract:5@0.6,rest:15~3,contract:5@0.6,rest:15~3"
    rows, codes, env, proc = drive(sc, 50)
    assert proc.status().contraction_count == len(Scenario.parse(sc).contraction_intervals())
    # the line in force at each sample (the automatic line is refined each second)
    line = np.concatenate([np.full(40, st.threshold_uv) for _, _, st in rows])
    # the second release: the first sample at or below the line after the contraction
    after = int(36 * FS) + int(np.flatnonzero(env[int(36 * FS):] <= line[int(36 * FS):])[0])
    first_relaxed = int(36 * FS) + int(np.flatnonzero(codes[int(36 * FS):]
                                                      == FeedbackState.RELAXED)[0])
    assert first_relaxed - after <= REFRESH_S * FS
    # on the way down the words encourage: letting go, not "tight", for most of the release
    release = codes[int(36 * FS):after]
    assert (release == FeedbackState.LETTING_GO).mean() > 0.7


def test_the_meter_tick_is_the_line_and_a_dragged_line_moves_it():
    rows, *_ = drive("rest:10,contract:3@0.6,rest:10", 23)
    v = rows[-1][1]
    assert v.line_level == pytest.approx(v.line_uv / v.scale_top_uv)
    assert (v.level <= v.line_level) == (v.envelope_uv <= v.line_uv)
    rows2, *_ = drive("rest:10,contract:3@0.6,rest:10", 23, line_uv=12.0)
    v2 = rows2[-1][1]
    assert v2.line_uv == 12.0 and v2.line_level != pytest.approx(v.line_level)
    assert v2.scale_top_uv >= 2 * 12.0  # the scale follows a line dragged up


def test_relaxed_exactly_when_below_the_line_apart_from_short_flickers():
    rows, codes, env, _proc = drive("rest:10,contract:3@0.6,rest:25", 38)
    line = np.concatenate([np.full(40, st.threshold_uv) for _, _, st in rows])
    tail = slice(int(20 * FS), None)
    below = env[tail] <= line[tail]
    relaxed = codes[tail] == FeedbackState.RELAXED
    assert relaxed[below].all()  # below the line is always relaxed
    # above the line while "relaxed" only in excursions shorter than 0.5 s
    above_relaxed = relaxed & ~below
    edges = np.flatnonzero(np.diff(np.r_[0, above_relaxed.astype(int), 0]))
    assert ((edges[1::2] - edges[::2]) < 0.5 * FS).all()


def test_percent_of_maximum_once_a_contraction_was_measured():
    rows, *_ = drive("rest:10,contract:3@0.8,rest:8", 21)
    early = [v for t, v, _ in rows if t < 9]
    assert all(v.percent_mvc is None for v in early)
    v = rows[-1][1]
    assert v.percent_mvc is not None and 0 < v.percent_mvc < 30


def test_no_signal_and_the_tone():
    rows, *_ = drive("rest:3", 3)
    st = rows[-1][2]
    v = FeedbackModel(FS).view(st, signal_ok=False, no_signal_detail="the sensor is not answering")
    assert v.state is FeedbackState.NO_SIGNAL and v.detail == "the sensor is not answering"
    assert math.isnan(v.level) and v.tone_hz is None
    assert tone_hz(FeedbackState.RELAXED, 2.0, 3.0, 30.0) is None  # silent below the line
    lo = tone_hz(FeedbackState.TIGHT, 5.0, 3.0, 30.0)
    hi = tone_hz(FeedbackState.TIGHT, 25.0, 3.0, 30.0)
    assert lo is not None and hi is not None and hi > lo  # pitch rises with activity


def test_wording_is_calm_and_complete():
    assert set(WORDS) == set(FeedbackState)
    harsh = ("fail", "wrong", "bad", "error", "must", "don't")
    for head, detail in WORDS.values():
        assert not any(w in (head + " " + detail).lower() for w in harsh)
