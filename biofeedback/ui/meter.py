"""The relaxation meter: one big, calm gauge a patient can read from across the room.

It only draws a :class:`~biofeedback.app.feedback.MeterView` (the one feedback model): the
bar is ``view.level`` (activity on the person's own scale), the tick is ``view.line_level``
(the "relax below" line the plots show, so a dragged line moves it), the words are the
view's. Simulated data carries a "SIMULATED DATA" watermark; no signal greys the gauge.
Type scales with the widget, so the same meter is readable in the patient view.
"""

from __future__ import annotations

import math
import time

from PyQt6.QtCore import QRect, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen, QPixmap
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
NUMBER_HOLD_S = 0.3  # the µV reading changes at most ~3 times a second


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
        self._number_uv = math.nan  # the µV reading on screen (held, see set_view)
        self._number_at = -math.inf
        self._watermark_pixmap: QPixmap | None = None
        self._watermark_key: tuple | None = None

    # -- model --------------------------------------------------------------------------
    def set_view(self, view: MeterView, simulated: bool) -> None:
        """Show ``view``; repaint only the part whose drawing changes (the bar by a pixel, the
        words, the numbers as printed): at 30 Hz most frames change nothing visible, and most
        of the rest move the bar only, which costs a fraction of laying out the words.
        The µV reading is held for :data:`NUMBER_HOLD_S`: digits changing 30 times a second
        cannot be read and only draw the eye."""
        now = time.monotonic()
        if (self.view.key == view.key and now - self._number_at < NUMBER_HOLD_S
                and math.isfinite(self._number_uv) and math.isfinite(view.envelope_uv)):
            shown_uv = self._number_uv
        else:
            shown_uv = view.envelope_uv
        old_bar, old_words = self._bar_key(self.view, self.simulated), self._words_key()
        self.view, self.simulated = view, simulated
        if shown_uv != self._number_uv:
            self._number_uv, self._number_at = shown_uv, now
        bar_changed = self._bar_key(view, simulated) != old_bar
        words_changed = self._words_key() != old_words
        if not (bar_changed or words_changed):
            return
        if words_changed:
            self.setAccessibleDescription(self.headline())
        if bar_changed and words_changed:
            self.update()
        else:
            self.update(self._bar_area() if bar_changed else self._words_area())

    def _bar_key(self, view: MeterView, simulated: bool) -> tuple:
        h = max(1.0, float(self.height()))
        px = (lambda x: None if not math.isfinite(x) else round(x * h))  # noqa: E731
        return (view.key, px(view.level), px(view.line_level), simulated)

    def _words_key(self) -> tuple:
        v = self.view
        mvc = None if v.percent_mvc is None else round(v.percent_mvc)
        uv = None if not math.isfinite(self._number_uv) else round(self._number_uv, 1)
        return (v.key, v.headline, v.detail, mvc, uv)

    @property
    def _drawn(self) -> tuple:
        """Everything drawn (tests: what a repaint would show)."""
        return self._bar_key(self.view, self.simulated) + self._words_key()

    def _text_height(self) -> int:
        return int(150 * self._type_scale())

    def _bar_rect(self) -> QRectF:
        w, h = self.width(), self.height()
        return QRectF(w * 0.3, 16, w * 0.4, max(40.0, h - self._text_height() - 32))

    def _bar_area(self) -> QRect:
        """The gauge with its tick and target brackets: the full width above the words."""
        return QRect(0, 0, self.width(), int(math.ceil(self._bar_rect().bottom())) + 8)

    def _words_area(self) -> QRect:
        top = self.height() - self._text_height()
        return QRect(0, top, self.width(), self.height() - top)

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
    def paintEvent(self, event: QPaintEvent | None) -> None:
        dirty = event.rect() if event is not None else self.rect()
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(dirty, QColor(theme.BACKGROUND))  # opaque: the window below is not
        p.setRenderHint(QPainter.RenderHint.Antialiasing)  # repainted with every frame
        scale = self._type_scale()
        text_h = self._text_height()
        bar = self._bar_rect()
        if dirty.intersects(self._bar_area()):
            self._paint_bar(p, bar)
            if self.target is not None:
                self._paint_target(p, bar)
            if self.simulated:
                self._paint_watermark(p, bar, scale)
        if dirty.intersects(self._words_area()):
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
        """Rotated text has no glyph cache: it is drawn once into a pixmap per size and
        blitted with every repaint of the gauge."""
        dpr = self.devicePixelRatioF()
        key = (round(bar.width()), round(bar.height()), round(scale, 3), dpr)
        if self._watermark_key != key:
            pix = QPixmap(max(1, round(bar.width() * dpr)), max(1, round(bar.height() * dpr)))
            pix.setDevicePixelRatio(dpr)
            pix.fill(Qt.GlobalColor.transparent)
            q = QPainter(pix)
            q.setRenderHint(QPainter.RenderHint.Antialiasing)
            font = QFont(self.font())
            font.setPointSizeF(max(8.0, 11 * scale))
            font.setWeight(QFont.Weight.Bold)
            font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
            while font.pointSizeF() > 5 and (QFontMetrics(font).horizontalAdvance(WATERMARK)
                                              > bar.height() - 8):
                font.setPointSizeF(font.pointSizeF() - 1)  # a short gauge: smaller, never cut
            if font.pointSizeF() < 7:  # unreadable: the plots beside it carry the label
                q.end()
                self._watermark_pixmap, self._watermark_key = None, key
                return
            q.setFont(font)
            q.setPen(QColor(theme.MUTED))
            q.translate(bar.width() / 2, bar.height() / 2)
            q.rotate(-90)
            q.drawText(QRectF(-bar.height() / 2, -bar.width() / 2, bar.height(), bar.width()),
                       Qt.AlignmentFlag.AlignCenter, WATERMARK)
            q.end()
            self._watermark_pixmap, self._watermark_key = pix, key
        if self._watermark_pixmap is not None:
            p.drawPixmap(bar.topLeft(), self._watermark_pixmap)

    def _paint_words(self, p: QPainter, w: int, top: float, scale: float) -> None:
        v = self.view
        uv = self._number_uv
        unit = "" if not math.isfinite(uv) else f"{uv:.1f} µV RMS"
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
