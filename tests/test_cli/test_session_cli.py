"""``biofeedback protocols`` and ``biofeedback session run``: copy a built-in protocol, change
a duration, validate it, run it headless on the simulated sensor, re-score the recording."""

from __future__ import annotations

import json

import pytest

from biofeedback.cli import main
from biofeedback.formats.signal_file import read_signal_file


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_protocols_list_and_show(capsys):
    assert main(["protocols", "list"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    names = [r.split()[0] for r in rows]
    assert {"assessment", "down-training", "tense-release", "dilator", "dilator-maintenance",
            "body-scan"} <= set(names)
    assert main(["protocols", "show", "down-training"]) == 0
    out = capsys.readouterr().out
    assert "Paced breathing" in out and "Safety:" in out and "clinician" in out


def test_copy_change_validate_run_and_rescore(tmp_path, data_dir, capsys):
    assert main(["protocols", "show", "tense-release", "--toml"]) == 0
    text = capsys.readouterr().out
    mine = tmp_path / "mine.toml"
    mine.write_text(text.replace('name = "tense-release"', 'name = "my-tense-release"')
                    .replace("repeat = 5", "repeat = 2").replace("duration_s = 30", "duration_s = 20"))
    assert main(["protocols", "validate", str(mine)]) == 0
    assert "OK, 5 steps" in capsys.readouterr().out
    rec = tmp_path / "s.bdf"
    assert main(["session", "run", str(mine), "--fast", "--json", "-o", str(rec)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["protocol"] == "my-tense-release" and d["ended"] == "finished"
    names = [s["name"] for s in d["steps"]]
    assert names == ["Settle", "Tense 1 of 2", "Release 1 of 2", "Tense 2 of 2",
                     "Release 2 of 2"]
    assert d["steps"][0]["end_s"] == pytest.approx(20.0)
    for s in d["steps"]:
        assert {"name", "kind", "start_s", "end_s", "results"} <= set(s)
    tense = [s for s in d["steps"] if s["step"] == "Tense"]
    assert all(s["results"]["contraction_peak_uv"] > 20 for s in tense)
    release = [s for s in d["steps"] if s["step"] == "Release"]
    assert all(s["completed"] and s["results"]["percent_below_line"] > 40 for s in release)
    assert d["summary"]["steps_completed"] == 5 and d["recording"] == str(rec)
    # every step is an annotation of the recording, with its duration
    steps = [a for a in read_signal_file(rec).annotations if a.text.startswith("protocol:")]
    assert [a.text for a in steps] == [f"protocol:{n}" for n in names]
    for a, s in zip(steps, d["steps"], strict=True):
        assert a.onset_s == pytest.approx(s["start_s"], abs=0.02)
        assert a.duration_s == pytest.approx(s["end_s"] - s["start_s"], abs=0.02)
    # re-scoring the recording through the protocol finds the same steps
    assert main(["session", "run", str(mine), "--source", f"replay:{rec}", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in again["steps"]] == names
    assert again["steps"][1]["results"]["contraction_peak_uv"] == pytest.approx(
        d["steps"][1]["results"]["contraction_peak_uv"], rel=0.1)


def test_a_broken_protocol_is_one_line_naming_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[protocol]\nname = "x"\ntitle = "x"\ndescription = "x"\n\n[[step]]\n'
                   'name = "a"\nkind = "rest"\nduration_s = "long"\ninstruction = "b"\n')
    assert main(["protocols", "validate", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{bad}:9:" in err[0] and "duration_s" in err[0]
    assert main(["session", "run", str(bad), "--fast"]) == 1


def test_ratings_come_from_answers_and_stay_in_the_recording(tmp_path, data_dir, capsys):
    proto = tmp_path / "rate.toml"
    proto.write_text('''[protocol]
name = "rate"
title = "Rate"
description = "Rate, rest, rate."

[[step]]
name = "Pain before"
kind = "rating"
rating = { scale = "pain", question = "Pain now, 0-10?" }
instruction = "Rate."

[[step]]
name = "Rest"
kind = "rest"
duration_s = 5
instruction = "Breathe."
measure = ["mean_uv"]
''')
    rec = tmp_path / "r.bdf"
    assert main(["session", "run", str(proto), "--fast", "--json", "--answer", "Pain before=3",
                 "-o", str(rec)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["steps"][0]["results"] == {"rating": 3.0}
    assert d["summary"]["ratings"] == {"Pain before": 3.0}
    assert "rating:pain=3" in [a.text for a in read_signal_file(rec).annotations]
    assert main(["session", "run", str(proto), "--fast", "--answer", "Mood=2"]) == 2
