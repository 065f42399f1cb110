"""Replay review: the whole file's activity in one strip, the visible window marked, click to seek.

The curve (:class:`~biofeedback.app.overview.FileOverview`: RMS per bin), the recorded
markers (ticks) and contractions (light spans) are drawn once per file and cached as a pixmap;
while the file plays only the "visible window" region moves, and only when it moved by at
least a pixel, so the strip costs next to nothing per frame. A click or a drag anywhere on the
strip emits :attr:`OverviewStrip.sigSeek` with the file time under the pointer. Until the
overview arrives (it is computed off the GUI thread) the strip shows one calm line instead
(:meth:`OverviewStrip.show_message`).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, Qt, pyqtSignal
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QGraphicsItem, QLabel, QVBoxLayout, QWidget

from biofeedback.app.overview import FileOverview
from biofeedback.formats.vocabulary import kind_of
from biofeedback.ui import theme

STRIP_HEIGHT_PX = 96
READING_TEXT = "Reading the file\u2026"
TOP_PERCENTILE = 99.5  # the strip's scale: one artefact spike does not flatten the rest


def mmss(seconds: float) -> str:
    """``75.0`` -> ``"1:15"`` (file time on the strip's axis)."""
    s = max(0, int(round(seconds)))
    return f"{s // 60}:{s % 60:02d}"


class _FileTimeAxis(pg.AxisItem):
    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [mmss(v) for v in values]


class _SeekPlot(pg.PlotWidget):
    """A plot that turns presses and drags into file times (no pan, no zoom)."""

    sigPointer = pyqtSignal(float, bool)  # file time under the pointer, True on a press

    def mousePressEvent(self, ev: QMouseEvent | None) -> None:
        if ev is not None and ev.button() == Qt.MouseButton.LeftButton:
            self.sigPointer.emit(self._file_time(ev), True)
            ev.accept()

    def mouseMoveEvent(self, ev: QMouseEvent | None) -> None:
        if ev is not None and ev.buttons() & Qt.MouseButton.LeftButton:
            self.sigPointer.emit(self._file_time(ev), False)
            ev.accept()

    def mouseReleaseEvent(self, ev: QMouseEvent | None) -> None:
        if ev is not None:
            ev.accept()

    def _file_time(self, ev: QMouseEvent) -> float:
        scene = self.mapToScene(ev.position().toPoint())
        view: QPointF = self.getPlotItem().vb.mapSceneToView(scene)
        return float(view.x())


class OverviewStrip(QWidget):
    """The whole file at a glance; ``sigSeek(file_s)`` on click or drag."""

    sigSeek = pyqtSignal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.duration_s = 0.0
        self._view = (math.nan, math.nan)
        self._last_seek = math.nan
        self.marker_count = 0
        self.contraction_count = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plot = _SeekPlot(axisItems={"bottom": _FileTimeAxis("bottom")})
        self.plot.setBackground(theme.PANEL)
        self.plot.setFixedHeight(STRIP_HEIGHT_PX)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setToolTip("The whole recording: click or drag to jump there. "
                             "Shaded: the part shown in the plots; ticks: markers.")
        self.plot.sigPointer.connect(self._on_pointer)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.disableAutoRange()
        item.hideAxis("left")
        item.setLabel("bottom", "file time (min:s)", color=theme.MUTED)
        item.getAxis("bottom").setTextPen(theme.MUTED)
        item.getAxis("bottom").setPen(theme.MUTED)
        layout.addWidget(self.plot)
        self.message = QLabel("")  # the placeholder: same height, so nothing jumps
        self.message.setFixedHeight(STRIP_HEIGHT_PX)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.MUTED}; background: {theme.PANEL};")
        self.message.hide()
        layout.addWidget(self.message)
        self.curve = item.plot(pen=pg.mkPen(theme.ENVELOPE, width=1), antialias=False,
                               fillLevel=0.0, brush=pg.mkBrush(0, 114, 178, 60))
        self.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.contractions = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[],
                                            brush=pg.mkBrush(*theme.CONTRACTION_SPAN),
                                            pen=pg.mkPen(None))
        self.contractions.setZValue(-10)
        item.addItem(self.contractions)
        self.ticks = item.plot(pen=pg.mkPen(theme.TEXT, width=1), antialias=False,
                               connect="pairs")
        self.region = pg.LinearRegionItem(values=(0, 0), movable=False,
                                          brush=pg.mkBrush(213, 94, 0, 45),
                                          pen=pg.mkPen(theme.THRESHOLD, width=1))
        self.region.setZValue(10)
        self.region.setVisible(False)
        item.addItem(self.region, ignoreBounds=True)

    def show_message(self, text: str) -> None:
        """One line in place of the strip: while the file is read, or why it could not be."""
        self.message.setText(text)
        self.plot.hide()
        self.message.show()

    def set_overview(self, ov: FileOverview) -> None:
        """Draw a file: its activity curve, markers and contractions (once per file)."""
        self.message.hide()
        self.plot.show()
        self.duration_s = float(ov.duration_s)
        top = _scale_top(ov.rms_uv)
        self.curve.setData(ov.t, np.minimum(ov.rms_uv, top) if ov.rms_uv.size else ov.rms_uv)
        spans = [(a.onset_s, a.onset_s + a.duration_s) for a in ov.annotations
                 if kind_of(a.text) == "contraction"]
        x0 = np.array([s for s, _ in spans], dtype=float)
        x1 = np.array([e for _, e in spans], dtype=float)
        self.contractions.setOpts(x0=x0, x1=x1, y0=np.zeros(len(spans)),
                                  y1=np.full(len(spans), top))
        marks = [a.onset_s for a in ov.annotations if kind_of(a.text) in ("marker", "protocol")]
        tx = np.repeat(np.array(marks, dtype=float), 2)
        ty = np.tile([top * 0.75, top], len(marks))
        self.ticks.setData(tx, ty, connect="pairs")
        item = self.plot.getPlotItem()
        item.setXRange(0.0, max(self.duration_s, 1e-3), padding=0)
        item.setYRange(0.0, top, padding=0.02)
        self._view = (math.nan, math.nan)
        self.marker_count = len(marks)
        self.contraction_count = len(spans)

    def set_view(self, start_s: float, end_s: float) -> None:
        """Mark the part of the file the plots show; moves only when it moved a pixel."""
        start_s, end_s = max(0.0, start_s), max(start_s, end_s)
        px_s = self.duration_s / max(1.0, self.plot.width())
        old = self._view
        if (math.isfinite(old[0]) and abs(old[0] - start_s) < px_s
                and abs(old[1] - end_s) < px_s):
            return
        self._view = (start_s, end_s)
        self.region.setRegion((start_s, end_s))
        self.region.setVisible(True)

    @property
    def view_region(self) -> tuple[float, float]:
        lo, hi = self.region.getRegion()
        return float(lo), float(hi)

    def _on_pointer(self, x: float, pressed: bool) -> None:
        if self.duration_s <= 0:
            return
        t = min(max(0.0, x), self.duration_s)
        px_s = self.duration_s / max(1.0, self.plot.width())
        if not pressed and abs(t - self._last_seek) < px_s:
            return  # a drag that did not move a pixel: no new seek
        self._last_seek = t
        self.sigSeek.emit(t)


def _scale_top(rms: np.ndarray) -> float:
    finite = rms[np.isfinite(rms)] if rms.size else rms
    if not finite.size:
        return 1.0
    return max(1.0, float(np.percentile(finite, TOP_PERCENTILE)) * 1.1)


__all__ = ["READING_TEXT", "OverviewStrip", "mmss"]
