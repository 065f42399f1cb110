"""The live-session layer: one Qt-free object that runs a source, the engine and a recording.

The window, ``biofeedback record``, ``replay`` and headless runs all drive a
:class:`LiveSession`: it opens the source, runs the :class:`AcquisitionEngine` (signal core,
ring buffers), the recorder, and publishes

* typed **events** (:meth:`LiveSession.poll`): contractions, link changes, markers, recording
  saved or failed, end of a file — dataclasses, not ``kind: str`` + ``Any``;
* a typed **snapshot** (:meth:`LiveSession.snapshot`): phase, link state, the meter
  (:class:`~biofeedback.app.feedback.MeterView`, from the one feedback model), prioritised
  notices and the replay position;
* **traces** (:meth:`LiveSession.traces`) for plotting, on the file's clock during replay.

Threading: the source's acquisition thread runs the engine; everything here is called from one
controlling thread (the GUI thread, or the CLI's loop). ``clock`` is injected, so staleness
("no samples for 1 s") is tested without sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from biofeedback.app.acquisition import DISPLAY_HZ, AcquisitionEngine
from biofeedback.app.feedback import IDLE_VIEW, FeedbackModel, MeterView
from biofeedback.app.live_types import (
    ContractionFinished,
    EndOfRecording,
    FileAnnotation,
    LinkChanged,
    LinkState,
    MarkerAdded,
    Notice,
    NoticeKind,
    RecordingFailed,
    RecordingSaved,
    RecordingStarted,
    ReplayPosition,
    SessionError,
    SessionEvent,
    SessionPhase,
    SourceEventReceived,
    Traces,
)
from biofeedback.app.overview import FileOverview, OverviewJob, file_overview
from biofeedback.app.wording import quality_text, suggestion_text
from biofeedback.devices.base import BlockConsumer, Source, SourceError
from biofeedback.devices.factory import open_source
from biofeedback.devices.replay import ReplaySource
from biofeedback.formats.errors import FormatError
from biofeedback.signal import ContractionEvent, PipelineConfig, ProcessorStatus, QualityFlag
from biofeedback.storage.patient_code import patient_code_problem
from biofeedback.storage.recorder import RecordingError
from biofeedback.streams import Annotation, EventKind, SourceEvent, SourceInfo

STALE_AFTER_S = 1.0  # no samples for this long: the link is "not answering", meter "No signal"
GAP_NOTICE_S = 5.0  # a "samples missing" notice stays this long (it never hides a disconnect)

_SOURCE_LINK = {"simulated": LinkState.SIMULATED, "replay": LinkState.REPLAY}
#: Makes a sink for a started source (``add_subscriber``): the LSL outlet is one.
SinkFactory = Callable[[SourceInfo], BlockConsumer]


@dataclass(frozen=True)
class RecordingRequest:
    """Record from the first sample: what ``LiveSession.start(record=...)`` needs."""

    patient_code: str = ""
    output: Path | None = None
    overwrite: bool = False
    max_duration_s: float | None = None


@dataclass
class _Run:
    """What one started source leaves behind (cleared by the next start)."""

    engine: AcquisitionEngine
    spec: str
    started_at: float
    link: LinkState
    link_message: str = ""
    phase: SessionPhase = SessionPhase.RUNNING
    error: str = ""
    gap_notice: tuple[float, str] | None = None
    recording_problem: str = ""
    contractions: list[ContractionEvent] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    # replay: (stream sample index of a seek, file time at it), in order; file time of the
    # stream = file_s + (index - index0) / fs
    anchors: list[tuple[int, float]] = field(default_factory=lambda: [(0, 0.0)])
    subscribers: dict[SinkFactory, BlockConsumer] = field(default_factory=dict)
    subscriber_problems: list[str] = field(default_factory=list)
    polled_display_end: int = 0  # see LiveSession.polled_display_end


class LiveSession:
    """Runs one source at a time; see the module docstring."""

    def __init__(self, config: PipelineConfig | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 stale_after_s: float = STALE_AFTER_S, window_s: float = 30.0,
                 opener: Callable[..., Source] = open_source) -> None:
        self.config = config or PipelineConfig()
        self.clock = clock
        self.stale_after_s = stale_after_s
        self.window_s = window_s
        self._open = opener
        self._run: _Run | None = None
        self._feedback: FeedbackModel | None = None
        self._line_uv: float | None = None  # a line the user set: kept across Stop/Start
        self._last_phase = SessionPhase.IDLE
        self._pending: list[SessionEvent] = []  # events of actions (recording saved...)
        self._subscribers: list[SinkFactory] = []
        self._overview: OverviewJob | None = None  # the replay's overview, being computed

    # -- life cycle ----------------------------------------------------------------------
    def start(self, spec: str, *, record: RecordingRequest | None = None,
              hold_at: int | None = None, **options: Any) -> SourceInfo:
        """Open ``spec`` (``simulated:demo``, ``serial:/dev/ttyACM0``, a file...) and stream.

        ``record``: journal from the very first sample (``biofeedback record``), so the file
        and an offline analysis of it see exactly what the live processor saw. ``hold_at``:
        process nothing past this display index until a guided session moves the hold
        (:meth:`AcquisitionEngine.hold_at`; 0 for a session from the first sample of a file or
        a fast simulation). Raises :class:`SessionError` with one line a person can act on.
        """
        self.stop()
        try:
            source = self._open(spec, **options)
            engine = AcquisitionEngine(source, self.config, self.window_s, clock=self.clock)
        except (SourceError, FormatError, OSError, ValueError, KeyError, TypeError) as exc:
            raise SessionError(explain_start_failure(spec, exc)) from None
        if self._line_uv is not None:
            engine.set_threshold_uv(self._line_uv)
        engine.hold_at(hold_at)
        info = engine.info
        run = _Run(engine, spec, self.clock(), _SOURCE_LINK.get(info.kind, LinkState.CONNECTED),
                   info.name)
        for factory in self._subscribers:  # before the first sample, like the recorder
            try:
                self._attach(run, factory)
            except SessionError as exc:  # streaming to other programs never stops a session
                run.subscriber_problems.append(str(exc))
        try:
            if record is not None:
                _check_code(record.patient_code)
                engine.start_recording(record.patient_code, record.output,
                                       overwrite=record.overwrite,
                                       max_duration_s=record.max_duration_s,
                                       settings={"source": spec})
            engine.start()
        except (RecordingError, SourceError, SessionError) as exc:
            engine.close()
            for sink in run.subscribers.values():
                _close_sink(sink)
            text = explain_start_failure(spec, exc) if isinstance(exc, SourceError) else str(exc)
            raise SessionError(text) from None
        run.started_at = self.clock()
        self._run = run
        self._feedback = FeedbackModel(engine.emg_fs)
        self._last_phase = SessionPhase.RUNNING
        return info

    def stop(self) -> Path | None:
        """Stop streaming; finish a recording (returns its path). Every state returns to idle."""
        run, self._run = self._run, None
        self._last_phase = SessionPhase.IDLE
        self._cancel_overview()  # before the reader closes: the pass lets go of it first
        if run is None:
            return None
        recording = run.engine.recorder is not None
        run.engine.stop()
        path = None
        if recording:
            try:
                path = run.engine.stop_recording()
            except RecordingError:
                path = None
        run.engine.close()
        for sink in run.subscribers.values():
            _close_sink(sink)
        if path is not None:
            self._pending.append(RecordingSaved(path))
        return path

    close = stop

    # -- subscribers: other consumers of the raw samples (the LSL outlet) ----------------
    def add_subscriber(self, factory: SinkFactory) -> None:
        """Feed every run's raw blocks, source events and annotations (what the recorder gets)
        to a sink ``factory(info)`` makes: now when streaming, and at each start. A sink that
        fails later says so in :attr:`LiveSnapshot.notices` (its ``problem``); the session
        goes on. Raises :class:`SessionError` when the sink cannot be made now."""
        if factory in self._subscribers:
            return
        self._subscribers.append(factory)
        if self._run is not None:
            try:
                self._attach(self._run, factory)
            except SessionError:
                self._subscribers.remove(factory)
                raise

    def remove_subscriber(self, factory: SinkFactory) -> None:
        """Detach and close the sink of ``factory`` (idempotent)."""
        if factory in self._subscribers:
            self._subscribers.remove(factory)
        run = self._run
        sink = run.subscribers.pop(factory, None) if run is not None else None
        if run is not None and sink is not None:
            if sink in run.engine.sinks:
                run.engine.sinks.remove(sink)
            _close_sink(sink)

    def _attach(self, run: _Run, factory: SinkFactory) -> None:
        try:
            sink = factory(run.engine.info)
        except Exception as exc:  # LSL missing, no port free...: the caller says it once
            raise SessionError(str(exc)) from None
        run.subscribers[factory] = sink
        run.engine.sinks.append(sink)

    @property
    def running(self) -> bool:
        return self._run is not None

    @property
    def engine(self) -> AcquisitionEngine | None:
        """The running engine (read-only use: ring buffers for custom views, benchmarks)."""
        return self._run.engine if self._run is not None else None

    @property
    def info(self) -> SourceInfo | None:
        return self._run.engine.info if self._run is not None else None

    @property
    def paced(self) -> bool:
        """The source follows real time (a sensor; a file or simulation at speed > 0), so it
        cannot wait long for a slow consumer; a speed-0 file or simulation can."""
        run = self._run
        speed = getattr(run.engine.source, "speed", None) if run is not None else None
        return not (isinstance(speed, int | float) and speed == 0)

    @property
    def polled_display_end(self) -> int:
        """Every display sample before this index was processed before the last :meth:`poll`
        drained the engine's messages: its contractions are in what that poll returned."""
        return self._run.polled_display_end if self._run is not None else 0

    @property
    def simulated(self) -> bool:
        info = self.info
        return info is not None and info.kind == "simulated"

    # -- user actions --------------------------------------------------------------------
    def set_line(self, value_uv: float | None) -> None:
        """Move the "relax below" line (µV RMS); ``None`` = back to automatic (μ + 1σ)."""
        if value_uv is not None and not (math.isfinite(value_uv) and value_uv > 0):
            raise ValueError(f"the line must be a positive number of µV, got {value_uv}")
        self._line_uv = value_uv
        if self._run is not None:
            self._run.engine.set_threshold_uv(value_uv)

    @property
    def line_is_manual(self) -> bool:
        return self._line_uv is not None

    def mark_rest(self, active: bool) -> None:
        if self._run is not None:
            self._run.engine.mark_rest(active)

    def set_notch(self, mains_hz: float | None) -> None:
        self.config = replace(self.config, emg=replace(self.config.emg, notch_hz=mains_hz))
        if self._run is not None:
            self._run.engine.set_notch(mains_hz)

    def add_marker(self, number: int, label: str = "") -> MarkerAdded | None:
        """A marker at "now" (number keys); in the recording when recording."""
        run = self._run
        if run is None:
            return None
        t = run.engine.add_marker(number, label)
        return MarkerAdded(number, label, self.display_time(t), run.engine.recorder is not None)

    def annotate(self, onset_s: float, duration_s: float, text: str) -> None:
        """An annotation in the recording (when recording), ``onset_s`` on the stream clock."""
        if self._run is not None:
            self._run.engine.annotate(onset_s, duration_s, text)

    def display_since(self, index: int, end: int | None = None
                      ) -> tuple[int, np.ndarray, np.ndarray]:
        """Display-rate (100 Hz) pelvic-floor envelope and meter states from absolute display
        index ``index`` on, up to ``end`` (exclusive; default: the newest), of what is still in
        the ring buffers: ``(first_index, env, codes)``. Both are read over the same indices,
        so each state stays with its envelope sample while the engine writes."""
        run = self._run
        if run is None:
            return index, np.zeros(0), np.zeros(0, dtype=np.uint8)
        e = run.engine
        newest = min(e.envelope.end_index, e.feedback.end_index)
        end = newest if end is None else min(end, newest)
        vi, env = e.envelope.between(index, end)
        fi, fb = e.feedback.between(index, end)
        m = min(len(vi), len(fi))  # the older end of one may have been overwritten meanwhile
        if not m:
            return max(index, end), np.zeros(0), np.zeros(0, dtype=np.uint8)
        env, fb = env[len(vi) - m:, 0], fb[len(fi) - m:, 0]
        codes = np.nan_to_num(fb, nan=0.0).astype(np.uint8)  # a gap: "no signal"
        return int(vi[len(vi) - m]), env, codes

    def pressure_since(self, index: int) -> tuple[int, np.ndarray]:
        """Filtered pressure (cmH2O) from absolute pressure index ``index`` on: ``(first, x)``."""
        run = self._run
        if run is None or run.engine.pressure_fs is None:
            return index, np.zeros(0)
        ring = run.engine.pressure
        pi, x = ring.latest(max(0, ring.end_index - index))
        return (int(pi[0]) if len(pi) else ring.end_index), x[:, 0]

    def start_recording(self, patient_code: str = "", output: Path | None = None, *,
                        overwrite: bool = False, max_duration_s: float | None = None,
                        settings: dict[str, Any] | None = None) -> Path:
        """Start the crash-safe recording; returns the journal path. Raises
        :class:`SessionError` (not streaming, a file source, or the recorder refused)."""
        run = self._run
        if run is None:
            raise SessionError("start streaming first, then record")
        if run.engine.info.kind == "replay":
            raise SessionError("a recording is already a file: nothing to record")
        _check_code(patient_code)
        try:
            journal = run.engine.start_recording(
                patient_code, output, overwrite=overwrite, max_duration_s=max_duration_s,
                settings={"source": run.spec, **(settings or {})})
        except RecordingError as exc:
            raise SessionError(str(exc)) from None
        run.recording_problem = ""
        self._pending.append(RecordingStarted(journal))
        return journal

    def stop_recording(self) -> Path | None:
        run = self._run
        if run is None or run.engine.recorder is None:
            return None
        try:
            path = run.engine.stop_recording()
        except RecordingError as exc:
            run.recording_problem = str(exc)
            raise SessionError(str(exc)) from None
        if path is not None:
            self._pending.append(RecordingSaved(path))
        return path

    @property
    def recording(self) -> bool:
        return self._run is not None and self._run.engine.recorder is not None

    @property
    def recorded_s(self) -> float:
        """Seconds of samples in the current recording (0 when not recording)."""
        rec = self._run.engine.recorder if self._run is not None else None
        return rec.elapsed_s if rec is not None else 0.0

    @property
    def recording_output(self) -> Path | None:
        """Where the current recording's final file will be written."""
        rec = self._run.engine.recorder if self._run is not None else None
        return rec.output_path if rec is not None else None

    @property
    def replay(self) -> ReplaySource | None:
        """The file transport (play/pause, speed, seek) when replaying, else ``None``."""
        if self._run is None:
            return None
        src = self._run.engine.source
        return src if isinstance(src, ReplaySource) else None

    def toggle_pause(self) -> bool:
        """Replay: pause or resume; returns True when now paused."""
        rp = self.replay
        if rp is None:
            return False
        if rp.paused:
            rp.resume()
        else:
            rp.pause()
        return rp.paused

    def seek_by(self, seconds: float) -> None:
        rp = self.replay
        if rp is not None:
            rp.seek(rp.position_s + seconds)

    # -- what happened ------------------------------------------------------------------
    def poll(self) -> list[SessionEvent]:
        """Events since the last call, in order (controlling thread)."""
        out, self._pending = self._pending, []
        run = self._run
        if run is None:
            return out
        done = run.engine.done_display_end  # before the drain: those samples' messages are in
        messages = run.engine.drain()
        if any(m.kind == "source" and isinstance(m.payload, SourceEvent)
               and m.payload.kind in (EventKind.END, EventKind.ERROR) for m in messages):
            done = run.engine.done_display_end  # the source's last block came before its end
        run.polled_display_end = max(run.polled_display_end, done)
        for msg in messages:
            if msg.kind == "contraction" and isinstance(msg.payload, ContractionEvent):
                ev = msg.payload
                if ev.complete and (not run.contractions or run.contractions[-1].id != ev.id):
                    run.contractions.append(ev)
                    out.append(ContractionFinished(ev, self.display_time(ev.onset_s)))
                elif ev.complete:
                    run.contractions[-1] = ev  # recovery found later: the same event, updated
            elif msg.kind == "sink_error":
                out += self._recording_failed(run, str(msg.payload))
            elif msg.kind == "source" and isinstance(msg.payload, SourceEvent):
                out += self._on_source_event(run, msg.payload)
        return out

    def _recording_failed(self, run: _Run, message: str) -> list[SessionEvent]:
        """Disk full, folder gone...: keep what was written, say so, keep the live view."""
        saved = None
        if run.engine.recorder is not None:
            try:
                saved = run.engine.stop_recording()
            except RecordingError as exc:
                message = f"{message}; {exc}"
        text = f"Recording stopped: {message}."
        if saved is not None:
            text += f" What was recorded until then is saved in {saved}."
        run.recording_problem = text
        return [RecordingFailed(text, saved)]

    def _on_source_event(self, run: _Run, ev: SourceEvent) -> list[SessionEvent]:
        out: list[SessionEvent] = [SourceEventReceived(ev)]
        kind = ev.kind
        new_link = None
        if kind is EventKind.DISCONNECTED:
            new_link = LinkState.DISCONNECTED
        elif kind is EventKind.RECONNECTING:
            new_link = LinkState.RECONNECTING
        elif kind is EventKind.CONNECTED:
            new_link = _SOURCE_LINK.get(run.engine.info.kind, LinkState.CONNECTED)
        elif kind is EventKind.END:
            new_link = LinkState.ENDED
            run.phase = SessionPhase.ENDED
            out.append(EndOfRecording(self.display_time(run.engine.emg_time_s)))
        elif kind is EventKind.ERROR:
            new_link = LinkState.FAILED
            run.phase = SessionPhase.FAILED
            run.error = ev.message
        elif kind is EventKind.GAP:
            run.gap_notice = (self.clock(), ev.message)
        elif kind is EventKind.ANNOTATION:
            onset = float(ev.detail.get("onset_s", ev.detail.get("time_s", 0.0)))
            ann = Annotation(onset, float(ev.detail.get("duration_s", 0.0)),
                             str(ev.detail.get("text", ev.message)))
            run.annotations.append(ann)
            out.append(FileAnnotation(ann))
        elif kind is EventKind.STATUS and "seek_s" in ev.detail:
            first = ev.detail.get("first_index", {})
            if isinstance(first, dict) and "emg" in first:
                run.anchors.append((int(first["emg"]), float(ev.detail["seek_s"])))
        if new_link is not None and new_link is not run.link:
            run.link, run.link_message = new_link, ev.message
            out.append(LinkChanged(new_link, ev.message))
        return out

    # -- what to show -------------------------------------------------------------------
    def display_time(self, stream_s: float) -> float:
        """Stream seconds → the time people see: file time in replay, else since start."""
        run = self._run
        if run is None or len(run.anchors) == 1:
            return stream_s
        fs = run.engine.emg_fs
        idx = int(round(stream_s * fs))
        i = max(0, int(np.searchsorted([a for a, _ in run.anchors], idx, side="right")) - 1)
        a_idx, a_s = run.anchors[i]
        return a_s + (idx - a_idx) / fs

    def _display_times(self, index: np.ndarray, fs: float) -> np.ndarray:
        run = self._run
        t = index / fs
        if run is None or len(run.anchors) == 1:
            return t
        emg_fs = run.engine.emg_fs
        starts = np.array([a / emg_fs for a, _ in run.anchors])
        offs = np.array([s - a / emg_fs for a, s in run.anchors])
        which = np.maximum(np.searchsorted(starts, t, side="right") - 1, 0)
        return t + offs[which]

    def link_state(self) -> LinkState:
        run = self._run
        if run is None:
            return LinkState.IDLE
        if run.link in (LinkState.DISCONNECTED, LinkState.RECONNECTING, LinkState.ENDED,
                        LinkState.FAILED):
            return run.link
        if self.stale():
            return LinkState.NOT_ANSWERING
        return run.link

    def stale(self) -> bool:
        """No samples for ``stale_after_s`` while they should be flowing."""
        run = self._run
        if run is None or run.phase is not SessionPhase.RUNNING:
            return False
        rp = self.replay
        if rp is not None and rp.paused:
            return False
        last = run.engine.last_block_at
        since = run.started_at if last is None else last
        return self.clock() - since > self.stale_after_s

    def phase(self) -> SessionPhase:
        run = self._run
        if run is None:
            return SessionPhase.IDLE
        rp = self.replay
        if run.phase is SessionPhase.RUNNING and rp is not None and rp.paused:
            return SessionPhase.PAUSED
        return run.phase

    def snapshot(self) -> LiveSnapshot:
        """Everything a view shows, at this moment (controlling thread)."""
        run = self._run
        if run is None or self._feedback is None:
            return LiveSnapshot(SessionPhase.IDLE, LinkState.IDLE, "", "", False, 0.0, None,
                                IDLE_VIEW, (), None, None, self._line_uv is not None)
        engine = run.engine
        status = engine.status()
        link = self.link_state()
        ok = link not in (LinkState.DISCONNECTED, LinkState.RECONNECTING,
                          LinkState.NOT_ANSWERING, LinkState.FAILED)
        lead_off = bool(status.quality & QualityFlag.FLAT)  # probe out or leads off
        meter = self._feedback.view(status, signal_ok=ok and not lead_off,
                                    no_signal_detail=_no_signal_detail(link, lead_off))
        if run.phase is SessionPhase.ENDED:
            meter = replace(IDLE_VIEW, headline="End of recording" if engine.info.kind ==
                            "replay" else "Finished", detail="press Start to play it again")
        rec = engine.recorder
        replay = None
        rp = self.replay
        if rp is not None:
            replay = ReplayPosition(rp.position_s, rp.duration_s, rp.paused, rp.speed)
        return LiveSnapshot(
            phase=self.phase(), link=link, source_name=engine.info.name,
            source_kind=engine.info.kind, simulated=engine.info.kind == "simulated",
            time_s=self.display_time(engine.emg_time_s), status=status, meter=meter,
            notices=self._notices(run, link, status, lead_off),
            recording_journal=rec.journal_path if rec is not None else None,
            replay=replay, line_is_manual=self._line_uv is not None,
        )

    def _notices(self, run: _Run, link: LinkState, st: ProcessorStatus,
                 lead_off: bool) -> tuple[Notice, ...]:
        out: list[Notice] = []
        if link is LinkState.DISCONNECTED:
            out.append(Notice(NoticeKind.DISCONNECTED, "The sensor is disconnected: check the "
                              "cable. Streaming resumes by itself when it is back."))
        elif link is LinkState.RECONNECTING:
            out.append(Notice(NoticeKind.RECONNECTING, "Reconnecting to the sensor… Check the "
                              "cable and that the sensor is switched on; nothing is lost "
                              "meanwhile (the gap is marked)."))
        elif link is LinkState.NOT_ANSWERING:
            out.append(Notice(NoticeKind.NOT_ANSWERING, "The sensor is not answering: no "
                              "samples for over a second. Check the cable and the sensor."))
        if run.phase is SessionPhase.FAILED:
            out.append(Notice(NoticeKind.SOURCE_ERROR, run.error or "The source stopped."))
        if run.recording_problem:
            out.append(Notice(NoticeKind.RECORDING, run.recording_problem))
        for problem in (*run.subscriber_problems,
                        *(getattr(s, "problem", "") for s in run.subscribers.values())):
            if problem:
                out.append(Notice(NoticeKind.OUTLET, problem))
        if lead_off and link not in (LinkState.DISCONNECTED, LinkState.NOT_ANSWERING):
            out.append(Notice(NoticeKind.QUALITY, "The electrodes seem off or the signal is "
                              "flat: check that the probe sits well."))
        if st.strain:
            out.append(Notice(NoticeKind.STRAIN, "That looks like pushing down (bearing "
                              "down): no need to push. Let your belly go soft and let the "
                              "breath go."))
        if st.quality != QualityFlag.OK and not lead_off:
            out.append(Notice(NoticeKind.QUALITY, quality_text(st.quality)))
        if st.suggestion:
            out.append(Notice(NoticeKind.HUM, suggestion_text(st.suggestion, st.hum_hz)))
        if run.gap_notice is not None:
            at, text = run.gap_notice
            if self.clock() - at <= GAP_NOTICE_S:
                out.append(Notice(NoticeKind.GAP, text))
        return tuple(sorted(out, key=lambda n: n.kind.priority))

    def traces(self, window_s: float, *, emg: bool = True) -> Traces:
        """The last ``window_s`` seconds of every trace, on the display clock (NaN = gap).

        ``emg=False`` leaves the raw EMG out (empty): it is the largest copy (2 kHz × channels),
        and a view that redraws it every other frame need not fetch it every frame."""
        run = self._run
        if run is None:
            z = np.zeros(0)
            return Traces(z, np.zeros((0, 1)), z, np.zeros((0, 1)), z, z, np.zeros((0, 1)))
        e = run.engine
        ei, emg_data = e.emg.latest(int(window_s * e.emg_fs) if emg else 0)
        vi, env = e.envelope.latest(int(window_s * DISPLAY_HZ))
        _, fb = e.feedback.latest(int(window_s * DISPLAY_HZ))
        pfs = e.pressure_fs or 1.0
        pi, pressure = e.pressure.latest(int(window_s * pfs))
        return Traces(self._display_times(ei, e.emg_fs), emg_data,
                      self._display_times(vi, DISPLAY_HZ),
                      env, fb[:, 0] if fb.size else np.zeros(0),
                      self._display_times(pi, pfs), pressure)

    def contractions(self) -> list[ContractionEvent]:
        """Contractions finished so far (stream clock; :meth:`display_time` maps them)."""
        return list(self._run.contractions) if self._run is not None else []

    def file_overview(self, bins: int = 2000) -> FileOverview | None:
        """Replay: the whole file's activity and annotations for the overview strip."""
        rp = self.replay
        return file_overview(rp.reader, bins, self.config) if rp is not None else None

    def start_file_overview(self, bins: int = 2000) -> OverviewJob | None:
        """Replay: :meth:`file_overview` on a worker thread (the window polls ``done``), so an
        hour of CSV does not freeze the window. :meth:`stop` cancels it."""
        rp = self.replay
        if rp is None:
            return None
        self._cancel_overview()
        self._overview = OverviewJob(rp.reader, bins, self.config)
        return self._overview

    def _cancel_overview(self) -> None:
        job, self._overview = self._overview, None
        if job is not None and not job.done:
            job.cancel()

    def file_annotations(self) -> list[Annotation]:
        """Replay: every annotation stored in the file (markers, steps, contractions)."""
        rp = self.replay
        return list(rp.reader.annotations) if rp is not None else []


