"""The runner's parts on their own: pacer phase and choices, target bands, summary wording."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

pytest.importorskip("pytestqt")

from biofeedback.sessions.protocol import Pacer, Step, StepKind, Target, TargetKind
from biofeedback.sessions.results import SessionResult, StepResult
from biofeedback.ui.breathing_pacer import (
    BREATHE_IN,
    BREATHE_OUT,
    PRESETS,
    BreathingPacer,
    PacerChoice,
    in_range,
    pacer_phase,
)
from biofeedback.ui.session_summary import SessionSummaryView, headline, improvement, say
from biofeedback.ui.session_view import clock_text
from biofeedback.ui.target_band import band_uv, share_words, target_words


def test_pacer_phase_follows_the_step_clock():
    p = Pacer(3.0, 7.0)
    assert pacer_phase(p, 0.0).inhaling and pacer_phase(p, 0.0).size == 0.0
    assert pacer_phase(p, 1.5).text == BREATHE_IN and pacer_phase(p, 1.5).size == pytest.approx(0.5)
    assert pacer_phase(p, 3.0).text == BREATHE_OUT and pacer_phase(p, 3.0).size == 1.0
    assert pacer_phase(p, 6.5).size == pytest.approx(0.5)
    assert pacer_phase(p, 11.0).text == BREATHE_IN  # the second breath


def test_every_offered_pace_is_within_the_clinical_ranges(qtbot):
    assert all(in_range(p) for _, p in PRESETS)
    assert Pacer(4.0, 6.0) in [p for _, p in PRESETS]  # the gentler alternative
    assert not in_range(Pacer(2.0, 2.0))  # 15/min
    choice = PacerChoice()
    qtbot.addWidget(choice)
    own = Pacer(3.0, 7.0)
    choice.set_protocol_pacer(own)
    assert choice.chosen(own) == own
    choice.setCurrentIndex(1)
    assert choice.chosen(own) == PRESETS[0][1] and "gentler" in choice.currentText()
    choice.set_protocol_pacer(Pacer(4.0, 8.0))  # the next step: the person's choice stays
    assert choice.chosen(own) == PRESETS[0][1]


def test_the_pacer_repaints_only_when_the_circle_moves(qtbot):
    w = BreathingPacer()
    qtbot.addWidget(w)
    w.set_pacer(Pacer(3.0, 7.0))
    w.set_time(1.2)
    drawn = w._drawn
    w.set_time(1.201)
    assert w._drawn == drawn and w.text == BREATHE_IN
    w.set_time(5.0)
    assert w._drawn != drawn and w.text == BREATHE_OUT
    assert w.accessibleDescription() == BREATHE_OUT


def _step(kind: TargetKind, percent: float = 0.0) -> Step:
    return Step("S", StepKind.RELAX, "Do it.", 10.0, target=Target(kind, percent))


def test_target_bands_and_words():
    st = SimpleNamespace(threshold_uv=4.0, baseline_mean_uv=3.0, max_uv=40.0)  # what is read
    assert band_uv(_step(TargetKind.BELOW_LINE), st) == pytest.approx((2.4, 4.0))
    assert band_uv(_step(TargetKind.PERCENT_MAX, 50), st) == pytest.approx((16.0, 24.0))
    assert band_uv(_step(TargetKind.FOLLOW_PACER), st) is None
    unknown = SimpleNamespace(threshold_uv=4.0, baseline_mean_uv=3.0, max_uv=math.nan)
    assert band_uv(_step(TargetKind.PERCENT_MAX, 50), unknown) is None  # no squeeze yet
    assert share_words(50) == "about half" and share_words(40) == "about 40 % of"
    assert target_words(_step(TargetKind.PERCENT_MAX, 50), True) == \
        "Reach about half your strength: the green band"
    assert "not measured yet" in target_words(_step(TargetKind.PERCENT_MAX, 50), False)
    assert target_words(_step(TargetKind.BELOW_LINE), True) == "Stay below the line"


def test_clock_text():
    assert clock_text(155.0) == "2:35 left" and clock_text(0.2) == "1 s left"
    assert clock_text(None) == ""


def _result(below: float, latency: float | None, ended: str = "finished") -> SessionResult:
    steps = [StepResult(0, "Let it all go 1 of 5", "Let it all go", "T", "relax", 0, 12, True,
                        {"relaxation_latency_s": latency, "percent_below_line": below})]
    return SessionResult("down-training", "Down-training", steps,
                         {"practised_s": 12.0, "steps_completed": 1, "steps_total": 1,
                          "percent_below_line": below, "ratings": {"Pain before": 2}}, ended)


def test_measurements_are_said_in_words():
    assert say("percent_below_line", 72.4) == "below the line 72 % of the time"
    assert say("relaxation_latency_s", 3.71) == "let go in 3.7 s"
    assert say("relaxation_latency_s", None) == "still letting go when the step ended"
    assert say("rating", None) == "skipped"
    assert say("mean_uv", float("nan")) == "average activity: not measured"


def test_the_comparison_encourages_and_never_judges(qtbot):
    assert improvement("percent_below_line", 10.0) == "more time below the line than last time"
    assert improvement("relaxation_latency_s", -1.0) == "let go sooner than last time"
    assert improvement("percent_below_line", -10.0) is None
    view = SessionSummaryView()
    qtbot.addWidget(view)
    view.show_result(_result(80.0, 2.0), _result(60.0, 3.5))
    lines = view.lines.text()
    assert "more time below the line than last time (60 %)" in lines
    assert set(view.rows()[0][2].split("; ")) == {"more time below the line than last time",
                                                  "let go sooner than last time"}
    view.show_result(_result(50.0, 4.0), _result(60.0, 3.5))  # a harder day
    text = view.lines.text() + " ".join(" ".join(r) for r in view.rows())
    assert "(last time 60 %)" in text and "last time: " in view.rows()[0][2]
    for word in ("worse", "fail", "bad", "poor", "abnormal"):
        assert word not in text.lower()
    view.show_result(_result(50.0, 4.0, ended="pain"), _result(60.0, 3.5))
    assert "last time" not in view.lines.text() and view.rows()[0][2] == ""
    assert "because of pain" in headline(_result(5.0, None, "pain"), None)[0]
