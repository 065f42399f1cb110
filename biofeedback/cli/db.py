"""``biofeedback db``: back up, restore and migrate the records database (SQLite or server)."""

from __future__ import annotations

import argparse
from pathlib import Path

from biofeedback.app.workstation import pending_sessions, sync_outbox
from biofeedback.cli.errors import CliError
from biofeedback.storage.records import (
    SCHEMA_VERSION,
    SqliteDatabase,
    load_clinic_config,
    open_records,
)
from biofeedback.storage.records.database import inspect_backup


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "db", help="the records database: backup, restore, migrate, status, sync",
        description="The records live in <data dir>/records.sqlite3 (0600), or on the clinic "
        "server named by BIOFEEDBACK_DATABASE_URL or <data dir>/clinic.toml "
        "(docs/clinic-server.md). A backup is a consistent copy taken while sessions may go on "
        "(SQLite's online backup; pg_dump on a server); one is also taken automatically before "
        "every migration and every restore.",
        epilog="Examples:\n  biofeedback db status\n  biofeedback db backup -o records-copy.sqlite3\n"
        "  biofeedback db restore records-copy.sqlite3\n  biofeedback db migrate\n"
        "  biofeedback db sync      # upload sessions recorded while the server was unreachable",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    st = what.add_parser("status", help="file or server, schema version: biofeedback db status")
    st.set_defaults(func=_status)
    b = what.add_parser("backup", help="copy the records: biofeedback db backup [-o FILE]")
    b.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="a new file (default: <data dir>/backups/records-TIME-manual.sqlite3, "
                   "or .pgdump for a server)")
    b.set_defaults(func=_backup)
    r = what.add_parser("restore", help="replace the records by a backup: "
                        "biofeedback db restore FILE")
    r.add_argument("file", type=Path)
    r.set_defaults(func=_restore)
    m = what.add_parser("migrate", help="bring the records to this app's schema: "
                        "biofeedback db migrate")
    m.set_defaults(func=_migrate)
    y = what.add_parser("sync", help="upload the sessions kept on this workstation while the "
                        "clinic server was unreachable: biofeedback db sync")
    y.set_defaults(func=_sync)


def _status(args: argparse.Namespace) -> int:
    with open_records(auto_migrate=False) as db:
        v = db.version()
        print(f"{_name(db)}: schema version {v} (this app: {SCHEMA_VERSION})"
              + ("" if v == SCHEMA_VERSION else "; run biofeedback db migrate"))
    return 0


def _backup(args: argparse.Namespace) -> int:
    with open_records() as db:
        out = db.backup(args.output)
    print(f"backed up to {out}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    with open_records(auto_migrate=False) as db:
        # refuse a bad backup before anything is migrated or replaced
        version = inspect_backup(args.file) if isinstance(db, SqliteDatabase) \
            else db.inspect_backup(args.file)
        safety = db.restore(args.file)
        db.repo.record_audit("restored", None, f"records restored from {args.file.name}")
    print(f"restored {args.file} (schema {version}); the records before the restore are in "
          f"{safety}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    with open_records(auto_migrate=False) as db:
        m = db.migrate()
    if m.from_version == m.to_version:
        print(f"{_name(db)}: already at schema version {m.to_version}")
    else:
        print(f"{_name(db)}: migrated from schema {m.from_version} to {m.to_version}"
              + (f"; backup: {m.backup}" if m.backup else ""))
    return 0


def _sync(args: argparse.Namespace) -> int:
    config = load_clinic_config()
    if not config.server:
        raise CliError("no clinic server is configured (BIOFEEDBACK_DATABASE_URL or "
                       "clinic.toml); nothing to upload to")
    waiting = pending_sessions()
    if not waiting:
        print("nothing to upload: no sessions are waiting on this workstation")
        return 0
    with open_records(config=config) as db:
        r = sync_outbox(db, share=config.share)
    print(f"uploaded {r.uploaded} session(s) of {len(r.patients)} patient(s) to {db.where}"
          + (f" ({r.already} were there already)" if r.already else ""))
    for reason in r.kept:
        print(f"kept on this workstation: {reason}")
    return 1 if r.kept else 0


def _name(db: object) -> str:
    return str(db.path) if isinstance(db, SqliteDatabase) else str(getattr(db, "where", db))
