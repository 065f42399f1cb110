"""Live plots: filtered EMG, its RMS envelope with the "relax below" line, and vaginal pressure.

Redrawn by the window's timer (``show_traces`` / ``show_status``), never by the data thread.

**A readable rest region.** The envelope plot's vertical scale follows the *resting range*,
not the peaks: its top is a "nice" value of at least :data:`REST_TOP_MIN_UV` (so 2-10 µV is
always in view), 2.5 x the line and the baseline band plus margin (:func:`rest_scale_top`).
A contraction above it is clipped at the top edge (the trace runs along the ceiling for as
long as it lasts) and marked there with "▲ peak 48 µV". Why not a log scale: the patients
who use this learn to *let go*; what they watch is the last few µV between the line and
their rest, and a linear scale keeps equal steps equal (a log scale would make 2 -> 4 µV look
as big as 20 -> 40 µV, and labels on a log axis are hard to read at a glance). The height of
a contraction is secondary for relaxation training and is still given, as a number. The scale
never follows a peak, so after a 50 µV squeeze the line, the band and the trace keep their
place instead of collapsing into a 5 px strip.

**Styles that differ by more than colour**: the line is thick, dashed and labelled; the
pelvic-floor trace is solid blue; the abdominal (accessory) trace is thin, dotted and
grey-blue; the resting band is a labelled green band; the published resting-tone values are a
hatched grey band with their source in a tooltip. Stale or missing signal greys every trace
and says "No signal" on the plots; simulated data carries a "SIMULATED DATA" watermark.

**A window that costs little** (software rendering is the worst case): the time axis is
relative ("-10 s ... now"), so its ticks never move and pyqtgraph replays the cached axis
picture instead of laying it out again each frame (in replay the axis shows file time, and
does move); every y-range is chosen from a few "nice" values with hysteresis, so the left
axes re-lay out only when the scale really changes; the raw EMG is peak-decimated to about
two points per pixel column before ``setData`` (bins aligned to the sample clock, so peaks
do not flicker); dense traces use thin, non-antialiased pens; nothing autoranges; unchanged
data is not set again; hidden plots are skipped; the raw EMG is redrawn at half and the
pressure at a third of the rate; the grid, the band fills and the watermark live in the view's
cached background (:class:`PlotView`), not in pyqtgraph's axis picture; thick lines are 1 px
strokes drawn twice; the plot views are opaque, so their parents are not repainted beneath.
``BIOFEEDBACK_PROFILE_PAINT=1`` logs paint and update times (off: no cost). Figures:
``docs/performance.md``, "Live window cost".
"""

from __future__ import annotations

import bisect
import contextlib
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QLineF, QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import (
    QBrush,
    QCloseEvent,
    QColor,
    QFont,
    QPainter,
    QPaintEvent,
    QPen,
    QTransform,
)
from PyQt6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.live_session import LiveSnapshot
from biofeedback.app.live_types import LinkState, SessionPhase, Traces
from biofeedback.app.reference_values import RESTING_TONE
from biofeedback.formats.vocabulary import kind_of
from biofeedback.signal import FeedbackState
from biofeedback.streams import Annotation
from biofeedback.ui import theme

PRESSURE_MIN_SPAN = 20.0  # cmH2O: breathing (~1 cmH2O) should not look like a squeeze
REST_TOP_MIN_UV = 12.0  # the envelope scale always shows 0-12 µV: the resting range
LINE_HEADROOM = 2.5  # the scale's top is at least this many times the line
NICE_TOPS = (12.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 120.0, 150.0, 200.0,
             250.0, 300.0, 400.0, 500.0, 600.0, 800.0, 1000.0)
MAX_PEAK_LABELS = 4
MAX_LIVE_MARKERS = 50
PRESSURE_EVERY = 3  # pressure redrawn every third frame (~10 Hz): it changes slowly
RAW_EVERY = 2  # the raw EMG (a check for artefacts, not the feedback) every second frame
POINTS_PER_PIXEL = 2
NO_SIGNAL_LINKS = frozenset({LinkState.NOT_ANSWERING, LinkState.DISCONNECTED,
                             LinkState.RECONNECTING, LinkState.FAILED})
PROFILE_ENV = "BIOFEEDBACK_PROFILE_PAINT"
WATERMARK = "SIMULATED DATA"
# static items (grid, bands, overlays) are drawn once into a pixmap and blitted each frame
CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache
EDGE_PX = 3  # an axis's bounds keep this far from the data area (see EdgeAxis)
ENV_FLOOR_MARGIN = 0.03  # fraction of the envelope scale shown below 0 µV
NOW_MARGIN = 0.015  # fraction of the window drawn after "now"
LEFT_AXIS_PX = 62  # every plot's left axis has this width, so their time axes line up


# -- pure helpers (tested directly) -------------------------------------------------------
def nice_ceiling(value: float, steps: Sequence[float] = NICE_TOPS) -> float:
    """The smallest of ``steps`` >= ``value`` (powers of ten beyond the table)."""
    for s in steps:
        if value <= s:
            return s
    return float(10 ** math.ceil(math.log10(value)))


def rest_scale_top(line_uv: float, baseline_mean_uv: float = math.nan,
                   baseline_sd_uv: float = math.nan, floor_uv: float = math.nan) -> float:
    """The envelope plot's top (µV): follows the resting range, never a peak.

    At least :data:`REST_TOP_MIN_UV`, ``LINE_HEADROOM`` x the line, the baseline band plus
    3 SD of margin and twice the lowest sustained level seen (a guarded start before the line
    is known), rounded up to a nice value.
    """
    need = [REST_TOP_MIN_UV]
    if math.isfinite(line_uv) and line_uv > 0:
        need.append(LINE_HEADROOM * line_uv)
    if math.isfinite(baseline_mean_uv):
        sd = baseline_sd_uv if math.isfinite(baseline_sd_uv) else 0.0
        need.append(baseline_mean_uv + 4.0 * sd)
    if math.isfinite(floor_uv):
        need.append(2.0 * floor_uv)
    return nice_ceiling(max(need))


