"""``biofeedback programme``: export a home programme (clinic), import it (home), show it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from biofeedback.app.programme import (
    DilatorSize,
    Programme,
    ProgrammeProtocol,
    Schedule,
    current_programme,
    import_programme,
    programme_to_dict,
    write_programme,
)
from biofeedback.cli._records import open_database, print_json
from biofeedback.cli.errors import CliError
from biofeedback.sessions.loader import builtin_names
from biofeedback.storage.records.progression import ProgressionRule


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "programme", help="home programmes: export (clinic), import (home), show",
        description="A programme file tells the home app what to practise: protocols "
        "(built-in names, or .toml files embedded), the schedule, the dilator set and the "
        "progression rule. It is checksummed; a changed file is refused.",
        epilog="Examples:\n  biofeedback programme export P001 -o P001.bfprog --protocol "
        "down-training --protocol dilator --per-week 5 --minutes 15 --sizes 1:XS:19,2:S:22,"
        "3:M:25 --start-size 1\n  biofeedback programme import P001.bfprog\n"
        "  biofeedback programme show P001 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = what.add_parser("export", help="write a programme file for patient CODE")
    e.add_argument("code")
    e.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    e.add_argument("--protocol", action="append", required=True, metavar="NAME|FILE.toml",
                   help="a built-in protocol or a protocol file (embedded); repeat for more")
    e.add_argument("--per-week", type=int, default=5, help="sessions per week (default 5)")
    e.add_argument("--minutes", type=int, default=15, help="minutes per session (default 15)")
    e.add_argument("--days", default="", help="practice days, e.g. mon,wed,fri (default any)")
    e.add_argument("--sizes", default="", metavar="N:LABEL:MM,...",
                   help="the dilator set: number, label, diameter in mm")
    e.add_argument("--start-size", type=int, help="the size to start with")
    e.add_argument("--message", default="", help="a line for the patient's start page")
    e.add_argument("--rule", default="", metavar="KEY=VALUE,...",
                   help="progression rule changes, e.g. hold_target_min=5,pain_max=2")
    e.set_defaults(func=_export)
    i = what.add_parser("import", help="import a programme file: biofeedback programme import F")
    i.add_argument("file", type=Path)
    i.set_defaults(func=_import)
    s = what.add_parser("show", help="the current programme of CODE")
    s.add_argument("code")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_show)


def _export(args: argparse.Namespace) -> int:
    protocols = []
    for item in args.protocol:
        if item in builtin_names() and not item.endswith(".toml"):
            protocols.append(ProgrammeProtocol(item))
            continue
        path = Path(item)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise CliError(f"{item}: neither a built-in protocol nor a readable protocol file "
                           f"(built-in: {', '.join(builtin_names())})") from None
        protocols.append(ProgrammeProtocol(path.stem, text))
    with open_database() as db:
        code = db.repo.get_patient(args.code).code
    days = tuple(d.strip().lower() for d in args.days.split(",") if d.strip())
    prog = Programme(code, tuple(protocols), Schedule(args.per_week, args.minutes, days),
                     _sizes(args.sizes), args.start_size, _rule(args.rule), args.message)
    sha = write_programme(prog, args.output)
    print(f"programme for {code} written to {args.output} (sha256 {sha[:12]}…)")
    return 0


def _sizes(text: str) -> tuple[DilatorSize, ...]:
    out = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        parts = item.split(":")
        try:
            out.append(DilatorSize(int(parts[0]), parts[1] if len(parts) > 1 else "",
                                   float(parts[2]) if len(parts) > 2 and parts[2] else None))
        except ValueError:
            raise CliError(f"--sizes {item!r}: use NUMBER:LABEL:DIAMETER_MM, e.g. 2:S:22") from None
    return tuple(out)


def _rule(text: str) -> ProgressionRule:
    values: dict[str, float] = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        key, sep, value = item.partition("=")
        try:
            values[key.strip()] = float(value) if "." in value else int(value)
        except ValueError:
            raise CliError(f"--rule {item!r}: use KEY=NUMBER") from None
        if not sep:
            raise CliError(f"--rule {item!r}: use KEY=NUMBER")
    try:
        return ProgressionRule(**values)  # type: ignore[arg-type]
    except TypeError:
        known = ", ".join(ProgressionRule.__dataclass_fields__)
        raise CliError(f"--rule: the rule's settings are {known}") from None


def _import(args: argparse.Namespace) -> int:
    with open_database() as db:
        prog, new = import_programme(db.repo, args.file)
    names = ", ".join(p.name for p in prog.protocols)
    print(f"programme for {prog.patient_code} " + ("imported" if new else "was already imported")
          + f": {names}; {prog.schedule.sessions_per_week}x a week, "
          f"{prog.schedule.minutes} min")
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_database() as db:
        prog = current_programme(db.repo, args.code)
    if prog is None:
        raise CliError(f"no programme imported for {args.code} yet", 1)
    d = programme_to_dict(prog)
    if args.json:
        print_json(d)
    else:
        print(json.dumps({k: v for k, v in d.items() if k != "protocols"}, indent=1))
        print("protocols: " + ", ".join(p.name + (" (embedded)" if p.toml else "")
                                        for p in prog.protocols))
    return 0
