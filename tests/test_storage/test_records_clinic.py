"""Several workstations on both backends: version checks (the second writer is told, nothing
lost), the append-only audit log, a session stored once when two writers race."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from biofeedback.storage.records import ConflictError, RecordsError
from biofeedback.storage.records.models import Actor


def test_a_stale_writer_is_told_and_nothing_is_lost(repo):
    repo.add_patient("P001", "Ann")
    seen_here = repo.get_patient("P001")  # two workstations open the same patient
    seen_there = repo.get_patient("P001")
    assert seen_here.version == seen_there.version == 1
    saved = repo.set_patient_name("P001", "Ann B.", expected_version=seen_here.version)
    assert saved.version == 2
    with pytest.raises(ConflictError, match="changed on another workstation.*reload"):
        repo.set_patient_name("P001", "Anne", expected_version=seen_there.version)
    assert repo.get_patient("P001").name == "Ann B."  # the first change is kept
    again = repo.get_patient("P001")  # reload, apply again
    assert repo.set_patient_name("P001", "Anne", expected_version=again.version).version == 3
    with pytest.raises(ConflictError):
        repo.delete_patient("P001", expected_version=2)
    assert repo.find_patient("P001") is not None


def test_notes_are_edited_with_a_version_check(repo):
    repo.add_patient("P001")
    n = repo.add_note("P001", "first visit")
    assert n.version == 1 and n.edited is None
    e = repo.edit_note("P001", n.id, "first visit, calm", expected_version=1)
    assert (e.version, e.text) == (2, "first visit, calm") and e.edited is not None
    with pytest.raises(ConflictError):
        repo.edit_note("P001", n.id, "overwritten?", expected_version=1)
    assert repo.notes("P001") == [e]
    with pytest.raises(RecordsError, match="no note 999"):
        repo.edit_note("P001", 999, "x")


def test_every_change_is_audited_and_the_log_is_append_only(records_db, make_session):
    therapist = Actor("t.smith", "therapist", "room-2")
    repo = records_db.repo.with_actor(therapist)
    repo.add_patient("P001")
    rec = make_session()
    repo.add_session(rec)
    repo.add_note("P001", "note")
    repo.record_audit("opened", "P001", "patient page")
    repo.record_audit("exported", "P001", "report P001.pdf")
    with pytest.raises(RuntimeError), repo.transaction() as tx:
        tx.add_note("P001", "rolled back")
        raise RuntimeError("boom")
    repo.delete_patient("P001")
    log = repo.audit_log(patient="P001")
    assert [e.action for e in reversed(log)] == ["created", "changed", "changed", "opened",
                                                 "exported", "deleted"]
    assert {(e.actor, e.role, e.workstation) for e in log} == {("t.smith", "therapist",
                                                                "room-2")}
    assert rec.uid in log[-2].detail and "rolled back" not in " ".join(e.detail for e in log)
    assert records_db.repo.audit_log(actor="nobody") == []
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), records_db.engine.begin() as c:
            c.execute(text(sql))
    assert len(repo.audit_log()) == 6


def test_the_same_session_from_two_writers_at_once_is_stored_once(pg_cluster, pg_database,
                                                                  tmp_path, make_session):
    from biofeedback.storage.records import PostgresDatabase

    a = PostgresDatabase(pg_cluster.url(pg_database))
    b = PostgresDatabase(pg_cluster.url(pg_database))
    try:
        a.repo.add_patient("P001")
        rec = make_session()
        results: list[bool] = []
        with a.repo.transaction() as tx:
            assert tx.add_session(rec) is True  # not committed yet
            other = threading.Thread(target=lambda: results.append(b.repo.add_session(rec)))
            other.start()
            _wait_until_blocked(a)  # b's insert waits on a's uncommitted row
        other.join(timeout=30)
        assert results == [False]  # b stored nothing: the session is there once
        assert [r.uid for r in a.repo.sessions("P001")] == [rec.uid]
    finally:
        a.close()
        b.close()


def _wait_until_blocked(db) -> None:
    for _ in range(10_000):
        with db.engine.connect() as c:
            n = c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                               "current_database() AND wait_event_type = 'Lock'")).scalar()
        if n:
            return
    raise AssertionError("the second writer never waited for the first")
