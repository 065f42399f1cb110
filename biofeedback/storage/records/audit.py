"""The audit log: who opened, created, changed, exported or deleted which patient's record, when.

Rows are written in the same transaction as the change they describe (a rolled-back change
leaves no entry), carry the patient's pseudonymous code (never the name) so they outlive a
deleted record, and are never updated or deleted (triggers, and on the server the app role's
privileges). Reading them is for administrators; the app layer checks the role.
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
from typing import Any

from sqlalchemy import Connection, select

from biofeedback.storage.records.clinic_schema import audit_log
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.models import AUDIT_ACTIONS, Actor, AuditEntry, utc_now

MAX_DETAIL = 500


def local_actor() -> Actor:
    """This computer's account: the actor outside clinic mode (nobody logged in)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(user[:64], "local", socket.gethostname()[:200])


def write_audit(c: Connection, actor: Actor | None, action: str, code: str | None,
                detail: str = "") -> None:
    if action not in AUDIT_ACTIONS:
        raise RecordsError(f"audit action {action!r} is not one of {', '.join(AUDIT_ACTIONS)}")
    who = actor or local_actor()
    c.execute(audit_log.insert().values(
        at=utc_now().isoformat(timespec="microseconds"), actor=who.name[:64], role=who.role[:16],
        workstation=(who.workstation or socket.gethostname())[:200], action=action,
        patient_code=code.strip()[:32] if code else None, detail=detail[:MAX_DETAIL]))


def read_audit(c: Connection, *, patient: str | None = None, actor: str | None = None,
               since: dt.datetime | None = None, limit: int = 1000) -> list[AuditEntry]:
    """Entries newest first, filtered by patient code, actor and time."""
    q = select(audit_log).order_by(audit_log.c.id.desc()).limit(max(1, min(limit, 100_000)))
    if patient:
        q = q.where(audit_log.c.patient_code == patient.strip())
    if actor:
        q = q.where(audit_log.c.actor == actor.strip())
    if since is not None:
        q = q.where(audit_log.c.at >= since.astimezone(dt.UTC).isoformat(
            timespec="microseconds"))
    return [_entry(r) for r in c.execute(q).mappings()]


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(int(r["id"]), dt.datetime.fromisoformat(r["at"]), r["actor"], r["role"],
                      r["workstation"], r["action"], r["patient_code"], r["detail"])


__all__ = ["local_actor", "read_audit", "write_audit"]
