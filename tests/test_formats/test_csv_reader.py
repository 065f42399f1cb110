"""The chunked CSV reader parses each block once when read in order, and files the open-time
scan cannot vouch for take the full validating pass with the same result as the whole file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biofeedback.formats import csv_parse, csv_reader
from biofeedback.formats.errors import FormatError
from biofeedback.formats.signal_file import open_signal_file, read_signal_file

HEADER = "time_s,emg_pfm_uv,emg_abdominal_uv,pressure_cmh2o"


def _rows(n: int, fs: float = 2000.0, fmt: str = "{:.6f}", jitter: float = 0.0) -> list[str]:
    rng = np.random.default_rng(n)
    t = np.arange(n) / fs + 3.0
    if jitter:
        t += (rng.random(n) - 0.5) * jitter / fs
    return [",".join(fmt.format(v) for v in (t[i], rng.normal(0, 3), rng.normal(0, 30),
                                             20 + i * 1e-3)) for i in range(n)]


def _write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_bytes((end.join(lines) + end).encode())
    return path


class _Counting:
    """Wraps a csv_parse function and counts its calls (the kernels themselves run)."""

    def __init__(self, fn) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


@pytest.fixture
def counted(monkeypatch) -> dict[str, _Counting]:
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 4096)
    calls = {name: _Counting(getattr(csv_parse, name)) for name in ("parse_block", "scan_block")}
    for name, wrapper in calls.items():
        monkeypatch.setattr(csv_parse, name, wrapper)
    return calls


def _same_as_whole(path: Path, counted: dict[str, _Counting], **kw) -> bool:
    """Check the chunked reader against the whole-file reader; True when the open-time scan
    vouched for the file (no block parsed at open)."""
    whole = read_signal_file(path, **kw)
    before = counted["parse_block"].calls
    reader = open_signal_file(path, **kw)
    scanned = counted["parse_block"].calls == before
    assert isinstance(reader, csv_reader.CsvReader)
    assert reader.streams == whole.streams and reader.metadata == whole.metadata
    for s in whole.streams:
        ref = whole.data[s.name]
        for chunk in (1, 997, 10**7):
            got = np.concatenate(list(reader.chunks(s.name, chunk)))
            assert got.shape == ref.shape and np.array_equal(got, ref), (s.name, chunk)
    return scanned


def test_a_plain_file_is_scanned_at_open_and_parsed_once_when_read(tmp_path: Path,
                                                                   counted) -> None:
    path = _write(tmp_path / "rec.csv", [HEADER, *_rows(3000)])
    reader = open_signal_file(path)
    blocks = len(reader._index)
    assert blocks > 20
    assert counted["parse_block"].calls == 0 and counted["scan_block"].calls == blocks
    for block in reader.chunks("emg", 1999):  # analyze's order
        assert len(block)
    assert counted["parse_block"].calls == blocks
    counted["parse_block"].calls = 0
    for a in range(0, 3000, 40):  # replay's order: both streams, block by block
        reader.read("emg", a, a + 40)
        reader.read("pressure", a, a + 40)
    assert counted["parse_block"].calls == blocks
    whole = read_signal_file(path)
    assert np.array_equal(reader.read("emg", 0, 3000), whole.data["emg"])
    assert reader.stream("emg").fs == whole.streams[0].fs


@pytest.mark.parametrize(("name", "lines", "kw"), [
    ("spaces", [HEADER, *(r.replace(",", ", ") for r in _rows(900))], {}),
    ("exponents", [HEADER, *_rows(900, fmt="{:.6e}")], {}),
    ("17 digits", [HEADER, *_rows(900, fmt="{:.17g}")], {}),
    # steps within the 1 % tolerance but not within half of it of each other: the exact median
    ("jitter", [HEADER, *_rows(900, fs=1000.0, fmt="{:.9f}", jitter=0.008)], {}),
    ("time last", ["emg_uv,time_s", *(f"{i % 7 - 3}.5,{i / 250:.6f}" for i in range(900))], {}),
    ("no time", ["emg_uv,pressure_kpa", *(f"{i % 7 - 3}.5,{i}" for i in range(900))],
     {"fs": 250.0}),
    ("semicolons", [HEADER.replace(",", ";"), *(r.replace(",", ";") for r in _rows(900))], {}),
    ("tabs", [HEADER.replace(",", "\t"), *(r.replace(",", "\t") for r in _rows(900))], {}),
])
def test_files_off_the_plain_path_read_as_the_whole_file(tmp_path: Path, counted, name: str,
                                                        lines: list[str], kw: dict) -> None:
    path = _write(tmp_path / "odd.csv", lines)
    assert _same_as_whole(path, counted, **kw) == (name in ("time last", "no time",
                                                            "semicolons", "tabs")), name


def test_crlf_bom_comments_and_blank_lines_stay_on_the_plain_path(tmp_path: Path,
                                                                  counted) -> None:
    path = tmp_path / "hand.csv"
    body = "\r\n".join([HEADER, *_rows(700)[:350], "", *_rows(700)[350:]]) + "\r\n"
    path.write_bytes("\ufeff# exported by hand\r\n\r\n".encode() + body.encode())
    assert _same_as_whole(path, counted)
    assert open_signal_file(path).n_samples("emg") == 700


@pytest.mark.parametrize("cell", ["1.2.3", "--1", "1e999", "nan", "", "1 2", "0x1", "+"])
@pytest.mark.parametrize("where", [5, 850])
def test_a_bad_cell_anywhere_is_refused_at_open_as_the_whole_file_refuses_it(
        tmp_path: Path, counted, cell: str, where: int) -> None:
    lines = [HEADER, *_rows(900)]
    parts = lines[where].split(",")
    parts[2] = cell
    lines[where] = ",".join(parts)
    path = _write(tmp_path / "bad.csv", lines)
    with pytest.raises(FormatError) as whole:
        read_signal_file(path)
    with pytest.raises(FormatError) as chunked:
        open_signal_file(path)
    assert str(chunked.value) == str(whole.value)
    assert f"line {where + 1}" in str(whole.value)


@pytest.mark.parametrize("change", ["back", "gap", "repeat"])
def test_time_problems_in_a_late_block_are_refused_at_open(tmp_path: Path, counted,
                                                          change: str) -> None:
    lines = [HEADER, *_rows(900)]
    t = float(lines[800].split(",")[0])
    new = {"back": t - 0.01, "gap": t + 0.0004, "repeat": float(lines[799].split(",")[0])}
    lines[800] = ",".join([f"{new[change]:.6f}", *lines[800].split(",")[1:]])
    path = _write(tmp_path / "time.csv", lines)
    with pytest.raises(FormatError) as whole:
        read_signal_file(path)
    with pytest.raises(FormatError) as chunked:
        open_signal_file(path)
    assert str(chunked.value) == str(whole.value)


def test_a_file_that_changes_after_opening_is_named(tmp_path: Path, counted) -> None:
    path = _write(tmp_path / "rec.csv", [HEADER, *_rows(900)])
    reader = open_signal_file(path)
    raw = bytearray(path.read_bytes())
    raw[-30:-25] = b"x.y.z"
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="changed while it was being read"):
        reader.read("emg", 0, 900)


def test_random_reads_and_the_read_ahead_agree_with_the_whole_file(tmp_path: Path,
                                                                  counted) -> None:
    path = _write(tmp_path / "rec.csv", [HEADER, *_rows(3000)])
    whole = read_signal_file(path).data
    rng = np.random.default_rng(5)
    with open_signal_file(path) as reader:
        for _ in range(200):  # seeks back and forth, across blocks, and the ahead's block
            a = int(rng.integers(0, 3000))
            b = a + int(rng.integers(0, 400))
            stream = "emg" if rng.random() < 0.7 else "pressure"
            assert np.array_equal(reader.read(stream, a, b), whole[stream][a:b])


def test_closing_stops_the_workers_and_releases_the_file(tmp_path: Path, counted) -> None:
    path = _write(tmp_path / "rec.csv", [HEADER, *_rows(3000)])
    reader = open_signal_file(path)
    reader.read("emg", 0, 10)  # block 0 parsed, block 1 on its way
    assert reader._ahead is not None and reader._ahead[0] == 1
    threads = list(reader._pool._threads)
    assert threads
    reader.close()
    assert reader._file.closed
    assert not any(t.is_alive() for t in threads)


def test_a_file_refused_at_open_leaves_no_worker_behind(tmp_path: Path,
                                                                  counted) -> None:
    import threading

    before = set(threading.enumerate())
    lines = [HEADER, *_rows(900)]
    lines[850] = lines[850].replace(",", ",,", 1)
    path = _write(tmp_path / "bad.csv", lines)
    with pytest.raises(csv_reader._Fallback):  # the scan stops, the full pass hands it on
        csv_reader.CsvReader(path)
    assert not [t for t in set(threading.enumerate()) - before
                if t.name.startswith("csv-read-ahead") and t.is_alive()]


def _old_and_new(path: Path, monkeypatch, **kw) -> tuple[object, object]:
    """What both readers give with the compiled parser, and with np.loadtxt alone (before)."""
    def outcome() -> object:
        try:
            whole = read_signal_file(path, **kw)
        except FormatError as exc:
            with pytest.raises(FormatError) as chunked:
                open_signal_file(path, **kw)
            assert str(chunked.value) == str(exc)
            return str(exc)
        with open_signal_file(path, **kw) as reader:
            got = {s.name: reader.read(s.name, 0, reader.n_samples(s.name))
                   for s in reader.streams}
        for name, arr in got.items():
            assert arr.tobytes() == whole.data[name].tobytes()
        return whole.streams, {k: v.tobytes() for k, v in got.items()}

    new = outcome()
    with monkeypatch.context() as m:
        m.setattr(csv_parse, "parse_block", lambda *a, **k: None)
        m.setattr(csv_parse, "scan_block", lambda *a, **k: None)
        old = outcome()
    return old, new


@pytest.mark.parametrize("lines", [
    [HEADER, *_rows(700)],
    [HEADER, *_rows(700, fmt="{:.6e}")],
    [HEADER, *_rows(700, fmt="{!r}")],
    [HEADER, *_rows(700, fmt="{:.3f}")],
    [HEADER, *(r.replace(",", " , ") for r in _rows(700))],
    [HEADER, *_rows(500), "0.1,2,3", *_rows(5)],
    [HEADER, *_rows(500), "1e999,2,3,4"],
    [HEADER, *(r.split(",")[0] + ",-0,+0.,-.5" if i % 3 else r for i, r in enumerate(_rows(500)))],
])
def test_the_compiled_parser_changes_nothing_the_readers_return(tmp_path: Path, monkeypatch,
                                                               lines: list[str]) -> None:
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 4096)
    path = _write(tmp_path / "rec.csv", lines)
    old, new = _old_and_new(path, monkeypatch)
    assert new == old
