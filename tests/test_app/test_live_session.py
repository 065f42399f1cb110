"""The live-session layer: the window, ``record`` and headless runs drive the same object.

Real sources throughout (simulated sensor, file replay, the compiled firmware emulator on a
pty); staleness is tested on an injected clock, never by sleeping; waits are on conditions.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from biofeedback.app.live_session import LiveSession, RecordingRequest, explain_start_failure
from biofeedback.app.live_types import (
    ContractionFinished,
    EndOfRecording,
    LinkState,
    NoticeKind,
    RecordingSaved,
    SessionError,
    SessionPhase,
)
from biofeedback.devices import emulator as emu_mod
from biofeedback.formats.signal_file import read_signal_file
from biofeedback.signal import FeedbackState


def wait_until(cond: Callable[[], bool], session: LiveSession, timeout: float = 20.0) -> list:
    """Poll the session (as the window's timer does) until ``cond`` holds; return the events."""
    events: list = []
    deadline = time.monotonic() + timeout
    while not cond():
        events += session.poll()
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)  # a poll interval, not a wait for an outcome
    return events + session.poll()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_idle_snapshot_before_start_and_after_stop():
    s = LiveSession()
    snap = s.snapshot()
    assert snap.phase is SessionPhase.IDLE and snap.link is LinkState.IDLE
    assert snap.meter.headline == "Not started" and not snap.notices
    s.start("simulated:rest", speed=0)
    wait_until(lambda: s.snapshot().time_s > 2, s)
    assert s.snapshot().simulated and s.snapshot().link is LinkState.SIMULATED
    s.stop()
    snap = s.snapshot()
    assert (snap.phase, snap.link, snap.meter.headline) == (SessionPhase.IDLE, LinkState.IDLE,
                                                           "Not started")
    assert snap.status is None and snap.time_s == 0.0


def test_a_source_that_delivers_nothing_is_not_answering_within_the_stale_time():
    clock = FakeClock()
    s = LiveSession(clock=clock)
    # the simulated sensor paces itself on its own (frozen) clock: it delivers one block, then
    # waits for ever, like a sensor that stopped answering
    frozen = FakeClock()
    s.start("simulated:rest", clock=frozen)
    try:
        wait_until(lambda: s.engine is not None and s.engine.blocks > 0, s)
        assert s.snapshot().link is LinkState.SIMULATED
        clock.now += 0.9
        assert s.snapshot().link is LinkState.SIMULATED  # under a second: still fine
        clock.now += 0.2
        snap = s.snapshot()
        assert snap.link is LinkState.NOT_ANSWERING
        assert snap.meter.state is FeedbackState.NO_SIGNAL
        assert snap.meter.detail == "the sensor is not answering"
        assert snap.notice is not None and snap.notice.kind is NoticeKind.NOT_ANSWERING
    finally:
        s.stop()


def test_notices_have_priorities(monkeypatch):
    clock = FakeClock()
    s = LiveSession(clock=clock)
    s.start("simulated:rest", clock=FakeClock())
    try:
        wait_until(lambda: s.engine is not None and s.engine.blocks > 0, s)
        run = s._run
        assert run is not None
        run.gap_notice = (clock.now, "12 emg samples lost")
        assert s.snapshot().notice.kind is NoticeKind.GAP
        clock.now += 2.0  # now also not answering: the gap message must not hide it
        kinds = [n.kind for n in s.snapshot().notices]
        assert kinds[0] is NoticeKind.NOT_ANSWERING and NoticeKind.GAP in kinds
        clock.now += 10.0  # the gap notice expires, the link problem stays
        assert [n.kind for n in s.snapshot().notices] == [NoticeKind.NOT_ANSWERING]
    finally:
        s.stop()


def test_the_line_the_user_set_survives_stop_and_start():
    s = LiveSession()
    s.start("simulated:rest", speed=0)
    s.set_line(7.5)
    wait_until(lambda: s.snapshot().status is not None
               and s.snapshot().status.threshold_uv == 7.5, s)
    s.stop()
    s.start("simulated:rest", speed=0)
    try:
        wait_until(lambda: s.snapshot().status.last_index > 4000, s)
        snap = s.snapshot()
        assert snap.status.threshold_uv == 7.5 and snap.line_is_manual
        s.set_line(None)  # back to automatic
        wait_until(lambda: s.snapshot().status.threshold_uv != 7.5, s)
        assert not s.snapshot().line_is_manual
    finally:
        s.stop()
    with pytest.raises(ValueError):
        s.set_line(-1.0)


