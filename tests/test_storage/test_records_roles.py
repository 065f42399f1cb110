"""Least privilege on the real server: the owner role migrates, the app role (what workstations
log in as, after tools/clinic-grants.sql) reads and writes records but cannot change the schema
or the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from biofeedback.storage.records import PostgresDatabase, RecordsError, SqliteDatabase
from biofeedback.storage.records.models import Actor

TOOLS = Path(__file__).resolve().parents[2] / "tools"


@pytest.fixture
def clinic_db(pg_cluster):
    pg_cluster.execute((TOOLS / "clinic-roles.sql").read_text())
    name = "roles_test"
    pg_cluster.drop_database(name)
    pg_cluster.create_database(name, owner="biofeedback_owner")
    try:
        yield name
    finally:
        pg_cluster.drop_database(name)


def test_the_app_role_writes_records_but_not_the_schema_or_the_audit_log(pg_cluster, clinic_db,
                                                                        make_session):
    with PostgresDatabase(pg_cluster.url(clinic_db, "biofeedback_owner")) as owner:
        assert owner.version() > 0
    pg_cluster.execute((TOOLS / "clinic-grants.sql").read_text(), database=clinic_db,
                       user="biofeedback_owner")
    with PostgresDatabase(pg_cluster.url(clinic_db, "biofeedback_app")) as app:
        repo = app.repo.with_actor(Actor("t.smith", "therapist", "room-1"))
        repo.add_patient("P001")
        rec = make_session(size=2)
        repo.add_session(rec)
        n = repo.add_note("P001", "first visit")
        repo.edit_note("P001", n.id, "first visit, calm", expected_version=1)
        repo.set_dilator(rec.uid, make_session(size=3).dilator)
        repo.set_patient_name("P001", "Ann")
        repo.add_patient("P002")
        repo.add_session(make_session("P002"))
        repo.delete_patient("P002")  # cascades to its session, steps, ratings
        assert [e.action for e in repo.audit_log(patient="P002")] == ["deleted", "changed",
                                                                      "created"]
        for sql in ("UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log",
                    "TRUNCATE audit_log", "CREATE TABLE extra (x int)",
                    "UPDATE records_meta SET value = '1'", "DROP TABLE notes"):
            with pytest.raises(RecordsError, match="permission denied|must be owner"), \
                    app.engine.begin() as c:
                c.execute(text(sql))
        assert len(repo.audit_log()) >= 8


def test_the_app_role_keeps_cbt_and_partner_content(pg_cluster, clinic_db, make_session):
    """Every CBT repository write as the app role: add, re-rate, reorder, remove (the steps a
    patient removes), consent given and withdrawn; practices go with their step by cascade."""
    with PostgresDatabase(pg_cluster.url(clinic_db, "biofeedback_owner")) as owner:
        assert owner.version() > 0
    pg_cluster.execute((TOOLS / "clinic-grants.sql").read_text(), database=clinic_db,
                       user="biofeedback_owner")
    with PostgresDatabase(pg_cluster.url(clinic_db, "biofeedback_app")) as app:
        repo = app.repo.with_actor(Actor("t.smith", "therapist", "room-1"))
        repo.add_patient("P001")
        rec = make_session()
        repo.add_session(rec)
        low = repo.add_exposure_step("P001", "look at a dilator", 20)
        high = repo.add_exposure_step("P001", "insert the smallest dilator", 60)
        repo.add_exposure_practice(high.uid, 60, 35, pain=2, session_uid=rec.uid)
        repo.reorder_exposure_steps("P001", [high.uid, low.uid])
        repo.delete_exposure_step(high.uid)  # its practice goes with it
        assert [x.uid for x in repo.exposure_steps("P001")] == [low.uid]
        thought = repo.add_thought("P001", "before practice", "it will hurt", "worry", 70,
                                   balanced="it was bearable last time", rerating=40)
        repo.delete_thought(thought.uid)
        assert repo.thoughts("P001") == []
        a = repo.add_partner_step("P001", "talk about what feels good")
        b = repo.add_partner_step("P001", "touch without intercourse")
        repo.set_partner_agreed(a.uid)
        repo.set_partner_done(a.uid)
        repo.set_partner_notes(b.uid, "next week")
        repo.reorder_partner_steps("P001", [b.uid, a.uid])
        repo.delete_partner_step(b.uid)
        assert [x.uid for x in repo.partner_steps("P001")] == [a.uid]
        assert repo.set_cbt_consent("P001", True).reports
        assert not repo.set_cbt_consent("P001", False).reports
        assert repo.merge_cbt("P001", repo.cbt_content("P001")).added == 0  # nothing twice
        repo.delete_patient("P001")  # the CBT content goes with the patient
        with pytest.raises(RecordsError, match="permission denied"), app.engine.begin() as c:
            c.execute(text("DELETE FROM exposure_practice"))  # only by cascade


def test_the_audit_log_is_append_only_even_for_its_owner(tmp_path):
    with SqliteDatabase(tmp_path / "r.sqlite3") as db:
        db.repo.add_patient("P001")
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as c:
            c.execute(text("DELETE FROM audit_log"))
        assert len(db.repo.audit_log()) == 1
