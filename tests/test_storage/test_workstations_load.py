"""The workstation benchmark, short: three processes for a few seconds against the test server
store every session they were told was stored, once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_workstations.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_workstations", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_three_workstations_lose_and_duplicate_nothing(pg_cluster, pg_database, tmp_path):
    url = pg_cluster.url(pg_database).render_as_string(hide_password=False)
    report = _bench().run(url, workers=3, seconds=3.0, folder=tmp_path)
    assert report.stored > 10 and report.errors == []
    assert report.lost == 0 and report.duplicated == 0
    assert report.bundle_stored > 0  # sessions every workstation imported: stored once each
