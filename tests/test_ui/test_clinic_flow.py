"""Issue 14's "Done when", through the windows: a patient is created in the clinic window
(Ctrl+N, a pseudonymous code), two short guided sessions run on the simulated sensor in the main
window are stored for them, both are in the patient's history with trend points, the PDF
report previewed and saved has the code and the metrics in its extracted text, a page is
rendered to PNG (and looked at in ``docs/records.md``'s screenshots), and a stored session
opens in replay."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

from biofeedback.sessions.loader import load_protocol
from biofeedback.sessions.scripted import protocol_scenario
from biofeedback.ui.main_window import MainWindow

SPEED = 10.0

#: a short rated practice: pain rated first, a rest that sets μ_B, two squeeze/release cycles
#: (peaks and recovery latency), anxiety rated at the end
SHORT = '''[protocol]
name = "short-rated"
title = "Short rated practice"
description = "Pain rated, a rest, two squeezes and releases, anxiety rated (test copy)."

[[step]]
name = "Pain before"
kind = "rating"
instruction = "A rating first."
rating = { scale = "pain", question = "How much pain do you feel right now, from 0 to 10?" }

[[step]]
name = "Settle"
kind = "rest"
duration_s = 5
sets_baseline = true
instruction = "Lie comfortably and breathe."
measure = ["mean_uv", "sd_uv", "cv_percent"]

[[step]]
name = "Cycle"
repeat = 2

  [[step.steps]]
  name = "Squeeze"
  kind = "contract"
  duration_s = 3
  effort = 0.6
  instruction = "Gently squeeze…"
  measure = ["contraction_peak_uv"]

  [[step.steps]]
  name = "Release"
  kind = "relax"
  duration_s = 7
  instruction = "…and let it all go."
  measure = ["relaxation_latency_s", "recovery_latency_s"]

[[step]]
name = "Anxiety after"
kind = "rating"
instruction = "One more rating."
rating = { scale = "anxiety", question = "How anxious do you feel now, from 0 to 100?" }
'''


def _text_of(pdf: Path) -> str:
    if shutil.which("pdftotext") is not None:
        return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                              capture_output=True, text=True).stdout
    pypdf = pytest.importorskip("pypdf")
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)


def _run_session(qtbot, win: MainWindow, protocol_file: Path, pain: int, anxiety: int) -> None:
    ctl = win.guided
    assert ctl.begin_named(str(protocol_file))
    assert ctl.view is not None and ctl.view.rating.isVisible()
    qtbot.keyClick(win, getattr(Qt.Key, f"Key_{pain}"))  # digits rate while a rating is asked
    qtbot.keyClick(ctl.view.rating, Qt.Key.Key_Return)

    def asked_anxiety() -> bool:
        g = ctl.guided
        v = g.view() if g is not None else None
        return v is not None and v.label == "Anxiety after" and v.waiting

    qtbot.waitUntil(asked_anxiety, timeout=30_000)
    ctl.view.rating.select(float(anxiety))
    qtbot.keyClick(ctl.view.rating, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ctl.view is not None and ctl.view.ended, timeout=10_000)
    assert ctl.result is not None and ctl.result.ended == "finished"
    qtbot.waitUntil(lambda: not win.session.recording, timeout=5000)  # its recording is saved
    ctl.close()
    win.stop()


def test_patient_two_sessions_history_trends_report_and_replay(qtbot, tmp_path, main_window):
    protocol_file = tmp_path / "short.toml"
    protocol_file.write_text(SHORT, encoding="utf-8")
    protocol = load_protocol(protocol_file)
    win = main_window(f"simulated:{protocol_scenario(protocol)}", SPEED)

    # the "Patients" entry (Ctrl+P) opens the clinic window on the (empty) patient list
    assert win.clinic.action.shortcut().toString() == "Ctrl+P"
    win.clinic.action.trigger()
    clinic = win.clinic.window
    assert clinic is not None and clinic.isVisible()
    qtbot.addWidget(clinic)
    assert clinic.list.codes() == [] and "Ctrl+N" in clinic.list.empty.text()

    # Ctrl+N: a name is refused as a code, a pseudonymous code is accepted
    clinic.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is clinic, timeout=3000)
    qtbot.keyClick(clinic, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = clinic.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    qtbot.keyClicks(dialog.code_edit, "Jane Doe")
    assert not dialog.ok.isEnabled() and "looks like a name" in dialog.message.text()
    dialog.code_edit.clear()
    qtbot.keyClicks(dialog.code_edit, "P017")
    assert dialog.ok.isEnabled()
    qtbot.keyClick(dialog.code_edit, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert clinic.stack.currentWidget() is clinic.page and clinic.page.code == "P017"
    assert clinic.page.history.rows == ()

    # "Next session for this patient": the code goes into the main window's patient field
    clinic.page.session_button.click()
    assert win.controls.patient_edit.text() == "P017"

    # two short guided sessions in the main window, each stored for P017 when it ends
    _run_session(qtbot, win, protocol_file, pain=3, anxiety=40)
    assert len(clinic.page.history.rows) == 1  # stored, and the open page redrawn
    _run_session(qtbot, win, protocol_file, pain=2, anxiety=30)

    # both are in the history (the open page was redrawn), newest first, with trend points
    page = clinic.page
    rows = page.history.rows
    assert len(rows) == 2 and rows[0].started > rows[1].started
    assert [r.point.pain for r in rows] == [2.0, 3.0]
    assert [r.point.anxiety for r in rows] == [30.0, 40.0]
    for r in rows:
        assert r.point.baseline_uv is not None and r.point.baseline_uv > 0
        assert r.point.max_contraction_uv is not None and r.point.max_contraction_uv > 0
        assert r.recording is not None and Path(r.recording).is_file()
    assert page.history.table.rowCount() == 2
    assert page.history.table.item(0, 5).text() == "2"  # the pain column
    for key in ("baseline_uv", "cv_percent", "max_contraction_uv", "pain", "anxiety"):
        assert len(page.charts.points[key]) == 2, key
    assert [y for _, y in page.charts.points["pain"]] == [3.0, 2.0]
    assert page.charts.points["minutes_per_week"][0][1] > 0
    # the ratings are pinned on the chosen session's timeline
    assert [t for _, t in page.history.timeline.pins] == ["Pain 2", "Anxiety 30"]

    # a note on the newest session
    qtbot.keyClicks(page.history.note_edit, "Tolerated both squeezes well")
    qtbot.keyClick(page.history.note_edit, Qt.Key.Key_Return)
    assert "Tolerated both squeezes well" in page.history.notes.text()

    # the report: previewed (every page rendered), then saved; its text has code and metrics
    preview = page.open_report()
    assert preview is not None
    qtbot.addWidget(preview)
    assert preview.pages is not None and preview.pages.count >= 2
    assert len(preview.page_labels) == preview.pages.count
    assert not preview.page_labels[0].pixmap().isNull()
    saved = preview.save_as(tmp_path / "P017-report.pdf")
    assert saved is not None and saved.read_bytes() == preview.pdf
    text = _text_of(saved)
    assert "P017" in text
    for words in ("Resting baseline", "Maximum contraction", "Pain", "Anxiety",
                  "Tolerated both squeezes well"):
        assert words in text, words
    assert "Short rated practice" in text or "short-rated" in text
    png = tmp_path / "page1.png"
    assert preview.pages.render(0).save(str(png)) and png.stat().st_size > 10_000
    if shutil.which("pdftoppm") is not None:  # and poppler agrees the file renders
        subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(saved),
                        str(tmp_path / "poppler")], check=True)
        assert list(tmp_path.glob("poppler*.png"))
    preview.close()

    # "Open in replay": the newest session's recording plays in the main window
    page.history.replay_button.click()
    assert win.session.replay is not None and win.review is not None
    assert Path(rows[0].recording).name in win.windowTitle()
    texts = [a.text for a in win.session.file_annotations()]  # drawn on the replayed plots
    assert "rating:pain=2" in texts and "rating:anxiety=30" in texts
    win.stop()
    win.close()
