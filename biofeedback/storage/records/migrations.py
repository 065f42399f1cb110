"""Schema versions and forward migrations, on any SQLAlchemy connection (SQLite, PostgreSQL).

The version lives in the database itself (``records_meta``: ``format`` =
``biofeedback-records``, ``schema_version`` = N), not in a backend-specific pragma. A migration
step is a function of a connection; :func:`migrate` runs every step from the file's version to
the target inside the caller's transaction, so a failed migration leaves the old schema as it
was (SQLite and PostgreSQL both have transactional DDL). The SQLite backend backs the file up
before it migrates (``database.py``).

* version 1: patients, sessions, per-step results, ratings;
* version 2: dilator log, clinician notes, cotton-swab maps, imported programmes;
* version 3: exposure hierarchy and practice, thought records, partner steps, report consent
  (only new tables: :func:`_v3`);
* version 4: the clinic server: accounts, audit log, version columns (``clinic_schema.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, select

from biofeedback.storage.records import schema
from biofeedback.storage.records.clinic_schema import migrate_clinic
from biofeedback.storage.records.errors import RecordsError

FORMAT = "biofeedback-records"
SCHEMA_VERSION = 4


def _create(version: int) -> Callable[[Connection], None]:
    def step(conn: Connection) -> None:
        schema.metadata.create_all(conn, tables=schema.tables_since(version))
    step.__doc__ = f"create the tables of version {version}"
    return step


def _v3(conn: Connection) -> None:
    """CBT and partner support: new tables only, so existing rows are untouched; every
    patient starts without consent to show this content in reports."""
    schema.metadata.create_all(conn, tables=schema.tables_since(3))


#: version N → the step that turns version N-1 into N
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _create(1), 2: _create(2), 3: _v3,
                                                      4: migrate_clinic}


def read_version(conn: Connection, where: str) -> int:
    """The schema version of the database behind ``conn``: 0 for an empty database; a
    :class:`RecordsError` naming ``where`` for a database that is not a records database."""
    names = set(inspect(conn).get_table_names())
    if "records_meta" not in names:
        if names:
            raise RecordsError(f"{where}: not a records database (it has other tables: "
                               f"{', '.join(sorted(names)[:5])})")
        return 0
    rows = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
    if rows.get("format") != FORMAT:
        raise RecordsError(f"{where}: not a records database (no {FORMAT} mark)")
    try:
        return int(rows["schema_version"])
    except (KeyError, ValueError):
        raise RecordsError(f"{where}: records database without a valid schema version") from None


def check_known(version: int, where: str) -> None:
    if version > SCHEMA_VERSION:
        raise RecordsError(f"{where}: records schema version {version} is newer than this app "
                           f"(it knows up to {SCHEMA_VERSION}); update the app")


def migrate(conn: Connection, where: str, target: int = SCHEMA_VERSION) -> tuple[int, int]:
    """Bring the database to ``target`` (in the caller's transaction): ``(from, to)``."""
    if not 1 <= target <= SCHEMA_VERSION:
        raise RecordsError(f"{where}: no schema version {target} (1..{SCHEMA_VERSION})")
    old = read_version(conn, where)
    check_known(old, where)
    if old > target:
        raise RecordsError(f"{where}: schema version {old} is newer than the target {target}; "
                           "migrations only go forward")
    for version in range(old + 1, target + 1):
        MIGRATIONS[version](conn)
        _set_version(conn, version)
    return old, target


def _set_version(conn: Connection, version: int) -> None:
    t = schema.meta
    if version == 1:
        conn.execute(t.insert(), [{"key": "format", "value": FORMAT},
                                  {"key": "schema_version", "value": "1"}])
    else:
        conn.execute(t.update().where(t.c.key == "schema_version").values(value=str(version)))


__all__ = ["FORMAT", "MIGRATIONS", "SCHEMA_VERSION", "check_known", "migrate", "read_version"]
