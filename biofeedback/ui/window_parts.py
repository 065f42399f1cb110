"""How the main window is put together: widgets, menus, signal wiring, source choice,
preferences, dialogs and crash recovery. Functions of the window, kept apart so
``main_window.py`` reads as the window's behaviour."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import QByteArray, Qt
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from biofeedback.formats.errors import FormatError
from biofeedback.storage.recorder import RecordingError
from biofeedback.storage.recovery import find_unfinished, recover
from biofeedback.ui.actions import WindowActions
from biofeedback.ui.banner import NoticeBanner
from biofeedback.ui.controls import ASK_FILE, ASK_PORT, ControlPanel, SimulatedNotice
from biofeedback.ui.link_status import LinkStatusWidget
from biofeedback.ui.live_plots import LivePlotsWidget
from biofeedback.ui.meter import RelaxationMeterWidget

if TYPE_CHECKING:
    from biofeedback.ui.main_window import MainWindow

SAFETY_TEXT = (
    "This shows muscle activity to support practice guided by your clinician; it does not "
    "diagnose. Stop if you feel sharp or increasing pain, see more than light spotting, or feel "
    "faint, and contact your clinician."
)
DEFAULT_SIZE = (1280, 800)
DEFAULT_SIMULATED = "simulated:demo"


def build(win: MainWindow) -> None:
    """Create the widgets (attributes of ``win``) and lay them out."""
    central = QWidget()
    central.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # where focus goes after Start
    outer = QVBoxLayout(central)
    outer.setContentsMargins(14, 8, 14, 4)
    outer.setSpacing(6)
    win.controls = ControlPanel()
    win.sim_notice = SimulatedNotice()
    win.sim_notice.hide()
    win.link_status = LinkStatusWidget()
    win.review_slot = QVBoxLayout()
    win.banner = NoticeBanner()
    win.plots = LivePlotsWidget(window_s=10.0)
    win.meter = RelaxationMeterWidget()
    win.session_area = QWidget()  # a guided session's runner (ui/session_control.py)
    QVBoxLayout(win.session_area).setContentsMargins(0, 0, 0, 0)
    win.session_area.hide()
    body = QHBoxLayout()
    body.addWidget(win.plots, 4)
    body.addWidget(win.meter, 1)
    hint = QLabel(SAFETY_TEXT)
    hint.setObjectName("hint")
    hint.setWordWrap(True)
    for w in (win.controls, win.sim_notice, win.link_status):
        outer.addWidget(w)
    outer.addLayout(win.review_slot)
    outer.addWidget(win.banner)
    outer.addWidget(win.session_area)
    outer.addLayout(body, 1)
    outer.addWidget(hint)
    win.setCentralWidget(central)
    win.statusBar().showMessage("Choose a source and press Start.")


def handlers(win: MainWindow) -> dict[str, Callable[[], None]]:
    c = win.controls
    return {
        "start_stop": win.toggle_start_stop,
        "record": win.toggle_record,
        "rest": c.rest_button.click,
        "auto_line": lambda: win.set_line(None),
        "patient_view": win.toggle_patient_view,
        "guided": win.guided.choose,
        "open_protocol": win.guided.open_file,
        "play_pause": lambda: win.review.transport.toggle_play() if win.review else None,
        "back": lambda: win.review.transport.seek_by(-5.0) if win.review else None,
        "forward": lambda: win.review.transport.seek_by(5.0) if win.review else None,
    }


def add_menus(win: MainWindow, a: WindowActions) -> None:
    """Menus list every action with its shortcut (and fold the controls on small screens)."""
    bar = win.menuBar()
    session = bar.addMenu("&Session")
    for action in (a.start_stop, a.record, a.rest, a.auto_line):
        session.addAction(action)
    session.addSeparator()
    session.addAction(a.guided)
    session.addAction(a.open_protocol)
    markers = bar.addMenu("&Markers")
    for action in a.markers:
        markers.addAction(action)
    replay = bar.addMenu("&Replay")
    for action in (a.play_pause, a.back, a.forward):
        replay.addAction(action)
    view = bar.addMenu("&View")
    view.addAction(a.patient_view)
    for action in a.all():
        win.addAction(action)
    a.set_markers_enabled(False)
    a.set_replay_enabled(False)


def connect(win: MainWindow) -> None:
    c = win.controls
    c.start_button.clicked.connect(win.start)
    c.stop_button.clicked.connect(win.stop)
    c.record_button.toggled.connect(lambda _on: win.toggle_record())
    c.rest_button.toggled.connect(lambda on: _on_rest(win, on))
    c.auto_line_button.clicked.connect(lambda: win.set_line(None))
    c.notch_combo.currentIndexChanged.connect(lambda _i: _on_notch(win))
    c.marker_edit.returnPressed.connect(lambda: win.add_marker(0))
    c.marker_button.clicked.connect(lambda: win.add_marker(0))
    c.patient_view_button.toggled.connect(lambda _on: win.toggle_patient_view())
    c.guided_button.clicked.connect(win.guided.choose)
    c.source_combo.currentIndexChanged.connect(lambda _i: _on_source_chosen(win))
    win.sim_notice.connect_button.clicked.connect(lambda: connect_sensor(win))
    win.plots.sigLineMoved.connect(win.set_line)


def _on_rest(win: MainWindow, on: bool) -> None:
    win.session.mark_rest(on)
    win.controls.set_resting(on)
    win.statusBar().showMessage("Resting: marking the resting level…" if on else
                                "Resting level set from the marked rest.")


def _on_notch(win: MainWindow) -> None:
    hz = win.controls.notch_combo.currentData()
    win.session.set_notch(hz)
    win.prefs.notch_hz = hz
    win.save_preferences()
    win.statusBar().showMessage(f"Mains notch {win.controls.notch_combo.currentText()}")


def _on_source_chosen(win: MainWindow) -> None:
    spec = win.controls.source_combo.currentData()
    if isinstance(spec, str) and not spec.startswith("simulated"):
        win.sim_notice.hide()


def discovered_ports() -> list[tuple[str, str]]:
    try:
        from biofeedback.devices.discovery import find_sensors
    except ImportError:
        return []
    try:
        return [(f"Sensor on {p.device}", f"serial:{p.device}") for p in find_sensors()]
    except OSError:
        return []


def choose_source(win: MainWindow, spec: str) -> None:
    """Fill the source list; ``auto``: the first sensor found, else simulated data (and say so)."""
    ports = discovered_ports()
    win.controls.fill_sources(ports)
    if spec == "auto":
        if ports:
            spec = ports[0][1]
        else:
            last = win.prefs.last_source
            spec = last if last.startswith("simulated") else DEFAULT_SIMULATED
            win.no_sensor_found = True
            win.sim_notice.show()
    win.controls.select_spec(spec)


def connect_sensor(win: MainWindow) -> None:
    """The "Connect a sensor…" choice: look again, else ask for the port."""
    ports = discovered_ports()
    win.controls.fill_sources(ports)
    spec = ports[0][1] if ports else ask(win, ASK_PORT)
    if spec is None:
        return
    win.controls.select_spec(spec)
    win.no_sensor_found = False
    win.sim_notice.hide()
    if win.session.running:
        win.start()


def resolve_choice(win: MainWindow) -> str | None:
    spec = win.controls.source_combo.currentData()
    if spec in (ASK_PORT, ASK_FILE):
        spec = ask(win, spec)
        if spec is None:
            return None
        win.controls.select_spec(spec)
    return str(spec)


def ask(win: MainWindow, what: str) -> str | None:
    if what == ASK_PORT:
        port, ok = QInputDialog.getText(win, "Serial port", "Port (e.g. /dev/ttyACM0 or COM3):")
        return f"serial:{port.strip()}" if ok and port.strip() else None
    path, _ = QFileDialog.getOpenFileName(
        win, "Open recording", "", "Recordings (*.edf *.bdf *.csv *.bfrec);;All files (*)")
    return f"replay:{path}" if path else None


def apply_preferences(win: MainWindow) -> None:
    p = win.prefs
    if p.manual_line is not None:
        win.session.set_line(p.manual_line)
    c = win.controls
    idx = c.notch_combo.findData(p.notch_hz)
    if idx >= 0 and idx != c.notch_combo.currentIndex():
        c.notch_combo.blockSignals(True)
        c.notch_combo.setCurrentIndex(idx)
        c.notch_combo.blockSignals(False)
    win.session.set_notch(p.notch_hz)
    geometry = p.geometry_bytes()
    if not (geometry and win.restoreGeometry(QByteArray(geometry))):
        screen = QGuiApplication.primaryScreen()
        w, h = DEFAULT_SIZE
        if screen is not None:
            avail = screen.availableGeometry()
            w, h = min(w, avail.width()), min(h, avail.height())
        win.resize(w, h)


def title(base: str, source_name: str, kind: str) -> str:
    if kind == "simulated":
        return f"{base}: SIMULATED DATA ({source_name})"
    if kind == "replay":
        return f"{base}: reviewing {source_name}"
    return f"{base}: {source_name}"


def set_text(label: QLabel, text: str) -> None:
    """Set a label only when it changes (a label set every frame re-lays out the row)."""
    if label.text() != text:
        label.setText(text)


def offer_recovery(win: MainWindow) -> list[Path]:
    """After a crash: tell the user about unfinished recordings and recover them."""
    try:
        found = find_unfinished()
    except OSError as exc:
        win.banner.set_message(f"Could not look for unfinished recordings: {exc}")
        return []
    if not found:
        return []
    listing = "\n".join(f"• {u.describe()}" for u in found)
    answer = QMessageBox.question(
        win, "Unfinished recording found",
        "The app stopped while recording last time. These recordings were not finished:\n\n"
        f"{listing}\n\nRecover them now? At most the last second is lost.")
    if answer != QMessageBox.StandardButton.Yes:
        return []
    saved, problems = [], []
    for u in found:
        try:
            saved.append(recover(u.journal))
        except (RecordingError, FormatError, OSError) as exc:
            problems.append(f"{u.journal.name}: {exc}")
    if problems:
        win.banner.set_message("Some recordings could not be recovered: " + "; ".join(problems))
    if saved:
        win.statusBar().showMessage("Recovered: " + ", ".join(str(p) for p in saved))
    return saved


__all__ = ["SAFETY_TEXT", "build", "choose_source", "discovered_ports"]
