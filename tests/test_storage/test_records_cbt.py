"""CBT and partner-support records (schema version 3): the exposure hierarchy and its practice,
thought records, partner steps, report consent, merging exchanged content, and the migration
from a real version-2 file and from empty."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from biofeedback.storage.records import SCHEMA_VERSION, RecordsError, SqliteDatabase
from biofeedback.storage.records.cbt_codec import cbt_from_dict, cbt_to_dict
from biofeedback.storage.records.database import inspect_backup
from biofeedback.storage.records.models_cbt import CbtContent

REPO = Path(__file__).resolve().parents[2]
V1_SQL = REPO / "tests" / "fixtures" / "records" / "records-v1.sql"
V1_UID = "0123456789abcdef0123456789abcdef"
T0 = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)
CBT_TABLES = {"exposure_steps", "exposure_practice", "thought_records", "partner_steps",
              "cbt_consent"}


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as c:
        return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}


# -- the hierarchy -------------------------------------------------------------------------
def test_hierarchy_steps_keep_their_order_and_practices_re_rate_them(repo, make_session):
    repo.add_patient("P001")
    look = repo.add_exposure_step("P001", "Look with a mirror", 20, created=T0)
    finger = repo.add_exposure_step("P001", "Own fingertip at the entrance", 60,
                                    expectation="It will hurt a lot")
    touch = repo.add_exposure_step("P001", "Touch the outer lips", 35, position=2)
    assert [(s.position, s.uid) for s in repo.exposure_steps("P001")] == \
        [(1, look.uid), (2, touch.uid), (3, finger.uid)]
    assert look.created == T0 and finger.expectation == "It will hurt a lot"
    rec = make_session("P001")
    repo.add_session(rec)
    repo.add_exposure_practice(finger.uid, 55, 30, pain=2, outcome="It did not hurt much",
                               session_uid=rec.uid, practised=T0 + dt.timedelta(days=1))
    repo.add_exposure_practice(finger.uid, 35, 25, practised=T0 + dt.timedelta(days=2))
    got = repo.exposure_steps("P001")[2]
    assert [(p.anxiety_before, p.anxiety_after) for p in got.practices] == [(55, 30), (35, 25)]
    assert got.practices[0].session_uid == rec.uid and got.practices[0].pain == 2.0
    assert got.anxiety == 60 and got.current_anxiety == 35  # the last practice's peak
    repo.reorder_exposure_steps("P001", [finger.uid, look.uid, touch.uid])
    assert repo.exposure_steps("P001")[0].text == finger.text
    repo.delete_exposure_step(look.uid)
    assert [(s.position, s.uid) for s in repo.exposure_steps("P001")] == \
        [(1, finger.uid), (2, touch.uid)]
    repo.delete_session(rec.uid)  # the practice stays, without its link
    assert repo.exposure_steps("P001")[0].practices[0].session_uid is None


@pytest.mark.parametrize(("call", "message"), [
    (lambda r, u: r.add_exposure_step("P001", "x", 101), r"anxiety is rated 0-100 \(got 101\)"),
    (lambda r, u: r.add_exposure_step("P001", "x", float("nan")), r"anxiety is rated 0-100"),
    (lambda r, u: r.add_exposure_step("P001", "  ", 10), r"a hierarchy step needs some text"),
    (lambda r, u: r.add_exposure_step("P001", "x" * 2001, 10), r"at most 2000 characters"),
    (lambda r, u: r.add_exposure_step("P001", "x", 10, position=9), r"position 9 is outside 1-2"),
    (lambda r, u: r.add_exposure_practice(u, -1, 10), r"anxiety before is rated 0-100"),
    (lambda r, u: r.add_exposure_practice(u, 10, 10, pain=11), r"pain is rated 0-10"),
    (lambda r, u: r.add_exposure_practice("f" * 32, 10, 10), r"no hierarchy step f{32}"),
    (lambda r, u: r.add_exposure_practice(u, 10, 10, session_uid="e" * 32), r"no session e{32}"),
    (lambda r, u: r.add_thought("P001", "s", "t", "afraid", 120), r"intensity is rated 0-100"),
    (lambda r, u: r.add_thought("P001", "s", "t", "x" * 81, 20), r"a feeling has at most 80"),
    (lambda r, u: r.add_thought("P001", "s", "", "afraid", 20), r"a thought needs some text"),
    (lambda r, u: r.add_thought("P001", "s", "t", "a", 20, rerating=-5), r"re-rating is rated"),
    (lambda r, u: r.add_partner_step("P009", "x"), r"no patient 'P009'"),
    (lambda r, u: r.set_partner_done("0" * 32), r"no partner step 0{32}"),
    (lambda r, u: r.reorder_exposure_steps("P001", []), r"name each of the 1 steps once"),
])
def test_bad_entries_are_refused_in_one_line_and_nothing_is_written(repo, call, message):
    repo.add_patient("P001")
    step = repo.add_exposure_step("P001", "Look with a mirror", 20)
    with pytest.raises(RecordsError, match=message) as e:
        call(repo, step.uid)
    assert "\n" not in str(e.value)
    assert repo.cbt_content("P001") == CbtContent((step,))


def test_thought_records_and_partner_steps(repo):
    repo.add_patient("P001")
    t = repo.add_thought("P001", " Before dilator practice ", "It will tear me", "afraid", 80,
                         balanced="It stretched last time and did not tear", rerating=40,
                         taken=T0)
    repo.add_thought("P001", "In bed", "He will leave me", "ashamed", 70)
    got = repo.thoughts("P001")
    assert got[0] == dataclasses.replace(t, situation="Before dilator practice")
    assert got[1].balanced is None and got[1].rerating is None
    repo.delete_thought(got[1].uid)
    assert len(repo.thoughts("P001")) == 1

    a = repo.add_partner_step("P001", "Massage without genital touch", notes="Sensate focus 1")
    b = repo.add_partner_step("P001", "Partner's hand on mine while I touch")
    assert (a.agreed, a.done, b.position) == (None, None, 2)
    done = repo.set_partner_done(b.uid, at=T0)  # done together implies agreed
    assert done.done == T0 and done.agreed == T0
    repo.set_partner_agreed(a.uid, at=T0)
    assert repo.set_partner_done(b.uid, False).done is None
    assert repo.set_partner_agreed(b.uid, False).agreed is None
    assert repo.set_partner_notes(a.uid, "  ").notes is None
    assert [p.uid for p in repo.reorder_partner_steps("P001", [b.uid, a.uid])] == [b.uid, a.uid]
    repo.delete_partner_step(b.uid)
    (left,) = repo.partner_steps("P001")
    assert left.position == 1 and left.agreed == T0


def test_consent_defaults_to_not_in_reports(repo):
    repo.add_patient("P001")
    c = repo.cbt_consent("P001")
    assert (c.reports, c.changed) == (False, None)
    assert repo.set_cbt_consent("P001", True).reports is True
    assert repo.set_cbt_consent("P001", False).reports is False
    assert repo.cbt_consent("P001").changed is not None


def test_cbt_changes_are_in_the_audit_log_without_their_words(repo):
    """Who changed a patient's CBT records is audited like any other change (issue 17); the
    log says what kind of entry changed, never the private words themselves."""
    repo.add_patient("P001")
    step = repo.add_exposure_step("P001", "Smallest dilator, lying down", 40)
    repo.add_exposure_practice(step.uid, 40, 25)
    thought = repo.add_thought("P001", "evening alone", "it will tear", "fear", 80)
    partner = repo.add_partner_step("P001", "massage without touching the genitals")
    repo.set_partner_agreed(partner.uid)
    repo.set_cbt_consent("P001", True)
    repo.delete_thought(thought.uid)
    entries = [e for e in repo.audit_log(patient="P001") if e.action == "changed"]
    details = [e.detail for e in entries]
    for kind in ("exposure step added", "exposure practice added", "thought record added",
                 "partner step added", "partner step updated", "thought record deleted"):
        assert kind in details, details
    assert any(d.startswith("report consent") and d.endswith("given") for d in details)
    words = ("dilator", "tear", "fear", "massage", "evening")
    assert not any(w in d for d in details for w in words)


def test_a_deleted_patient_takes_the_cbt_content_along(repo):
    repo.add_patient("P001")
    s = repo.add_exposure_step("P001", "Look", 20)
    repo.add_exposure_practice(s.uid, 20, 10)
    repo.add_thought("P001", "s", "t", "afraid", 50)
    repo.add_partner_step("P001", "Hold hands")
    repo.set_cbt_consent("P001", True)
    repo.delete_patient("P001")
    repo.add_patient("P001")
    assert repo.cbt_content("P001").empty and not repo.cbt_consent("P001").reports


# -- merging exchanged content (bundle import) ----------------------------------------------
def _fill(repo, code: str = "P001") -> CbtContent:
    step = repo.add_exposure_step(code, "Own fingertip", 60, expectation="Pain", created=T0)
    repo.add_exposure_practice(step.uid, 50, 30, outcome="Less than I feared", practised=T0)
    repo.add_thought(code, "Before practice", "It will tear", "afraid", 80, taken=T0)
    repo.add_partner_step(code, "Massage", created=T0)
    return repo.cbt_content(code)


def test_merging_the_same_content_twice_adds_it_once_and_fills_in_ticks(repo, tmp_path):
    repo.add_patient("P001")
    home = _fill(repo)
    with SqliteDatabase(tmp_path / "clinic.sqlite3", backup_folder=tmp_path / "b") as clinic:
        clinic.repo.add_patient("P001")
        mine = clinic.repo.add_exposure_step("P001", "Look with a mirror", 10)
        back = cbt_from_dict(cbt_to_dict(home), "x.bfbundle", "P001")
        assert back == home  # the JSON form is lossless
        first = clinic.repo.merge_cbt("P001", back)
        assert (first.added, first.updated) == (4, 0)
        again = clinic.repo.merge_cbt("P001", back)
        assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
        got = clinic.repo.cbt_content("P001")
        assert [s.text for s in got.steps] == ["Own fingertip", mine.text]  # its position 1
        assert got.steps[0].practices == home.steps[0].practices
        assert got.thoughts == home.thoughts
        # ticked off at home later: the date is filled in here, nothing else changes
        ticked = repo.set_partner_done(home.partner[0].uid, at=T0 + dt.timedelta(days=3))
        later = dataclasses.replace(back, partner=(ticked,))
        m = clinic.repo.merge_cbt("P001", later)
        assert (m.added, m.updated) == (0, 1)
        assert clinic.repo.partner_steps("P001")[0].done == T0 + dt.timedelta(days=3)


def test_content_of_another_patient_is_refused_and_nothing_merged(repo):
    repo.add_patient("P001")
    repo.add_patient("P002")
    theirs = _fill(repo, "P002")
    mixed = dataclasses.replace(_fill(repo, "P001"), partner=theirs.partner)
    before = repo.cbt_content("P001")
    with pytest.raises(RecordsError, match=r"partner step [0-9a-f]{32} belongs to another"):
        repo.merge_cbt("P001", dataclasses.replace(mixed, steps=(), thoughts=()))
    fresh = dataclasses.replace(mixed.steps[0], uid="a" * 32, practices=())
    with pytest.raises(RecordsError, match="belongs to another patient"):
        repo.merge_cbt("P001", CbtContent((fresh,), (), theirs.partner))  # the step is rolled back
    assert repo.cbt_content("P001") == before


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["hierarchy"][0].update(anxiety=140), r"'anxiety' must be a number from 0 to 100"),
    (lambda d: d["hierarchy"][0].update(uid="../x"), r"'uid' is not an id"),
    (lambda d: d["thoughts"][0].update(taken="yesterday"), r"'taken' must be an ISO-8601 time"),
    (lambda d: d["partner_steps"][0].update(text=""), r"'text' must be a text of 1-2000"),
    (lambda d: d["hierarchy"][0]["practices"][0].update(pain=12), r"'pain' must be a number"),
    (lambda d: d.update(thoughts={}), r"'thoughts' must be a list"),
    (lambda d: d["thoughts"].append(dict(d["thoughts"][0])), r"an entry appears twice"),
])
def test_malformed_exchanged_content_is_refused_in_one_line(repo, edit, message):
    repo.add_patient("P001")
    d = cbt_to_dict(_fill(repo))
    edit(d)
    with pytest.raises(RecordsError, match=message) as e:
        cbt_from_dict(d, "home.bfbundle", "P001")
    assert str(e.value).startswith("home.bfbundle: ") and "\n" not in str(e.value)


# -- migration (a real file) ----------------------------------------------------------------
def _v2_file(path: Path, tmp_path: Path) -> Path:
    """A version-2 records file with data: the version-1 fixture migrated to 2 by this app."""
    with sqlite3.connect(path) as c:
        c.executescript(V1_SQL.read_text())
    with SqliteDatabase(path, auto_migrate=False, backup_folder=tmp_path / "b2") as db:
        db.migrate(target=2)
    with sqlite3.connect(path) as c:  # as version 2 wrote it (today's repository is newer)
        c.execute("INSERT INTO notes (patient_id, session_uid, created, text) SELECT id, ?, "
                  "'2026-01-05T10:00:00.000000+00:00', 'before version 3' FROM patients "
                  "WHERE code = 'P007'", (V1_UID,))
    return path


def test_a_version_2_file_is_backed_up_then_migrated_keeping_its_data(tmp_path):
    path = _v2_file(tmp_path / "records.sqlite3", tmp_path)
    assert not CBT_TABLES & _tables(path)
    with SqliteDatabase(path, backup_folder=tmp_path / "backups") as db:
        m = db.last_migration
        assert (m.from_version, m.to_version) == (2, SCHEMA_VERSION)
        assert _tables(path) >= CBT_TABLES
        repo = db.repo
        assert [n.text for n in repo.notes("P007")] == ["before version 3"]
        assert not repo.cbt_consent("P007").reports  # nobody consented by migrating
        step = repo.add_exposure_step("P007", "Smallest dilator", 50)
        repo.add_exposure_practice(step.uid, 45, 20, session_uid=V1_UID)
        assert repo.exposure_steps("P007")[0].practices[0].session_uid == V1_UID
    assert inspect_backup(m.backup) == 2 and not CBT_TABLES & _tables(m.backup)


def test_an_empty_file_gets_version_3_directly(tmp_path):
    path = tmp_path / "new.sqlite3"
    with SqliteDatabase(path, backup_folder=tmp_path / "b") as db:
        assert db.last_migration.from_version == 0 and db.version() == SCHEMA_VERSION
        db.repo.add_patient("P001")
        db.repo.set_cbt_consent("P001", True)
    assert _tables(path) >= CBT_TABLES


def test_a_failed_version_3_step_leaves_version_2(tmp_path, break_migration):
    path = _v2_file(tmp_path / "records.sqlite3", tmp_path)
    break_migration(3, "power cut halfway")
    with pytest.raises(RuntimeError, match="halfway"):
        SqliteDatabase(path, backup_folder=tmp_path / "b")
    assert not CBT_TABLES & _tables(path)
    with SqliteDatabase(path, auto_migrate=False) as db:
        assert db.version() == 2
