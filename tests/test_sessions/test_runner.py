"""The protocol engine on scripted signals: every built-in protocol, step order, measurements
and summary values, ratings, conditions, pause and stop (no clocks, no devices: milliseconds)."""

from __future__ import annotations

import numpy as np
import pytest

from biofeedback.sessions.loader import builtin_names, load_builtin, parse_protocol
from biofeedback.sessions.protocol import StepKind
from biofeedback.sessions.runner import (
    RunnerState,
    Samples,
    SessionEnded,
    SessionRunner,
    StepEnded,
    StepStarted,
)
from biofeedback.signal import ContractionEvent, FeedbackState

FS = 100.0
REST_UV, CONTRACT_UV = 3.0, 30.0
R, T, L = int(FeedbackState.RELAXED), int(FeedbackState.TIGHT), int(FeedbackState.LETTING_GO)


def scripted(kind: StepKind, n: int, effort: float | None) -> tuple[np.ndarray, np.ndarray]:
    """What the person does in a step: rest is 3 µV and relaxed; a contraction is tight at
    3 + effort × 27 µV; a release falls over 1 s (letting go), then rests."""
    if kind in (StepKind.CONTRACT, StepKind.HOLD):
        return np.full(n, REST_UV + (effort or 0.5) * (CONTRACT_UV - REST_UV)), np.full(n, T)
    if kind is StepKind.RELAX:
        k = min(n, int(FS))
        env = np.full(n, REST_UV)
        env[:k] = np.linspace(CONTRACT_UV * 0.5, REST_UV, k)
        codes = np.full(n, R)
        codes[:k] = L
        return env, codes
    return np.full(n, REST_UV), np.full(n, R)


