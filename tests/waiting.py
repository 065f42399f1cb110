"""Waiting on a condition, never for a fixed time: a loaded CI machine is slow, not wrong."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(cond: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Return as soon as ``cond()`` holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or cond}")
        time.sleep(0.005)  # a poll interval, not a wait for an outcome


def journal_seconds(path) -> float:
    """Seconds of samples a live recording journal holds on disk (0 while none can be read):
    what a test waits for before it stops or kills the recorder."""
    from biofeedback.formats.bfrec_reader import JournalReader
    from biofeedback.formats.errors import FormatError

    try:
        reader = JournalReader(path)
    except (FormatError, OSError):
        return 0.0
    try:
        return reader.duration_s
    finally:
        reader.close()


def settled(value: Callable[[], object], quiet_s: float = 0.1, timeout: float = 10.0) -> object:
    """``value()`` once it has stopped changing for ``quiet_s`` (e.g. after a pause, the block
    a thread was delivering has landed)."""
    deadline = time.monotonic() + timeout
    last, since = value(), time.monotonic()
    while time.monotonic() - since < quiet_s:
        if time.monotonic() > deadline:
            raise AssertionError(f"{value} kept changing for {timeout} s")
        time.sleep(0.005)
        now = value()
        if now != last:
            last, since = now, time.monotonic()
    return last


def pace_by_refreshes(win, step_s: float = 0.5) -> None:
    """Pace a window's fast simulation by its refreshes: after each one the engine may process
    at most ``step_s`` of signal past what it had done, then waits for the next. A test that
    judges what the window showed during a few seconds of a 10-20x scenario then sees them
    however slow the machine is. Start the session with ``hold_at=0`` in its source options
    (``MainWindow(spec, source_options={"speed": ..., "hold_at": 0})``)."""
    from biofeedback.app.acquisition import DISPLAY_HZ

    def move() -> None:
        engine = win.session.engine
        if engine is not None:
            engine.hold_at(engine.done_display_end + int(step_s * DISPLAY_HZ))

    win.timer.timeout.connect(move)
