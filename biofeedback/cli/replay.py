"""``biofeedback replay``: play a recording in the live window, as if the sensor were there."""

from __future__ import annotations

import argparse
from pathlib import Path

from biofeedback.cli.errors import CliError
from biofeedback.devices.replay import replay_problem
from biofeedback.formats.signal_file import open_signal_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="play a recording in the live window",
        description="Open the live window on a recording (EDF+/BDF+, project CSV or app "
        "journal) and play it through the same processing as a live sensor, with a transport "
        "bar (play/pause, speed, position).",
        epilog="Examples:\n  biofeedback replay session.bdf\n"
        "  biofeedback replay --speed 10 session.bdf\n"
        "  biofeedback replay --speed 10 --screenshot review.png session.bdf",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", type=Path)
    p.add_argument("--speed", type=float, default=1.0,
                   help="1 = real time (default), 2, 10, ...; 0 = as fast as possible")
    p.add_argument("--screenshot", metavar="PNG",
                   help="after --screenshot-delay seconds, save the window to PNG and quit")
    p.add_argument("--screenshot-delay", type=float, default=8.0, metavar="S")
    p.set_defaults(func=_replay)


def _replay(args: argparse.Namespace) -> int:
    from biofeedback.cli.run import check_display

    check_display()
    if not (args.speed >= 0):
        raise CliError("--speed must be 0 (as fast as possible) or positive")
    with open_signal_file(args.file) as reader:  # one line here, not a dialog later
        problem = replay_problem(reader)
    if problem:
        raise CliError(f"{args.file}: {problem}", 1)
    from biofeedback.ui.app import run_app

    args.source = f"replay:{args.file}"
    args.autostart = True
    return run_app(args)
