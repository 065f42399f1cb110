"""A guided session is on the sample clock: the same samples give the same steps and results
however they are delivered (block sizes, blocks per poll, a late poll), and re-scoring a
recording through the protocol finds the live run's steps (no timing assertions: a poll
interval is not a wait for an outcome)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from biofeedback.app.guided import GuidedSession
from biofeedback.app.live_session import LiveSession, RecordingRequest
from biofeedback.sessions.loader import parse_protocol
from biofeedback.sessions.protocol import Protocol
from biofeedback.sessions.results import SessionResult
from biofeedback.sessions.scripted import protocol_scenario

# the boundaries that change the processing: the end of the marked rest (known in advance), a
# line set at the start of the step after a release that ends on its condition (known only
# when the release's samples are in), and that line put back at the step's end
PROTOCOL = '''
[protocol]
name = "delivery"
title = "Delivery"
description = "Settle, squeeze, release on a condition, stay below a tighter line, again."

[[step]]
name = "Settle"
kind = "rest"
duration_s = 10
sets_baseline = true
instruction = "Breathe."
measure = ["mean_uv", "sd_uv"]

[[step]]
name = "Cycle"
repeat = 2

  [[step.steps]]
  name = "Tense"
  kind = "contract"
  duration_s = 4
  effort = 0.6
  instruction = "Squeeze."
  measure = ["contraction_peak_uv"]

  [[step.steps]]
  name = "Release"
  kind = "relax"
  until = { relaxed_s = 5, timeout_s = 20 }
  target = { kind = "below_line" }
  instruction = "Let go."
  measure = ["relaxation_latency_s", "end_level_ratio", "percent_below_line",
             "recovery_latency_s"]

  [[step.steps]]
  name = "Quiet"
  kind = "relax"
  duration_s = 6
  target = { kind = "below_line", line_factor = 0.9 }
  instruction = "Stay below the line."
  measure = ["percent_below_line", "mean_uv", "strain_s"]
'''

Poll = Callable[[LiveSession], None]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def eager(live: LiveSession) -> None:
    """Poll again at once (a short poll interval): few samples per poll."""
    time.sleep(0.001)


def late(live: LiveSession) -> None:
    """Poll only once the engine has done all it may (at its hold, or the source is done):
    as late as a poll can come, with the most samples per poll."""
    engine = live.engine
    assert engine is not None
    deadline = time.monotonic() + 60.0
    while engine.source.running and (engine.held_at is None
                                     or engine.done_display_end < engine.held_at):
        assert time.monotonic() < deadline, "the engine never got to its hold"
        time.sleep(0.001)  # a poll interval, not a wait for an outcome


def run(live: LiveSession, protocol: Protocol, wait: Poll) -> SessionResult:
    """The CLI's loop: poll, update; the source's end finishes (or stops) the session."""
    guided = GuidedSession(live, protocol)
    guided.start(0)
    deadline = time.monotonic() + 120.0
    while not guided.finished:
        wait(live)
        events = guided.update(live.poll())
        if not live.engine.source.running and not events:
            guided.update(live.poll())
            if not guided.finished:
                guided.stop("the source ended before the protocol did")
        assert time.monotonic() < deadline, "the session did not get there in time"
    assert guided.result is not None
    return guided.result


def steps(result: SessionResult) -> list[tuple]:
    return [(s.name, s.start_s, s.end_s, s.completed) for s in result.steps]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[SessionResult, Path]:
    """One fast live run on the simulated sensor, recorded."""
    tmp = tmp_path_factory.mktemp("delivery")
    protocol = parse_protocol(PROTOCOL)
    live = LiveSession(window_s=120.0)
    live.start("simulated:" + protocol_scenario(protocol), speed=0, hold_at=0,
               record=RecordingRequest("P201", tmp / "live.bdf"))
    try:
        result = run(live, protocol, eager)
    finally:
        path = live.stop()
    assert path is not None
    return result, path


def rescore(path: Path, block_s: float, wait: Poll) -> SessionResult:
    live = LiveSession(window_s=120.0)
    live.start(f"replay:{path}", speed=0, hold_at=0, fast_block_s=block_s)
    try:
        return run(live, parse_protocol(PROTOCOL), wait)
    finally:
        live.stop()


@pytest.fixture(scope="module")
def reference(recorded) -> SessionResult:
    """The recording re-scored in the CLI's way (2-s blocks, polled every few ms)."""
    return rescore(recorded[1], 2.0, eager)


def test_a_rescored_recording_finds_the_live_runs_steps(recorded, reference, data_dir):
    live_result, _path = recorded
    assert live_result.ended == reference.ended == "finished"
    assert [s.completed for s in live_result.steps] == [True] * 7
    assert steps(reference) == steps(live_result)
    for mine, theirs in zip(reference.steps, live_result.steps, strict=True):
        assert mine.results.keys() == theirs.results.keys()
        for key, value in mine.results.items():  # the file holds 24-bit samples
            assert value == pytest.approx(theirs.results[key], rel=1e-4, abs=1e-9), key


@pytest.mark.parametrize(("block_s", "wait"), [(0.02, eager), (0.02, late), (0.37, late),
                                               (5.0, late)],
                         ids=["20ms-eager", "20ms-late", "370ms-late", "5s-late"])
def test_the_same_samples_give_the_same_session_however_they_come(recorded, reference,
                                                                 block_s, wait, data_dir):
    again = rescore(recorded[1], block_s, wait)
    assert again.to_json_dict() == reference.to_json_dict()
