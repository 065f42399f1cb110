"""The relaxation meter: one big, calm gauge a patient can read from across the room.

It only draws a :class:`~biofeedback.app.feedback.MeterView` (the one feedback model): the
bar is ``view.level`` (activity on the person's own scale), the tick is ``view.line_level``
(the "relax below" line the plots show, so a dragged line moves it), the words are the
view's. Simulated data carries a "SIMULATED DATA" watermark; no signal greys the gauge.
Type scales with the widget, so the same meter is readable in the patient view.
"""

from __future__ import annotations

import math

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from biofeedback.app.feedback import IDLE_VIEW, MeterView
from biofeedback.ui import theme

#: Fill colour per state key (Okabe-Ito); the words always say the state too.
STATE_COLOURS = {
    "no_signal": theme.GRID,
    "settling": "#A7B3C2",  # neutral: not judged yet
    "relaxed": theme.BLUE,
    "letting_go": theme.SKY,
    "tight": theme.ORANGE,
    "bearing_down": theme.PURPLE,
}
WATERMARK = "SIMULATED DATA"


class RelaxationMeterWidget(QWidget):
    """Vertical gauge of muscle activity relative to the person's own range."""

    def __init__(self, parent: QWidget | None = None, *, large: bool = False) -> None:
        super().__init__(parent)
        self.view: MeterView = IDLE_VIEW
        self.simulated = False
        self.target: tuple[float, float] | None = None  # a guided step's band (levels 0..1)
        self.large = large
        self.setMinimumWidth(180)
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Relaxation meter")
        self.setAccessibleDescription(IDLE_VIEW.text)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints its whole rect

    # -- model --------------------------------------------------------------------------
    def set_view(self, view: MeterView, simulated: bool) -> None:
        """Show ``view``; repaint only when something drawn changes (the bar by a pixel, the
        words, the numbers as printed): at 30 Hz most frames change nothing visible."""
        old = self._drawn(self.view, self.simulated)
        self.view, self.simulated = view, simulated
        if self._drawn(view, simulated) == old:
            return
        self.setAccessibleDescription(self.headline())
        self.update()

    def _drawn(self, view: MeterView, simulated: bool) -> tuple:
        h = max(1.0, float(self.height()))
        px = (lambda x: None if not math.isfinite(x) else round(x * h))  # noqa: E731
        mvc = None if view.percent_mvc is None else round(view.percent_mvc)
        uv = None if not math.isfinite(view.envelope_uv) else round(view.envelope_uv, 1)
        return (view.key, view.headline, view.detail, px(view.level), px(view.line_level),
                mvc, uv, simulated)

    def set_target(self, band: tuple[float, float] | None) -> None:
        """A guided step's target band on the meter's scale (0..1), e.g. "about half your
        strength"; None: no band."""
        if band is not None:
            band = (min(max(band[0], 0.0), 1.0), min(max(band[1], 0.0), 1.0))
        if band != self.target:
            self.target = band
            self.update()

    @property
    def state(self) -> str:
        return self.view.key

    @property
    def greyed(self) -> bool:
        return self.view.key == "no_signal"

    def words(self) -> tuple[str, str]:
        return self.view.headline, self.view.detail

    def headline(self) -> str:
        """The state in words (never colour alone); also the accessible description."""
        text = self.view.text
        return f"{text} (simulated data)" if self.simulated else text

    def mvc_text(self) -> str:
        pct = self.view.percent_mvc
        if pct is None or not math.isfinite(pct):
            return ""
        return f"{pct:.0f} % of your strongest squeeze so far"

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor(theme.BACKGROUND))  # opaque: the window below is not
        p.setRenderHint(QPainter.RenderHint.Antialiasing)  # repainted with every frame
        scale = self._type_scale()
        text_h = int(150 * scale)
        bar = QRectF(w * 0.3, 16, w * 0.4, max(40.0, h - text_h - 32))
        self._paint_bar(p, bar)
        if self.target is not None:
            self._paint_target(p, bar)
        if self.simulated:
            self._paint_watermark(p, bar, scale)
        self._paint_words(p, w, h - text_h, scale)
        p.end()

    def _type_scale(self) -> float:
        base = min(self.width() / 260.0, self.height() / 560.0)
        return min(max(base, 0.8), 2.6 if self.large else 1.5)

    def _paint_bar(self, p: QPainter, bar: QRectF) -> None:
        v = self.view
        p.setPen(QPen(QColor(theme.GRID), 2))
        p.setBrush(QColor(theme.PANEL if not self.greyed else theme.BACKGROUND))
        p.drawRoundedRect(bar, 12, 12)
        if math.isfinite(v.level):
            fill_h = max(6.0, bar.height() * v.level)
            fill = QRectF(bar.left(), bar.bottom() - fill_h, bar.width(), fill_h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(STATE_COLOURS.get(v.key, theme.BLUE)))
            p.drawRoundedRect(fill, 12, 12)
            if v.key == "bearing_down":  # more than colour: pushing is hatched
                p.setBrush(QBrush(QColor(theme.PANEL), Qt.BrushStyle.BDiagPattern))
                p.drawRoundedRect(fill, 12, 12)
        if math.isfinite(v.line_level):
            # the tick is the "relax below" line: below it is relaxed. While the resting
            # level is still being learned (or there is no signal) it is a muted dotted line,
            # so "below the tick" is never read as relaxed before the meter says so.
            y = bar.bottom() - bar.height() * min(max(v.line_level, 0.0), 1.0)
            sure = v.key not in ("no_signal", "settling")
            colour = theme.THRESHOLD if sure else theme.MUTED
            style = Qt.PenStyle.DashLine if sure else Qt.PenStyle.DotLine
            p.setPen(QPen(QColor(colour), 3, style))
            p.drawLine(int(bar.left() - 12), int(y), int(bar.right() + 12), int(y))

    def _paint_target(self, p: QPainter, bar: QRectF) -> None:
        """The band beside the bar (a soft green bracket), so the fill stays readable."""
        assert self.target is not None
        lo, hi = self.target
        y0, y1 = bar.bottom() - bar.height() * hi, bar.bottom() - bar.height() * lo
        colour = QColor(theme.GREEN)
        colour.setAlpha(90)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        for x in (bar.left() - 22, bar.right() + 8):
            p.drawRoundedRect(QRectF(x, y0, 14, max(4.0, y1 - y0)), 4, 4)

    def _paint_watermark(self, p: QPainter, bar: QRectF, scale: float) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, 11 * scale))
        font.setWeight(QFont.Weight.Bold)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
        p.save()
        p.setFont(font)
        p.setPen(QColor(theme.MUTED))
        p.translate(bar.center())
        p.rotate(-90)
        p.drawText(QRectF(-bar.height() / 2, -bar.width() / 2, bar.height(), bar.width()),
                   Qt.AlignmentFlag.AlignCenter, WATERMARK)
        p.restore()

    def _paint_words(self, p: QPainter, w: int, top: float, scale: float) -> None:
        v = self.view
        unit = "" if not math.isfinite(v.envelope_uv) else f"{v.envelope_uv:.1f} µV RMS"
        text_colour = theme.MUTED if self.greyed else theme.TEXT
        y = top
        for text, size, colour, weight, height in (
            (v.headline, 28, text_colour, QFont.Weight.DemiBold, 50),
            (v.detail, 13, text_colour, QFont.Weight.Normal, 46),
            (self.mvc_text(), 12, theme.MUTED, QFont.Weight.Normal, 26),
            (unit, 12, theme.MUTED, QFont.Weight.Normal, 26),
        ):
            if not text:
                continue
            font = QFont(self.font())
            font.setWeight(weight)
            pt = max(8.0, size * scale)
            font.setPointSizeF(pt)
            flags = Qt.AlignmentFlag.AlignCenter.value | Qt.TextFlag.TextWordWrap.value
            rect = QRectF(6, y, w - 12, height * scale)
            while pt > 8 and QFontMetrics(font).boundingRect(
                    rect.toRect(), flags, text).height() > rect.height():
                pt -= 1
                font.setPointSizeF(pt)
            p.setFont(font)
            p.setPen(QColor(colour))
            p.drawText(rect, flags, text)
            y += height * scale
