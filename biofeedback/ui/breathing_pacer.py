"""The breathing pacer: a circle that grows on the in-breath and shrinks on the out-breath.

It is driven by the step's elapsed time on the sample clock (``StepView.elapsed_s``), never by
a wall clock, so a paused session or a stalled sensor freezes it, and a test can check its
phase at a known time. The rate and the in:out ratio are chosen within clinical.md §5's
ranges (4-7 breaths a minute, inhale/exhale 0.4-1.0, 4 s / 6 s offered as the gentler
alternative) by :class:`PacerChoice`. Painting is cheap: one ellipse and one line of text,
no layout per frame (only :meth:`QWidget.update` when the picture changed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPen
from PyQt6.QtWidgets import QComboBox, QWidget

from biofeedback.sessions.protocol import Pacer
from biofeedback.ui import theme

RATE_RANGE = (4.0, 7.0)  # breaths per minute (clinical.md §5)
IE_RANGE = (0.4, 1.0)  # inhale / exhale
BREATHE_IN, BREATHE_OUT = "Breathe in\u2026", "Breathe out\u2026"
MIN_RADIUS = 0.35  # of the largest circle: the circle never vanishes


@dataclass(frozen=True)
class PacerPhase:
    inhaling: bool
    fraction: float  # 0..1 through the current in- or out-breath
    size: float  # the circle, 0 (empty lungs) .. 1 (full)

    @property
    def text(self) -> str:
        return BREATHE_IN if self.inhaling else BREATHE_OUT


def pacer_phase(pacer: Pacer, t_s: float) -> PacerPhase:
    """Where in the breath ``t_s`` seconds into the step is (in-breath first)."""
    cycle = pacer.inhale_s + pacer.exhale_s
    t = max(0.0, t_s) % cycle if cycle > 0 else 0.0
    if t < pacer.inhale_s:
        f = t / pacer.inhale_s
        return PacerPhase(True, f, _ease(f))
    f = (t - pacer.inhale_s) / pacer.exhale_s
    return PacerPhase(False, f, 1.0 - _ease(f))


def _ease(f: float) -> float:
    """Slow at both ends, as breath is (a half cosine)."""
    return 0.5 - 0.5 * math.cos(math.pi * min(max(f, 0.0), 1.0))


def in_range(pacer: Pacer) -> bool:
    lo, hi = RATE_RANGE
    return (lo - 1e-6 <= pacer.rate_per_min <= hi + 1e-6
            and IE_RANGE[0] - 1e-6 <= pacer.ie_ratio <= IE_RANGE[1] + 1e-6)


def describe(pacer: Pacer) -> str:
    """``"6/min: in 3 s, out 7 s"``."""
    return (f"{pacer.rate_per_min:.2g}/min: in {pacer.inhale_s:g} s, "
            f"out {pacer.exhale_s:g} s")


#: The pacers offered besides the protocol's own (all within clinical.md §5's ranges).
PRESETS: tuple[tuple[str, Pacer], ...] = (
    ("gentler", Pacer(4.0, 6.0)),
    ("", Pacer(3.0, 7.0)),
    ("", Pacer(4.0, 8.0)),
    ("", Pacer(5.0, 10.0)),
    ("even", Pacer(5.0, 5.0)),
    ("", Pacer(3.6, 5.0)),
)


class PacerChoice(QComboBox):
    """The small selector: "As the protocol says" first, then :data:`PRESETS`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setToolTip("Breathing pace: 4-7 breaths a minute with a longer out-breath "
                        "(clinical.md §5); 4 s in / 6 s out is the gentler choice")
        self.set_protocol_pacer(None)

    def set_protocol_pacer(self, pacer: Pacer | None) -> None:
        """The first entry follows the step's own pacer (kept selected if it was)."""
        keep = self.currentIndex()
        self.blockSignals(True)
        self.clear()
        own = f"Protocol: {describe(pacer)}" if pacer else "As the protocol says"
        self.addItem(own, None)
        for note, p in PRESETS:
            self.addItem(describe(p) + (f" ({note})" if note else ""), p)
        self.setCurrentIndex(max(0, keep))
        self.blockSignals(False)

    def select(self, pacer: Pacer | None) -> None:
        """Choose a preset (a kept preference); anything else: the protocol's own."""
        index = next((i for i in range(1, self.count()) if self.itemData(i) == pacer), 0)
        self.setCurrentIndex(index)

    def chosen(self, protocol_pacer: Pacer) -> Pacer:
        data = self.currentData()
        return data if isinstance(data, Pacer) else protocol_pacer


class BreathingPacer(QWidget):
    """The circle with "Breathe in… / Breathe out…"; :meth:`set_time` moves it."""

    def __init__(self, parent: QWidget | None = None, *, large: bool = False) -> None:
        super().__init__(parent)
        self.pacer = Pacer()
        self.large = large
        self.phase = pacer_phase(self.pacer, 0.0)
        self._drawn: tuple[int, bool] | None = None
        side = 240 if large else 150
        self.setFixedSize(side, side)  # a fixed size: never a layout pass while it breathes
        self.setAccessibleName("Breathing pacer")

    @property
    def text(self) -> str:
        return self.phase.text

    def set_pacer(self, pacer: Pacer) -> None:
        if pacer != self.pacer:
            self.pacer = pacer
            self._drawn = None

    def set_time(self, t_s: float) -> None:
        """The step's elapsed time (sample clock); repaints only when the circle moved."""
        self.phase = pacer_phase(self.pacer, t_s)
        key = (int(self.phase.size * 200), self.phase.inhaling)
        if key != self._drawn:
            self._drawn = key
            self.setAccessibleDescription(self.phase.text)
            self.update()

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        text_h = max(28.0, h * 0.16)
        full = max(10.0, min(w, h - text_h) / 2.0 - 6.0)
        cx, cy = w / 2.0, (h - text_h) / 2.0
        p.setPen(QPen(QColor(theme.GRID), 2, Qt.PenStyle.DotLine))  # where "full" is
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QRectF(cx - full, cy - full, 2 * full, 2 * full))
        r = full * (MIN_RADIUS + (1.0 - MIN_RADIUS) * self.phase.size)
        colour = QColor(theme.SKY if self.phase.inhaling else theme.BLUE)
        colour.setAlpha(170)
        p.setPen(QPen(QColor(theme.BLUE), 2))
        p.setBrush(colour)
        p.drawEllipse(QRectF(cx - r, cy - r, 2 * r, 2 * r))
        font = QFont(self.font())
        font.setPointSizeF(max(9.0, min(text_h * 0.42, w / 11.0)))
        font.setWeight(QFont.Weight.DemiBold)
        p.setFont(font)
        p.setPen(QColor(theme.TEXT))
        p.drawText(QRectF(0, h - text_h, w, text_h), Qt.AlignmentFlag.AlignCenter,
                   self.phase.text)
        p.end()


__all__ = ["BREATHE_IN", "BREATHE_OUT", "PRESETS", "BreathingPacer", "PacerChoice",
           "PacerPhase", "describe", "in_range", "pacer_phase"]
