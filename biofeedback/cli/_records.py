"""Shared by the records commands: opening the records database, printing a JSON object,
reading a ``--since`` day."""

from __future__ import annotations

import datetime as dt
import json
import sys
import warnings
from typing import Any

from biofeedback.app.workstation import open_workstation
from biofeedback.cli.errors import CliError
from biofeedback.formats.errors import BiofeedbackWarning
from biofeedback.storage.records import RecordsDatabase


class MigratedWarning(BiofeedbackWarning):
    """The records file was migrated to a newer schema (a backup was taken first)."""


class OfflineWarning(BiofeedbackWarning):
    """The clinic server is unreachable: this workstation keeps sessions locally."""


def open_database(patient: str | None = None) -> RecordsDatabase:
    """The configured records (``<data dir>/records.sqlite3`` or the clinic server), migrated
    forward (a warning names the backup). An unreachable server: a warning, and the local
    outbox with ``patient`` in it, so a session can still be recorded and kept."""
    opened = open_workstation(patient)
    if opened.offline:
        warnings.warn(opened.message, OfflineWarning, stacklevel=2)
    db = opened.db
    m = db.last_migration
    if m is not None and m.backup is not None:
        warnings.warn(f"records migrated from schema {m.from_version} to {m.to_version}; "
                      f"the old file was backed up to {m.backup}", MigratedWarning, stacklevel=2)
    return db


def print_json(obj: Any) -> None:
    print(json.dumps(obj, allow_nan=False, indent=1, ensure_ascii=False), file=sys.stdout)


__all__ = ["MigratedWarning", "OfflineWarning", "open_database", "print_json"]


def since_day(text: str | None) -> dt.datetime | None:
    """``--since YYYY-MM-DD`` as the start of that day (UTC), None when not given; anything
    else is one line saying the form."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    except ValueError:
        raise CliError(f"--since {text!r}: use YYYY-MM-DD") from None
