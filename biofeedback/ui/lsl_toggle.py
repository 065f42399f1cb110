"""The window's LSL setting: one checkable action in the Session menu, off by default.

Checked, the live session feeds every run's raw samples and markers to an LSL outlet
(``app/lsl_outlet.py``, ``docs/lsl.md``); unchecked, the streams are withdrawn at once. The
choice is kept in the preferences. A failure (liblsl missing...) says one line in the banner
and leaves the setting off; streaming and recording are never stopped by it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject
from PyQt6.QtGui import QAction

from biofeedback.app.live_session import SinkFactory
from biofeedback.app.live_types import SessionError
from biofeedback.app.lsl_outlet import LslError, outlet_factory

if TYPE_CHECKING:
    from biofeedback.ui.main_window import MainWindow

TEXT = "Stream to &LSL (lab streaming layer)"
TIP = ("Publish the raw EMG, pressure and markers as LSL streams for lab tools; "
       "off by default. See docs/lsl.md for who can read them.")


class LslToggle(QObject):
    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.factory: SinkFactory | None = None
        self.action = QAction(TEXT, win)
        self.action.setCheckable(True)
        self.action.setToolTip(TIP)
        self.action.setStatusTip(TIP)
        self.action.toggled.connect(self._toggled)
        menu = next((a.menu() for a in win.menuBar().actions()
                     if a.menu() is not None and a.text() == "&Session"), None)
        (menu or win.menuBar()).addAction(self.action)

    def apply_preferences(self) -> None:
        """At start-up: switch on when the saved setting says so (quietly, no save)."""
        if self.win.prefs.lsl_enabled != self.action.isChecked():
            self.action.setChecked(self.win.prefs.lsl_enabled)

    def _toggled(self, on: bool) -> None:
        win = self.win
        if on:
            try:
                self.factory = outlet_factory(win.prefs.lsl_scope)
                win.session.add_subscriber(self.factory)
            except (LslError, SessionError) as exc:
                self.factory = None
                win.banner.set_message(f"Could not stream to LSL: {exc}")
                self.action.blockSignals(True)
                self.action.setChecked(False)
                self.action.blockSignals(False)
                on = False
            else:
                where = "this computer" if win.prefs.lsl_scope == "machine" else "the network"
                win.statusBar().showMessage(f"Streaming to LSL ({where}): EMG, pressure, markers")
        elif self.factory is not None:
            win.session.remove_subscriber(self.factory)
            self.factory = None
            win.statusBar().showMessage("LSL streams withdrawn")
        if win.prefs.lsl_enabled != on:
            win.prefs.lsl_enabled = on
            win.save_preferences()


__all__ = ["LslToggle"]
