"""The relaxation meter: one big, calm gauge a patient can read from across the room."""

from __future__ import annotations

import math

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from biofeedback.ui import theme


class RelaxationMeterWidget(QWidget):
    """Vertical gauge of muscle activity relative to the person's own range.

    ``set_state(relaxation, relaxed_for_s, envelope_uv)``: relaxation 1 = at or below resting
    baseline, 0 = at the person's contraction level. The bar shows *activity* (1 - relaxation),
    so it rises when the muscle tightens and falls as it lets go; the words say the same thing.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.relaxation = math.nan
        self.relaxed_for_s = 0.0
        self.envelope_uv = math.nan
        self.setMinimumWidth(220)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Relaxation meter")

    @property
    def activity(self) -> float:
        """0 (relaxed) .. 1 (contracting); NaN before any data."""
        return 1.0 - self.relaxation if not math.isnan(self.relaxation) else math.nan

    def set_state(self, relaxation: float, relaxed_for_s: float, envelope_uv: float) -> None:
        self.relaxation = float(min(max(relaxation, 0.0), 1.0)) if not math.isnan(relaxation) else relaxation
        self.relaxed_for_s = relaxed_for_s
        self.envelope_uv = envelope_uv
        self.setAccessibleDescription(self.headline())
        self.update()

    def headline(self) -> str:
        """The state in words (never colour alone); also the accessible description."""
        word, detail = self.words()
        return f"{word} {detail}".strip()

    def words(self) -> tuple[str, str]:
        if math.isnan(self.relaxation):
            return "Waiting", "for signal"
        if self.relaxation >= 0.8:
            return "Relaxed", (f"for {self.relaxed_for_s:.0f} s" if self.relaxed_for_s >= 1 else "")
        if self.relaxation >= 0.5:
            return "Letting go", "keep breathing out"
        return "Tight", "breathe out, let go"

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        text_h = 120
        bar = QRectF(w * 0.3, 16, w * 0.4, max(40.0, h - text_h - 32))
        p.setPen(QPen(QColor(theme.GRID), 2))
        p.setBrush(QColor(theme.PANEL))
        p.drawRoundedRect(bar, 12, 12)
        act = self.activity
        if not math.isnan(act):
            fill_h = max(6.0, bar.height() * act)
            fill = QRectF(bar.left(), bar.bottom() - fill_h, bar.width(), fill_h)
            colour = QColor(theme.RELAXED if self.relaxation >= 0.5 else theme.TENSE)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRoundedRect(fill, 12, 12)
        # tick at the "relax below" level: the top of the relaxed zone
        y_line = bar.bottom() - bar.height() * 0.2
        pen = QPen(QColor(theme.THRESHOLD), 3, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(int(bar.left() - 10), int(y_line), int(bar.right() + 10), int(y_line))
        word, detail = self.words()
        unit = "" if math.isnan(self.envelope_uv) else f"{self.envelope_uv:.1f} µV RMS"
        y = h - text_h
        for text, size, colour, weight, height in (
            (word, theme.METER_FONT_PT, theme.TEXT, QFont.Weight.DemiBold, 52),
            (detail, theme.BASE_FONT_PT + 3, theme.TEXT, QFont.Weight.Normal, 32),
            (unit, theme.BASE_FONT_PT + 1, theme.MUTED, QFont.Weight.Normal, 30),
        ):
            font = QFont(self.font())
            font.setWeight(weight)
            font.setPointSize(size)
            while size > 8 and QFontMetrics(font).horizontalAdvance(text) > w - 12:
                size -= 1
                font.setPointSize(size)
            p.setFont(font)
            p.setPen(QColor(colour))
            p.drawText(QRectF(0, y, w, height), Qt.AlignmentFlag.AlignCenter, text)
            y += height
        p.end()
