"""Trend charts and the cotton-swab clock face, drawn with reportlab's own graphics."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from biofeedback.storage.records.models import SwabMap

# Okabe-Ito (the app's colours)
BLUE = colors.HexColor("#0072B2")
ORANGE = colors.HexColor("#E69F00")
GREEN = colors.HexColor("#009E73")
VERMILION = colors.HexColor("#D55E00")
GREY = colors.HexColor("#777777")
FONT = "Helvetica"


def line_chart(title: str, unit: str, series: Sequence[tuple[str, Sequence[tuple[dt.datetime,
               float | None]]]], width: float = 250, height: float = 130,
               y_range: tuple[float, float] | None = None) -> Drawing:
    """Values over the sessions' dates; one line per ``(label, [(time, value)])`` series."""
    d = Drawing(width, height)
    d.add(String(4, height - 12, f"{title}" + (f" ({unit})" if unit else ""),
                 fontName="Helvetica-Bold", fontSize=9))
    pts = [[(t, v) for t, v in s if v is not None and math.isfinite(v)] for _, s in series]
    if not any(pts):
        d.add(String(width / 2, height / 2, "not measured yet", fontName=FONT, fontSize=8,
                     fillColor=GREY, textAnchor="middle"))
        return d
    t0 = min(t for p in pts for t, _ in p)
    days = [[((t - t0).total_seconds() / 86400.0, v) for t, v in p] for p in pts]
    xs = [x for p in days for x, _ in p]
    ys = [y for p in days for _, y in p]
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 34, 22, width - 44, height - 46
    plot.data = [p if p else [(0.0, math.nan)] for p in days]
    palette = [BLUE, ORANGE, GREEN, VERMILION]
    for i in range(len(days)):
        plot.lines[i].strokeColor = palette[i % 4]
        plot.lines[i].strokeWidth = 1.2
        plot.lines[i].symbol = makeMarker("FilledCircle", size=3, fillColor=palette[i % 4])
    span = max(xs) - min(xs)
    plot.xValueAxis.valueMin = min(xs) - (0.5 if span == 0 else 0)
    plot.xValueAxis.valueMax = max(xs) + (0.5 if span == 0 else 0)
    plot.xValueAxis.labels.fontName = FONT
    plot.xValueAxis.labels.fontSize = 6
    fmt = "%d %b" if span >= 2 else "%d %b %H:%M"
    plot.xValueAxis.labelTextFormat = lambda x: (t0 + dt.timedelta(days=x)).strftime(fmt)
    plot.xValueAxis.maximumTicks = 6
    lo, hi = y_range if y_range else (min(0.0, min(ys)), max(ys) * 1.15 or 1.0)
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = lo, hi
    plot.yValueAxis.labels.fontName = FONT
    plot.yValueAxis.labels.fontSize = 6
    plot.yValueAxis.maximumTicks = 5
    d.add(plot)
    if len(series) > 1:
        x = width - 10
        for i, (label, _) in reversed(list(enumerate(series))):
            d.add(String(x, height - 12, label, fontName=FONT, fontSize=7,
                         fillColor=palette[i % 4], textAnchor="end"))
            x -= 6 + 4.2 * len(label)
    return d


def bar_chart(title: str, unit: str, labels: Sequence[str], values: Sequence[float],
              width: float = 250, height: float = 130) -> Drawing:
    d = Drawing(width, height)
    d.add(String(4, height - 12, f"{title} ({unit})", fontName="Helvetica-Bold", fontSize=9))
    if not values:
        d.add(String(width / 2, height / 2, "no practice yet", fontName=FONT, fontSize=8,
                     fillColor=GREY, textAnchor="middle"))
        return d
    c = VerticalBarChart()
    c.x, c.y, c.width, c.height = 34, 22, width - 44, height - 46
    c.data = [list(values)]
    c.bars[0].fillColor = GREEN
    c.bars[0].strokeColor = None
    c.valueAxis.valueMin = 0
    c.valueAxis.valueMax = max(max(values) * 1.15, 1.0)
    c.valueAxis.labels.fontName = FONT
    c.valueAxis.labels.fontSize = 6
    c.categoryAxis.categoryNames = list(labels)
    c.categoryAxis.labels.fontName = FONT
    c.categoryAxis.labels.fontSize = 6
    c.categoryAxis.labels.angle = 30 if len(labels) > 6 else 0
    d.add(c)
    return d


def swab_clock(m: SwabMap, size: float = 150) -> Drawing:
    """The cotton-swab map as a clock face: 12 o'clock = urethral meatus; each touched hour a
    dot shaded by pain (0 white → 10 vermilion) with the NRS value beside it."""
    d = Drawing(size, size + 14)
    cx = cy = size / 2
    r = size / 2 - 18
    d.add(String(4, size + 2, f"Cotton-swab map {m.taken:%d %b %Y}", fontName="Helvetica-Bold",
                 fontSize=8))
    d.add(Circle(cx, cy, r, strokeColor=GREY, fillColor=None, strokeWidth=0.8))
    d.add(String(cx, cy + r - 12, "12 = meatus", fontName=FONT, fontSize=5, fillColor=GREY,
                 textAnchor="middle"))
    for hour in range(1, 13):
        a = math.radians(90 - 30 * hour)
        d.add(Line(cx + (r - 3) * math.cos(a), cy + (r - 3) * math.sin(a),
                   cx + r * math.cos(a), cy + r * math.sin(a), strokeColor=GREY))
        if hour % 3 == 0 and hour != 12:
            d.add(String(cx + (r - 12) * math.cos(a), cy + (r - 12) * math.sin(a) - 2,
                         f"{hour}h", fontName=FONT, fontSize=5, fillColor=GREY,
                         textAnchor="middle"))
    for p in m.points:
        a = math.radians(90 - 30 * p.clock)
        x, y = cx + r * math.cos(a), cy + r * math.sin(a)
        shade = max(0.0, min(1.0, p.pain / 10.0))
        fill = colors.linearlyInterpolatedColor(colors.white, VERMILION, 0, 1, shade)
        d.add(Circle(x, y, 6, fillColor=fill, strokeColor=colors.black, strokeWidth=0.5))
        tx, ty = cx + (r + 12) * math.cos(a), cy + (r + 12) * math.sin(a) - 3
        d.add(String(tx, ty, f"{p.pain:g}", fontName="Helvetica-Bold", fontSize=7,
                     textAnchor="middle"))
    return d


__all__ = ["bar_chart", "line_chart", "swab_clock"]
