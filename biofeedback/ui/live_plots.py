"""Scrolling plots: filtered EMG, its RMS envelope with the "relax below" line and the resting
baseline band, and vaginal pressure. Redrawn by the window's timer, never by the data thread."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from biofeedback.ui import theme

PRESSURE_MIN_SPAN = 20.0  # cmH2O


def _plot(title: str, unit: str) -> pg.PlotWidget:
    w = pg.PlotWidget()
    w.setBackground(theme.PANEL)
    item = w.getPlotItem()
    item.setTitle(title, color=theme.TEXT, size="13pt")
    item.setLabel("left", units=unit, color=theme.MUTED)
    item.showGrid(x=True, y=True, alpha=0.25)
    item.setMenuEnabled(False)
    item.setClipToView(True)
    item.setDownsampling(auto=True, mode="peak")
    w.setMouseEnabled(x=False, y=False)
    for axis in ("left", "bottom"):
        item.getAxis(axis).setTextPen(theme.MUTED)
    return w


class LivePlotsWidget(QWidget):
    """Three stacked plots sharing a time axis (seconds since the start of streaming)."""

    sigThresholdMoved = pyqtSignal(float)

    def __init__(self, window_s: float = 10.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_s = window_s
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.raw_plot = _plot("Pelvic-floor EMG (filtered)", "µV")
        self.env_plot = _plot("Muscle activity (RMS envelope)", "µV")
        self.pressure_plot = _plot("Vaginal pressure", "cmH₂O")
        for p in (self.env_plot, self.pressure_plot):
            p.setXLink(self.raw_plot)
        layout.addWidget(self.raw_plot, 2)
        layout.addWidget(self.env_plot, 3)
        layout.addWidget(self.pressure_plot, 2)
        self.raw_curve = self.raw_plot.plot(pen=pg.mkPen(theme.EMG_RAW, width=1))
        legend = self.env_plot.getPlotItem().addLegend(offset=(60, 10), labelTextColor=theme.TEXT,
                                                       brush=pg.mkBrush(255, 255, 255, 200))
        legend.setZValue(20)
        self.env_curve = self.env_plot.plot(pen=pg.mkPen(theme.ENVELOPE, width=3), name="pelvic floor")
        self.acc_curve = self.env_plot.plot(
            pen=pg.mkPen(theme.ACCESSORY, width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
            name="abdominal (accessory)",
        )
        self.pressure_curve = self.pressure_plot.plot(pen=pg.mkPen(theme.PRESSURE, width=2))
        self.baseline_band = pg.LinearRegionItem(
            values=(0, 0), orientation="horizontal", movable=False,
            brush=pg.mkBrush(*theme.BASELINE_BAND), pen=pg.mkPen(None),
        )
        self.baseline_band.setZValue(-10)
        self.baseline_band.setVisible(False)
        self.env_plot.addItem(self.baseline_band)
        self.threshold_line = pg.InfiniteLine(
            pos=10.0, angle=0, movable=True,
            pen=pg.mkPen(theme.THRESHOLD, width=3, style=pg.QtCore.Qt.PenStyle.DashLine),
            hoverPen=pg.mkPen(theme.THRESHOLD, width=5),
            label="relax below {value:.1f} µV", labelOpts={"color": theme.THRESHOLD, "position": 0.1},
        )
        self.threshold_line.sigPositionChangeFinished.connect(
            lambda line: self.sigThresholdMoved.emit(float(line.value()))
        )
        self.env_plot.addItem(self.threshold_line)
        self.env_plot.getPlotItem().setYRange(0, 40)
        self._env_ymax = 40.0
        self._markers: list[pg.InfiniteLine] = []

    def add_marker(self, t: float, label: str) -> None:
        """A vertical line with a label at ``t`` seconds on the envelope plot."""
        line = pg.InfiniteLine(
            pos=t, angle=90, movable=False, pen=pg.mkPen(theme.MUTED, width=1),
            label=label, labelOpts={"color": theme.MUTED, "position": 0.9},
        )
        self.env_plot.addItem(line)
        self._markers.append(line)
        while len(self._markers) > 50:
            self.env_plot.removeItem(self._markers.pop(0))

    def set_threshold(self, value_uv: float) -> None:
        if not self.threshold_line.moving:
            self.threshold_line.setValue(value_uv)

    def set_baseline(self, mean_uv: float, sd_uv: float) -> None:
        if np.isfinite(mean_uv) and np.isfinite(sd_uv):
            self.baseline_band.setRegion((max(0.0, mean_uv - sd_uv), mean_uv + sd_uv))
            self.baseline_band.setVisible(True)
        else:
            self.baseline_band.setVisible(False)

    def update_traces(
        self,
        emg_t: np.ndarray, emg: np.ndarray,
        env_t: np.ndarray, env: np.ndarray,
        p_t: np.ndarray, pressure: np.ndarray,
    ) -> None:
        """Arrays in seconds and physical units; NaN marks a gap (drawn as a break)."""
        self.raw_curve.setData(emg_t, emg[:, 0] if emg.size else emg, connect="finite")
        if env.size:
            self.env_curve.setData(env_t, env[:, 0], connect="finite")
            if env.shape[1] > 1:
                self.acc_curve.setData(env_t, env[:, 1], connect="finite")
            finite = env[np.isfinite(env[:, 0]), 0]
            if finite.size:
                top = max(20.0, float(np.max(finite)) * 1.15, self.threshold_line.value() * 1.5)
                # grow at once, shrink slowly so the scale stays calm
                self._env_ymax = top if top > self._env_ymax else 0.98 * self._env_ymax + 0.02 * top
                self.env_plot.getPlotItem().setYRange(0, self._env_ymax, padding=0)
        if pressure.size:
            self.pressure_curve.setData(p_t, pressure[:, 0], connect="finite")
            finite_p = pressure[np.isfinite(pressure[:, 0]), 0]
            if finite_p.size:
                # at least 20 cmH2O visible: breathing (~1 cmH2O) should not look like a squeeze
                lo, hi = float(finite_p.min()), float(finite_p.max())
                pad = max(0.0, (PRESSURE_MIN_SPAN - (hi - lo)) / 2)
                self.pressure_plot.getPlotItem().setYRange(lo - pad, hi + pad, padding=0.05)
        t_end = max((a[-1] for a in (emg_t, env_t) if a.size), default=0.0)
        self.raw_plot.getPlotItem().setXRange(max(0.0, t_end - self.window_s), max(t_end, self.window_s),
                                              padding=0)
