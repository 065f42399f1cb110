"""The patient page's trend charts: small multiples on one screen (pyqtgraph).

One small chart per :class:`~biofeedback.app.clinic.Series` (resting baseline, variability,
recovery latency, maximum contraction, pain, anxiety, dilator size, practice minutes per week),
in a 4 × 2 grid that fits 1024 × 600. Per-session charts put session *n* at x = n with the
session's date as the tick (two sessions on one day stay apart); practice per week is bars per
ISO week. A session that did not measure a value leaves a gap, never a zero. Each chart's
tooltip gives its definition (the same words as the PDF report).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PyQt6.QtGui import QResizeEvent
from PyQt6.QtWidgets import QWidget

from biofeedback.app.clinic import Series
from biofeedback.ui import theme

COLUMNS = 4
COLOURS = {"pain": theme.VERMILLION, "anxiety": theme.PURPLE, "dilator_size": theme.GREEN,
           "minutes_per_week": theme.SKY}
TICK_PX = 64  # at least this much width per date label (they never overlap)


class TrendCharts(pg.GraphicsLayoutWidget):
    """``set_series(series)`` draws the grid; ``plots[key]`` is each chart's PlotItem."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground(theme.PANEL)
        self.setMinimumHeight(300)
        self.plots: dict[str, pg.PlotItem] = {}
        self.points: dict[str, list[tuple[float, float]]] = {}  # what each chart shows (tests)
        self._labels: dict[str, list[str]] = {}
        self.closed = False

    def set_series(self, series: Sequence[Series]) -> None:
        self.clear()
        self.plots, self.points, self._labels = {}, {}, {}
        for i, s in enumerate(series):
            plot = self.addPlot(row=i // COLUMNS, col=i % COLUMNS)
            self._draw(plot, s)
            self.plots[s.key] = plot
        tips = "\n".join(f"{s.title} ({s.unit}): {s.definition}" for s in series)
        self.setToolTip(tips)

    def _draw(self, plot: pg.PlotItem, s: Series) -> None:
        plot.setTitle(f"{s.title} <span style='color:{theme.MUTED}'>({s.unit})</span>",
                      size="9pt")
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.showGrid(y=True, alpha=0.25)
        plot.getAxis("left").setWidth(34)
        colour = COLOURS.get(s.key, theme.BLUE)
        pts = [(float(i + 1), float(v)) for i, v in enumerate(s.y) if v is not None]
        self.points[s.key] = pts
        n = len(s.x)
        if s.bars:
            if n:
                plot.addItem(pg.BarGraphItem(x=list(range(1, n + 1)), height=list(s.y),
                                             width=0.6, brush=colour, pen=pg.mkPen(None)))
            labels = [f"{x:%m-%d}" for x in s.x]
        else:
            xs = [x for x, _ in pts]
            ys = [y for _, y in pts]
            if pts:
                plot.plot(xs, ys, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=7,
                          symbolBrush=colour, symbolPen=pg.mkPen(colour))
            labels = [f"{x:%m-%d}" for x in s.x]
        if n == 0:
            text = pg.TextItem("no sessions yet", color=theme.MUTED, anchor=(0.5, 0.5))
            plot.addItem(text)
            text.setPos(0.5, 0.5)
            plot.setXRange(0, 1)
            plot.setYRange(0, 1)
        elif not pts:
            text = pg.TextItem("not measured", color=theme.MUTED, anchor=(0.5, 0.5))
            plot.addItem(text)
            text.setPos((n + 1) / 2, 0.5)
            plot.setYRange(0, 1)
        self._labels[s.key] = labels
        plot.getAxis("bottom").setStyle(hideOverlappingLabels=False)
        self._ticks(plot, labels)
        if n:
            plot.setXRange(0.5, n + 0.5, padding=0)
        if s.key == "pain":
            plot.setYRange(0, 10)
        elif s.key == "anxiety":
            plot.setYRange(0, 100)
        elif pts or s.bars:
            top = max([y for _, y in pts] + [v for v in s.y if v is not None] + [0.0])
            plot.setYRange(0, top * 1.15 if top > 0 else 1)

    def _ticks(self, plot: pg.PlotItem, labels: list[str]) -> None:
        """As many date labels as the chart's width holds, the last session always labelled."""
        n = len(labels)
        room = max(2, int(plot.vb.width() // TICK_PX)) if plot.vb.width() > 0 else 4
        step = max(1, -(-n // room))
        keep = sorted({*range(n - 1, -1, -step)})
        plot.getAxis("bottom").setTicks([[(i + 1, labels[i]) for i in keep]])

    def resizeEvent(self, ev: QResizeEvent | None) -> None:
        super().resizeEvent(ev)
        for key, plot in getattr(self, "plots", {}).items():  # (also during __init__)
            self._ticks(plot, self._labels.get(key, []))

    def shutdown(self) -> None:
        """Close the scene before the window goes (see ``PlotView.shutdown``)."""
        if not self.closed:
            self.closed = True
            self.close()


__all__ = ["TrendCharts"]
