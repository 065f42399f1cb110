"""The end-of-session summary: what was practised, in words, and how it compares with last time.

Every measurement is said in words ("below the line 72 % of the time", "let go in 3.7 s").
The comparison with the previous session of the same protocol
(:func:`biofeedback.sessions.results.compare`) only ever *encourages*: an improvement is named
("more time below the line than last time"); anything else shows last time's number plainly,
with no judgement. Nothing here says "worse", "failed" or "abnormal" (clinical.md §5, §7).
"""

from __future__ import annotations

import math
from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from biofeedback.sessions.results import SessionResult, StepResult, compare

#: measurement -> (words with {v}, how to format, which way is "better" (+1 up, -1 down, 0 none))
WORDS: dict[str, tuple[str, str, int]] = {
    "mean_uv": ("average activity {v} µV", ".1f", -1),
    "sd_uv": ("steadiness (SD) {v} µV", ".1f", 0),
    "cv_percent": ("variation {v} %", ".0f", 0),
    "peak_uv": ("highest {v} µV", ".1f", 0),
    "percent_below_line": ("below the line {v} % of the time", ".0f", 1),
    "longest_below_s": ("longest stretch below the line {v} s", ".0f", 1),
    "relaxation_latency_s": ("let go in {v} s", ".1f", -1),
    "end_level_ratio": ("ended at {v} × your resting level", ".2f", -1),
    "contractions": ("{v} squeeze(s)", "d", 0),
    "contraction_peak_uv": ("squeeze peak {v} µV", ".1f", 0),
    "rise_time_s": ("reached the peak in {v} s", ".1f", 0),
    "recovery_latency_s": ("back to rest in {v} s", ".1f", -1),
    "strain_s": ("pushing down for {v} s", ".1f", -1),
    "rating": ("you rated {v}", "g", 0),
}
#: said when a measurement has no value (e.g. the line was not reached within the step)
NO_VALUE = {
    "relaxation_latency_s": "still letting go when the step ended",
    "recovery_latency_s": "still letting go when the step ended",
    "rating": "skipped",
}
#: what an improvement is called
BETTER = {
    "percent_below_line": "more time below the line than last time",
    "longest_below_s": "a longer stretch below the line than last time",
    "relaxation_latency_s": "let go sooner than last time",
    "end_level_ratio": "ended more relaxed than last time",
    "recovery_latency_s": "back to rest sooner than last time",
    "mean_uv": "softer than last time",
    "strain_s": "less pushing down than last time",
}
SIGNIFICANT = {"percent_below_line": 2.0, "longest_below_s": 1.0, "relaxation_latency_s": 0.2,
               "end_level_ratio": 0.05, "recovery_latency_s": 0.2, "mean_uv": 0.2,
               "strain_s": 0.2}
ENDED = {
    "finished": "Well done: the session is complete.",
    "stopped": "The session was stopped. What you practised is kept.",
    "pain": "The session ended because of pain. What you practised is kept.",
}


def say(key: str, value: Any) -> str:
    """One measurement in words."""
    words, fmt, _ = WORDS.get(key, (key.replace("_", " ") + " {v}", "g", 0))
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NO_VALUE.get(key, words.split(" {v}")[0].replace("{v} ", "") + ": not measured")
    if fmt == "d":
        return words.format(v=int(value))
    return words.format(v=format(float(value), fmt))


def improvement(key: str, delta: float) -> str | None:
    """The words for a change since last time when it is an improvement, else None."""
    _, _, better = WORDS.get(key, ("", "", 0))
    if not better or key not in BETTER or not math.isfinite(delta):
        return None
    return BETTER[key] if delta * better >= SIGNIFICANT.get(key, 0.0) else None


