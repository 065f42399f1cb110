"""The guided-session runner view: what to do now, for how long, and how to stop.

One large instruction, the step's name and "step 3 of 24", a thin bar through the steps, a
countdown (or "relaxed for 4 of 10 s" for a step that ends once the person has let go), the
breathing pacer on breathing steps, the target in words, a rating panel in place of the
instruction when a rating is asked (inline: streaming and recording go on), **Pause**,
**End session** (one click; the recording goes on) and a distinct **Stop, I'm in pain**,
which ends the session and shows the protocol's safety text calmly.

``calm=True`` is the patient view's variant: larger type, a larger pacer, fewer controls (no
pacer choice, no tone settings) and the summary in words only. The view only shows what
:class:`~biofeedback.ui.session_control.GuidedController` gives it and reports clicks by
signals, so the clinician's and the patient's views can never disagree.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.guided import StepView
from biofeedback.sessions.protocol import Pacer, Protocol, Step, StepKind
from biofeedback.sessions.results import SessionResult
from biofeedback.ui import theme
from biofeedback.ui.breathing_pacer import BreathingPacer, PacerChoice
from biofeedback.ui.rating_dialog import RatingPanel
from biofeedback.ui.session_summary import SessionSummaryView
from biofeedback.ui.tone_controls import ToneControls
from biofeedback.ui.window_parts import set_text

PAUSE_TEXT, RESUME_TEXT = "Pause", "Resume"
PAIN_TEXT = "Stop, I\u2019m in pain"
SAFETY_OPENING = "You did the right thing to stop. Rest now and breathe gently."
CONTACT = "Please contact your clinician before your next practice."


def _style(instr: int, step: int, clock: int, button: int) -> str:
    return f"""
QPushButton {{ font-size: {button}pt; }}
QLabel#sessionInstruction {{ font-size: {instr}pt; }}
QLabel#sessionStep {{ font-size: {step}pt; font-weight: 600; }}
QLabel#sessionCount {{ color: {theme.MUTED}; }}
QLabel#sessionClock {{ font-size: {clock}pt; font-weight: 600; color: {theme.BLUE}; }}
QLabel#sessionTarget {{ color: {theme.GREEN}; font-weight: 600; }}
QFrame#safety {{ background: #EAF4FB; border: 1px solid {theme.SKY}; border-radius: 8px; }}
QPushButton#pain {{ background: #FBEFE6; border: 1px solid {theme.VERMILLION};
                    font-weight: 600; }}
