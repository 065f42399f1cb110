"""The PostgreSQL backend: the clinic server several workstations share (issue 17).

:class:`PostgresDatabase` mirrors :class:`~biofeedback.storage.records.database.SqliteDatabase`
(``repo``, ``version()``, ``migrate()``, ``backup()``, ``restore()``, ``close()``) over psycopg 3.
The repository code is the same; what differs is here: connection settings (TLS passed through
to libpq, the password from libpq's password file, never from a config file), migrations under
an advisory lock (two workstations starting at once migrate once), backups with ``pg_dump``
(custom format) and restores with ``pg_restore`` in one transaction, and the server's errors as
one line a person can act on (wrong password, server unreachable, TLS, schema newer than the
app).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.exc import DBAPIError, IntegrityError

from biofeedback.storage.records.database import EngineBackend, Migration
from biofeedback.storage.records.errors import (
    RecordsError,
    RetryableError,
    ServerUnreachableError,
)
from biofeedback.storage.records.migrations import (
    SCHEMA_VERSION,
    check_known,
    migrate,
    read_version,
)
from biofeedback.storage.records.repository import Repository

MIGRATE_LOCK = 0x62_66_72_65_63  # pg_advisory_xact_lock key: "bfrec"
_TOOL_TIMEOUT_S = 3600


class PostgresDatabase(EngineBackend):
    """The records on a PostgreSQL server at ``url`` (psycopg 3). ``ssl`` are libpq settings
    (``sslmode``, ``sslrootcert``, ...). Opening checks the schema: newer than the app is refused;
    older is migrated when ``auto_migrate`` (the owner role may, the app role may not: then the
    message says to run ``biofeedback db migrate``)."""

    BACKUP_SUFFIX = ".pgdump"

    def __init__(self, url: URL, *, ssl: tuple[tuple[str, str], ...] = (),
                 connect_timeout_s: int = 5, auto_migrate: bool = True,
                 backup_folder: Path | None = None, pool_size: int = 5) -> None:
        self.url = url.set(drivername="postgresql+psycopg")
        self.where = server_name(self.url)
        self._ssl = dict(ssl)
        self._timeout = connect_timeout_s
        self._backup_folder = backup_folder
        self.engine = _engine(self.url, self._connect_args(), pool_size, self.where)
        self.repo = Repository(self.engine, self.where)
        self.last_migration: Migration | None = None
        try:
            version = self.version()
            check_known(version, self.where)
            if auto_migrate and version < SCHEMA_VERSION:
                if not self.may_migrate():
                    raise RecordsError(
                        f"{self.where}: the records are at schema version {version} and this "
                        f"app needs {SCHEMA_VERSION}; the administrator runs 'biofeedback db "
                        "migrate' as the owner role (docs/clinic-server.md)")
                self.last_migration = self.migrate(backup=version > 0)
        except BaseException:
            self.close()
            raise

    # -- schema -----------------------------------------------------------------------------
    def version(self) -> int:
        with self.guard(), self.engine.connect() as c:
            return read_version(c, self.where)

    def may_migrate(self) -> bool:
        """Whether this login may change the schema (the owner role; not the app role)."""
        with self.guard(), self.engine.connect() as c:
            return bool(c.execute(text("SELECT has_schema_privilege(current_user, "
                                       "current_schema(), 'CREATE')")).scalar())

    def migrate(self, target: int = SCHEMA_VERSION, *, backup: bool = True) -> Migration:
        """Migrate forward in one transaction under an advisory lock; ``pg_dump`` first when
        ``backup`` and there is something to keep."""
        old = self.version()
        check_known(old, self.where)
        if old >= target:
            return Migration(old, old, None)
        copy = self.backup(reason=f"before-v{target}") if backup and old > 0 else None
        with self.guard(), self.engine.connect() as c, c.begin():
            c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATE_LOCK})
            now = read_version(c, self.where)  # another workstation may have just done it
            if now < target:
                migrate(c, self.where, target)
        return Migration(old, target, copy)

    # -- backup and restore -------------------------------------------------------------------
    def backup(self, dest: Path | str | None = None, *, reason: str = "manual") -> Path:
        """``pg_dump --format=custom`` into ``dest`` (a new file, never overwritten) or a new
        file in the backups folder; mode 0600. Writers may go on (a consistent snapshot)."""
        with self._new_backup(dest, reason) as target:
            self._tool("pg_dump", "--format=custom", "--no-owner", f"--file={target}",
                       f"--dbname={self.conninfo()}")
        return target

    def restore(self, source: Path | str) -> Path:
        """Replace the records by a ``pg_dump`` backup in one transaction (checked first: a
        records backup, not newer than the app); the current records are dumped first (the
        returned file)."""
        src = Path(source)
        version = self.inspect_backup(src)
        safety = self.backup(reason="before-restore")
        self.engine.dispose()
        self._tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                   "--exit-on-error", f"--dbname={self.conninfo()}", str(src))
        self.engine.dispose()
        if version < SCHEMA_VERSION:
            self.last_migration = self.migrate(backup=False)
        return safety

    def inspect_backup(self, path: Path) -> int:
        """The schema version inside a ``pg_dump`` backup, or one line: no file, not a
        PostgreSQL backup, not a records backup, newer than this app."""
        if not path.is_file():
            raise RecordsError(f"{path}: no such file")
        listing = self._tool("pg_restore", "--list", str(path), what=str(path))
        if not re.search(r"TABLE\s+\S+\s+records_meta\b", listing):
            raise RecordsError(f"{path}: not a records backup (no records_meta table)")
        data = self._tool("pg_restore", "--data-only", "--table=records_meta", "--file=-",
                          str(path), what=str(path))
        m = re.search(r"^schema_version\t(\d+)$", data, re.MULTILINE)
        if not m or not re.search(r"^format\tbiofeedback-records$", data, re.MULTILINE):
            raise RecordsError(f"{path}: not a records backup (no schema version)")
        version = int(m.group(1))
        check_known(version, str(path))
        return version

    # -- connection ---------------------------------------------------------------------------
    def conninfo(self) -> str:
        """A libpq connection string for the command-line tools, without the password (that
        goes in their environment or comes from the password file)."""
        from psycopg.conninfo import make_conninfo

        u = self.url
        params: dict[str, Any] = {k: v for k, v in u.query.items() if isinstance(v, str)}
        params.update(self._ssl)
        for key, value in (("host", u.host), ("port", u.port), ("user", u.username),
                           ("dbname", u.database)):
            if value is not None:
                params[key] = str(value)
        params["connect_timeout"] = str(self._timeout)
        return make_conninfo("", **params)

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Driver errors → one :class:`RecordsError` line naming the server."""
        try:
            yield
        except DBAPIError as exc:
            raise pg_error(exc, self.where) from None

    def _connect_args(self) -> dict[str, Any]:
        return {"connect_timeout": self._timeout, "application_name": "biofeedback",
                **self._ssl}

    def _tool(self, name: str, *args: str, what: str | None = None) -> str:
        exe = client_tool(name)
        env = dict(os.environ)
        if self.url.password:
            env["PGPASSWORD"] = self.url.password  # never on the command line (ps shows it)
        try:
            done = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                                  timeout=_TOOL_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise RecordsError(f"{what or self.where}: {name} did not finish in "
                               f"{_TOOL_TIMEOUT_S} s") from None
        if done.returncode != 0:
            lines = [x for x in done.stderr.strip().splitlines() if x.strip()] or ["failed"]
            msg = re.sub(r"^\S*(pg_dump|pg_restore): (error: )?", "", lines[0])
            raise RecordsError(f"{what or self.where}: {name}: {_tool_problem(msg)}")
        return done.stdout


