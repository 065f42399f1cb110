"""Hostile signal files, by class, against the readers and writers (issue 15).

Every broken input must give exactly one :class:`FormatError` whose text is one line
``FILE: problem`` without library text, before anything large is allocated. Classes:
truncation at every structural offset, every EDF/BDF header field set to empty, negative, NaN,
huge or text, metadata with wrong types and duplicates, CSV with pathological lines and rates,
special files. Each numbered defect of the issue has a ``test_defect_N_...`` regression test.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biofeedback.formats import bfrec, edf
from biofeedback.formats.edf import read_edf, write_edf
from biofeedback.formats.errors import FormatError, user_message
from biofeedback.formats.limits import MAX_RATE_HZ
from biofeedback.formats.signal_file import (
    open_signal_file,
    read_signal_file,
    write_signal_file,
)
from biofeedback.streams import Annotation, ChannelInfo, ChannelKind, SignalSet, StreamInfo

_DIR = Path(tempfile.mkdtemp(prefix="bf-hostile-"))
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
LIBRARY_TEXT = re.compile(r"broadcast|dimension|Traceback|Errno|object has no attribute|"
                          r"not subscriptable|unhashable|NoneType|codec|\d{40}")


def _signals(seconds: float = 2.0) -> SignalSet:
    rng = np.random.default_rng(1)
    emg = StreamInfo("emg", 200.0, (ChannelInfo("pfm", ChannelKind.EMG, "uV", "Pelvic floor EMG"),
                                    ChannelInfo("abdominal", ChannelKind.EMG, "uV")))
    pres = StreamInfo("pressure", 10.0, (ChannelInfo("pressure", ChannelKind.PRESSURE, "cmH2O"),))
    n = int(seconds * 200)
    return SignalSet((emg, pres), {"emg": rng.normal(0, 5, (n, 2)),
                                   "pressure": rng.normal(20, 1, (n // 20, 1))},
                     [Annotation(0.5, 0.0, "marker:1:x")], patient_code="P1")


SS = _signals()
GOOD_BDF = write_edf(SS, _DIR / "good.bdf").read_bytes()
GOOD_EDF = write_edf(SS, _DIR / "good.edf").read_bytes()
NS = 4  # pfm, abdominal, pressure, annotations


def _write(data: bytes, name: str) -> Path:
    path = _DIR / name
    path.write_bytes(data)
    return path


def refused(path: Path, match: str = "") -> str:
    """Reading ``path`` must fail with one clean line naming it; returns the problem."""
    with pytest.raises(FormatError) as info:
        read_signal_file(path)
    text = str(info.value)
    assert text.startswith(f"{path}: "), text
    assert "\n" not in text and len(text) < 500, text
    assert not LIBRARY_TEXT.search(text), text
    assert info.value.path == str(path)
    assert user_message(info.value) == text
    if match:
        assert re.search(match, text), text
    with pytest.raises(FormatError) as chunked:  # the chunked readers say the same
        open_signal_file(path)
    assert str(chunked.value) == text
    return text


def _journal(header: dict[str, Any] | None = None, extra: list[bytes] | None = None) -> bytes:
    head = header or bfrec.header_payload(SS.streams, patient_code="P1")
    parts = [bfrec.MAGIC, bfrec.encode_record(bfrec.HEADER, json.dumps(head).encode())]
    parts.append(bfrec.encode_block(0, 0, 0, SS.data["emg"][:100]))
    parts.append(bfrec.encode_block(1, 0, 0, SS.data["pressure"][:5]))
    return b"".join(parts + (extra or []))


# -- truncation at every structural offset ---------------------------------------------------
def _structural_offsets(data: bytes, record_bytes: int) -> list[int]:
    header = 256 * (NS + 1)
    cuts = {0, 1, 7, 8, 184, 236, 244, 252, 255, 256, header - 1, header, header + 1}
    cuts |= {256 + 256 * i // NS for i in range(NS)}
    cuts |= {header + k * record_bytes + d for k in range(len(data) // record_bytes + 1)
             for d in (-1, 0, 1)}
    return sorted(c for c in cuts if 0 <= c < len(data))


@pytest.mark.parametrize("good,name", [(GOOD_BDF, "cut.bdf"), (GOOD_EDF, "cut.edf")])
def test_edf_bdf_truncated_at_every_structural_offset(good, name):
    n_records = int(good[236:244])
    record_bytes = (len(good) - 256 * (NS + 1)) // n_records
    for cut in _structural_offsets(good, record_bytes):
        refused(_write(good[:cut], name))


def test_journal_truncated_at_every_record_boundary_keeps_what_is_whole():
    data = _journal()
    recs = [r for r in bfrec.iter_records(data) if not isinstance(r, str)]
    ends = [r.offset + 7 + len(r.payload) + 4 for r in recs]
    cuts = {0, 4, len(bfrec.MAGIC)} | {r.offset + d for r in recs for d in (0, 1, 7)} | set(ends)
    for cut in sorted(c for c in cuts if c <= len(data)):
        path = _write(data[:cut], "cut.bfrec")
        if cut < ends[0]:  # no complete header record
            refused(path)
        else:
            ss = read_signal_file(path)
            whole = max(e for e in ends if e <= cut)
            assert ss.metadata["journal"]["dropped_bytes"] == cut - whole


# -- every header field x every kind of bad value ----------------------------------------------
BAD_VALUES = {"empty": b"", "negative": b"-5", "nan": b"nan", "inf": b"inf", "huge": b"99999999",
              "huge-float": b"1e308", "text": b"abc", "tiny": b"1e-300", "zero": b"0"}
FIXED = {"header size": (184, 8), "number of data records": (236, 8),
         "data record duration": (244, 8), "number of signals": (252, 4)}
SIGNAL_FIELDS = {"physical minimum": 16 + 80 + 8, "physical maximum": 16 + 80 + 16,
                 "digital minimum": 16 + 80 + 24, "digital maximum": 16 + 80 + 32,
                 "samples per record": 16 + 80 + 40 + 80}


def _set_fixed(good: bytes, field: str, value: bytes) -> bytes:
    off, width = FIXED[field]
    data = bytearray(good)
    data[off:off + width] = value.ljust(width)[:width]
    return bytes(data)


def _set_signal(good: bytes, field: str, signal: int, value: bytes) -> bytes:
    base = 256 + NS * SIGNAL_FIELDS[field] + 8 * signal
    data = bytearray(good)
    data[base:base + 8] = value.ljust(8)[:8]
    return bytes(data)


@pytest.mark.parametrize("field", sorted(FIXED))
@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
def test_every_fixed_header_field_with_every_bad_value(field, kind):
    value = BAD_VALUES[kind]
    for good, name in ((GOOD_BDF, "f.bdf"), (GOOD_EDF, "f.edf")):
        data = _set_fixed(good, field, value)
        if data == good:
            continue
        path = _write(data, name)
        try:
            ss = read_signal_file(path)
        except FormatError:
            refused(path)
            continue
        # the only bad values a reader may accept are those that are still consistent
        assert field == "data record duration" and ss.data["emg"].shape == SS.data["emg"].shape


@pytest.mark.parametrize("field", sorted(SIGNAL_FIELDS))
@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
def test_every_signal_header_field_with_every_bad_value(field, kind):
    for good, name in ((GOOD_BDF, "s.bdf"), (GOOD_EDF, "s.edf")):
        for signal in range(NS):
            data = _set_signal(good, field, signal, BAD_VALUES[kind])
            path = _write(data, name)
            try:
                ss = read_signal_file(path)
            except FormatError:
                refused(path)
                continue
            for arr in ss.data.values():  # accepted: only a value still within the rules
                assert np.isfinite(arr).all()


def test_defect_5_bdf_digital_maximum_outside_24_bits_is_refused():
    path = _write(_set_signal(GOOD_BDF, "digital maximum", 0, b"9000000"), "dmax.bdf")
    refused(path, r"digital maximum 9000000 is outside BDF's 24-bit range")
    path = _write(_set_signal(GOOD_EDF, "digital minimum", 1, b"-40000"), "dmin.edf")
    refused(path, r"outside EDF's 16-bit range")


@pytest.mark.parametrize("value,words", [(b"-1", "not a positive number"),
                                         (b"nan", "not a finite number"),
                                         (b"1e-300", "not a positive number|sample rate"),
                                         (b"99999999", "longer than|too long"),
                                         (b"0", "not a positive number"),
                                         (b"2", "start times do not follow")])
def test_defect_14_record_duration_errors_say_what_is_wrong(value, words):
    problem = refused(_write(_set_fixed(GOOD_BDF, "data record duration", value), "rd.bdf"))
    assert "EDF+D" not in problem.split("(")[0] or value == b"2"
    assert re.search(words, problem), problem


# -- metadata with wrong types and duplicates ----------------------------------------------------
def _meta_file(monkeypatch: pytest.MonkeyPatch, mutate: Any, name: str = "meta.bdf") -> Path:
    real = edf._metadata

    def fake(signals: SignalSet, counts: Any, settings_: Any) -> dict[str, Any]:
        meta = json.loads(json.dumps(real(signals, counts, settings_)))
        mutate(meta)
        return meta

    monkeypatch.setattr(edf, "_metadata", fake)
    path = _DIR / name
    path.unlink(missing_ok=True)
    try:
        write_edf(SS, path)
    finally:
        monkeypatch.setattr(edf, "_metadata", real)
    return path


WRONG = [None, 5, -1, 1.5, True, "", "x" * 300, [], {}, [1], "nan", 1e308, "\x00"]
META_FIELDS = [("stream", "name"), ("stream", "fs"), ("stream", "n"), ("stream", "channels"),
               ("channel", "name"), ("channel", "kind"), ("channel", "unit"),
               ("channel", "physical_min"), ("top", "source"), ("top", "settings"),
               ("top", "streams")]


@FUZZ
@given(field=st.sampled_from(META_FIELDS), value=st.sampled_from(WRONG),
       stream=st.integers(0, 1))
def test_metadata_fields_with_wrong_types(monkeypatch, field, value, stream):
    where, key = field

    def mutate(meta: dict[str, Any]) -> None:
        target = {"top": meta, "stream": meta["streams"][stream],
                  "channel": meta["streams"][stream]["channels"][0]}[where]
        target[key] = value

    path = _meta_file(monkeypatch, mutate)
    try:
        ss = read_signal_file(path)
    except FormatError:
        refused(path)
        return
    for s in ss.streams:  # accepted: types are right and data are whole
        assert isinstance(s.name, str) and isinstance(s.fs, float)
        assert all(isinstance(c.name, str) for c in s.channels)


def test_defect_4_integer_or_null_names_are_refused(monkeypatch):
    for value in (5, None):
        path = _meta_file(monkeypatch, lambda m, v=value: m["streams"][0].update(name=v))
        refused(path, "'name'")
        path = _meta_file(monkeypatch,
                          lambda m, v=value: m["streams"][1]["channels"][0].update(name=v))
        refused(path, "'name'")
    head = bfrec.header_payload(SS.streams)
    head["streams"][0]["name"] = 7
    refused(_write(_journal(head), "intname.bfrec"), "'name' must be text")
    head["streams"][0]["name"] = None
    refused(_write(_journal(head), "nullname.bfrec"), "'name' is missing")


def test_defect_5_duplicate_stream_names_and_negative_counts_are_refused(monkeypatch):
    path = _meta_file(monkeypatch, lambda m: m["streams"][1].update(name="emg"))
    refused(path, "two streams are named 'emg'")
    path = _meta_file(monkeypatch, lambda m: m["streams"][0].update(n=-1500))
    refused(path, "sample count 'n' -1500")
    head = bfrec.header_payload(SS.streams)
    head["streams"][1]["name"] = "emg"
    refused(_write(_journal(head), "dup.bfrec"), "two streams are named 'emg'")


@pytest.mark.parametrize("fs", [float("inf"), 1e9, 1e-300, 0, -1, "2000", None, True])
def test_defect_11_journal_rates_that_the_window_cannot_play_are_refused(fs):
    head = bfrec.header_payload(SS.streams)
    head["streams"][0]["fs"] = fs
    raw = json.dumps(head).replace("Infinity", "1e999").encode()  # inf is not JSON
    data = _journal()
    start = data.index(bfrec.SYNC)
    end = data.index(bfrec.SYNC, start + 1)
    problem = refused(_write(bfrec.MAGIC + bfrec.encode_record(bfrec.HEADER, raw)
                             + data[end:], "rate.bfrec"))
    assert "sample rate" in problem and "Maximum allowed" not in problem


# -- annotations: one rule on read and write -------------------------------------------------------
@pytest.mark.parametrize("onset,duration", [(float("nan"), 0.0), (float("inf"), 0.0),
                                            (0.5, -1e308), (0.5, -1.0), (1e300, 0.0),
                                            (0.5, float("nan"))])
def test_defect_13_non_finite_annotations_refused_on_read_and_write(onset, duration):
    payload = json.dumps({"onset": onset, "duration": duration, "text": "x"}).encode()
    path = _write(_journal(extra=[bfrec.encode_record(bfrec.ANNOTATION, payload)]), "ann.bfrec")
    problem = refused(path, "annotation")
    assert "cannot convert" not in problem
    bad = SignalSet(SS.streams, SS.data, [Annotation(onset, duration, "x")])
    for suffix in (".bdf", ".edf", ".csv"):
        out = _DIR / f"ann-out{suffix}"
        out.unlink(missing_ok=True)
        with pytest.raises(FormatError, match="annotation 1"):
            write_signal_file(bad, out)
        assert not out.exists()


# -- CSV: pathological lines and rates ---------------------------------------------------------
def _csv(text: str, name: str = "p.csv") -> Path:
    return _write(text.encode(), name)


def test_defect_1_a_nanosecond_time_step_is_refused_before_allocating():
    rows = "\n".join(f"{i * 1e-9:.9f},{i % 7}" for i in range(5000))
    problem = refused(_csv("time_s,emg_uv\n" + rows), "sample rate")
    assert f"{MAX_RATE_HZ:g}" in problem


def test_defect_3_a_header_line_longer_than_the_csv_module_allows():
    refused(_csv("time_s," + "x" * 140_000 + "\n0,1\n"), "characters long")
    refused(_csv('time_s,"emg_uv\n0,1\n' + "1" * 200_000), "characters long")


@pytest.mark.parametrize("text,match", [
    ("time_s,emg_uv\n0,1\n1e308,2\n", "sample rate|irregular|too long"),
    ("time_s,emg_uv\n0,1\n1e-300,2\n", "sample rate"),
    ("time_s,emg_uv\n1e300,1\n2e300,2\n", "sample rate|limit"),
    ("time_s,emg_uv\n0,1\n0,2\n", "not increasing"),
    ("emg_uv\n1\n2\n", "sample rate"),
    ('time_s,emg_uv\n0,"1\n', "number|quoted|values"),
    ("time_s,emg_uv\n0,1\x002\n", "number|values"),
    ("\ufefftime_s,emg_uv\n0,1\n", "one sample"),
    ("time_s,emg_uv\n" + "0,1," * 1000 + "\n", "values|columns"),
    ("a," * 2000 + "\n", "columns|column"),
    ("time_s,emg_uv\n0,1\n0.001,1e999\n", "finite"),
    ("\n\n#only\n", "empty"),
])
def test_pathological_csv_lines(text, match):
    refused(_csv(text), match)


# -- special files -----------------------------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="POSIX special files")
@pytest.mark.parametrize("name", ["p.bdf", "p.csv", "p.bfrec"])
def test_defect_2_fifos_devices_and_folders_are_refused_without_opening(tmp_path, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    refused(fifo, "pipe")  # opening it would block for ever
    link = tmp_path / f"zero-{name}"
    link.symlink_to("/dev/zero")
    refused(link, "device")
    folder = tmp_path / f"dir-{name}"
    folder.mkdir()
    refused(folder, "folder")
    refused(tmp_path / f"missing-{name}", "no such file")


def test_sparse_huge_csv_is_refused_by_size(tmp_path):
    path = tmp_path / "sparse.csv"
    with path.open("wb") as f:
        f.write(b"time_s,emg_uv\n")
        f.truncate(2 * 1024**3)
    refused(path, "too large")


# -- property: any JSON value in any journal annotation field ----------------------------------
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                           lambda kids: st.lists(kids, max_size=3)
                           | st.dictionaries(st.text(max_size=3), kids, max_size=3), max_leaves=6)


@FUZZ
@given(key=st.sampled_from(["onset", "duration", "text"]), value=JSON_VALUES)
def test_journal_annotations_with_any_json_value(key, value):
    ann = {"onset": 0.1, "duration": 0.0, "text": "x", key: value}
    payload = json.dumps(ann).encode()
    path = _write(_journal(extra=[bfrec.encode_record(bfrec.ANNOTATION, payload)]), "any.bfrec")
    try:
        ss = read_signal_file(path)
    except FormatError:
        refused(path)
        return
    a = ss.annotations[-1] if ss.annotations else None
    assert a is not None and isinstance(a.text, str)
    assert np.isfinite([a.onset_s, a.duration_s]).all() and a.duration_s >= 0


def test_good_files_still_read_exactly():
    back = read_edf(_write(GOOD_BDF, "ok.bdf"))
    assert [s.name for s in back.streams] == ["emg", "pressure"]
    assert back.data["emg"].shape == SS.data["emg"].shape
