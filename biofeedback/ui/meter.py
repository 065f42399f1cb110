"""The relaxation meter: one big, calm gauge a patient can read from across the room."""

from __future__ import annotations

import math

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPen
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
        if math.isnan(self.relaxation):
            return "Waiting for signal"
        if self.relaxation >= 0.8:
            return f"Relaxed {self.relaxed_for_s:.0f} s" if self.relaxed_for_s >= 1 else "Relaxed"
        if self.relaxation >= 0.5:
            return "Letting go…"
        return "Tight — breathe out, let go"

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
        p.setPen(QColor(theme.TEXT))
        font = QFont(self.font())
        font.setPointSize(theme.METER_FONT_PT)
        font.setWeight(QFont.Weight.DemiBold)
        p.setFont(font)
        head = QRectF(0, h - text_h, w, 64)
        p.drawText(head, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.headline())
        font.setPointSize(theme.BASE_FONT_PT + 4)
        font.setWeight(QFont.Weight.Normal)
        p.setFont(font)
        p.setPen(QColor(theme.MUTED))
        sub = "" if math.isnan(self.envelope_uv) else f"{self.envelope_uv:.1f} µV RMS"
        p.drawText(QRectF(0, h - text_h + 64, w, 40), Qt.AlignmentFlag.AlignCenter, sub)
        p.end()
