"""Fuzz the signal-file readers with broken files: every outcome is a SignalSet or FormatError.

Broken means: truncated at any offset, damaged header bytes, header fields with absurd values
(huge declared sizes, NaN calibration, negative counts), random bit flips, an unknown stream in
a journal. Never a traceback, never a hang, never a gigantic allocation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biofeedback.devices.scenario import get_scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats import bfrec
from biofeedback.formats.edf import write_edf
from biofeedback.formats.errors import FormatError
from biofeedback.formats.signal_file import (
    open_signal_file,
    read_signal_file,
    write_signal_file,
)
from biofeedback.streams import Annotation, SignalSet

_DIR = Path(tempfile.mkdtemp(prefix="bf-fuzz-"))
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def _signals() -> SignalSet:
    info = source_info(SimulatedConfig())
    blocks = list(SimulatedSignal(get_scenario("demo")).generate(2.0))
    data = {s: np.concatenate([b.data for b in blocks if b.stream == s]) for s in ("emg",
                                                                                    "pressure")}
    return SignalSet(info.streams, data, [Annotation(0.5, 0.0, "marker:1:x")],
                     patient_code="P1")


def _journal_bytes(ss: SignalSet) -> bytes:
    parts = [bfrec.MAGIC, bfrec.encode_json(bfrec.HEADER, bfrec.header_payload(ss.streams))]
    for k in range(0, 4000, 400):
        parts.append(bfrec.encode_block(0, k, 0, ss.data["emg"][k:k + 400]))
        parts.append(bfrec.encode_block(1, k // 20, 0, ss.data["pressure"][k // 20:k // 20 + 20]))
    parts.append(bfrec.encode_json(bfrec.ANNOTATION, {"onset": 0.5, "duration": 0, "text": "x"}))
    return b"".join(parts)


_SS = _signals()
GOOD = {
    ".edf": write_edf(_SS, _DIR / "good.edf").read_bytes(),
    ".bdf": write_edf(_SS, _DIR / "good.bdf").read_bytes(),
    ".bfrec": _journal_bytes(_SS),
    ".csv": write_signal_file(_SS, _DIR / "good.csv").read_bytes(),
}
SUFFIXES = st.sampled_from(sorted(GOOD))


def _read_and_check(data: bytes, suffix: str) -> SignalSet | None:
    path = _DIR / f"case{suffix}"
    path.write_bytes(data)
    try:
        ss = read_signal_file(path)
    except FormatError as exc:
        text = str(exc)
        assert text.startswith(f"{path}: ") and "\n" not in text, text
        with pytest.raises(FormatError) as chunked:  # the chunked readers say the same
            open_signal_file(path)
        assert str(chunked.value) == text
        return None
    with open_signal_file(path) as reader:
        assert reader.streams == ss.streams and reader.annotations == ss.annotations
        for s in ss.streams:
            assert np.array_equal(reader.read(s.name, 0, len(ss.data[s.name])), ss.data[s.name])
    for s in ss.streams:  # whatever comes back is well-formed
        arr = ss.data[s.name]
        assert arr.ndim == 2 and arr.shape[1] == len(s.channels)
        assert np.isfinite(arr).all()
    return ss


def test_good_files_read():
    for suffix, data in GOOD.items():
        ss = _read_and_check(data, suffix)
        assert ss is not None and ss.data["emg"].shape == (4000, 2), suffix


@FUZZ
@given(suffix=SUFFIXES, frac=st.floats(0, 1, exclude_max=True))
def test_truncated_anywhere(suffix, frac):
    data = GOOD[suffix]
    cut = int(frac * len(data))
    ss = _read_and_check(data[:cut], suffix)
    if suffix in (".edf", ".bdf"):
        assert ss is None  # EDF/BDF: a short file is refused, never half-read silently
    elif ss is not None and suffix == ".bfrec":  # a journal keeps its intact records
        assert ss.metadata["journal"]["dropped_bytes"] >= 0
    # a CSV cut at a line end is a valid shorter CSV: it has no length field to check


@FUZZ
@given(suffix=SUFFIXES, where=st.integers(0, 2000), junk=st.binary(min_size=1, max_size=16))
def test_damaged_header_bytes(suffix, where, junk):
    data = bytearray(GOOD[suffix])
    where = min(where, len(data) - len(junk))
    data[where:where + len(junk)] = junk
    _read_and_check(bytes(data), suffix)


@FUZZ
@given(suffix=SUFFIXES, flips=st.lists(st.integers(0, 10**9), min_size=1, max_size=8))
def test_random_bit_flips(suffix, flips):
    data = bytearray(GOOD[suffix])
    for f in flips:
        data[f % len(data)] ^= 1 << (f % 8)
    _read_and_check(bytes(data), suffix)


EDF_FIELDS = {  # (offset, width) of fixed header fields, and signal-header fields of signal 0
    "n_records": (236, 8), "record_s": (244, 8), "n_signals": (252, 4), "header_bytes": (184, 8),
    "start_date": (168, 8), "start_time": (176, 8),
}
ODD_VALUES = st.sampled_from([b"-1", b"0", b"99999999", b"nan", b"inf", b"-inf", b"1e308",
                              b"-5", b"abc", b"", b"0.0000001", b"3.5"])


@FUZZ
@given(suffix=st.sampled_from([".edf", ".bdf"]), field=st.sampled_from(sorted(EDF_FIELDS)),
       value=ODD_VALUES)
def test_absurd_fixed_header_fields(suffix, field, value):
    off, width = EDF_FIELDS[field]
    data = bytearray(GOOD[suffix])
    data[off:off + width] = value.ljust(width)[:width]
    _read_and_check(bytes(data), suffix)


@FUZZ
@given(suffix=st.sampled_from([".edf", ".bdf"]),
       field=st.sampled_from(["pmin", "pmax", "dmin", "dmax", "samples"]),
       signal=st.integers(0, 3), value=ODD_VALUES)
def test_absurd_signal_header_fields(suffix, field, signal, value):
    ns = 4  # pfm, abdominal, pressure, annotations
    base = 256 + ns * (16 + 80 + 8)
    offsets = {"pmin": base, "pmax": base + 8 * ns, "dmin": base + 16 * ns,
               "dmax": base + 24 * ns, "samples": base + 32 * ns + 80 * ns}
    off = offsets[field] + 8 * signal
    data = bytearray(GOOD[suffix])
    data[off:off + 8] = value.ljust(8)[:8]
    _read_and_check(bytes(data), suffix)


def test_huge_declared_size_is_refused_before_allocating():
    data = bytearray(GOOD[".edf"])
    data[236:244] = b"99999999"
    with pytest.raises(FormatError, match="too (large|long)"):
        read_signal_file(_write(bytes(data), ".edf"))


def test_nan_calibration_is_refused():
    data = bytearray(GOOD[".edf"])
    off = 256 + 4 * (16 + 80 + 8)
    data[off:off + 8] = b"nan     "
    with pytest.raises(FormatError):
        read_signal_file(_write(bytes(data), ".edf"))


def test_journal_with_unknown_stream_or_bad_block_is_refused():
    ss = _SS
    head = bfrec.MAGIC + bfrec.encode_json(bfrec.HEADER, bfrec.header_payload(ss.streams))
    with pytest.raises(FormatError, match="unknown channel"):
        read_signal_file(_write(head + bfrec.encode_block(7, 0, 0, np.zeros((4, 2))), ".bfrec"))
    with pytest.raises(FormatError, match="size mismatch"):
        read_signal_file(_write(head + bfrec.encode_block(0, 0, 0, np.zeros((4, 3))), ".bfrec"))


def test_journal_nan_samples_become_annotated_gaps():
    ss = _SS
    data = ss.data["emg"][:400].copy()
    data[100:150] = np.nan
    raw = (bfrec.MAGIC + bfrec.encode_json(bfrec.HEADER, bfrec.header_payload(ss.streams))
           + bfrec.encode_block(0, 0, 0, data) + bfrec.encode_block(0, 800, 0, data[:40]))
    back = read_signal_file(_write(raw, ".bfrec"))
    assert np.isfinite(back.data["emg"]).all()
    gaps = [(a.onset_s, a.duration_s) for a in back.annotations if a.text == "gap:emg"]
    assert gaps == [(0.05, 0.025), (0.2, 0.2)]


def _write(data: bytes, suffix: str) -> Path:
    path = _DIR / f"fixed{suffix}"
    path.write_bytes(data)
    return path


@FUZZ
@given(row=st.integers(1, 3999), col=st.integers(0, 3),
       cell=st.sampled_from(["nan", "inf", "", "x", "1e999", "-0.0005", "0,5"]))
def test_csv_with_bad_cells_or_time_going_backwards(row, col, cell):
    lines = GOOD[".csv"].decode().splitlines()
    cells = lines[row].split(",")
    cells[col] = cell
    lines[row] = ",".join(cells)
    _read_and_check("\n".join(lines).encode(), ".csv")


def test_csv_unknown_channel_and_non_monotonic_time_are_named():
    lines = GOOD[".csv"].decode().splitlines()
    bad_head = "\n".join([lines[0].replace("pressure_cmh2o", "presure_cmhg"), *lines[1:]])
    with pytest.raises(FormatError, match="unknown column"):
        read_signal_file(_write(bad_head.encode(), ".csv"))
    rows = lines[1:]
    rows[10], rows[11] = rows[11], rows[10]
    with pytest.raises(FormatError, match="not increasing"):
        read_signal_file(_write("\n".join([lines[0], *rows]).encode(), ".csv"))
