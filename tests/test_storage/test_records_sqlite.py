"""The SQLite records file itself: private, WAL, migrations from empty and from a real version-1
file, a reader during a write, a writer killed mid-transaction, backup and restore."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from biofeedback.storage.records import (
    SCHEMA_VERSION,
    DilatorEntry,
    RecordsError,
    SqliteDatabase,
)
from biofeedback.storage.records.database import inspect_backup

REPO = Path(__file__).resolve().parents[2]
V1_SQL = REPO / "tests" / "fixtures" / "records" / "records-v1.sql"
V1_UID = "0123456789abcdef0123456789abcdef"
ALL_TABLES = {"records_meta", "patients", "sessions", "steps", "ratings", "dilator_log", "notes",
              "swab_maps", "swab_points", "programmes", "exposure_steps", "exposure_practice",
              "thought_records", "partner_steps", "cbt_consent", "accounts", "audit_log"}


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as c:
        return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _v1_file(path: Path) -> Path:
    with sqlite3.connect(path) as c:
        c.executescript(V1_SQL.read_text())
    return path


def test_a_new_file_is_private_wal_with_foreign_keys_and_the_full_schema(tmp_path):
    path = tmp_path / "new" / "records.sqlite3"
    with SqliteDatabase(path, backup_folder=tmp_path / "b") as db:
        assert db.version() == SCHEMA_VERSION and db.last_migration.from_version == 0
        assert db.last_migration.backup is None  # nothing to back up in a new file
        with db.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        db.repo.add_patient("P001")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for side in path.parent.glob("records.sqlite3-*"):
        assert stat.S_IMODE(side.stat().st_mode) == 0o600
    assert _tables(path) == ALL_TABLES


def test_a_version_1_file_is_backed_up_then_migrated_keeping_its_data(tmp_path):
    path = _v1_file(tmp_path / "records.sqlite3")
    assert _tables(path) == {"records_meta", "patients", "sessions", "steps", "ratings"}
    with SqliteDatabase(path, auto_migrate=False) as db:
        assert db.version() == 1  # left alone when asked
    with SqliteDatabase(path, backup_folder=tmp_path / "backups") as db:
        m = db.last_migration
        assert (m.from_version, m.to_version) == (1, SCHEMA_VERSION)
        assert db.version() == SCHEMA_VERSION and _tables(path) == ALL_TABLES
        repo = db.repo
        p = repo.get_patient("P007")
        assert p.name == "Old Name"
        (rec,) = repo.sessions("P007")
        assert rec.uid == V1_UID and rec.origin == "home" and rec.dilator is None
        assert rec.steps[0].metrics == {"mean_uv": 3.0, "sd_uv": 0.3}
        assert [(r.scale, r.value) for r in rec.ratings] == [("pain", 2.0)]
        repo.set_dilator(V1_UID, DilatorEntry(2, True, 600.0, 1.0))  # a version-2 table
        repo.add_note("P007", "after the migration", session_uid=V1_UID)
    # the backup is the untouched version-1 file
    assert m.backup is not None and inspect_backup(m.backup) == 1
    assert stat.S_IMODE(m.backup.stat().st_mode) == 0o600
    assert "dilator_log" not in _tables(m.backup)
    with SqliteDatabase(path, backup_folder=tmp_path / "backups") as db:
        assert db.last_migration is None  # nothing left to migrate
        assert db.repo.get_session(V1_UID).dilator.size == 2


def test_a_failed_migration_leaves_the_old_schema(tmp_path, break_migration):
    path = _v1_file(tmp_path / "records.sqlite3")
    break_migration(2, "disk trouble halfway")
    with pytest.raises(RuntimeError, match="halfway"):
        SqliteDatabase(path, backup_folder=tmp_path / "b")
    assert _tables(path) == {"records_meta", "patients", "sessions", "steps", "ratings"}
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT value FROM records_meta WHERE key='schema_version'"
                         ).fetchone() == ("1",)


def test_newer_and_foreign_files_are_refused_in_one_line(tmp_path):
    newer = _v1_file(tmp_path / "newer.sqlite3")
    with sqlite3.connect(newer) as c:
        c.execute("UPDATE records_meta SET value='9' WHERE key='schema_version'")
    with pytest.raises(RecordsError) as e:
        SqliteDatabase(newer)
    assert str(e.value) == (f"{newer}: records schema version 9 is newer than this app (it "
                            f"knows up to {SCHEMA_VERSION}); update the app")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE photos (x)")
    with pytest.raises(RecordsError, match=r"other.sqlite3: not a records database"):
        SqliteDatabase(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello, I am not a database at all " * 100)
    with pytest.raises(RecordsError, match=r"notes.txt: not an SQLite database"):
        SqliteDatabase(text)
    for bad in (newer, other, text):
        with pytest.raises(RecordsError) as e:
            inspect_backup(bad)
        assert "\n" not in str(e.value) and str(bad) in str(e.value)


def test_a_reader_reads_while_a_writer_holds_its_transaction(tmp_path, make_session):
    path = tmp_path / "records.sqlite3"
    writer, reader = SqliteDatabase(path), SqliteDatabase(path)
    try:
        writer.repo.add_patient("P001")
        inside, release, done = threading.Event(), threading.Event(), threading.Event()
        rec = make_session()

        def write() -> None:
            with writer.repo.transaction() as tx:
                tx.add_session(rec)
                inside.set()
                assert release.wait(30)
            done.set()

        t = threading.Thread(target=write)
        t.start()
        assert inside.wait(30)
        # WAL: the reader is not blocked and sees only committed data
        assert [p.code for p in reader.repo.list_patients()] == ["P001"]
        assert reader.repo.sessions("P001") == []
        release.set()
        assert done.wait(30)
        t.join()
        assert [r.uid for r in reader.repo.sessions("P001")] == [rec.uid]
    finally:
        writer.close()
        reader.close()


_KILLED_WRITER = r'''
import sys
from sqlalchemy import event
from biofeedback.storage.records import SqliteDatabase, StepRecord, SessionRecord, new_session_uid, utc_now
db = SqliteDatabase(sys.argv[1])
# a tiny page cache: the uncommitted pages spill into the WAL file (on disk) mid-transaction
event.listen(db.engine, "connect", lambda c, r: c.execute("PRAGMA cache_size = 5"))
db.engine.dispose()
steps = tuple(StepRecord(i, f"s{i}", "s", "", "rest", i, i + 1, True, {"mean_uv": 1.0})
              for i in range(2000))
with db.repo.transaction() as tx:
    tx.add_patient("P002")
    tx.add_session(SessionRecord(new_session_uid(), "P002", "x", "X", utc_now(), 1.0,
                                 "finished", steps=steps))
    tx.add_note("P002", "half-way")
    print("inside", flush=True)
    sys.stdin.readline()  # the test kills us here, mid-transaction
'''


def test_a_writer_killed_mid_transaction_leaves_a_consistent_file(tmp_path, make_session):
    path = tmp_path / "records.sqlite3"
    with SqliteDatabase(path) as db:
        db.repo.add_patient("P001")
        db.repo.add_session(make_session())
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path)], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "inside"
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size > 100_000  # the uncommitted transaction is on disk
        child.send_signal(signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdin.close()
        child.stdout.close()
    with sqlite3.connect(path) as c:
        assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    with SqliteDatabase(path) as db:
        repo = db.repo
        assert [p.code for p in repo.list_patients()] == ["P001"]
        assert len(repo.sessions("P001")) == 1
        with db.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM steps").scalar() == 3
            assert c.exec_driver_sql("SELECT count(*) FROM notes").scalar() == 0
        repo.add_patient("P002")  # the lock died with the writer: writing goes on


def test_backup_and_restore(tmp_path, make_session):
    path = tmp_path / "records.sqlite3"
    with SqliteDatabase(path, backup_folder=tmp_path / "backups") as db:
        repo = db.repo
        repo.add_patient("P001")
        first = make_session()
        repo.add_session(first)
        copy = db.backup(tmp_path / "copy.sqlite3")
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600 and inspect_backup(copy) == SCHEMA_VERSION
        with pytest.raises(RecordsError, match="already exists"):
            db.backup(copy)
        auto = db.backup()
        assert auto.parent == tmp_path / "backups" and auto.name.endswith("-manual.sqlite3")
        repo.add_patient("P002")
        repo.add_session(make_session(day=1))
        safety = db.restore(copy)
        assert [p.code for p in repo.list_patients()] == ["P001"]
        assert repo.sessions("P001") == [first]
        assert inspect_backup(safety) == SCHEMA_VERSION
        with sqlite3.connect(safety) as c:
            assert c.execute("SELECT count(*) FROM patients").fetchone() == (2,)
        repo.add_patient("P003")  # the restored file is writable
        before = sorted(p.code for p in repo.list_patients())
        junk = tmp_path / "junk.sqlite3"
        junk.write_bytes(b"SQLite format 3\x00" + b"\xff" * 600)
        for bad in (junk, tmp_path / "missing.sqlite3"):
            with pytest.raises(RecordsError) as e:
                db.restore(bad)
            assert str(bad) in str(e.value)
        assert sorted(p.code for p in repo.list_patients()) == before


def test_restoring_a_version_1_backup_migrates_it(tmp_path):
    old = _v1_file(tmp_path / "old.sqlite3")
    with SqliteDatabase(tmp_path / "records.sqlite3", backup_folder=tmp_path / "b") as db:
        db.restore(old)
        assert db.version() == SCHEMA_VERSION
        assert db.repo.get_session(V1_UID).patient_code == "P007"
