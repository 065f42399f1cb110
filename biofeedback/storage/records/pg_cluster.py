"""A throw-away local PostgreSQL cluster (tests, benchmarks, trying clinic mode on one machine).

Uses the server binaries of the Debian/Ubuntu ``postgresql`` package
(``/usr/lib/postgresql/<N>/bin``) or ``pg_config --bindir``. ``initdb`` and ``postgres`` refuse
to run as root, so as root they run as the ``postgres`` system user (``runuser``) on a folder
handed to it. The server listens on a unix socket in that folder (trusted: only this machine's
accounts that can enter the folder reach it) and on 127.0.0.1 at a free port with password
(SCRAM) authentication, so wrong-password paths can be tried for real.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL

from biofeedback.storage.records.errors import RecordsError

SUPERUSER = "postgres"


def server_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (newest installed version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_reason() -> str | None:
    """Why a local cluster cannot be started here (None: it can)."""
    if server_bindir() is None:
        return "PostgreSQL server binaries not found (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return "running as root and there is no 'postgres' system user to run the server"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalCluster:
    """``start()`` a new cluster in a temporary folder, ``stop()`` removes it all."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable  # False: fsync off (tests); True: as a real server writes
        self.bindir = server_bindir()
        self.folder: Path | None = None
        self.port = 0
        self._as_user: list[str] = []

    @property
    def socket_dir(self) -> Path:
        assert self.folder is not None
        return self.folder / "sock"

    def start(self) -> LocalCluster:
        reason = missing_reason()
        if reason:
            raise RecordsError(f"local PostgreSQL: {reason}")
        assert self.bindir is not None
        self.folder = Path(tempfile.mkdtemp(prefix="bf-pg-"))
        (self.folder / "sock").mkdir()
        if os.geteuid() == 0:
            user = pwd.getpwnam(SUPERUSER)
            for p in (self.folder, self.folder / "sock"):
                os.chown(p, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", SUPERUSER, "--"]
        data = self.folder / "data"
        self._run([str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-E", "UTF8",
                   "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
                   "--no-sync", "--no-instructions"])
        self.port = free_port()
        opts = (f"-k {self.socket_dir} -p {self.port} -c listen_addresses=127.0.0.1 "
                "-c max_connections=60 -c shared_buffers=32MB")
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(data), "-l",
                       str(self.folder / "server.log"), "-w", "-t", "60", "-o", opts, "start"])
        except BaseException:
            self._remove()
            raise
        return self

    def stop(self) -> None:
        if self.folder is None:
            return
        assert self.bindir is not None
        with contextlib.suppress(RecordsError):
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m",
                       "fast", "-w", "stop"])
        self._remove()

    def url(self, database: str = "postgres", user: str = SUPERUSER,
            password: str | None = None, *, tcp: bool = False) -> URL:
        """A URL to ``database``: over the unix socket (trusted), or ``tcp`` (password)."""
        if tcp:
            return URL.create("postgresql+psycopg", username=user, password=password,
                              host="127.0.0.1", port=self.port, database=database)
        return URL.create("postgresql+psycopg", username=user, password=password,
                          database=database, query={"host": str(self.socket_dir),
                                                    "port": str(self.port)})

    def execute(self, *sql: str, database: str = "postgres", user: str = SUPERUSER) -> None:
        """Run SQL scripts (as the superuser unless ``user``), each in its own transaction
        unless it manages its own (CREATE DATABASE...)."""
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), port=self.port, user=user,
                             dbname=database, autocommit=True) as c:
            for statement in sql:
                c.execute(statement)  # type: ignore[arg-type]

    def enable_tls(self, cert: Path, key: Path) -> None:
        """Serve TLS with this certificate and key (copied into the cluster's folder)."""
        assert self.folder is not None
        for src, name in ((cert, "server.crt"), (key, "server.key")):
            dest = self.folder / "data" / name
            shutil.copyfile(src, dest)
            os.chmod(dest, 0o600)
            if self._as_user:
                user = pwd.getpwnam(SUPERUSER)
                os.chown(dest, user.pw_uid, user.pw_gid)
        self.execute("ALTER SYSTEM SET ssl = on", "SELECT pg_reload_conf()")

    def create_database(self, name: str, owner: str = SUPERUSER) -> URL:
        self.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, cmd: list[str]) -> None:
        done = subprocess.run([*self._as_user, *cmd], capture_output=True, text=True,
                              cwd="/", timeout=120, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RecordsError(f"local PostgreSQL: {Path(cmd[0]).name} failed: {tail[0]}")

    def _remove(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


__all__ = ["LocalCluster", "free_port", "missing_reason", "server_bindir"]
