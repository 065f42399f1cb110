"""The meter in the real window tells the truth in the situations this patient group produces.

Scripted simulated scenarios at 20x real time; every refresh of the window is recorded (what
the meter showed and the snapshot it came from), so nothing depends on a fixed wait. The
simulation is paced by the refreshes (the engine holds at most ``STEP_S`` of signal ahead of
the last refresh): on a slow or loaded machine the window still sees every half second of the
scenario, as it would in real time, instead of the signal outrunning its paints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from waiting import pace_by_refreshes

from biofeedback.app.live_session import LiveSession
from biofeedback.app.live_types import SessionPhase
from biofeedback.signal import FeedbackState
from biofeedback.ui.main_window import MainWindow

SPEED = 20.0
STEP_S = 0.5  # the most signal the engine may process ahead of the last refresh


@dataclass(frozen=True)
class Frame:
    t: float  # display time of the snapshot shown
    state: str  # what the meter showed
    headline: str
    envelope_uv: float
    line_uv: float
    strain: bool
    provisional: bool


def _run(qtbot, spec: str, until_s: float | None = None) -> tuple[MainWindow, list[Frame]]:
    # a 60 s buffer keeps the whole scenario for the per-sample checks
    win = MainWindow(spec, source_options={"speed": SPEED, "hold_at": 0}, persist=False,
                     session=LiveSession(window_s=60.0))
    qtbot.addWidget(win)
    win.show()
    pace_by_refreshes(win, STEP_S)
    frames: list[Frame] = []

    def record() -> None:
        snap = win.last_snapshot
        if snap.status is None or snap.phase is not SessionPhase.RUNNING:
            return
        v = win.meter.view
        frames.append(Frame(snap.time_s, v.key, v.headline, v.envelope_uv, v.line_uv,
                            snap.status.strain, snap.status.baseline_provisional))

    win.timer.timeout.connect(record)  # after the window's own refresh (connected first)
    assert win.start()
    if until_s is None:
        qtbot.waitUntil(lambda: win.session.phase() is SessionPhase.ENDED, timeout=20_000)
    else:
        qtbot.waitUntil(lambda: win.last_snapshot.time_s >= until_s, timeout=20_000)
    return win, frames


def test_guarded_start_is_never_called_relaxed_and_rest_is_learned(qtbot):
    """20 s of guarding at the start (9x rest), then rest: the guarding is never 'Relaxed'."""
    win, frames = _run(qtbot, "simulated:contract:20@0.4,rest:30")
    guarding = [f for f in frames if f.t < 20.0]
    assert len(guarding) >= 10, "too few refreshes during the guarding to judge"
    assert not any(f.state == "relaxed" or f.headline == "Relaxed" for f in guarding)
    # the per-sample states behind the meter agree: not one relaxed sample while guarding
    tr = win.session.traces(60.0)
    during = tr.feedback[(tr.env_t < 20.0) & np.isfinite(tr.feedback)]
    assert during.size and not np.any(during == FeedbackState.RELAXED)
    # the resting level ends within 25 % of the true rest (measured on the rest itself)
    rest = tr.envelope[(tr.env_t > 30.0) & (tr.env_t < 49.0), 0]
    true_rest = float(np.nanmedian(rest))
    assert 2.0 < true_rest < 4.0  # ~2.9 µV RMS for the simulated sensor
    st = win.last_snapshot.status
    assert st is not None and math.isfinite(st.baseline_mean_uv)
    assert abs(st.baseline_mean_uv - true_rest) <= 0.25 * true_rest
    # and the person is told relaxed once she really rests
    assert any(f.state == "relaxed" for f in frames if f.t > 30.0)
    win.stop()


def test_bearing_down_is_never_shown_as_relaxed(qtbot):
    win, frames = _run(qtbot, "simulated:strain", until_s=30.0)
    straining = [f for f in frames if f.strain]
    assert straining, "the strain flag never rose: the scenario did not bear down"
    assert not any(f.state == "relaxed" for f in straining)
    assert any(f.state == "bearing_down" for f in straining)
    assert "Relaxed" not in {f.headline for f in straining}
    win.stop()


def test_slow_release_turns_relaxed_when_the_envelope_crosses_the_line(qtbot):
    # the last rest leaves the window time to show the second release before the session
    # ends (frames are recorded while it runs; a loaded machine paints late)
    spec = "simulated:rest:10,contract:5@0.6,rest:15~3,contract:5@0.6,rest:30~3"
    win, frames = _run(qtbot, spec)
    crossings = 0
    for i in range(1, len(frames) - 1):
        before, now = frames[i - 1], frames[i]
        if before.provisional or now.provisional or not (
                math.isfinite(now.envelope_uv) and math.isfinite(now.line_uv)):
            continue
        if before.envelope_uv >= before.line_uv and now.envelope_uv < now.line_uv:
            crossings += 1
            # relaxed on this refresh or the next one: never left saying "Tight"
            assert "relaxed" in (now.state, frames[i + 1].state), (before, now, frames[i + 1])
    assert crossings >= 2  # both releases were seen crossing the line
    st = win.last_snapshot.status
    assert st is not None and st.contraction_count == 2  # a release tail is not a contraction
    assert win.controls.time_label.text().endswith("contractions: 2")
    win.stop()
