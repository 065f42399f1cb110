"""The clinic widgets one by one, on a real records file: the patient list (type to filter,
arrows, Enter), the new-patient dialog's code checks, the window's keys, the patient page
(history detail with pinned ratings, notes, trend gaps, the swab map entry and view), the
report preview (name only when asked, a failed save) and the main-window link (a missing
recording, an unknown code, the code field while streaming)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPointF, Qt
from PyQt6.QtWidgets import QApplication

from biofeedback.app.clinic import ClinicModel
from biofeedback.ui.clinic.new_patient import NewPatientDialog
from biofeedback.ui.clinic.patient_list import PatientList
from biofeedback.ui.clinic.patient_page import PatientPageWidget
from biofeedback.ui.clinic.report_preview import ReportPreview
from biofeedback.ui.clinic.swab_map import NOT_TESTED, ClockFace, SwabEntry, pain_colour
from biofeedback.ui.clinic.window import ClinicWindow
from biofeedback.ui.main_window import MainWindow


@pytest.fixture
def model(repo) -> ClinicModel:
    return ClinicModel(repo)


@pytest.fixture
def filled(model, make_session) -> ClinicModel:
    model.add_patient("P001", "A. Example")
    model.add_patient("P002")
    model.add_patient("HOME12-B")
    model.repo.add_session(make_session("P001", day=0, pain=4.0))
    model.repo.add_session(make_session("P001", day=7, pain=2.0))
    return model


def _shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isVisible, timeout=3000)
    return widget


def test_patient_list_type_to_filter_arrows_and_enter(qtbot, filled):
    plist = _shown(qtbot, PatientList())
    plist.search_changed.connect(lambda text: plist.set_rows(filled.patients(text)))
    opened: list[str] = []
    plist.opened.connect(opened.append)
    plist.set_rows(filled.patients())
    assert plist.codes() == ["HOME12-B", "P001", "P002"]
    plist.list.setFocus()
    qtbot.keyClicks(plist.list, "p0")  # typed in the list: goes to the search field
    assert plist.search.text() == "p0" and plist.codes() == ["P001", "P002"]
    qtbot.keyClick(plist.search, Qt.Key.Key_Down)
    assert plist.current_code() == "P002"
    qtbot.keyClick(plist.search, Qt.Key.Key_Return)
    assert opened == ["P002"]
    qtbot.keyClicks(plist.search, "9")
    assert plist.codes() == [] and "No patient matches 'p09'" in plist.empty.text()
    assert not plist.open_button.isEnabled()
    plist.search.clear()
    qtbot.keyClicks(plist.search, "example")  # the name, stored locally, finds the patient
    assert plist.codes() == ["P001"]
    assert "2 session(s)" in plist.list.item(0).text()


def test_digits_typed_in_the_list_filter_it_and_are_no_marker_shortcut(qtbot, filled):
    from PyQt6.QtGui import QAction, QKeySequence

    plist = _shown(qtbot, PatientList())
    plist.search_changed.connect(lambda text: plist.set_rows(filled.patients(text)))
    plist.set_rows(filled.patients())
    fired: list[bool] = []
    marker = QAction("Marker 1", plist)  # the main window's markers: application-wide "1"
    marker.setShortcut(QKeySequence("1"))
    marker.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    marker.triggered.connect(lambda: fired.append(True))
    plist.addAction(marker)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is plist, timeout=3000)
    plist.list.setFocus()
    qtbot.keyClick(plist.list, Qt.Key.Key_1, Qt.KeyboardModifier.NoModifier)
    assert plist.search.text() == "1" and not fired
    assert plist.codes() == ["HOME12-B", "P001"]  # the codes holding a 1


def test_new_patient_dialog_checks_the_code_as_it_is_typed(qtbot, filled):
    dialog = _shown(qtbot, NewPatientDialog(filled.code_problem, filled.add_patient))
    assert not dialog.ok.isEnabled()
    for bad, why in (("Jane Doe", "looks like a name"), ("P19800102", "date"),
                     ("a@b.c", "e-mail"), ("12345", "not a patient code")):
        dialog.code_edit.setText(bad)
        assert not dialog.ok.isEnabled() and why in dialog.message.text(), bad
    dialog.code_edit.setText("P001")  # a valid code that exists: the dialog says so, stays
    assert dialog.ok.isEnabled()
    dialog.ok.click()
    assert dialog.isVisible() and "exists" in dialog.message.text() and dialog.patient is None
    dialog.code_edit.setText("P003")
    dialog.name_edit.setText("  B. Example ")
    dialog.ok.click()
    assert not dialog.isVisible() and dialog.patient is not None
    assert filled.repo.get_patient("P003").name == "B. Example"


def test_window_keys_new_patient_escape_and_search(qtbot, filled):
    win = _shown(qtbot, ClinicWindow(filled))
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    assert win.list.codes() == ["HOME12-B", "P001", "P002"]
    win.list.search.setText("home")
    assert win.list.codes() == ["HOME12-B"]
    qtbot.keyClick(win.list.search, Qt.Key.Key_Return)
    assert win.stack.currentWidget() is win.page and win.page.code == "HOME12-B"
    assert win.page.history.empty.isVisible() and "No sessions yet" in win.page.history.empty.text()
    qtbot.keyClick(win.page.tabs, Qt.Key.Key_Escape)
    assert win.stack.currentWidget() is win.list
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert win.dialog is not None and win.dialog.isVisible()
    win.dialog.reject()
    win.open_patient("P999")  # gone meanwhile: one line, still on the list
    assert "P999" in win.status.text() and win.stack.currentWidget() is win.list


def test_patient_page_history_detail_notes_and_trend_gaps(qtbot, filled, make_session):
    record = dataclasses.replace(make_session("P001", day=9), ratings=(), steps=())
    filled.repo.add_session(record)  # measured nothing: gaps in the charts, never zeros
    page = _shown(qtbot, PatientPageWidget(filled))
    messages: list[str] = []
    page.message.connect(messages.append)
    page.show_patient("P001")
    h = page.history
    assert h.table.rowCount() == 3 and h.rows[0].uid == record.uid
    assert h.timeline.pins == [] and not h.replay_button.isEnabled()
    h.table.setCurrentCell(1, 0)  # the second newest: pain 2 and anxiety 40 pinned
    assert h.timeline.pins == [(0.0, "Pain 2"), (1.0, "Anxiety 40")]
    uid = h.current().uid
    h.note_edit.setText("Calmer today")
    qtbot.keyClick(h.note_edit, Qt.Key.Key_Return)
    assert messages[-1] == "Note added." and h.current().uid == uid  # still the same session
    assert "Calmer today" in h.notes.text()
    assert [n.session_uid for n in filled.repo.notes("P001")] == [uid]
    page.note_edit.setText("Homework: 5 min breathing daily")
    qtbot.keyClick(page.note_edit, Qt.Key.Key_Return)
    assert page.notes.item(0).text().endswith("Homework: 5 min breathing daily")
    assert "(session of" in page.notes.item(1).text()
    assert [y for _, y in page.charts.points["pain"]] == [4.0, 2.0]  # the third has no rating
    assert [x for x, _ in page.charts.points["pain"]] == [1.0, 2.0]
    assert len(page.charts.points["baseline_uv"]) == 3
    assert set(page.charts.plots) >= {"baseline_uv", "recovery_latency_s", "dilator_size",
                                      "minutes_per_week"}
    page.shutdown()


def test_swab_entry_face_and_panel(qtbot, filled):
    page = _shown(qtbot, PatientPageWidget(filled))
    page.resize(1024, 560)
    page.show_patient("P002")
    page.tabs.setCurrentWidget(page.swab)
    entry = page.swab.entry
    assert not entry.save_button.isEnabled() and page.swab.history.count() == 0
    entry.boxes[12].setValue(0)
    entry.boxes[6].setValue(7)
    assert entry.face.pains == {12: 0.0, 6: 7.0} and entry.save_button.isEnabled()
    qtbot.mouseClick(entry.save_button, Qt.MouseButton.LeftButton)
    (saved,) = filled.repo.swab_maps("P002")
    assert {p.clock: p.pain for p in saved.points} == {6: 7.0, 12: 0.0}
    assert entry.pains() == {} and all(b.value() == NOT_TESTED for b in entry.boxes.values())
    assert page.swab.history.count() == 1 and page.swab.past.pains == {6: 7.0, 12: 0.0}
    assert "highest 7" in page.swab.history.item(0).text()
    page.shutdown()


def test_clock_face_positions_clicks_and_colours(qtbot):
    entry = _shown(qtbot, SwabEntry())
    entry.resize(600, 320)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is entry, timeout=3000)
    face = entry.face
    centre, r = face._geometry()
    for hour in (12, 3, 6, 9):
        at = face.position(hour, centre, r * 0.72)
        assert face.hour_at(at) == hour
    assert face.hour_at(centre) is None
    at = face.position(3, centre, r * 0.72)
    qtbot.mouseClick(face, Qt.MouseButton.LeftButton, pos=QPointF(at).toPoint())
    assert entry.boxes[3].hasFocus()  # a click on the face goes to that position's box
    light, dark = pain_colour(0), pain_colour(10)
    assert light.lightness() > pain_colour(5).lightness() > dark.lightness()
    assert ClockFace().sizeHint().width() > 0


def test_report_preview_renders_every_page_and_the_name_only_when_asked(qtbot, filled,
                                                                       tmp_path):
    preview = _shown(qtbot, ReportPreview(
        "P001", lambda named: filled.report_pdf("P001", include_name=named),
        filled.save_report, has_name=True))
    assert preview.pages is not None and len(preview.page_labels) == preview.pages.count >= 2
    page = preview.pages.render(0)
    assert page.pixelColor(2, 2).name() == "#ffffff"  # white paper, not the frame's grey
    assert any(page.pixelColor(x, y).name() != "#ffffff"  # and the text is on it
               for x in range(0, page.width(), 7) for y in range(0, page.height() // 4, 7))
    plain = preview.pdf
    preview.name_box.setChecked(True)  # rebuilt with the name
    assert preview.pdf != plain and len(preview.page_labels) == preview.pages.count
    assert preview.save_as(tmp_path / "missing" / "r.pdf") is None
    assert preview.info.text().startswith("Not saved:") and "does not exist" in preview.info.text()
    out = preview.save_as(tmp_path / "r.pdf")
    assert out == tmp_path / "r.pdf" and out.read_bytes() == preview.pdf
    assert "Saved:" in preview.info.text()
    preview.close()


def _main_window(qtbot) -> MainWindow:
    win = MainWindow("simulated:rest", persist=False)
    qtbot.addWidget(win)
    win.show()
    return win


def test_link_replay_refuses_a_missing_recording_and_says_why(qtbot, make_session, tmp_path):
    win = _main_window(qtbot)
    clinic = win.clinic.show()
    assert clinic is not None
    qtbot.addWidget(clinic)
    model = win.clinic.model
    model.add_patient("P001")
    gone = dataclasses.replace(make_session("P001"), recording_path=str(tmp_path / "gone.bdf"),
                               recording_sha256="0" * 64)
    model.repo.add_session(gone)
    clinic.refresh_list()
    clinic.open_patient("P001")
    assert clinic.page.history.replay_button.isEnabled()
    clinic.page.history.replay_button.click()
    assert "is missing" in clinic.status.text() and not win.session.running
    win.close()


def test_link_stores_only_for_known_patients_and_keeps_the_code_field_while_streaming(
        qtbot, tmp_path):
    from biofeedback.sessions.loader import load_protocol
    from biofeedback.sessions.results import SessionResult
    from biofeedback.ui.session_control import FinishedSession

    win = _main_window(qtbot)
    protocol_file = tmp_path / "p.toml"
    protocol_file.write_text('[protocol]\nname = "p"\ntitle = "P"\ndescription = "d"\n\n'
                             '[[step]]\nname = "Rest"\nkind = "rest"\nduration_s = 5\n'
                             'instruction = "Rest."\n', encoding="utf-8")
    protocol = load_protocol(protocol_file)
    result = SessionResult(protocol="p", title="P", ended="finished", steps=[],
                           summary={"practised_s": 5.0})
    done = FinishedSession(result, protocol, dt.datetime.now(dt.UTC), None)
    win.controls.patient_edit.setText("P404")
    win.clinic.store(done)
    assert "P404 is not a patient there" in win.statusBar().currentMessage()
    win.clinic.model.add_patient("P404")
    win.clinic.store(done)
    assert [r.protocol for r in win.clinic.model.repo.sessions("P404")] == ["p"]
    assert win.start()
    win.clinic.use_for_session("P001")  # the code is fixed once streaming started
    assert win.controls.patient_edit.text() == "P404"
    assert "Stop the current stream first" in win.statusBar().currentMessage()
    win.stop()
    win.clinic.use_for_session("P001")
    assert win.controls.patient_edit.text() == "P001"
    win.close()


def test_link_says_when_the_records_cannot_be_opened(qtbot):
    from biofeedback.storage.records import RecordsError
    from biofeedback.ui.clinic.link import ClinicLink

    win = _main_window(qtbot)

    def broken() -> ClinicModel:
        raise RecordsError("records.sqlite3: not an SQLite database")

    link = ClinicLink(win, factory=broken)
    assert link.show() is None
    assert "could not be opened: records.sqlite3: not an SQLite database" in win.banner.text()
    win.close()



def test_while_streaming_digits_in_the_clinic_window_are_typed_not_markers(qtbot):
    win = _main_window(qtbot)
    assert win.start() and win.actions.markers[7].isEnabled()
    clinic = win.clinic.show()
    qtbot.addWidget(clinic)
    win.clinic.model.add_patient("P001")
    clinic.refresh_list()
    clinic.open_patient("P001")
    page = clinic.page
    page.tabs.setCurrentWidget(page.swab)
    clinic.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is clinic, timeout=3000)
    box = page.swab.entry.boxes[6]
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_7)
    assert box.value() == 7
    assert not win.statusBar().currentMessage().startswith("Marker")
    win.stop()
    win.close()
