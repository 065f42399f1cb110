"""Play a recorded file as a live source: EDF+/BDF+, the project CSV, or an app journal.

A peer of the simulated and serial sensors (same :class:`Source` life cycle, same stream and
channel names as the recording), so the window, the recorder and tests cannot tell the
difference — which is what makes "replay gives the same events as offline analysis" true.

* Blocks of ``block_s`` (20 ms) per stream, in time order; ``first_index`` is the sample index
  in the file until the first seek or loop. After a seek, indices keep increasing
  (consumers' filters and ring buffers never see time go backwards) and a ``STATUS`` event
  with ``detail={"seek_s": position, "first_index": {stream: index}}`` says where playback jumped.
* Annotations are emitted as ``EventKind.ANNOTATION`` events when playback passes their onset
  (``detail``: ``onset_s`` in the file, ``time_s`` on the stream clock, ``duration_s``,
  ``text``); ``EventKind.END`` at the end unless ``loop``.
* ``speed``: 1, 2, 10... times real time; ``0`` as fast as possible, in blocks of
  ``fast_block_s`` (2 s: the consumer's per-block cost, not the file, is then the limit).
  ``pause()``, ``resume()``, ``seek(s)``, ``speed`` and ``position_s`` are safe from any thread.
* Samples stream from disk through a chunked reader
  (:func:`~biofeedback.formats.signal_file.open_signal_file`): memory does not grow with the
  recording, and a seek reads from the new place only.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from biofeedback.devices.base import Source, SourceError
from biofeedback.formats.errors import FormatError
from biofeedback.formats.reader import MemoryReader, SignalReader
from biofeedback.formats.signal_file import open_signal_file
from biofeedback.streams import (
    BlockFlag,
    EventKind,
    SampleBlock,
    SignalSet,
    SourceInfo,
)


def replay_problem(ss: SignalSet | SignalReader) -> str | None:
    """Why ``ss`` cannot be played like a sensor (the live view needs an ``emg`` stream with
    samples), or None. The one check shared by ``biofeedback replay`` and the window."""
    if not ss.streams or ss.duration_s <= 0:
        return "the recording holds no samples"
    names = [s.name for s in ss.streams]
    if "emg" not in names:
        return (f"no 'emg' stream to play (streams: {', '.join(names)}); the live view needs "
                "the pelvic-floor EMG")
    n = ss.n_samples("emg") if isinstance(ss, SignalReader) else len(ss.data["emg"])
    if n < 2:
        return "the 'emg' stream holds fewer than 2 samples"
    return None


class ReplaySource(Source):
    """Replays ``path`` (an open :class:`SignalReader`, or an in-memory :class:`SignalSet`)
    at ``speed`` times real time."""

    def __init__(
        self,
        path: Path | str | SignalSet | SignalReader,
        speed: float = 1.0,
        loop: bool = False,
        block_s: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
        fast_block_s: float = 2.0,
    ) -> None:
        super().__init__()
        self._reader: SignalReader | None
        self._signals: SignalSet | None = None
        if isinstance(path, SignalSet):
            self._reader = MemoryReader(path)
            self.path, self._signals = self._reader.path, path
        elif isinstance(path, SignalReader):
            self.path, self._reader = path.path, path
        else:
            self.path, self._reader = Path(path), None
        self._owns_reader = self._reader is None
        if not (isinstance(speed, int | float) and speed >= 0 and math.isfinite(speed)):
            raise SourceError(f"replay speed must be 0 (as fast as possible) or positive, "
                              f"got {speed!r}")
        self.loop = loop
        self.block_s = block_s
        self.fast_block_s = max(block_s, fast_block_s)
        self._clock = clock
        self._cond = threading.Condition()
        self._speed = float(speed)
        self._paused = False
        self._pos_s = 0.0  # file position of the next block's start
        self._seek_to: float | None = None
        self._anchor: tuple[float, float] | None = None  # (wall time, file position)
        self._offsets: dict[str, int] = {}

    # -- opening ---------------------------------------------------------------------------
    def _open(self) -> SourceInfo:
        if self._reader is None:
            try:
                self._reader = open_signal_file(self.path)
            except FormatError as exc:
                raise SourceError(str(exc)) from None
        ss = self._reader
        problem = replay_problem(ss)
        if problem:
            raise SourceError(f"{self.path}: {problem}")
        self._annotations = sorted(ss.annotations, key=lambda a: a.onset_s)
        self._offsets = {s.name: 0 for s in ss.streams}
        details = {"path": str(self.path), "duration_s": ss.duration_s,
                   "patient_code": ss.patient_code, "format": ss.metadata.get("format", "")}
        source = ss.metadata.get("source") or {}
        return SourceInfo(
            name=f"Recording {self.path.name}",
            kind="replay",
            streams=ss.streams,
            serial_number=str(source.get("serial", "")),
            firmware=str(source.get("firmware", "")),
            details=details,
        )

    @property
    def reader(self) -> SignalReader:
        """The file, read in pieces (layout, annotations, random access to samples)."""
        self.open()
        assert self._reader is not None
        return self._reader

    @property
    def signals(self) -> SignalSet:
        """The whole recording in memory (read on first use; replay itself does not need it)."""
        if self._signals is None:
            self._signals = self.reader.to_signal_set()
        return self._signals

    def _close(self) -> None:
        """Close the file if this source opened it (a later ``open()`` opens it again)."""
        if self._owns_reader and self._reader is not None:
            self._reader.close()
            self._reader = None

    # -- transport (any thread) ---------------------------------------------------------------
    @property
    def duration_s(self) -> float:
        return self.reader.duration_s

    @property
    def position_s(self) -> float:
        with self._cond:
            return self._seek_to if self._seek_to is not None else self._pos_s

    @property
    def speed(self) -> float:
        with self._cond:
            return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"speed must be 0 or positive, got {value!r}")
        with self._cond:
            self._speed = float(value)
            self._anchor = None
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        with self._cond:
            return self._paused

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._anchor = None
            self._cond.notify_all()

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` into the file (clamped to the recording)."""
        target = min(max(0.0, float(seconds)), self.duration_s)
        with self._cond:
            self._seek_to = target
            self._anchor = None
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stop_event.set()
            self._cond.notify_all()
        super().stop(timeout)

    # -- acquisition thread --------------------------------------------------------------------
    def _run(self) -> None:
        ss = self.reader
        duration = ss.duration_s
        self._emit_event(EventKind.CONNECTED, f"Playing {self.path.name}")
        ann_i = self._first_annotation(self.position_s)
        while not self._stop_event.is_set():
            with self._cond:
                if self._seek_to is not None:
                    seek, self._seek_to = self._seek_to, None
                else:
                    seek = None
            if seek is not None:
                self._jump(seek)
                ann_i = self._first_annotation(seek)
            pos = self._pos_s
            if pos >= duration - 1e-9:
                if self.loop:
                    self._jump(0.0)
                    ann_i = 0
                    continue
                self._emit_event(EventKind.END, f"End of {self.path.name}",
                                 position_s=duration)
                return
            step = self.fast_block_s if self.speed == 0 else self.block_s
            if not self._wait_until_due(pos, step):
                continue  # stopped, paused or sought: re-check state
            end = pos + step
            if end >= duration - 1e-9:
                end = duration
            ann_i = self._emit_annotations(ann_i, end)
            for stream in ss.streams:
                a, b = self._index(stream.fs, pos), self._index(stream.fs, end)
                if end >= duration:
                    b = ss.n_samples(stream.name)
                if b > a:
                    first = a + self._offsets[stream.name]
                    self._emit_block(SampleBlock(stream.name, first, first / stream.fs,
                                                 stream.fs, ss.read(stream.name, a, b),
                                                 BlockFlag.NONE))
            with self._cond:  # delivered: a seek asked meanwhile continues after this block
                self._pos_s = end

    @staticmethod
    def _index(fs: float, t: float) -> int:
        return int(math.floor(t * fs + 1e-6))

    def _wait_until_due(self, pos: float, step: float) -> bool:
        """Sleep until the block at ``pos`` is due; False if something changed meanwhile."""
        with self._cond:
            while self._paused and not self._stop_event.is_set() and self._seek_to is None:
                self._cond.wait(0.1)
            if self._stop_event.is_set() or self._seek_to is not None:
                return False
            if self._speed == 0:
                return True
            now = self._clock()
            if self._anchor is None:
                self._anchor = (now, pos)
            wall0, pos0 = self._anchor
            due = wall0 + (pos + step - pos0) / self._speed
            wait = due - now
            if wait > 0:
                self._cond.wait(wait)
                return self._clock() >= due - 1e-4 and not self._paused and \
                    self._seek_to is None and not self._stop_event.is_set()
            if wait < -0.5:  # far behind (a slow consumer or a debugger): do not rush to catch up
                self._anchor = (now, pos)
            return True

    def _jump(self, target: float) -> None:
        """Continue from ``target`` with indices that keep increasing."""
        ss = self.reader
        first = {}
        for s in ss.streams:
            cont = self._index(s.fs, self._pos_s) + self._offsets[s.name]
            self._offsets[s.name] = cont - self._index(s.fs, target)
            first[s.name] = cont
        with self._cond:
            self._pos_s = target
        self._emit_event(EventKind.STATUS, f"Playback moved to {target:.1f} s", seek_s=target,
                         first_index=first)

    def _first_annotation(self, pos: float) -> int:
        onsets = np.array([a.onset_s for a in self._annotations])
        return int(np.searchsorted(onsets, pos - 1e-9, side="left")) if len(onsets) else 0

    def _emit_annotations(self, i: int, end: float) -> int:
        ss = self.reader
        ref = ss.streams[0]
        while i < len(self._annotations) and self._annotations[i].onset_s < end:
            a = self._annotations[i]
            index = self._index(ref.fs, a.onset_s) + self._offsets[ref.name]
            self._emit_event(EventKind.ANNOTATION, a.text, onset_s=a.onset_s,
                             time_s=index / ref.fs, duration_s=a.duration_s, text=a.text)
            i += 1
        return i
