"""``biofeedback audit``: the audit log, for the clinic's administrator."""

from __future__ import annotations

import argparse

from biofeedback.app.audit import COLUMNS, AuditModel, row_of
from biofeedback.cli._login import Secrets, add_login_options, admin_login
from biofeedback.cli._records import open_database, print_json, since_day
from biofeedback.storage.records.codec import time_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit", help="who opened, changed, exported or deleted which patient record, when",
        description="The append-only audit log of the records (newest first). For the "
        "clinic's administrator: log in with --admin USER.",
        epilog="Examples:\n  biofeedback audit --admin admin\n"
        "  biofeedback audit --admin admin --patient P001 --since 2026-03-01 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--patient", metavar="CODE", default="")
    p.add_argument("--user", metavar="USER", default="", help="only this account's entries")
    p.add_argument("--since", metavar="YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true")
    add_login_options(p)
    p.set_defaults(func=_audit)


def _audit(args: argparse.Namespace) -> int:
    since = since_day(args.since)
    with open_database() as db:
        user = admin_login(db.repo, args, Secrets(args), "the audit log")
        model = AuditModel(user, args.patient, args.user, since, max(1, args.limit))
        entries = model.load()
    if args.json:
        print_json([{"at": time_text(e.at), "actor": e.actor, "role": e.role,
                     "workstation": e.workstation, "action": e.action,
                     "patient": e.patient_code, "detail": e.detail} for e in entries])
    else:
        print("  ".join(COLUMNS))
        for e in entries:
            print("  ".join(row_of(e)))
    return 0
