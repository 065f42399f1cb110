"""Storage test set-up shared by the records suites."""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def break_migration(monkeypatch: pytest.MonkeyPatch) -> Callable[[int, str], None]:
    """``break_migration(version, message)``: migration ``version`` creates its tables, then
    fails with ``RuntimeError(message)``, as a power cut halfway through would."""
    from biofeedback.storage.records import migrations

    def install(version: int, message: str) -> None:
        def broken(conn) -> None:
            migrations.schema.metadata.create_all(
                conn, tables=migrations.schema.tables_since(version))
            raise RuntimeError(message)

        monkeypatch.setitem(migrations.MIGRATIONS, version, broken)

    return install
