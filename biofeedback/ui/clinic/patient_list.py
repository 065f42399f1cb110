"""The patient list with search, keyboard first: type to filter (the keys go to the search field
from anywhere in the list), Up/Down to choose, Enter opens, Ctrl+N adds a patient."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import QEvent, QObject, Qt, pyqtSignal
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.clinic import PatientRow

CODE_ROLE = Qt.ItemDataRole.UserRole


def describe(r: PatientRow) -> str:
    last = f"last {r.last_session.astimezone():%Y-%m-%d}" if r.last_session else "no sessions yet"
    name = f"  ·  {r.name}" if r.name else ""
    return f"{r.code}{name}    {r.sessions} session(s), {last}"


class PatientList(QWidget):
    """``search_changed(text)`` asks the owner for rows (``set_rows``); ``opened(code)``."""

    search_changed = pyqtSignal(str)
    opened = pyqtSignal(str)
    new_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by code or name: type to filter, Enter opens")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.search_changed.emit)
        self.search.returnPressed.connect(self.open_current)
        self.search.installEventFilter(self)
        self.list = QListWidget()
        self.list.itemActivated.connect(lambda item: self.opened.emit(item.data(CODE_ROLE)))
        self.list.installEventFilter(self)
        self.empty = QLabel("")
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.new_button = QPushButton("New patient… (Ctrl+N)")
        self.new_button.clicked.connect(self.new_requested.emit)
        self.open_button = QPushButton("Open")
        self.open_button.setObjectName("primary")
        self.open_button.clicked.connect(self.open_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Patients</b>")
        layout.addWidget(title)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)

    def set_rows(self, rows: Sequence[PatientRow], keep: str | None = None) -> None:
        current = keep or self.current_code()
        self.list.clear()
        for r in rows:
            item = QListWidgetItem(describe(r))
            item.setData(CODE_ROLE, r.code)
            self.list.addItem(item)
        codes = [r.code for r in rows]
        if rows:
            self.list.setCurrentRow(codes.index(current) if current in codes else 0)
        text = self.search.text().strip()
        self.empty.setText("" if rows else
                           f"No patient matches {text!r}." if text else
                           "No patients yet: press Ctrl+N to add one with a pseudonymous code.")
        self.empty.setVisible(not rows)
        self.open_button.setEnabled(bool(rows))

    def codes(self) -> list[str]:
        return [self.list.item(i).data(CODE_ROLE) for i in range(self.list.count())]

    def current_code(self) -> str | None:
        item = self.list.currentItem()
        return item.data(CODE_ROLE) if item is not None else None

    def open_current(self) -> None:
        code = self.current_code()
        if code:
            self.opened.emit(code)

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if not isinstance(event, QKeyEvent):
            return False
        if event.type() == QEvent.Type.ShortcutOverride and obj is self.list and _typed(event):
            event.accept()  # the list wants the key: a digit filters, it is no marker shortcut
            return True
        if event.type() != QEvent.Type.KeyPress:
            return False
        key = event.key()
        if obj is self.search and key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown,
                                          Qt.Key.Key_PageUp):
            row = self.list.currentRow() + (1 if key in (Qt.Key.Key_Down,
                                                         Qt.Key.Key_PageDown) else -1)
            if 0 <= row < self.list.count():
                self.list.setCurrentRow(row)
            return True
        if obj is self.list and _typed(event):
            self.search.setFocus()
            self.search.insert(event.text())  # typing in the list filters it
            return True
        if obj is self.list and key == Qt.Key.Key_Backspace:
            self.search.setFocus()
            self.search.backspace()
            return True
        return False


def _typed(event: QKeyEvent) -> bool:
    """A printable key without Ctrl/Alt (typing, not a command)."""
    mods = event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                | Qt.KeyboardModifier.AltModifier)
    return bool(event.text()) and event.text().isprintable() and not mods


__all__ = ["PatientList", "describe"]
