"""The SQLite backend: ``<data dir>/records.sqlite3``, private, WAL, foreign keys, busy timeout,
migrated forward on open (after a backup), online backup and restore.

:class:`SqliteDatabase` is what a PostgreSQL backend will mirror (issue 17): ``repo`` (the
backend-neutral :class:`~biofeedback.storage.records.repository.Repository`), ``version()``,
``migrate()``, ``backup()``, ``restore()``, ``close()``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError

from biofeedback.storage.paths import FILE_MODE, data_dir, ensure_private_dir, open_private
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.migrations import (
    FORMAT,
    SCHEMA_VERSION,
    check_known,
    migrate,
    read_version,
)
from biofeedback.storage.records.repository import WRITE_OPTION, Repository

FILE_NAME = "records.sqlite3"
BUSY_TIMEOUT_MS = 10_000


def records_path() -> Path:
    """``<data dir>/records.sqlite3``."""
    return data_dir() / FILE_NAME


def backups_dir() -> Path:
    """``<data dir>/backups`` (0700): automatic and on-demand backups of the records."""
    return ensure_private_dir(ensure_private_dir(data_dir()) / "backups")


@dataclass(frozen=True)
class Migration:
    from_version: int
    to_version: int
    backup: Path | None  # the copy taken before migrating (None: nothing to migrate or new file)


class EngineBackend:
    """What the SQLite and PostgreSQL backends share: closing the engine (also on leaving a
    ``with``) and the backup file each writes in its own way, by default
    ``records-<UTC time>-<reason><BACKUP_SUFFIX>`` in the configured folder or
    :func:`backups_dir`."""

    BACKUP_SUFFIX = ""
    engine: Engine
    _backup_folder: Path | None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _new_backup(self, dest: Path | str | None, reason: str) -> Iterator[Path]:
        """``dest`` (or a new name in the folder) created private, 0600, never an existing
        file; the body writes the backup into it, and a failure removes it again."""
        if dest is not None:
            target = Path(dest)
        else:
            folder = (ensure_private_dir(self._backup_folder) if self._backup_folder
                      else backups_dir())
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = folder / f"records-{stamp}-{reason}{self.BACKUP_SUFFIX}"
        try:
            os.close(open_private(target))
        except FileExistsError:
            raise RecordsError(f"{target}: already exists; choose a new file name") from None
        except OSError as exc:
            raise RecordsError(f"{target}: cannot create the backup ({exc.strerror})") from None
        try:
            yield target
        except BaseException:
            target.unlink(missing_ok=True)
            raise


class SqliteDatabase(EngineBackend):
    """The records in one SQLite file (default :func:`records_path`). Opening migrates an older
    file forward after backing it up (``auto_migrate=False`` leaves it, for ``db migrate``); a
    file that is not a records database or is newer than the app is refused (one line)."""

    BACKUP_SUFFIX = ".sqlite3"

    def __init__(self, path: Path | str | None = None, *, auto_migrate: bool = True,
                 backup_folder: Path | None = None) -> None:
        self.path = Path(path) if path is not None else records_path()
        self._backup_folder = backup_folder
        _create_private(self.path)
        self.engine = _engine(self.path)
        self.repo = Repository(self.engine, str(self.path))
        self.last_migration: Migration | None = None
        try:
            version = self.version()
            check_known(version, str(self.path))
            if auto_migrate and version < SCHEMA_VERSION:
                self.last_migration = self.migrate()
        except BaseException:
            self.close()
            raise

    # -- schema -----------------------------------------------------------------------------
    def version(self) -> int:
        with self._guard(), self.engine.connect() as c:
            return read_version(c, str(self.path))

    def migrate(self, target: int = SCHEMA_VERSION) -> Migration:
        """Migrate forward to ``target`` in one transaction, after a backup of a non-empty file."""
        old = self.version()
        check_known(old, str(self.path))
        if old >= target:
            return Migration(old, old, None)
        copy = self.backup(reason=f"before-v{target}") if old > 0 else None
        with self._guard(), self.engine.connect() as c:
            c.execution_options(**{WRITE_OPTION: True})
            with c.begin():
                migrate(c, str(self.path), target)
        return Migration(old, target, copy)

    # -- backup and restore -------------------------------------------------------------------
    def backup(self, dest: Path | str | None = None, *, reason: str = "manual") -> Path:
        """A consistent copy through SQLite's online backup API (writers may go on), to ``dest``
        (a new file, never overwritten) or a new file in :func:`backups_dir`; mode 0600."""
        with self._new_backup(dest, reason) as target, self._guard(), \
                contextlib.closing(sqlite3.connect(target)) as out:
            raw = self.engine.raw_connection()
            try:
                raw.driver_connection.backup(out)  # type: ignore[union-attr]
            finally:
                raw.close()
            out.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        return target

    def restore(self, source: Path | str) -> Path:
        """Replace the records by a backup: ``source`` is checked first (an SQLite records
        database, intact, not newer than the app); the current records are backed up (the
        returned file) and then overwritten page by page with the online backup API."""
        src = Path(source)
        version = inspect_backup(src)
        safety = self.backup(reason="before-restore")
        self.engine.dispose()
        with contextlib.closing(_connect_ro(src)) as inp, \
                contextlib.closing(sqlite3.connect(self.path)) as out:
            out.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            inp.backup(out)
        self.engine.dispose()
        if version < SCHEMA_VERSION:
            self.last_migration = self.migrate()
        return safety

    # -- helpers ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _guard(self) -> Any:
        try:
            yield
        except (OperationalError, SADatabaseError, sqlite3.DatabaseError) as exc:
            raise RecordsError(f"{self.path}: {_sqlite_problem(exc)}") from None


def inspect_backup(path: Path) -> int:
    """The schema version of a backup file, or a one-line :class:`RecordsError`: no such file,
    not an SQLite database, damaged, not a records database, or newer than this app."""
    if not path.is_file():
        raise RecordsError(f"{path}: no such file")
    try:
        with contextlib.closing(_connect_ro(path)) as c:
            if c.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise RecordsError(f"{path}: the database is damaged (quick_check failed)")
            names = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "records_meta" not in names:
                raise RecordsError(f"{path}: not a records database")
            rows = dict(c.execute("SELECT key, value FROM records_meta").fetchall())
    except sqlite3.DatabaseError as exc:
        raise RecordsError(f"{path}: {_sqlite_problem(exc)}") from None
    if rows.get("format") != FORMAT or not str(rows.get("schema_version", "")).isdigit():
        raise RecordsError(f"{path}: not a records database")
    version = int(rows["schema_version"])
    check_known(version, str(path))
    return version


def _create_private(path: Path) -> None:
    ensure_private_dir(path.parent)
    try:
        os.close(open_private(path))
    except FileExistsError:
        if os.name != "nt" and path.stat().st_mode & 0o077:
            path.chmod(FILE_MODE)
    except OSError as exc:
        raise RecordsError(f"{path}: cannot create the records file ({exc.strerror})") from None


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _engine(path: Path) -> Engine:
    engine = create_engine(URL.create("sqlite+pysqlite", database=str(path)),
                           connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: sqlite3.Connection, record: Any) -> None:
        dbapi.isolation_level = None  # transactions are begun below, not by the driver
        cur = dbapi.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # a writer takes the write lock up front (waiting up to the busy timeout), so two
        # writers never deadlock on a read-to-write upgrade; readers never block (WAL)
        write = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _sqlite_problem(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc) or exc).split("\n")[0]
    if "not a database" in text:
        return "not an SQLite database"
    if "locked" in text or "busy" in text:
        return "the records are busy (another program holds them); try again"
    if "malformed" in text:
        return "the database is damaged"
    return f"database error ({text})"


__all__ = ["BUSY_TIMEOUT_MS", "FILE_NAME", "Migration", "SqliteDatabase", "backups_dir",
           "inspect_backup", "records_path"]
