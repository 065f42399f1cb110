"""``biofeedback convert``: between EDF+/BDF+, the project CSV and app journals."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from biofeedback.cli.errors import CliError
from biofeedback.cli.progress import ProgressBar
from biofeedback.formats.signal_file import WRITE_SUFFIXES, open_signal_file
from biofeedback.formats.stream_write import write_from_reader


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert a recording between EDF+/BDF+ and CSV",
        description="Convert a signal file. The input may be EDF/EDF+, BDF/BDF+, the project "
        "CSV or an app journal (.bfrec); the output format follows OUT's suffix (.edf 16-bit, "
        ".bdf 24-bit, .csv). Annotations, units, patient code and settings are carried over. "
        "An existing OUT is never replaced without --force.",
        epilog="Examples:\n  biofeedback convert session.bdf session.csv\n"
        "  biofeedback convert export.csv session.edf\n"
        "  biofeedback convert --force session.bdf session.edf",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", type=Path, metavar="IN")
    p.add_argument("output", type=Path, metavar="OUT")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.set_defaults(func=_convert)


def _convert(args: argparse.Namespace) -> int:
    src, dst = args.input, args.output
    if dst.suffix.lower() not in WRITE_SUFFIXES:
        raise CliError(f"{dst}: cannot write this file type; use one of "
                       f"{', '.join(WRITE_SUFFIXES)}")
    if dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise CliError(f"{dst}: input and output are the same file")
    if dst.exists() and not args.force:
        raise CliError(f"{dst}: already exists (use --force to replace it)")
    # streamed: the input is read and the output written a few seconds at a time
    with ProgressBar(2, "converting", unit="steps") as bar, open_signal_file(src) as signals:
        bar.update(0, f"reading {src.name}")
        bar.update(1, f"writing {dst.name}")
        settings = signals.metadata.get("settings")
        path = write_from_reader(signals, dst, overwrite=args.force, settings=settings)
        bar.update(2)
    n = sum(len(s.channels) for s in signals.streams)
    print(f"wrote {path}: {n} channels, {signals.duration_s:.1f} s, "
          f"{len(signals.annotations)} annotations", file=sys.stdout)
    return 0
