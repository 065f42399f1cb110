"""Patient records: a versioned SQL database behind a backend-neutral repository.

* :mod:`.models` — the frozen dataclasses every call returns;
* :mod:`.schema` — the tables (SQLAlchemy Core, portable to PostgreSQL);
* :mod:`.migrations` — schema versions and forward migrations;
* :mod:`.repository` — :class:`Repository`, all reads and writes (CBT and partner steps:
  :mod:`.cbt`, dataclasses in :mod:`.models_cbt`);
* :mod:`.database` — the SQLite backend (file, WAL, backup, restore);
* :mod:`.trends`, :mod:`.progression` — pure functions over records (trend points, the
  dilator progression rule).

See ``docs/records.md``.
"""

from biofeedback.storage.records.database import SqliteDatabase, records_path
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.migrations import SCHEMA_VERSION
from biofeedback.storage.records.models import (
    DilatorEntry,
    Note,
    Patient,
    Rating,
    SessionRecord,
    StepRecord,
    StoredProgramme,
    SwabMap,
    SwabPoint,
    new_session_uid,
    utc_now,
)
from biofeedback.storage.records.repository import Repository


def open_records(path: str | None = None) -> SqliteDatabase:
    """The default records database (``<data dir>/records.sqlite3``), migrated forward."""
    return SqliteDatabase(path)


__all__ = ["SCHEMA_VERSION", "DilatorEntry", "Note", "Patient", "Rating", "RecordsError",
           "Repository", "SessionRecord", "SqliteDatabase", "StepRecord", "StoredProgramme",
           "SwabMap", "SwabPoint", "new_session_uid", "open_records", "records_path", "utc_now"]
