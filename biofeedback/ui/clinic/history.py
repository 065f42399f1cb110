"""A patient's session history: one row per session (newest first) and the chosen session's
detail: its timeline with the ratings pinned, its clinician notes (add one), "Open in replay".

It only shows :class:`~biofeedback.app.clinic.SessionRow` values and emits what the person
asked for; the patient page does the work.
"""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.clinic import SessionRow
from biofeedback.ui.clinic.timeline import SessionTimeline
from biofeedback.ui.tables import record_table, set_row

COLUMNS = ("Date", "Protocol", "Min", "Ended", "Baseline µV", "Pain", "Anxiety", "Dilator",
           "From")


def _f(v: float | int | None, fmt: str = ".1f") -> str:
    return "—" if v is None else format(v, fmt)


def row_cells(r: SessionRow) -> list[str]:
    p = r.point
    return [f"{r.started.astimezone():%Y-%m-%d %H:%M}", r.title or r.protocol, f"{r.minutes:.1f}",
            r.ended, _f(p.baseline_uv), _f(p.pain, "g"), _f(p.anxiety, "g"),
            _f(p.dilator_size, "d"), r.origin]


class SessionHistory(QWidget):
    """``set_sessions(rows)``; signals carry the session uid."""

    replay_requested = pyqtSignal(str)
    note_requested = pyqtSignal(str, str)  # (uid, text)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[SessionRow, ...] = ()
        self.table = record_table(COLUMNS, stretch=(1,))
        self.table.currentCellChanged.connect(lambda row, *_: self._show(row))
        self.table.cellDoubleClicked.connect(lambda *_: self._replay())
        self.empty = QLabel("No sessions yet. Run a guided session for this patient from the "
                            "main window (Session ▸ Guided session…, Ctrl+G).")
        self.empty.setWordWrap(True)
        self.empty.setObjectName("hint")
        self.heading = QLabel("")
        self.heading.setWordWrap(True)
        self.timeline = SessionTimeline()
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("A note about this session (Enter adds it)")
        self.note_edit.returnPressed.connect(self._note)
        self.replay_button = QPushButton("Open in replay")
        self.replay_button.setToolTip("Play this session's recording in the main window")
        self.replay_button.clicked.connect(self._replay)
        detail = QWidget()
        d = QVBoxLayout(detail)
        d.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.replay_button)
        d.addLayout(top)
        d.addWidget(self.timeline)
        d.addWidget(self.notes)
        d.addWidget(self.note_edit)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        self._detail = detail

    def set_sessions(self, rows: Sequence[SessionRow], keep: str | None = None) -> None:
        """Newest first; ``keep`` selects that session again (after a note was added)."""
        self.rows = tuple(reversed(rows))
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            set_row(self.table, i, row_cells(r), left=(0, 1))
        self.table.blockSignals(False)
        self.empty.setVisible(not self.rows)
        self._detail.setVisible(bool(self.rows))
        uids = [r.uid for r in self.rows]
        row = uids.index(keep) if keep in uids else 0
        if self.rows:
            self.table.selectRow(row)
            self.table.setCurrentCell(row, 0)
        self._show(row if self.rows else -1)

    def current(self) -> SessionRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _show(self, row: int) -> None:
        r = self.rows[row] if 0 <= row < len(self.rows) else None
        self.timeline.show_session(r)
        if r is None:
            self.heading.setText("")
            self.notes.setText("")
            return
        self.heading.setText(f"<b>{r.title or r.protocol}</b>, {r.started.astimezone():%A %d %B %Y, %H:%M}"
                             f" · {r.minutes:.1f} min · {r.ended}")
        self.replay_button.setEnabled(r.recording is not None)
        self.replay_button.setToolTip(
            "Play this session's recording in the main window" if r.recording is not None
            else "No recording was stored with this session")
        self.notes.setText("\n".join(f"• {n.created.astimezone():%Y-%m-%d}: {n.text}"
                                     for n in r.notes) or "No notes for this session.")

    def _replay(self) -> None:
        r = self.current()
        if r is not None:
            self.replay_requested.emit(r.uid)

    def _note(self) -> None:
        r = self.current()
        text = self.note_edit.text().strip()
        if r is not None and text:
            self.note_requested.emit(r.uid, text)
            self.note_edit.clear()

    def shutdown(self) -> None:
        self.timeline.shutdown()


__all__ = ["COLUMNS", "SessionHistory", "row_cells"]
