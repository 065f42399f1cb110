"""Recovering a crashed recording needs the same memory for 2 minutes as for 20: bounded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from biofeedback.devices.simulated import SimulatedConfig, source_info
from biofeedback.formats import bfrec
from biofeedback.storage.journal import JournalWriter

REPO = Path(__file__).resolve().parents[2]
CHILD = r"""
import sys
from pathlib import Path
mode, journal = sys.argv[1], Path(sys.argv[2])
if mode == "recover":  # what `biofeedback recover` does: list, recover, verify, archive
    from biofeedback.cli import main
    assert main(["recover"]) == 0
    assert journal.with_name(journal.name + ".recovered").exists()
else:  # the whole-journal path recovery took before: for contrast
    from biofeedback.formats import bfrec
    from biofeedback.formats.edf import read_edf, write_edf
    signals = bfrec.read_bfrec(journal)
    signals.metadata.pop("journal")
    settings = signals.metadata.pop("settings")
    path = write_edf(signals, journal.with_suffix(".bdf"), settings=settings)
    assert len(read_edf(path).data["emg"]) == len(signals.data["emg"])
# the peak of this process's own address space (rusage's maxrss would include the parent's
# resident memory at the fork)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def _crashed_journal(folder: Path, seconds: int) -> Path:
    """``seconds`` of noise as the recorder journals it, left without an end record. Blocks
    of 1 s keep the test fast (the recorder's are 20 ms: more index, the same samples)."""
    folder.mkdir(parents=True)
    path = folder / "crashed.bfrec"
    streams = source_info(SimulatedConfig()).streams
    w = JournalWriter(path, bfrec.header_payload(streams, patient_code="P1", recording_id="r1",
                                                 start_time="2026-01-01T10:00:00"))
    rng = np.random.default_rng(1)
    for k in range(seconds):
        w.write_block(0, 2000 * k, 0, rng.normal(0, 5, (2000, 2)))
        w.write_block(1, 100 * k, 0, rng.normal(20, 1, (100, 1)))
        if k % 60 == 0:
            w.sync()
    w.abandon()
    return path


def _peak_mb(mode: str, journal: Path) -> float:
    data = journal.parent.parent
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(journal)], cwd=REPO,
                         env={**os.environ, "PYTHONSAFEPATH": "1",
                              "BIOFEEDBACK_DATA_DIR": str(data)},
                         check=True, capture_output=True, text=True, timeout=300).stdout
    return int(out.split()[-1]) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_recovery_memory_does_not_grow_with_the_journal(tmp_path: Path) -> None:
    peaks = {}
    for mode in ("recover", "whole"):
        for minutes in (2, 20):
            journal = _crashed_journal(tmp_path / f"{mode}{minutes}" / "recordings",
                                       60 * minutes)
            peaks[mode, minutes] = _peak_mb(mode, journal)
    grow = peaks["recover", 20] - peaks["recover", 2]
    assert grow < 20, peaks  # 10x the samples: a few MB of block index and gap masks
    # the whole-journal path, for contrast: the 18 extra minutes are ~40 MB of journal alone
    assert peaks["whole", 20] - peaks["whole", 2] > 100, peaks
