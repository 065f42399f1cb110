"""``biofeedback report``: the PDF progress report of a patient for the care team."""

from __future__ import annotations

import argparse
from pathlib import Path

from biofeedback import __version__
from biofeedback.app.programme import dilator_suggestion
from biofeedback.cli._records import open_database
from biofeedback.cli.errors import CliError
from biofeedback.reports.data import collect
from biofeedback.reports.pdf import write_report
from biofeedback.sessions.loader import builtin_names, load_builtin


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="a patient's PDF progress report",
        description="Writes the PDF report for the care team: the patient code (the name only "
        "with --name), the latest assessment's metrics with their definitions, trend charts, "
        "dilator progression, cotton-swab maps, notes and the signal-processing settings.",
        epilog="Examples:\n  biofeedback report P001 -o P001-report.pdf\n"
        "  biofeedback report P001 -o P001-report.pdf --name --force",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("code")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")
    p.add_argument("--name", action="store_true",
                   help="print the patient's name too (default: the code only)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    if args.output.exists() and not args.force:
        raise CliError(f"{args.output}: already exists (use --force to replace it)")
    with open_database() as db:
        repo = db.repo
        code = repo.get_patient(args.code).code
        sessions = repo.sessions(code)
        names = set(builtin_names())
        descriptions = {r.protocol: load_builtin(r.protocol).description
                        for r in sessions if r.protocol in names}
        data = collect(repo, code, suggestion=dilator_suggestion(repo, code, sessions),
                       protocol_descriptions=descriptions, include_name=args.name,
                       software=f"biofeedback {__version__}")
        write_report(data, args.output)
        repo.record_audit("exported", code, f"PDF report {args.output.name}"
                          + (" with name" if args.name else ""))
    print(f"report for {code} ({len(data.sessions)} session(s)) written to {args.output}")
    return 0