def headline(result: SessionResult, previous: SessionResult | None) -> list[str]:
    """The first lines: how it ended, how long, time below the line (vs last time), ratings."""
    sm = result.summary
    lines = [ENDED.get(result.ended, "The session ended: " + result.ended + ".")]
    practised = float(sm.get("practised_s") or 0.0)
    lines.append(f"You practised {practised / 60:.1f} min: {sm.get('steps_completed', 0)} of "
                 f"{sm.get('steps_total', len(result.steps))} steps.")
    below = sm.get("percent_below_line")
    if isinstance(below, int | float):
        text = f"Below the line {below:.0f} % of the time"
        before = previous.summary.get("percent_below_line") if previous else None
        if isinstance(before, int | float) and below - before >= SIGNIFICANT[
                "percent_below_line"]:
            text += f": more time below the line than last time ({before:.0f} %)"
        elif isinstance(before, int | float):
            text += f" (last time {before:.0f} %)"
        lines.append(text + ".")
    ratio = sm.get("after_before_ratio")
    if isinstance(ratio, int | float) and math.isfinite(ratio):
        lines.append("After the session your resting level was "
                     + ("lower than at the start: a calm session." if ratio < 0.95 else
                        "about the same as at the start: a calm session." if ratio <= 1.05
                        else f"{ratio:.2f} × the start: it can take a while to settle."))
    ratings = sm.get("ratings") or {}
    said = [f"{name}: {v:g}" for name, v in ratings.items() if isinstance(v, int | float)]
    if said:
        lines.append("Your ratings: " + ", ".join(said) + ".")
    return lines


class SessionSummaryView(QWidget):
    """The summary lines and a table: step, what was measured, compared with last time."""

    COLUMNS = ("Step", "What was measured", "Last time")

    def __init__(self, parent: QWidget | None = None, *, large: bool = False) -> None:
        super().__init__(parent)
        self.result: SessionResult | None = None
        self.previous: SessionResult | None = None
        self.title = QLabel("")
        self.title.setObjectName("summaryTitle")
        self.title.setStyleSheet(f"font-size: {22 if large else 17}pt; font-weight: 600;")
        self.lines = QLabel("")
        self.lines.setWordWrap(True)
        self.lines.setTextFormat(Qt.TextFormat.PlainText)
        if large:
            self.lines.setStyleSheet("font-size: 16pt;")
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.lines)
        layout.addWidget(self.table, 1)
        self.table.setVisible(not large)  # the patient's summary is the words only
        if large:
            layout.addStretch(1)

    def show_result(self, result: SessionResult, previous: SessionResult | None) -> None:
        """``previous`` is compared only with a whole session (a stopped one is not like for
        like, and after a pain stop numbers are not the point)."""
        if result.ended != "finished":
            previous = None
        self.result, self.previous = result, previous
        self.title.setText(result.title)
        self.lines.setText("\n".join(headline(result, previous)))
        self._fill(result, previous)

    def rows(self) -> list[tuple[str, str, str]]:
        """The table's text (tests, copy)."""
        out = []
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c) for c in range(len(self.COLUMNS))]
            out.append(tuple(c.text() if c is not None else "" for c in cells))
        return out  # type: ignore[return-value]

    def _fill(self, result: SessionResult, previous: SessionResult | None) -> None:
        deltas = compare(result, previous) if previous is not None else {}
        before = {s.name: s.results for s in previous.steps} if previous else {}
        shown = [s for s in result.steps if s.results]
        self.table.setRowCount(len(shown))
        for row, s in enumerate(shown):
            self._set(row, 0, s.name + ("" if s.completed else " (not to the end)"))
            self._set(row, 1, "; ".join(say(k, v) for k, v in s.results.items()))
            self._set(row, 2, self._last_time(s, deltas.get(s.name, {}), before.get(s.name)))
        self.table.resizeRowsToContents()

    @staticmethod
    def _last_time(s: StepResult, deltas: dict[str, float],
                   old: dict[str, Any] | None) -> str:
        if old is None:
            return ""
        praise = [w for k, d in deltas.items() if (w := improvement(k, d))]
        if praise:
            return "; ".join(praise)
        plain = [say(k, old.get(k)) for k in s.results if k in old]
        return "last time: " + "; ".join(plain) if plain else ""

    def _set(self, row: int, col: int, text: str) -> None:
        item = QTableWidgetItem(text)
        item.setToolTip(text)
        self.table.setItem(row, col, item)


__all__ = ["SessionSummaryView", "headline", "improvement", "say"]
