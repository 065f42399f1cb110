"""The PostgreSQL backend on a real throw-away server (tests/conftest.py ``pg_cluster``):
configuration, migrations from empty and from version 1, ``pg_dump`` backup and restore, and
the one-line errors (wrong password, unreachable server, newer schema, password in a file)."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import text

from biofeedback.storage.records import (
    SCHEMA_VERSION,
    PostgresDatabase,
    RecordsError,
    ServerUnreachableError,
    SqliteDatabase,
    open_records,
)
from biofeedback.storage.records.config import load_clinic_config
from biofeedback.storage.records.pg_cluster import free_port


def _db(cluster, name, tmp_path, **kw) -> PostgresDatabase:
    return PostgresDatabase(cluster.url(name), backup_folder=tmp_path / "backups", **kw)


def test_the_url_chooses_the_server_and_sqlite_stays_the_default(pg_cluster, pg_database,
                                                                 tmp_path, monkeypatch):
    with open_records() as db:
        assert isinstance(db, SqliteDatabase)
    url = pg_cluster.url(pg_database).render_as_string(hide_password=False)
    monkeypatch.setenv("BIOFEEDBACK_DATABASE_URL", url.replace("+psycopg", ""))
    with open_records() as db:
        assert isinstance(db, PostgresDatabase) and db.version() == SCHEMA_VERSION
        db.repo.add_patient("P001")
        assert db.where.startswith("postgresql://postgres@") and pg_database in db.where
    monkeypatch.delenv("BIOFEEDBACK_DATABASE_URL")
    cfg = tmp_path / "clinic.toml"
    cfg.write_text(f'[server]\nurl = "{url}"\nsslmode = "disable"\n'
                   '[share]\nrecordings = "/srv/share"\n')
    c = load_clinic_config(cfg)
    assert c.server and dict(c.ssl) == {"sslmode": "disable"} and str(c.share) == "/srv/share"
    with open_records(config=c) as db:
        assert [p.code for p in db.repo.list_patients()] == ["P001"]


@pytest.mark.parametrize("body, problem", [
    ('[server]\nurl = "postgresql://app:secret@db/biofeedback"\n', "holds a password"),
    ('[server]\nurl = "mysql://db/x"\n', "only postgresql"),
    ('[server]\nurl = "postgresql://app@db/biofeedback"\nsslmode = "maybe"\n', "sslmode"),
    ('[server\n', "not valid TOML"),
])
def test_bad_clinic_settings_are_one_line_naming_the_file(tmp_path, body, problem):
    cfg = tmp_path / "clinic.toml"
    cfg.write_text(body)
    with pytest.raises(RecordsError, match=problem) as e:
        load_clinic_config(cfg)
    assert str(cfg) in str(e.value) and "secret" not in str(e.value)


def test_migrations_from_empty_and_from_version_1_keep_the_data(pg_cluster, pg_database,
                                                                tmp_path):
    with _db(pg_cluster, pg_database, tmp_path, auto_migrate=False) as db:
        assert db.version() == 0
        assert db.migrate(1).to_version == 1
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO patients (code, name, created) VALUES "
                           "('P007', 'Old Name', '2026-01-05T09:00:00.000000+00:00')"))
    with _db(pg_cluster, pg_database, tmp_path) as db:
        m = db.last_migration
        assert (m.from_version, m.to_version) == (1, SCHEMA_VERSION)
        assert m.backup is not None and m.backup.suffix == ".pgdump"  # pg_dump before migrating
        assert db.repo.get_patient("P007").name == "Old Name"
        db.repo.add_note("P007", "after the migration")  # the new tables work


def test_a_newer_schema_is_refused_in_one_line(pg_cluster, pg_database, tmp_path):
    with _db(pg_cluster, pg_database, tmp_path) as db, db.engine.begin() as c:
        c.execute(text("UPDATE records_meta SET value = '999' WHERE key = 'schema_version'"))
    with pytest.raises(RecordsError, match="version 999 is newer than this app") as e:
        _db(pg_cluster, pg_database, tmp_path)
    assert "\n" not in str(e.value) and pg_database in str(e.value)


def test_pg_dump_backup_and_restore(pg_cluster, pg_database, tmp_path, make_session):
    with _db(pg_cluster, pg_database, tmp_path) as db:
        repo = db.repo
        repo.add_patient("P001")
        first = make_session()
        repo.add_session(first)
        copy = db.backup(tmp_path / "copy.pgdump")
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        assert db.inspect_backup(copy) == SCHEMA_VERSION
        with pytest.raises(RecordsError, match="already exists"):
            db.backup(copy)
        repo.add_patient("P002")
        repo.add_session(make_session(day=1))
        safety = db.restore(copy)
        assert [p.code for p in repo.list_patients()] == ["P001"]
        assert repo.sessions("P001") == [first]
        assert db.inspect_backup(safety) == SCHEMA_VERSION
        repo.add_patient("P003")  # writable after the restore
        junk = tmp_path / "junk.pgdump"
        junk.write_bytes(b"PGDMP" + b"\x00" * 100)
        sqlite_file = tmp_path / "other.sqlite3"
        SqliteDatabase(sqlite_file).close()
        for bad in (junk, sqlite_file, tmp_path / "missing.pgdump"):
            with pytest.raises(RecordsError) as e:
                db.restore(bad)
            assert str(bad) in str(e.value) and "\n" not in str(e.value)
        assert sorted(p.code for p in repo.list_patients()) == ["P001", "P003"]


def test_wrong_password_and_unreachable_server_are_one_line(pg_cluster, pg_database, tmp_path,
                                                            monkeypatch):
    pg_cluster.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                       "'nurse') THEN CREATE ROLE nurse LOGIN PASSWORD 'right-one'; END IF; END $$")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:*:nurse:wrong-one\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with pytest.raises(RecordsError, match="wrong password for nurse") as e:
        PostgresDatabase(pg_cluster.url(pg_database, "nurse", tcp=True))
    assert "wrong-one" not in str(e.value)
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:*:nurse:right-one\n")
    with pytest.raises(RecordsError, match=f"needs {SCHEMA_VERSION}; the administrator runs "
                       "'biofeedback db migrate' as the owner role"):  # logged in, but may not migrate
        PostgresDatabase(pg_cluster.url(pg_database, "nurse", tcp=True))
    url = pg_cluster.url(pg_database, tcp=True).set(port=free_port())
    with pytest.raises(ServerUnreachableError, match="cannot reach the clinic server") as e:
        PostgresDatabase(url, connect_timeout_s=2)
    assert "\n" not in str(e.value)


def test_db_commands_on_the_server(pg_cluster, pg_database, tmp_path, monkeypatch, capsys):
    import json

    from biofeedback.cli import main

    url = pg_cluster.url(pg_database).render_as_string(hide_password=False)
    monkeypatch.setenv("BIOFEEDBACK_DATABASE_URL", url)
    assert main(["db", "status"]) == 0
    assert f"{pg_database}: schema version 0" in capsys.readouterr().out
    assert main(["db", "migrate"]) == 0
    assert f"migrated from schema 0 to {SCHEMA_VERSION}" in capsys.readouterr().out
    assert main(["patients", "add", "P001"]) == 0
    copy = tmp_path / "records.pgdump"
    assert main(["db", "backup", "-o", str(copy)]) == 0
    assert main(["patients", "add", "P002"]) == 0
    assert main(["db", "restore", str(copy)]) == 0
    assert "the records before the restore are in" in capsys.readouterr().out
    assert main(["patients", "list", "--json"]) == 0
    assert [p["code"] for p in json.loads(capsys.readouterr().out)] == ["P001"]
    assert main(["db", "restore", str(tmp_path / "nope.pgdump")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such file" in err[0]
