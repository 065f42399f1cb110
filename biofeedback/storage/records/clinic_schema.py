"""Schema version 4, the clinic server (issue 17): accounts, the append-only audit log, and
version columns on the records clinicians edit (``patients.version``, ``notes.version``,
``notes.edited``, defined in ``schema.py``).

The whole step is :func:`migrate_clinic`, so it can be renumbered without touching other steps.
The audit log refuses UPDATE and DELETE by trigger on both backends; on PostgreSQL the app's
database role also only has SELECT and INSERT on it (``tools/clinic-roles.sql``).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, Integer, String, Table, Text, inspect

from biofeedback.storage.records.schema import metadata

SINCE = 4

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text),
    Column("role", String(16), nullable=False),  # "therapist" or "administrator"
    Column("password_hash", Text, nullable=False),  # argon2id (app/accounts.py)
    Column("disabled", Boolean, nullable=False),
    Column("created", String(40), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    info={"since": SINCE},
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("workstation", String(200), nullable=False),
    Column("action", String(16), nullable=False),  # opened, created, changed, exported, deleted
    Column("patient_code", String(32), index=True),  # the code only: the log outlives a record
    Column("detail", Text, nullable=False),
    info={"since": SINCE},
)

_ADDED_COLUMNS = {"patients": ("version INTEGER NOT NULL DEFAULT 1",),
                  "notes": ("version INTEGER NOT NULL DEFAULT 1", "edited VARCHAR(40)")}

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_log_no_{op.lower()} BEFORE {op} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    for op in ("UPDATE", "DELETE")]

_PG_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION records_audit_append_only() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION records_audit_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION records_audit_append_only()",
]


def migrate_clinic(conn: Connection) -> None:
    """Version 4: version columns where missing, the accounts and audit tables, the triggers."""
    insp = inspect(conn)
    for table, columns in _ADDED_COLUMNS.items():
        have = {c["name"] for c in insp.get_columns(table)}
        for col in columns:
            if col.split()[0] not in have:
                conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {col}")
    metadata.create_all(conn, tables=[accounts, audit_log])
    for statement in _PG_TRIGGERS if conn.dialect.name == "postgresql" else _SQLITE_TRIGGERS:
        conn.exec_driver_sql(statement)


__all__ = ["SINCE", "accounts", "audit_log", "migrate_clinic"]
