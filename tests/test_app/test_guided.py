"""A guided session on a live session: steps drive the marked rest and the line, results carry
breathing from the pressure channel, a pain stop is noted and loses nothing."""

from __future__ import annotations

import time

import pytest

from biofeedback.app.guided import GuidedSession
from biofeedback.app.live_session import LiveSession, RecordingRequest
from biofeedback.app.live_types import SessionError
from biofeedback.formats.signal_file import read_signal_file
from biofeedback.sessions.loader import parse_protocol
from biofeedback.sessions.runner import StepStarted
from biofeedback.sessions.scripted import protocol_scenario

PROTOCOL = '''
[protocol]
name = "short"
title = "Short practice"
description = "Settle, breathe, squeeze, quiet practice below the line."

[[step]]
name = "Settle"
kind = "rest"
duration_s = 8
sets_baseline = true
instruction = "Breathe."
measure = ["mean_uv", "sd_uv"]

[[step]]
name = "Breathe"
kind = "breathe"
duration_s = 40
pacer = { inhale_s = 4, exhale_s = 6 }
instruction = "Breathe with the circle."
measure = ["percent_below_line", "breathing"]

[[step]]
name = "Squeeze"
kind = "contract"
duration_s = 3
effort = 0.6
instruction = "Squeeze."
measure = ["contraction_peak_uv"]

[[step]]
name = "Quiet"
kind = "relax"
duration_s = 10
target = { kind = "below_line", line_factor = 0.9 }
instruction = "Stay below the line."
measure = ["percent_below_line"]
'''


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def drive(live: LiveSession, guided: GuidedSession, until=lambda g: g.finished,
          timeout: float = 30.0) -> list:
    """The window's timer loop: poll the live session, update the guided session."""
    events: list = []
    deadline = time.monotonic() + timeout
    while not until(guided):
        events += guided.update(live.poll())
        assert time.monotonic() < deadline, "the session did not get there in time"
        time.sleep(0.005)  # a poll interval, not a wait for an outcome
    return events


def test_steps_set_the_baseline_and_the_line_and_measure_breathing(tmp_path, data_dir):
    protocol = parse_protocol(PROTOCOL)
    live = LiveSession(window_s=120.0)
    live.start("simulated:" + protocol_scenario(protocol), speed=0,
               record=RecordingRequest("P101", tmp_path / "g.bdf"))
    guided = GuidedSession(live, protocol)
    guided.start(0)
    try:
        drive(live, guided, until=lambda g: g.runner.index == 3)  # the quiet practice
        st = live.snapshot().status
        assert st.baseline_source == "marked"  # the settle step was the marked rest
        assert live.line_is_manual
        assert st.threshold_uv == pytest.approx(0.9 * st.baseline_mean_uv, rel=0.02)
        drive(live, guided)
        assert not live.line_is_manual  # the line is back to automatic after the step
    finally:
        path = live.stop()
    res = guided.result
    assert res is not None and res.ended == "finished"
    breathe = res.steps[1].results
    assert breathe["breathing_breaths"] >= 5
    assert 8 < breathe["breathing_per_min"] < 16  # the simulated person breathes ~12/min
    assert breathe["breathing_pacer_deviation_per_min"] == pytest.approx(
        abs(breathe["breathing_per_min"] - 6.0))
    assert res.summary["breathing"]["Breathe"]["breaths"] == breathe["breathing_breaths"]
    assert res.steps[2].results["contraction_peak_uv"] > 20
    texts = [a.text for a in read_signal_file(path).annotations]
    assert [t for t in texts if t.startswith("protocol:")] == [
        "protocol:Settle", "protocol:Breathe", "protocol:Squeeze", "protocol:Quiet"]


def test_a_pain_stop_ends_the_session_keeps_recording_and_is_noted(tmp_path, data_dir):
    protocol = parse_protocol(PROTOCOL)
    live = LiveSession(window_s=120.0)
    live.start("simulated:rest", speed=0, record=RecordingRequest("P102", tmp_path / "p.bdf"))
    guided = GuidedSession(live, protocol)
    events = guided.start()
    assert isinstance(events[0], StepStarted)
    drive(live, guided, until=lambda g: g.runner.elapsed_s > 3)
    guided.stop("pain")
    assert guided.finished and guided.result.ended == "pain"
    assert live.recording and live.running  # the recording goes on
    path = live.stop()
    texts = [a.text for a in read_signal_file(path).annotations]
    assert "note:stopped: pain" in texts and "protocol:Settle" in texts
    assert live.snapshot().status is None
    with pytest.raises(SessionError):
        GuidedSession(live, protocol)  # not streaming any more
