"""One session's timeline: its steps as bands and its pain/anxiety ratings pinned where they
were given (the session clock, the same seconds as the recording)."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtWidgets import QWidget

from biofeedback.app.clinic import SessionRow
from biofeedback.ui import theme

SCALES = {"pain": ("Pain", 10.0, theme.VERMILLION), "anxiety": ("Anxiety", 100.0, theme.PURPLE)}


class SessionTimeline(pg.PlotWidget):
    """``show_session(row)``; ``pins`` lists (time, text) of the ratings drawn (tests)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground(theme.PANEL)
        self.setMinimumHeight(90)
        self.setMaximumHeight(140)
        item = self.getPlotItem()
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.hideAxis("left")
        item.setLabel("bottom", "session time (s)")
        self.pins: list[tuple[float, str]] = []
        self.closed = False

    def show_session(self, row: SessionRow | None) -> None:
        item = self.getPlotItem()
        item.clear()
        self.pins = []
        if row is None:
            return
        for i, (name, start, end) in enumerate(row.steps):
            band = pg.LinearRegionItem((start, end), movable=False,
                                       brush=pg.mkBrush(0, 114, 178, 22 if i % 2 else 40),
                                       pen=pg.mkPen(None))
            band.setToolTip(f"{name}: {start:.0f}–{end:.0f} s")
            item.addItem(band)
        for i, r in enumerate(sorted(row.ratings, key=lambda r: r.at_s)):
            title, _top, colour = SCALES.get(r.scale, (r.scale, 10.0, theme.MUTED))
            y = 0.75 if i % 2 == 0 else 0.35  # alternate rows: pins close in time stay legible
            item.addItem(pg.InfiniteLine(r.at_s, angle=90, pen=pg.mkPen(colour, width=2)))
            text = f"{title} {r.value:g}"
            label = pg.TextItem(text, color=colour, anchor=(0, 0.5), fill=theme.LABEL_FILL)
            label.setPos(r.at_s, y)
            item.addItem(label)
            self.pins.append((r.at_s, text))
        item.setYRange(0, 1, padding=0)
        end = max(row.duration_s, max((e for _, _, e in row.steps), default=1.0))
        item.setXRange(0, end, padding=0.01)

    def shutdown(self) -> None:
        if not self.closed:
            self.closed = True
            self.close()


__all__ = ["SessionTimeline"]
