"""Window-wide keyboard actions that text fields cannot swallow.

Every shortcut is a :class:`QAction` in the window's menus (so it is listed there and in
tooltips) with ``Qt.ApplicationShortcut`` context (it works in the patient view too). A text
field normally claims printable keys (digits, Space, arrows) through a ``ShortcutOverride``
event, so the shortcut would never fire and "3" would be typed into the patient code.
:class:`ShortcutGuard`, an application event filter, refuses that claim for the keys of our
*enabled* actions: while streaming, a digit adds a marker and types nothing; in replay Space
plays/pauses. When an action is disabled (markers while idle), the key reaches the field as
usual, so a patient code typed before Start keeps its digits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QAction, QKeyEvent, QKeySequence
from PyQt6.QtWidgets import QApplication, QWidget

#: Shortcut text per action, for tooltips and the user guide (one place).
KEYS = {
    "start_stop": ("F5", "Ctrl+Return"),
    "record": ("Ctrl+R",),
    "patient_view": ("F11",),
    "play_pause": ("Space",),
    "back": ("Left",),
    "forward": ("Right",),
    "rest": ("Ctrl+B",),
    "guided": ("Ctrl+G",),
    "open_protocol": ("Ctrl+Shift+G",),
}


def with_keys(text: str, name: str) -> str:
    """``"Start streaming (F5 or Ctrl+Return)"``: a tooltip naming the action's shortcut."""
    return f"{text} ({' or '.join(KEYS[name])})"


class WindowActions(QObject):
    """The window's actions; ``handlers`` maps an action name to what it does."""

    def __init__(self, parent: QObject, handlers: dict[str, Callable[[], None]],
                 marker: Callable[[int], None]) -> None:
        super().__init__(parent)
        self.start_stop = self._action("&Start / Stop", "start_stop", handlers)
        self.record = self._action("&Record", "record", handlers)
        self.rest = self._action("Resting &now: set the baseline", "rest", handlers)
        self.auto_line = self._action("&Automatic relax line", "", handlers)
        self.patient_view = self._action("&Patient view (full screen)", "patient_view",
                                         handlers, checkable=True)
        self.play_pause = self._action("&Play / Pause", "play_pause", handlers)
        self.back = self._action("&Back 5 s", "back", handlers)
        self.forward = self._action("&Forward 5 s", "forward", handlers)
        self.guided = self._action("&Guided session\u2026", "guided", handlers)
        self.open_protocol = self._action("&Open protocol file\u2026", "open_protocol",
                                          handlers)
        self.markers: list[QAction] = []
        for n in range(10):
            a = QAction(f"Marker {n}", self)
            key = getattr(Qt.Key, f"Key_{n}")
            a.setShortcuts([QKeySequence(key),
                            QKeySequence(Qt.KeyboardModifier.KeypadModifier.value | key.value)])
            a.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            a.setAutoRepeat(False)
            a.triggered.connect(lambda _=False, n=n: marker(n))
            self.markers.append(a)

    def _action(self, text: str, name: str, handlers: dict[str, Callable[[], None]],
                checkable: bool = False) -> QAction:
        a = QAction(text, self)
        a.setCheckable(checkable)
        if name:
            a.setShortcuts([QKeySequence(k) for k in KEYS[name]])
            a.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            a.setAutoRepeat(name in ("back", "forward"))
        key = name or "auto_line"
        a.triggered.connect(lambda _=False, key=key: handlers[key]())
        return a

    def all(self) -> list[QAction]:
        return [self.start_stop, self.record, self.rest, self.auto_line, self.patient_view,
                self.play_pause, self.back, self.forward, self.guided, self.open_protocol,
                *self.markers]

    def set_markers_enabled(self, on: bool) -> None:
        for a in self.markers:
            a.setEnabled(on)

    def set_replay_enabled(self, on: bool) -> None:
        for a in (self.play_pause, self.back, self.forward):
            a.setEnabled(on)


class ShortcutGuard(QObject):
    """Our enabled shortcuts win over a focused text field.

    Qt sends the ShortcutOverride that decides this to the focus widget only, so the guard
    filters the focus widget's events and follows focus (``attach``), instead of filtering
    every event of the application: an application-wide Python filter ran for each paint,
    timer and update event, a tenth of the live window's CPU. ``owns(obj)`` says whether an
    object belongs to our windows (dialogs of other windows keep their keys).
    """

    def __init__(self, actions: list[QAction], owns: Callable[[QObject], bool],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.actions = actions
        self.owns = owns
        self._watched: QWidget | None = None

    def attach(self, app: QApplication) -> None:
        app.focusChanged.connect(self._follow_focus)
        self._follow_focus(None, app.focusWidget())

    def detach(self, app: QApplication) -> None:
        with contextlib.suppress(TypeError, RuntimeError):
            app.focusChanged.disconnect(self._follow_focus)
        self._follow_focus(None, None)

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._watched is not None:
            with contextlib.suppress(RuntimeError):  # already deleted
                self._watched.removeEventFilter(self)
            self._watched = None
        if new is not None and self.owns(new):
            new.installEventFilter(self)
            self._watched = new

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if (event is not None and event.type() == QEvent.Type.ShortcutOverride
                and isinstance(event, QKeyEvent) and obj is not None and self.owns(obj)):
            seq = QKeySequence(event.keyCombination())
            for a in self.actions:
                if a.isEnabled() and any(s == seq for s in a.shortcuts()):
                    return True  # not accepted: the shortcut map fires our action
        return False
