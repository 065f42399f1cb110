"""The clinic login dialog and the administrator's audit view, as real widgets."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from PyQt6.QtCore import Qt

from biofeedback.app.accounts import NotAllowedError, create_account, login
from biofeedback.storage.records import SqliteDatabase
from biofeedback.ui.audit_view import AuditView
from biofeedback.ui.login_dialog import LoginDialog


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setattr("biofeedback.app.accounts._hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with SqliteDatabase(tmp_path / "records.sqlite3") as db:
        create_account(db.repo, "admin", "admin password 1", "administrator")
        admin = login(db.repo, "admin", "admin password 1")
        create_account(db.repo, "t.smith", "long enough pw", "therapist", by=admin)
        yield db.repo


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