def test_a_recording_through_the_session_carries_contractions_markers_and_steps(data_dir):
    s = LiveSession()
    # held at the first sample while the recording starts: a fast simulation left to run on
    # (a loaded machine) could pass the contraction before the recorder is attached
    s.start("simulated:rest:3,contract:3@0.6,rest:5", speed=0, hold_at=0)
    journal = s.start_recording("P017")
    assert journal.exists()
    assert s.engine is not None
    s.engine.hold_at(None)
    marker = s.add_marker(3, "probe in")
    assert marker is not None and marker.recorded
    events = wait_until(lambda: s.phase() is SessionPhase.ENDED, s)
    assert any(isinstance(e, EndOfRecording) for e in events)
    assert sum(isinstance(e, ContractionFinished) for e in events) == 1
    path = s.stop()
    assert path is not None and path.suffix == ".bdf"
    assert next(e for e in s.poll() if isinstance(e, RecordingSaved)).path == path
    texts = [a.text for a in read_signal_file(path).annotations]
    assert "contraction" in texts and any(t.startswith("marker:3") for t in texts)


def test_replay_reports_file_time_after_a_seek_and_ends_cleanly(tmp_path, data_dir):
    # recorded from the first sample, so the file is the whole 10 s whatever the load: a
    # recording started after a fast simulation had run on could end before the 6 s sought
    rec = LiveSession()
    rec.start("simulated:rest:2,contract:2@0.6,rest:6", speed=0,
              record=RecordingRequest("P001", tmp_path / "r.bdf"))
    wait_until(lambda: rec.phase() is SessionPhase.ENDED, rec)
    path = rec.stop()
    duration = read_signal_file(path).duration_s
    assert duration == pytest.approx(10.0, abs=0.05)
    s = LiveSession()
    s.start(f"replay:{path}", speed=0)
    s.replay.pause()
    s.replay.seek(6.0)
    s.replay.resume()
    try:
        wait_until(lambda: s.phase() is SessionPhase.ENDED, s)
        snap = s.snapshot()
        assert snap.time_s == pytest.approx(duration, abs=0.05)  # file time, not stream time
        assert snap.meter.headline == "End of recording" and snap.link is LinkState.ENDED
        tr = s.traces(3.0)
        assert tr.env_t[-1] == pytest.approx(duration, abs=0.05)
        ov = s.file_overview()
        assert ov is not None and ov.duration_s == pytest.approx(duration)
        with pytest.raises(SessionError):
            s.start_recording("P001")
    finally:
        s.stop()


def test_start_failures_are_one_actionable_line(tmp_path):
    s = LiveSession()
    with pytest.raises(SessionError) as exc:
        s.start("serial:/dev/does-not-exist")
    msg = str(exc.value)
    assert msg.startswith("Could not open the sensor on /dev/does-not-exist:")
    assert "Ports found:" in msg and "\n" not in msg
    perm = explain_start_failure("/dev/ttyACM0", PermissionError(13, "Permission denied"))
    assert "dialout" in perm
    with pytest.raises(SessionError):
        s.start(f"replay:{tmp_path / 'missing.bdf'}")
    assert s.snapshot().phase is SessionPhase.IDLE


@pytest.fixture(scope="module")
def emulator_binary() -> str:
    try:
        return str(emu_mod.find_emulator())
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"sensor emulator cannot be built here (needs make and gcc): {exc}")


@pytest.mark.firmware
@pytest.mark.parametrize("how", ["kill", "freeze"])
def test_a_killed_or_frozen_emulator_gives_no_signal_within_a_second(emulator_binary, how):
    emu = emu_mod.EmulatorProcess(binary=emulator_binary, scenario="test")
    port = emu.start()
    s = LiveSession()
    try:
        s.start(f"serial:{port}")
        wait_until(lambda: s.engine.blocks > 20, s)
        assert s.snapshot().meter.state is not FeedbackState.NO_SIGNAL
        assert emu.proc is not None
        t0 = time.monotonic()
        if how == "kill":
            emu.kill()
        else:
            os.kill(emu.proc.pid, signal.SIGSTOP)
        wait_until(lambda: s.snapshot().meter.state is FeedbackState.NO_SIGNAL, s, timeout=5)
        assert time.monotonic() - t0 <= 1.0 + 0.25  # the stale time plus a poll and a block
        assert s.snapshot().link in (LinkState.NOT_ANSWERING, LinkState.DISCONNECTED,
                                     LinkState.RECONNECTING)
    finally:
        if how == "freeze" and emu.proc is not None and emu.proc.poll() is None:
            os.kill(emu.proc.pid, signal.SIGCONT)
        s.stop()
        emu.terminate()


def test_a_name_or_a_birth_date_never_becomes_a_recording(data_dir):
    s = LiveSession()
    s.start("simulated:rest", speed=0)
    try:
        for bad in ("Jane Doe", "P017 1980-01-02"):
            with pytest.raises(SessionError, match="looks like"):
                s.start_recording(bad)
        assert not s.recording
    finally:
        s.stop()
