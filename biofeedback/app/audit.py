"""The audit log for the administrator, without Qt: filters, rows of text for a table view
(``ui/audit_view.py``) and the ``biofeedback audit`` command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from biofeedback.app.accounts import ClinicUser, require_admin
from biofeedback.storage.records.models import AuditEntry

COLUMNS = ("When (UTC)", "Who", "Role", "Workstation", "Action", "Patient", "Detail")


@dataclass
class AuditModel:
    """The entries an administrator looks at, newest first; ``load()`` again after changing
    the filters."""

    user: ClinicUser
    patient: str = ""
    actor: str = ""
    since: dt.datetime | None = None
    limit: int = 1000
    entries: list[AuditEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        require_admin(self.user, "the audit log")

    def load(self) -> list[AuditEntry]:
        self.entries = self.user.repo.audit_log(patient=self.patient or None,
                                                actor=self.actor or None, since=self.since,
                                                limit=self.limit)
        return self.entries

    def rows(self) -> list[tuple[str, ...]]:
        return [row_of(e) for e in self.entries]


def row_of(e: AuditEntry) -> tuple[str, ...]:
    return (e.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.role,
            e.workstation, e.action, e.patient_code or "", e.detail)


__all__ = ["COLUMNS", "AuditModel", "row_of"]
