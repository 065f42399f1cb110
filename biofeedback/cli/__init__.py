"""The ``biofeedback`` command: one sub-command per module in this package.

Each command module defines ``register(subparsers)`` which adds its parser and sets
``func=handler`` (``handler(args) -> int``). Errors meant for the user are raised as
:class:`CliError` (or OSError/ValueError from the layers below) and printed as one line —
never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import sys

from biofeedback import __version__
from biofeedback.cli.errors import CliError

__all__ = ["CliError", "build_parser", "main"]

_ORDER = ["run", "analyze", "record", "replay", "convert", "info", "emulate"]


def _command_modules() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    found -= {"errors", "progress"}
    return [n for n in _ORDER if n in found] + sorted(found - set(_ORDER))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="biofeedback",
        description="Pelvic-floor EMG and pressure biofeedback. With no command, opens the window.",
        epilog="Example: biofeedback run --source simulated:demo",
    )
    parser.add_argument("--version", action="version", version=f"biofeedback {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules():
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv or ["run"])
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"biofeedback {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # the reader went away (e.g. `biofeedback info FILE | head`): not an error of ours
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter exit quiet
        return 0
    except (OSError, ValueError) as exc:
        print(f"biofeedback {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"biofeedback {args.command}: interrupted", file=sys.stderr)
        return 130
