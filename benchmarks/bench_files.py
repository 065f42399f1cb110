"""Hour-long files: analyse, read and replay BDF+, EDF+ and CSV; chunked path vs whole-file path.

Run: ``.venv/bin/python benchmarks/bench_files.py [--minutes 60] [--only bdf,edf,csv]``.
Writes a synthetic recording (2 EMG channels at 2 kHz with contractions, pressure at 100 Hz,
markers) once per format into a temporary folder — through the streamed writer, so this script
itself stays small — then measures every case in a fresh subprocess: wall time (including
starting Python and reading the file) and the subprocess's own peak RSS (``VmHWM``; see
:func:`measure` for why not ``ru_maxrss``). The old
whole-file path (``read_signal_file`` + ``analyze`` on the array; replay from a SignalSet in
20-ms blocks) is measured in the same run on the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from biofeedback.devices.simulated import SimulatedConfig, source_info
from biofeedback.formats.reader import SignalReader
from biofeedback.formats.stream_write import write_from_reader
from biofeedback.streams import Annotation

BLOCK_S = 10


class SyntheticReader(SignalReader):
    """An hour (or ten) of plausible EMG generated block by block: deterministic per block,
    so random access works and nothing is held in memory."""

    def __init__(self, seconds: int, seed: int = 0) -> None:
        super().__init__()
        self.path = Path("<synthetic>")
        self.streams = source_info(SimulatedConfig()).streams
        self.seconds, self.seed = seconds, seed
        self._counts = {"emg": seconds * 2000, "pressure": seconds * 100}
        self.annotations = [Annotation(float(t), 0.0, f"marker:{t // 60 % 10}:minute")
                            for t in range(60, seconds, 60)]
        self.start_time, self.patient_code = None, "P001"
        self.metadata = {"source": {"name": "synthetic", "kind": "simulated"}}

    def _block(self, stream: str, k: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, k, stream == "emg"))
        if stream == "pressure":
            return 18 + np.cumsum(rng.normal(0, 0.02, (BLOCK_S * 100, 1)), axis=0)
        t = np.arange(BLOCK_S * 2000) / 2000
        # a 3-s contraction in every other 10-s block, on the pelvic floor (and a little
        # abdominal co-activation)
        env = 1 + (k % 2) * 25 * np.clip(np.minimum(t - 3, 6 - t), 0, 0.5) * 2
        x = rng.normal(0, 1.5, (len(t), 2)) * env[:, None] * [1.0, 0.3]
        return x + 0.4 * np.sin(2 * np.pi * 50 * t)[:, None]

    def _read(self, stream: str, start: int, stop: int) -> np.ndarray:
        per = BLOCK_S * (2000 if stream == "emg" else 100)
        parts = [self._block(stream, k) for k in range(start // per, -(-stop // per))]
        rows = np.concatenate(parts)
        return rows[start - start // per * per:][: stop - start]


CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
mode, path = sys.argv[1], sys.argv[2]
out = {}
if mode == "analyze":
    from biofeedback.cli.analyze import run_analysis
    d = run_analysis(__import__("pathlib").Path(path))
    out["contractions"] = len(d["contractions"])
elif mode == "analyze-whole":  # the path before issue 16: whole file, whole array
    from biofeedback.formats.signal_file import read_signal_file
    from biofeedback.signal import analyze
    ss = read_signal_file(path)
    x = ss.data["emg"]
    d = analyze(x, ss.streams[0].fs, channels=["pfm", "abdominal"]).to_json_dict()
    out["contractions"] = len(d["contractions"])
elif mode == "read":
    from biofeedback.formats.signal_file import open_signal_file
    with open_signal_file(path) as r:
        out["samples"] = sum(len(c) for c in r.chunks("emg", 20000))
elif mode == "read-whole":
    from biofeedback.formats.signal_file import read_signal_file
    out["samples"] = len(read_signal_file(path).data["emg"])
elif mode.startswith("replay"):
    import threading
    from biofeedback.devices.replay import ReplaySource
    from biofeedback.streams import EventKind
    src = path
    kw = {}
    if mode.endswith("whole"):
        from biofeedback.formats.signal_file import read_signal_file
        src, kw = read_signal_file(path), {"fast_block_s": 0.02}
    if "engine" in mode:
        from biofeedback.app.acquisition import AcquisitionEngine
        engine = AcquisitionEngine(ReplaySource(src, speed=0, **kw))
        engine.start()
        done = False
        while not done:
            time.sleep(0.05)
            for m in engine.drain():
                done |= m.kind == "source" and m.payload.kind is EventKind.END
        engine.close()
    else:
        class Null:
            ended = threading.Event()
            def on_block(self, b): pass
            def on_event(self, e):
                if e.kind is EventKind.END: self.ended.set()
        s = ReplaySource(src, speed=0, **kw)
        c = Null()
        s.start(c)
        c.ended.wait()
        s.close()
out["seconds"] = time.perf_counter() - t0
# this process's own peak (rusage's maxrss would include the parent's memory at the fork)
out["vmhwm_mb"] = int(next(line.split()[1] for line in open("/proc/self/status")
                           if line.startswith("VmHWM"))) / 1024
print(json.dumps(out))
"""


def measure(mode: str, path: Path) -> tuple[float, float, dict]:
    """(wall seconds, peak RSS MB, child output) of one case in a fresh process.

    Peak RSS is the child's ``VmHWM`` (its own address space). ``os.wait4``'s ``ru_maxrss``
    (= ``getrusage(RUSAGE_CHILDREN)`` per child) is in the output too, but on Linux it starts
    from the parent's resident size at the fork: ~120 MB here, more than a chunked read."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, mode, str(path)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{mode} {path} failed ({proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result["ru_maxrss_mb"] = round(usage.ru_maxrss / 1024)
    return wall, result["vmhwm_mb"], result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--only", default="bdf,edf,csv")
    ap.add_argument("--modes", default="analyze,analyze-whole,read,read-whole,replay,"
                                       "replay-whole,replay-engine,replay-engine-whole")
    args = ap.parse_args()
    seconds = int(args.minutes * 60) // BLOCK_S * BLOCK_S
    folder = Path(tempfile.mkdtemp(prefix="bench-files-"))
    print(f"{seconds / 3600:g} h: EMG 2 x 2000 Hz + pressure 100 Hz; files in {folder}")
    rows = []
    for fmt in args.only.split(","):
        t = time.perf_counter()
        path = write_from_reader(SyntheticReader(seconds), folder / f"rec.{fmt}")
        made = time.perf_counter() - t
        size = path.stat().st_size / 1e6
        print(f"wrote {path.name}: {size:.0f} MB in {made:.1f} s (streamed writer)", flush=True)
        for mode in args.modes.split(","):
            wall, rss, out = measure(mode, path)
            rows.append((fmt, mode, wall, seconds / wall, rss, out))
            print(f"  {mode:<20} {wall:7.2f} s {seconds / wall:7.0f}x {rss:7.0f} MB  {out}",
                  flush=True)
    print("\n| file | path | s | × real time | peak RSS MB |\n|---|---|---:|---:|---:|")
    for fmt, mode, wall, speed, rss, _ in rows:
        print(f"| {fmt.upper()} | {mode} | {wall:.2f} | {speed:.0f}× | {rss:.0f} |")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