def run(protocol, answers=None, batch_s: float = 0.5):
    """Drive the runner through ``protocol``: each step's script starts when the step does."""
    runner = SessionRunner(protocol, FS)
    events = runner.start(0)
    answers = answers or {}
    contractions: list[ContractionEvent] = []
    index, guard = 0, 0
    while not runner.finished:
        guard += 1
        assert guard < 100_000
        st = runner.step
        if runner.state is RunnerState.WAITING:
            events += runner.answer(answers.get(st.name))
            continue
        n = int(batch_s * FS)
        pos = int(round(runner.elapsed_s * FS))
        env, codes = scripted(st.kind, pos + n, st.effort)
        env, codes = env[pos:], codes[pos:]
        if st.kind is StepKind.CONTRACT and pos == 0:  # the detector reports it
            contractions.append(ContractionEvent(
                id=len(contractions) + 1, onset_index=index * 20, onset_s=index / FS + 0.05,
                peak_uv=float(env[0]) * 1.2, peak_index=index * 20, time_to_peak_s=0.4,
                offset_index=index * 20 + 100, offset_s=index / FS + 1.0,
                recovery_latency_s=0.7))
        events += runner.tick(Samples(index, FS, env, codes, REST_UV), contractions)
        index = runner._cursor
    return runner, events


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_protocol_runs_in_order_and_measures(name):
    protocol = load_builtin(name)
    answers = {s.name: (s.rating.low + s.rating.high) // 2 for s in protocol.ratings}
    _runner, events = run(protocol, answers)
    started = [e.index for e in events if isinstance(e, StepStarted)]
    ended = [e for e in events if isinstance(e, StepEnded)]
    assert started == list(range(len(protocol.steps))) == [e.index for e in ended]
    assert isinstance(events[-1], SessionEnded) and events[-1].result.ended == "finished"
    res = events[-1].result
    for step, r in zip(protocol.steps, res.steps, strict=True):
        # breathing comes from the pressure channel, added by the live layer (test_guided)
        assert set(r.results) == (set(step.measure) - {"breathing"}
                                  if step.kind is not StepKind.RATING else {"rating"})
        if step.duration_s is not None and step.kind is not StepKind.RATING:
            assert r.duration_s == pytest.approx(step.duration_s)
        if "mean_uv" in r.results and step.kind is StepKind.REST:
            assert r.results["mean_uv"] == pytest.approx(REST_UV)
        if "percent_below_line" in r.results and step.kind is StepKind.REST:
            assert r.results["percent_below_line"] == pytest.approx(100.0)
        if "contraction_peak_uv" in r.results:
            assert r.results["contraction_peak_uv"] == pytest.approx(
                1.2 * (REST_UV + step.effort * (CONTRACT_UV - REST_UV)))
        if "relaxation_latency_s" in r.results and step.kind is StepKind.RELAX:
            assert r.results["relaxation_latency_s"] == pytest.approx(1.0)
    s = res.summary
    assert s["steps_completed"] == s["steps_total"] == len(protocol.steps)
    assert s["practised_s"] == pytest.approx(sum(r.duration_s for r in res.steps))
    assert s["ratings"] == {k: v for k, v in answers.items()}
    if any(st.sets_baseline for st in protocol.steps):
        assert s["baseline_uv"] == pytest.approx(REST_UV)


def test_assessment_summary_averages_the_repetitions_like_glazer():
    _runner, events = run(load_builtin("assessment"))
    res = events[-1].result
    blocks = res.summary["blocks"]
    assert set(blocks) == {"Quick flick", "Tonic hold"}
    flick = blocks["Quick flick"]["Flick"]
    assert flick["contraction_peak_uv"] == pytest.approx(1.2 * CONTRACT_UV)  # effort 1.0
    assert flick["rise_time_s"] == pytest.approx(0.4)
    assert flick["recovery_latency_s"] == pytest.approx(0.7)
    assert blocks["Tonic hold"]["Relax"]["end_level_ratio"] == pytest.approx(1.0)
    assert res.summary["after_before_ratio"] == pytest.approx(1.0)
    labels = [r.name for r in res.steps]
    assert labels[1:5] == ["Flick 1 of 5", "Full release 1 of 5", "Flick 2 of 5",
                           "Full release 2 of 5"]


def test_a_release_that_never_relaxes_times_out_and_is_not_completed():
    p = parse_protocol('''
[protocol]
name = "t"
title = "t"
description = "t"
[[step]]
name = "Release"
kind = "relax"
until = { relaxed_s = 5, timeout_s = 8 }
instruction = "Let go."
measure = ["percent_below_line"]
''')
    runner = SessionRunner(p, FS)
    runner.start(0)
    ev = runner.tick(Samples(0, FS, np.full(2000, 20.0), np.full(2000, T)))
    end = next(e for e in ev if isinstance(e, StepEnded))
    assert not end.result.completed and end.result.duration_s == pytest.approx(8.0)
    # relaxed for 5 s in a row ends it early, completed
    runner = SessionRunner(p, FS)
    runner.start(0)
    codes = np.r_[np.full(150, T), np.full(1000, R)]
    ev = runner.tick(Samples(0, FS, np.full(len(codes), 3.0), codes))
    end = next(e for e in ev if isinstance(e, StepEnded))
    assert end.result.completed and end.result.duration_s == pytest.approx(6.5)


def test_pause_does_not_count_and_stop_keeps_what_was_measured():
    p = load_builtin("down-training")
    runner = SessionRunner(p, FS)
    runner.start(0)
    runner.tick(Samples(0, FS, np.full(1000, 3.0), np.full(1000, R)))  # 10 s of settle
    runner.pause()
    runner.tick(Samples(1000, FS, np.full(3000, 3.0), np.full(3000, R)))  # 30 s paused
    assert runner.elapsed_s == pytest.approx(10.0)
    runner.resume()
    runner.tick(Samples(4000, FS, np.full(500, 3.0), np.full(500, R)))
    assert runner.elapsed_s == pytest.approx(15.0)
    ev = runner.stop("pain")
    res = next(e for e in ev if isinstance(e, SessionEnded)).result
    assert res.ended == "pain" and len(res.steps) == 1 and not res.steps[0].completed
    assert res.steps[0].results["mean_uv"] == pytest.approx(3.0)
    assert runner.finished and runner.stop() == []


def test_ratings_are_checked_and_can_be_skipped():
    p = load_builtin("dilator")
    runner = SessionRunner(p, FS)
    runner.start(0)
    assert runner.state is RunnerState.WAITING and runner.step.rating.scale == "dilator_size"
    with pytest.raises(ValueError):
        runner.answer(11)
    runner.answer(4)
    runner.answer(None)  # pain before: skipped
    assert runner.results[1].results == {"rating": None} and not runner.results[1].completed


def test_samples_that_never_arrived_still_pass_as_time_without_signal():
    p = load_builtin("down-training")
    runner = SessionRunner(p, FS)
    runner.start(0)
    runner.tick(Samples(0, FS, np.full(1000, 3.0), np.full(1000, R)))  # 10 s
    runner.tick(Samples(2000, FS, np.full(1000, 3.0), np.full(1000, R)))  # 10 s lost, 10 s
    assert runner.elapsed_s == pytest.approx(30.0)  # the step stays on the sample clock
    ev = runner.stop()
    res = next(e for e in ev if isinstance(e, SessionEnded)).result
    assert res.steps[0].results["mean_uv"] == pytest.approx(3.0)  # the gap is not data


def test_the_horizon_is_the_first_sample_at_which_the_step_can_end():
    """A live layer lets the signal core run up to the horizon and no further, so the marked
    rest and the line change on the boundary's sample (test_guided_delivery)."""
    p = load_builtin("tense-release")
    runner = SessionRunner(p, FS)
    assert runner.horizon() is None  # not started
    runner.start(0)
    settle = int(p.steps[0].duration_s * FS)
    assert runner.horizon() == settle
    runner.tick(Samples(0, FS, np.full(700, 3.0), np.full(700, R)))
    assert runner.horizon() == settle  # a duration: known from the start
    runner.tick(Samples(700, FS, np.full(settle - 700 + 500, 3.0),
                        np.full(settle - 700 + 500, T)))  # the tense step: 5 s
    release = p.steps[2].until
    assert runner.index == 2 and runner.cursor == settle + 500
    need = int(release.relaxed_s * FS)
    assert runner.horizon() == runner.cursor + need
    runner.tick(Samples(runner.cursor, FS, np.full(300, 3.0), np.full(300, R)))
    h = runner.horizon()
    assert h == runner.cursor + need - 300  # relaxed 3 s: the run need only go on
    runner.tick(Samples(runner.cursor, FS, np.full(100, 3.0), np.full(100, T)))
    assert runner.horizon() == runner.cursor + need  # the run broke: from here again
    start = runner.cursor
    runner.tick(Samples(start, FS, np.full(need + 50, 3.0), np.full(need + 50, R)))
    assert runner.index == 3 and runner.results[-1].end_s == pytest.approx((start + need) / FS)
    # a step that waits for the person has no horizon
    d = SessionRunner(load_builtin("dilator"), FS)
    d.start(0)
    assert d.state is RunnerState.WAITING and d.horizon() is None
