"""Patient records: a versioned SQL database behind a backend-neutral repository.

* :mod:`.models` — the frozen dataclasses every call returns;
* :mod:`.schema` — the tables (SQLAlchemy Core, portable to PostgreSQL);
* :mod:`.migrations` — schema versions and forward migrations;
* :mod:`.repository` — :class:`Repository`, all reads and writes (CBT and partner steps:
  :mod:`.cbt`, dataclasses in :mod:`.models_cbt`);
* :mod:`.database` — the SQLite backend (file, WAL, backup, restore);
* :mod:`.postgres` — the PostgreSQL backend (a clinic server, ``pg_dump`` backups);
* :mod:`.config` — which of the two (``$BIOFEEDBACK_DATABASE_URL`` or ``clinic.toml``);
* :mod:`.trends`, :mod:`.progression` — pure functions over records (trend points, the
  dilator progression rule).

See ``docs/records.md`` and ``docs/clinic-server.md``.
"""

from pathlib import Path

from biofeedback.storage.records.config import ClinicConfig, load_clinic_config
from biofeedback.storage.records.database import SqliteDatabase, records_path
from biofeedback.storage.records.errors import (
    ConflictError,
    RecordsError,
    RetryableError,
    ServerUnreachableError,
)
from biofeedback.storage.records.migrations import SCHEMA_VERSION
from biofeedback.storage.records.models import (
    DilatorEntry,
    Note,
    Patient,
    PatientSummary,
    Rating,
    SessionRecord,
    StepRecord,
    StoredProgramme,
    SwabMap,
    SwabPoint,
    new_session_uid,
    utc_now,
)
from biofeedback.storage.records.postgres import PostgresDatabase
from biofeedback.storage.records.repository import Repository

RecordsDatabase = SqliteDatabase | PostgresDatabase


def open_records(path: str | Path | None = None, *, config: ClinicConfig | None = None,
                 auto_migrate: bool = True) -> RecordsDatabase:
    """The records this workstation is configured for: the clinic server when a URL is set
    (``$BIOFEEDBACK_DATABASE_URL`` or ``<data dir>/clinic.toml``), else the local SQLite file
    (``path`` or ``<data dir>/records.sqlite3``); migrated forward unless ``auto_migrate`` is
    False. An unreachable server raises :class:`ServerUnreachableError` (one line)."""
    if path is not None:
        return SqliteDatabase(path, auto_migrate=auto_migrate)
    config = config or load_clinic_config()
    if config.url is not None:
        return PostgresDatabase(config.url, ssl=config.ssl,
                                connect_timeout_s=config.connect_timeout_s,
                                auto_migrate=auto_migrate)
    return SqliteDatabase(auto_migrate=auto_migrate)


__all__ = ["SCHEMA_VERSION", "ClinicConfig", "ConflictError", "DilatorEntry", "Note", "Patient",
           "PatientSummary", "PostgresDatabase", "Rating", "RecordsDatabase", "RecordsError", "Repository",
           "RetryableError", "ServerUnreachableError", "SessionRecord", "SqliteDatabase",
           "StepRecord", "StoredProgramme", "SwabMap", "SwabPoint", "new_session_uid",
           "open_records", "records_path", "utc_now"]
