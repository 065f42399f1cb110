"""The previous session and the line's shaping come from the patient's records (a real SQLite
file); the JSON last-session files of before move into a home patient's records once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from biofeedback.app.session_history import (
    MAX_TIGHTENINGS,
    keep_session,
    legacy_dir,
    load_legacy,
    migrate_legacy,
    previous_session,
    shaping_factor,
    shaping_level,
)
from biofeedback.sessions.loader import load_builtin
from biofeedback.sessions.results import SessionResult, StepResult, compare
from biofeedback.storage.paths import ensure_private_dir

T0 = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)


def _result(ended: str = "finished", below: float | None = 72.5) -> SessionResult:
    steps = [
        StepResult(0, "Settle", "Settle", "", "rest", 0.0, 60.0, True,
                   {"mean_uv": 3.2, "sd_uv": float("nan")}),
        StepResult(1, "Let it all go 1 of 2", "Let it all go", "Tense and release", "relax",
                   60.0, 72.0, True, {"relaxation_latency_s": None, "percent_below_line": below}),
    ]
    summary = {"practised_s": 72.0, "percent_below_line": below, "ratings": {}}
    return SessionResult("down-training", "Down-training", steps, summary, ended)


def _keep(repo, result: SessionResult, day: int = 0, code: str = "P001"):
    rec = keep_session(repo, code, result, load_builtin("down-training"), origin="home")
    if rec is not None:  # give it a known start time (shaping reads the order)
        repo.delete_session(rec.uid)
        repo.add_session(dataclasses.replace(rec, started=T0 + dt.timedelta(days=day)))
    return rec


def test_the_previous_session_is_the_patients_last_finished_one(repo):
    repo.add_patient("P001")
    repo.add_patient("P002")
    assert previous_session(repo, "P001", "down-training") is None
    _keep(repo, _result(below=50.0), day=0)
    _keep(repo, _result(below=60.0), day=1)
    _keep(repo, _result(ended="pain", below=90.0), day=2)  # not like for like
    _keep(repo, _result(below=99.0), day=3, code="P002")  # someone else's
    back = previous_session(repo, "P001", "down-training")
    assert back is not None and back.ended == "finished"
    assert back.summary["percent_below_line"] == 60.0
    assert [s.name for s in back.steps] == ["Settle", "Let it all go 1 of 2"]
    assert back.steps[1].start_s == 60.0 and back.steps[1].completed
    deltas = compare(_result(below=80.0), back)
    assert deltas["Let it all go 1 of 2"]["percent_below_line"] == pytest.approx(20.0)
    assert previous_session(repo, "P001", "assessment") is None
    assert previous_session(repo, "NOBODY", "down-training") is None
    assert previous_session(None, "P001", "down-training") is None


def test_a_session_without_a_patient_in_the_records_is_not_kept(repo):
    assert keep_session(repo, "", _result(), load_builtin("down-training")) is None
    assert keep_session(repo, "P404", _result(), load_builtin("down-training")) is None
    assert keep_session(None, "P001", _result(), load_builtin("down-training")) is None
    assert repo.list_patients() == []


def test_two_successful_sessions_tighten_the_line_five_percent(repo):
    repo.add_patient("P001")
    protocol = load_builtin("down-training")
    assert any(s.target.line_factor for s in protocol.steps)
    assert shaping_factor(repo, "P001", protocol) == 1.0
    _keep(repo, _result(below=80.0), day=0)
    assert shaping_factor(repo, "P001", protocol) == 1.0  # one is not yet two
    _keep(repo, _result(below=75.0), day=1)
    assert shaping_factor(repo, "P001", protocol) == pytest.approx(0.95)
    _keep(repo, _result(below=40.0), day=2)  # a whole session below the goal: count again
    _keep(repo, _result(below=90.0), day=3)
    assert shaping_factor(repo, "P001", protocol) == pytest.approx(0.95)
    _keep(repo, _result(below=90.0), day=4)
    assert shaping_factor(repo, "P001", protocol) == pytest.approx(0.95 ** 2)
    _keep(repo, _result(ended="pain", below=None), day=5)  # it hurt: one step back
    assert shaping_factor(repo, "P001", protocol) == pytest.approx(0.95)
    _keep(repo, _result(ended="stopped", below=10.0), day=6)  # stopped: neither way
    assert shaping_factor(repo, "P001", protocol) == pytest.approx(0.95)
    # a protocol without a line step is never shaped
    assert shaping_factor(repo, "P001", load_builtin("body-scan")) == 1.0 or not any(
        s.target.line_factor for s in load_builtin("body-scan").steps)


def test_shaping_has_a_floor(repo, make_session):
    recs = [dataclasses.replace(make_session("P001", day=d), protocol="down-training",
                                summary={"percent_below_line": 95.0}) for d in range(20)]
    assert shaping_level(recs) == MAX_TIGHTENINGS


def test_old_json_files_move_into_the_home_patients_records_once(repo):
    folder = ensure_private_dir(ensure_private_dir(legacy_dir().parent) / "sessions")
    (folder / "down-training-last.json").write_text(json.dumps(_result().to_json_dict()))
    (folder / "broken-last.json").write_text("{not json")
    assert load_legacy(folder / "broken-last.json") is None
    protocols = {"down-training": load_builtin("down-training")}
    assert migrate_legacy(repo, "P001", protocols) == 0  # no such patient: left alone
    repo.add_patient("P001")
    assert migrate_legacy(repo, "P001", protocols) == 1
    back = previous_session(repo, "P001", "down-training")
    assert back is not None and back.summary["percent_below_line"] == 72.5
    assert repo.sessions("P001")[0].origin == "home"
    assert (folder / "down-training-last.json.migrated").is_file()
    assert migrate_legacy(repo, "P001", protocols) == 0  # once
    assert len(repo.sessions("P001")) == 1
