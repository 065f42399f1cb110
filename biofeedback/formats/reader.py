"""Signal files read in pieces: what ``analyze``, ``info``, ``convert`` and replay use.

A :class:`SignalReader` knows a recording's layout (streams, sample counts), its annotations,
start time, patient code and metadata after opening, and reads samples on demand:
:meth:`~SignalReader.read` returns rows ``[start, stop)`` of one stream (random access, for
seek) and :meth:`~SignalReader.chunks` iterates consecutive blocks. Memory stays bounded by the
chunk size, not by the length of the recording, which is what lets an hour (or ten) be analysed
or replayed on a laptop. Every reader returns exactly the values the whole-file readers
(:func:`~biofeedback.formats.signal_file.read_signal_file`) give; the tests compare them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from biofeedback.streams import Annotation, ChannelInfo, SignalSet, StreamInfo

DEFAULT_CHUNK_S = 10.0


class SignalReader:
    """Base of the chunked readers; subclasses fill the layout and implement :meth:`_read`.

    ``read`` is thread-safe (one lock per reader), so a replay thread and the window's
    overview pass may share a reader.
    """

    path: Path
    streams: tuple[StreamInfo, ...]
    annotations: list[Annotation]
    start_time: Any
    patient_code: str
    metadata: dict[str, Any]

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    # -- layout -------------------------------------------------------------------------------
    def n_samples(self, stream: str) -> int:
        return self._counts[stream]

    @property
    def duration_s(self) -> float:
        """Same rule as :attr:`SignalSet.duration_s`: the longest stream."""
        return max((self._counts[s.name] / s.fs for s in self.streams), default=0.0)

    def stream(self, name: str) -> StreamInfo:
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(f"no stream {name!r}")

    def find_channel(self, name: str) -> tuple[StreamInfo, int, ChannelInfo]:
        """The stream, column and description of a channel, by name (KeyError if none)."""
        for s in self.streams:
            for i, ch in enumerate(s.channels):
                if ch.name == name:
                    return s, i, ch
        names = [ch.name for s in self.streams for ch in s.channels]
        raise KeyError(f"no channel {name!r}; channels are {', '.join(names)}")

    # -- samples ------------------------------------------------------------------------------
    def read(self, stream: str, start: int, stop: int) -> np.ndarray:
        """Rows ``[start, stop)`` (clamped to the stream) as a new ``(n, ch)`` float64 array."""
        n = self._counts[stream]
        start, stop = max(0, min(start, n)), max(0, min(stop, n))
        if stop <= start:
            return np.zeros((0, len(self.stream(stream).channels)))
        with self._lock:
            return self._read(stream, start, stop)

    def chunks(self, stream: str, chunk: int, start: int = 0,
               stop: int | None = None) -> Iterator[np.ndarray]:
        """Consecutive blocks of at most ``chunk`` rows covering ``[start, stop)``."""
        chunk = max(1, int(chunk))
        end = self._counts[stream] if stop is None else min(stop, self._counts[stream])
        for a in range(max(0, start), end, chunk):
            yield self.read(stream, a, min(a + chunk, end))

    def to_signal_set(self) -> SignalSet:
        """Everything in memory, as the whole-file readers return it (small files, tests)."""
        data = {s.name: self.read(s.name, 0, self._counts[s.name]) for s in self.streams}
        return SignalSet(self.streams, data, list(self.annotations), self.start_time,
                         self.patient_code, dict(self.metadata))

    def _read(self, stream: str, start: int, stop: int) -> np.ndarray:
        raise NotImplementedError

    # -- life cycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Release the file; reading afterwards is an error."""

    def __enter__(self) -> SignalReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemoryReader(SignalReader):
    """A :class:`SignalSet` already in memory behind the reader interface (small files,
    journals, callers that built the data themselves)."""

    def __init__(self, signals: SignalSet, path: Path | str | None = None) -> None:
        super().__init__()
        self.signals = signals
        self.path = Path(path if path is not None else signals.metadata.get("file", "<memory>"))
        self.streams = signals.streams
        self.annotations = list(signals.annotations)
        self.start_time = signals.start_time
        self.patient_code = signals.patient_code
        self.metadata = signals.metadata
        self._counts = {s.name: len(signals.data[s.name]) for s in signals.streams}

    def _read(self, stream: str, start: int, stop: int) -> np.ndarray:
        return np.array(self.signals.data[stream][start:stop], dtype=float)

    def to_signal_set(self) -> SignalSet:
        return self.signals