QProgressBar {{ background: {theme.GRID}; border: none; border-radius: 3px; }}
QProgressBar::chunk {{ background: {theme.BLUE}; border-radius: 3px; }}
"""


def clock_text(seconds: float | None) -> str:
    """``"2:35 left"`` / ``"12 s left"``; empty when the step has no time."""
    if seconds is None:
        return ""
    s = int(seconds + 0.999)  # 0.2 s left is "1 s", never "0 s" while it runs
    return f"{s // 60}:{s % 60:02d} left" if s >= 60 else f"{s} s left"


def step_pacer(step: Step) -> Pacer | None:
    """The pacer a step shows: its own, or the default one on a breathing step."""
    if step.pacer is not None:
        return step.pacer
    return Pacer() if step.kind is StepKind.BREATHE else None


def _thin_bar() -> QProgressBar:
    bar = QProgressBar()
    bar.setTextVisible(False)
    bar.setFixedHeight(6)
    return bar


class SessionView(QWidget):
    """The runner, then the end of the session (the safety text after a pain stop, the
    summary)."""

    pause_clicked = pyqtSignal()
    stop_clicked = pyqtSignal()
    pain_clicked = pyqtSignal()
    answered = pyqtSignal(object)  # a rating (float | None) or "Continue" (None)
    rating_selected = pyqtSignal(float)
    pacer_changed = pyqtSignal()
    close_clicked = pyqtSignal()

    def __init__(self, parent: QWidget | None = None, *, calm: bool = False) -> None:
        super().__init__(parent)
        self.calm = calm
        self.setObjectName("sessionView")
        self.setStyleSheet(_style(26, 18, 26, 17) if calm else _style(17, 13, 18, 12))
        self.step_label = QLabel("")
        self.step_label.setObjectName("sessionStep")
        self.count_label = QLabel("")
        self.count_label.setObjectName("sessionCount")
        self.steps_bar = _thin_bar()
        self.instruction = QLabel("")
        self.instruction.setObjectName("sessionInstruction")
        self.instruction.setWordWrap(True)
        self.instruction.setTextFormat(Qt.TextFormat.PlainText)
        self.instruction.setSizePolicy(QSizePolicy.Policy.Expanding,
                                       QSizePolicy.Policy.Preferred)
        self.clock = QLabel("")
        self.clock.setObjectName("sessionClock")
        self.until_bar = _thin_bar()
        self.until_bar.setFixedWidth(160)
        self.until_label = QLabel("")
        self.target_label = QLabel("")
        self.target_label.setObjectName("sessionTarget")
        self.paused_label = QLabel("Paused: take your time. Press Resume to go on.")
        self.paused_label.setObjectName("hint")
        self.pacer = BreathingPacer(large=calm)
        self.pacer_choice = PacerChoice()
        self.pacer_choice.currentIndexChanged.connect(lambda _i: self.pacer_changed.emit())
        self.rating = RatingPanel(large=calm)
        self.rating.answered.connect(self.answered.emit)
        self.rating.selected.connect(self.rating_selected.emit)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setObjectName("primary")
        self.continue_button.setMinimumHeight(44)
        self.continue_button.clicked.connect(lambda: self.answered.emit(None))
        self.pause_button = self._big_button(PAUSE_TEXT, self.pause_clicked,
                                             "Pause the session (the recording goes on)")
        self.stop_button = self._big_button("End session", self.stop_clicked,
                                            "End the guided session now; what was practised "
                                            "is kept and the recording goes on")
        self.pain_button = self._big_button(PAIN_TEXT, self.pain_clicked,
                                            "End the session because of pain")
        self.pain_button.setObjectName("pain")
        self.tone = ToneControls(calm=calm)
        self.safety = QFrame()
        self.safety.setObjectName("safety")
        self.safety_text = QLabel("")
        self.safety_text.setWordWrap(True)
        self.safety_text.setStyleSheet(f"font-size: {18 if calm else 13}pt;")
        QVBoxLayout(self.safety).addWidget(self.safety_text)
        self.summary = SessionSummaryView(large=calm)
        self.end_note = QLabel("")
        self.end_note.setObjectName("hint")
        self.end_note.setWordWrap(True)
        self.close_button = QPushButton("Close the summary")
        self.close_button.setMinimumHeight(44)
        self.close_button.clicked.connect(self.close_clicked.emit)
        # two pages, one shown (not a QStackedWidget: its size would be the larger page's)
        self.runner_page = self._runner_page()
        self.end_page = self._end_page()
        self.end_page.hide()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.runner_page)
        outer.addWidget(self.end_page)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._waiting_for: Step | None = None

    def _big_button(self, text: str, signal: object, tip: str) -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        b.setMinimumHeight(64 if self.calm else 44)
        b.setMinimumWidth(200 if self.calm else 150)
        b.clicked.connect(signal.emit)  # type: ignore[attr-defined]
        return b

    def _runner_page(self) -> QWidget:
        head = QHBoxLayout()
        head.addWidget(self.step_label)
        head.addWidget(self.count_label)
        head.addStretch(1)
        if not self.calm:
            head.addWidget(QLabel("Pace"))
            head.addWidget(self.pacer_choice)
        timing = QHBoxLayout()
        timing.addWidget(self.clock)
        timing.addWidget(self.until_bar)
        timing.addWidget(self.until_label)
        timing.addStretch(1)
        timing.addWidget(self.target_label)
        centre = QVBoxLayout()
        centre.addLayout(head)
        centre.addWidget(self.steps_bar)
        centre.addWidget(self.instruction, 1)
        centre.addWidget(self.rating)
        centre.addWidget(self.continue_button, 0, Qt.AlignmentFlag.AlignLeft)
        centre.addLayout(timing)
        centre.addWidget(self.paused_label)
        centre.addWidget(self.safety)
        buttons = QVBoxLayout()
        for b in (self.pause_button, self.stop_button, self.pain_button):
            buttons.addWidget(b)
        if self.calm:
            buttons.addWidget(self.tone)
        else:
            centre.addWidget(self.tone)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.pacer, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(centre, 1)
        row.addLayout(buttons)
        page = QWidget()
        page.setLayout(row)
        self.pacer.hide()
        self.rating.hide()
        self.continue_button.hide()
        self.paused_label.hide()
        self.safety.hide()
        return page

    def _end_page(self) -> QWidget:
        foot = QHBoxLayout()
        foot.addWidget(self.end_note, 1)
        foot.addWidget(self.close_button)
        box = QVBoxLayout()
        self.safety_end = QLabel("")
        box.addWidget(self.safety_end)
        self.safety_end.setWordWrap(True)
        self.safety_end.setObjectName("safetyEnd")
        self.safety_end.setStyleSheet(
            f"background: #EAF4FB; border: 1px solid {theme.SKY}; border-radius: 8px; "
            f"padding: 8px; font-size: {18 if self.calm else 13}pt;")
        box.addWidget(self.summary, 1)
        box.addLayout(foot)
        page = QWidget()
        page.setLayout(box)
        return page

    # -- what the controller shows ---------------------------------------------------------
    def begin(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.steps_bar.setRange(0, len(protocol.steps))
        self.steps_bar.setValue(0)
        self.safety.hide()
        self.pause_button.setText(PAUSE_TEXT)
        for b in (self.pause_button, self.stop_button, self.pain_button):
            b.setEnabled(True)
        self._waiting_for = None
        self.end_page.hide()
        self.runner_page.show()
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def show_step(self, view: StepView, relaxed_run_s: float, pacer: Pacer | None,
                  target: str) -> None:
        """Called every frame: sets only what changed (no layout per frame)."""
        st = view.step
        set_text(self.step_label, view.label)
        set_text(self.count_label, f"step {view.index + 1} of {view.count}")
        if self.steps_bar.value() != view.index:
            self.steps_bar.setValue(view.index)
        rating = st.rating if view.waiting and st.kind is StepKind.RATING else None
        set_text(self.instruction, st.instruction if rating is None else "")
        self.instruction.setVisible(rating is None)
        if view.waiting and self._waiting_for is not st:
            self._waiting_for = st
            if rating is not None:
                self.rating.ask(rating)
        elif not view.waiting:
            self._waiting_for = None
        self._set_visible(self.rating, rating is not None)
        self._set_visible(self.continue_button, view.waiting and rating is None)
        self._show_timing(view, relaxed_run_s)
        set_text(self.target_label, target if not view.waiting else "")
        self._set_visible(self.pacer, pacer is not None and not view.waiting)
        if pacer is not None:
            self.pacer.set_pacer(pacer)
            self.pacer.set_time(view.elapsed_s)
        self._set_visible(self.paused_label, view.paused)
        set_text(self.pause_button, RESUME_TEXT if view.paused else PAUSE_TEXT)

    def _show_timing(self, view: StepView, relaxed_run_s: float) -> None:
        until = view.step.until
        if view.waiting:
            set_text(self.clock, "")
        else:
            set_text(self.clock, clock_text(view.remaining_s))
        show_until = until is not None and not view.waiting
        self._set_visible(self.until_bar, show_until)
        self._set_visible(self.until_label, show_until)
        if show_until and until is not None:
            need = max(until.relaxed_s, 0.1)
            done = min(relaxed_run_s, need)
            self.until_bar.setRange(0, int(need * 10))
            if self.until_bar.value() != int(done * 10):
                self.until_bar.setValue(int(done * 10))
            set_text(self.until_label, f"until relaxed for {until.relaxed_s:g} s: "
                     f"{int(done)} of {until.relaxed_s:g} s")

    def show_safety(self, safety: str) -> None:
        """The protocol's safety text, calmly, after "Stop, I'm in pain"."""
        text = f"{SAFETY_OPENING}\n\n{safety}\n\n{CONTACT}"
        set_text(self.safety_text, text)
        set_text(self.safety_end, text)
        self.safety.show()

    def show_end(self, result: SessionResult, previous: SessionResult | None,
                 note: str, safety: str | None) -> None:
        """The end page: the safety text (pain stop), the summary, where the recording is."""
        self.safety_end.setVisible(safety is not None)
        if safety is not None:
            self.show_safety(safety)
        self.summary.show_result(result, previous)
        set_text(self.end_note, note)
        self.steps_bar.setValue(self.steps_bar.maximum())
        self.runner_page.hide()
        self.end_page.show()
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    @property
    def ended(self) -> bool:
        return not self.end_page.isHidden()

    @staticmethod
    def _set_visible(w: QWidget, on: bool) -> None:
        if w.isHidden() == on:  # only when it changes: showing re-lays out the panel
            w.setVisible(on)


__all__ = ["PAIN_TEXT", "SessionView", "clock_text", "step_pacer"]
