"""Shared by the records commands: opening the records database, printing a JSON object."""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

from biofeedback.formats.errors import BiofeedbackWarning
from biofeedback.storage.records import SqliteDatabase


class MigratedWarning(BiofeedbackWarning):
    """The records file was migrated to a newer schema (a backup was taken first)."""


def open_database() -> SqliteDatabase:
    """``<data dir>/records.sqlite3``, migrated forward (a warning names the backup)."""
    db = SqliteDatabase()
    m = db.last_migration
    if m is not None and m.backup is not None:
        warnings.warn(f"records migrated from schema {m.from_version} to {m.to_version}; "
                      f"the old file was backed up to {m.backup}", MigratedWarning, stacklevel=2)
    return db


def print_json(obj: Any) -> None:
    print(json.dumps(obj, allow_nan=False, indent=1, ensure_ascii=False), file=sys.stdout)


__all__ = ["MigratedWarning", "open_database", "print_json"]
