"""The clinic login dialog and the administrator's audit view, as real widgets, and both wired
into the main window's Patients… on a real records file: without accounts it opens directly;
with accounts the login comes first (a wrong password refused with the one line, cancel keeps
the window closed), the clinic window then works and audits as that person, the administrator
alone gets the audit log, and Log out closes the window and forgets them."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from PyQt6.QtCore import Qt, QTimer

from biofeedback.app.accounts import NotAllowedError, create_account, login
from biofeedback.app.clinic import open_clinic
from biofeedback.storage.records import SqliteDatabase
from biofeedback.ui.audit_view import AuditView
from biofeedback.ui.clinic.link import NOT_LOGGED_IN, ClinicLink
from biofeedback.ui.login_dialog import LoginDialog
from biofeedback.ui.main_window import MainWindow


@pytest.fixture
def fast_hashes(monkeypatch):
    monkeypatch.setattr("biofeedback.app.accounts._hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def repo(tmp_path, fast_hashes):
    with SqliteDatabase(tmp_path / "records.sqlite3") as db:
        create_account(db.repo, "admin", "admin password 1", "administrator")
        admin = login(db.repo, "admin", "admin password 1")
        create_account(db.repo, "t.smith", "long enough pw", "therapist", by=admin,
                       display_name="T. Smith")
        yield db.repo


@pytest.fixture
def clinic_records(repo):
    """The accounts, and a patient P002 to open."""
    repo.add_patient("P002")
    return repo


@pytest.fixture
def win(qtbot):
    w = MainWindow("simulated:rest", persist=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def _link(win, path, ask_login=None) -> ClinicLink:
    """A Patients… link on the records file at ``path`` (the window's own one uses the data
    folder)."""
    return ClinicLink(win, factory=lambda: open_clinic(str(path)), ask_login=ask_login)


def _audit(path, **filters) -> list[tuple[str, str, str | None, str]]:
    with SqliteDatabase(path) as db:
        return [(e.action, e.actor, e.patient_code, e.detail)
                for e in db.repo.audit_log(**filters)]


def test_login_dialog_says_why_and_logs_in(qtbot, repo):
    dlg = LoginDialog(repo, where="records.sqlite3")
    qtbot.addWidget(dlg)
    qtbot.keyClicks(dlg.username, "t.smith")
    qtbot.keyClicks(dlg.password, "not the password")
    qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    assert dlg.user is None and dlg.message.text() == "user name or password not right"
    assert dlg.password.text() == "" and dlg.result() == 0
    qtbot.keyClicks(dlg.password, "long enough pw")
    qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    assert dlg.user is not None and dlg.user.account.username == "t.smith"
    assert dlg.result() == LoginDialog.DialogCode.Accepted and dlg.password.text() == ""


def test_audit_view_for_the_administrator_only(qtbot, repo):
    therapist = login(repo, "t.smith", "long enough pw")
    therapist.repo.add_patient("P001")
    therapist.repo.record_audit("opened", "P001", "patient page")
    with pytest.raises(NotAllowedError):
        AuditView(therapist)
    view = AuditView(login(repo, "admin", "admin password 1"))
    qtbot.addWidget(view)
    assert view.table.rowCount() >= 5
    qtbot.keyClicks(view.patient, "P001")
    qtbot.mouseClick(view.refresh, Qt.MouseButton.LeftButton)
    cells = [[view.table.item(r, c).text() for c in range(view.table.columnCount())]
             for r in range(view.table.rowCount())]
    assert [row[4] for row in cells] == ["opened", "created"]
    assert all(row[1] == "t.smith" and row[5] == "P001" for row in cells)
    assert view.status.text() == "2 entries"


def test_without_accounts_patients_opens_directly(qtbot, tmp_path, win):
    path = tmp_path / "laptop.sqlite3"

    def no_login(repo, parent):
        raise AssertionError("no accounts: nobody is asked to log in")

    link = _link(win, path, no_login)
    clinic = link.show()
    assert clinic is not None and link.user is None
    qtbot.addWidget(clinic)
    assert clinic.who.text() == "" and not clinic.logout_button.isVisibleTo(clinic)
    assert not clinic.audit_button.isVisibleTo(clinic)
    link.model.add_patient("P002")
    clinic.refresh_list()
    clinic.open_patient("P002")
    opened, created = _audit(path, patient="P002")
    assert opened[0] == "opened" and created[0] == "created"
    assert opened[1] == created[1]  # this computer's user, as the CLI on a laptop
    link.close()


def test_the_login_dialog_comes_first_refuses_a_wrong_password_then_opens(qtbot, tmp_path,
                                                                         clinic_records, win):
    path = tmp_path / "records.sqlite3"
    link = _link(win, path)  # the real dialog
    seen: list[str] = []

    def fill() -> None:
        dlg = link.login_dialog
        if dlg is None:  # not shown yet: look again on the next turn of the loop
            QTimer.singleShot(0, fill)
            return
        try:
            seen.append(dlg.windowTitle())
            qtbot.keyClicks(dlg.username, "t.smith")
            qtbot.keyClick(dlg.username, Qt.Key.Key_Return)  # on to the password, no attempt
            seen.append(dlg.message.text())
            qtbot.keyClicks(dlg.password, "not the password")
            qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
            seen.append(dlg.message.text())
            qtbot.keyClicks(dlg.password, "long enough pw")
            qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
        finally:
            if dlg.isVisible():
                dlg.reject()

    QTimer.singleShot(0, fill)
    clinic = link.show()
    assert seen == ["Log in to clinic mode", "", "user name or password not right"]
    assert clinic is not None and link.user is not None
    qtbot.addWidget(clinic)
    assert clinic.who.text() == "Logged in as T. Smith (t.smith, therapist)"
    assert clinic.logout_button.isVisibleTo(clinic)
    assert not clinic.audit_button.isVisibleTo(clinic)  # a therapist: no audit log
    assert clinic.open_audit() is None
    clinic.open_patient("P002")
    preview = clinic.page.open_report()
    assert preview is not None and preview.save_as(tmp_path / "P002.pdf") is not None
    assert _audit(path, patient="P002")[:2] == [
        ("exported", "t.smith", "P002", "PDF report P002.pdf"),
        ("opened", "t.smith", "P002", "patient page")]
    logins = [e[3] for e in _audit(path) if e[0] == "login"]
    assert logins[:2] == ["t.smith logged in", "failed login as t.smith"]
    link.close()  # the main window closing ends the login too
    assert _audit(path)[0] == ("login", "t.smith", None, "t.smith logged out")


def test_cancelling_the_login_keeps_the_clinic_window_closed(qtbot, tmp_path, clinic_records,
                                                             win):
    link = _link(win, tmp_path / "records.sqlite3")
    QTimer.singleShot(0, lambda: link.login_dialog.reject() if link.login_dialog else None)
    assert link.show() is None
    assert link.window is None and link.user is None
    assert win.statusBar().currentMessage() == NOT_LOGGED_IN
    link.close()


def test_the_administrator_sees_the_audit_log_and_log_out_forgets_them(qtbot, tmp_path,
                                                                       clinic_records, win):
    path = tmp_path / "records.sqlite3"
    asked: list[str] = []

    def as_admin(records, parent):
        asked.append(records.where)
        return login(records, "admin", "admin password 1")

    link = _link(win, path, as_admin)
    clinic = link.show()
    assert clinic is not None and asked == [clinic_records.where]
    qtbot.addWidget(clinic)
    assert clinic.audit_button.isVisibleTo(clinic)
    clinic.open_patient("P002")
    qtbot.mouseClick(clinic.audit_button, Qt.MouseButton.LeftButton)
    view = clinic.audit_view
    assert view is not None and view.isVisible() and view.isWindow()
    first = [view.table.item(0, c).text() for c in (1, 4, 5)]
    assert first == ["admin", "opened", "P002"]
    qtbot.mouseClick(clinic.logout_button, Qt.MouseButton.LeftButton)
    assert link.window is None and link.user is None and link.model is None
    assert not clinic.isVisible() and not view.isVisible()
    assert win.statusBar().currentMessage() == "Logged out of clinic mode."
    assert _audit(path)[0][:2] == ("login", "admin")  # "admin logged out"
    again = link.show()  # the next person logs in again
    assert again is not None and again is not clinic and len(asked) == 2
    qtbot.addWidget(again)
    link.close()


def test_a_session_ending_while_nobody_is_logged_in_is_not_stored_and_says_so(
        qtbot, tmp_path, clinic_records, win):
    import datetime as dt

    from biofeedback.sessions.protocol import Protocol
    from biofeedback.sessions.results import SessionResult
    from biofeedback.ui.session_control import FinishedSession

    asked: list[str] = []
    link = _link(win, tmp_path / "records.sqlite3",
                 lambda records, parent: asked.append(records.where))  # cancelled
    result = SessionResult(protocol="p", title="P", ended="finished", steps=[],
                           summary={"practised_s": 5.0})
    protocol = Protocol(name="p", title="P", description="d", steps=(), safety="")
    win.controls.patient_edit.setText("P002")
    link.store(FinishedSession(result, protocol, dt.datetime.now(dt.UTC), None))
    assert len(asked) == 1
    assert win.statusBar().currentMessage().startswith(
        "This session is not in the records: nobody is logged in to clinic mode")
    assert clinic_records.sessions("P002") == []
    link.close()
