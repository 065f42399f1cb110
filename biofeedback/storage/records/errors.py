"""The error types of the records database: one line naming the file or server and the problem.

Subclasses let callers act on the cause without reading the text: :class:`ConflictError` (another
workstation changed the record: reload), :class:`ServerUnreachableError` (keep recording locally,
upload later), :class:`RetryableError` (a deadlock or serialization failure: run it again).
"""

from __future__ import annotations

from biofeedback.formats.errors import UserError, one_line


class RecordsError(UserError, RuntimeError):
    """A records operation cannot be done; ``str()`` is one line a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class ConflictError(RecordsError):
    """The record was changed on another workstation since it was read: nothing was written;
    reload it and apply the change again."""


class ServerUnreachableError(RecordsError):
    """The clinic server cannot be reached (network down, server stopped)."""


class RetryableError(RecordsError):
    """The server rolled the transaction back to break a deadlock or a serialization conflict;
    running it again is safe."""


__all__ = ["ConflictError", "RecordsError", "RetryableError", "ServerUnreachableError"]
