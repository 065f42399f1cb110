"""Replay review with the overview computed off the GUI thread: the window plays on while the
strip says "Reading the file…", the curve appears when the pass is done, a failure is one
line, and a stop while it is being read leaves nothing to paint late.

The overview's worker is held on an Event (a subclass of the real job, injected where the
session makes it), so "a long file" is a condition the test controls, not a sleep.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from biofeedback.app import live_session, overview
from biofeedback.app.overview import OverviewJob
from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats.edf import write_edf
from biofeedback.formats.errors import FormatError
from biofeedback.streams import Annotation, SignalSet
from biofeedback.ui.main_window import MainWindow
from biofeedback.ui.overview_strip import READING_TEXT

SCRIPT = "rest:4,contract:3@0.6,rest:5"


@pytest.fixture
def recording(tmp_path):
    scenario = Scenario.parse(SCRIPT)
    blocks = list(SimulatedSignal(scenario, SimulatedConfig(seed=5)).generate(scenario.duration_s))
    data = {s: np.concatenate([b.data for b in blocks if b.stream == s])
            for s in ("emg", "pressure")}
    ss = SignalSet(source_info(SimulatedConfig()).streams, data,
                   annotations=[Annotation(6.0, 0.0, "marker:2:probe in")])
    return write_edf(ss, tmp_path / "r.bdf")


@pytest.fixture
def held(monkeypatch):
    """The session's overview jobs wait for ``gate`` (or their cancel) before reading."""
    gate = threading.Event()
    jobs: list[OverviewJob] = []

    class HeldJob(OverviewJob):
        def __init__(self, *args, **kwargs) -> None:
            jobs.append(self)
            super().__init__(*args, **kwargs)

        def _run(self) -> None:
            while not gate.wait(0.005) and not self.cancelled:
                pass  # the slow disk's poll interval, not a wait for an outcome
            super()._run()

    monkeypatch.setattr(live_session, "OverviewJob", HeldJob)
    yield gate, jobs
    gate.set()


def _window(qtbot, path, speed: float = 1.0) -> MainWindow:
    win = MainWindow(f"replay:{path}", source_options={"speed": speed}, persist=False)
    qtbot.addWidget(win)
    win.show()
    return win


def test_the_window_plays_while_the_overview_is_read_then_draws_it(qtbot, recording, held):
    gate, jobs = held
    win = _window(qtbot, recording)
    assert win.start()
    strip = win.review.overview
    assert strip.message.isVisible() and strip.message.text() == READING_TEXT
    assert not strip.plot.isVisible() and strip.duration_s == 0.0
    # the timer keeps refreshing the plots and the transport while the pass is held
    qtbot.waitUntil(lambda: win.last_snapshot.time_s > 0.3, timeout=5000)
    assert win.review.transport.time_label.text().endswith("/ 0:12")
    assert strip.message.isVisible() and not jobs[0].done
    gate.set()
    qtbot.waitUntil(lambda: strip.plot.isVisible(), timeout=5000)
    assert not strip.message.isVisible()
    assert strip.duration_s == pytest.approx(12.0, abs=0.1) and strip.marker_count == 1
    win.stop()


def test_stopping_while_the_overview_is_read_cancels_it_without_a_late_paint(qtbot, recording,
                                                                             held):
    gate, jobs = held
    win = _window(qtbot, recording)
    assert win.start()
    strip = win.review.overview
    drawn: list = []
    strip.set_overview = lambda ov: drawn.append(ov)  # any late paint would land here
    win.stop()
    assert win.review is None and jobs[0].cancelled
    assert jobs[0].wait(5.0)
    gate.set()
    assert jobs[0].result is None and jobs[0].problem is None
    assert win.start()  # a fresh replay gets a fresh job, and draws it
    assert len(jobs) == 2 and not jobs[1].cancelled
    qtbot.waitUntil(lambda: win.review.overview.plot.isVisible(), timeout=5000)
    assert drawn == []
    win.stop()


def test_an_overview_that_cannot_be_read_says_so_in_one_line(qtbot, recording, monkeypatch):
    def broken(reader, *args, **kwargs):
        raise FormatError(reader.path, "the disk went away")

    monkeypatch.setattr(overview, "file_overview", broken)
    win = _window(qtbot, recording)
    assert win.start()
    strip = win.review.overview
    qtbot.waitUntil(lambda: strip.message.text() != READING_TEXT, timeout=5000)
    text = strip.message.text()
    assert text.startswith("The overview could not be drawn:") and "the disk went away" in text
    assert "\n" not in text and strip.message.isVisible() and not strip.plot.isVisible()
    assert win.session.running  # the replay itself goes on
    win.stop()
