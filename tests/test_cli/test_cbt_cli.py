"""``biofeedback patients hierarchy|thoughts|partner|consent`` end to end on a real records
file: add, rate, tick off, list as text and JSON, consent into the report; one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from biofeedback.cli import main


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "clinic"))
    assert main(["patients", "add", "P001"]) == 0


def _json(capsys, *argv: str):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _err(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_hierarchy_add_rate_and_list(clinic, capsys):
    h = ["patients", "hierarchy", "P001"]
    assert main([*h, "add", "Smallest dilator, lying down", "--anxiety", "60",
                 "--expect", "It will hurt"]) == 0
    assert main([*h, "add", "Mirror", "--anxiety", "20", "--position", "1"]) == 0
    assert main([*h, "rate", "2", "--before", "55", "--after", "30", "--pain", "2",
                 "--outcome", "It eased"]) == 0
    assert "practice of step 2 recorded: anxiety 55 -> 30" in capsys.readouterr().out
    steps = _json(capsys, *h, "list", "--json")
    assert [s["text"] for s in steps] == ["Mirror", "Smallest dilator, lying down"]
    assert steps[1]["current_anxiety"] == 55 and steps[1]["practices"][0]["outcome"] == "It eased"
    assert main([*h, "rate", steps[1]["uid"], "--before", "30", "--after", "20"]) == 0
    assert "40 or below" in capsys.readouterr().out  # the calm hint
    assert main([*h, "list"]) == 0
    assert "2. Smallest dilator, lying down  (first 60, now 30, 2 practice(s))" in \
        capsys.readouterr().out
    assert "use its number in the list (1-2)" in _err(capsys, *h, "rate", "7", "--before", "1",
                                                       "--after", "1")
    assert "anxiety is rated 0-100" in _err(capsys, *h, "add", "x", "--anxiety", "150")
    assert "no patient 'P404'" in _err(capsys, "patients", "hierarchy", "P404", "list")


def test_thoughts_partner_steps_and_consent_into_the_report(clinic, tmp_path, capsys):
    assert main(["patients", "thoughts", "P001", "add", "--situation", "Before practice",
                 "--thought", "It will tear", "--feeling", "afraid", "--intensity", "80",
                 "--balanced", "It stretched last time", "--rerate", "35"]) == 0
    (t,) = _json(capsys, "patients", "thoughts", "P001", "list", "--json")
    assert (t["feeling"], t["intensity"], t["rerating"]) == ("afraid", 80, 35)
    capsys.readouterr()
    assert main(["patients", "thoughts", "P001", "list"]) == 0
    assert 'Before practice: "It will tear"  afraid 80 -> 35  balanced: "It stretched last time"' \
        in capsys.readouterr().out
    assert "intensity is rated 0-100" in _err(
        capsys, "patients", "thoughts", "P001", "add", "--situation", "s", "--thought", "t",
        "--feeling", "f", "--intensity", "-3")
    p = ["patients", "partner", "P001"]
    assert main([*p, "add", "Massage without genital touch", "--notes", "Sensate focus"]) == 0
    assert main([*p, "add", "Shower together"]) == 0
    assert main([*p, "agree", "2"]) == 0 and main([*p, "done", "1"]) == 0
    steps = _json(capsys, *p, "list", "--json")
    assert steps[0]["done"] and steps[0]["agreed"] and steps[1]["agreed"] and not steps[1]["done"]
    assert main([*p, "agree", "2", "--undo"]) == 0
    assert main([*p, "list"]) == 0
    out = capsys.readouterr().out
    assert "[x]  1. Massage without genital touch" in out and "[ ]  2. Shower together" in out
    assert main(["patients", "add", "P002"]) == 0
    for what, empty in (("hierarchy", "no hierarchy steps yet"),
                        ("thoughts", "no thought records yet"), ("partner", "no partner steps yet")):
        capsys.readouterr()
        assert main(["patients", what, "P002", "list"]) == 0
        assert capsys.readouterr().out.strip() == empty
    assert "there are no partner steps yet" in _err(capsys, "patients", "partner", "P002",
                                                    "done", "1")

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")

    def report_text(name: str) -> str:
        out = tmp_path / name
        assert main(["report", "P001", "-o", str(out)]) == 0
        return " ".join(subprocess.run(["pdftotext", str(out), "-"], check=True,
                                       capture_output=True, text=True).stdout.split())

    assert main(["patients", "consent", "P001"]) == 0
    assert "is not included in reports" in capsys.readouterr().out
    assert "It will tear" not in report_text("before.pdf")
    assert main(["patients", "consent", "P001", "--reports", "yes"]) == 0
    assert "is included in reports (recorded" in capsys.readouterr().out
    text = report_text("after.pdf")
    assert "It will tear" in text and "Massage without genital touch" in text
