"""The fast journal scan and reads (a window of the file at a time, numpy over the blocks)
give what the record-by-record whole-journal path gives: the same rows, gaps, ranges, errors
and bytes in the written file, whatever the window and span sizes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from test_storage.test_recovery_streamed import HEADER, INFO, JOURNALS, _random, _whole_convert

from biofeedback.formats import bfrec, bfrec_index, bfrec_reader
from biofeedback.formats.bfrec_reader import JournalReader
from biofeedback.formats.edf_writer import _ranges
from biofeedback.formats.errors import FormatError
from biofeedback.formats.reader import MemoryReader
from biofeedback.storage.recovery import convert_journal

TINY = {"RELEASE_BYTES": 64, "SPAN_BYTES": 256, "SPAN_GAP": 64}  # every path taken often


def _tiny(monkeypatch) -> None:
    for name, value in TINY.items():
        monkeypatch.setattr(bfrec_reader, name, value)


def _whole_error(path: Path) -> str | None:
    try:
        bfrec.read_bfrec(path)
    except FormatError as exc:
        return str(exc)
    return None


def _same_as_whole(path: Path) -> None:
    """Rows of every stream (whole, and in odd pieces), annotations and journal facts."""
    whole = bfrec.read_bfrec(path)
    with JournalReader(path) as reader:
        assert reader.annotations == whole.annotations
        assert reader.metadata == whole.metadata
        for name, rows in whole.data.items():
            assert np.array_equal(reader.read(name, 0, len(rows)), rows), name
            pieces = [reader.read(name, a, a + 7) for a in range(0, len(rows), 7)]
            assert np.array_equal(np.concatenate([rows[:0], *pieces]), rows), name


@pytest.mark.parametrize("tiny", [False, True])
def test_windows_and_spans_of_any_size_read_what_the_whole_reader_reads(tmp_path, monkeypatch,
                                                                        tiny):
    if tiny:
        _tiny(monkeypatch)
    for kind, make in JOURNALS.items():
        _same_as_whole(make(tmp_path / f"{kind}.bfrec"))
    for seed in range(12):
        _same_as_whole(_random(tmp_path / f"r{seed}.bfrec", seed))


def test_tiny_windows_write_the_whole_journal_paths_bytes(tmp_path, monkeypatch):
    _tiny(monkeypatch)
    for kind in ("normal", "gaps", "torn"):
        journal = JOURNALS[kind](tmp_path / f"{kind}.bfrec")
        new = convert_journal(journal, tmp_path / f"{kind}-new.bdf")
        old = _whole_convert(journal, tmp_path / f"{kind}-old.bdf", [])
        assert new.read_bytes() == old.read_bytes(), kind


def _records(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return [data[r.offset:r.offset + bfrec._HEAD.size + len(r.payload) + 4]
            for r in bfrec.iter_records(data) if not isinstance(r, str)]


# records with a good checksum that a journal must still refuse (or stop at)
BAD = {
    "unknown stream": bfrec.encode_block(5, 0, 0, np.zeros((4, 2))),
    "wrong channels": bfrec.encode_block(1, 0, 0, np.zeros((4, 2))),
    "short block": bfrec.encode_record(bfrec.BLOCK, b"\x00" * 11),
    "size mismatch": bfrec.encode_record(bfrec.BLOCK, bfrec.encode_block(
        0, 0, 0, np.zeros((4, 2)))[7:-4] + b"\x00" * 8),
    "second header": bfrec.encode_json(bfrec.HEADER, bfrec.header_payload(INFO.streams)),
    "bad annotation": bfrec.encode_json(bfrec.ANNOTATION, {"onset": -1, "text": "x"}),
    "damaged json": bfrec.encode_record(bfrec.SETTINGS, b"{not json"),
    "bad checksum": bfrec.encode_block(0, 0, 0, np.zeros((4, 2)))[:-1] + b"\x00",
    "bad sync": b"\x00" + bfrec.encode_block(0, 0, 0, np.zeros((4, 2)))[1:],
    "implausible length": bfrec.SYNC + b"B" + (1 << 30).to_bytes(4, "little") + b"\x00" * 8,
    "cut": bfrec.encode_block(0, 0, 0, np.zeros((4, 2)))[:-3],
    "far first index": bfrec.encode_block(0, 2**40, 0, np.zeros((4, 2))),
    "huge first index": bfrec.encode_block(0, 2**64 - 2, 0, np.zeros((4, 2))),
}


@pytest.mark.parametrize("tiny", [False, True])
@pytest.mark.parametrize("bad", BAD)
def test_refused_and_torn_records_give_the_whole_readers_message(tmp_path, monkeypatch, bad,
                                                                 tiny):
    if tiny:
        _tiny(monkeypatch)
    records = _records(JOURNALS["normal"](tmp_path / "n.bfrec"))
    for at in (1, 2, 7, len(records) // 2, len(records)):  # 1: right after the header
        for second in (b"", BAD["unknown stream"], BAD["bad annotation"]):
            path = tmp_path / "x.bfrec"
            path.write_bytes(bfrec.MAGIC + b"".join([*records[:at], BAD[bad], second,
                                                     *records[at:]]))
            problem = _whole_error(path)
            if problem is None:  # a torn tail: both keep what came before it
                _same_as_whole(path)
                continue
            with pytest.raises(FormatError) as got:
                JournalReader(path)
            assert str(got.value) == problem, (bad, at)


def test_a_journal_must_start_with_its_header(tmp_path):
    block = bfrec.encode_block(0, 0, 0, np.zeros((4, 2)))
    head = bfrec.encode_json(bfrec.HEADER, bfrec.header_payload(INFO.streams, **HEADER))
    for body in (block + head, BAD["bad annotation"] + head, b"", head[:-2]):
        path = tmp_path / "h.bfrec"
        path.write_bytes(bfrec.MAGIC + body)
        with pytest.raises(FormatError) as got:
            JournalReader(path)
        assert str(got.value) == _whole_error(path)


def test_the_scan_knows_the_ranges_the_writer_would_read(tmp_path):
    for kind, make in JOURNALS.items():
        path = make(tmp_path / f"{kind}.bfrec")
        whole = MemoryReader(bfrec.read_bfrec(path))
        with JournalReader(path) as reader:
            for s in reader.streams:
                known = reader.column_ranges(s.name)
                if known is None:  # blocks overlap: the writer reads them
                    assert kind == "gaps"
                    continue
                for got, want in zip(known, _ranges(whole, s.name, 1000), strict=True):
                    assert np.array_equal(got, want), (kind, s.name)


def test_blocks_are_checked_in_numpy_not_one_by_one(tmp_path, monkeypatch):
    """The per-block Python path costs ~20 us a block (7 s an hour): it must stay unused
    for blocks; only the few other records go through ``_apply``."""
    path = JOURNALS["normal"](tmp_path / "n.bfrec")
    kinds = []
    real = bfrec_index._apply

    def counting(path, result, rec):
        kinds.append(rec.kind)
        return real(path, result, rec)

    monkeypatch.setattr(bfrec_index, "_apply", counting)
    with JournalReader(path) as reader:
        assert reader.n_samples("emg") == 5000
    assert bfrec.BLOCK not in kinds and kinds.count(bfrec.ANNOTATION) == 2


def test_a_journal_that_shrinks_while_read_is_named(tmp_path):
    path = JOURNALS["normal"](tmp_path / "n.bfrec")
    copy = tmp_path / "c.bfrec"
    shutil.copy(path, copy)
    with JournalReader(copy) as reader:
        copy.write_bytes(path.read_bytes()[:2000])
        with pytest.raises(FormatError, match="changed while it was being read"):
            reader.read("emg", 0, 5000)