def peak_decimate(t: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Min/max per bin so at most ``max_points`` remain; NaN (gaps) survive as breaks.

    Bins are aligned to the sample clock (``round(t / dt)``), so a scrolling trace keeps the
    same bins from frame to frame and its peaks do not flicker.
    """
    n = len(y)
    if n <= max(2, max_points) or n < 2:
        return t, y
    per = int(math.ceil(2 * n / max_points))
    dt = (t[-1] - t[0]) / (n - 1)
    lead = int(round(t[0] / dt)) % per if dt > 0 else 0
    bins = int(math.ceil((n + lead) / per))
    padded = np.full(bins * per, np.nan)
    padded[lead:lead + n] = y
    blocks = padded.reshape(bins, per)
    out = np.empty(2 * bins)
    out[0::2] = np.fmin.reduce(blocks, axis=1)
    out[1::2] = np.fmax.reduce(blocks, axis=1)
    starts = np.clip(np.arange(bins) * per - lead, 0, n - 1)
    tb = np.repeat(t[starts], 2)
    return tb, out


@dataclass(frozen=True)
class ClippedPeak:
    t_s: float
    peak_uv: float


def clipped_peaks(t: np.ndarray, y: np.ndarray, top: float,
                  limit: int = MAX_PEAK_LABELS) -> list[ClippedPeak]:
    """The maximum of each run of ``y`` above ``top`` (the largest ``limit``, in time order)."""
    above = np.isfinite(y) & (y > top)
    if not above.any():
        return []
    edges = np.diff(np.concatenate(([0], above.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    peaks = []
    for a, b in zip(starts, ends, strict=True):
        i = a + int(np.argmax(y[a:b]))
        peaks.append(ClippedPeak(float(t[i]), float(y[i])))
    peaks.sort(key=lambda p: -p.peak_uv)
    return sorted(peaks[:limit], key=lambda p: p.t_s)


class SteadyRange:
    """A y-range that moves in nice steps with hysteresis: grows at once, shrinks only when
    the data would fit in half of it, so the axis re-lays out rarely."""

    def __init__(self, min_span: float) -> None:
        self.min_span = min_span
        self.lo = math.nan
        self.hi = math.nan

    def update(self, lo: float, hi: float) -> bool:
        """Fit ``lo..hi``; True when the range changed."""
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return False
        span = self.hi - self.lo
        inside = math.isfinite(span) and self.lo <= lo and hi <= self.hi
        if inside and (hi - lo) > 0.5 * span - 1e-9:
            return False
        if inside and span <= self.min_span + 1e-9:
            return False
        step = nice_ceiling(max(self.min_span, hi - lo) / 4, (1, 2, 2.5, 5, 10)) / 2
        mid = 0.5 * (lo + hi)
        half = max(self.min_span / 2, 0.5 * (hi - lo) * 1.2)
        self.lo = math.floor((mid - half) / step) * step
        self.hi = math.ceil((mid + half) / step) * step
        return True


def annotation_label(text: str) -> tuple[str, str]:
    """(kind, label shown on the plot) for a file annotation (``formats/vocabulary.py``)."""
    kind = kind_of(text)
    rest = text.split(":", 1)[1] if ":" in text else ""
    if kind == "marker":
        number, _, label = rest.partition(":")
        return kind, f"{number} {label}".strip()
    if kind == "contraction":
        return kind, "contraction"
    if kind == "gap":
        return kind, f"gap ({rest})" if rest else "gap"
    if kind in ("protocol", "rating", "device", "recording", "note"):
        return kind, rest or kind
    return kind, text


# -- paint profiling (only when BIOFEEDBACK_PROFILE_PAINT=1) ------------------------------
class PaintProfiler:
    """Sums the plots' paint time (GUI-thread CPU time, robust on a busy machine) per frame
    and logs a line to stderr every few seconds:
    ``paint-profile frames=N paint_ms_mean=.. paint_ms_p95=.. update_ms_mean=..``."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self._paint: list[float] = []
        self._update: list[float] = []
        self._frame_paint = 0.0
        self._since = time.perf_counter()

    def painted(self, seconds: float) -> None:
        self._frame_paint += seconds

    def updated(self, seconds: float) -> None:
        """One frame's data update (``show_traces``); closes the previous frame's paint."""
        self._paint.append(self._frame_paint)
        self._frame_paint = 0.0
        self._update.append(seconds)
        now = time.perf_counter()
        if now - self._since >= self.every_s:
            self._report()
            self._since = now

    def _report(self) -> None:
        p = np.array(self._paint) * 1e3
        u = np.array(self._update) * 1e3
        print(f"paint-profile frames={len(p)} paint_ms_mean={p.mean():.2f} "
              f"paint_ms_p95={np.percentile(p, 95):.2f} update_ms_mean={u.mean():.2f}",
              file=sys.stderr, flush=True)
        self._paint.clear()
        self._update.clear()


PROFILER: PaintProfiler | None = PaintProfiler() if os.environ.get(PROFILE_ENV) == "1" else None


# -- pieces of a plot ----------------------------------------------------------------------
class EdgeAxis(pg.AxisItem):
    """An axis of labels only, whose bounds stop short of the data area.

    Qt repaints every item within a pixel of a dirty area, and a scrolling trace dirties its
    whole view box every frame: an axis touching it was repainted with every frame. So the
    axis draws no line and no ticks (the grid and the frame are in the plot's cached
    background, see :class:`PlotView`) and its bounding rect keeps :data:`EDGE_PX` away."""

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.setStyle(tickLength=0, tickTextOffset=EDGE_PX + 3)
        self.setPen(pg.mkPen(None))

    def boundingRect(self) -> QRectF:
        r = super().boundingRect()
        side = {"left": (0, 0, -EDGE_PX, 0), "right": (EDGE_PX, 0, 0, 0),
                "bottom": (0, EDGE_PX, 0, 0), "top": (0, 0, 0, -EDGE_PX)}[self.orientation]
        return r.adjusted(*side)


class RelativeTimeAxis(EdgeAxis):
    """Seconds before now: "-10 … -2, now" (live; the range is fixed, so the picture is
    cached), or plain file seconds (replay). One axis for both: it is never swapped, since a
    replaced axis item could still be painted after pyqtgraph let it go."""

    relative = True

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if not self.relative:
            return super().tickStrings(values, scale, spacing)
        return ["now" if abs(v) < 1e-9 else f"{v:g}" for v in values]


class PlotOverlay:
    """A text centred on a plot's view box ("No signal"), in pixels, not data."""

    def __init__(self, vb: pg.ViewBox, text: str, color: tuple[int, ...] | str,
                 point_size: int, bold: bool = True) -> None:
        self.vb = vb
        self.item = QGraphicsSimpleTextItem(text, vb)
        font = QFont()
        font.setPointSize(point_size)
        font.setBold(bold)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
        self.item.setFont(font)
        self.item.setBrush(QBrush(QColor(*color) if isinstance(color, tuple) else QColor(color)))
        self.item.setZValue(50)
        self.item.setCacheMode(CACHED)
        self.item.setVisible(False)
        vb.sigResized.connect(self._place)

    def set_visible(self, on: bool) -> None:
        if on != self.item.isVisible():
            self.item.setVisible(on)
            if on:
                self._place()

    def set_text(self, text: str) -> None:
        if text != self.item.text():
            self.item.setText(text)
            self._place()

    def _place(self, *_: object) -> None:
        r: QRectF = self.vb.boundingRect()
        b = self.item.boundingRect()
        self.item.setPos(r.center().x() - b.width() / 2, r.center().y() - b.height() / 2)


class PlotView(pg.PlotWidget):
    """A plot whose static layers are painted into the view's cached background.

    The grid, the filled bands (baseline, published rest) and the "SIMULATED DATA" watermark
    change only when the range, a band or the source changes, so they are drawn once into
    QGraphicsView's background cache and blitted under the traces each frame, instead of
    being painted as items every frame. (pyqtgraph's own grid is part of the axis picture and
    spans the plot, so every trace redraw replayed the axes: a third of the window's CPU.)
    The band items stay in the scene, transparent, for their labels and tooltips.
    """

    def __init__(self, axisItems: dict[str, pg.AxisItem] | None = None) -> None:
        super().__init__(axisItems=axisItems)
        self._bands: list[tuple[pg.LinearRegionItem, QBrush]] = []
        self.watermark = ""
        self.watermark_pt = 20
        vb = self.getPlotItem().vb
        vb.sigTransformChanged.connect(self.refresh_background)
        vb.sigResized.connect(self.refresh_background)

    def add_band(self, region: pg.LinearRegionItem, brush: QBrush) -> None:
        """Fill ``region`` (horizontal) with ``brush`` in the background while it is visible."""
        self._bands.append((region, brush))
        region.sigRegionChanged.connect(self.refresh_background)
        region.visibleChanged.connect(self.refresh_background)
        self.refresh_background()

    def set_watermark(self, text: str) -> None:
        if text != self.watermark:
            self.watermark = text
            self.refresh_background()

    def refresh_background(self, *_: object) -> None:
        if getattr(self, "closed", False):
            return
        self.resetCachedContent()
        self.viewport().update()

    def shutdown(self) -> None:
        """Tear the view down now, in order (pyqtgraph's ``close``: the scene is cleared and
        the view stops painting), instead of leaving the widgets to be destroyed in whatever
        order the window's deletion takes: a paint of a half-deleted scene crashed."""
        if getattr(self, "closed", False):
            return
        vb = self.getPlotItem().vb
        for sig in (vb.sigTransformChanged, vb.sigResized):
            with contextlib.suppress(TypeError, RuntimeError):
                sig.disconnect(self.refresh_background)
        for region, _brush in self._bands:
            for sig in (region.sigRegionChanged, region.visibleChanged):
                with contextlib.suppress(TypeError, RuntimeError):
                    sig.disconnect(self.refresh_background)
        self._bands = []
        self.close()

    #: Called after each paint (``benchmarks/bench_latency.py`` times the frames); None: no cost.
    painted_hook: Callable[[], None] | None = None

    def paintEvent(self, ev: QPaintEvent | None) -> None:
        if getattr(self, "closed", False):  # shut down: its scene is gone
            return
        if PROFILER is None:
            super().paintEvent(ev)
        else:
            t0 = time.thread_time()
            super().paintEvent(ev)
            PROFILER.painted(time.thread_time() - t0)
        if self.painted_hook is not None:
            self.painted_hook()

    def drawBackground(self, painter: QPainter | None, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if painter is None:
            return
        item = self.getPlotItem()
        vb = item.vb
        area = vb.sceneBoundingRect()
        to_scene = vb.childGroup.sceneTransform()
        (x0, x1), (y0, y1) = vb.viewRange()
        painter.save()
        painter.setClipRect(area)
        for region, brush in self._bands:
            if region.isVisible():
                lo, hi = region.getRegion()
                painter.fillRect(to_scene.mapRect(QRectF(x0, lo, x1 - x0, hi - lo)), brush)
        for color, xs, ys in self._grid(item, x0, x1, y0, y1):
            painter.setPen(QPen(QColor(color), 0))
            for x in xs:
                sx = to_scene.map(QPointF(x, y0)).x()
                painter.drawLine(QLineF(sx, area.top(), sx, area.bottom()))
            for y in ys:
                sy = to_scene.map(QPointF(x0, y)).y()
                painter.drawLine(QLineF(area.left(), sy, area.right(), sy))
        painter.setPen(QPen(QColor(theme.MUTED), 0))  # the frame the axes no longer draw
        painter.drawLine(QLineF(area.left(), area.top(), area.left(), area.bottom()))
        if item.getAxis("bottom").isVisible():
            painter.drawLine(QLineF(area.left(), area.bottom(), area.right(), area.bottom()))
        if self.watermark:
            font = QFont()
            font.setPointSize(self.watermark_pt)
            font.setBold(True)
            font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
            painter.setFont(font)
            painter.setPen(QColor(*theme.WATERMARK))
            painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter), self.watermark)
        painter.restore()

    def _grid(self, item: pg.PlotItem, x0: float, x1: float, y0: float, y1: float
              ) -> list[tuple[str, list[float], list[float]]]:
        vb = item.vb
        (mx, nx), (my, ny) = (_ticks(item.getAxis("bottom"), x0, x1, vb.width()),
                              _ticks(item.getAxis("left"), y0, y1, vb.height()))
        return [(theme.GRID_MINOR, nx, ny), (theme.GRID, mx, my)]


