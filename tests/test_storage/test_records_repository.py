"""The records repository, backend-neutral: every test takes ``repo`` (tests/conftest.py), which
runs it on each backend in ``BACKENDS`` (SQLite now; PostgreSQL with issue 17)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import event

from biofeedback.storage.patient_code import PatientCodeError
from biofeedback.storage.records import (
    SCHEMA_VERSION,
    DilatorEntry,
    Rating,
    RecordsError,
    SwabPoint,
)


def test_patient_summaries_count_sessions_and_last_time_in_one_statement(repo, make_session):
    repo.add_patient("P001", "Ann Example")
    repo.add_patient("PF0042")
    repo.add_patient("P002")
    repo.add_session(make_session("P001", day=3))
    repo.add_session(make_session("P001", day=0))
    latest = make_session("P001", day=10)
    repo.add_session(latest)
    repo.add_session(make_session("P002", day=1))
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(repo.engine, "before_cursor_execute", seen)
    try:
        got = repo.patient_summaries()
    finally:
        event.remove(repo.engine, "before_cursor_execute", seen)
    assert [x.patient for x in got] == repo.list_patients()  # same rows, same order
    assert [(x.patient.code, x.sessions) for x in got] == [("P001", 3), ("P002", 1),
                                                          ("PF0042", 0)]
    assert got[0].last_session == repo.sessions("P001")[-1].started  # the latest, not the last added
    assert got[0].last_session == latest.started and got[0].last_session.tzinfo is not None
    assert got[2].last_session is None
    assert len([x for x in statements if "sessions" in x]) == 1
    assert [x.patient.code for x in repo.patient_summaries("ann")] == ["P001"]
    assert [x.patient.code for x in repo.patient_summaries("f00")] == ["PF0042"]
    assert repo.patient_summaries("nobody") == []


def test_patients_add_find_search_rename_and_refuse_names(repo):
    p = repo.add_patient("P001", "  Ann   Example ")
    assert (p.code, p.name) == ("P001", "Ann Example") and p.created.tzinfo is not None
    repo.add_patient("PF0042")
    assert repo.get_patient("P001") == p
    assert [x.code for x in repo.list_patients()] == ["P001", "PF0042"]
    assert [x.code for x in repo.list_patients("ann")] == ["P001"]
    assert [x.code for x in repo.list_patients("f00")] == ["PF0042"]
    assert repo.set_patient_name("P001", None).name is None
    assert repo.find_patient("P999") is None
    with pytest.raises(RecordsError, match="already exists"):
        repo.add_patient("P001")
    with pytest.raises(PatientCodeError, match="looks like a name"):
        repo.add_patient("Jane Doe")
    with pytest.raises(PatientCodeError, match="date"):
        repo.add_patient("P19800102")
    with pytest.raises(RecordsError, match="no patient 'P999'"):
        repo.get_patient("P999")
    assert repo.schema_version() == SCHEMA_VERSION


def test_a_session_comes_back_exactly_and_is_stored_once(repo, make_session):
    repo.add_patient("P001")
    rec = make_session(size=3)
    assert repo.add_session(rec) is True
    assert repo.add_session(rec) is False  # the same uid: nothing duplicated
    back = repo.sessions("P001")
    assert back == [rec]
    assert back[0].steps[1].metrics == {"contraction_peak_uv": 41.0, "recovery_latency_s": 1.1,
                                        "note": None}
    assert repo.get_session(rec.uid).dilator == DilatorEntry(3, True, 600.0, 2.0, 3.2, 3.0)
    repo.add_patient("P002")
    with pytest.raises(RecordsError, match="belongs to another patient"):
        repo.add_session(dataclasses.replace(rec, patient_code="P002"))
    assert repo.sessions("P002") == []


def test_sessions_are_ordered_by_start_and_ratings_by_time(repo, make_session):
    repo.add_patient("P001")
    late, early = make_session(day=7), make_session(day=0)
    repo.add_session(late)
    repo.add_session(early)
    assert [r.uid for r in repo.sessions("P001")] == [early.uid, late.uid]
    repo.add_rating(early.uid, Rating("pain", 5, 300.0, "Pain during"))
    got = repo.get_session(early.uid).ratings
    assert [(r.label, r.at_s) for r in got] == [("Pain before", 0.0), ("SUDS", 1.0),
                                                ("Pain during", 300.0)]


@pytest.mark.parametrize("rating", [Rating("pain", 11, 0, ""), Rating("anxiety", -1, 0, ""),
                                    Rating("mood", 3, 0, ""), Rating("pain", float("nan"), 0, "")])
def test_a_bad_rating_writes_nothing_of_the_session(repo, make_session, rating):
    repo.add_patient("P001")
    rec = dataclasses.replace(make_session(), ratings=(Rating("pain", 1, 0, "ok"), rating))
    with pytest.raises(RecordsError):
        repo.add_session(rec)
    assert repo.sessions("P001") == [] and not repo.has_session(rec.uid)


def test_a_transaction_is_all_or_nothing(repo, make_session):
    rec = make_session()
    with pytest.raises(RuntimeError, match="boom"), repo.transaction() as tx:
        tx.add_patient("P001")
        tx.add_session(rec)
        tx.add_note("P001", "first visit")
        assert tx.has_session(rec.uid)  # visible inside the transaction
        raise RuntimeError("boom")
    assert repo.find_patient("P001") is None and not repo.has_session(rec.uid)
    with repo.transaction() as tx:
        tx.add_patient("P001")
        tx.add_session(rec)
    assert repo.has_session(rec.uid)


def test_notes_swab_maps_and_dilator_log(repo, make_session):
    repo.add_patient("P001")
    rec = make_session()
    repo.add_session(rec)
    t = dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC)
    n = repo.add_note("P001", "Tolerated size 2.", session_uid=rec.uid, created=t)
    assert repo.notes("P001") == [n] and n.created == t
    with pytest.raises(RecordsError, match="1 to"):
        repo.add_note("P001", "   ")
    m = repo.add_swab_map("P001", [SwabPoint(6, 7), SwabPoint(12, 0), SwabPoint(3, 4.5)],
                          session_uid=rec.uid, taken=t)
    assert [p.clock for p in m.points] == [3, 6, 12]
    assert repo.swab_maps("P001") == [m]
    for bad in ([SwabPoint(13, 1)], [SwabPoint(6, 11)], [SwabPoint(6, 1), SwabPoint(6, 2)], []):
        with pytest.raises(RecordsError, match="cotton-swab"):
            repo.add_swab_map("P001", bad)
    assert len(repo.swab_maps("P001")) == 1
    repo.set_dilator(rec.uid, DilatorEntry(2, False, 120.0, 4.0))
    repo.set_dilator(rec.uid, DilatorEntry(3, True, 600.0, 1.0, 3.1, 3.0))  # replaces
    assert repo.get_session(rec.uid).dilator == DilatorEntry(3, True, 600.0, 1.0, 3.1, 3.0)


def test_programmes_are_stored_once_per_checksum(repo):
    repo.add_patient("P001")
    a, new = repo.save_programme("P001", '{"a":1}', "a" * 64)
    assert new and repo.latest_programme("P001") == a
    again, new = repo.save_programme("P001", '{"a":1}', "a" * 64)
    assert not new and again == a
    b, new = repo.save_programme("P001", '{"b":2}', "b" * 64)
    assert new and repo.latest_programme("P001") == b


def test_deleting_a_patient_removes_everything_recorded(repo, make_session):
    repo.add_patient("P001")
    rec = make_session(size=2)
    repo.add_session(rec)
    repo.add_note("P001", "note", session_uid=rec.uid)
    repo.add_swab_map("P001", [SwabPoint(6, 3)])
    repo.save_programme("P001", "{}", "c" * 64)
    repo.delete_patient("P001")
    assert repo.find_patient("P001") is None and not repo.has_session(rec.uid)
    repo.add_patient("P001")
    assert repo.sessions("P001") == [] and repo.notes("P001") == []
    assert repo.swab_maps("P001") == [] and repo.latest_programme("P001") is None


def test_times_without_a_zone_are_refused(repo, make_session):
    repo.add_patient("P001")
    rec = dataclasses.replace(make_session(), started=dt.datetime(2026, 1, 1, 12))
    with pytest.raises(RecordsError, match="time zone"):
        repo.add_session(rec)
    assert not repo.has_session(rec.uid)
