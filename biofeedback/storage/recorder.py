"""Record a live session: a crash-safe journal while it runs, an EDF+/BDF+ file when it ends.

:class:`Recorder` is a :class:`~biofeedback.devices.base.BlockConsumer`: the acquisition thread
calls :meth:`Recorder.on_block` / :meth:`Recorder.on_event`, which only copy and enqueue. A
writer thread owns the journal (:mod:`biofeedback.storage.journal`) and fsyncs it at least every
``sync_interval_s``, so a crash, ``kill -9`` or power cut loses at most that much. On a disk
error (full disk, folder gone or read-only) it stops, keeps everything already synced, sets
:attr:`Recorder.error` and calls ``on_error``; later ``on_block`` calls raise
:class:`RecordingError`, which the acquisition engine turns into a "recording stopped" message.

Times: annotation onsets passed in are on the *source's sample clock* (``first_index / fs``,
the clock of every block and detector event); the file's time zero is the first recorded sample.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from biofeedback import __version__
from biofeedback.formats import bfrec
from biofeedback.formats.edf import format_for
from biofeedback.formats.errors import FormatError, UserError
from biofeedback.formats.vocabulary import clean_label, device, marker
from biofeedback.storage.journal import JournalWriter, describe_os_error
from biofeedback.storage.paths import recordings_dir, safe_name
from biofeedback.streams import Annotation, EventKind, SampleBlock, SourceEvent, SourceInfo

_STOP = object()
_EVENT_TEXT = {
    EventKind.DISCONNECTED: "disconnected",
    EventKind.RECONNECTING: "reconnecting",
    EventKind.ERROR: "error",
    EventKind.END: "end",
}


class RecordingError(UserError, RuntimeError):
    """Recording could not start or had to stop; the message is meant for the user."""


class Recorder:
    """Journal every block and annotation of one session; produce the final file on :meth:`finish`.

    ``output``: the final ``.bdf`` (default, 24-bit) or ``.edf`` file; default
    ``<data dir>/recordings/<start>-<patient>.bdf``. The journal always lives in
    ``<data dir>/recordings`` (or ``folder``) so the next start can find it after a crash.
    ``max_duration_s`` drops samples beyond that length (``biofeedback record --duration``).
    """

    def __init__(
        self,
        info: SourceInfo,
        output: Path | str | None = None,
        *,
        patient_code: str = "",
        settings: Mapping[str, Any] | None = None,
        folder: Path | None = None,
        overwrite: bool = False,
        sync_interval_s: float = 0.5,
        max_duration_s: float | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.info = info
        self.patient_code = safe_name(patient_code, 32)
        self.settings = dict(settings or {})
        self.started_at = datetime.datetime.now().replace(microsecond=0)
        self._folder = folder
        self._overwrite = overwrite
        self._output = Path(output) if output is not None else None
        self._sync_interval_s = sync_interval_s
        self.max_duration_s = max_duration_s
        self.on_error = on_error
        self.error: str | None = None
        self._reason = ""
        self.journal_path: Path | None = None
        self.output_path: Path | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._journal: JournalWriter | None = None
        self._stream_no = {s.name: i for i, s in enumerate(info.streams)}
        self._fs = {s.name: s.fs for s in info.streams}
        self._t0: float | None = None  # source-clock time of the file's first sample
        self._base: dict[str, int] = {}
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()
        self._now_s = 0.0
        self.blocks_written = 0
        self.finished = False
        self.stopped_at_s: float | None = None  # recording time when a disk error stopped it

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> Path:
        """Create the journal and the writer thread; raise :class:`RecordingError` if impossible.

        Refused before anything is recorded: a missing, unwritable or read-only output folder,
        an existing output (unless ``overwrite``), a data folder where the journal cannot be
        created or written.
        """
        journal: Path | None = None
        try:
            folder = self._folder or recordings_dir()
            stem = self.started_at.strftime("%Y%m%d-%H%M%S") + (
                f"-{self.patient_code}" if self.patient_code else "")
            output = self._output or folder / f"{stem}.bdf"
            n = 1
            while self._output is None and (output.exists() or output.with_suffix(".bfrec")
                                            .exists()):
                n += 1  # two recordings started within the same second: a new name, not a clash
                output = folder / f"{stem}-{n}.bdf"
            stem = output.stem if self._output is None else stem
            format_for(output)
            if not output.parent.is_dir():
                raise RecordingError(f"{output.parent}: folder does not exist")
            if output.exists() and not self._overwrite:
                raise RecordingError(f"{output} already exists; choose another name")
            _probe_writable(output.parent)
            journal = folder / f"{stem}.bfrec"
            k = 1
            while journal.exists():
                k += 1
                journal = folder / f"{stem}-{k}.bfrec"
            header = bfrec.header_payload(
                self.info.streams,
                patient_code=self.patient_code,
                start_time=self.started_at.isoformat(),
                settings=self.settings,
                target=str(output.absolute()),
                overwrite=self._overwrite,
                recording_id=uuid.uuid4().hex,
                software=f"biofeedback {__version__}",
                source={"name": self.info.name, "kind": self.info.kind,
                        "serial": self.info.serial_number, "firmware": self.info.firmware},
            )
            self._journal = JournalWriter(journal, header, self._sync_interval_s)
        except FormatError as exc:
            raise RecordingError(str(exc)) from None
        except OSError as exc:
            if exc.filename:
                where = Path(exc.filename)
            elif journal is not None:  # e.g. ENOSPC writing the journal's first bytes
                where = journal
            else:
                where = self._folder or Path(".")
            raise RecordingError(f"cannot start recording: {describe_os_error(exc, where)}") \
                from None
        self.journal_path, self.output_path = journal, output
        self._thread = threading.Thread(target=self._writer_main, name="recorder", daemon=True)
        self._thread.start()
        return journal

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def elapsed_s(self) -> float:
        """Recording time of the latest sample received (seconds since the first one)."""
        with self._lock:
            return self._now_s

    @property
    def bytes_written(self) -> int:
        return self._journal.bytes_written if self._journal else 0

    def finish(self, timeout: float = 60.0) -> Path:
        """Stop, then write the final EDF+/BDF+ from the journal and delete the journal.

        After a disk error it still tries to convert what the journal holds. If the final file
        cannot be written the journal is kept (recovered at the next start) and
        :class:`RecordingError` says so.
        """
        if self.finished and self.output_path is not None:
            return self.output_path
        if self._thread is None or self.journal_path is None or self.output_path is None:
            raise RecordingError("recording was never started")
        self._queue.put(_STOP)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RecordingError("the recording writer did not stop; the journal is kept")
        from biofeedback.storage.recovery import convert_journal

        extra = []
        if self.error:
            extra.append(Annotation(self.elapsed_s, 0.0, f"recording:stopped ({self._reason})"))
        journal = self._journal
        try:  # the journal stays locked until it is converted and deleted (or kept)
            try:
                path = convert_journal(self.journal_path, self.output_path,
                                       overwrite=self._overwrite, extra=extra, private=True)
            except (FormatError, OSError) as exc:
                problem = exc.problem if isinstance(exc, FormatError) else \
                    describe_os_error(exc, self.output_path)
                raise RecordingError(f"could not write {self.output_path}: {problem}; the "
                                     f"journal {self.journal_path} is kept and will be "
                                     "recovered") from None
            self.journal_path.unlink(missing_ok=True)
        finally:
            if journal is not None:
                journal.abandon()
        self.finished = True
        return path

    # -- BlockConsumer (acquisition thread: copy and enqueue only) -------------------------
    def on_block(self, block: SampleBlock) -> None:
        if self.error:
            raise RecordingError(self.error)
        self._queue.put(("block", block.stream, block.first_index, int(block.flags),
                         block.data.copy()))

    def on_event(self, event: SourceEvent) -> None:
        if self.error:
            return
        if event.kind is EventKind.ANNOTATION:
            onset = event.detail.get("time_s")
            self.add_annotation(None if onset is None else float(onset),
                                float(event.detail.get("duration_s", 0.0)),
                                str(event.detail.get("text", event.message)))
        elif event.kind in _EVENT_TEXT:
            self._queue.put(("annotation", None, 0.0, device(_EVENT_TEXT[event.kind])))
        elif event.kind is EventKind.CONNECTED and self._t0 is not None:
            self._queue.put(("annotation", None, 0.0, device("connected")))

    # -- annotations and settings (any thread) ----------------------------------------------
    def add_annotation(self, onset_s: float | None, duration_s: float, text: str) -> None:
        """Annotate the recording; ``onset_s`` on the source's sample clock, ``None`` = now."""
        self._queue.put(("annotation", onset_s, max(0.0, float(duration_s)),
                         clean_label(text, 200)))

    def add_marker(self, number: int, label: str = "", onset_s: float | None = None) -> None:
        """A user marker from a number key (``marker:<n>:<label>``)."""
        self.add_annotation(onset_s, 0.0, marker(number, label))

    def update_settings(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)
        self._queue.put(("settings", dict(settings)))

    # -- writer thread -------------------------------------------------------------------
    def _writer_main(self) -> None:
        journal = self._journal
        assert journal is not None
        try:
            while True:
                try:
                    item = self._queue.get(timeout=min(0.1, self._sync_interval_s))
                except queue.Empty:
                    item = None
                if item is _STOP:
                    journal.end({"reason": "stopped", "blocks": self.blocks_written})
                    return
                if item is not None:
                    self._handle(journal, item)
                journal.maybe_sync()
        except OSError as exc:
            journal.discard_pending()  # keep the lock: finish() converts what was synced
            self._fail(describe_os_error(exc, journal.path))
        except Exception as exc:  # never die silently: the user must know recording stopped
            journal.discard_pending()
            self._fail(f"an internal error ({type(exc).__name__})")

    def _handle(self, journal: JournalWriter, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == "block":
            _, stream, first, flags, data = item
            self._write_block(journal, stream, first, flags, data)
        elif kind == "annotation":
            _, onset, duration, text = item
            if onset is None:
                t = self.elapsed_s
            else:
                t = max(0.0, onset - (self._t0 if self._t0 is not None else onset))
            journal.write_json(bfrec.ANNOTATION, {"onset": round(t, 6), "duration": duration,
                                                  "text": text})
        elif kind == "settings":
            journal.write_json(bfrec.SETTINGS, item[1])

    def _write_block(self, journal: JournalWriter, stream: str, first: int, flags: int,
                     data: Any) -> None:
        no = self._stream_no.get(stream)
        if no is None or len(data) == 0:
            return
        fs = self._fs[stream]
        if self._t0 is None:
            self._t0 = first / fs
        if stream not in self._base:
            self._base[stream] = int(round(self._t0 * fs))
            self._next[stream] = 0
        index = first - self._base[stream]
        if index < self._next[stream] - len(data):  # the device counter went back: it rebooted
            self._base[stream] = first - self._next[stream]
            index = self._next[stream]
            t = self._next[stream] / fs
            journal.write_json(bfrec.ANNOTATION, {"onset": t, "duration": 0.0,
                                                  "text": device("restarted")})
        if index < 0:
            data, index = data[-index:], 0
        if self.max_duration_s is not None:  # stop exactly at the requested length
            data = data[: max(0, int(round(self.max_duration_s * fs)) - index)]
        if len(data) == 0:
            return
        journal.write_block(no, index, flags, data)
        self.blocks_written += 1
        self._next[stream] = max(self._next[stream], index + len(data))
        with self._lock:
            self._now_s = max(self._now_s, (index + len(data)) / fs)

    @property
    def state(self) -> str:
        """``"idle"`` (not started), ``"recording"``, ``"error"`` (stopped early: see
        :attr:`error` and :attr:`stopped_at_s`; streaming may go on) or ``"finished"``."""
        if self.finished:
            return "finished"
        if self.error is not None:
            return "error"
        return "recording" if self._thread is not None else "idle"

    def _fail(self, message: str) -> None:
        self._reason = message
        self.stopped_at_s = self.elapsed_s
        self.error = (f"Recording stopped early at {self.stopped_at_s:.1f} s: {message}. "
                      "What was recorded until then is kept.")
        if self.on_error is not None:
            # the callback is the UI's; its failure must not hide ours
            with contextlib.suppress(Exception):
                self.on_error(self.error)


def _probe_writable(folder: Path) -> None:
    """Create and delete a file in ``folder``: the only test that also catches read-only
    mounts, ACLs and quotas (``os.access`` does not); raises ``OSError`` naming the folder."""
    probe = folder / f".biofeedback-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        exc.filename = str(folder)
        raise
    os.close(fd)
    with contextlib.suppress(OSError):
        probe.unlink()
