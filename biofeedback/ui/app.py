"""Start the Qt application and the live window (the only place a QApplication is made)."""

from __future__ import annotations

import argparse
import sys

import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication

from biofeedback.ui import theme
from biofeedback.ui.main_window import MainWindow


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("biofeedback")
    app.setStyleSheet(theme.STYLESHEET)
    pg.setConfigOptions(antialias=True, background=theme.PANEL, foreground=theme.TEXT)
    return app  # type: ignore[return-value]


def run_app(args: argparse.Namespace) -> int:
    """Open the window on ``args.source``; ``--screenshot PNG`` saves it after a delay and quits."""
    app = make_application()
    source = getattr(args, "source", "auto") or "auto"
    speed = getattr(args, "speed", None)  # `biofeedback replay --speed X`
    options = {"speed": speed} if speed is not None and str(source).startswith("replay:") else {}
    window = MainWindow(source, source_options=options)
    window.show()
    screenshot = getattr(args, "screenshot", None)
    if getattr(args, "autostart", False) or screenshot or str(args.source).startswith("replay:"):
        QTimer.singleShot(0, window.start)
    if not screenshot:
        QTimer.singleShot(300, window.offer_recovery)
    if screenshot:
        def grab() -> None:
            window.grab().save(screenshot)
            window.close()
            app.quit()

        QTimer.singleShot(int(args.screenshot_delay * 1000), grab)
    return app.exec()
