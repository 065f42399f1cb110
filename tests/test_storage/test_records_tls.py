"""TLS to the real server: ``sslmode=verify-full`` passes through to libpq; a certificate from
another authority or for another host name is one line, never a silent plain connection."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import text

from biofeedback.storage.records import PostgresDatabase, RecordsError


def _openssl(*args: str, cwd) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca_and_server(folder, cn: str = "localhost"):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Test clinic CA", cwd=folder)
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", f"/CN={cn}",
             cwd=folder)
    (folder / "san.ext").write_text(f"subjectAltName=DNS:{cn}\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext",
             cwd=folder)
    return folder / "ca.pem", folder / "server.crt", folder / "server.key"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_verify_full_connects_and_a_wrong_certificate_is_refused(pg_cluster, pg_database,
                                                                tmp_path, monkeypatch):
    (tmp_path / "good").mkdir()
    (tmp_path / "other").mkdir()
    ca, crt, key = _ca_and_server(tmp_path / "good")
    other_ca, _, _ = _ca_and_server(tmp_path / "other")
    pg_cluster.enable_tls(crt, key)
    pg_cluster.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                       "'tls_user') THEN CREATE ROLE tls_user LOGIN PASSWORD 'tls-pass-1'; "
                       "END IF; END $$", 'GRANT ALL ON SCHEMA public TO tls_user',
                       database=pg_database)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:{pg_cluster.port}:*:tls_user:tls-pass-1\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    url = pg_cluster.url(pg_database, "tls_user", tcp=True).set(host="localhost")
    full = (("sslmode", "verify-full"), ("sslrootcert", str(ca)))
    with PostgresDatabase(url, ssl=full) as db:
        with db.engine.connect() as c:
            assert c.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = "
                                  "pg_backend_pid()")).scalar() is True
        db.repo.add_patient("P001")
    bad = [(("sslmode", "verify-full"), ("sslrootcert", str(other_ca))),  # another authority
           full]  # right authority, but the server is reached as 127.0.0.1, not localhost
    for ssl, where in zip(bad, (url, url.set(host="127.0.0.1")), strict=True):
        with pytest.raises(RecordsError, match="secure connection \\(TLS\\) failed") as e:
            PostgresDatabase(where, ssl=ssl)
        assert "\n" not in str(e.value) and "tls-pass-1" not in str(e.value)
