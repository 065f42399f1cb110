"""The overview off the GUI thread: the result arrives later, a failure is one line, and a
stop while it is being computed cancels it (nothing arrives, the reader is let go of first).

A reader wrapper holds the overview thread's reads on an Event, so "slow" is a condition the
test controls, not a sleep.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from biofeedback.app.live_session import LiveSession
from biofeedback.app.overview import OverviewJob, file_overview
from biofeedback.devices.replay import ReplaySource
from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats.errors import FormatError
from biofeedback.formats.reader import MemoryReader, SignalReader
from biofeedback.formats.signal_file import open_signal_file, write_signal_file
from biofeedback.streams import SignalSet


class GatedReader(SignalReader):
    """``inner``, except that reads on the overview's thread wait for ``gate`` (or for
    ``released()``), and raise ``fail`` if one is set. Replay reads pass straight through."""

    def __init__(self, inner: SignalReader, fail: Exception | None = None) -> None:
        super().__init__()
        self.inner, self.fail = inner, fail
        self.path, self.streams = inner.path, inner.streams
        self.annotations, self.start_time = inner.annotations, inner.start_time
        self.patient_code, self.metadata = inner.patient_code, inner.metadata
        self._counts = {s.name: inner.n_samples(s.name) for s in inner.streams}
        self.gate, self.entered = threading.Event(), threading.Event()
        self.released: Callable[[], bool] = lambda: False
        self.closed = self.read_after_close = False

    def _read(self, stream: str, start: int, stop: int) -> np.ndarray:
        if threading.current_thread().name == "file-overview":
            self.entered.set()
            while not self.gate.wait(0.005) and not self.released():
                pass  # a poll interval of the fake disk, not a wait for an outcome
            if self.fail is not None:
                raise self.fail
            self.read_after_close |= self.closed
        return self.inner.read(stream, start, stop)

    def close(self) -> None:
        self.closed = True


class ClosingReplay(ReplaySource):
    """A replay that closes the reader it was given when it closes, as one that opened its
    file does (so a read after the close is seen)."""

    def __init__(self, reader: GatedReader, **opts: object) -> None:
        super().__init__(reader, **opts)  # type: ignore[arg-type]
        self.gated = reader

    def _close(self) -> None:
        self.gated.close()


def _recording(tmp_path: Path, script: str = "rest:3,contract:2@0.6,rest:4") -> Path:
    scenario = Scenario.parse(script)
    blocks = list(SimulatedSignal(scenario, SimulatedConfig(seed=3)).generate(scenario.duration_s))
    data = {s: np.concatenate([b.data for b in blocks if b.stream == s])
            for s in ("emg", "pressure")}
    ss = SignalSet(source_info(SimulatedConfig()).streams, data)
    return write_signal_file(ss, tmp_path / "r.bdf")


def test_the_overview_arrives_later_and_equals_the_direct_pass(tmp_path):
    with open_signal_file(_recording(tmp_path)) as inner:
        reader = GatedReader(inner)
        job = OverviewJob(reader, bins=300)
        assert reader.entered.wait(5.0)
        assert not job.done and job.result is None  # still reading: the caller goes on
        reader.gate.set()
        assert job.wait(10.0)
        direct = file_overview(inner, 300, chunk_s=60.0)
    assert job.problem is None and job.result is not None
    assert np.array_equal(job.result.t, direct.t)
    assert np.allclose(job.result.rms_uv, direct.rms_uv, rtol=1e-12, atol=0)
    assert job.result.duration_s == pytest.approx(direct.duration_s)


def test_a_failing_file_gives_one_line_not_a_traceback(tmp_path):
    with open_signal_file(_recording(tmp_path)) as inner:
        reader = GatedReader(inner, fail=FormatError(inner.path, "the disk went away"))
        reader.gate.set()
        job = OverviewJob(reader)
        assert job.wait(10.0)
    assert job.result is None and job.problem is not None
    assert job.problem.startswith("The overview could not be drawn:")
    assert "r.bdf" in job.problem and "the disk went away" in job.problem
    assert "\n" not in job.problem and "Traceback" not in job.problem


def test_a_cancelled_job_delivers_nothing_even_if_the_read_finishes(tmp_path):
    with open_signal_file(_recording(tmp_path)) as inner:
        reader = GatedReader(MemoryReader(inner.to_signal_set(), inner.path))
    job = OverviewJob(reader)
    assert reader.entered.wait(5.0)
    job.cancel(timeout=0.0)  # do not wait: the read is still held
    assert job.cancelled
    reader.gate.set()
    assert job.wait(10.0)
    assert job.result is None and job.problem is None


def test_stopping_the_replay_while_the_overview_is_read_cancels_it_first(tmp_path):
    with open_signal_file(_recording(tmp_path)) as inner:
        reader = GatedReader(inner)
        s = LiveSession(opener=lambda spec, **opts: ClosingReplay(reader, **opts))
        s.start("replay:gated", speed=1.0)
        try:
            job = s.start_file_overview(bins=200)
            assert job is not None
            reader.released = lambda: job.cancelled  # the held read ends once cancelled
            assert reader.entered.wait(5.0) and not job.done
        finally:
            t0 = time.monotonic()
            s.stop()
        assert time.monotonic() - t0 < 1.5  # the cancel took, not the 2-s join timeout
        assert job.done and job.cancelled
        assert job.result is None and job.problem is None  # nothing arrives late
        assert reader.closed and not reader.read_after_close  # let go before the close
        assert s.start_file_overview() is None  # no replay, no overview


def test_the_session_overview_job_matches_file_overview(tmp_path):
    path = _recording(tmp_path)
    s = LiveSession()
    s.start(f"replay:{path}", speed=1.0)
    try:
        job = s.start_file_overview(bins=500)
        assert job is not None and job.wait(10.0)
        direct = s.file_overview(bins=500)
        assert job.result is not None and direct is not None
        assert np.allclose(job.result.rms_uv, direct.rms_uv, rtol=1e-12, atol=0)
    finally:
        s.stop()
