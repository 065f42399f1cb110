"""The error every file reader and writer raises, and the one place errors become user messages.

:class:`FormatError` carries the file (``.path``) and the problem in plain words (``.problem``);
``str(exc)`` is one line, ``FILE: problem``. :func:`user_message` turns *any* exception into the
one line the CLI prints and the window shows in its banner: our own errors as they are, OS errors
as a sentence naming the file, anything else without library text (``could not broadcast…``).
"""

from __future__ import annotations

import errno
import math
import os
from pathlib import Path

DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class UserError(Exception):
    """An error whose message is already meant for the user (one line, no library text).

    Base of :class:`FormatError` and of the devices', storage's and CLI's own error types, so
    :func:`user_message` knows it can show ``str(exc)`` as it is.
    """


class FormatError(UserError, ValueError):
    """A file cannot be read or written: ``FormatError(path, problem)``; ``str`` is ``FILE: problem``.

    A ``ValueError`` as well, so older callers catching ValueError keep working. The one-argument
    form ``FormatError("FILE: problem")`` is still accepted (``path`` is then taken from the
    text before the first ``": "``).
    """

    def __init__(self, path: Path | str, problem: str | None = None) -> None:
        if problem is None:
            text = str(path)
            head, sep, rest = text.partition(": ")
            path, problem = (head, rest) if sep else ("", text)
        self.path = str(path)
        self.problem = one_line(problem)
        super().__init__(f"{self.path}: {self.problem}" if self.path else self.problem)


def one_line(text: str, limit: int = 300) -> str:
    """First line of ``text``, bounded, so a message can never spill over several lines."""
    line = " ".join(str(text).split("\n")[0].split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def number(value: object) -> str:
    """A number for a message: ``2000``, ``1e+09``, ``nan``; never a 300-digit integer."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)[:40]
    if isinstance(value, int) and abs(value) < 10**12:
        return str(value)
    f = float(value)
    return f"{f:g}" if math.isfinite(f) or math.isnan(f) else ("inf" if f > 0 else "-inf")


def describe_os_error(exc: OSError, path: Path | str | None = None) -> str:
    """A sentence for the user: what went wrong with the disk, in plain words, naming the file."""
    where = path if path is not None else (exc.filename or "a file")
    if exc.errno in DISK_FULL:
        return f"the disk is full (or the file size limit was reached) writing {where}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to use {where}"
    if exc.errno == errno.EROFS:
        return f"{where} is on a read-only disk"
    if exc.errno == errno.ENOENT:
        return f"{where} or its folder does not exist"
    if exc.errno == errno.ENOTDIR:
        return f"a file is in the way of the folder for {where}"
    if exc.errno == errno.EISDIR:
        return f"{where} is a folder, not a file"
    if exc.errno is None:  # e.g. numpy's short write "N requested and M written"
        return f"could not write all of {where} (the disk may be full)"
    return f"cannot use {where}: {exc.strerror or os.strerror(exc.errno)}"


def user_message(exc: BaseException) -> str:
    """The one line shown to the user for ``exc`` (CLI ``error:`` lines, the window's banner)."""
    if isinstance(exc, UserError):
        return one_line(str(exc))
    if isinstance(exc, OSError):
        if exc.filename is not None:
            return one_line(f"{exc.filename}: {describe_os_error(exc, exc.filename)}")
        return one_line(describe_os_error(exc))
    if isinstance(exc, MemoryError):
        return "not enough memory for this file"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply"
    if isinstance(exc, ValueError | RuntimeError) and type(exc) in (ValueError, RuntimeError):
        return one_line(str(exc))  # plain ValueError/RuntimeError raised by our own code
    return f"internal error ({type(exc).__name__}); please report it"


class BiofeedbackWarning(UserWarning):
    """A warning meant for the user (one line), e.g. an unsafe data folder; the CLI prints it
    as ``biofeedback CMD: warning: MESSAGE`` and the window can show it in its banner."""
