"""A workstation whose clinic server is unreachable keeps sessions in its outbox and uploads
them later through the bundle path; recordings on the clinic share are verified on opening."""

from __future__ import annotations

import dataclasses

import pytest

from biofeedback.app.workstation import (
    open_outbox,
    open_workstation,
    pending_sessions,
    sync_outbox,
)
from biofeedback.cli import main
from biofeedback.storage.paths import recordings_dir
from biofeedback.storage.records import PostgresDatabase, RecordsError
from biofeedback.storage.records.files import sha256_file
from biofeedback.storage.records.pg_cluster import free_port
from biofeedback.storage.records.share import SHARE_FILE_MODE, open_recording, store_on_share


def _env_url(url) -> str:
    return url.render_as_string(hide_password=False)


def _clinic_workstation(tmp_path, pg_cluster, pg_database, monkeypatch):
    """A workstation on the test server with a clinic share, and patient P001 on the server:
    ``(share, url)``."""
    from biofeedback.storage.paths import data_dir

    share = tmp_path / "share"
    share.mkdir()
    data_dir().mkdir(parents=True, exist_ok=True)
    (data_dir() / "clinic.toml").write_text(f'[share]\nrecordings = "{share}"\n')
    url = pg_cluster.url(pg_database)
    monkeypatch.setenv("BIOFEEDBACK_DATABASE_URL", _env_url(url))
    assert main(["patients", "add", "P001"]) == 0
    return share, url


def test_offline_sessions_are_kept_and_uploaded_once_later(pg_cluster, pg_database, tmp_path,
                                                           monkeypatch, make_session, capsys):
    server_url = pg_cluster.url(pg_database)
    with PostgresDatabase(server_url) as server:
        server.repo.add_patient("P001")
    down = pg_cluster.url(pg_database, tcp=True).set(port=free_port())
    monkeypatch.setenv("BIOFEEDBACK_DATABASE_URL", _env_url(down))
    opened = open_workstation("P001")
    assert opened.offline and "cannot reach the clinic server" in opened.message
    assert "db sync" in opened.message and "\n" not in opened.message
    rec = tmp_path / "rest.bdf"
    rec.write_bytes(b"recording bytes")
    kept = dataclasses.replace(make_session(), recording_path=str(rec),
                               recording_sha256=sha256_file(rec))
    with opened.db as box:
        box.repo.add_session(kept)
        box.repo.add_patient("P404")  # not on the server: stays in the outbox
        box.repo.add_session(make_session("P404"))
    assert pending_sessions() == 2
    assert main(["db", "sync"]) != 0  # still unreachable: one line, nothing lost
    assert "cannot reach the clinic server" in capsys.readouterr().err
    assert pending_sessions() == 2
    monkeypatch.setenv("BIOFEEDBACK_DATABASE_URL", _env_url(server_url))
    assert main(["db", "sync"]) == 1  # P001 uploaded, P404 kept (named)
    out = capsys.readouterr().out
    assert "uploaded 1 session(s) of 1 patient(s)" in out and "kept on this workstation: P404" \
        in out
    assert pending_sessions() == 1
    with PostgresDatabase(server_url) as server:
        got = server.repo.sessions("P001")
        assert [r.uid for r in got] == [kept.uid] and got[0].recording_path
        again = sync_outbox(server)  # nothing of P001 left to send twice
        assert again.uploaded == 0 and again.patients == ()
        assert len(server.repo.sessions("P001")) == 1


def test_a_recording_on_the_share_is_verified_when_opened(tmp_path, make_session):
    share = tmp_path / "share"
    share.mkdir()
    src = tmp_path / "rest.bdf"
    src.write_bytes(b"0123456789" * 100)
    rec = make_session()
    path, sha = store_on_share(src, share, "P001", rec.uid)
    assert path == f"share:P001/{rec.uid}.bdf"
    assert store_on_share(src, share, "P001", rec.uid) == (path, sha)  # same content: kept
    stored = dataclasses.replace(rec, recording_path=path, recording_sha256=sha)
    elsewhere = tmp_path / "mounted-elsewhere"
    (share).rename(elsewhere)  # another workstation mounts the share at another place
    assert open_recording(stored, elsewhere).read_bytes() == src.read_bytes()
    target = elsewhere / "P001" / f"{rec.uid}.bdf"
    target.write_bytes(b"changed")
    with pytest.raises(RecordsError, match="altered after it was stored"):
        open_recording(stored, elsewhere)
    target.unlink()
    with pytest.raises(RecordsError, match="is missing"):
        open_recording(stored, elsewhere)
    with pytest.raises(RecordsError, match="no share is configured"):
        open_recording(stored, None)
    with pytest.raises(RecordsError, match="not a path inside"):
        open_recording(dataclasses.replace(stored, recording_path="share:../etc/x"), elsewhere)
    with pytest.raises(RecordsError, match="not mounted"):
        store_on_share(src, tmp_path / "nowhere", "P001", rec.uid)


