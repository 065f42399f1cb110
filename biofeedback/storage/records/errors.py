"""The one error type of the records database: one line naming the file and the problem."""

from __future__ import annotations

from biofeedback.formats.errors import UserError, one_line


class RecordsError(UserError, RuntimeError):
    """A records operation cannot be done; ``str()`` is one line a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


__all__ = ["RecordsError"]
