"""Shared test set-up: headless Qt, a private data folder per test run, the shared recordings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile or load the signal kernels before any test: on a fresh machine their first call
    takes seconds, which must not land inside a test that waits for live data."""
    from biofeedback.signal.warmup import warm_up

    warm_up()


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never write into the real per-user data folder from tests."""
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path_factory.mktemp("bf-data")))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared recordings not found at {SHARED_DATA} (clone ../shared beside the repo)")
    return SHARED_DATA