def _ticks(axis: pg.AxisItem, lo: float, hi: float, size: float
           ) -> tuple[list[float], list[float]]:
    """Major and minor tick values of ``axis`` (what it labels), minor without the majors."""
    if not (size > 0 and hi > lo):
        return [], []
    levels = axis.tickValues(lo, hi, size)
    major = [float(v) for v in (levels[0][1] if levels else [])]
    seen = {round(v, 9) for v in major}
    minor = [float(v) for v in (levels[1][1] if len(levels) > 1 else [])
             if round(v, 9) not in seen]
    return major, minor


def _make_plot(title: str, left_label: str, bottom: pg.AxisItem | None) -> PlotView:
    axes: dict[str, pg.AxisItem] = {"left": EdgeAxis("left")}
    if bottom is not None:
        axes["bottom"] = bottom
    w = PlotView(axisItems=axes)
    w.setBackground(theme.PANEL)
    # the view paints every pixel itself: without this, each redraw of a trace also repaints
    # the (style-sheet) backgrounds of every parent widget beneath it
    for widget in (w, w.viewport()):
        widget.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
    w.setFrameShape(QFrame.Shape.NoFrame)
    # dirty rects exactly as reported: no 2 px margin that reaches into the axes every frame
    w.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
    item = w.getPlotItem()
    item.setTitle(title, color=theme.TEXT, size="13pt")
    item.setLabel("left", left_label, color=theme.MUTED)
    item.setMenuEnabled(False)
    item.hideButtons()
    item.disableAutoRange()
    w.setMouseEnabled(x=False, y=False)
    item.getAxis("left").setWidth(LEFT_AXIS_PX)
    for axis in ("left", "bottom"):
        item.getAxis(axis).setTextPen(theme.MUTED)
        if not isinstance(item.getAxis(axis), EdgeAxis):
            item.getAxis(axis).setPen(theme.MUTED)
    return w


