"""The ``biofeedback`` command: one sub-command per module in this package.

Each command module defines ``register(subparsers)`` which adds its parser and sets
``func=handler`` (``handler(args) -> int``). Errors meant for the user are raised as
:class:`CliError` (or any error from the layers below) and printed as one line by
:func:`main` through :func:`biofeedback.formats.errors.user_message` — never a traceback
(``BIOFEEDBACK_DEBUG=1`` shows it for developers). File commands treat SIGTERM like Ctrl-C
and say which of the two stopped them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import pkgutil
import signal
import sys
import warnings
from typing import Any

from biofeedback import __version__
from biofeedback.cli.errors import CliError, Terminated
from biofeedback.formats.errors import BiofeedbackWarning, user_message

__all__ = ["CliError", "build_parser", "main"]

_ORDER = ["run", "session", "protocols", "analyze", "record", "lsl", "replay", "convert", "info",
          "emulate"]
_TERM_LIKE_CTRL_C = {"analyze", "convert", "info", "recover"}  # no Qt loop, no own handler


def _command_modules() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    found -= {"errors", "progress"}
    return [n for n in _ORDER if n in found] + sorted(found - set(_ORDER))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``only``: just that command when it is one (the command
    being run), so e.g. ``biofeedback analyze`` does not import what the other commands
    need (Qt, SQLAlchemy, reportlab: ~0.8 s and ~30 MB; docs/performance.md)."""
    parser = argparse.ArgumentParser(
        prog="biofeedback",
        description="Pelvic-floor EMG and pressure biofeedback. With no command, opens the window.",
        epilog="Example: biofeedback run --source simulated:demo",
    )
    parser.add_argument("--version", action="version", version=f"biofeedback {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = _command_modules()
    for name in [only] if only in names else names:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    own_process = argv is None
    argv = (sys.argv[1:] if argv is None else argv) or ["run"]
    # only the command being run is imported (no option before it takes a value)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=command)
    args = parser.parse_args(argv)
    if own_process:
        # what the imports made (numpy, scipy, numba, Qt...) lives until exit: out of the
        # collector's reach, a full collection during an hour-long analysis does not walk
        # those ~150 000 objects again (~90 ms each time; docs/performance.md)
        gc.freeze()
    name = args.command or "run"
    old_term = None
    if name in _TERM_LIKE_CTRL_C and _in_main_thread():
        old_term = signal.signal(signal.SIGTERM, _terminate)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_printer(name)
            return int(args.func(args) or 0)
    except CliError as exc:
        print(f"biofeedback {name}: error: {user_message(exc)}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # the reader went away (e.g. `biofeedback info FILE | head`): not an error of ours
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter exit quiet
        return 0
    except Terminated:
        print(f"biofeedback {name}: stopped by SIGTERM", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"biofeedback {name}: stopped by Ctrl-C", file=sys.stderr)
        return 130
    except Exception as exc:  # the promise: one line, never a traceback
        if os.environ.get("BIOFEEDBACK_DEBUG"):
            raise
        print(f"biofeedback {name}: error: {user_message(exc)}", file=sys.stderr)
        return 1
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _warning_printer(name: str) -> Any:
    default = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if issubclass(category, BiofeedbackWarning):
            print(f"biofeedback {name}: warning: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    return show
