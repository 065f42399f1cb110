"""``biofeedback run``: open the live window."""

from __future__ import annotations

import argparse
import os
import sys

from biofeedback.cli.errors import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="open the live biofeedback window (default)",
        description="Open the live biofeedback window. Without a sensor it starts on the "
        "simulated sensor and says so (\"No sensor found: showing simulated data\").",
        epilog="Examples:\n  biofeedback run\n  biofeedback run --source simulated:slow-release\n"
        "  biofeedback run --source /dev/ttyACM0\n  biofeedback run --home",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", default="auto",
                   help="simulated[:SCENARIO], serial:PORT, replay:FILE or auto (default)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--home", action="store_true",
                      help="the patient's home mode (practice from a programme); the "
                      "default when the preference start_mode is \"home\"")
    mode.add_argument("--clinic", action="store_true",
                      help="the clinician's window, whatever the preference says")
    p.add_argument("--autostart", action="store_true", help="start streaming at once")
    p.add_argument("--screenshot", metavar="PNG",
                   help="after --screenshot-delay seconds, save the window to PNG and quit")
    p.add_argument("--screenshot-delay", type=float, default=8.0, metavar="S")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    check_display()
    from biofeedback.ui.app import run_app

    return run_app(args)


def check_display() -> None:
    """Qt aborts with a core dump when there is no screen; say it in one line instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise CliError("no screen found (DISPLAY is not set): run it in a desktop session, "
                       "or under 'xvfb-run -a' on a headless machine")
