"""Which records database a workstation uses: the local SQLite file (default) or a clinic server.

The server is named by ``$BIOFEEDBACK_DATABASE_URL`` or by ``<data dir>/clinic.toml``::

    [server]
    url = "postgresql://biofeedback_app@records.clinic.example/biofeedback"
    sslmode = "verify-full"                    # disable | require | verify-ca | verify-full
    sslrootcert = "/etc/biofeedback/clinic-ca.pem"
    connect_timeout = 5                       # seconds

    [share]
    recordings = "/mnt/clinic/recordings"     # the clinic share for recordings (optional)

No password is ever read from this file (a URL with one is refused): libpq finds it in its
password file (``~/.pgpass`` or ``$PGPASSFILE``, mode 0600), or the server authenticates the
workstation by other means (client certificate, Kerberos). See ``docs/clinic-server.md``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from biofeedback.storage.paths import data_dir
from biofeedback.storage.records.errors import RecordsError

ENV_URL = "BIOFEEDBACK_DATABASE_URL"
FILE_NAME = "clinic.toml"
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_SSL_KEYS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl")


@dataclass(frozen=True)
class ClinicConfig:
    """The clinic server and share of this workstation; ``url`` None = the local SQLite file."""

    url: URL | None = None
    ssl: tuple[tuple[str, str], ...] = ()  # libpq TLS settings, passed through as given
    connect_timeout_s: int = 5
    share: Path | None = None  # the clinic share holding recordings
    source: str = "defaults"  # where the settings came from, for messages

    @property
    def server(self) -> bool:
        return self.url is not None


def config_path() -> Path:
    """``<data dir>/clinic.toml``."""
    return data_dir() / FILE_NAME


def load_clinic_config(path: Path | None = None) -> ClinicConfig:
    """The workstation's clinic settings: ``$BIOFEEDBACK_DATABASE_URL`` overrides the file's URL;
    no file and no variable: the local SQLite records. A bad file is one line naming it."""
    path = path or config_path()
    doc: dict = {}
    if path.is_file():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RecordsError(f"{path}: not valid TOML ({exc})") from None
        except OSError as exc:
            raise RecordsError(f"{path}: cannot read it ({exc.strerror})") from None
    server = _table(doc, "server", path)
    share = _table(doc, "share", path)
    env = os.environ.get(ENV_URL, "").strip()
    if env:
        url, source = parse_url(env, ENV_URL, allow_password=True), ENV_URL
    elif server.get("url"):
        url, source = parse_url(str(server["url"]), str(path), allow_password=False), str(path)
    else:
        url, source = None, str(path) if doc else "defaults"
    ssl = []
    for key in _SSL_KEYS:
        if key in server:
            ssl.append((key, str(server[key])))
    mode = dict(ssl).get("sslmode")
    if mode is not None and mode not in SSL_MODES:
        raise RecordsError(f"{path}: sslmode {mode!r} is not one of {', '.join(SSL_MODES)}")
    timeout = server.get("connect_timeout", 5)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or not 1 <= timeout <= 300:
        raise RecordsError(f"{path}: connect_timeout is whole seconds, 1 to 300")
    folder = share.get("recordings")
    return ClinicConfig(url, tuple(ssl), timeout, Path(str(folder)).expanduser()
                        if folder else None, source)


def parse_url(text: str, where: str, *, allow_password: bool) -> URL:
    """A PostgreSQL URL (``postgresql://user@host:port/db?sslmode=...``) for psycopg 3."""
    try:
        url = make_url(text)
    except ArgumentError:
        raise RecordsError(f"{where}: {text[:60]!r} is not a database URL "
                           "(postgresql://user@host/database)") from None
    if url.get_backend_name() != "postgresql":
        raise RecordsError(f"{where}: only postgresql:// server URLs are supported (the local "
                           "records need no URL)")
    if url.password is not None and not allow_password:
        raise RecordsError(f"{where}: the URL holds a password; remove it and put it in the "
                           "libpq password file (~/.pgpass or PGPASSFILE, mode 0600)")
    if not url.database:
        raise RecordsError(f"{where}: the URL names no database (…/biofeedback)")
    return url.set(drivername="postgresql+psycopg")


def _table(doc: dict, name: str, path: Path) -> dict:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise RecordsError(f"{path}: [{name}] must be a table")
    return value


__all__ = ["ENV_URL", "ClinicConfig", "config_path", "load_clinic_config", "parse_url"]
