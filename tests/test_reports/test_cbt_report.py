"""The report's CBT and partner section appears only with the patient's consent: checked on the
text pdftotext extracts, both ways, and after consent is withdrawn again."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from biofeedback.reports.cbt_section import HEADING
from biofeedback.reports.data import collect
from biofeedback.reports.pdf import write_report

T0 = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)
PRIVATE = ("Smallest dilator lying down", "It will tear", "Massage without genital touch",
           "Tight at first then it eased")


@pytest.fixture
def cbt(repo, make_session):
    repo.add_patient("P001")
    repo.add_session(make_session())
    step = repo.add_exposure_step("P001", "Smallest dilator lying down", 60,
                                  expectation="Sharp pain", created=T0)
    repo.add_exposure_practice(step.uid, 55, 30, outcome="Tight at first then it eased",
                               practised=T0 + dt.timedelta(days=1))
    repo.add_thought("P001", "Before practice", "It will tear", "afraid", 80,
                     balanced="It stretched last time", rerating=35, taken=T0)
    ps = repo.add_partner_step("P001", "Massage without genital touch", created=T0)
    repo.set_partner_done(ps.uid, at=T0 + dt.timedelta(days=2))
    return repo


def _pdftotext(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return " ".join(out.split())  # table cells wrap: compare on single spaces


def test_without_consent_the_report_holds_no_cbt_or_partner_content(cbt, tmp_path):
    text = _pdftotext(write_report(collect(cbt, "P001"), tmp_path / "r.pdf"))
    assert "P001" in text and "Clinician notes" in text  # the rest of the report is there
    assert HEADING not in text and "SUDS, Wolpe" not in text
    for private in PRIVATE:
        assert private not in text


def test_with_consent_the_section_shows_hierarchy_thoughts_and_partner_steps(cbt, tmp_path):
    cbt.set_cbt_consent("P001", True)
    text = _pdftotext(write_report(collect(cbt, "P001"), tmp_path / "r.pdf"))
    assert HEADING in text and "the patient agreed" in text
    for private in PRIVATE:
        assert private in text
    assert "Sharp pain" in text and "afraid 80" in text and "It stretched last time" in text
    assert "04 Mar 2026" in text  # the partner step, done together on day 2
    assert "not from the drop within one practice alone" in text
    cbt.set_cbt_consent("P001", False)  # withdrawn: gone from the next report
    text = _pdftotext(write_report(collect(cbt, "P001"), tmp_path / "r2.pdf"))
    assert HEADING not in text and not any(p in text for p in PRIVATE)
