"""Clinic accounts on both backends: argon2 hashes, roles, login, the administrator's rules,
and the audit log view."""

from __future__ import annotations

import io
import json

import pytest

from biofeedback.app.accounts import (
    LoginError,
    NotAllowedError,
    accounts,
    change_password,
    create_account,
    login,
    set_disabled,
)
from biofeedback.app.audit import COLUMNS, AuditModel
from biofeedback.cli import main
from biofeedback.storage.records import RecordsError
from biofeedback.storage.records.accounts import get_account


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch):
    """argon2id with small costs: the same code path, milliseconds instead of a second per hash
    on a busy test machine (the app uses argon2-cffi's defaults)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr("biofeedback.app.accounts._hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_accounts_roles_and_login(repo):
    with pytest.raises(RecordsError, match="first account must be an administrator"):
        create_account(repo, "t.smith", "long enough pw", "therapist")
    admin_acc = create_account(repo, "Admin", "admin password 1", "administrator")
    assert admin_acc.username == "admin" and admin_acc.role == "administrator"
    _, stored = get_account(repo, "admin")
    assert stored.startswith("$argon2id$") and "admin password 1" not in stored
    with pytest.raises(NotAllowedError):
        create_account(repo, "t.smith", "long enough pw", "therapist")  # nobody logged in
    admin = login(repo, "admin", "admin password 1")
    with pytest.raises(RecordsError, match="at least 10"):
        create_account(repo, "t.smith", "short", "therapist", by=admin)
    create_account(repo, "t.smith", "long enough pw", "therapist", display_name="T. S.",
                   by=admin)
    for user, pw in (("t.smith", "wrong password"), ("nobody", "long enough pw")):
        with pytest.raises(LoginError, match="^user name or password not right$"):
            login(repo, user, pw)
    therapist = login(repo, "t.smith", "long enough pw")
    assert not therapist.is_admin and therapist.repo.actor.name == "t.smith"
    for forbidden in (lambda: accounts(therapist),
                      lambda: set_disabled(therapist, "admin"),
                      lambda: change_password(therapist, "admin", "new password 12"),
                      lambda: AuditModel(therapist)):
        with pytest.raises(NotAllowedError, match="administrator"):
            forbidden()
    change_password(therapist, "t.smith", "another long one", old_password="long enough pw")
    login(repo, "t.smith", "another long one")
    with pytest.raises(RecordsError, match="last administrator"):
        set_disabled(admin, "admin")
    assert set_disabled(admin, "t.smith").disabled
    with pytest.raises(LoginError, match="disabled"):
        login(repo, "t.smith", "another long one")
    assert [a.username for a in accounts(admin)] == ["admin", "t.smith"]


def test_the_administrator_views_the_audit_log(repo):
    create_account(repo, "admin", "admin password 1", "administrator")
    admin = login(repo, "admin", "admin password 1")
    create_account(repo, "t.smith", "long enough pw", "therapist", by=admin)
    therapist = login(repo, "t.smith", "long enough pw")
    therapist.repo.add_patient("P001")
    therapist.repo.record_audit("opened", "P001", "patient page")
    model = AuditModel(admin, patient="P001")
    assert [e.action for e in model.load()] == ["opened", "created"]
    assert len(COLUMNS) == len(model.rows()[0]) and model.rows()[0][1] == "t.smith"
    everything = AuditModel(admin).load()
    assert {"login", "accounts", "created", "opened"} <= {e.action for e in everything}
    assert any("failed" not in e.detail and e.action == "login" for e in everything)


def test_accounts_and_audit_commands(monkeypatch, capsys):
    def run(argv, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(argv)

    assert run(["accounts", "add", "admin", "--role", "administrator", "--password-stdin"],
               "admin password 1\n") == 0
    assert run(["accounts", "add", "t.smith", "--role", "therapist", "--password-stdin"],
               "x\n") != 0
    assert "needs an administrator: add --admin USER" in capsys.readouterr().err
    assert run(["accounts", "add", "t.smith", "--role", "therapist", "--admin", "admin",
                "--password-stdin"], "admin password 1\nlong enough pw\n") == 0
    assert run(["accounts", "list", "--admin", "admin", "--password-stdin", "--json"],
               "wrong\n") == 1
    assert capsys.readouterr().err.strip().endswith("user name or password not right")
    assert run(["accounts", "list", "--admin", "admin", "--password-stdin", "--json"],
               "admin password 1\n") == 0
    out = capsys.readouterr()
    assert out.err == "", out.err
    listed = json.loads(out.out)
    assert [(a["username"], a["role"]) for a in listed] == [("admin", "administrator"),
                                                           ("t.smith", "therapist")]
    assert run(["accounts", "passwd", "t.smith", "--password-stdin"],
               "long enough pw\nnew long password\n") == 0
    assert run(["accounts", "disable", "t.smith", "--admin", "admin", "--password-stdin"],
               "admin password 1\n") == 0
    assert "account t.smith disabled" in capsys.readouterr().out
    assert run(["patients", "add", "P001"]) == 0
    capsys.readouterr()
    assert run(["audit", "--admin", "admin", "--password-stdin", "--json"],
               "admin password 1\n") == 0
    log = json.loads(capsys.readouterr().out)
    assert log[0]["action"] == "login" and any(e["patient"] == "P001" for e in log)
    assert any("t.smith: disabled" in e["detail"] for e in log)
    assert run(["audit", "--admin", "t.smith", "--password-stdin"], "new long password\n") == 1
    assert "disabled" in capsys.readouterr().err


def test_opening_and_exporting_from_the_command_line_are_audited(tmp_path, capsys):
    from biofeedback.storage.records import SqliteDatabase

    assert main(["patients", "add", "P001"]) == 0
    assert main(["patients", "show", "P001", "--json"]) == 0
    assert main(["bundle", "export", "P001", "-o", str(tmp_path / "b.bfbundle")]) == 0
    assert main(["report", "P001", "-o", str(tmp_path / "r.pdf")]) == 0
    with SqliteDatabase() as db:
        got = [(e.action, e.detail) for e in reversed(db.repo.audit_log(patient="P001"))]
    assert [a for a, _ in got] == ["created", "opened", "exported", "exported"]
    assert "b.bfbundle" in got[2][1] and "r.pdf" in got[3][1]
