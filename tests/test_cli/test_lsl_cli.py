"""``biofeedback lsl`` in its own process: a pylsl inlet here receives the replayed file's
samples exactly, its annotations as markers, and the metadata names the recording's device."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from biofeedback.app.lsl_outlet import configure
from biofeedback.cli import main
from biofeedback.devices.scenario import get_scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats.signal_file import read_signal_file, write_signal_file
from biofeedback.streams import Annotation, SignalSet

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 60.0  # a loaded machine: a fresh interpreter imports numpy, scipy and numba
SECONDS = 14.0  # of the file; its annotations come late enough for the inlets to be connected
MARKERS = [(10.0, 0.0, "marker:2:relax"), (12.0, 2.0, "protocol:Rest")]


def _recording(path: Path, serial: str, seconds: float = SECONDS) -> Path:
    signal = SimulatedSignal(get_scenario("demo"), SimulatedConfig())
    blocks: dict[str, list[np.ndarray]] = {"emg": [], "pressure": []}
    for _ in range(int(seconds / SimulatedConfig().block_s)):
        for b in signal.next_blocks():
            blocks[b.stream].append(b.data)
    info = source_info(SimulatedConfig())
    ss = SignalSet(info.streams, {k: np.concatenate(v) for k, v in blocks.items()},
                   [Annotation(*m) for m in MARKERS],
                   metadata={"source": {"serial": serial, "firmware": "test"}})
    return write_signal_file(ss, path)


def _pull(inlet, n: int) -> tuple[list, list[float]]:
    values: list = []
    stamps: list[float] = []
    while len(values) < n:
        chunk, ts = inlet.pull_chunk(timeout=DEADLINE_S, max_samples=n - len(values))
        assert chunk, f"received {len(values)} of {n} samples"
        values += chunk
        stamps += ts
    return values, stamps


@pytest.mark.slow
def test_a_replayed_file_reaches_an_inlet_sample_for_sample_with_its_annotations(tmp_path):
    pylsl = configure("machine")
    serial = f"REC-{uuid.uuid4().hex[:10]}"
    path = _recording(tmp_path / "rest.bdf", serial)
    proc = subprocess.Popen([sys.executable, "-m", "biofeedback", "lsl", "--source",
                             f"replay:{path}", "--speed", "2"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        hits = pylsl.resolve_bypred(f"starts-with(source_id,'biofeedback-{serial}-')", 3,
                                    DEADLINE_S)  # all three at once
        assert len(hits) == 3, proc.stderr.read() if proc.poll() is not None else "not found"
        by_id = {h.source_id(): h for h in hits}
        found = {}
        for kind in ("markers", "emg"):  # markers first: they must not be missed
            found[kind] = pylsl.StreamInlet(by_id[f"biofeedback-{serial}-{kind}"], max_buflen=60)
            found[kind].open_stream(DEADLINE_S)
        meta = found["emg"].info(DEADLINE_S)
        assert meta.get_channel_labels() == ["pfm", "abdominal"]
        assert meta.desc().child("acquisition").child_value("serial_number") == serial
        assert meta.desc().child("acquisition").child_value("source_kind") == "replay"
        got, ts = _pull(found["emg"], 4000)  # 2 s of the file
        texts, ts_m = _pull(found["markers"], 2)
        out, err = proc.communicate(timeout=DEADLINE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"published {SECONDS:.1f} s of samples" in out
    assert "source_id=biofeedback-" + serial + "-emg" in err
    emg = read_signal_file(path).data["emg"]
    got = np.array(got)
    k = int(np.flatnonzero((emg == got[0]).all(axis=1))[0])
    assert np.array_equal(got, emg[k:k + len(got)])  # what the replay produced, unchanged
    assert [t[0] for t in texts] == ["marker:2:relax", "protocol:Rest;duration_s=2.000"]
    # markers on the samples' clock: the file's 10.0 s is EMG sample 20000
    assert abs((ts_m[0] - ts[0]) - (20000 - k) / 2000.0) < 1e-6
    assert abs((ts_m[1] - ts_m[0]) - 2.0) < 1e-6
    for inlet in found.values():
        inlet.close_stream()


def test_bad_arguments_are_one_line(capsys):
    assert main(["lsl", "--duration", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--duration must be a positive number" in err[0]
    assert main(["lsl", "--source", "serial:/dev/does-not-exist", "--duration", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Could not open the sensor" in err[0]
