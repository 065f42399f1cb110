"""Recording file costs: write/read time and size of a 30-min session, edfio vs pyEDFlib.

Run: ``.venv/bin/python benchmarks/bench_recording_files.py [minutes]``. Prints one table; the
peers (pyEDFlib's writer and reader, MNE's reader) are measured in the same run on the same data.
Also measures the journal: bytes per second and the time to turn it into the final BDF+.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from biofeedback.devices.simulated import SimulatedConfig, source_info
from biofeedback.formats.edf import read_edf, write_edf
from biofeedback.storage.recorder import Recorder
from biofeedback.streams import SampleBlock, SignalSet


def _session(minutes: float) -> SignalSet:
    rng = np.random.default_rng(0)
    n = int(minutes * 60 * 2000)
    emg = rng.normal(0, 3, (n, 2))
    pressure = 18 + rng.normal(0, 0.1, (n // 20, 1))
    return SignalSet(source_info(SimulatedConfig()).streams, {"emg": emg, "pressure": pressure})


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    ss = _session(minutes)
    tmp = Path(tempfile.mkdtemp())
    rows = []
    for name in ("s.bdf", "s.edf"):
        tw, p = _timed(lambda name=name: write_edf(ss, tmp / name))
        tr, _ = _timed(lambda p=p: read_edf(p))
        rows.append((f"edfio write/read ({name[-3:]})", tw, tr, p.stat().st_size))
    import pyedflib

    def pyedf_write(path: Path, ftype: int) -> Path:
        heads = []
        cols = [np.ascontiguousarray(c) for c in
                (ss.data["emg"][:, 0], ss.data["emg"][:, 1], ss.data["pressure"][:, 0])]
        for label, fs, col in zip(("EMG pfm", "EMG abdominal", "Pres pressure"),
                                  (2000, 2000, 100), cols, strict=True):
            heads.append({"label": label, "dimension": "uV", "sample_frequency": fs,
                          "physical_max": round(float(col.max()) + 0.01, 2),
                          "physical_min": round(float(col.min()) - 0.01, 2),
                          "digital_max": 8388607 if ftype == pyedflib.FILETYPE_BDFPLUS else 32767,
                          "digital_min": -8388608 if ftype == pyedflib.FILETYPE_BDFPLUS
                          else -32768})
        with pyedflib.EdfWriter(str(path), 3, file_type=ftype) as w:
            w.setSignalHeaders(heads)
            w.writeSamples(cols)
        return path

    def pyedf_read(path: Path) -> list[np.ndarray]:
        with pyedflib.EdfReader(str(path)) as f:
            return [f.readSignal(i) for i in range(f.signals_in_file)]

    for name, ft in (("p.bdf", pyedflib.FILETYPE_BDFPLUS), ("p.edf", pyedflib.FILETYPE_EDFPLUS)):
        tw, p = _timed(lambda name=name, ft=ft: pyedf_write(tmp / name, ft))
        tr, _ = _timed(lambda p=p: pyedf_read(p))
        rows.append((f"pyEDFlib write/read ({name[-3:]})", tw, tr, p.stat().st_size))
    import mne

    tr, _ = _timed(lambda: mne.io.read_raw_bdf(tmp / "s.bdf", preload=True, verbose="error"))
    rows.append(("MNE read (bdf)", float("nan"), tr, (tmp / "s.bdf").stat().st_size))

    # the journal path: what a live session writes, then finish() -> BDF+
    rec = Recorder(source_info(SimulatedConfig()), tmp / "live.bdf", folder=tmp)
    rec.start()
    step = 40
    t = time.perf_counter()
    for k in range(0, len(ss.data["emg"]), step):
        rec.on_block(SampleBlock("emg", k, k / 2000, 2000.0, ss.data["emg"][k:k + step]))
        if k % 800 == 0:
            j = k // 20
            rec.on_block(SampleBlock("pressure", j, j / 100, 100.0, ss.data["pressure"][j:j + 40]))
    enqueue = time.perf_counter() - t
    journal = rec.journal_path
    while rec.blocks_written < len(ss.data["emg"]) // step:
        time.sleep(0.01)
    journal_bytes = journal.stat().st_size
    tf, _ = _timed(rec.finish)
    print(f"{minutes:g}-min session, 2 EMG ch @ 2 kHz + pressure @ 100 Hz "
          f"({ss.data['emg'].size + ss.data['pressure'].size:,} samples)\n")
    print(f"{'writer/reader':<28}{'write s':>9}{'read s':>9}{'MB':>9}")
    for name, tw, tr, size in rows:
        print(f"{name:<28}{tw:>9.2f}{tr:>9.2f}{size / 1e6:>9.1f}")
    print(f"\njournal: {journal_bytes / 1e6:.1f} MB ({journal_bytes / (minutes * 60) / 1e3:.1f} "
          f"kB/s); enqueue of all blocks {enqueue:.2f} s; finish() -> BDF+ {tf:.2f} s")


if __name__ == "__main__":
    main()
