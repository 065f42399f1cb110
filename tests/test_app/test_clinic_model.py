"""The clinic model without Qt: patient list and search, a patient page (history, trend series,
notes, swab maps, dilator suggestion), notes and swab maps added, replay paths checked against
the stored checksum, the report in memory (its text extracted) and its export audited, and
clinic mode with accounts (a login needed, the model audited as the person)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from pathlib import Path

import pytest

from biofeedback.app.clinic import TREND_CHARTS, ClinicError, ClinicModel, open_clinic
from biofeedback.storage.records.share import store_on_share

pypdf = pytest.importorskip("pypdf")


@pytest.fixture
def model(repo) -> ClinicModel:
    return ClinicModel(repo)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_patient_list_search_and_counts(model, make_session):
    model.add_patient("P001", "A. Example")
    model.add_patient("PF0042")
    model.repo.add_session(make_session("P001", day=0))
    model.repo.add_session(make_session("P001", day=3))
    rows = model.patients()
    assert [r.code for r in rows] == ["P001", "PF0042"]
    assert rows[0].sessions == 2 and rows[0].last_session == model.repo.sessions("P001")[-1].started
    assert rows[1].sessions == 0 and rows[1].last_session is None
    assert [r.code for r in model.patients("f00")] == ["PF0042"]
    assert [r.code for r in model.patients("example")] == ["P001"]
    assert model.patients("nobody") == []
    assert model.has_patient("P001") and not model.has_patient("P999") and not model.has_patient("")


def test_code_problems_are_said_before_anything_is_stored(model):
    assert model.code_problem("P017") is None
    assert "code" in model.code_problem("  ")
    assert "name" in model.code_problem("Jane Doe")
    assert "date" in model.code_problem("P19800102")
    with pytest.raises(Exception, match="looks like a name"):
        model.add_patient("Jane")
    assert model.patients() == []


def test_patient_page_history_series_notes_swabs_and_suggestion(model, make_session):
    model.add_patient("P001")
    first = make_session("P001", day=0, pain=4.0, size=2)
    second = make_session("P001", day=8, pain=2.0, size=2)
    model.repo.add_session(first)
    model.repo.add_session(second)
    model.add_note("P001", "  Tolerated size 2  ", session_uid=second.uid)
    model.add_note("P001", "Homework: breathing")
    model.add_swab_map("P001", {12: 0, 6: 7, 3: 4}, session_uid=first.uid)
    page = model.page("P001")
    assert [s.uid for s in page.sessions] == [first.uid, second.uid]
    row = page.session(second.uid)
    assert row.point.pain == 2.0 and row.point.dilator_size == 2 and row.minutes == 10.0
    assert [n.text for n in row.notes] == ["Tolerated size 2"]
    assert {r.scale for r in row.ratings} == {"pain", "anxiety"}
    assert row.steps[0] == ("Rest", 0.0, 60.0)
    keys = [s.key for s in page.series]
    assert keys == [k for k, *_ in TREND_CHARTS] + ["minutes_per_week"]
    pain = next(s for s in page.series if s.key == "pain")
    assert pain.y == (4.0, 2.0) and pain.x == (first.started, second.started)
    weekly = page.series[-1]
    assert weekly.bars and weekly.y == (10.0, 10.0)  # two ISO weeks, one session each
    assert len(page.notes) == 2
    (swab,) = page.swabs
    assert swab.pains == {3: 4.0, 6: 7.0, 12: 0.0}
    assert swab.max_pain == 7.0 and swab.mean_pain == pytest.approx(11 / 3)
    assert page.suggestion is not None and page.suggestion.endswith("You decide.")
    with pytest.raises(ClinicError, match="not one of P001"):
        page.session("nope")


def test_empty_note_and_empty_swab_map_are_refused(model):
    model.add_patient("P001")
    with pytest.raises(ClinicError, match="empty"):
        model.add_note("P001", "   ")
    with pytest.raises(ClinicError, match="at least one"):
        model.add_swab_map("P001", {})
    with pytest.raises(ClinicError):
        model.add_swab_map("P001", {13: 2})
    assert model.page("P001").notes == () and model.page("P001").swabs == ()


def test_replay_path_is_checked_against_the_stored_checksum(model, make_session, tmp_path):
    model.add_patient("P001")
    rec_file = tmp_path / "s.bdf"
    rec_file.write_bytes(b"recording bytes")
    sha = hashlib.sha256(b"recording bytes").hexdigest()
    good = dataclasses.replace(make_session("P001"), recording_path=str(rec_file),
                               recording_sha256=sha)
    bare = make_session("P001", day=1)
    model.repo.add_session(good)
    model.repo.add_session(bare)
    assert model.replay_path(good.uid) == rec_file
    with pytest.raises(ClinicError, match="no recording"):
        model.replay_path(bare.uid)
    rec_file.write_bytes(b"recording bytes, edited")
    with pytest.raises(ClinicError, match="changed since .* checksum differs"):
        model.replay_path(good.uid)
    rec_file.unlink()
    with pytest.raises(ClinicError, match="is missing"):
        model.replay_path(good.uid)


def test_a_recording_on_the_clinic_share_replays_through_this_mount(repo, make_session,
                                                                    tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    src = tmp_path / "s.bdf"
    src.write_bytes(b"recording bytes")
    rec = make_session("P001")
    path, sha = store_on_share(src, share, "P001", rec.uid)
    repo.add_patient("P001")
    repo.add_session(dataclasses.replace(rec, recording_path=path, recording_sha256=sha))
    assert ClinicModel(repo, share=share).replay_path(rec.uid) == share / "P001" / f"{rec.uid}.bdf"
    with pytest.raises(ClinicError, match="no share is configured"):
        ClinicModel(repo).replay_path(rec.uid)
    (share / "P001" / f"{rec.uid}.bdf").write_bytes(b"edited")
    with pytest.raises(ClinicError, match="altered after it was stored"):
        ClinicModel(repo, share=share).replay_path(rec.uid)


def test_report_in_memory_has_the_code_and_metrics_and_saves_private(model, make_session,
                                                                      tmp_path):
    model.add_patient("P001", "A. Example")
    model.repo.add_session(make_session("P001", day=0))
    model.repo.add_session(make_session("P001", day=2))
    pdf = model.report_pdf("P001")
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf, tmp_path)
    assert "P001" in text and "A. Example" not in text
    assert "baseline" in text.lower()
    named = _pdf_text(model.report_pdf("P001", include_name=True), tmp_path)
    assert "A. Example" in named
    out = model.save_report(pdf, tmp_path / "P001.pdf")
    assert out.read_bytes() == pdf
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with pytest.raises(ClinicError, match="does not exist"):
        model.save_report(pdf, tmp_path / "no-such-folder" / "x.pdf")
    model.save_report(model.report_pdf("P001", include_name=True), tmp_path / "named.pdf")
    exported = [e.detail for e in model.repo.audit_log(patient="P001") if e.action == "exported"]
    assert exported == ["PDF report named.pdf with name", "PDF report P001.pdf"]
    model.save_report(b"%PDF not built here", tmp_path / "other.pdf")  # not a report of ours
    assert len([e for e in model.repo.audit_log() if e.action == "exported"]) == 2


@pytest.fixture
def fast_hashes(monkeypatch):
    from argon2 import PasswordHasher

    monkeypatch.setattr("biofeedback.app.accounts._hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_with_accounts_the_model_needs_a_login_and_then_audits_as_the_person(model,
                                                                             fast_hashes):
    from biofeedback.app.accounts import create_account, login

    assert not model.needs_login() and model.who() == ""  # one therapist's laptop
    create_account(model.repo, "admin", "admin password 1", "administrator",
                   display_name="A. Admin")
    assert model.needs_login()
    mine = model.as_user(login(model.repo, "admin", "admin password 1"))
    assert not mine.needs_login() and mine.who() == "A. Admin (admin, administrator)"
    mine.add_patient("P001")
    mine.opened("P001")
    model.page("P001")  # drawing a page is not an opening: only ``opened`` is audited
    mine.log_out()
    log = [(e.action, e.actor, e.patient_code, e.detail) for e in model.repo.audit_log()]
    assert log[:3] == [("login", "admin", None, "admin logged out"),
                       ("opened", "admin", "P001", "patient page"),
                       ("created", "admin", "P001", "patient added")]
    mine.close()  # the database is the original model's: this does not close it
    assert model.patients()[0].code == "P001"


def test_open_clinic_uses_the_private_data_folder():
    model = open_clinic()
    try:
        model.add_patient("P002")
        assert [r.code for r in model.patients()] == ["P002"]
        db_file = Path(os.environ["BIOFEEDBACK_DATA_DIR"]) / "records.sqlite3"
        assert db_file.is_file() and stat.S_IMODE(os.stat(db_file).st_mode) == 0o600
    finally:
        model.close()
    model.close()  # twice is harmless
