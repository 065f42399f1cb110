"""Clinic accounts as rows: user name, role, argon2 hash (``app/accounts.py`` hashes and checks;
nothing here sees a password). Changes are audited (action ``accounts``) in the same
transaction."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select, update

from biofeedback.storage.records.clinic_schema import accounts
from biofeedback.storage.records.errors import ConflictError, RecordsError
from biofeedback.storage.records.models import ROLES, Account, utc_now
from biofeedback.storage.records.repository import Repository

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


def check_username(name: str) -> str:
    name = name.strip().lower()
    if not USERNAME.fullmatch(name):
        raise RecordsError(f"user name {name[:40]!r}: 2-63 characters, letters, digits, '.', "
                           "'_' or '-' (e.g. t.smith)")
    return name


def add_account(repo: Repository, username: str, password_hash: str, role: str,
                display_name: str | None = None) -> Account:
    username = check_username(username)
    if role not in ROLES:
        raise RecordsError(f"role {role!r} is not one of {', '.join(ROLES)}")
    with repo.transaction() as tx:
        c = tx.connection
        if c.execute(select(accounts.c.id).where(accounts.c.username == username)).first():
            raise RecordsError(f"{repo.where}: account {username} already exists")
        c.execute(accounts.insert().values(
            username=username, display_name=(display_name or "").strip() or None, role=role,
            password_hash=password_hash, disabled=False, created=utc_now().isoformat(),
            version=1))
        tx.record_audit("accounts", None, f"account {username} added ({role})")
    return get_account(repo, username)[0]


def get_account(repo: Repository, username: str) -> tuple[Account, str]:
    """The account and its password hash, or one line: no such account."""
    with repo.transaction() as tx:
        row = tx.connection.execute(select(accounts).where(
            accounts.c.username == username.strip().lower())).mappings().first()
    if row is None:
        raise RecordsError(f"{repo.where}: no account {username.strip()!r}")
    return _account(row), row["password_hash"]


def list_accounts(repo: Repository) -> list[Account]:
    with repo.transaction() as tx:
        rows = tx.connection.execute(select(accounts).order_by(accounts.c.username)).mappings()
        return [_account(r) for r in rows]


def count_administrators(repo: Repository) -> int:
    with repo.transaction() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(accounts).where(
            accounts.c.role == "administrator", accounts.c.disabled.is_(False))).scalar_one())


def update_account(repo: Repository, username: str, *, expected_version: int | None = None,
                   detail: str, **values: Any) -> Account:
    """Set ``password_hash`` / ``disabled`` / ``role``; a stale version: :class:`ConflictError`."""
    username = username.strip().lower()
    with repo.transaction() as tx:
        q = update(accounts).where(accounts.c.username == username)
        if expected_version is not None:
            q = q.where(accounts.c.version == expected_version)
        n = tx.connection.execute(q.values(version=accounts.c.version + 1, **values)).rowcount
        if n == 0:
            get_account(tx, username)  # no such account: that message
            raise ConflictError(f"{repo.where}: account {username} was changed on another "
                                "workstation; reload it and try again")
        tx.record_audit("accounts", None, f"account {username}: {detail}")
    return get_account(repo, username)[0]


def _account(r: Any) -> Account:
    return Account(int(r["id"]), r["username"], r["display_name"], r["role"],
                   bool(r["disabled"]), dt.datetime.fromisoformat(r["created"]),
                   int(r["version"]))


__all__ = ["add_account", "check_username", "count_administrators", "get_account",
           "list_accounts", "update_account"]
