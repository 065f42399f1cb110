"""Several clinic workstations writing to one PostgreSQL server at once.

Usage: ``.venv/bin/python benchmarks/bench_workstations.py [--workers 8] [--seconds 60]
[--url postgresql://...]``

Without ``--url`` a throw-away local cluster is started (``storage/records/pg_cluster.py``,
durable: fsync on, as a real server) and removed at the end. Each workstation is its own
process running, until its time is up:

* sessions: a synthetic finished session (12 steps with metrics, pain/anxiety ratings, a
  dilator entry) stored in one transaction, for a random one of the shared patients;
* edits (1 in 4): a patient opened and renamed against the version seen; a
  ``ConflictError`` (another workstation was faster) is counted, the patient reloaded and the
  edit made again, as a clinician would; then a note;
* bundle imports (1 in 8): one of a fixed set of sessions every workstation imports too (the
  same home bundle at several workstations), which must be stored once.

Reported: sessions stored, **lost** (a workstation was told "stored" and the server does not
have it), **duplicated** (two workstations were told "stored" for one session, or the server
holds a session twice), conflicts told, deadlocks/serialization retries, errors, and p50/p95
write latency (one transaction each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PATIENTS = 12
BUNDLE_SESSIONS = 40


@dataclass
class Report:
    workers: int
    seconds: float
    stored: int
    lost: int
    duplicated: int
    bundle_stored: int
    conflicts: int
    deadlocks: int
    errors: list[str]
    session_ms: tuple[float, float]  # p50, p95
    edit_ms: tuple[float, float]
    sessions_per_s: float

    def table(self) -> str:
        rows = [
            ("workstations (processes)", f"{self.workers}"),
            ("duration per workstation", f"{self.seconds:.0f} s"),
            ("sessions stored", f"{self.stored} ({self.sessions_per_s:.0f}/s)"),
            ("lost / duplicated sessions", f"{self.lost} / {self.duplicated}"),
            ("same-bundle sessions (stored once)", f"{self.bundle_stored}"),
            ("edit conflicts told (then reloaded)", f"{self.conflicts}"),
            ("deadlocks / retries", f"{self.deadlocks}"),
            ("errors", f"{len(self.errors)}"),
            ("session write p50 / p95", f"{self.session_ms[0]:.1f} / {self.session_ms[1]:.1f} ms"),
            ("edit write p50 / p95", f"{self.edit_ms[0]:.1f} / {self.edit_ms[1]:.1f} ms"),
        ]
        width = max(len(a) for a, _ in rows)
        return "\n".join(f"| {a:<{width}} | {b} |" for a, b in rows)


# -- one workstation ---------------------------------------------------------------------------
def _session(code: str, uid: str, rng: random.Random):
    from biofeedback.storage.records import DilatorEntry, Rating, SessionRecord, StepRecord

    t0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randrange(10**5))
    steps = tuple(StepRecord(i, f"Step {i}", "Hold", "Block", "contract", 10.0 * i,
                             10.0 * i + 8, True, {"mean_uv": rng.uniform(2, 6), "sd_uv": 0.4,
                                                  "recovery_latency_s": rng.uniform(0.5, 3)})
                  for i in range(12))
    return SessionRecord(
        uid=uid, patient_code=code, protocol="dilator", title="Dilator practice",
        started=t0, duration_s=600.0, ended="finished",
        summary={"baseline_uv": rng.uniform(2, 5)}, processing={"emg_fs_hz": 2000.0},
        origin="clinic", steps=steps,
        ratings=(Rating("pain", rng.uniform(0, 4), 0.0, "Pain before"),
                 Rating("anxiety", rng.uniform(0, 60), 1.0, "SUDS")),
        dilator=DilatorEntry(rng.randrange(1, 6), True, 300.0, 2.0, 3.1, 3.0))


def worker(url: str, seconds: float, wid: int, bundle_file: Path) -> dict:
    from sqlalchemy.engine import make_url

    from biofeedback.storage.records import (
        ConflictError,
        PostgresDatabase,
        RecordsError,
        RetryableError,
    )
    from biofeedback.storage.records.models import Actor

    rng = random.Random(wid)
    bundle = json.loads(bundle_file.read_text())
    db = PostgresDatabase(make_url(url), auto_migrate=False, pool_size=2)
    repo = db.repo.with_actor(Actor(f"ws{wid}", "therapist", f"room-{wid}"))
    out: dict = {"added": [], "bundle_added": [], "session_ms": [], "edit_ms": [],
                 "conflicts": 0, "deadlocks": 0, "errors": []}
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        i += 1
        code = f"P{rng.randrange(PATIENTS):03d}"
        try:
            if i % 8 == 0:
                uid, bcode = rng.choice(bundle)
                t = time.perf_counter()
                if _retrying(lambda u=uid, c=bcode: repo.add_session(_session(c, u, rng)),
                             out, RetryableError):
                    out["bundle_added"].append(uid)
                out["session_ms"].append((time.perf_counter() - t) * 1000)
            elif i % 4 == 0:
                for _attempt in range(20):
                    seen = repo.get_patient(code)
                    t = time.perf_counter()
                    try:
                        repo.set_patient_name(code, f"edited by ws{wid} #{i}",
                                              expected_version=seen.version)
                        out["edit_ms"].append((time.perf_counter() - t) * 1000)
                        break
                    except ConflictError:
                        out["conflicts"] += 1  # told; reload and make the change again
                t = time.perf_counter()
                repo.add_note(code, f"note {i} from ws{wid}")
                out["edit_ms"].append((time.perf_counter() - t) * 1000)
            else:
                uid = uuid.uuid4().hex
                t = time.perf_counter()
                if _retrying(lambda u=uid, c=code: repo.add_session(_session(c, u, rng)), out,
                             RetryableError):
                    out["added"].append(uid)
                out["session_ms"].append((time.perf_counter() - t) * 1000)
        except RecordsError as exc:
            out["errors"].append(str(exc))
    db.close()
    return out


def _retrying(fn, out: dict, retryable: type[Exception]) -> bool:
    for _ in range(5):
        try:
            return bool(fn())
        except retryable:
            out["deadlocks"] += 1
    raise RuntimeError("five retries in a row")


# -- the coordinator ---------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def run(url: str, *, workers: int = 8, seconds: float = 60.0, folder: Path) -> Report:
    """Prepare the patients, run ``workers`` processes for ``seconds``, check the server."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from biofeedback.storage.records import PostgresDatabase

    with PostgresDatabase(make_url(url)) as db:
        for n in range(PATIENTS):
            if db.repo.find_patient(f"P{n:03d}") is None:
                db.repo.add_patient(f"P{n:03d}")
        with db.engine.connect() as c:
            before = {r[0] for r in c.execute(text("SELECT uid FROM sessions"))}
    rng = random.Random(17)
    bundle = [(uuid.uuid4().hex, f"P{rng.randrange(PATIENTS):03d}")
              for _ in range(BUNDLE_SESSIONS)]
    bundle_file = folder / "bundle.json"
    bundle_file.write_text(json.dumps(bundle))
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(w), "--url", url,
                               "--seconds", str(seconds), "--bundle", str(bundle_file)],
                              stdout=subprocess.PIPE, text=True) for w in range(workers)]
    results = []
    for p in procs:
        stdout, _ = p.communicate(timeout=seconds + 300)
        if p.returncode != 0:
            raise RuntimeError(f"a workstation process failed (exit {p.returncode})")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    with PostgresDatabase(make_url(url)) as db, db.engine.connect() as c:
        rows = [r[0] for r in c.execute(text("SELECT uid FROM sessions"))]
    on_server = Counter(rows)
    told = Counter(u for r in results for u in r["added"] + r["bundle_added"])
    lost = sum(1 for u in told if u not in on_server)
    duplicated = sum(n - 1 for n in told.values() if n > 1) + \
        sum(n - 1 for n in on_server.values() if n > 1)
    stored = len(set(rows) - before)
    bundle_uids = {u for u, _ in bundle}
    session_ms = [x for r in results for x in r["session_ms"]]
    edit_ms = [x for r in results for x in r["edit_ms"]]
    return Report(
        workers, seconds, stored, lost, duplicated, len(bundle_uids & set(rows)),
        sum(r["conflicts"] for r in results), sum(r["deadlocks"] for r in results),
        [e for r in results for e in r["errors"]],
        (_pct(session_ms, 0.5), _pct(session_ms, 0.95)), (_pct(edit_ms, 0.5), _pct(edit_ms, 0.95)),
        stored / seconds)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--url", help="an existing server's records database (default: a "
                    "throw-away local cluster)")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--bundle", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.url, args.seconds, args.worker, args.bundle)))
        return 0
    import tempfile

    from biofeedback.storage.records.pg_cluster import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            report = run(args.url, workers=args.workers, seconds=args.seconds, folder=Path(tmp))
        else:
            with LocalCluster(durable=True) as cluster:
                url = cluster.create_database("bench").render_as_string(hide_password=False)
                report = run(url, workers=args.workers, seconds=args.seconds,
                             folder=Path(tmp))
    print(report.table())
    for e in report.errors[:5]:
        print(f"error: {e}", file=sys.stderr)
    return 0 if report.lost == 0 and report.duplicated == 0 and not report.errors else 1


if __name__ == "__main__":
    sys.exit(main())
