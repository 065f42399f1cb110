"""``biofeedback recover``: list or recover recordings that a crash left unfinished."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from biofeedback.cli.errors import CliError
from biofeedback.formats.errors import FormatError, user_message
from biofeedback.storage.recovery import find_unfinished, recover_journal


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recover",
        help="recover recordings left unfinished by a crash",
        description="Find recording journals that were never turned into a file (the app or the "
        "computer stopped while recording) and write them as BDF+/EDF+ into the data folder "
        "(or -o FILE). At most the last half second before the crash is lost.",
        epilog="Examples:\n  biofeedback recover --list\n  biofeedback recover\n"
        "  biofeedback recover ~/.local/share/biofeedback/recordings/20260101-101500.bfrec "
        "-o s1.bdf",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("journal", nargs="?", type=Path, help="one journal (.bfrec) to recover")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="where to write it (default: the data folder, under the name the "
                   "recording was meant to have)")
    p.add_argument("--list", action="store_true", help="only list unfinished recordings")
    p.set_defaults(func=_recover)


def _recover(args: argparse.Namespace) -> int:
    if args.output is not None:
        if args.output.exists() or args.output.is_symlink():
            raise CliError(f"{args.output}: already exists; choose another name")
        if args.output.suffix.lower() not in (".bdf", ".edf"):
            raise CliError(f"{args.output}: use a .bdf (24-bit) or .edf (16-bit) file name")
    if args.journal is not None:
        if not args.journal.is_file():
            raise CliError(f"{args.journal}: no such journal")
        items = [args.journal]
    else:
        if args.output is not None:
            raise CliError("-o FILE needs one JOURNAL to recover")
        found = find_unfinished()
        if not found:
            print("no unfinished recordings")
            return 0
        for item in found:
            print(f"unfinished: {item.journal}: {item.describe()}")
        if args.list:
            return 0
        items = [item.journal for item in found]
    failed = 0
    for journal in items:
        try:
            done = recover_journal(journal, args.output)
        except (FormatError, OSError) as exc:
            print(f"biofeedback recover: error: {user_message(exc)}", file=sys.stderr)
            failed += 1
            continue
        print(done.describe())
    return 1 if failed else 0