def _check_code(code: str) -> None:
    """Pseudonymous codes only: a name or a date of birth never reaches a file."""
    problem = patient_code_problem(code)
    if problem:
        raise SessionError(problem)


def _close_sink(sink: BlockConsumer) -> None:
    close = getattr(sink, "close", None)
    if close is not None:
        close()


def _no_signal_detail(link: LinkState, lead_off: bool) -> str:
    return {
        LinkState.DISCONNECTED: "the sensor is disconnected",
        LinkState.RECONNECTING: "reconnecting to the sensor…",
        LinkState.NOT_ANSWERING: "the sensor is not answering",
        LinkState.FAILED: "the source stopped",
    }.get(link, "check that the probe sits well" if lead_off else "")


def explain_start_failure(spec: str, exc: BaseException) -> str:
    """One line a person can act on (what to check), never the errno twice."""
    text = str(exc).strip() or type(exc).__name__
    kind, _, arg = spec.partition(":")
    is_port = kind == "serial" or spec.startswith("/dev/") or spec.upper().startswith("COM")
    if is_port:
        port = arg if kind == "serial" else spec
        low = text.lower()
        if "permission" in low or "errno 13" in low:
            advice = ("permission denied: add your account to the 'dialout' group "
                      "(then log out and in again) or ask your administrator")
        elif "no such file" in low or "errno 2" in low or "could not open" in low:
            advice = "no such port: check the cable and that the sensor is switched on"
        else:
            advice = _strip_prefix(text, port)
        return f"Could not open the sensor on {port}: {advice}. Ports found: {_ports()}."
    if isinstance(exc, KeyError):
        return f"{_strip_prefix(spec, 'replay:')}: the recording has no {text} stream"
    return text


def _strip_prefix(text: str, port: str) -> str:
    for prefix in (f"cannot use sensor on {port}: ", f"could not open port {port}: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


def _ports() -> str:
    try:
        from serial.tools import list_ports

        names = sorted(p.device for p in list_ports.comports())
    except Exception:  # listing ports is advice only; never fail the message on it
        names = []
    return ", ".join(names) if names else "none"


@dataclass(frozen=True)
class LiveSnapshot:
    """A typed status snapshot of the live session (see :meth:`LiveSession.snapshot`)."""

    phase: SessionPhase
    link: LinkState
    source_name: str
    source_kind: str  # "simulated", "serial", "replay" ("" when idle)
    simulated: bool  # made-up data: every view must say so
    time_s: float  # display clock (file time in replay)
    status: ProcessorStatus | None
    meter: MeterView
    notices: tuple[Notice, ...]  # most important first
    recording_journal: Path | None
    replay: ReplayPosition | None
    line_is_manual: bool = False

    @property
    def notice(self) -> Notice | None:
        return self.notices[0] if self.notices else None


__all__ = ["STALE_AFTER_S", "LiveSession", "LiveSnapshot", "RecordingRequest",
           "explain_start_failure"]