class FastCurve(pg.PlotCurveItem):
    """A curve whose bounding rect is the visible area of its view box.

    The view box clips its children anyway and a scrolling trace dirties the whole view every
    frame, so the per-frame min/max of the data pyqtgraph would compute for the bounds (and
    for the scene's dirty region) buys nothing.
    """

    def __init__(self, pen: QPen, antialias: bool, strokes: int = 1) -> None:
        super().__init__(pen=pen, antialias=antialias, connect="finite", skipFiniteCheck=True)
        self.strokes = strokes

    def paint(self, p: QPainter, *args: object) -> None:
        """``strokes`` > 1: a thick line as 1 px strokes shifted down a pixel each, which
        software rendering draws ~3x faster than one wide pen."""
        super().paint(p, *args)
        for _ in range(self.strokes - 1):
            p.setWorldTransform(p.worldTransform() * QTransform.fromTranslate(0, 1))
            super().paint(p, *args)

    def boundingRect(self) -> QRectF:
        vb = self.getViewBox()
        return QRectF(vb.viewRect()) if isinstance(vb, pg.ViewBox) else QRectF()

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        super().viewRangeChanged()

    def show_data(self, x: np.ndarray, y: np.ndarray, connect: str = "finite") -> None:
        self.setData(x, y, connect=connect, skipFiniteCheck=True)


def _curve(plot: pg.PlotWidget, pen: QPen, antialias: bool, strokes: int = 1) -> FastCurve:
    curve = FastCurve(pen, antialias, strokes)
    plot.getPlotItem().addItem(curve, ignoreBounds=True)
    return curve


def _paint_nothing(*items: QGraphicsItem) -> None:
    """Tell Qt these items draw nothing themselves (transparent bands, pen-less edges):
    it then skips their Python ``paint`` each frame; their children (labels) still paint."""
    for item in items:
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)


def _cached(*items: QGraphicsItem) -> None:
    """Labels and the dashed line change rarely but sit in the area every frame repaints:
    Qt keeps their pixels and blits them (moving them too) instead of calling their Python
    ``paint`` and laying out the text again each frame."""
    for item in items:
        item.setCacheMode(CACHED)


def _key(color: str, dash: str, text: str) -> str:
    return f'<span style="color:{color}">{dash}</span>&nbsp;{text}'


