"""Shared test set-up: headless Qt, a private data folder per test run, the shared recordings."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from biofeedback.storage.records import (
    DilatorEntry,
    PostgresDatabase,
    Rating,
    Repository,
    SessionRecord,
    SqliteDatabase,
    StepRecord,
    new_session_uid,
)
from biofeedback.storage.records.pg_cluster import LocalCluster, missing_reason

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile or load the signal kernels and the CSV parser's before any test: on a fresh
    machine their first call takes seconds, which must not land inside a test that waits for
    live data (or a subprocess with a time limit)."""
    from biofeedback.formats.csv_parse import warm_up as warm_up_csv
    from biofeedback.signal.warmup import warm_up

    warm_up()
    warm_up_csv()


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never write into the real per-user data folder from tests."""
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path_factory.mktemp("bf-data")))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared recordings not found at {SHARED_DATA} (clone ../shared beside the repo)")
    return SHARED_DATA


# -- records (issues 14, 17): the backends the repository suite runs on ----------------------
# "postgresql" is a real throw-away server cluster (storage/records/pg_cluster.py), started once
# per test session; each test gets a database of its own. Every test taking ``repo`` or
# ``records_db`` runs on both backends.
BACKENDS = ["sqlite", "postgresql"]
_db_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    """The local PostgreSQL server of this test run (skipped where it cannot be started)."""
    reason = missing_reason()
    if reason:
        pytest.skip(f"postgresql backend: {reason}")
    cluster = LocalCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_database(pg_cluster: LocalCluster) -> Iterator[str]:
    """A new empty database on the test server: its name (dropped after the test)."""
    name = f"t{os.getpid()}_{next(_db_names)}"
    pg_cluster.create_database(name)
    try:
        yield name
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture(params=BACKENDS)
def records_db(request: pytest.FixtureRequest, tmp_path) -> Iterator[SqliteDatabase |
                                                                      PostgresDatabase]:
    """A new records database on each backend, migrated to the app's schema."""
    if request.param == "sqlite":
        db: SqliteDatabase | PostgresDatabase = SqliteDatabase(
            tmp_path / "records.sqlite3", backup_folder=tmp_path / "backups")
    else:
        cluster = request.getfixturevalue("pg_cluster")
        name = request.getfixturevalue("pg_database")
        db = PostgresDatabase(cluster.url(name), backup_folder=tmp_path / "backups")
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def repo(records_db: SqliteDatabase | PostgresDatabase) -> Repository:
    return records_db.repo


@pytest.fixture
def make_session() -> Callable[..., SessionRecord]:
    """``make_session(code, day=, uid=, pain=, size=, steps=, origin=)``: a sample session."""
    return session


T0 = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)  # a Monday


def session(code: str = "P001", *, day: int = 0, uid: str | None = None, pain: float = 2.0,
            size: int | None = None, steps: int = 3, origin: str = "clinic") -> SessionRecord:
    st = [StepRecord(0, "Rest", "Rest", "", "rest", 0.0, 60.0, True,
                     {"mean_uv": 3.0 + day * 0.1, "sd_uv": 0.3, "cv_percent": 10.0})]
    st += [StepRecord(i, f"Squeeze {i}", "Squeeze", "Block", "contract", 60.0 + 10 * i,
                      65.0 + 10 * i, i % 2 == 0,
                      {"contraction_peak_uv": 40.0 + i, "recovery_latency_s": 1.0 + i / 10,
                       "note": None})
           for i in range(1, steps)]
    return SessionRecord(
        uid=uid or new_session_uid(), patient_code=code, protocol="assessment",
        title="Assessment", started=T0 + dt.timedelta(days=day), duration_s=600.0,
        ended="finished", summary={"baseline_uv": 3.0 + day * 0.1, "ratings": {"Pain": pain}},
        processing={"emg_fs_hz": 2000.0}, origin=origin, steps=tuple(st),
        ratings=(Rating("pain", pain, 0.0, "Pain before"), Rating("anxiety", 40.0, 1.0, "SUDS")),
        dilator=None if size is None else DilatorEntry(size, True, 600.0, pain, 3.2, 3.0))
