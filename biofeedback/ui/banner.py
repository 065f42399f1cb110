"""The banner: the most important things to act on, in a slot of fixed height.

It shows a window message (a start that failed, an error inside the window: set with
:meth:`NoticeBanner.set_message`, until dismissed or the next Start) and the session's notices,
most important first (``snapshot.notices`` is already sorted: a disconnect is never hidden by a
gap message), at most two lines. The slot keeps its height when empty, so the plots below never
jump when a notice comes and goes.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from biofeedback.app.live_types import Notice

MAX_LINES = 2


class NoticeBanner(QWidget):
    """A fixed-height strip with up to two messages and a dismiss button for the window's."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = ""
        self.notices: tuple[Notice, ...] = ()
        self.label = QLabel("")
        self.label.setObjectName("banner")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.label.setAccessibleName("Notice")
        self.dismiss = QToolButton()
        self.dismiss.setText("✕")
        self.dismiss.setToolTip("Dismiss this message")
        self.dismiss.setAutoRaise(True)
        self.dismiss.clicked.connect(lambda: self.set_message(""))
        self.dismiss.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        line = self.fontMetrics().lineSpacing()
        self.setFixedHeight(MAX_LINES * line + 22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._render()

    def set_message(self, text: str) -> None:
        """The window's own message (one line a person can act on); "" clears it."""
        if text != self.message:
            self.message = text
            self._render()

    def set_notices(self, notices: tuple[Notice, ...]) -> None:
        if notices != self.notices:
            self.notices = notices
            self._render()

    def text(self) -> str:
        return self.label.text()

    def lines(self) -> list[str]:
        out = [self.message] if self.message else []
        seen = set(out)
        for n in self.notices:
            if n.text not in seen:
                out.append(n.text)
                seen.add(n.text)
        return out[:MAX_LINES]

    def _render(self) -> None:
        lines = self.lines()
        text = "\n".join(f"⚠ {line}" for line in lines)
        if text != self.label.text():
            self.label.setText(text)
        self.label.setVisible(bool(lines))
        self.dismiss.setVisible(bool(self.message))
        self.label.setToolTip("\n".join(n.text for n in self.notices[MAX_LINES:]))