def test_a_clinic_session_run_goes_to_the_server_and_its_recording_to_the_share(
        pg_cluster, pg_database, tmp_path, monkeypatch, capsys):
    import json
    from pathlib import Path


    short = Path(__file__).resolve().parents[1] / "fixtures" / "records" / "short-check.toml"
    share, url = _clinic_workstation(tmp_path, pg_cluster, pg_database, monkeypatch)
    capsys.readouterr()
    run = ["session", "run", str(short), "--source", "simulated", "--fast", "--json",
           "--answer", "Pain=2", "--answer", "Anxiety=30"]
    assert main([*run, "--patient", "P001"]) == 0
    uid = json.loads(capsys.readouterr().out)["session_uid"]
    with PostgresDatabase(url) as server:
        rec = server.repo.get_session(uid)
    assert rec.recording_path == f"share:P001/{uid}.bdf"
    assert open_recording(rec, share).stat().st_size > 0
    # the server goes away: the next session is kept on this workstation, said in one line
    monkeypatch.setenv("BIOFEEDBACK_DATABASE_URL",
                       _env_url(pg_cluster.url(pg_database, tcp=True).set(port=free_port())))
    assert main([*run, "--patient", "P001"]) == 0
    captured = capsys.readouterr()
    kept = json.loads(captured.out)["session_uid"]
    warning = [x for x in captured.err.splitlines() if "warning" in x]
    assert len(warning) == 1 and "cannot reach the clinic server" in warning[0]
    assert pending_sessions() == 1
    monkeypatch.setenv("BIOFEEDBACK_DATABASE_URL", _env_url(url))
    assert main(["db", "sync"]) == 0
    with PostgresDatabase(url) as server:
        assert {r.uid for r in server.repo.sessions("P001")} == {uid, kept}
        synced = server.repo.get_session(kept)
    assert synced.recording_path == f"share:P001/{kept}.bdf"  # like the session run online
    assert open_recording(synced, share).stat().st_size > 0


def test_synced_recordings_go_onto_the_share_as_share_paths(records_db, tmp_path, make_session):
    share = tmp_path / "share"
    share.mkdir()
    records_db.repo.add_patient("P001")
    rec = tmp_path / "rest.bdf"
    rec.write_bytes(b"recording bytes" * 50)
    kept = dataclasses.replace(make_session(), recording_path=str(rec),
                               recording_sha256=sha256_file(rec))
    with open_outbox() as box:
        box.repo.add_patient("P001")
        box.repo.add_session(kept)
    got = sync_outbox(records_db, share=share)
    assert (got.uploaded, got.patients) == (1, ("P001",))
    stored = records_db.repo.get_session(kept.uid)
    assert stored.recording_path == f"share:P001/{kept.uid}.bdf"
    assert stored.recording_sha256 == kept.recording_sha256
    on_share = share / "P001" / f"{kept.uid}.bdf"
    assert on_share.stat().st_mode & 0o777 == SHARE_FILE_MODE
    assert sorted(p.name for p in on_share.parent.iterdir()) == [on_share.name]  # no leftovers
    assert not list((recordings_dir() / "imported").iterdir())  # nothing copied locally
    elsewhere = tmp_path / "mounted-elsewhere"
    share.rename(elsewhere)  # another workstation's mount of the same share
    assert open_recording(stored, elsewhere).read_bytes() == rec.read_bytes()
    (elsewhere / "P001" / on_share.name).write_bytes(b"changed")
    with pytest.raises(RecordsError, match="altered after it was stored"):
        open_recording(stored, elsewhere)
    assert pending_sessions() == 0


def test_a_failed_synced_import_leaves_nothing_on_the_share(records_db, tmp_path,
                                                           make_session):
    share = tmp_path / "share"
    share.mkdir()
    records_db.repo.add_patient("P001")
    records_db.repo.add_patient("P002")
    taken = make_session("P002")
    records_db.repo.add_session(taken)  # the same session id already belongs to P002
    rec = tmp_path / "rest.bdf"
    rec.write_bytes(b"recording bytes")
    first = dataclasses.replace(make_session(), recording_path=str(rec),
                                recording_sha256=sha256_file(rec))
    with open_outbox() as box:
        box.repo.add_patient("P001")
        box.repo.add_session(first)
        box.repo.add_session(dataclasses.replace(make_session(day=1), uid=taken.uid))
    got = sync_outbox(records_db, share=share)
    assert got.uploaded == 0 and got.kept and got.kept[0].startswith("P001")
    assert not records_db.repo.sessions("P001")
    assert not list(share.rglob("*.bdf"))  # the copy made before the failure was removed
    assert pending_sessions() == 2


def test_a_home_bundle_imported_on_the_server_puts_its_recording_on_the_share(
        pg_cluster, pg_database, tmp_path, monkeypatch, make_session, capsys):
    """`biofeedback bundle import` at a clinic workstation: the recordings go onto the share as
    ``share:`` paths, like a session run there, so every workstation can open them."""
    from biofeedback.app.bundle import export_bundle
    from biofeedback.storage.records import SqliteDatabase

    home = SqliteDatabase(tmp_path / "home.sqlite3", backup_folder=tmp_path / "hb")
    f = tmp_path / "home.bdf"
    f.write_bytes(b"\x01" * 5000)
    home.repo.add_patient("P001")
    rec = dataclasses.replace(make_session(day=1, origin="home"), recording_path=str(f),
                              recording_sha256=sha256_file(f))
    home.repo.add_session(rec)
    bundle = export_bundle(home.repo, "P001", tmp_path / "P001.bfbundle").path
    home.close()
    share, url = _clinic_workstation(tmp_path, pg_cluster, pg_database, monkeypatch)
    assert main(["bundle", "import", str(bundle)]) == 0
    capsys.readouterr()
    with PostgresDatabase(url) as server:
        stored = server.repo.get_session(rec.uid)
    assert stored.recording_path == f"share:P001/{rec.uid}.bdf"
    assert open_recording(stored, share).read_bytes() == f.read_bytes()
    assert not (recordings_dir() / "imported").exists() or not any(
        (recordings_dir() / "imported").iterdir())  # nothing kept on this workstation
