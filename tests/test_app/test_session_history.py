"""The last finished session of each protocol, kept privately for the next comparison."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from biofeedback.app.session_history import last_path, load_last, save_last, sessions_dir
from biofeedback.sessions.results import SessionResult, StepResult, compare


def _result(ended: str = "finished", below: float = 72.5) -> SessionResult:
    steps = [
        StepResult(0, "Settle", "Settle", "", "rest", 0.0, 60.0, True,
                   {"mean_uv": 3.2, "sd_uv": float("nan")}),
        StepResult(1, "Let it all go 1 of 2", "Let it all go", "Tense and release", "relax",
                   60.0, 72.0, True, {"relaxation_latency_s": None, "percent_below_line": below}),
        StepResult(2, "Pain before", "Pain before", "", "rating", 72.0, 72.0, True,
                   {"rating": 2}),
    ]
    summary = {"practised_s": 72.0, "percent_below_line": below, "ratings": {"Pain before": 2},
               "blocks": {"Tense and release": {"Let it all go": {"percent_below_line": below}}}}
    return SessionResult("down-training", "Down-training", steps, summary, ended)


def test_a_finished_session_round_trips_privately():
    path = save_last(_result())
    assert path == last_path("down-training")
    assert path.name == "down-training-last.json"
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(sessions_dir()).st_mode) == 0o700
    back = load_last("down-training")
    assert back is not None
    assert back.ended == "finished" and back.title == "Down-training"
    assert [s.name for s in back.steps] == ["Settle", "Let it all go 1 of 2", "Pain before"]
    assert back.steps[0].results["mean_uv"] == pytest.approx(3.2)
    assert back.steps[0].results["sd_uv"] is None  # NaN was written as null
    assert back.steps[1].start_s == 60.0 and back.steps[1].completed
    assert back.summary["ratings"] == {"Pain before": 2}
    # what the summary view does with it
    deltas = compare(_result(below=80.0), back)
    assert deltas["Let it all go 1 of 2"]["percent_below_line"] == pytest.approx(7.5)


def test_the_next_finished_session_replaces_the_last():
    save_last(_result(below=50.0))
    save_last(_result(below=60.0))
    back = load_last("down-training")
    assert back is not None and back.summary["percent_below_line"] == 60.0
    leftovers = [p.name for p in sessions_dir().iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_stopped_session_is_not_kept_as_last_time():
    assert save_last(_result(ended="pain")) is None
    assert save_last(_result(ended="stopped")) is None
    assert load_last("down-training") is None


def test_a_broken_or_foreign_file_means_no_previous_session():
    last_path("down-training").write_text("{not json", encoding="utf-8")
    assert load_last("down-training") is None
    save_last(_result())
    os.replace(last_path("down-training"), last_path("assessment"))
    assert load_last("assessment") is None  # it names another protocol
    assert load_last("never-run") is None


def test_protocol_names_cannot_leave_the_folder():
    path = last_path("../../etc/passwd")
    assert path.parent == sessions_dir()
    assert "/" not in path.name and path.name.endswith("-last.json")
