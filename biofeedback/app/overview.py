"""A whole-file activity overview for replay review: where the contractions are, at a glance.

Band-passes the pelvic-floor channel (the same filter design as the live path) and reduces it
to the RMS of consecutive bins, so an hour-long file becomes a few thousand points the overview
strip can draw and click on. One bounded-memory pass through a chunked
:class:`~biofeedback.formats.reader.SignalReader` (or a :class:`~biofeedback.streams.SignalSet`).
For an hour of CSV that pass takes seconds, so the window never runs it on its own thread:
:class:`OverviewJob` runs it on a worker thread and the window's timer polls for the result
(the worker never touches a widget).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from biofeedback.formats.errors import user_message
from biofeedback.formats.reader import MemoryReader, SignalReader
from biofeedback.signal import PipelineConfig
from biofeedback.signal.filters import SosFilter, design_bandpass
from biofeedback.streams import Annotation, SignalSet


@dataclass(frozen=True)
class FileOverview:
    t: np.ndarray  # bin centres, s (file time)
    rms_uv: np.ndarray  # RMS of the band-passed pelvic-floor EMG per bin
    duration_s: float
    annotations: tuple[Annotation, ...]


class OverviewCancelled(Exception):
    """The pass was asked to stop (the replay closed before the overview was ready)."""


def file_overview(ss: SignalSet | SignalReader, bins: int = 2000,
                  config: PipelineConfig | None = None, channel: str = "pfm",
                  chunk_s: float = 60.0,
                  cancelled: Callable[[], bool] | None = None) -> FileOverview:
    """The RMS of ``channel`` in ``bins`` equal bins (fewer for short files).

    One pass over the file in chunks of about ``chunk_s`` (a whole number of bins, the
    filter state carried across), so memory does not grow with the recording and the result
    equals filtering the whole channel at once. ``cancelled`` is asked before each chunk;
    when it says True the pass raises :class:`OverviewCancelled`.
    """
    def check() -> None:
        if cancelled is not None and cancelled():
            raise OverviewCancelled

    reader = ss if isinstance(ss, SignalReader) else MemoryReader(ss)
    e = (config or PipelineConfig()).emg
    try:
        stream, col, _ = reader.find_channel(channel)
    except KeyError:
        stream, col = next(s for s in reader.streams if s.channels), 0
    fs, n_all = stream.fs, reader.n_samples(stream.name)
    annotations = tuple(reader.annotations)
    if n_all == 0:
        return FileOverview(np.zeros(0), np.zeros(0), 0.0, annotations)
    per = max(1, int(np.ceil(n_all / bins)))
    n = n_all // per
    x0 = float(np.nan_to_num(reader.read(stream.name, 0, 1)[0, col]))
    try:
        bandpass: SosFilter | None = SosFilter(
            design_bandpass(fs, e.band_low_hz, e.band_high_hz, e.filter_order), 1)
    except ValueError:  # a rate too low for the EMG band: show the raw activity
        bandpass = None
        mean = _mean(reader, stream.name, col, check)
    step = per * max(1, int(chunk_s * fs) // per)
    rms = np.empty(n)
    done = 0
    for start in range(0, n_all, step):
        check()
        x = np.nan_to_num(reader.read(stream.name, start, min(start + step, n_all))[:, col])
        y = bandpass.process((x - x0)[:, None])[:, 0] if bandpass is not None else x - mean
        k = min(len(y) // per, n - done)
        if k:
            sq = y[: k * per].reshape(k, per) ** 2
            rms[done:done + k] = np.sqrt(sq.mean(axis=1))
            done += k
    t = (np.arange(n) + 0.5) * per / fs
    return FileOverview(t, rms, n_all / fs, annotations)


def _mean(reader: SignalReader, stream: str, col: int, check: Callable[[], None]) -> float:
    n = reader.n_samples(stream)
    total = 0.0
    for c in reader.chunks(stream, 1 << 20):
        check()
        total += float(np.nan_to_num(c[:, col]).sum())
    return total / n


class OverviewJob:
    """:func:`file_overview` on a worker thread; the GUI timer polls :attr:`done`.

    Exactly one of :attr:`result` and :attr:`problem` (one line) is set once done, unless
    the job was cancelled: then neither is, and a late result is dropped, so a closed replay
    never gets a late paint. ``chunk_s`` is short so a cancel takes effect within one read.
    """

    def __init__(self, reader: SignalReader, bins: int = 2000,
                 config: PipelineConfig | None = None, chunk_s: float = 10.0) -> None:
        self.result: FileOverview | None = None
        self.problem: str | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._args = (reader, bins, config, chunk_s)
        self._thread = threading.Thread(target=self._run, name="file-overview", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        reader, bins, config, chunk_s = self._args
        try:
            ov = file_overview(reader, bins, config, chunk_s=chunk_s,
                               cancelled=self._cancel.is_set)
            if not self._cancel.is_set():
                self.result = ov
        except OverviewCancelled:
            pass
        except Exception as exc:  # any reader failure: one line for the strip, not a crash
            if not self._cancel.is_set():
                self.problem = f"The overview could not be drawn: {user_message(exc)}"
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        """The pass finished, failed or stopped after a cancel (never blocks)."""
        return self._done.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self, timeout: float = 2.0) -> None:
        """Stop the pass and wait (at most ``timeout``) for it to let go of the reader."""
        self._cancel.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until done (tests and the command line); True when done."""
        return self._done.wait(timeout)


__all__ = ["FileOverview", "OverviewCancelled", "OverviewJob", "file_overview"]