def client_tool(name: str) -> Path:
    """``pg_dump`` / ``pg_restore``: the newest ``/usr/lib/postgresql/N/bin`` (a client at
    least as new as the server), else the one on ``PATH``."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1])
    on_path = shutil.which(name)
    if on_path is None:
        raise RecordsError(f"{name} not found: install the PostgreSQL client tools "
                           "(apt-get install postgresql-client)")
    return Path(on_path)


def server_name(url: URL) -> str:
    """The server as messages name it: ``postgresql://user@host:port/db`` (no password)."""
    host = url.host or str(url.query.get("host", "")) or "localhost"
    port = url.port or url.query.get("port") or 5432
    user = f"{url.username}@" if url.username else ""
    return f"postgresql://{user}{host}:{port}/{url.database}"


def pg_problem(exc: BaseException) -> str:
    """What went wrong with the server, in one line a person can act on."""
    orig = getattr(exc, "orig", exc)
    msg = " ".join(str(orig or exc).split())
    low = msg.lower()
    if "password authentication failed" in low:
        user = re.search(r'for user "([^"]+)"', msg)
        return (f"wrong password for {user.group(1) if user else 'the user'} "
                "(check ~/.pgpass or PGPASSFILE)")
    if "no password supplied" in low or "fe_sendauth" in low:
        return ("the server asks for a password: put it in the libpq password file "
                "(~/.pgpass or PGPASSFILE, mode 0600)")
    if any(k in low for k in ("certificate", "ssl", "tls")):
        return f"secure connection (TLS) failed: {_short(msg)}"
    if any(k in low for k in ("connection refused", "could not connect", "timeout expired",
                              "could not translate host name", "no such file or directory",
                              "network is unreachable", "no route to host",
                              "server closed the connection", "connection is bad",
                              "terminating connection")):
        return ("cannot reach the clinic server; check the network and that the server runs "
                "(sessions are kept on this workstation meanwhile)")
    if "does not exist" in low and "database" in low:
        return f"{_short(msg)} (create it first: docs/clinic-server.md)"
    if "permission denied" in low:
        return f"{_short(msg)} (this account lacks the privilege; see docs/clinic-server.md)"
    if "deadlock detected" in low or "could not serialize" in low:
        return "another workstation was writing the same records at the same moment; try again"
    return f"database error ({_short(msg)})"


