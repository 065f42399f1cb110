"""Start the Qt application and the live window (the only place a QApplication is made).

Also where the window meets the process: type that scales with the screen, an exception hook
(an error inside a Qt slot becomes a banner and a log line, never a traceback in the
terminal), and SIGINT/SIGTERM handlers that close the window cleanly (a recording is
finished and saved).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType

import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QWidget

from biofeedback.app.preferences import load_preferences
from biofeedback.storage.paths import data_dir, ensure_private_dir
from biofeedback.ui import theme
from biofeedback.ui.main_window import MainWindow

log = logging.getLogger("biofeedback.ui")
SIGNAL_POLL_MS = 200  # lets Python run its signal handlers while Qt's loop runs
REFERENCE_HEIGHT = 900  # px: the base type size is meant for this screen height


def type_scale(screen_height: int) -> float:
    """1.0 at 900 px high, larger on a 1080p or bigger screen, a little smaller at 600 px."""
    return min(max(screen_height / REFERENCE_HEIGHT, 0.85), 1.6)


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("biofeedback")
    screen = app.primaryScreen()  # type: ignore[union-attr]
    scale = type_scale(screen.availableGeometry().height()) if screen is not None else 1.0
    pt = round(theme.BASE_FONT_PT * scale)
    app.setStyleSheet(theme.STYLESHEET + f"\nQWidget {{ font-size: {pt}pt; }}\n")  # type: ignore[union-attr]
    pg.setConfigOptions(antialias=True, background=theme.PANEL, foreground=theme.TEXT)
    return app  # type: ignore[return-value]


def log_file() -> Path:
    return data_dir() / "logs" / "biofeedback.log"


def setup_logging() -> Path | None:
    """Details go to a private log file; the terminal gets one line per problem."""
    root = logging.getLogger()
    if any(getattr(h, "_biofeedback", False) for h in root.handlers):
        return log_file()
    terminal = logging.StreamHandler()
    terminal.setLevel(logging.WARNING)
    terminal.setFormatter(_OneLineFormatter("biofeedback: %(message)s"))
    terminal._biofeedback = True  # type: ignore[attr-defined]
    root.addHandler(terminal)
    root.setLevel(logging.INFO)
    path: Path | None = log_file()
    try:
        ensure_private_dir(path.parent)  # type: ignore[union-attr]
        handler = logging.FileHandler(path, encoding="utf-8")  # type: ignore[arg-type]
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    except OSError as exc:
        log.warning("no log file (%s): details of errors are not kept", exc)
        path = None
    return path


class _OneLineFormatter(logging.Formatter):
    """No tracebacks in the terminal: the log file has them."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text = saved


def install_excepthook(window: MainWindow, log_path: Path | None) -> Callable[..., None]:
    """Any exception that reaches Qt's event loop: one log line (details in the log file) and
    a banner the person can act on; the window keeps running."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            window.close()
            return
        where = f" Details are in {log_path}." if log_path is not None else ""
        log.error("error in the window: %s: %s", kind.__name__, exc, exc_info=(kind, exc, tb))
        if log_path is None:
            log.debug("".join(traceback.format_exception(kind, exc, tb)))
        with contextlib.suppress(RuntimeError):  # the window may already be gone
            window.show_error(f"Something went wrong in the window ({kind.__name__}: {exc}). "
                              f"You can keep working; stop and start again if the view looks "
                              f"wrong.{where}")

    sys.excepthook = hook
    return hook


def install_signal_handlers(window: MainWindow) -> QTimer:
    """SIGINT (Ctrl+C in the terminal) and SIGTERM close the window cleanly."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.warning("%s received: closing the window (a recording is saved)",
                    signal.Signals(signum).name)
        QTimer.singleShot(0, window.close)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    timer = QTimer(window)
    timer.setInterval(SIGNAL_POLL_MS)
    timer.timeout.connect(lambda: None)  # return to Python now and then
    timer.start()
    return timer


def home_mode(args: argparse.Namespace) -> bool:
    """``--home``, or the preference ``start_mode = "home"`` unless ``--clinic``."""
    if getattr(args, "home", False) or getattr(args, "clinic", False):
        return bool(getattr(args, "home", False))
    return load_preferences()[0].start_mode == "home"


def _screenshot_later(app: QApplication, window: QWidget, png: str, delay_s: float) -> None:
    """``--screenshot PNG``: save the window after ``delay_s`` (it has drawn by then) and quit."""
    def grab() -> None:
        window.grab().save(png)
        window.close()
        app.quit()

    QTimer.singleShot(int(delay_s * 1000), grab)


def run_home(args: argparse.Namespace, app: QApplication, log_path: Path | None) -> int:
    """The patient's home window (``ui/home/``)."""
    from biofeedback.ui.home.window import HomeWindow

    screenshot = getattr(args, "screenshot", None)
    window = HomeWindow(getattr(args, "source", "auto") or "auto", persist=not screenshot)
    install_excepthook(window, log_path)  # type: ignore[arg-type]
    install_signal_handlers(window)  # type: ignore[arg-type]
    window.show()
    if screenshot:
        _screenshot_later(app, window, screenshot, args.screenshot_delay)
    return app.exec()


def run_app(args: argparse.Namespace) -> int:
    """Open the window on ``args.source``; ``--screenshot PNG`` saves it after a delay and quits."""
    app = make_application()
    log_path = setup_logging()
    if home_mode(args):
        return run_home(args, app, log_path)
    source = getattr(args, "source", "auto") or "auto"
    speed = getattr(args, "speed", None)  # `biofeedback replay --speed X`
    options = {"speed": speed} if speed is not None and str(source).startswith("replay:") else {}
    screenshot = getattr(args, "screenshot", None)
    # a screenshot run neither reads nor changes the user's settings
    window = MainWindow(source, source_options=options, persist=not screenshot)
    install_excepthook(window, log_path)
    install_signal_handlers(window)
    window.show()
    if getattr(args, "autostart", False) or screenshot or str(source).startswith("replay:"):
        QTimer.singleShot(0, window.start)
    if not screenshot:
        QTimer.singleShot(300, window.offer_recovery)
        if window.prefs.patient_view:
            QTimer.singleShot(500, window.toggle_patient_view)
    else:
        _screenshot_later(app, window, screenshot, args.screenshot_delay)
    return app.exec()
