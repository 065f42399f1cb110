"""The PDF report for the care team (reportlab platypus), written atomically with mode 0600.

Sections: header (patient code; the name only when asked), the not-a-diagnosis statement, the
latest assessment's metrics with the protocol's description and each metric's definition, the
trend charts, the dilator progression (with the rule's suggestion), the cotton-swab maps,
clinician notes, the CBT and partner section (only with the patient's consent,
``cbt_section.py``), and an ISEK-style processing block (filters, sampling rates, window).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from biofeedback.reports.cbt_section import cbt_section
from biofeedback.reports.charts import bar_chart, line_chart, swab_clock
from biofeedback.reports.data import ReportData
from biofeedback.reports.definitions import METRICS, NOT_A_DIAGNOSIS, TREND_DEFINITIONS
from biofeedback.storage.records.files import write_atomically
from biofeedback.storage.records.models import SessionRecord

_SS = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_SS["BodyText"], fontName="Helvetica", fontSize=9,
                      leading=12)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5)
H1 = ParagraphStyle("h1", parent=_SS["Heading1"], fontName="Helvetica-Bold", fontSize=16)
H2 = ParagraphStyle("h2", parent=_SS["Heading2"], fontName="Helvetica-Bold", fontSize=12,
                    spaceBefore=8, spaceAfter=4)
BOX = ParagraphStyle("box", parent=BODY, backColor=colors.HexColor("#FFF4D6"),
                     borderColor=colors.HexColor("#E69F00"), borderWidth=0.6, borderPadding=5,
                     spaceBefore=4, spaceAfter=8)
_GRID = TableStyle([
    ("FONT", (0, 0), (-1, -1), "Helvetica", 8), ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
    ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#BBBBBB")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF3F8")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def write_report(data: ReportData, path: Path) -> Path:
    """Build the report of ``data`` into ``path`` (complete or not at all, 0600)."""
    return write_atomically(Path(path), lambda f: build(data, f))


def build(data: ReportData, out: BinaryIO) -> None:
    code = data.patient.code
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm,
                            title=f"Biofeedback progress report {code}", author="biofeedback",
                            subject="Pelvic-floor biofeedback progress report")
    story: list[Flowable] = []
    story += _header(data)
    story += _assessment(data)
    story += _trends(data)
    story += _dilator(data)
    story += _swab(data)
    story += _notes(data)
    story += cbt_section(data)
    story += _processing(data)

    def footer(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(16 * mm, 9 * mm, f"Patient {code} - generated "
                          f"{data.generated:%Y-%m-%d %H:%M} UTC - does not diagnose")
        canvas.drawRightString(A4[0] - 16 * mm, 9 * mm, f"page {doc.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text), style)


def _header(data: ReportData) -> list[Flowable]:
    p = data.patient
    s = data.sessions
    period = (f"{s[0].started:%d %b %Y} to {s[-1].started:%d %b %Y}" if s else "no sessions yet")
    who = f"Patient code: <b>{escape(p.code)}</b>"
    if data.include_name and p.name:
        who += f" - name: {escape(p.name)}"
    return [Paragraph("Pelvic-floor biofeedback: progress report", H1),
            Paragraph(who, BODY),
            _p(f"Sessions: {len(s)} ({period}). Generated {data.generated:%d %b %Y %H:%M} UTC"
               + (f" by {data.software}" if data.software else "") + "."),
            Paragraph(escape(NOT_A_DIAGNOSIS), BOX)]


def _assessment(data: ReportData) -> list[Flowable]:
    a = data.assessment
    out: list[Flowable] = [Paragraph("Assessment metrics", H2)]
    if a is None:
        return [*out, _p("No session recorded yet.")]
    desc = data.protocol_descriptions.get(a.protocol, "")
    out.append(_p(f"{a.title} ({a.protocol}), {a.started:%d %b %Y %H:%M} UTC, "
                  f"{a.duration_s / 60:.1f} min, ended: {a.ended}."
                  + (f" Protocol: {desc}" if desc else "")))
    base = a.summary.get("baseline_uv")
    ratio = a.summary.get("after_before_ratio")
    below = a.summary.get("percent_below_line")
    out.append(_p(f"Resting baseline {_fmt(base)} µV; post/pre baseline ratio {_fmt(ratio)}; "
                  f"time below the line {_fmt(below)}{' %' if below is not None else ''}."))
    used = [k for k in METRICS if any(k in st.metrics for st in a.steps)]
    rows = [["Segment", "Measurements"]] + [[seg, _measures(m)] for seg, m in segments(a)]
    if len(rows) > 1:
        out.append(_table(rows, [50 * mm, 128 * mm]))
    ratings = [f"{r.label}: {r.value:g} ({'NRS 0-10' if r.scale == 'pain' else 'SUDS 0-100'})"
               for r in a.ratings]
    if ratings:
        out.append(_p("Ratings: " + "; ".join(ratings) + "."))
    out.append(Spacer(1, 3))
    out.append(_p("Definitions:", SMALL))
    for k in used:
        label, unit, text, source = METRICS[k]
        out.append(_p(f"{label}{f' ({unit})' if unit else ''}: {text} [{source}].", SMALL))
    return out


def segments(a: SessionRecord) -> list[tuple[str, dict[str, Any]]]:
    """The assessment's segments: each top-level step, and each repeated block's sub-steps
    averaged over the repetitions (Glazer reports the mean of the 5 reps)."""
    out: list[tuple[str, dict[str, Any]]] = []
    done: set[tuple[str, str]] = set()
    for st in a.steps:
        if st.kind == "rating":
            continue
        if not st.group:
            out.append((st.name, st.metrics))
            continue
        if (st.group, st.step) in done:
            continue
        done.add((st.group, st.step))
        reps = [s.metrics for s in a.steps if s.group == st.group and s.step == st.step]
        mean: dict[str, Any] = {}
        for k in reps[0]:
            vals = [m[k] for m in reps if isinstance(m.get(k), int | float)
                    and not isinstance(m.get(k), bool) and math.isfinite(m[k])]
            mean[k] = sum(vals) / len(vals) if vals else None
        out.append((f"{st.group}: {st.step} (mean of {len(reps)})", mean))
    return out


def _measures(m: dict[str, Any]) -> str:
    parts = []
    for k, (label, unit, _, _) in METRICS.items():
        if k in m and k != "rating":
            parts.append(f"{label} {_fmt(m[k])}{' ' + unit if unit and m[k] is not None else ''}")
    return "; ".join(parts) or "-"


def _trends(data: ReportData) -> list[Flowable]:
    pts = data.trends.points

    def series(attr: str) -> list[tuple[dt.datetime, float | None]]:
        return [(p.started, getattr(p, attr)) for p in pts]

    charts = [
        line_chart("Resting baseline", "µV", [("", series("baseline_uv"))]),
        line_chart("Variability (CV)", "%", [("", series("cv_percent"))]),
        line_chart("Recovery latency", "s", [("", series("recovery_latency_s"))]),
        line_chart("Maximum contraction", "µV", [("", series("max_contraction_uv"))]),
        line_chart("Pain", "NRS 0-10", [("", series("pain"))], y_range=(0, 10)),
        line_chart("Anxiety", "SUDS 0-100", [("", series("anxiety"))], y_range=(0, 100)),
        line_chart("Dilator size", "", [("", [(t, float(v) if v is not None else None)
                                              for t, v in series("dilator_size")])]),
        bar_chart("Practice per week", "min",
                  [f"{w.week_start:%d %b}" for w in data.trends.weeks],
                  [w.minutes for w in data.trends.weeks]),
    ]
    grid = Table([charts[i:i + 2] for i in range(0, len(charts), 2)],
                 colWidths=[89 * mm, 89 * mm])
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    defs = "; ".join(f"{k}: {v}" for k, v in TREND_DEFINITIONS.items())
    return [CondPageBreak(120 * mm), Paragraph("Trends", H2), grid, _p(defs + ".", SMALL)]


def _dilator(data: ReportData) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Dilator progression", H2)]
    if not data.dilator:
        out.append(_p("No dilator practice recorded."))
    else:
        rows = [["Date", "Size", "Full insertion", "Hold (min)", "Pain max", "Hold / baseline"]]
        for a in data.dilator:
            e = a.entry
            ratio = (e.hold_mean_uv / e.baseline_uv if e.hold_mean_uv is not None
                     and e.baseline_uv else None)
            rows.append([f"{a.started:%d %b %Y}", str(e.size), "yes" if e.full_insertion else
                         "no", f"{e.hold_s / 60:.1f}", _fmt(e.pain_max), _fmt(ratio)])
        out.append(_table(rows, [30 * mm, 18 * mm, 30 * mm, 28 * mm, 28 * mm, 32 * mm]))
    if data.suggestion is not None:
        out.append(_p(data.suggestion.text))
    return out


def _swab(data: ReportData) -> list[Flowable]:
    if not data.swab_maps:
        return []
    latest = data.swab_maps[-1]
    rows = [["Date"] + [f"{h}" for h in range(1, 13)]]
    for m in data.swab_maps:
        by = {p.clock: p.pain for p in m.points}
        rows.append([f"{m.taken:%d %b %Y}"] + [_fmt(by.get(h)) for h in range(1, 13)])
    table = _table(rows, [28 * mm] + [12 * mm] * 12)
    return [KeepTogether([Paragraph("Vestibular sensitivity (cotton-swab test)", H2),
                          _p("Pain NRS 0-10 at clock positions, 12 o'clock = urethral meatus "
                             "(Goldstein; Friedrich 1987 criteria)."),
                          swab_clock(latest), table])]


def _notes(data: ReportData) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Clinician notes", H2)]
    if not data.notes:
        return [*out, _p("No notes.")]
    for n in data.notes:
        out.append(_p(f"{n.created:%d %b %Y}: {n.text}"))
    return out


def _processing(data: ReportData) -> list[Flowable]:
    rows = [["Item", "Value"], *processing_rows(data.sessions)]
    return [KeepTogether([Paragraph("Signal processing (ISEK-style reporting)", H2),
                          _table(rows, [60 * mm, 118 * mm]),
                          _p("Values as used by the sessions in this report (the latest "
                             "session's settings), after ISEK 'Standards for Reporting EMG "
                             "Data' (Merletti 1999, JEK 9(1)); clinical.md §1.", SMALL)])]


def processing_rows(sessions: Sequence[SessionRecord]) -> list[list[str]]:
    proc = sessions[-1].processing if sessions else {}
    emg = (proc.get("pipeline") or {}).get("emg") or {}
    pres = (proc.get("pipeline") or {}).get("pressure") or {}
    notch = emg.get("notch_hz")
    rows = [
        ["Sensor", "intravaginal probe: surface EMG (pelvic floor, abdominal) and pressure"],
        ["EMG sampling rate", f"{_fmt(proc.get('emg_fs_hz'))} Hz"],
        ["Band-pass filter", f"{_fmt(emg.get('band_low_hz'))}-{_fmt(emg.get('band_high_hz'))} Hz, "
         f"Butterworth order {_fmt(emg.get('filter_order'))}, causal"],
        ["Notch filter", f"{notch:g} Hz with {emg.get('notch_harmonics')} harmonics"
         if isinstance(notch, int | float) else "off"],
        ["Amplitude", f"RMS envelope, {_fmt(_ms(emg.get('rms_window_s')))} ms window; "
         f"metrics at {_fmt(proc.get('display_hz'))} Hz"],
        ["Baseline", "marked rest of the protocol (first 1 s after the cue excluded)"],
        ["Pressure", f"{_fmt(proc.get('pressure_fs_hz'))} Hz, low-pass {_fmt(pres.get('lowpass_hz'))}"
         f" Hz, {pres.get('unit', 'cmH2O')}"],
        ["Normalisation", "none (µV); ratios against the session's own resting baseline"],
    ]
    return rows


def _ms(v: object) -> float | None:
    return float(v) * 1000.0 if isinstance(v, int | float) else None


def _table(rows: list[list[str]], widths: list[float], wrap_header: bool = False) -> Table:
    if wrap_header:
        rows = [[Paragraph(escape(c), SMALL) for c in rows[0]], *rows[1:]]
    rows = [[c if not isinstance(c, str) else Paragraph(escape(c), SMALL) for c in r]
            for r in rows]
    t = Table(rows, colWidths=widths, repeatRows=1)
    t.setStyle(_GRID)
    return t


def _fmt(v: object) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


__all__ = ["build", "processing_rows", "write_report"]
