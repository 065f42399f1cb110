"""How fast the live window replays an hour-long recording at ``--speed 0`` (as fast as it can).

Writes a 1 h BDF+ once (the synthetic recording of ``bench_files.py``: EMG 2 kHz x 2 with a
contraction every 20 s, pressure 100 Hz, a marker a minute), opens the real window on it under
the current display (run it under Xvfb), presses Start and waits until the replay has ended.
Prints wall time, real-time factor and process CPU; ``--runs`` repeats, the least disturbed
(fastest) run is quoted. Issue 16 target: >= 200x real time in the window. A script, not a
test::

    xvfb-run -a -s "-screen 0 1400x900x24" python benchmarks/bench_window_replay.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
TARGET = 200.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=int, default=3600, help="recording length (s)")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    os.environ["BIOFEEDBACK_DATA_DIR"] = tempfile.mkdtemp(prefix="bf-bench-")
    from bench_files import SyntheticReader

    from biofeedback.app.live_types import SessionPhase
    from biofeedback.formats.stream_write import write_from_reader
    from biofeedback.ui.app import make_application
    from biofeedback.ui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as tmp:
        path = write_from_reader(SyntheticReader(args.seconds), Path(tmp) / "rec.bdf")
        app = make_application()
        rows = []
        for run in range(args.runs):
            win = MainWindow(f"replay:{path}", {"speed": 0.0}, persist=False)
            win.resize(1400, 900)
            win.show()
            app.processEvents()
            load = os.getloadavg()[0]
            t0, c0 = time.monotonic(), time.process_time()
            if not win.start():
                sys.exit(f"the replay did not start: {win.banner.text()}")
            ended = (SessionPhase.ENDED, SessionPhase.FAILED)
            while win.last_snapshot is None or win.last_snapshot.phase not in ended:
                app.processEvents()
                time.sleep(0.005)  # the window's own timer paints; this loop only waits
            wall, cpu = time.monotonic() - t0, time.process_time() - c0
            snap = win.last_snapshot
            rows.append((wall, cpu, load, f"{snap.phase.name} at {snap.time_s:.0f} s"))
            print(f"run {run + 1}/{args.runs}: {wall:.1f} s, {args.seconds / wall:.0f}x",
                  file=sys.stderr)
            win.stop()
            win.close()
            app.processEvents()
    print("| run | wall s | x real time | process CPU s | load | ended |")
    print("|---|---|---|---|---|---|")
    for i, (wall, cpu, load, phase) in enumerate(rows, 1):
        print(f"| {i} | {wall:.1f} | {args.seconds / wall:.0f}x | {cpu:.1f} | {load:.2f} | "
              f"{phase} |")
    best = min(r[0] for r in rows)
    verdict = "MET" if args.seconds / best >= TARGET else "MISSED"
    print(f"least disturbed: {args.seconds / best:.0f}x real time; target >= {TARGET:.0f}x: "
          f"{verdict}")


if __name__ == "__main__":
    main()
