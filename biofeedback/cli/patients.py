"""``biofeedback patients``: add, list and show patients of the records (pseudonymous codes)."""

from __future__ import annotations

import argparse
from typing import Any

from biofeedback.app.programme import dilator_suggestion
from biofeedback.cli._cbt import add_actions as add_cbt_actions
from biofeedback.cli._records import open_database, print_json
from biofeedback.cli.errors import CliError
from biofeedback.storage.records import SwabPoint
from biofeedback.storage.records.codec import (
    note_to_dict,
    patient_to_dict,
    session_to_dict,
    swab_to_dict,
)
from biofeedback.storage.records.repository import Repository
from biofeedback.storage.records.trends import trends


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "patients", help="the patient records: add, list, show, notes, cotton-swab maps, "
        "exposure hierarchy, thought records, partner steps",
        description="Patients are identified by a pseudonymous code (letters then digits, e.g. "
        "P017); a name is optional and stays in this computer's records only.",
        epilog="Examples:\n  biofeedback patients add P001 --name 'A. Example'\n"
        "  biofeedback patients list --search P0\n  biofeedback patients show P001 --json\n"
        "  biofeedback patients note P001 'Tolerated size 3 today'\n"
        "  biofeedback patients swab P001 12=0 2=3 4=6 6=7 8=5 10=2\n"
        "  biofeedback patients hierarchy P001 list   (also: thoughts, partner, consent)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = what.add_parser("add", help="add a patient: biofeedback patients add P001")
    add.add_argument("code")
    add.add_argument("--name", help="the person's name (stored locally only, never exported)")
    add.set_defaults(func=_add)
    ls = what.add_parser("list", help="list patients: biofeedback patients list --search P0")
    ls.add_argument("--search", default="", help="part of a code or name")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)
    show = what.add_parser("show", help="sessions and trend points: "
                           "biofeedback patients show P001 --json")
    show.add_argument("code")
    show.add_argument("--json", action="store_true", help="one JSON object on stdout")
    show.set_defaults(func=_show)
    note = what.add_parser("note", help="add a clinician note: "
                           "biofeedback patients note P001 'text' [--session UID]")
    note.add_argument("code")
    note.add_argument("text")
    note.add_argument("--session", metavar="UID", help="the session the note is about")
    note.set_defaults(func=_note)
    swab = what.add_parser("swab", help="record a cotton-swab map (pain 0-10 at clock hours, "
                           "12 = urethral meatus): biofeedback patients swab P001 12=0 6=7")
    swab.add_argument("code")
    swab.add_argument("points", nargs="+", metavar="HOUR=PAIN")
    swab.add_argument("--session", metavar="UID")
    swab.set_defaults(func=_swab)
    add_cbt_actions(what)  # hierarchy, thoughts, partner, consent (cli/_cbt.py)


def _add(args: argparse.Namespace) -> int:
    with open_database() as db:
        p = db.repo.add_patient(args.code, args.name)
    print(f"added patient {p.code}" + (" (name stored locally only)" if p.name else ""))
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_database() as db:
        repo = db.repo
        rows = [(p, len(repo.sessions(p.code))) for p in repo.list_patients(args.search)]
    if args.json:
        print_json([patient_to_dict(p) | {"sessions": n} for p, n in rows])
        return 0
    for p, n in rows:
        print(f"{p.code:<14} {n:4d} session(s)  since {p.created:%Y-%m-%d}"
              + (f"  {p.name}" if p.name else ""))
    if not rows:
        print("no patients" + (f" matching {args.search!r}" if args.search else ""))
    return 0


def patient_view(repo: Repository, code: str) -> dict[str, Any]:
    """Everything ``patients show --json`` prints (also used by tests and scripts)."""
    p = repo.get_patient(code)
    sessions = repo.sessions(p.code)
    suggestion = dilator_suggestion(repo, p.code, sessions)
    return {"patient": patient_to_dict(p), "sessions": [session_to_dict(r) for r in sessions],
            "trends": trends(sessions).to_json_dict(),
            "notes": [note_to_dict(n) for n in repo.notes(p.code)],
            "swab_maps": [swab_to_dict(m) for m in repo.swab_maps(p.code)],
            "dilator_suggestion": None if suggestion is None else
            {"action": suggestion.action, "size": suggestion.size, "text": suggestion.text}}


def _show(args: argparse.Namespace) -> int:
    with open_database() as db:
        view = patient_view(db.repo, args.code)
        db.repo.record_audit("opened", view["patient"]["code"], "patients show")
    if args.json:
        print_json(view)
        return 0
    p = view["patient"]
    print(f"{p['code']}" + (f" ({p['name']})" if p.get("name") else "")
          + f", since {p['created'][:10]}: {len(view['sessions'])} session(s)")
    for s, t in zip(view["sessions"], view["trends"]["points"], strict=True):
        print(f"  {s['started'][:16].replace('T', ' ')}  {s['protocol']:<20} "
              f"{s['duration_s'] / 60:5.1f} min  {s['ended']:<9} baseline "
              f"{_f(t['baseline_uv'])} µV  CV {_f(t['cv_percent'])} %  pain {_f(t['pain'])}"
              f"  anxiety {_f(t['anxiety'])}  dilator {_f(t['dilator_size'])}")
    for w in view["trends"]["weeks"]:
        print(f"  week of {w['week_start']}: {w['minutes']:.0f} min in {w['sessions']} session(s)")
    for n in view["notes"]:
        print(f"  note {n['created'][:10]}: {n['text']}")
    if view["dilator_suggestion"]:
        print(f"  {view['dilator_suggestion']['text']}")
    return 0


def _note(args: argparse.Namespace) -> int:
    with open_database() as db:
        n = db.repo.add_note(args.code, args.text, session_uid=args.session)
    print(f"note {n.id} added for {n.patient_code}")
    return 0


def _swab(args: argparse.Namespace) -> int:
    points = []
    for item in args.points:
        hour, sep, pain = item.partition("=")
        try:
            points.append(SwabPoint(int(hour), float(pain)))
        except ValueError:
            raise CliError(f"{item!r}: use HOUR=PAIN, e.g. 6=7 (hour 1-12, pain 0-10)") from None
        if not sep:
            raise CliError(f"{item!r}: use HOUR=PAIN, e.g. 6=7 (hour 1-12, pain 0-10)")
    with open_database() as db:
        m = db.repo.add_swab_map(args.code, points, session_uid=args.session)
    print(f"cotton-swab map {m.id} added for {m.patient_code} ({len(m.points)} positions)")
    return 0


def _f(v: object) -> str:
    if v is None:
        return "—"
    return f"{v:.1f}" if isinstance(v, float) else str(v)
