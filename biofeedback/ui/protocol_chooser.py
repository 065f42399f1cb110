"""Choose a guided session: a built-in protocol, or a protocol file of one's own."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from biofeedback.sessions.loader import ProtocolError, builtin_names, load_protocol

FILE_FILTER = "Protocols (*.toml);;All files (*)"
COPY_HINT = ("To make your own: biofeedback protocols show NAME --toml > mine.toml, edit it, "
             "then Open a protocol file\u2026")


def ask_protocol_file(parent: QWidget | None) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open a protocol file", "", FILE_FILTER)
    return path or None


class ProtocolChooser(QDialog):
    """The list of built-in protocols (title and description); ``choice`` is a name or a
    path after :meth:`exec` returns Accepted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guided session")
        self.choice: str | None = None
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setSpacing(4)
        for name in builtin_names():
            try:
                p = load_protocol(name)
            except ProtocolError as exc:  # a broken install: say so in the list
                text, tip = f"{name}: cannot be read", str(exc)
            else:
                text, tip = f"{p.title}\n{p.description} (about {p.planned_s / 60:.0f} min)", \
                    "\n".join(p.sources)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(tip)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _i: self._start())
        start = QPushButton("Start")
        start.setObjectName("primary")
        start.setDefault(True)
        start.clicked.connect(self._start)
        open_file = QPushButton("Open a protocol file\u2026")
        open_file.clicked.connect(self._open_file)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        hint = QLabel(COPY_HINT)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(open_file)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(start)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Choose a practice. It starts streaming and recording if "
                                "needed; you can pause or stop at any moment."))
        layout.addWidget(self.list, 1)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        self.resize(640, 460)

    def _start(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.choice = str(item.data(Qt.ItemDataRole.UserRole))
            self.accept()

    def _open_file(self) -> None:
        path = ask_protocol_file(self)
        if path:
            self.choice = path
            self.accept()


__all__ = ["ProtocolChooser", "ask_protocol_file"]
