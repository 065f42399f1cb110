"""The chunked readers return exactly what the whole-file readers return, on real files."""

from __future__ import annotations

import datetime
from pathlib import Path

import edfio
import numpy as np
import pytest

from biofeedback.formats.edf_reader import EdfReader
from biofeedback.formats.errors import FormatError
from biofeedback.formats.signal_file import open_signal_file, read_signal_file, write_signal_file
from biofeedback.streams import Annotation, ChannelInfo, ChannelKind, SignalSet, StreamInfo

CHUNKS = (1, 7, 333, 1999, 2000, 2001, 4096, 10**7)


def _signals(seconds: float = 4.3, seed: int = 3) -> SignalSet:
    rng = np.random.default_rng(seed)
    n_emg, n_p = int(seconds * 2000), int(round(seconds * 100))
    emg = np.column_stack([rng.normal(0, 3, n_emg), rng.normal(0, 30, n_emg)])
    k = min(400, n_emg - n_emg // 2)
    emg[n_emg // 2:n_emg // 2 + k, 0] += 250 * np.hanning(k)  # a contraction
    pressure = (20 + np.cumsum(rng.normal(0, 0.1, n_p)))[:, None]
    streams = (
        StreamInfo("emg", 2000.0, (ChannelInfo("pfm", ChannelKind.EMG, "uV", "Pelvic floor EMG"),
                                   ChannelInfo("abdominal", ChannelKind.EMG, "uV", "Abdominal"))),
        StreamInfo("pressure", 100.0, (ChannelInfo("pressure", ChannelKind.PRESSURE, "cmH2O",
                                                   "Vaginal pressure"),)),
    )
    annotations = [Annotation(0.25, 0.0, "rating:pain=2"), Annotation(1.5, 2.0, "protocol:squeeze"),
                   Annotation(3.999, 0.0, "marker:3:pain"), Annotation(4.2, 0.1, "contraction")]
    return SignalSet(streams, {"emg": emg, "pressure": pressure}, annotations,
                     datetime.datetime(2026, 3, 4, 10, 11, 12), "PFT-042",
                     {"source": {"name": "test", "kind": "simulated", "serial": "S1"}})


def _assert_same(reader, whole: SignalSet) -> None:
    assert reader.streams == whole.streams
    assert reader.annotations == whole.annotations
    assert reader.start_time == whole.start_time
    assert reader.patient_code == whole.patient_code
    assert reader.metadata == whole.metadata
    assert reader.duration_s == whole.duration_s
    for s in whole.streams:
        ref = whole.data[s.name]
        assert reader.n_samples(s.name) == len(ref)
        for chunk in CHUNKS:
            got = np.concatenate(list(reader.chunks(s.name, chunk)) or [ref[:0]])
            assert got.dtype == ref.dtype and got.shape == ref.shape
            assert np.array_equal(got, ref), (s.name, chunk)  # exact, not close


@pytest.mark.parametrize("suffix", [".bdf", ".edf"])
@pytest.mark.parametrize("seconds", [4.3, 1.0, 0.0125, 7.99])
def test_chunked_edf_bdf_equal_the_whole_file_reader(tmp_path: Path, suffix: str,
                                                       seconds: float) -> None:
    path = write_signal_file(_signals(seconds), tmp_path / f"rec{suffix}",
                             settings={"band_hz": [20, 450]})
    whole = read_signal_file(path)
    with open_signal_file(path) as reader:
        assert isinstance(reader, EdfReader)  # really the chunked path, not a fallback
        _assert_same(reader, whole)


@pytest.mark.parametrize("suffix", [".bdf", ".edf"])
def test_random_access_reads_any_row_range(tmp_path: Path, suffix: str) -> None:
    path = write_signal_file(_signals(6.7), tmp_path / f"rec{suffix}")
    whole = read_signal_file(path)
    rng = np.random.default_rng(0)
    with open_signal_file(path) as reader:
        for _ in range(200):
            s = whole.streams[int(rng.integers(2))]
            n = len(whole.data[s.name])
            a = int(rng.integers(0, n))
            b = int(rng.integers(a, n + 50))
            assert np.array_equal(reader.read(s.name, a, b), whole.data[s.name][a:b])


def test_foreign_edf_plus_with_annotations_and_odd_record_size(tmp_path: Path) -> None:
    """A file another tool wrote: no metadata, 0.5-s records, 3 rates, EDF+ TAL channel."""
    rng = np.random.default_rng(1)
    sigs = [edfio.EdfSignal(rng.normal(0, 50, 5 * 512), 512, label="EMG chin",
                            physical_dimension="uV", physical_range=(-500, 500)),
            edfio.EdfSignal(rng.normal(0, 10, 5 * 64), 64, label="Resp",
                            physical_dimension="mV", physical_range=(-100, 100)),
            edfio.EdfSignal(rng.normal(0, 1, 5 * 2), 2, label="Pres balloon",
                            physical_dimension="cmH2O", physical_range=(-10, 10))]
    anns = [edfio.EdfAnnotation(0.1, None, "start"), edfio.EdfAnnotation(2.25, 1.5, "apnea"),
            edfio.EdfAnnotation(4.75, None, "end")]
    edf = edfio.Edf(sigs, annotations=anns, data_record_duration=0.5)
    path = tmp_path / "foreign.edf"
    edf.write(path)
    whole = read_signal_file(path)
    assert [a.text for a in whole.annotations] == ["start", "apnea", "end"]
    with open_signal_file(path) as reader:
        assert isinstance(reader, EdfReader)
        _assert_same(reader, whole)


def test_plain_bdf_without_annotation_signal(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    sig = edfio.BdfSignal(rng.normal(0, 1e3, 3 * 256), 256, label="EMG x",
                          physical_dimension="uV", physical_range=(-8000, 8000))
    bdf = edfio.Bdf([sig])
    path = tmp_path / "plain.bdf"
    bdf.write(path)
    assert b"BDF Annotations" not in path.read_bytes()  # plain BDF: no TAL signal at all
    whole = read_signal_file(path)
    with open_signal_file(path) as reader:
        _assert_same(reader, whole)


def test_broken_files_give_the_whole_file_readers_message(tmp_path: Path) -> None:
    path = write_signal_file(_signals(3.0), tmp_path / "rec.bdf")
    raw = bytearray(path.read_bytes())
    bad = tmp_path / "cut.bdf"
    bad.write_bytes(bytes(raw[:-100]))
    with pytest.raises(FormatError) as whole_exc:
        read_signal_file(bad)
    with pytest.raises(FormatError) as chunk_exc:
        open_signal_file(bad)
    assert str(chunk_exc.value) == str(whole_exc.value)


def _csv_text(n: int, fs: float = 2000.0, t0: float = 0.0) -> str:
    rng = np.random.default_rng(n)
    rows = ["time_s,emg_pfm_uv,emg_abdominal_uv,pressure_cmh2o"]
    for i in range(n):
        rows.append(f"{t0 + i / fs:.6f},{rng.normal(0, 3):.6f},{rng.normal(0, 30):.6f},"
                    f"{20 + i * 1e-3:.6f}")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("block", [64, 1000, 4096, 2 << 20])
def test_chunked_csv_equals_the_whole_file_reader(tmp_path: Path, monkeypatch, block: int
                                                  ) -> None:
    from biofeedback.formats import csv_reader

    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", block)  # many blocks, odd boundaries
    written = write_signal_file(_signals(2.3), tmp_path / "rec.csv")
    hand = tmp_path / "hand.csv"
    hand.write_text("# exported by hand\n\n" + _csv_text(3001, t0=12.5).replace("\n", "\r\n"),
                    encoding="utf-8-sig")
    for path in (written, hand):
        whole = read_signal_file(path)
        with open_signal_file(path) as reader:
            assert isinstance(reader, csv_reader.CsvReader)
            _assert_same(reader, whole)


@pytest.mark.parametrize("text", [
    "time_s,emg_uv\n0,1\n0.001,2\n0.002,x\n",
    "time_s,emg_uv\n0,1\n0.001,2\n0.0025,3\n0.0035,3\n",
    "time_s,emg_uv\n0,1\n0.001,2\n0.001,3\n",
    "time_s,emg_uv\n0,1\n0.001,nan\n",
    "time_s,emg_uv\n",
    "# only\n# comments\n",
    "emg_uv,emg_uv\n1\n",
    "time_s,emg_uv\n0,1\n0.001,2,3\n",
    "time_s,emg_uv\r0,1\r0.001,2\r",
])
def test_broken_csv_gives_the_whole_file_readers_message(tmp_path: Path, monkeypatch,
                                                         text: str) -> None:
    from biofeedback.formats import csv_reader

    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 16)
    path = tmp_path / "bad.csv"
    path.write_text(text)
    try:
        whole = read_signal_file(path)
    except FormatError as exc:
        with pytest.raises(FormatError) as chunk_exc:
            open_signal_file(path)
        assert str(chunk_exc.value) == str(exc)
    else:
        with open_signal_file(path) as reader:
            _assert_same(reader, whole)


@pytest.mark.parametrize("src_suffix", [".bdf", ".edf", ".csv"])
@pytest.mark.parametrize("dst_suffix", [".bdf", ".edf", ".csv"])
@pytest.mark.parametrize("seconds", [4.3, 0.0125])
def test_streamed_convert_writes_the_same_bytes_as_the_whole_file_writers(
        tmp_path: Path, monkeypatch, src_suffix: str, dst_suffix: str, seconds: float) -> None:
    from biofeedback.formats import edf_writer, stream_write

    monkeypatch.setattr(edf_writer, "RECORDS_PER_WRITE", 3)  # several writes, a short last one
    monkeypatch.setattr(stream_write, "CSV_ROWS", 777)
    src = write_signal_file(_signals(seconds), tmp_path / f"in{src_suffix}",
                            settings={"band_hz": [20, 450]})
    whole = read_signal_file(src)
    ref = write_signal_file(whole, tmp_path / f"whole{dst_suffix}",
                            settings=whole.metadata.get("settings"))
    with open_signal_file(src) as reader:
        out = stream_write.write_from_reader(reader, tmp_path / f"streamed{dst_suffix}",
                                             settings=reader.metadata.get("settings"))
    assert out.read_bytes() == ref.read_bytes()
    if dst_suffix != ".csv":  # and edfio itself reads it as it reads the reference
        a, b = edfio.read_bdf(out) if dst_suffix == ".bdf" else edfio.read_edf(out), \
            edfio.read_bdf(ref) if dst_suffix == ".bdf" else edfio.read_edf(ref)
        assert [s.label for s in a.signals] == [s.label for s in b.signals]
        assert all(np.array_equal(x.data, y.data) for x, y in zip(a.signals, b.signals,
                                                                  strict=True))
        assert a.annotations == b.annotations
    else:
        side = tmp_path / "streamed.annotations.csv"
        assert side.read_bytes() == (tmp_path / "whole.annotations.csv").read_bytes()


def _journal(tmp_path: Path, *, torn: bool = False) -> Path:
    """A journal with everything the reader must get right: device gaps, NaN rows, a block
    written twice (the later copy wins), blocks out of order, annotations, settings, a torn
    tail."""
    from biofeedback.formats import bfrec

    ss = _signals(3.0)
    emg, p = ss.data["emg"].copy(), ss.data["pressure"]
    emg[1234:1240, 1] = np.nan
    parts = [bfrec.MAGIC, bfrec.encode_json(bfrec.HEADER, bfrec.header_payload(
        ss.streams, patient_code="P7", start_time="2026-03-04T10:11:12",
        settings={"band_hz": [20, 450]}, source={"name": "sim", "kind": "simulated"}))]
    for k in [*range(0, 2000, 40), *range(2400, 6000, 40)]:  # a 0.2-s gap at 1.0 s
        parts.append(bfrec.encode_block(0, k, 0, emg[k:k + 40]))
        if k % 400 == 0:
            parts.append(bfrec.encode_block(1, k // 20, 0, p[k // 20:k // 20 + 20]))
    parts.append(bfrec.encode_block(0, 3000, 0, emg[3000:3040] + 1.0))  # written again
    parts.append(bfrec.encode_block(0, 1000, 0, np.full((40, 2), np.nan)))  # NaN over good
    parts.append(bfrec.encode_json(bfrec.ANNOTATION, {"onset": 0.5, "duration": 0,
                                                      "text": "marker:1:x"}))
    parts.append(bfrec.encode_json(bfrec.SETTINGS, {"band_hz": [10, 400]}))
    if torn:
        parts.append(bfrec.encode_block(0, 6000, 0, emg[:40])[:-7])
    else:
        parts.append(bfrec.encode_json(bfrec.END, {"reason": "stopped"}))
    path = tmp_path / "rec.bfrec"
    path.write_bytes(b"".join(parts))
    return path


@pytest.mark.parametrize("torn", [False, True])
def test_chunked_journal_equals_the_whole_file_reader(tmp_path: Path, monkeypatch,
                                                      torn: bool) -> None:
    from biofeedback.formats import bfrec_reader

    monkeypatch.setattr(bfrec_reader, "RELEASE_BYTES", 4096)  # give pages back while scanning
    path = _journal(tmp_path, torn=torn)
    whole = read_signal_file(path)
    assert any(a.text == "gap:emg" for a in whole.annotations)
    with open_signal_file(path) as reader:
        assert isinstance(reader, bfrec_reader.JournalReader)
        _assert_same(reader, whole)