def pg_error(exc: BaseException, where: str) -> RecordsError:
    """The :class:`RecordsError` (of the subclass a caller can act on) for a driver error."""
    problem = pg_problem(exc)
    if problem.startswith("cannot reach"):
        return ServerUnreachableError(f"{where}: {problem}")
    if problem.startswith("another workstation"):
        return RetryableError(f"{where}: {problem}")
    return RecordsError(f"{where}: {problem}")


def _short(msg: str) -> str:
    msg = re.sub(r'^connection failed: (connection to server at [^,]+, port \d+ failed: )?', "",
                 msg)
    return msg[:200]


def _tool_problem(msg: str) -> str:
    if "input file does not appear to be a valid archive" in msg or "did not find magic" in msg:
        return "not a PostgreSQL backup (pg_dump custom format)"
    return pg_problem(RuntimeError(msg)) if "connection" in msg or "password" in msg else msg


def _engine(url: URL, connect_args: dict[str, Any], pool_size: int, where: str) -> Engine:
    engine = create_engine(url, connect_args=connect_args, pool_size=pool_size, max_overflow=5,
                           pool_pre_ping=True, isolation_level="READ COMMITTED")

    @event.listens_for(engine, "handle_error")
    def _one_line(ctx: ExceptionContext) -> None:
        # every server error a repository call meets becomes one line (integrity errors stay:
        # they are the repository's own to handle)
        if not isinstance(ctx.sqlalchemy_exception, IntegrityError):
            raise pg_error(ctx.original_exception, where) from ctx.original_exception

    return engine


__all__ = ["PostgresDatabase", "client_tool", "pg_error", "pg_problem", "server_name"]
