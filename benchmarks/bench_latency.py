"""Sample-to-consumer latency through the compiled emulator, a real pty and SerialSensor.

Usage: ``.venv/bin/python benchmarks/bench_latency.py [--seconds 10]``

For every block handed to the consumer, latency = hand-off time − the time the block's newest
sample was taken. The emulator stamps samples with ``CLOCK_MONOTONIC − boot`` (µs), and boots
immediately before printing its ``PORT`` line, so ``boot ≈`` the moment we read that line (the
estimate is late by the pipe hand-off, well under 1 ms, which makes the figures slightly
optimistic by that much). Python's ``time.monotonic()`` is the same clock on Linux. As a
cross-check the table also shows the latency against the host-mapped block time
(``SampleBlock.t0``), which is relative to the fastest frame seen.

"Screen" adds the window's repaint interval on top: ``MainWindow.REFRESH_MS`` (33 ms) at
worst, 16.5 ms on average. Peers in the same run: the same link under fault injection, and
the latency against the host-mapped time (a lower bound: a block cannot arrive before its
newest sample exists, so the clock map's offset is at most the true one). Target: median
≤ 50 ms to the screen.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np

from biofeedback.devices import protocol as P
from biofeedback.devices.emulator import EmulatorProcess, find_emulator
from biofeedback.devices.serial_sensor import SerialSensor


class _TimedSensor(SerialSensor):
    """Remembers each DATA block's raw device timestamp by its host index."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.t_us: dict[tuple[str, int], int] = {}

    def _on_data(self, d: P.Data) -> None:
        super()._on_data(d)
        st = self._streams.get(d.stream_id)
        if st is not None and st.pending and st.pending[-1][0] is d:
            self.t_us[(st.name, st.next_host - d.n_samples)] = d.t_us


class _Sink:
    def __init__(self) -> None:
        self.rows: list[tuple[str, int, int, float, float, float]] = []
        self.lock = threading.Lock()

    def on_block(self, block) -> None:
        now = time.monotonic()
        with self.lock:
            self.rows.append((block.stream, block.first_index, block.n_samples, block.fs,
                              block.t0, now))

    def on_event(self, event) -> None:
        """Not needed here: this consumer only counts or ignores it."""


def _stats(values: list[float]) -> str:
    a = np.asarray(values) * 1000
    return (f"{np.median(a):.1f} | {np.percentile(a, 95):.1f} | {a.max():.1f} | {len(a)}")


def measure_emulator(seconds: float, faults: str | None) -> dict[str, dict[str, list[float]]]:
    with EmulatorProcess(binary=find_emulator(), scenario="demo", faults=faults, seed=5) as emu:
        boot = time.monotonic()
        sensor = _TimedSensor(emu.port)
        sink = _Sink()
        sensor.start(sink)
        time.sleep(seconds)
        sensor.stop()
        sensor.close()
    out: dict[str, dict[str, list[float]]] = {}
    for stream, first, n, fs, t0, handed in sink.rows[5:]:  # skip the clock map's first blocks
        t_us = sensor.t_us.get((stream, first))
        if t_us is None:
            continue
        newest = boot + t_us * 1e-6 + (n - 1) / fs
        d = out.setdefault(stream, {"abs": [], "mapped": []})
        d["abs"].append(handed - newest)
        d["mapped"].append(handed - (t0 + (n - 1) / fs))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    print(f"{args.seconds:g} s per row; latency of the newest sample of each block, in ms")
    print()
    print("| source | stream | median | p95 | max | blocks |")
    print("|---|---|---:|---:|---:|---:|")
    for label, faults in (("emulator, clean link", None),
                          ("emulator, drop=0.02,flip=0.02", "drop=0.02,flip=0.02")):
        res = measure_emulator(args.seconds, faults)
        for stream in ("emg", "pressure"):
            if stream in res:
                print(f"| {label} | {stream} | {_stats(res[stream]['abs'])} |")
        if faults is None:
            mapped = res["emg"]["mapped"]
    print(f"| emulator, vs host-mapped t0 (lower bound) | emg | {_stats(mapped)} |")
    print()
    print("Figures start at each block's newest sample. Its oldest sample is older by the block "
          "length (EMG 9.5 ms, pressure 40 ms); the window's repaint adds up to 33 ms.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
