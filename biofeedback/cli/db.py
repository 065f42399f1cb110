"""``biofeedback db``: back up, restore and migrate the records database."""

from __future__ import annotations

import argparse
from pathlib import Path

from biofeedback.storage.records import SCHEMA_VERSION, SqliteDatabase
from biofeedback.storage.records.database import inspect_backup


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "db", help="the records database: backup, restore, migrate, status",
        description="The records live in <data dir>/records.sqlite3 (0600). A backup is a "
        "consistent copy taken with SQLite's online backup (sessions may go on meanwhile); a "
        "backup is also taken automatically before every migration and every restore.",
        epilog="Examples:\n  biofeedback db status\n  biofeedback db backup -o records-copy.sqlite3\n"
        "  biofeedback db restore records-copy.sqlite3\n  biofeedback db migrate",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    st = what.add_parser("status", help="file, schema version: biofeedback db status")
    st.set_defaults(func=_status)
    b = what.add_parser("backup", help="copy the records: biofeedback db backup [-o FILE]")
    b.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="a new file (default: <data dir>/backups/records-TIME-manual.sqlite3)")
    b.set_defaults(func=_backup)
    r = what.add_parser("restore", help="replace the records by a backup: "
                        "biofeedback db restore FILE")
    r.add_argument("file", type=Path)
    r.set_defaults(func=_restore)
    m = what.add_parser("migrate", help="bring the records to this app's schema: "
                        "biofeedback db migrate")
    m.set_defaults(func=_migrate)


def _status(args: argparse.Namespace) -> int:
    with SqliteDatabase(auto_migrate=False) as db:
        v = db.version()
        print(f"{db.path}: schema version {v} (this app: {SCHEMA_VERSION})"
              + ("" if v == SCHEMA_VERSION else "; run biofeedback db migrate"))
    return 0


def _backup(args: argparse.Namespace) -> int:
    with SqliteDatabase() as db:
        out = db.backup(args.output)
    print(f"backed up to {out}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    version = inspect_backup(args.file)  # refuse before opening (and migrating) anything
    with SqliteDatabase() as db:
        safety = db.restore(args.file)
    print(f"restored {args.file} (schema {version}); the records before the restore are in "
          f"{safety}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    with SqliteDatabase(auto_migrate=False) as db:
        m = db.migrate()
    if m.from_version == m.to_version:
        print(f"{db.path}: already at schema version {m.to_version}")
    else:
        print(f"{db.path}: migrated from schema {m.from_version} to {m.to_version}"
              + (f"; backup: {m.backup}" if m.backup else ""))
    return 0
