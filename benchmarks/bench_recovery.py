"""Journal -> BDF+ at the end of a recording (and crash recovery): streamed vs whole-journal.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_recovery.py [--minutes 60] [--runs 3]``.
Builds a journal as the recorder writes it (the real :class:`JournalWriter`, 20-ms blocks of
2 kHz x 2 EMG and 100 Hz pressure, a marker a minute, a clean end), then times in fresh
subprocesses (so each peak is its own) what pressing Stop costs:

* ``streamed``: :func:`~biofeedback.storage.recovery.convert_journal` of this tree (journal read
  through its block index, BDF+ written record by record, read back and compared);
* ``recover``: :func:`~biofeedback.storage.recovery.recover_journal` (the same, plus the lock,
  the already-written check and the archive);
* ``whole``: the whole-journal path convert_journal took before it was streamed (kept here:
  ``read_bfrec`` + ``write_edf`` + ``read_edf`` to check the counts).

Prints seconds (wall and CPU), x real time and peak RSS (VmHWM) of the least disturbed run
(the lowest wall time) of ``--runs``. The machine may be shared: CPU seconds move less.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CHILD = r"""
import shutil, sys, time
from pathlib import Path
from biofeedback.formats import bfrec
from biofeedback.formats.edf import read_edf, write_edf
from biofeedback.formats.errors import FormatError
from biofeedback.storage.recovery import convert_journal, recover_journal
mode, journal, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
if mode == "recover":
    work = journal.with_suffix(".work.bfrec")
    shutil.copy(journal, work)
t0, c0 = time.perf_counter(), time.process_time()  # the modules are loaded when Stop is pressed
if mode == "streamed":
    convert_journal(journal, out, private=True)
elif mode == "recover":
    recover_journal(work, out)
else:  # the whole-journal path, as recovery.convert_journal was before it was streamed
    signals = bfrec.read_bfrec(journal)
    signals.metadata.pop("journal", None)
    settings = signals.metadata.pop("settings", None)
    path = write_edf(signals, out, settings=settings, private=True)
    back = read_edf(path)
    for s in signals.streams:
        if len(back.data.get(s.name, ())) != len(signals.data[s.name]):
            raise FormatError(path, "verification failed")
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
hwm = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(wall, cpu, int(hwm) / 1024)
"""


def build_journal(path: Path, minutes: float) -> Path:
    """``minutes`` of noise journalled as the recorder does it: 20-ms blocks, clean end."""
    from biofeedback.devices.simulated import SimulatedConfig, source_info
    from biofeedback.formats import bfrec
    from biofeedback.storage.journal import JournalWriter

    streams = source_info(SimulatedConfig()).streams
    w = JournalWriter(path, bfrec.header_payload(
        streams, patient_code="P1", recording_id="bench", start_time="2026-01-01T10:00:00",
        settings={"band_hz": [20, 450]}, source={"name": "sim", "kind": "simulated"}))
    rng = np.random.default_rng(1)
    blocks = int(minutes * 60 * 50)
    for k0 in range(0, blocks, 3000):  # one minute of samples drawn at a time
        n = min(3000, blocks - k0)
        emg = rng.normal(0, 5, (40 * n, 2))
        pressure = 20 + np.cumsum(rng.normal(0, 0.05, (2 * n, 1)), axis=0)
        for j in range(n):
            k = k0 + j
            w.write_block(0, 40 * k, 0, emg[40 * j:40 * j + 40])
            w.write_block(1, 2 * k, 0, pressure[2 * j:2 * j + 2])
            w.maybe_sync()
        w.write_json(bfrec.ANNOTATION, {"onset": k0 / 50 + 0.5, "duration": 0,
                                        "text": "marker:1:bench"})
    w.end({"reason": "stopped"})
    w.close()
    return path


def run(mode: str, journal: Path, out: Path) -> tuple[float, float, float]:
    out.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONSAFEPATH": "1",
           "BIOFEEDBACK_DATA_DIR": str(journal.parent / "home")}
    text = subprocess.run([sys.executable, "-c", CHILD, mode, str(journal), str(out)],
                          cwd=REPO, env=env, check=True, capture_output=True, text=True).stdout
    wall, cpu, mb = (float(x) for x in text.split()[-3:])
    return wall, cpu, mb


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[60.0])
    ap.add_argument("--runs", type=int, default=3, help="runs per mode (at most 3)")
    ap.add_argument("--modes", nargs="+", default=["whole", "streamed", "recover"])
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_recovery_"))
    try:
        print("| journal | path | wall s | CPU s | x real time | peak RSS MB |")
        print("|---|---|---|---|---|---|")
        for minutes in args.minutes:
            t = time.perf_counter()
            journal = build_journal(tmp / f"j{minutes:g}.bfrec", minutes)
            size = journal.stat().st_size / 1e6
            print(f"<!-- built {minutes:g} min journal ({size:.0f} MB) in "
                  f"{time.perf_counter() - t:.1f} s -->", flush=True)
            for mode in args.modes:
                best = min(run(mode, journal, tmp / f"{mode}.bdf")
                           for _ in range(max(1, min(3, args.runs))))
                wall, cpu, mb = best
                print(f"| {minutes:g} min ({size:.0f} MB) | {mode} | {wall:.2f} | {cpu:.2f} | "
                      f"{minutes * 60 / wall:.0f}x | {mb:.0f} |", flush=True)
            journal.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
