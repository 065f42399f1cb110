"""Guided sessions in the window: a short down-training session end to end on the simulated
sensor (pacer, cues, summary, the recording's step annotations), the pain stop, End session
and Pause, rating entry by number keys, and a broken protocol file."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt

from biofeedback.app.session_history import previous_session
from biofeedback.formats.signal_file import read_signal_file
from biofeedback.sessions.loader import load_protocol
from biofeedback.sessions.protocol import Rating
from biofeedback.sessions.runner import RunnerState
from biofeedback.sessions.scripted import protocol_scenario
from biofeedback.storage.paths import recordings_dir
from biofeedback.storage.records import open_records
from biofeedback.ui.breathing_pacer import BREATHE_IN, BREATHE_OUT
from biofeedback.ui.rating_dialog import RatingPanel
from biofeedback.ui.session_view import PAIN_TEXT, SAFETY_OPENING

SPEED = 10.0  # a 3 s step is still several frames

#: the built-in down-training, shortened: settle 5 s, breathing 20 s, 2 tense-release
#: cycles, quiet 10 s, rest 5 s (as a user would after `protocols show ... --toml`)
SHORT = '''[protocol]
name = "short-down-training"
title = "Down-training (short test copy)"
description = "The built-in down-training, shortened for a test."
safety = "Stop if you feel sharp or increasing pain and contact your clinician."

[[step]]
name = "Settle"
kind = "rest"
duration_s = 5
sets_baseline = true
instruction = "Lie comfortably, knees supported. Just breathe."
measure = ["mean_uv", "sd_uv", "cv_percent"]

[[step]]
name = "Paced breathing"
kind = "breathe"
duration_s = 20
pacer = { inhale_s = 3, exhale_s = 7 }
target = { kind = "below_line" }
instruction = "Breathe with the circle."
measure = ["mean_uv", "percent_below_line"]

[[step]]
name = "Tense and release"
repeat = 2

  [[step.steps]]
  name = "Gently squeeze"
  kind = "contract"
  duration_s = 3
  effort = 0.5
  target = { kind = "percent_max", percent = 50 }
  instruction = "Gently squeeze, about half your strength…"
  measure = ["contraction_peak_uv"]

  [[step.steps]]
  name = "Let it all go"
  kind = "relax"
  duration_s = 8
  target = { kind = "below_line" }
  instruction = "…and let it all go, further than before."
  measure = ["relaxation_latency_s", "end_level_ratio", "percent_below_line"]

[[step]]
name = "Quiet practice"
kind = "relax"
duration_s = 10
target = { kind = "below_line", line_factor = 0.9 }
instruction = "Stay below the line."
measure = ["mean_uv", "percent_below_line", "longest_below_s"]

[[step]]
name = "Rest after"
kind = "rest"
duration_s = 5
instruction = "Rest. Notice how the pelvic floor feels now."
measure = ["mean_uv", "sd_uv", "cv_percent"]
'''

RATED = '''[protocol]
name = "rated"
title = "Rated practice"
description = "A rating, then a rest."

[[step]]
name = "Pain before"
kind = "rating"
instruction = "A rating first."
rating = { scale = "pain", question = "How much pain do you feel right now, from 0 to 10?" }

[[step]]
name = "Rest"
kind = "rest"
duration_s = 30
instruction = "Rest and breathe."
measure = ["mean_uv"]
'''


def _protocol_file(tmp_path: Path, text: str = SHORT, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _saved_recordings() -> list[Path]:
    return sorted(recordings_dir().glob("*.bdf"))


def test_a_short_down_training_session_end_to_end_on_the_simulated_sensor(qtbot, main_window, tmp_path):
    path = _protocol_file(tmp_path)
    protocol = load_protocol(path)
    with open_records() as db:
        db.repo.add_patient("P101")
    win = main_window(f"simulated:{protocol_scenario(protocol)}", SPEED)
    win.controls.patient_edit.setText("P101")
    assert win.guided.begin_named(str(path))
    ctl = win.guided
    view = ctl.view
    assert view is not None and win.session.running and win.session.recording
    assert view.isVisible() and not view.ended
    seen: dict[str, str] = {}  # step label -> the instruction on screen
    pacer: list[tuple[float, str, bool]] = []  # (elapsed, text, shown) in the breathing step
    tone: list[tuple[str, str, float | None, int]] = []  # (step kind, meter, pitch, chimes)

    def watch() -> bool:
        g = ctl.guided
        sv = g.view() if g is not None else None
        if sv is not None:
            seen.setdefault(sv.label, view.instruction.text())
            if sv.index == 1:
                pacer.append((sv.elapsed_s, view.pacer.text, view.pacer.isVisible()))
            st = ctl.tone.output.status()
            tone.append((sv.kind, win.meter.state, st.target_hz, st.chimes))
            assert view.count_label.text() == f"step {sv.index + 1} of {sv.count}"
        return view.ended

    qtbot.waitUntil(watch, timeout=30_000)
    # the cues: every step was shown with its own instruction
    expected = {s.label: s.instruction for s in protocol.steps}
    assert seen == expected
    # the pacer followed the step's sample clock: 3 s in, then 7 s out
    in_step = [(t, text) for t, text, shown in pacer if shown and t > 0.05]
    assert len(in_step) >= 10
    for t, text in in_step:
        if abs(t % 10.0 - 3.0) > 0.1 and t % 10.0 > 0.1:  # not at a turn of the breath
            assert text == (BREATHE_IN if t % 10.0 < 3.0 else BREATHE_OUT), t
    assert {text for _, text in in_step} == {BREATHE_IN, BREATHE_OUT}
    # the tone follows the meter: a pitch while squeezing, silence when relaxed, a soft chime
    # after 10 s below the line; with no audio device it says so and stays off
    assert any(k == "contract" and m == "tight" and hz is not None for k, m, hz, _ in tone)
    assert all(hz is None for _, m, hz, _ in tone if m == "relaxed")
    assert tone[-1][3] >= 1
    out = ctl.tone.output
    assert out is not None and ctl.tone.choice.on
    if not out.available:
        assert not view.tone.note.isHidden() and view.tone.note.text().endswith("the tone is off")
    assert not ctl.tone.playing  # ended: no tone after the session
    # the summary
    result = ctl.result
    assert result is not None and result.ended == "finished"
    lines = view.summary.lines.text()
    assert "complete" in lines and "worse" not in lines.lower()
    rows = view.summary.rows()
    assert [r[0] for r in rows] == [s.label for s in protocol.steps]
    assert any("below the line" in r[1] and "% of the time" in r[1] for r in rows)
    # the finished session's recording is saved, with every step annotated
    qtbot.waitUntil(lambda: not win.session.recording, timeout=5000)
    assert "saved" in view.end_note.text()
    files = _saved_recordings()
    assert len(files) == 1
    texts = [a.text for a in read_signal_file(files[0]).annotations]
    for st in protocol.steps:
        assert f"protocol:{st.label}" in texts
    # kept in the patient's records with its recording (next time's comparison and line
    # shaping come from there); streaming goes on; Close returns to the live view
    with open_records() as db:
        (stored,) = db.repo.sessions("P101")
        assert stored.origin == "clinic" and stored.recording_path == str(files[0].resolve())
        assert previous_session(db.repo, "P101", protocol.name) is not None
    assert win.session.running
    view.close_button.click()
    assert ctl.view is None and not win.session_area.isVisible()
    win.stop()


def test_pain_stop_ends_the_session_shows_the_safety_text_and_keeps_recording(qtbot, main_window, tmp_path):
    win = main_window("simulated:rest", SPEED)
    assert win.guided.begin_named(str(_protocol_file(tmp_path)))
    ctl = win.guided
    win.toggle_patient_view()  # the patient's calm view has the pain button too
    pv = win.patient_view
    assert pv is not None
    qtbot.addWidget(pv)
    qtbot.waitUntil(lambda: ctl.patient is not None and ctl.patient.isVisible(), timeout=3000)
    calm = ctl.patient
    assert calm is not None and calm.calm and calm.pain_button.text() == PAIN_TEXT
    assert calm.pacer_choice.isHidden() or not calm.pacer_choice.isVisible()
    qtbot.waitUntil(lambda: ctl.guided.view().index == 1, timeout=10_000)
    calm.pain_button.click()
    result = ctl.result
    assert result is not None and result.ended == "pain"
    for v in (ctl.view, calm):
        assert v.ended and v.safety_end.isVisible()
        text = v.safety_end.text()
        assert SAFETY_OPENING in text and "contact your clinician" in text
        assert load_protocol(_protocol_file(tmp_path)).safety in text
        assert "Still recording" in v.end_note.text()
    assert win.session.recording  # the recording is never lost by stopping
    # no patient code: nothing is kept, nothing is compared
    with open_records() as db:
        assert db.repo.list_patients() == []
    pv.close()
    win.stop()
    files = _saved_recordings()
    assert len(files) == 1
    texts = [a.text for a in read_signal_file(files[0]).annotations]
    assert "note:stopped: pain" in texts
    assert "protocol:Settle" in texts and "protocol:Paced breathing" in texts


def test_end_session_and_pause_keep_streaming_and_recording(qtbot, main_window, tmp_path):
    win = main_window("simulated:rest", SPEED)
    assert win.guided.begin_named(str(_protocol_file(tmp_path)))
    ctl = win.guided
    g = ctl.guided
    qtbot.waitUntil(lambda: g.view().elapsed_s > 1.0, timeout=10_000)
    ctl.view.pause_button.click()
    assert g.runner.state is RunnerState.PAUSED
    assert ctl.view.pause_button.text() == "Resume" and ctl.view.paused_label.isVisible()
    frozen, t0 = g.view().elapsed_s, win.last_snapshot.time_s
    qtbot.waitUntil(lambda: win.last_snapshot.time_s > t0 + 2.0, timeout=10_000)
    assert g.view().elapsed_s == pytest.approx(frozen, abs=0.05)  # paused is not practice
    ctl.view.pause_button.click()
    qtbot.waitUntil(lambda: g.view().elapsed_s > frozen + 0.5, timeout=10_000)
    ctl.view.stop_button.click()  # one click
    assert g.finished and g.result is not None and g.result.ended == "stopped"
    assert ctl.view.ended and not ctl.view.safety_end.isVisible()
    assert win.session.running and win.session.recording
    win.stop()


def test_rating_panel_number_keys_pick_and_enter_continues(qtbot):
    panel = RatingPanel()
    qtbot.addWidget(panel)
    panel.show()
    answers: list[object] = []
    panel.answered.connect(answers.append)
    panel.ask(Rating("pain", "How much pain?", 0, 10))
    assert len(panel.buttons.buttons()) == 11 and not panel.continue_button.isEnabled()
    qtbot.keyClick(panel, Qt.Key.Key_3)
    assert panel.value == 3 and panel.buttons.checkedId() == 3
    qtbot.keyClicks(panel, "10")
    assert panel.value == 10 and panel.buttons.checkedId() == 10
    qtbot.keyClick(panel, Qt.Key.Key_7)  # "107" is not on the scale: 7
    assert panel.value == 7
    qtbot.keyClick(panel, Qt.Key.Key_Return)
    assert answers == [7.0]
    panel.ask(Rating("anxiety", "How anxious?", 0, 100))
    assert panel.value is None and panel.uses_slider and not panel.buttons.buttons()
    qtbot.keyClick(panel, Qt.Key.Key_5)
    assert panel.value == 50 and panel.slider.value() == 50 and panel.number.text() == "50"
    qtbot.keyClicks(panel, "10")
    assert panel.value == 100
    panel.slider.setValue(43)  # the slider snaps to tens
    assert panel.value == 40 and panel.slider.value() == 40
    panel.ask(Rating("dilator_size", "Which size?", 1, 10))
    qtbot.keyClick(panel, Qt.Key.Key_0)  # no size 0: waits for the next key
    assert panel.value is None
    qtbot.keyClick(panel, Qt.Key.Key_4)
    assert panel.value == 4
    panel.skip_button.click()
    assert answers == [7.0, None]


def test_in_the_window_digits_rate_instead_of_placing_markers(qtbot, main_window, tmp_path):
    win = main_window("simulated:rest", SPEED)
    assert win.guided.begin_named(str(_protocol_file(tmp_path, RATED, "rated.toml")))
    ctl = win.guided
    assert ctl.view is not None and ctl.view.rating.isVisible()
    assert "How much pain" in ctl.view.rating.question.text()
    qtbot.keyClick(win, Qt.Key.Key_4)  # a marker shortcut while streaming, but a rating is asked
    assert ctl.view.rating.value == 4
    assert not win.statusBar().currentMessage().startswith("Marker")
    qtbot.keyClick(ctl.view.rating, Qt.Key.Key_Return)
    g = ctl.guided
    assert g.runner.answers == {0: 4.0} and g.view().label == "Rest"
    qtbot.keyClick(win, Qt.Key.Key_2)  # no rating asked now: a marker again
    assert win.statusBar().currentMessage().startswith("Marker 2")
    ctl.view.stop_button.click()
    assert ctl.result.summary["ratings"] == {"Pain before": 4.0}
    win.stop()


def test_a_broken_protocol_file_says_one_line_in_the_banner(qtbot, main_window, tmp_path):
    win = main_window("simulated:rest", SPEED)
    bad = _protocol_file(tmp_path, SHORT.replace("duration_s = 20", "duration_s = -3"),
                         "broken.toml")
    assert not win.guided.begin_named(str(bad))
    text = win.banner.text()
    assert "broken.toml:" in text and "duration_s" in text and "\n" not in text
    line = int(text.split("broken.toml:")[1].split(":")[0])
    assert "duration_s = -3" in bad.read_text().splitlines()[line - 1]
    assert win.guided.view is None and not win.session.running  # nothing was started
