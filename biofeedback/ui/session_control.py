"""Runs a guided session in the window: the :class:`~biofeedback.app.guided.GuidedSession`,
its views (the clinician's and, when open, the patient view's calm one) and the target bands.

The window's one refresh timer calls :meth:`GuidedController.frame` with the events it polled
(the same loop as ``biofeedback session run``), so the session advances on the sample clock
and nothing here has a timer of its own. Starting a session starts streaming and recording
when needed; **End session** and **Stop, I'm in pain** end the guided session only: the
recording goes on until the clinician stops it (a session that runs to its end saves the
recording it started). At the end the summary replaces the runner, compared with the
patient's last finished session of the same protocol, and the session is kept in the
patient's records, from which the next session's line shaping comes
(``app/session_history.py``). The tone and breathing-pace choices are kept in the preferences.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from biofeedback.app.guided import GuidedSession
from biofeedback.app.live_session import LiveSnapshot
from biofeedback.app.live_types import SessionError, SessionPhase
from biofeedback.app.session_history import (
    default_records,
    keep_session,
    previous_session,
    shaping_factor,
)
from biofeedback.sessions.loader import ProtocolError, load_protocol
from biofeedback.sessions.protocol import Pacer, Protocol, StepKind
from biofeedback.sessions.results import SessionResult
from biofeedback.sessions.runner import RunnerEvent, RunnerState, SessionEnded
from biofeedback.storage.records import RecordsError, Repository
from biofeedback.ui.protocol_chooser import ProtocolChooser, ask_protocol_file
from biofeedback.ui.session_view import SessionView, step_pacer
from biofeedback.ui.target_band import TargetBand, target_words
from biofeedback.ui.tone_controls import SessionTone, ToneChoice

if TYPE_CHECKING:
    from biofeedback.ui.main_window import MainWindow

log = logging.getLogger(__name__)
SOURCE_ENDED = "the source ended before the protocol did"
SUMMARY_STRETCH = 2  # the summary takes more of the window than the runner


@dataclass(frozen=True)
class FinishedSession:
    """What :attr:`GuidedController.finished` carries (the clinic stores it in the records)."""

    result: SessionResult
    protocol: Protocol
    started: dt.datetime
    recording: Path | None  # the recording the session started and saved, if any


class GuidedController(QObject):
    """One guided session at a time in ``win``; see the module docstring."""

    finished = pyqtSignal(object)  # FinishedSession, once per session, at its end

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.guided: GuidedSession | None = None
        self.protocol: Protocol | None = None
        self.previous: SessionResult | None = None
        self.view: SessionView | None = None  # the clinician's
        self.patient: SessionView | None = None  # the patient view's calm variant
        self.bands: list[TargetBand] = []
        self._patient_host: QWidget | None = None
        self._started_recording = False
        self._saved: str = ""
        self._ended = False
        self._started_at = dt.datetime.now(dt.UTC)
        self.shaping = 1.0  # the line's tightening for this session (from the records)
        # where the patient's sessions are kept: the default records file (clinic), or the
        # home window's open database; "clinic" or "home" in the stored session
        self.records: Callable[[str], AbstractContextManager[Repository | None]] = \
            default_records
        self.origin = "clinic"
        # home: every session's recording is saved when it ends (no one is there to press
        # Stop recording); clinic: only a whole session's, the clinician decides the rest
        self.save_recording_always = False
        p = win.prefs
        self.tone = SessionTone(self)
        self.tone.choice = ToneChoice(p.tone_on, p.tone_volume, p.tone_muted,
                                      p.tone_silent_below)
        self.tone.chosen.connect(self._keep_tone)

    # -- state -------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """A guided session is running (not yet at its summary)."""
        return self.guided is not None and not self.guided.finished

    @property
    def result(self) -> SessionResult | None:
        return self.guided.result if self.guided is not None else None

    def views(self) -> list[SessionView]:
        return [v for v in (self.view, self.patient) if v is not None]

    # -- starting ----------------------------------------------------------------------
    def choose(self) -> bool:
        """The "Guided session…" action: pick a built-in protocol or a file."""
        dialog = ProtocolChooser(self.win)
        if not dialog.exec() or not dialog.choice:
            return False
        return self.begin_named(dialog.choice)

    def open_file(self) -> bool:
        """The "Open protocol file…" action."""
        path = ask_protocol_file(self.win)
        return self.begin_named(path) if path else False

    def begin_named(self, name_or_path: str) -> bool:
        """Load and run a protocol; a bad file says its one-line error in the banner."""
        try:
            protocol = load_protocol(name_or_path)
        except ProtocolError as exc:
            self.win.banner.set_message(str(exc))
            return False
        return self.begin(protocol)

    def begin(self, protocol: Protocol) -> bool:
        win = self.win
        if self.active:
            self.stop("stopped")
        self.close()
        live = win.session
        idle = not live.running or live.phase() in (SessionPhase.ENDED, SessionPhase.FAILED)
        if idle and not win.start():
            return False
        self._started_recording, self._saved = False, ""
        if not live.recording and live.replay is None and win.controls.record_button.isEnabled():
            win.toggle_record()
            self._started_recording = live.recording
        with self.records(self.patient_code()) as repo:
            self.shaping = shaping_factor(repo, self.patient_code(), protocol)
            previous = previous_session(repo, self.patient_code(), protocol.name)
        try:
            guided = GuidedSession(live, protocol, shaping=self.shaping)
        except SessionError as exc:
            win.banner.set_message(f"Could not start the session: {exc}")
            return False
        self.guided, self.protocol, self._ended = guided, protocol, False
        self._started_at = dt.datetime.now(dt.UTC)
        self.previous = previous
        self.tone.start()
        self.view = self._make_view(calm=False)
        self._place(self.view, win.session_area)
        self.bands = [TargetBand(win.plots, win.meter)]
        self._attach_patient_view()
        # a session that started the stream starts with its first sample
        self._handle(guided.start(0 if idle else None))
        win.statusBar().showMessage(f"Guided session: {protocol.title}"
                                    + ("" if live.recording else " (not recording)"))
        self._show(win.session.snapshot())
        return True

    def _make_view(self, calm: bool) -> SessionView:
        v = SessionView(calm=calm)
        assert self.protocol is not None
        v.begin(self.protocol)
        v.pause_clicked.connect(self.toggle_pause)
        v.stop_clicked.connect(lambda: self.stop("stopped"))
        v.pain_clicked.connect(lambda: self.stop("pain"))
        v.answered.connect(self.answer)
        v.rating_selected.connect(self._sync_selection)
        v.close_clicked.connect(self.close)
        self.tone.attach(v.tone)
        if not calm:
            p = self.win.prefs
            v.pacer_choice.select(Pacer(p.pacer_inhale_s, p.pacer_exhale_s)
                                  if p.pacer_inhale_s and p.pacer_exhale_s else None)
            v.pacer_choice.currentIndexChanged.connect(lambda _i: self._keep_pace(v))
        return v

    def patient_code(self) -> str:
        return self.win.controls.patient_edit.text().strip()

    def _keep_tone(self, c: ToneChoice) -> None:
        p = self.win.prefs
        p.tone_on, p.tone_volume, p.tone_muted, p.tone_silent_below = (
            c.on, c.volume, c.muted, c.silent_below_line)
        self.win.save_preferences()

    def _keep_pace(self, view: SessionView) -> None:
        data = view.pacer_choice.currentData()
        p = self.win.prefs
        p.pacer_inhale_s, p.pacer_exhale_s = ((data.inhale_s, data.exhale_s)
                                              if isinstance(data, Pacer) else (None, None))
        self.win.save_preferences()

    @staticmethod
    def _place(view: SessionView, area: QWidget) -> None:
        layout = area.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.addWidget(view)
        area.show()
        _set_stretch(area, 0)

    def _attach_patient_view(self) -> None:
        """Give an open patient view the calm variant (it may be opened mid-session)."""
        pv = self.win.patient_view
        if pv is None or self.guided is None or pv is self._patient_host:
            return
        self._patient_host = pv
        self.patient = self._make_view(calm=True)
        self._place(self.patient, pv.session_area)
        self.bands.append(TargetBand(pv.plots, pv.meter))
        if self._ended and self.result is not None:
            self._show_end(self.result)

    # -- every frame -------------------------------------------------------------------
    def frame(self, live_events: Sequence[object], snap: LiveSnapshot) -> None:
        """The window's refresh: feed what was polled, then show the step."""
        g = self.guided
        if g is None:
            return
        self._attach_patient_view()
        if not g.finished:
            events = g.update(live_events)
            if snap.phase in (SessionPhase.ENDED, SessionPhase.FAILED) and not g.finished:
                events += g.update(())  # what arrived with the end
                if not g.finished:
                    events += g.stop(SOURCE_ENDED)
            self._handle(events)
        self._show(snap)

    def _show(self, snap: LiveSnapshot) -> None:
        g = self.guided
        if g is None or g.finished:
            return
        sv = g.view()
        if sv is None:
            return
        status = snap.status
        max_known = status is not None and status.max_uv > 0
        pacer = step_pacer(sv.step)
        if pacer is not None and self.view is not None:
            pacer = self.view.pacer_choice.chosen(pacer)
        words = target_words(sv.step, max_known)
        for v in self.views():
            v.show_step(sv, g.runner.relaxed_run_s, pacer, words)
        for band in self.bands:
            band.show(None if sv.waiting else sv.step, status)
        self.tone.feed(snap.meter, snap.time_s, sv.paused)

    def _handle(self, events: Sequence[RunnerEvent]) -> None:
        if any(isinstance(e, SessionEnded) for e in events) and not self._ended:
            self._end()
        elif self.view is not None and self.guided is not None:
            st = self.guided.runner.step
            if st is not None:
                own = step_pacer(st)
                if own is not None:
                    self.view.pacer_choice.set_protocol_pacer(own)
                if st.kind is StepKind.RATING:
                    self.view.rating.setFocus()  # Enter confirms; digits pick a rating

    # -- the person's actions ----------------------------------------------------------
    def toggle_pause(self) -> None:
        g = self.guided
        if g is None or g.finished:
            return
        if g.runner.state is RunnerState.PAUSED:
            g.resume()
        else:
            g.pause()
        self._show(self.win.session.snapshot())

    def answer(self, value: object) -> None:
        g = self.guided
        if g is None or g.runner.state is not RunnerState.WAITING:
            return  # the other view answered first
        self._handle(g.answer(float(value) if isinstance(value, int | float) else None))
        self._show(self.win.session.snapshot())

    def take_digit(self, digit: int) -> bool:
        """A number key while a rating is asked picks the rating (not a marker)."""
        g = self.guided
        st = g.runner.step if g is not None else None
        if (g is None or st is None or st.kind is not StepKind.RATING
                or g.runner.state is not RunnerState.WAITING):
            return False
        for v in self.views():
            v.rating.press_digit(digit)
        return True

    def _sync_selection(self, value: float) -> None:
        for v in self.views():
            v.rating.select(value)

    def stop(self, reason: str = "stopped") -> None:
        """End the guided session now (``"pain"``: the pain button); the recording goes on."""
        g = self.guided
        if g is None or g.finished:
            return
        self._handle(g.stop(reason))

    # -- the end -----------------------------------------------------------------------
    def _end(self) -> None:
        self._ended = True
        result = self.result
        if result is None:
            return
        win = self.win
        for band in self.bands:
            band.show(None, None)
        self.tone.stop()
        whole = result.ended == "finished" or self.save_recording_always
        if whole and self._started_recording and win.session.recording:
            output = win.session.recording_output
            win.toggle_record()  # a whole session: its recording is complete, save it
            saved = output is not None and not win.session.recording
            self._saved = str(output) if saved else ""
        self._keep(result)
        self._show_end(result)
        win.statusBar().showMessage(f"Guided session ended: {result.ended}")
        if self.protocol is not None:
            self.finished.emit(FinishedSession(result, self.protocol, self._started_at,
                                               Path(self._saved) if self._saved else None))

    def _keep(self, result: SessionResult) -> None:
        """Into the patient's records (with its recording when it was saved). In the clinic
        the Patients link stores it (``ui/clinic/link.py``, from :attr:`finished`): one
        place per mode, so a session is never stored twice."""
        assert self.protocol is not None
        if self.origin == "clinic":
            return
        code = self.patient_code()
        try:
            with self.records(code) as repo:
                keep_session(repo, code, result, self.protocol, origin=self.origin,
                             recording=Path(self._saved) if self._saved else None)
        except (RecordsError, OSError) as exc:
            log.warning("the session could not be kept in the records: %s", exc)
            self.win.banner.set_message(f"This session could not be kept in the records: {exc}")

    def _show_end(self, result: SessionResult) -> None:
        live = self.win.session
        note = ("Still recording: press \u25a0 Stop recording (Ctrl+R) when you are done."
                if live.recording else f"The recording of this session is saved: {self._saved}"
                if self._saved else "")
        safety = self.protocol.safety if result.ended == "pain" and self.protocol else None
        for v in self.views():
            v.show_end(result, self.previous, note, safety)
            area = v.parentWidget()
            if area is not None:
                _set_stretch(area, SUMMARY_STRETCH)

    def close(self) -> None:
        """Leave the summary (or abandon the views): back to the plain live view."""
        if self.active:
            self.stop("stopped")
        self.tone.stop()
        self.tone.detach_all()
        for band in self.bands:
            band.remove()
        self.bands = []
        for v in self.views():
            area = v.parentWidget()
            v.hide()
            v.setParent(None)
            v.deleteLater()
            if area is not None:
                area.hide()
        self.view = self.patient = None
        self._patient_host = None
        self.guided = None
        centre = self.win.centralWidget()
        if centre is not None:
            centre.setFocus()  # digits are markers again


def _set_stretch(area: QWidget, stretch: int) -> None:
    parent = area.parentWidget()
    layout = parent.layout() if parent is not None else None
    if layout is not None and hasattr(layout, "setStretchFactor"):
        layout.setStretchFactor(area, stretch)


__all__ = ["FinishedSession", "GuidedController"]
