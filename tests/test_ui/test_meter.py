"""The relaxation meter repaints only what changed, and holds its µV reading still enough to read."""

from __future__ import annotations

import dataclasses

import pytest
from PyQt6.QtCore import QPoint, QRect
from PyQt6.QtGui import QRegion

from biofeedback.app.feedback import MeterView
from biofeedback.signal import FeedbackState
from biofeedback.ui import meter as meter_module
from biofeedback.ui.meter import NUMBER_HOLD_S, RelaxationMeterWidget

RELAXED = MeterView(FeedbackState.RELAXED, "Relaxed", "for 4 s", 0.20, 0.35, 3.0, 5.0, 20.0,
                    4.0, None, None)


class _Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def meter(qtbot, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(meter_module.time, "monotonic", clock)
    w = RelaxationMeterWidget()
    qtbot.addWidget(w)
    w.resize(260, 600)
    w.show()
    qtbot.waitExposed(w)
    updates: list[QRect | None] = []
    real_update = w.update

    def record(*args):
        updates.append(args[0] if args else None)
        real_update(*args)

    monkeypatch.setattr(w, "update", record)
    w.set_view(RELAXED, False)
    updates.clear()
    return w, clock, updates


def test_a_moving_bar_repaints_the_gauge_only(meter):
    w, clock, updates = meter
    clock.t += NUMBER_HOLD_S / 3
    w.set_view(dataclasses.replace(RELAXED, level=0.30, envelope_uv=3.05), False)
    assert len(updates) == 1 and isinstance(updates[0], QRect)
    gauge = updates[0]
    assert gauge.top() == 0 and gauge.bottom() < w._words_area().top()


def test_the_reading_is_held_then_follows(meter):
    w, clock, updates = meter
    clock.t += NUMBER_HOLD_S / 3
    w.set_view(dataclasses.replace(RELAXED, envelope_uv=3.4), False)
    assert updates == [] and w._words_key()[-1] == 3.0  # the same bar, the reading held
    clock.t += NUMBER_HOLD_S
    w.set_view(dataclasses.replace(RELAXED, envelope_uv=3.4), False)
    assert updates == [w._words_area()] and w._words_key()[-1] == 3.4


def test_a_new_state_repaints_everything_and_shows_its_number_at_once(meter):
    w, clock, updates = meter
    clock.t += NUMBER_HOLD_S / 3
    tight = dataclasses.replace(RELAXED, state=FeedbackState.TIGHT, headline="Tight",
                                detail="let it soften", level=0.8, envelope_uv=12.0)
    w.set_view(tight, False)
    assert updates == [None] and w._words_key()[-1] == 12.0
    assert "Tight" in w.headline()


def test_a_partial_repaint_leaves_the_same_pixels_as_a_full_one(meter):
    """Paint state A fully, move the bar (B) and repaint only the region ``set_view`` asked
    for on top of it: the picture equals a full paint of B."""
    w, clock, updates = meter
    screen = w.grab().toImage()
    clock.t += NUMBER_HOLD_S / 3
    w.set_view(dataclasses.replace(RELAXED, level=0.55, envelope_uv=3.1), False)
    assert len(updates) == 1 and isinstance(updates[0], QRect)
    w.render(screen, QPoint(), QRegion(updates[0]))
    assert screen == w.grab().toImage()
