"""A guided step's target, drawn where the person looks: on the envelope and on the meter.

* ``below_line``: a soft band from just under the resting level (μ_B − 20 %) up to the line
  (clinical.md §5: "a soft green target band (μ_B−20 %…line)");
* ``percent_max``: a band around that share of the person's strongest squeeze
  (``status.max_uv``), ±10 % of it: "reach about half your strength". Before a squeeze has
  been measured there is no band, and the words say so;
* ``follow_pacer``: no band; the breathing pacer is the target.

Items are added to a :class:`~biofeedback.ui.live_plots.LivePlotsWidget` through its public
plot item (the widget itself is not changed) and to the meter (:meth:`set_target`).
"""

from __future__ import annotations

import math

import pyqtgraph as pg

from biofeedback.sessions.protocol import Step, TargetKind
from biofeedback.signal import ProcessorStatus
from biofeedback.ui import theme
from biofeedback.ui.live_plots import LivePlotsWidget
from biofeedback.ui.meter import RelaxationMeterWidget

BAND_RGBA = (0, 158, 115, 60)  # theme.GREEN, soft
REST_MARGIN = 0.8  # the band starts at 80 % of the resting level
MAX_BAND = 10.0  # percent_max: ± this many percent of the maximum


def share_words(percent: float) -> str:
    """``50`` → ``"about half"`` (plain words for a share of the person's strength)."""
    for p, words in ((25, "about a quarter of"), (33, "about a third of"), (50, "about half"),
                     (67, "about two thirds of"), (75, "about three quarters of"),
                     (100, "all of")):
        if abs(percent - p) <= 2:
            return words
    return f"about {percent:.0f} % of"


def target_words(step: Step, max_known: bool) -> str:
    """What the step's target asks, in words."""
    t = step.target
    if t.kind is TargetKind.BELOW_LINE:
        return "Stay below the line"
    if t.kind is TargetKind.PERCENT_MAX:
        text = f"Reach {share_words(t.percent)} your strength"
        return (text + ": the green band" if max_known else
                text + ", gently (your strongest squeeze is not measured yet)")
    if t.kind is TargetKind.FOLLOW_PACER:
        return "Breathe with the circle"
    return ""


def band_uv(step: Step | None, status: ProcessorStatus | None) -> tuple[float, float] | None:
    """The target band in µV, or None (no target, or not known yet)."""
    if step is None or status is None:
        return None
    t = step.target
    if t.kind is TargetKind.BELOW_LINE:
        line = status.threshold_uv
        if not (math.isfinite(line) and line > 0):
            return None
        base = status.baseline_mean_uv
        lo = base * REST_MARGIN if math.isfinite(base) and base < line else 0.0
        return (max(0.0, lo), line)
    if t.kind is TargetKind.PERCENT_MAX:
        top = status.max_uv
        if not (math.isfinite(top) and top > 0):
            return None
        return (top * max(0.0, t.percent - MAX_BAND) / 100.0,
                top * min(100.0, t.percent + MAX_BAND) / 100.0)
    return None


class TargetBand:
    """The band on one envelope plot and (optionally) one meter; :meth:`show` each frame."""

    def __init__(self, plots: LivePlotsWidget, meter: RelaxationMeterWidget | None) -> None:
        self.plots = plots
        self.meter = meter
        self.region = pg.LinearRegionItem(values=(0, 0), orientation="horizontal",
                                          movable=False, brush=pg.mkBrush(*BAND_RGBA),
                                          pen=pg.mkPen(None))
        self.region.setZValue(-5)
        self.region.setVisible(False)
        self.label = pg.InfLineLabel(self.region.lines[1], "target", position=0.5,
                                     anchors=[(0.5, 1), (0.5, 1)], color=theme.GREEN)
        plots.env_plot.getPlotItem().addItem(self.region, ignoreBounds=True)
        self.band: tuple[float, float] | None = None

    def show(self, step: Step | None, status: ProcessorStatus | None) -> None:
        band = band_uv(step, status)
        if band != self.band:
            self.band = band
            if band is not None:
                self.region.setRegion(band)
            self.region.setVisible(band is not None)
        text = "your target" if step is not None and step.target.kind is TargetKind.BELOW_LINE \
            else f"target: {share_words(step.target.percent)} your strength" if step else ""
        if band is not None and self.label.format != text:
            self.label.setFormat(text)
        if self.meter is not None:
            top = status.scale_top_uv if status is not None else math.nan
            levels = None
            if band is not None and step is not None and math.isfinite(top) and top > 0 \
                    and step.target.kind is TargetKind.PERCENT_MAX:
                levels = (band[0] / top, band[1] / top)  # the line is the tick already
            self.meter.set_target(levels)

    def remove(self) -> None:
        self.plots.env_plot.getPlotItem().removeItem(self.region)
        if self.meter is not None:
            self.meter.set_target(None)


__all__ = ["TargetBand", "band_uv", "share_words", "target_words"]
