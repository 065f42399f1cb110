"""The vestibular sensitivity map of the cotton-swab test, drawn as a clock face.

Pain (NRS 0-10) at clock positions, 12 o'clock = urethral meatus, 6 o'clock = posterior
fourchette (clinical.md §6). The face is seen as the clinician sees the vestibule. Each tested
position shows its number in a circle whose shade deepens with the pain (one hue, so the number,
not the colour, carries the value); untested positions are a hollow ring with "–".
:class:`SwabEntry` is the entry form (one spin box per position, the face updates as you type)
and :class:`SwabPanel` the page tab: entry, past maps and the trend of mean and highest pain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.clinic import SwabSummary
from biofeedback.ui import theme

NOT_TESTED = -1  # the spin boxes' special value
LANDMARKS = {12: "meatus", 6: "fourchette"}


def pain_colour(pain: float) -> QColor:
    """White (0) to deep vermillion (10): one hue, lighter is less pain."""
    f = min(max(pain / 10.0, 0.0), 1.0)
    base = QColor(theme.VERMILLION)
    r = round(255 + (base.red() - 255) * f)
    g = round(255 + (base.green() - 255) * f)
    b = round(255 + (base.blue() - 255) * f)
    return QColor(r, g, b)


class ClockFace(QWidget):
    """Paints one map; :meth:`set_pains` with {clock: pain}. ``hour_at(point)`` for clicks."""

    clicked = pyqtSignal(int)  # the clock position clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pains: dict[int, float] = {}
        self.caption = ""
        self.setMinimumSize(180, 180)

    def sizeHint(self) -> QSize:
        return QSize(260, 260)

    def set_pains(self, pains: Mapping[int, float], caption: str = "") -> None:
        self.pains = {int(k): float(v) for k, v in pains.items()}
        self.caption = caption
        self.update()

    def _geometry(self) -> tuple[QPointF, float]:
        side = min(self.width(), self.height() - 20)
        return QPointF(self.width() / 2, (self.height() - 20) / 2 + 4), side / 2 - 4

    @staticmethod
    def position(hour: int, centre: QPointF, radius: float) -> QPointF:
        angle = math.radians(90 - 30 * (hour % 12))
        return QPointF(centre.x() + radius * math.cos(angle), centre.y() - radius * math.sin(angle))

    def hour_at(self, point: QPointF) -> int | None:
        centre, r = self._geometry()
        for hour in range(1, 13):
            p = self.position(hour, centre, r * 0.72)
            if math.hypot(p.x() - point.x(), p.y() - point.y()) <= r * 0.17:
                return hour
        return None

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if event is None:
            return
        hour = self.hour_at(event.position())
        if hour is not None:
            self.clicked.emit(hour)

    def paintEvent(self, _event: QPaintEvent | None) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        centre, r = self._geometry()
        p.setPen(QPen(QColor(theme.GRID), 2))
        p.setBrush(QColor(theme.PANEL))
        p.drawEllipse(centre, r, r)
        p.setPen(QPen(QColor(theme.GRID_MINOR), 1))
        p.drawEllipse(centre, r * 0.35, r * 0.45)  # the introitus, schematic
        dot = r * 0.15
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, dot * 0.55))
        font.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(8.0, dot * 0.38))
        for hour in range(1, 13):
            at = self.position(hour, centre, r * 0.72)
            pain = self.pains.get(hour)
            box = QRectF(at.x() - dot, at.y() - dot, 2 * dot, 2 * dot)
            if pain is None:
                p.setPen(QPen(QColor(theme.GRID), 1.5, Qt.PenStyle.DashLine))
                p.setBrush(Qt.BrushStyle.NoBrush)
            else:
                p.setPen(QPen(QColor(theme.TEXT), 1.2))
                p.setBrush(pain_colour(pain))
            p.drawEllipse(box)
            p.setFont(font)
            p.setPen(QColor("white" if pain is not None and pain >= 6 else theme.TEXT))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter,
                       "–" if pain is None else f"{pain:g}")
            label = self.position(hour, centre, r * 0.93)
            p.setFont(small)
            p.setPen(QColor(theme.MUTED))
            p.drawText(QRectF(label.x() - 30, label.y() - 9, 60, 18),
                       Qt.AlignmentFlag.AlignCenter, str(hour))
        p.setFont(small)
        p.setPen(QColor(theme.MUTED))
        p.drawText(QRectF(0, self.height() - 18, self.width(), 18), Qt.AlignmentFlag.AlignCenter,
                   self.caption or "12 = urethral meatus · 6 = fourchette · – not tested")
        p.end()


class SwabEntry(QWidget):
    """Pain 0-10 per clock position ("–" = not tested); the face follows the boxes, and a click
    on the face puts the cursor in that position's box."""

    saved = pyqtSignal(dict)  # {clock: pain}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.face = ClockFace()
        self.boxes: dict[int, QSpinBox] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        for i, hour in enumerate([12, *range(1, 12)]):
            box = QSpinBox()
            box.setRange(NOT_TESTED, 10)
            box.setSpecialValueText("–")
            box.setValue(NOT_TESTED)
            box.setAccessibleName(f"pain at {hour} o'clock")
            box.valueChanged.connect(self._changed)
            self.boxes[hour] = box
            text = f"{hour}" + (f" ({LANDMARKS[hour]})" if hour in LANDMARKS else "")
            grid.addWidget(QLabel(text), i % 6, 2 * (i // 6))
            grid.addWidget(box, i % 6, 2 * (i // 6) + 1)
        self.save_button = QPushButton("Save map")
        self.save_button.setObjectName("primary")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._save)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        self.face.clicked.connect(self._focus_hour)
        form = QVBoxLayout()
        form.addWidget(QLabel("Pain 0-10 at each position tested:"))
        form.addLayout(grid)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        form.addLayout(row)
        form.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.face, 1)

    def pains(self) -> dict[int, float]:
        return {h: float(b.value()) for h, b in self.boxes.items() if b.value() != NOT_TESTED}

    def set_pains(self, pains: Mapping[int, float]) -> None:
        for hour, box in self.boxes.items():
            box.setValue(round(pains[hour]) if hour in pains else NOT_TESTED)

    def clear(self) -> None:
        self.set_pains({})

    def _changed(self, _v: int) -> None:
        pains = self.pains()
        self.face.set_pains(pains, "new map (not saved yet)" if pains else "")
        self.save_button.setEnabled(bool(pains))

    def _focus_hour(self, hour: int) -> None:
        box = self.boxes[hour]
        box.setFocus()
        box.selectAll()

    def _save(self) -> None:
        pains = self.pains()
        if pains:
            self.saved.emit(pains)


class SwabPanel(QWidget):
    """The patient page's cotton-swab tab: entry, the maps so far, mean and highest pain over
    time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = SwabEntry()
        self.history = QListWidget()
        self.history.setMaximumHeight(120)
        self.history.currentRowChanged.connect(self._show_past)
        self.past = ClockFace()
        self.trend = pg.PlotWidget()
        self.trend.setMinimumHeight(110)
        self.trend.setMaximumHeight(150)
        item = self.trend.getPlotItem()
        item.setTitle("Cotton-swab pain over time (● highest, ○ mean)", size="9pt")
        item.setYRange(0, 10)
        item.showGrid(y=True, alpha=0.3)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        self._maps: tuple[SwabSummary, ...] = ()
        past = QVBoxLayout()
        past.addWidget(QLabel("Maps so far"))
        past.addWidget(self.history)
        past.addWidget(self.past, 1)
        top = QHBoxLayout()
        top.addWidget(self.entry, 3)
        top.addLayout(past, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top, 1)
        layout.addWidget(self.trend)

    def set_maps(self, maps: Sequence[SwabSummary]) -> None:
        self._maps = tuple(maps)
        self.history.blockSignals(True)
        self.history.clear()
        for m in self._maps:
            text = (f"{m.map.taken.astimezone():%Y-%m-%d}: highest {m.max_pain:g}, "
                    f"mean {m.mean_pain:.1f}")
            QListWidgetItem(text, self.history)
        self.history.blockSignals(False)
        if self._maps:
            self.history.setCurrentRow(len(self._maps) - 1)
            self._show_past(len(self._maps) - 1)
        else:
            self.past.set_pains({}, "no map recorded yet")
        plot = self.trend.getPlotItem()
        plot.clear()
        xs = list(range(1, len(self._maps) + 1))
        if xs:
            plot.plot(xs, [m.max_pain for m in self._maps], pen=pg.mkPen(theme.VERMILLION, width=2),
                      symbol="o", symbolBrush=theme.VERMILLION, symbolSize=8)
            plot.plot(xs, [m.mean_pain for m in self._maps],
                      pen=pg.mkPen(theme.VERMILLION, width=1, style=Qt.PenStyle.DashLine),
                      symbol="o", symbolBrush=theme.PANEL, symbolPen=theme.VERMILLION,
                      symbolSize=8)
            plot.getAxis("bottom").setTicks([[(x, f"{m.map.taken.astimezone():%m-%d}")
                                              for x, m in zip(xs, self._maps, strict=True)]])
            plot.setXRange(0.5, len(xs) + 0.5)

    def _show_past(self, row: int) -> None:
        if 0 <= row < len(self._maps):
            m = self._maps[row]
            self.past.set_pains(m.pains, f"map of {m.map.taken.astimezone():%Y-%m-%d}")

    def shutdown(self) -> None:
        self.trend.close()


__all__ = ["ClockFace", "SwabEntry", "SwabPanel", "pain_colour"]