@dataclass
class _Placed:
    """An annotation item kept in data time; ``place`` moves it with the time offset."""

    t0: float
    t1: float
    item: pg.GraphicsObject
    label: pg.TextItem | None = None
    peak_uv: float = math.nan


class LivePlotsWidget(QWidget):
    """EMG, envelope and pressure stacked on one time axis; ``compact``: the envelope only,
    large and calm (the patient view)."""

    sigLineMoved = pyqtSignal(float)  # the user dragged the "relax below" line (µV)

    def __init__(self, window_s: float = 10.0, compact: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_s = float(window_s)
        self.compact = compact
        self._relative = True
        self._offset = 0.0  # x = t - offset (the newest time in relative mode)
        self._env_top = REST_TOP_MIN_UV
        self._frame = 0
        self._last_key: tuple[float, float, int] | None = None
        self._no_signal = False
        self._placed: list[_Placed] = []  # sorted by t0
        self._live_markers: list[_Placed] = []
        self._peak_labels: list[pg.TextItem] = []
        self._peaks: list[ClippedPeak] = []  # clipped peaks of the last frame (x on screen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self._build_plots(layout)
        self._build_env_items()
        for p in self._plots():
            p.watermark_pt = 28 if compact else 20
        self._no_signal_text = [PlotOverlay(p.getPlotItem().vb, "No signal", theme.MUTED, 18)
                                for p in self._plots()]
        self._apply_x_range()
        self._set_env_top(REST_TOP_MIN_UV, force=True)

    # -- construction ------------------------------------------------------------------
    def _build_plots(self, layout: QVBoxLayout) -> None:
        self.raw_plot = _make_plot("Pelvic-floor EMG (filtered)", "µV", None)
        self.env_plot = _make_plot("Muscle activity (RMS envelope)", "µV RMS",
                                   RelativeTimeAxis("bottom"))
        self.pressure_plot = _make_plot("Vaginal pressure", "cmH₂O", RelativeTimeAxis("bottom"))
        for p in (self.raw_plot, self.pressure_plot):
            p.setXLink(self.env_plot)
            p.getPlotItem().hideAxis("bottom")
        order = [self.env_plot] if self.compact else [self.raw_plot, self.env_plot,
                                                      self.pressure_plot]
        for p, stretch in zip(order, (2, 3, 2) if len(order) == 3 else (1,), strict=False):
            layout.addWidget(p, stretch)
        self.raw_plot.setVisible(not self.compact)
        self.pressure_plot.setVisible(not self.compact)
        if not self.compact:  # the time axis sits under the lowest plot
            self.env_plot.getPlotItem().hideAxis("bottom")
            self.pressure_plot.getPlotItem().showAxis("bottom")
        self._set_time_label()
        self.raw_curve = _curve(self.raw_plot, pg.mkPen(theme.EMG_RAW, width=1), False)
        self._raw_range = SteadyRange(20.0)
        self.pressure_curve = _curve(self.pressure_plot, pg.mkPen(theme.PRESSURE, width=1), False,
                                     strokes=2)
        self._pressure_range = SteadyRange(PRESSURE_MIN_SPAN)

    def _time_axis_plot(self) -> pg.PlotWidget:
        return self.env_plot if self.compact else self.pressure_plot

    def _plots(self) -> list[pg.PlotWidget]:
        return [self.env_plot] if self.compact else [self.raw_plot, self.env_plot,
                                                     self.pressure_plot]

    def _build_env_items(self) -> None:
        item = self.env_plot.getPlotItem()
        if not self.compact:  # the key in the title: no legend box over the traces
            item.setTitle(f"Muscle activity (RMS envelope)&nbsp;&nbsp;&nbsp;"
                          f"{_key(theme.ENVELOPE, '━━', 'pelvic floor')}&nbsp;&nbsp;"
                          f"{_key(theme.ACCESSORY, '┈┈┈', 'abdominal (accessory)')}",
                          color=theme.TEXT, size="13pt")
        self.env_curve = _curve(self.env_plot, pg.mkPen(theme.ENVELOPE, width=1), False,
                                strokes=3 if self.compact else 2)
        self.acc_curve = _curve(self.env_plot, pg.mkPen(theme.ACCESSORY, width=1,
                                                        style=Qt.PenStyle.DotLine), False)
        self.reference_band = self._reference_band()
        self.baseline_band = pg.LinearRegionItem(
            values=(0, 0), orientation="horizontal", movable=False,
            brush=pg.mkBrush(None), pen=pg.mkPen(None))
        self.baseline_band.setZValue(-10)
        self.baseline_band.setVisible(False)
        _paint_nothing(self.baseline_band, *self.baseline_band.lines)  # filled in the background
        self.env_plot.add_band(self.baseline_band, pg.mkBrush(*theme.BASELINE_BAND))
        self.baseline_label = pg.InfLineLabel(
            self.baseline_band.lines[1], "your rest", position=0.98, anchors=[(1, 0), (1, 0)],
            color=theme.GREEN, fill=pg.mkBrush(*theme.LABEL_FILL))
        _cached(self.baseline_label)
        item.addItem(self.baseline_band)
        self.threshold_line = pg.InfiniteLine(
            pos=10.0, angle=0, movable=True,
            pen=pg.mkPen(theme.THRESHOLD, width=3, style=Qt.PenStyle.DashLine),
            hoverPen=pg.mkPen(theme.THRESHOLD, width=5),
            label="relax below {value:.1f} µV",
            labelOpts={"color": theme.THRESHOLD, "position": 0.03, "anchors": [(0, 1), (0, 1)],
                       "fill": pg.mkBrush(*theme.LABEL_FILL)})
        self.threshold_line.setZValue(15)
        _cached(self.threshold_line, self.threshold_line.label)
        self.threshold_line.setToolTip("Drag to move the line; the meter follows it")
        self.threshold_line.sigPositionChangeFinished.connect(self._on_line_dragged)
        item.addItem(self.threshold_line)
        for _ in range(MAX_PEAK_LABELS):
            label = pg.TextItem("", color=theme.TEXT, anchor=(0.5, 0),
                                fill=pg.mkBrush(*theme.LABEL_FILL))
            label.setZValue(30)
            _cached(label)
            label.setVisible(False)
            item.addItem(label, ignoreBounds=True)
            self._peak_labels.append(label)

    def _reference_band(self) -> pg.LinearRegionItem:
        brush = QBrush(QColor(*theme.REFERENCE_BAND), Qt.BrushStyle.BDiagPattern)
        band = pg.LinearRegionItem(values=(RESTING_TONE.low_uv, RESTING_TONE.high_uv),
                                   orientation="horizontal", movable=False,
                                   brush=pg.mkBrush(None), pen=pg.mkPen(None))
        band.setZValue(-20)
        self.env_plot.add_band(band, brush)  # the fill is in the cached background
        _paint_nothing(band, *band.lines)
        band.setToolTip(f"{RESTING_TONE.label}\n{RESTING_TONE.source}\n{RESTING_TONE.caveat}")
        _cached(pg.InfLineLabel(band.lines[1], RESTING_TONE.label, position=0.5,
                                anchors=[(0.5, 1), (0.5, 1)], color=theme.MUTED))
        self.env_plot.getPlotItem().addItem(band)
        return band

    # -- the agreed API ----------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent | None) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Close the plots for good (the window is closing): see :meth:`PlotView.shutdown`."""
        for p in (self.raw_plot, self.env_plot, self.pressure_plot):
            p.shutdown()

    @property
    def wants_raw(self) -> bool:
        """Whether the next frame redraws the raw EMG (the caller may skip fetching it)."""
        return not self.compact and ((self._frame + 1) % RAW_EVERY == 0 or self._frame == 0)

    def show_traces(self, traces: Traces) -> None:
        """Draw the last ``window_s`` seconds (display clock; NaN = gap)."""
        t0 = time.thread_time() if PROFILER is not None else 0.0
        t_end = max((float(a[-1]) for a in (traces.emg_t, traces.env_t) if a.size), default=None)
        if t_end is None:
            return
        key = (t_end, float(traces.pressure_t[-1]) if traces.pressure_t.size else math.nan,
               len(traces.env_t))
        if key == self._last_key:
            return  # nothing new (paused replay, stale link): no setData, no repaint
        self._last_key = key
        self._frame += 1
        self._offset = t_end if self._relative else 0.0
        if not self._relative:
            self._apply_x_range(t_end)
        self._show_envelope(traces.env_t, traces.envelope)
        if not self.compact:
            if self._frame % RAW_EVERY == 0 or self._frame == 1:
                self._show_raw(traces.emg_t, traces.emg)
            if self._frame % PRESSURE_EVERY == 1:
                self._show_pressure(traces.pressure_t, traces.pressure)
        self._place_annotations()
        if PROFILER is not None:
            PROFILER.updated(time.thread_time() - t0)

    def show_status(self, snap: LiveSnapshot) -> None:
        """Line (unless being dragged), baseline band, "No signal" grey-out, watermark."""
        self._set_relative(snap.source_kind != "replay")
        st = snap.status
        if st is not None:
            if math.isfinite(st.threshold_uv) and not self.threshold_line.moving:
                self._set_line(st.threshold_uv)
            ready = st.baseline_ready or st.baseline_provisional
            self._set_band(st.baseline_mean_uv, st.baseline_sd_uv, ready, st.baseline_provisional)
            self._set_env_top(rest_scale_top(self.threshold_line.value(), st.baseline_mean_uv,
                                             st.baseline_sd_uv, st.baseline_floor_uv))
        active = snap.phase in (SessionPhase.RUNNING, SessionPhase.PAUSED)
        no_signal = active and (snap.link in NO_SIGNAL_LINKS
                                or snap.meter.state is FeedbackState.NO_SIGNAL)
        self._set_no_signal(no_signal, snap.meter.detail if no_signal else "")
        for p in self._plots():
            p.set_watermark(WATERMARK if snap.simulated else "")

    def add_marker(self, t_s: float, label: str) -> None:
        """A live marker (number keys) at ``t_s`` (display clock)."""
        placed = self._vertical_line(t_s, label, theme.MARKER, Qt.PenStyle.DashLine)
        self._live_markers.append(placed)
        self._insert(placed)
        while len(self._live_markers) > MAX_LIVE_MARKERS:
            self._remove(self._live_markers.pop(0))
        self._place_annotations()

    def add_contraction(self, onset_s: float, offset_s: float, peak_uv: float) -> None:
        """A light span from onset to release, with its peak at the top."""
        self._insert(self._span(onset_s, offset_s, theme.CONTRACTION_SPAN, peak_uv, "contraction"))
        self._place_annotations()
        self._show_peaks()  # the span now carries the peak: no second label

    def set_annotations(self, annotations: Sequence[Annotation]) -> None:
        """Replay: every marker, contraction, step... of the file (replaces the previous set)."""
        for p in [p for p in self._placed if p not in self._live_markers]:
            self._remove(p)
        for a in annotations:
            kind, label = annotation_label(a.text)
            if kind == "contraction" or (kind == "gap" and a.duration_s > 0):
                color = theme.CONTRACTION_SPAN if kind == "contraction" else theme.GAP_SPAN
                self._insert(self._span(a.onset_s, a.onset_s + a.duration_s, color, math.nan,
                                        label))
            elif kind not in ("recording",):
                color = theme.STEP if kind == "protocol" else theme.MARKER
                style = Qt.PenStyle.SolidLine if kind == "protocol" else Qt.PenStyle.DashLine
                self._insert(self._vertical_line(a.onset_s, label, color, style))
        self._place_annotations()

    def clear(self) -> None:
        """Back to idle: empty plots, no markers, no bands, no overlays."""
        for c in (self.raw_curve, self.env_curve, self.acc_curve, self.pressure_curve):
            c.show_data(np.zeros(0), np.zeros(0))
        for p in list(self._placed):
            self._remove(p)
        self._live_markers.clear()
        self._peaks = []
        self._show_peaks()
        self.baseline_band.setVisible(False)
        self._set_no_signal(False, "")
        for p in self._plots():
            p.set_watermark("")
        self._last_key = None
        self._frame = 0
        self._offset = 0.0
        self._apply_x_range()

    # -- state queries (the window and tests) -------------------------------------------
    @property
    def env_top_uv(self) -> float:
        return self._env_top

    @property
    def no_signal(self) -> bool:
        return self._no_signal

    @property
    def watermark_visible(self) -> bool:
        return all(p.watermark == WATERMARK for p in self._plots())

    def peak_texts(self) -> list[str]:
        """The peak labels on screen (clipped peaks and contraction spans)."""
        texts = [lb.toPlainText() for lb in self._peak_labels if lb.isVisible()]
        texts += [p.label.toPlainText() for p in self._placed
                  if p.label is not None and p.item.isVisible() and math.isfinite(p.peak_uv)]
        return texts

    def annotation_count(self) -> int:
        return len(self._placed)

    # -- drawing ------------------------------------------------------------------------
    def _show_envelope(self, t: np.ndarray, env: np.ndarray) -> None:
        if not env.size:
            return
        x = t - self._offset
        ceiling = self._env_top * 0.995  # a clipped peak runs along the top edge
        pf = env[:, 0]
        self.env_curve.show_data(x, np.minimum(pf, ceiling))
        if env.shape[1] > 1:
            self.acc_curve.show_data(x, np.minimum(env[:, 1], ceiling))
        self._peaks = clipped_peaks(x, pf, self._env_top)
        self._show_peaks()

    def _show_peaks(self) -> None:
        spans = [(p.t0 - self._offset, p.t1 - self._offset) for p in self._placed
                 if math.isfinite(p.peak_uv)]
        peaks = [p for p in self._peaks if not any(a <= p.t_s <= b for a, b in spans)]
        for i, label in enumerate(self._peak_labels):
            if i < len(peaks):
                text = f"▲ peak {peaks[i].peak_uv:.0f} µV"
                if label.toPlainText() != text:
                    label.setText(text)
                label.setPos(peaks[i].t_s, self._env_top)
            label.setVisible(i < len(peaks))

    def _show_raw(self, t: np.ndarray, emg: np.ndarray) -> None:
        if not emg.size or not self.raw_plot.isVisible():
            return
        width = max(200, int(self.raw_plot.getPlotItem().vb.width()))
        td, yd = peak_decimate(t, emg[:, 0], POINTS_PER_PIXEL * width)
        if len(yd) < len(t):  # one min-max bar per pixel column: half the segments to draw
            keep = np.repeat(np.isfinite(yd[0::2]) & np.isfinite(yd[1::2]), 2)
            self.raw_curve.show_data(td[keep] - self._offset, yd[keep], connect="pairs")
        else:
            self.raw_curve.show_data(td - self._offset, yd)
        finite = yd[np.isfinite(yd)]
        if finite.size:
            amp = float(np.max(np.abs(finite)))
            if self._raw_range.update(-amp, amp):
                half = max(abs(self._raw_range.lo), abs(self._raw_range.hi))
                self.raw_plot.getPlotItem().setYRange(-half, half, padding=0)

    def _show_pressure(self, t: np.ndarray, p: np.ndarray) -> None:
        if not p.size or not self.pressure_plot.isVisible():
            return
        y = p[:, 0]
        width = max(100, int(self.pressure_plot.getPlotItem().vb.width()))
        td, yd = peak_decimate(t, y, width)  # a slow signal: one point per pixel column
        self.pressure_curve.show_data(td - self._offset, yd)
        finite = y[np.isfinite(y)]
        if finite.size and self._pressure_range.update(float(finite.min()), float(finite.max())):
            self.pressure_plot.getPlotItem().setYRange(self._pressure_range.lo,
                                                      self._pressure_range.hi, padding=0)

    def _set_env_top(self, top: float, force: bool = False) -> None:
        if not force and top == self._env_top:
            return
        self._env_top = top
        item = self.env_plot.getPlotItem()
        major = nice_ceiling(top / 7, (1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500))
        item.getAxis("left").setTickSpacing(major, major / 2)
        # a sliver below 0 so the "0" label and a trace at rest are not cut by the edge
        item.setYRange(-ENV_FLOOR_MARGIN * top, top, padding=0)

    def _set_line(self, value_uv: float) -> None:
        if value_uv != self.threshold_line.value():
            self.threshold_line.setValue(value_uv)

    def _on_line_dragged(self, line: pg.InfiniteLine) -> None:
        value = max(0.1, float(line.value()))
        self._set_env_top(rest_scale_top(value))
        self.sigLineMoved.emit(value)

    def _set_band(self, mean_uv: float, sd_uv: float, ready: bool, provisional: bool) -> None:
        show = ready and math.isfinite(mean_uv) and math.isfinite(sd_uv)
        if show:
            region = (max(0.0, mean_uv - sd_uv), mean_uv + sd_uv)
            if tuple(self.baseline_band.getRegion()) != region:
                self.baseline_band.setRegion(region)
            text = "your rest (still learning)" if provisional else "your rest"
            if self.baseline_label.format != text:
                self.baseline_label.setFormat(text)
        if show != self.baseline_band.isVisible():
            self.baseline_band.setVisible(show)

    def _set_no_signal(self, on: bool, detail: str) -> None:
        for w in self._no_signal_text:
            w.set_text(f"No signal: {detail}" if detail else "No signal")
            w.set_visible(on)
        if on == self._no_signal:
            return
        self._no_signal = on
        grey = theme.NO_SIGNAL
        self.raw_curve.setPen(pg.mkPen(grey if on else theme.EMG_RAW, width=1))
        self.env_curve.setPen(pg.mkPen(grey if on else theme.ENVELOPE, width=1))
        self.acc_curve.setPen(pg.mkPen(grey if on else theme.ACCESSORY, width=1,
                                       style=Qt.PenStyle.DotLine))
        self.pressure_curve.setPen(pg.mkPen(grey if on else theme.PRESSURE, width=1))

    # -- time axis -----------------------------------------------------------------------
    def _set_relative(self, relative: bool) -> None:
        if relative == self._relative:
            return
        self._relative = relative
        self._set_time_label()
        self._apply_x_range(self._offset)
        self._last_key = None

    def _set_time_label(self) -> None:
        plot = self._time_axis_plot().getPlotItem()
        axis = plot.getAxis("bottom")
        if isinstance(axis, RelativeTimeAxis):
            axis.relative = self._relative
            axis.picture = None  # re-label the ticks
            axis.update()
        plot.setLabel("bottom", "seconds before now (s)" if self._relative else "file time (s)",
                      color=theme.MUTED)
        axis.setTextPen(theme.MUTED)

    def _apply_x_range(self, t_end: float = 0.0) -> None:
        if self._relative:  # a little room after "now" so its tick label shows
            lo, hi = -self.window_s, NOW_MARGIN * self.window_s
        else:
            lo, hi = max(0.0, t_end - self.window_s), max(t_end, self.window_s)
        self.env_plot.getPlotItem().setXRange(lo, hi, padding=0)

    # -- annotations ---------------------------------------------------------------------
    def _vertical_line(self, t_s: float, label: str, color: str, style: Qt.PenStyle) -> _Placed:
        line = pg.InfiniteLine(pos=t_s, angle=90, movable=False,
                               pen=pg.mkPen(color, width=1, style=style),
                               label=label or None,
                               labelOpts={"color": color, "position": 0.92,
                                          "fill": pg.mkBrush(*theme.LABEL_FILL)})
        line.setZValue(5)
        return _Placed(t_s, t_s, line)

    def _span(self, t0: float, t1: float, color: tuple[int, ...], peak_uv: float,
              text: str) -> _Placed:
        region = pg.LinearRegionItem(values=(t0, t1), movable=False, brush=pg.mkBrush(*color),
                                     pen=pg.mkPen(None))
        region.setZValue(-15)
        _paint_nothing(*region.lines)  # pen-less edges
        label = pg.TextItem("", color=theme.TEXT, anchor=(0, 0))
        _cached(label)
        label.setZValue(25)
        placed = _Placed(t0, t1, region, label, peak_uv)
        self._span_text(placed, text)
        return placed

    def _span_text(self, placed: _Placed, text: str) -> None:
        if placed.label is None:
            return
        if math.isfinite(placed.peak_uv):
            mark = "▲ " if placed.peak_uv > self._env_top else ""
            text = f"{mark}peak {placed.peak_uv:.0f} µV"
        if placed.label.toPlainText() != text:
            placed.label.setText(text)

    def _insert(self, placed: _Placed) -> None:
        keys = [p.t0 for p in self._placed]
        self._placed.insert(bisect.bisect_right(keys, placed.t0), placed)
        item = self.env_plot.getPlotItem()
        item.addItem(placed.item, ignoreBounds=True)
        if placed.label is not None:
            item.addItem(placed.label, ignoreBounds=True)
        placed.item.setVisible(False)
        if placed.label is not None:
            placed.label.setVisible(False)

    def _remove(self, placed: _Placed) -> None:
        item = self.env_plot.getPlotItem()
        item.removeItem(placed.item)
        if placed.label is not None:
            item.removeItem(placed.label)
        if placed in self._placed:
            self._placed.remove(placed)

    def _place_annotations(self) -> None:
        """Show the annotations inside the window at their x (moves them in relative mode)."""
        if self._relative:
            lo, hi = self._offset - self.window_s, self._offset
        else:
            lo, hi = self._view_limits()
        for p in self._placed:
            visible = p.t1 >= lo and p.t0 <= hi
            if visible:
                self._move(p)
            if visible != p.item.isVisible():
                p.item.setVisible(visible)
                if p.label is not None:
                    p.label.setVisible(visible)

    def _view_limits(self) -> tuple[float, float]:
        (lo, hi), _ = self.env_plot.getPlotItem().vb.viewRange()
        return float(lo), float(hi)

    def _move(self, p: _Placed) -> None:
        a, b = p.t0 - self._offset, p.t1 - self._offset
        if isinstance(p.item, pg.LinearRegionItem):
            if tuple(p.item.getRegion()) != (a, b):
                p.item.setRegion((a, b))
            if p.label is not None:
                self._span_text(p, p.label.toPlainText())
                p.label.setPos(max(a, -self.window_s if self._relative else a), self._env_top)
        elif isinstance(p.item, pg.InfiniteLine) and p.item.value() != a:
            p.item.setValue(a)


__all__ = ["LivePlotsWidget", "nice_ceiling", "peak_decimate", "rest_scale_top"]
