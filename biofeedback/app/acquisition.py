"""The acquisition engine: source → signal core → ring buffers, recorder and an event queue.

Runs on the source's acquisition thread. The GUI never touches this thread: it reads the ring
buffers and drains :meth:`AcquisitionEngine.drain` from a timer. User actions that change the
processing (threshold, rest marking) are queued and applied on the acquisition thread, so the
processor is only ever used by one thread.

A consumer that changes the processing at given samples (a guided session's marked rest and
line, at its step boundaries) sets a *hold* (:meth:`AcquisitionEngine.hold_at`): the EMG is
processed up to that display sample and the thread waits there until the hold moves, so the
commands queued meanwhile apply exactly at that sample, whatever the block sizes and however
late the controlling thread polls.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from biofeedback.app.ringbuffer import RingBuffer
from biofeedback.app.settings import pipeline_settings
from biofeedback.devices.base import BlockConsumer, Source
from biofeedback.formats import vocabulary
from biofeedback.signal import LiveProcessor, PipelineConfig
from biofeedback.storage.recorder import Recorder, RecordingError
from biofeedback.streams import SampleBlock, SourceEvent, SourceInfo

DISPLAY_HZ = 100.0  # envelope/relaxation traces are kept at this rate for plotting


@dataclass(frozen=True)
class EngineMessage:
    """Something the GUI should show: a source event, a contraction, a sink failure."""

    kind: str  # "source", "contraction", "sink_error"
    payload: Any
    time: float = field(default_factory=time.monotonic)


class AcquisitionEngine:
    """Owns one source and one :class:`LiveProcessor`; fans blocks out to sinks (e.g. a recorder).

    Ring buffers (absolute-index addressed, NaN across gaps):
    ``emg`` filtered EMG (n_emg channels, source rate), ``envelope`` RMS µV and ``relaxation``
    0..1 and ``feedback`` (:class:`~biofeedback.signal.FeedbackState` codes) at
    :data:`DISPLAY_HZ`, ``pressure`` (cmH2O, source rate). ``last_block_at`` is the ``clock``
    time of the last block (the live layer calls a link that delivers nothing "not answering").
    """

    def __init__(
        self,
        source: Source,
        config: PipelineConfig | None = None,
        window_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self._clock = clock
        self.last_block_at: float | None = None
        self.config = config or PipelineConfig()
        self.window_s = window_s
        self.info: SourceInfo = source.open()
        emg = self.info.stream("emg")
        self.emg_fs = emg.fs
        self.emg_channels = tuple(ch.name for ch in emg.channels)
        try:
            pressure = self.info.stream("pressure")
        except KeyError:
            pressure = None
        self.pressure_fs = pressure.fs if pressure else None
        self._decim = max(1, int(round(self.emg_fs / DISPLAY_HZ)))
        self.processor = LiveProcessor(self.emg_fs, self.emg_channels, self.pressure_fs, self.config)
        n_emg = len(self.emg_channels)
        self.emg = RingBuffer(int(window_s * self.emg_fs), n_emg)
        self.envelope = RingBuffer(int(window_s * DISPLAY_HZ), n_emg)
        self.relaxation = RingBuffer(int(window_s * DISPLAY_HZ), 1)
        self.feedback = RingBuffer(int(window_s * DISPLAY_HZ), 1)
        self.pressure = RingBuffer(int(window_s * (self.pressure_fs or 1)), 1)
        self.sinks: list[BlockConsumer] = []
        self._messages: queue.Queue[EngineMessage] = queue.Queue()
        self._commands: queue.Queue[Callable[[LiveProcessor], None]] = queue.Queue()
        self._status_lock = threading.Lock()
        self._status = self.processor.status()
        self._recorder: Recorder | None = None
        self._gate = threading.Condition()
        self._hold: int | None = None  # display index the EMG is not processed past
        self._hold_timeout_s: float | None = None
        self._hold_gave_up = -1  # a real-time hold that timed out: not waited for again
        #: every display sample before this one is processed, its messages queued and the
        #: status published (what a poll of the messages covers)
        self.done_display_end = 0
        self.blocks = 0
        self.process_time_s = 0.0

    # -- control (any thread) ------------------------------------------------------------
    def start(self) -> None:
        self.source.start(self)

    def stop(self) -> None:
        self.hold_at(None)  # a thread waiting at a hold finishes its block, then stops
        self.source.stop()

    def close(self) -> None:
        """Stop the source, then finish any recording so no sample is lost."""
        self.hold_at(None)
        self.source.close()
        if self._recorder is not None:
            self.stop_recording()

    def set_threshold_uv(self, value: float | None) -> None:
        self._commands.put(lambda p: p.set_threshold_uv(value))

    def hold_at(self, display_index: int | None, timeout_s: float | None = None) -> None:
        """Process the EMG only up to display index ``display_index`` (the samples before it)
        and wait there until the hold moves (``None``: no hold). Commands queued before the
        hold moves apply from that sample on. ``timeout_s``: a real-time source waits at
        most that long (then goes on: the controller is late); ``None`` waits until moved,
        for sources that can (a file or a simulation as fast as possible)."""
        with self._gate:
            if timeout_s is not None and display_index is not None and (
                    display_index <= self._hold_gave_up
                    or display_index < self.done_display_end):
                display_index = None  # already passed: a real-time source does not go back
            self._hold, self._hold_timeout_s = display_index, timeout_s
            self._gate.notify_all()

    @property
    def held_at(self) -> int | None:
        """The display index the EMG is held at (see :meth:`hold_at`), or ``None``."""
        return self._hold

    def _room(self, first: int) -> float:
        """The EMG index the block starting at ``first`` may be processed up to (exclusive),
        after waiting at a hold that is exactly there (acquisition thread)."""
        with self._gate:
            deadline = None
            while self._hold is not None:
                # display point k holds EMG sample k*decim - 1 (see on_block)
                limit = self._decim * self._hold - 1
                if limit > first:
                    return limit
                if self._hold_timeout_s is None:
                    self._gate.wait()
                    continue
                now = time.monotonic()
                deadline = now + self._hold_timeout_s if deadline is None else deadline
                if now >= deadline:
                    self._hold_gave_up, self._hold = self._hold, None
                    break
                self._gate.wait(deadline - now)
            return math.inf

    def set_notch(self, mains_hz: float | None) -> None:
        """Switch the mains notch (50/60 Hz + harmonics) on or off while streaming.

        The processor is rebuilt on the acquisition thread with the new filter; its baseline is
        re-estimated within about a second; a user-set "relax below" line is kept.
        """
        config = replace(self.config, emg=replace(self.config.emg, notch_hz=mains_hz))
        self.config = config

        def swap(old: LiveProcessor) -> None:
            st = old.status()
            self.processor = LiveProcessor(self.emg_fs, self.emg_channels, self.pressure_fs, config)
            if st.threshold_is_user:
                self.processor.set_threshold_uv(st.threshold_uv)
            if self._recorder is not None:
                self._recorder.update_settings({**self._recorder.settings,
                                                "pipeline": pipeline_settings(config)})
                self._recorder.add_annotation(None, 0.0, f"note:notch {mains_hz or 'off'}")

        self._commands.put(swap)

    def mark_rest(self, active: bool) -> None:
        self._commands.put(lambda p: p.mark_rest(active))

    def add_marker(self, number: int, label: str = "") -> float:
        """A user marker (number key) at "now" on the sample clock; returns its time in s."""
        t = self.emg_time_s
        self._annotate(t, 0.0, vocabulary.marker(number, label))
        return t

    def annotate(self, onset_s: float, duration_s: float, text: str) -> None:
        """Annotate the recording (if any), ``onset_s`` on the sample clock (any thread)."""
        self._annotate(onset_s, duration_s, text)

    def _annotate(self, onset_s: float, duration_s: float, text: str) -> None:
        for sink in list(self.sinks):
            add = getattr(sink, "add_annotation", None)
            if add is not None:
                add(onset_s, duration_s, text)

    # -- recording ---------------------------------------------------------------------
    @property
    def recorder(self) -> Recorder | None:
        return self._recorder

    def start_recording(self, patient_code: str = "", output: Path | None = None, *,
                        overwrite: bool = False, max_duration_s: float | None = None,
                        settings: dict[str, Any] | None = None) -> Path:
        """Journal everything from now on; raises :class:`RecordingError` with a user message."""
        if self._recorder is not None:
            raise RecordingError("already recording")
        rec = Recorder(
            self.info, output, patient_code=patient_code,
            settings={**(settings or {}), "pipeline": pipeline_settings(self.config)},
            on_error=lambda msg: self.post("sink_error", msg),
            overwrite=overwrite, max_duration_s=max_duration_s,
        )
        journal = rec.start()
        self._recorder = rec
        self.sinks.append(rec)
        return journal

    def stop_recording(self) -> Path | None:
        """Finish the recording (writes the EDF+/BDF+ file); returns its path."""
        rec, self._recorder = self._recorder, None
        if rec is None:
            return None
        if rec in self.sinks:
            self.sinks.remove(rec)
        return rec.finish()

    def post(self, kind: str, payload: Any) -> None:
        """Queue a message for the GUI (any thread)."""
        self._messages.put(EngineMessage(kind, payload))

    def status(self) -> Any:
        """The processor's latest status snapshot (baseline, threshold, relaxation, strain...)."""
        with self._status_lock:
            return self._status

    def drain(self, limit: int = 1000) -> list[EngineMessage]:
        """Messages since the last call (GUI thread)."""
        out = []
        for _ in range(limit):
            try:
                out.append(self._messages.get_nowait())
            except queue.Empty:
                break
        return out

    @property
    def emg_time_s(self) -> float:
        return self.emg.end_index / self.emg_fs

    # -- BlockConsumer (acquisition thread) ---------------------------------------------
    def on_block(self, block: SampleBlock) -> None:
        t0 = time.perf_counter()
        if block.stream == "emg" and block.n_samples:
            start, end = block.first_index, block.first_index + block.n_samples
            while start < end:  # pieces cut at a hold (the processor is block-size invariant)
                waited = time.perf_counter()
                room = self._room(start)
                t0 += time.perf_counter() - waited  # waiting at a hold is not processing
                cut = int(min(end, room))
                self._apply_commands()
                self._process_emg(block.data[start - block.first_index:cut - block.first_index],
                                  start)
                start = cut
        else:
            self._apply_commands()
            if block.stream == "pressure":
                frame = self.processor.process_pressure(block.data, block.first_index)
                self.pressure.write(block.first_index, frame.filtered)
            self._publish_status()
        self.blocks += 1
        self.last_block_at = self._clock()
        self.process_time_s += time.perf_counter() - t0
        self._fan_out(lambda s: s.on_block(block))

    def _process_emg(self, data: np.ndarray, first_index: int) -> None:
        frame = self.processor.process_emg(data, first_index)
        self.emg.write(first_index, frame.filtered)
        # display point k holds EMG sample k*decim - 1 (0.5 ms before its time k/100 s): the
        # last sample of each group, so a block's samples are on screen with that block,
        # not one block later (docs/performance.md, sample-to-screen latency)
        keep = (first_index + 1 + np.arange(len(data))) % self._decim == 0
        if keep.any():
            first = -(-(first_index + 1) // self._decim)
            self.envelope.write(first, frame.envelope[keep])
            self.relaxation.write(first, np.asarray(frame.relaxation)[keep][:, None])
            if frame.feedback is not None:
                self.feedback.write(first, frame.feedback[keep][:, None])
        for ev in frame.events:
            self._messages.put(EngineMessage("contraction", ev))
            if ev.complete and ev.duration_s is not None:
                self._annotate(ev.onset_s, ev.duration_s, "contraction")
        self._publish_status()
        self.done_display_end = min(self.envelope.end_index, self.feedback.end_index)

    def _publish_status(self) -> None:
        status = self.processor.status()
        with self._status_lock:
            self._status = status

    def on_event(self, event: SourceEvent) -> None:
        self._messages.put(EngineMessage("source", event))
        self._fan_out(lambda s: s.on_event(event))

    def _apply_commands(self) -> None:
        while True:
            try:
                cmd = self._commands.get_nowait()
            except queue.Empty:
                return
            cmd(self.processor)

    def _fan_out(self, call: Callable[[BlockConsumer], None]) -> None:
        for sink in list(self.sinks):
            try:
                call(sink)
            except Exception as exc:  # a failing recorder must not stop the live view
                self.sinks.remove(sink)
                self._messages.put(EngineMessage("sink_error", f"{type(sink).__name__}: {exc}"))

