"""The one interface every signal source implements.

Lifecycle: ``open()`` (handshake; returns :class:`SourceInfo`) → ``start(consumer)`` (spawns the
acquisition thread) → ``stop()`` → ``close()``. Samples and events are pushed to the consumer
*on the acquisition thread*; consumers must only copy and enqueue (never touch widgets).
A source never raises from its thread: failures become :class:`SourceEvent` objects.
"""

from __future__ import annotations

import abc
import enum
import threading
import time
from typing import Protocol

from biofeedback.formats.errors import UserError
from biofeedback.streams import EventKind, SampleBlock, SourceEvent, SourceInfo


class SourceError(UserError, RuntimeError):
    """A source could not be opened or started; the message is meant for the user."""


class SourceState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    RUNNING = "running"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"
    FAILED = "failed"


class BlockConsumer(Protocol):
    """Receives data from a source's acquisition thread."""

    def on_block(self, block: SampleBlock) -> None: ...

    def on_event(self, event: SourceEvent) -> None: ...


class Source(abc.ABC):
    """Base class: owns the acquisition thread; subclasses implement :meth:`_open` and :meth:`_run`."""

    def __init__(self) -> None:
        self._info: SourceInfo | None = None
        self._state = SourceState.CLOSED
        self._consumer: BlockConsumer | None = None
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()

    # -- public API ---------------------------------------------------------------
    @property
    def info(self) -> SourceInfo:
        if self._info is None:
            raise SourceError("source is not open")
        return self._info

    @property
    def state(self) -> SourceState:
        return self._state

    def open(self) -> SourceInfo:
        if self._info is None:
            self._info = self._open()
            self._state = SourceState.OPEN
        return self._info

    def start(self, consumer: BlockConsumer) -> None:
        if self._state is SourceState.RUNNING:
            raise SourceError("source is already running")
        self.open()
        self._consumer = consumer
        self._stop_event.clear()
        self._state = SourceState.RUNNING
        self._thread = threading.Thread(
            target=self._thread_main, name=f"acq-{self.info.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop_event.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None
        if self._state is not SourceState.FAILED:
            self._state = SourceState.STOPPED if self._info is not None else SourceState.CLOSED

    def close(self) -> None:
        self.stop()
        self._close()
        self._info = None
        self._state = SourceState.CLOSED

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Source:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- for subclasses -------------------------------------------------------------
    @abc.abstractmethod
    def _open(self) -> SourceInfo:
        """Connect/handshake and describe the channels. Raise :class:`SourceError` on failure."""

    @abc.abstractmethod
    def _run(self) -> None:
        """Acquisition loop: call :meth:`_emit_block`/:meth:`_emit_event` until
        :attr:`_stop_event` is set or the source ends."""

    def _close(self) -> None:  # noqa: B027 - optional hook
        """Release OS resources (ports, files)."""

    def _emit_block(self, block: SampleBlock) -> None:
        if self._consumer is not None:
            self._consumer.on_block(block)

    def _emit_event(self, kind: EventKind, message: str, **detail: object) -> None:
        if self._consumer is not None:
            self._consumer.on_event(SourceEvent(kind, message, time.monotonic(), dict(detail)))

    def _thread_main(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a source thread must never die silently
            self._state = SourceState.FAILED
            self._emit_event(EventKind.ERROR, f"{self.info.name} stopped: {exc}", error=repr(exc))
