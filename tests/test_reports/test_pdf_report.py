"""The PDF report: its extracted text holds the code (never the name unless asked), the
assessment's metrics and definitions, trends, dilator progression, notes, the swab map, the
processing block and the not-a-diagnosis wording; a page renders to an image."""

from __future__ import annotations

import dataclasses
import shutil
import stat
import subprocess

import pytest
from pypdf import PdfReader

from biofeedback.reports.data import collect
from biofeedback.reports.pdf import write_report
from biofeedback.storage.records import SwabPoint
from biofeedback.storage.records.progression import attempts, suggest


@pytest.fixture
def filled(repo, make_session):
    repo.add_patient("P001", "Secret Name")
    a = make_session(day=0, size=2, pain=3)
    b = dataclasses.replace(make_session(day=8, size=2, pain=1),
                            processing={"emg_fs_hz": 2000.0, "pressure_fs_hz": 100.0,
                                        "display_hz": 100.0,
                                        "pipeline": {"emg": {"band_low_hz": 20.0,
                                                             "band_high_hz": 450.0,
                                                             "filter_order": 4, "notch_hz": None,
                                                             "rms_window_s": 0.25}}})
    repo.add_session(a)
    repo.add_session(b)
    repo.add_note("P001", "Breathing cues helped; continue size 2.", session_uid=b.uid)
    repo.add_swab_map("P001", [SwabPoint(12, 0), SwabPoint(6, 7), SwabPoint(3, 4)])
    return repo


def _text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_the_report_text_holds_code_metrics_and_sections(filled, tmp_path):
    sessions = filled.sessions("P001")
    sug = suggest(attempts(sessions), [1, 2, 3])
    data = collect(filled, "P001", suggestion=sug,
                   protocol_descriptions={"assessment": "Rest 60 s, 5 quick flicks."})
    out = write_report(data, tmp_path / "r.pdf")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = _text(out)
    assert "P001" in text and "Secret Name" not in text
    assert "does not diagnose" in text
    assert "Rest 60 s, 5 quick flicks." in text  # the protocol's definition
    # the latest assessment's metrics (session b: baseline 3.8, CV 10, peaks 41 and 42 in a block of 2)
    assert "Resting baseline 3.80 µV" in text
    assert "Mean amplitude 3.80 µV" in text and "Variability 10.0 %" in text
    assert "Block: Squeeze (mean of 2)" in text and "Maximum contraction 41.5 µV" in text
    assert "Variability (%): 100 x SD / mean" in text  # definitions
    for section in ("Trends", "Resting baseline (µV)", "Practice per week (min)",
                    "Dilator progression", "Vestibular sensitivity", "Clinician notes",
                    "Signal processing (ISEK-style reporting)"):
        assert section in text
    assert "Breathing cues helped; continue size 2." in text
    assert "20.0-450.0 Hz, Butterworth order 4" in text and "2000.0 Hz" in text
    assert "250.0 ms window" in text
    assert sug.text.split(".")[0] in text and "You decide." in text


def test_the_name_only_when_asked_and_a_page_renders(filled, tmp_path):
    out = write_report(collect(filled, "P001", include_name=True), tmp_path / "named.pdf")
    assert "Secret Name" in _text(out)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "2", "-l", "2", str(out),
                    str(tmp_path / "page")], check=True, timeout=60)
    (png,) = tmp_path.glob("page*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_a_report_of_a_patient_without_sessions(repo, tmp_path):
    repo.add_patient("P002")
    text = _text(write_report(collect(repo, "P002"), tmp_path / "empty.pdf"))
    assert "P002" in text and "No session recorded yet." in text and "not measured yet" in text
