"""``biofeedback bundle``: export a patient's sessions with recordings, import them elsewhere."""

from __future__ import annotations

import argparse
from pathlib import Path

from biofeedback.app.bundle import bundle_summary, export_bundle, import_bundle
from biofeedback.cli._records import open_database, print_json, since_day
from biofeedback.storage.records.config import load_clinic_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bundle", help="session bundles: export (home), import (clinic)",
        description="A bundle holds a patient's sessions (results and recordings) in one "
        "checksummed file. Import validates all of it first and stores all or nothing; "
        "importing the same bundle twice adds nothing.",
        epilog="Examples:\n  biofeedback bundle export P001 -o P001-home.bfbundle\n"
        "  biofeedback bundle export P001 -o share.bfbundle --deidentify\n"
        "  biofeedback bundle import P001-home.bfbundle\n"
        "  biofeedback bundle import P001-home.bfbundle --check",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = what.add_parser("export", help="biofeedback bundle export CODE -o FILE [--deidentify]")
    e.add_argument("code")
    e.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    e.add_argument("--deidentify", action="store_true",
                   help="dates shifted (first session on 2000-01-01), no recordings; for "
                   "sharing, not for importing")
    e.add_argument("--since", metavar="YYYY-MM-DD", help="only sessions from this day on")
    e.add_argument("--no-cbt", action="store_true", help="leave out the exposure hierarchy, "
                   "thought records and partner steps (they stay on this computer)")
    e.set_defaults(func=_export)
    i = what.add_parser("import", help="biofeedback bundle import FILE [--check]")
    i.add_argument("file", type=Path)
    i.add_argument("--check", action="store_true", help="validate only; store nothing")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_import)


def _export(args: argparse.Namespace) -> int:
    since = since_day(args.since)
    with open_database() as db:
        r = export_bundle(db.repo, args.code, args.output, deidentify=args.deidentify,
                          since=since, include_cbt=not args.no_cbt)
        db.repo.record_audit("exported", args.code, f"bundle {r.path.name}, {r.sessions} "
                             "session(s)" + (", de-identified" if r.deidentified else ""))
    print(f"{r.sessions} session(s), {r.recordings} recording(s) written to {r.path}"
          + (" (de-identified)" if r.deidentified else "")
          + (f"; {len(r.missing_recordings)} recording file(s) not found, left out"
             if r.missing_recordings else "")
          + (f"; {r.cbt_entries} CBT/partner entries" if r.cbt_entries else ""))
    return 0


def _import(args: argparse.Namespace) -> int:
    if args.check:
        s = bundle_summary(args.file)
        print(f"{args.file}: valid bundle for {s['patient']}: {s['sessions']} session(s), "
              f"{s['recordings']} recording(s)")
        return 0
    config = load_clinic_config()
    # on a clinic server the recordings go onto the clinic share (``share:`` paths, as
    # sessions run there and `db sync` store them); on this computer's own records, locally
    share = config.share if config.server else None
    with open_database() as db:
        r = import_bundle(db.repo, args.file, share=share)
    if args.json:
        print_json({"patient": r.patient_code, "added": list(r.added),
                    "skipped": list(r.skipped), "recordings": r.recordings,
                    "cbt": None if r.cbt is None else {"added": r.cbt.added,
                                                       "updated": r.cbt.updated,
                                                       "unchanged": r.cbt.unchanged}})
    else:
        print(f"{r.patient_code}: {len(r.added)} session(s) added, {len(r.skipped)} already "
              f"there, {r.recordings} recording(s) copied"
              + ("" if r.cbt is None else f"; CBT/partner entries: {r.cbt.added} added, "
                 f"{r.cbt.updated} updated"))
    return 0
