"""Reading and replaying a file needs the same memory for 2 minutes as for 20: bounded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from biofeedback.devices.simulated import SimulatedConfig, source_info
from biofeedback.formats.reader import SignalReader
from biofeedback.formats.stream_write import write_from_reader

REPO = Path(__file__).resolve().parents[2]
CHILD = r"""
import sys, threading
from biofeedback.formats.signal_file import open_signal_file, read_signal_file
from biofeedback.devices.replay import ReplaySource
from biofeedback.streams import EventKind
mode, path = sys.argv[1], sys.argv[2]
if mode == "read":
    with open_signal_file(path) as r:
        assert sum(len(c) for c in r.chunks("emg", 20_000)) == r.n_samples("emg")
elif mode == "whole":
    read_signal_file(path)
else:
    done = threading.Event()
    class Tap:
        def on_block(self, b): pass
        def on_event(self, e):
            if e.kind is EventKind.END: done.set()
    src = ReplaySource(path, speed=0)
    src.start(Tap())
    assert done.wait(600)
    src.close()
# the peak of this process's own address space (rusage's maxrss would include the parent's
# resident memory at the fork)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


class _Noise(SignalReader):
    """Minutes of noise made 10 s at a time (nothing held), to write test files."""

    def __init__(self, seconds: int) -> None:
        super().__init__()
        self.path = Path("<noise>")
        self.streams = source_info(SimulatedConfig()).streams
        self._counts = {"emg": seconds * 2000, "pressure": seconds * 100}
        self.annotations, self.start_time, self.patient_code, self.metadata = [], None, "", {}

    def _read(self, stream: str, start: int, stop: int) -> np.ndarray:
        nch = len(self.stream(stream).channels)
        return np.random.default_rng(start).normal(0, 5, (stop - start, nch))


def _peak_mb(mode: str, path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)], cwd=REPO, check=True,
                         env={**os.environ, "PYTHONSAFEPATH": "1"}, capture_output=True,
                         text=True, timeout=600).stdout
    return int(out.split()[-1]) / 1024


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("suffix", [".bdf", ".csv"])
def test_memory_does_not_grow_with_the_recording(tmp_path: Path, suffix: str) -> None:
    short = write_from_reader(_Noise(120), tmp_path / f"short{suffix}")
    long = write_from_reader(_Noise(1200), tmp_path / f"long{suffix}")
    for mode in ("read", "replay"):
        grow = _peak_mb(mode, long) - _peak_mb(mode, short)
        assert grow < 20, (mode, grow)  # 10x the samples, a few MB of index at most
    # the whole-file reader, for contrast: the 18 extra minutes are ~40 MB of samples alone
    assert _peak_mb("whole", long) - _peak_mb("whole", short) > 40
