"""Home mode end to end (issue 14): a programme exported on the clinic side imports at home,
the screening is confirmed, a short session runs on the simulated sensor, progress updates, a
second one is compared with it and stopped for pain, a home bundle goes back into the right
patient in the clinic, and a tampered bundle is refused with a clear message and the clinic's
database unchanged."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt, QTimer

from biofeedback.app.bundle import import_bundle
from biofeedback.app.home import AFTER_PAIN, NO_PROGRAMME, SCREEN_HOLD
from biofeedback.app.programme import Programme, ProgrammeProtocol, Schedule, write_programme
from biofeedback.sessions.loader import parse_protocol
from biofeedback.sessions.scripted import protocol_scenario
from biofeedback.storage.records import RecordsError, SqliteDatabase
from biofeedback.ui.home.window import HomeWindow

SPEED = 10.0
TZ = dt.timezone(dt.timedelta(hours=1))

SHORT = '''[protocol]
name = "home-short"
title = "Short home practice"
description = "A settle, a quiet practice below the line, a rest: a test copy."
safety = "Stop if you feel sharp or increasing pain and contact your clinician."

[[step]]
name = "Settle"
kind = "rest"
duration_s = 4
sets_baseline = true
instruction = "Lie comfortably, knees supported. Just breathe."
measure = ["mean_uv", "sd_uv"]

[[step]]
name = "Quiet practice"
kind = "relax"
duration_s = 5
target = { kind = "below_line", line_factor = 0.9 }
instruction = "Stay below the line."
measure = ["mean_uv", "percent_below_line"]

[[step]]
name = "Rest after"
kind = "rest"
duration_s = 3
instruction = "Rest. Notice how the pelvic floor feels now."
measure = ["mean_uv"]
'''


class Clock:
    def __init__(self) -> None:
        self.t = dt.datetime.now(TZ)

    def __call__(self) -> dt.datetime:
        return self.t


def _clinic(tmp_path: Path) -> SqliteDatabase:
    return SqliteDatabase(tmp_path / "clinic" / "records.sqlite3",
                          backup_folder=tmp_path / "clinic" / "backups")


def _export_programme(tmp_path: Path) -> Path:
    """What the clinic does: the patient exists there, the programme file goes home."""
    with _clinic(tmp_path) as clinic:
        clinic.repo.add_patient("H001")
    prog = Programme("H001", (ProgrammeProtocol("home-short", SHORT),), Schedule(5, 15, ()),
                     message="Practise gently; see you in two weeks.")
    path = tmp_path / "H001.bfprog"
    write_programme(prog, path)
    return path


def _home(show_active, tmp_path: Path, clock: Clock) -> tuple[HomeWindow, SqliteDatabase]:
    db = SqliteDatabase(tmp_path / "home" / "records.sqlite3",
                        backup_folder=tmp_path / "home" / "backups")
    scenario = protocol_scenario(parse_protocol(SHORT, "short"))
    win = HomeWindow(f"simulated:{scenario}", {"speed": SPEED}, repo=db.repo, clock=clock,
                     persist=False, state_path=tmp_path / "home" / "state.json")
    return show_active(win, (1024, 600)), db


def _answer_screening(win: HomeWindow, ticks: tuple[str, ...] = ()) -> None:
    def answer() -> None:
        d = win.screening
        if d is None:
            QTimer.singleShot(20, answer)
            return
        for key in ticks:
            d.boxes[key].setChecked(True)
        d.continue_button.click()
        if ticks:  # the calm advice, then Close
            assert d.answer.text() == SCREEN_HOLD
            d.continue_button.click()

    QTimer.singleShot(0, answer)


def _tampered(bundle: Path, out: Path) -> Path:
    """The same bundle with one byte of the recording changed (checksums left as they were)."""
    src = zipfile.ZipFile(bundle)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("recordings/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            z.writestr(info.filename, data)
    out.write_bytes(buf.getvalue())
    return out


def test_home_practice_from_programme_to_clinic(qtbot, tmp_path, show_active):
    clock = Clock()
    programme = _export_programme(tmp_path)
    win, db = _home(show_active, tmp_path, clock)
    page = win.start_page
    # no programme yet: a calm explanation, nothing to start (Space does nothing)
    assert page.no_programme.isVisible() and page.no_programme.text() == NO_PROGRAMME
    assert not page.start_button.isEnabled() and not win.start_action.isEnabled()
    assert not win.start_practice()
    # the programme from the clinic opens practice for its patient
    assert win.import_programme_file(programme)
    assert not page.no_programme.isVisible() and page.start_button.isEnabled()
    assert "Short home practice" in page.today.text()
    assert "see you in two weeks" in page.message.text()
    assert "first session" in page.progress.text()
    # something applies in the screening: practice stays closed, calmly
    _answer_screening(win, ("infection",))
    assert not win.start_practice()
    assert win.stack.currentWidget() is page and page.hold.text() == SCREEN_HOLD
    # nothing applies: Space starts today's practice in the calm view
    _answer_screening(win)
    page.start_button.setFocus()
    qtbot.keyClick(page.start_button, Qt.Key.Key_Space)
    host = win.practice
    qtbot.waitUntil(lambda: host.active, timeout=5000)
    assert win.stack.currentWidget() is win.practice_view
    ctl = host.guided
    live = host.window.session
    assert live.running and live.recording and ctl.origin == "home"
    calm = ctl.patient
    assert calm is not None and calm.isVisible() and calm.calm
    assert not host.window.isVisible()  # the clinic's controls are never shown at home
    assert not win.practice_view.plots.threshold_line.movable  # no thresholds to drag
    # Esc pauses and resumes
    qtbot.waitUntil(lambda: ctl.guided.view() is not None, timeout=5000)
    qtbot.keyClick(win.practice_view, Qt.Key.Key_Escape)
    assert ctl.guided.view().paused and calm.paused_label.isVisibleTo(calm)
    qtbot.keyClick(win.practice_view, Qt.Key.Key_Escape)
    assert not ctl.guided.view().paused
    qtbot.waitUntil(lambda: ctl.result is not None, timeout=30_000)
    assert ctl.result.ended == "finished"
    qtbot.waitUntil(lambda: calm.ended and calm.summary.isVisible(), timeout=3000)
    calm.close_button.click()  # back home; streaming stops
    assert win.stack.currentWidget() is page and not live.running
    # kept in the home records with its recording; progress says so
    (rec,) = db.repo.sessions("H001")
    assert rec.origin == "home" and rec.protocol == "home-short"
    assert rec.recording_path and Path(rec.recording_path).is_file()
    assert "1 session" in page.progress.text() and "first session" not in page.progress.text()
    assert "missed" not in page.progress.text().lower()
    assert "practised" in page.today.text()
    # a second practice, the same day (no check asked again): compared with the first from
    # the records; it hurts: the pain stop ends it, its recording is saved and kept with it
    assert win.start_practice()
    assert ctl.previous is not None and ctl.previous.ended == "finished"
    calm = ctl.patient
    qtbot.waitUntil(lambda: ctl.guided.view() is not None, timeout=5000)
    calm.pain_button.click()
    assert ctl.result.ended == "pain" and "contact your clinician" in calm.safety_end.text()
    assert "Still recording" not in calm.end_note.text() and not live.recording
    calm.close_button.click()
    pain = db.repo.sessions("H001")[-1]
    assert pain.ended == "pain" and pain.recording_path and Path(pain.recording_path).is_file()
    assert page.hold.text() == AFTER_PAIN and win.model.screening_due()
    # the bundle for the clinician
    bundle = tmp_path / "H001-home.bfbundle"
    assert win.export_bundle_to(bundle)
    assert "Saved 2 sessions (2 recordings)" in page.status.text()
    with _clinic(tmp_path) as clinic:
        # a tampered bundle is refused with one clear line; nothing is stored or copied
        bad = _tampered(bundle, tmp_path / "tampered.bfbundle")
        folder = tmp_path / "clinic" / "recordings"
        with pytest.raises(RecordsError) as refused:
            import_bundle(clinic.repo, bad, folder=folder)
        assert str(bad) in str(refused.value) and "checksum mismatch" in str(refused.value)
        assert clinic.repo.sessions("H001") == []
        assert not folder.exists() or list(folder.iterdir()) == []
        # the real one goes into the right patient
        res = import_bundle(clinic.repo, bundle, folder=folder)
        assert res.patient_code == "H001" and res.added == (rec.uid, pain.uid)
        assert res.recordings == 2
        back, back_pain = clinic.repo.sessions("H001")
        assert back.origin == "home" and back.recording_sha256 == rec.recording_sha256
        assert back_pain.ended == "pain"  # the clinician sees the pain stop
        assert import_bundle(clinic.repo, bundle, folder=folder).skipped == (rec.uid, pain.uid)
    win.close()
    db.close()
