"""The records commands end to end: patients, two simulated sessions stored for P001, their
trend points, the PDF report, programme and bundle exchange between two data folders, and
``db backup|restore|migrate``; every error is one line."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from biofeedback.cli import main
from biofeedback.cli._records import since_day
from biofeedback.storage.records import SCHEMA_VERSION

SHORT = Path(__file__).resolve().parents[1] / "fixtures" / "records" / "short-check.toml"


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    folder = tmp_path / "clinic"
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(folder))
    return folder


def _err(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_patients_sessions_trends_and_report(clinic, tmp_path, capsys):
    assert main(["patients", "add", "P001", "--name", "Ann Example"]) == 0
    assert main(["patients", "add", "Jane Doe"]) != 0
    assert "looks like a name" in _err(capsys)
    assert main(["session", "run", str(SHORT), "--fast", "--patient", "P404"]) != 0
    assert "no patient 'P404'" in _err(capsys)
    uids = []
    for pain in ("4", "2"):
        assert main(["session", "run", str(SHORT), "--source", "simulated", "--fast",
                     "--patient", "P001", "--json", "--answer", f"Pain={pain}",
                     "--answer", "Anxiety=30"]) == 0
        uids.append(json.loads(capsys.readouterr().out)["session_uid"])
    assert main(["patients", "show", "P001", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert [s["uid"] for s in view["sessions"]] == uids
    points = view["trends"]["points"]
    assert [p["session_uid"] for p in points] == uids
    assert [p["pain"] for p in points] == [4.0, 2.0]
    for p, s in zip(points, view["sessions"], strict=True):
        assert p["baseline_uv"] > 0 and p["cv_percent"] > 0 and p["max_contraction_uv"] > 20
        # the protocol plans 17 s; rating steps add the (machine-dependent) time to answer
        assert s["duration_s"] >= 17.0 and p["minutes"] == pytest.approx(s["duration_s"] / 60, abs=1e-5)
    assert sum(w["sessions"] for w in view["trends"]["weeks"]) == 2
    for s in view["sessions"]:
        assert Path(s["recording"]).is_file() and len(s["recording_sha256"]) == 64
        assert s["processing"]["emg_fs_hz"] > 0
    assert main(["patients", "note", "P001", "Calm today."]) == 0
    assert main(["patients", "swab", "P001", "12=0", "6=7"]) == 0
    assert main(["patients", "list"]) == 0
    assert "P001" in capsys.readouterr().out
    pdf = tmp_path / "P001.pdf"
    assert main(["report", "P001", "-o", str(pdf)]) == 0
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "P001" in text and "Ann Example" not in text and "Calm today." in text
    base = points[-1]["baseline_uv"]
    assert f"Resting baseline {base:.2f} µV" in text
    assert main(["report", "P001", "-o", str(pdf)]) != 0
    assert "already exists" in _err(capsys)


def test_programme_and_bundle_between_clinic_and_home(clinic, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    prog = tmp_path / "P001.bfprog"
    assert main(["patients", "add", "P001"]) == 0
    assert main(["programme", "export", "P001", "-o", str(prog), "--protocol", "down-training",
                 "--protocol", str(SHORT), "--per-week", "4", "--sizes", "1:XS:19,2:S:22",
                 "--start-size", "1", "--rule", "hold_target_min=5"]) == 0
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(home))  # the patient's computer
    assert main(["programme", "import", str(prog)]) == 0
    assert "imported" in capsys.readouterr().out
    assert main(["programme", "show", "P001", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["schedule"]["sessions_per_week"] == 4 and shown["rule"]["hold_target_min"] == 5
    assert main(["session", "run", str(SHORT), "--fast", "--patient", "P001"]) == 0
    bundle = tmp_path / "P001.bfbundle"
    assert main(["bundle", "export", "P001", "-o", str(bundle)]) == 0
    assert main(["bundle", "export", "P001", "-o", str(tmp_path / "d.bfbundle"),
                 "--deidentify"]) == 0
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(clinic))
    capsys.readouterr()
    assert main(["bundle", "import", str(bundle), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["added"]) == 1
    assert main(["bundle", "import", str(bundle), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["added"] == [] and len(again["skipped"]) == 1
    tampered = tmp_path / "t.bfbundle"
    shutil.copy(bundle, tampered)
    with zipfile.ZipFile(tampered, "a") as z:
        z.writestr("notes.txt", "hello")
    assert main(["bundle", "import", str(tampered)]) != 0
    assert f"{tampered}: unexpected member" in _err(capsys)
    assert main(["bundle", "import", str(tmp_path / "d.bfbundle")]) != 0
    assert "de-identified" in _err(capsys)
    assert main(["patients", "show", "P001", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["sessions"]) == 1


def test_db_backup_restore_migrate(clinic, tmp_path, capsys):
    assert main(["patients", "add", "P001"]) == 0
    copy = tmp_path / "copy.sqlite3"
    assert main(["db", "backup", "-o", str(copy)]) == 0
    assert main(["patients", "add", "P002"]) == 0
    assert main(["db", "restore", str(copy)]) == 0
    capsys.readouterr()
    assert main(["patients", "list", "--json"]) == 0
    assert [p["code"] for p in json.loads(capsys.readouterr().out)] == ["P001"]
    assert main(["db", "migrate"]) == 0
    assert f"already at schema version {SCHEMA_VERSION}" in capsys.readouterr().out
    v1 = clinic / "records.sqlite3"
    v1.unlink()
    for side in clinic.glob("records.sqlite3-*"):
        side.unlink()
    with sqlite3.connect(v1) as c:
        c.executescript((SHORT.parent / "records-v1.sql").read_text())
    assert main(["db", "status"]) == 0
    assert "schema version 1" in capsys.readouterr().out
    assert main(["db", "migrate"]) == 0
    assert f"migrated from schema 1 to {SCHEMA_VERSION}; backup:" in capsys.readouterr().out
    bad = tmp_path / "bad.sqlite3"
    bad.write_text("not a database")
    assert main(["db", "restore", str(bad)]) != 0
    assert f"{bad}: not an SQLite database" in _err(capsys)


def test_since_is_one_day_form_for_bundle_and_audit(clinic, tmp_path, capsys):
    out = tmp_path / "x.bfbundle"
    for argv in (["bundle", "export", "P001", "-o", str(out), "--since", "March 2026"],
                 ["audit", "--admin", "admin", "--since", "March 2026"]):
        assert main(argv) == 2
        assert _err(capsys).endswith("--since 'March 2026': use YYYY-MM-DD")
    assert not out.exists()
    assert since_day("2026-03-01").isoformat() == "2026-03-01T00:00:00+00:00"
    assert since_day(None) is None and since_day("") is None
