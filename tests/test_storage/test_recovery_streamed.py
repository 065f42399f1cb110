"""Recovery in bounded memory writes the very bytes the whole-journal path wrote, and still
refuses a file that does not read back as the journal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from biofeedback.cli import main
from biofeedback.devices.scenario import get_scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats import bfrec
from biofeedback.formats.bfrec_reader import JournalReader
from biofeedback.formats.edf import read_edf, write_edf
from biofeedback.formats.edf_reader import open_edf
from biofeedback.formats.errors import FormatError
from biofeedback.storage import recovery
from biofeedback.storage.journal import JournalWriter
from biofeedback.storage.recovery import convert_journal, find_unfinished, recover_journal, verify
from biofeedback.streams import Annotation

INFO = source_info(SimulatedConfig())
HEADER = {"patient_code": "P12", "start_time": "2026-03-04T10:11:12", "recording_id": "rid-1",
          "settings": {"band_hz": [20, 450]}, "source": {"name": "sim", "kind": "simulated"},
          "software": "biofeedback test"}


def _simulated(w: JournalWriter, seconds: float) -> None:
    for b in SimulatedSignal(get_scenario("demo")).generate(seconds):
        w.write_block(0 if b.stream == "emg" else 1, b.first_index, int(b.flags), b.data)


def _normal(path: Path) -> Path:
    """What the recorder writes: blocks, markers, a settings change, a clean end."""
    w = JournalWriter(path, bfrec.header_payload(INFO.streams, **HEADER))
    _simulated(w, 2.5)
    w.write_json(bfrec.ANNOTATION, {"onset": 0.7, "duration": 0, "text": "marker:1:pain"})
    w.write_json(bfrec.ANNOTATION, {"onset": 1.2, "duration": 0.5, "text": "protocol:squeeze"})
    w.write_json(bfrec.SETTINGS, {"band_hz": [10, 400]})
    w.end({"reason": "stopped"})
    w.close()
    return path


def _torn(path: Path) -> Path:
    """A kill: no end record, the last record half written."""
    w = JournalWriter(path, bfrec.header_payload(INFO.streams, **HEADER))
    _simulated(w, 1.3)
    w.write_json(bfrec.ANNOTATION, {"onset": 0.4, "duration": 0, "text": "marker:2:x"})
    w.sync()
    w.abandon()
    with path.open("ab") as f:
        f.write(bfrec.encode_block(0, 2600, 0, np.ones((40, 2)))[:-11])
    return path


def _gaps(path: Path) -> Path:
    """Device gaps, NaN rows, a block written twice, blocks out of order, markers, and a
    CRC-damaged block after which nothing is trusted."""
    rng = np.random.default_rng(5)
    emg = rng.normal(0, 4, (8000, 2))
    emg[1234:1240, 1] = np.nan
    p = 20 + np.cumsum(rng.normal(0, 0.1, (400, 1)), axis=0)
    parts = [bfrec.MAGIC, bfrec.encode_json(bfrec.HEADER,
                                            bfrec.header_payload(INFO.streams, **HEADER))]
    for k in [*range(0, 2000, 40), *range(2400, 5000, 40), *range(5200, 6000, 40)]:
        parts.append(bfrec.encode_block(0, k, 0, emg[k:k + 40]))
        if k % 400 == 0 and k != 3600:
            parts.append(bfrec.encode_block(1, k // 20, 0, p[k // 20:k // 20 + 20]))
    parts.append(bfrec.encode_block(0, 3000, 0, emg[3000:3040] + 1.0))  # written again
    parts.append(bfrec.encode_block(0, 1000, 0, np.full((40, 2), np.inf)))  # inf over good
    parts.append(bfrec.encode_block(1, 180, 0, p[180:200]))  # late, out of order
    parts.append(bfrec.encode_json(bfrec.ANNOTATION, {"onset": 0.5, "duration": 0,
                                                      "text": "marker:1:x"}))
    parts.append(bfrec.encode_json(bfrec.ANNOTATION, {"onset": 9.5, "duration": 0,
                                                      "text": "marker:9:after the data"}))
    damaged = bytearray(bfrec.encode_block(0, 6000, 0, emg[6000:6040]))
    damaged[60] ^= 0x04
    parts += [bytes(damaged), bfrec.encode_block(0, 6040, 0, emg[6040:6080])]
    path.write_bytes(b"".join(parts))
    return path


def _empty(path: Path) -> Path:
    """Killed before the first block reached the disk."""
    JournalWriter(path, bfrec.header_payload(INFO.streams, **HEADER)).abandon()
    return path


def _random(path: Path, seed: int) -> Path:
    """Odd seeds: blocks in order with device gaps, as the recorder writes them; even seeds:
    blocks anywhere, overlapping, out of order. Some empty, some partly NaN/inf."""
    rng = np.random.default_rng(seed)
    parts = [bfrec.MAGIC, bfrec.encode_json(bfrec.HEADER,
                                            bfrec.header_payload(INFO.streams, **HEADER))]
    nxt = [0, 0]
    for _ in range(int(rng.integers(0, 40))):
        stream = int(rng.integers(0, 2))
        n = int(rng.integers(0, 60))
        data = rng.normal(0, 10, (n, 2 - stream))
        for _ in range(int(rng.integers(0, 3))):
            data[rng.integers(0, n + 1):rng.integers(0, n + 1), rng.integers(0, 2 - stream)] = \
                rng.choice([np.nan, np.inf, -np.inf])
        if seed % 2:
            first = nxt[stream] + int(rng.choice([0, 0, 0, rng.integers(1, 30)]))
            nxt[stream] = first + n
        else:
            first = int(rng.integers(0, 400 // (1 + 19 * stream)))
        parts.append(bfrec.encode_block(stream, first, 0, data))
        if rng.random() < 0.1:
            parts.append(bfrec.encode_json(bfrec.ANNOTATION, {
                "onset": float(rng.random()), "duration": 0, "text": "marker:1:x"}))
    path.write_bytes(b"".join(parts))
    return path


JOURNALS = {"normal": _normal, "torn": _torn, "gaps": _gaps, "empty": _empty}


# -- the whole-journal path, as it was before recovery was streamed ------------------------------
def _whole_recover(journal: Path, output: Path, at: str) -> Path:
    result = bfrec.scan(journal)
    signals = bfrec.to_signal_set(result, journal)
    note = "recording:recovered"
    if result.ended is None:
        note += " (the app stopped unexpectedly; the last second may be missing)"
    signals.annotations.append(Annotation(signals.duration_s, 0.0, note))
    signals.metadata.pop("journal", None)
    signals.metadata["recovered"] = {"at": at, "dropped_bytes": result.dropped_bytes}
    settings = signals.metadata.pop("settings", None)
    return write_edf(signals, output, settings=settings, private=True)


def _whole_convert(journal: Path, output: Path, extra: list[Annotation]) -> Path:
    signals = bfrec.read_bfrec(journal)
    signals.annotations.extend(extra)
    signals.annotations.sort(key=lambda a: a.onset_s)
    signals.metadata.pop("journal", None)
    settings = signals.metadata.pop("settings", None)
    return write_edf(signals, output, settings=settings, private=True)


@pytest.mark.parametrize("kind", JOURNALS)
def test_recovered_file_is_byte_identical_to_the_whole_journal_path(tmp_path, kind):
    journal = JOURNALS[kind](tmp_path / f"{kind}.bfrec")
    reference = tmp_path / "ref" / f"{kind}.bfrec"
    reference.parent.mkdir()
    shutil.copy(journal, reference)
    data = tmp_path / "data"
    data.mkdir()
    done = recover_journal(journal, folder=data)
    assert not done.already_written and done.path == data / f"{kind}.bdf"
    with open_edf(done.path) as back:
        at = back.metadata["recovered"]["at"]
    old = _whole_recover(reference, tmp_path / "ref" / "old.bdf", at)
    assert done.path.read_bytes() == old.read_bytes()
    assert journal.with_name(journal.name + ".recovered").exists() and not journal.exists()
    ss = read_edf(done.path)
    note = [a for a in ss.annotations if a.text.startswith("recording:recovered")]
    assert len(note) == 1 and note[0].onset_s == ss.duration_s
    assert ("unexpectedly" in note[0].text) == (kind != "normal")
    if kind == "gaps":
        assert {"gap:emg", "gap:pressure", "marker:9:after the data"} <= \
            {a.text for a in ss.annotations}
        assert ss.metadata["recovered"]["dropped_bytes"] > 0  # the damaged block onwards


def test_random_journals_recover_to_the_whole_journal_paths_bytes(tmp_path):
    gaps = 0
    for seed in range(40):
        journal = _random(tmp_path / f"r{seed}.bfrec", seed)
        whole = bfrec.read_bfrec(journal)
        with JournalReader(journal) as reader:  # rows from anywhere, as seeking reads them
            for name, rows in whole.data.items():
                for a, b in np.random.default_rng(seed).integers(0, len(rows) + 2, (30, 2)):
                    assert np.array_equal(reader.read(name, a, b), rows[a:b]), (seed, a, b)
        reference = journal.with_suffix(".copy")
        shutil.copy(journal, reference)
        done = recover_journal(journal, tmp_path / f"new{seed}.bdf")
        with open_edf(done.path) as back:
            at = back.metadata["recovered"]["at"]
            gaps += sum(a.text.startswith("gap:") for a in back.annotations)
        old = _whole_recover(reference, tmp_path / f"old{seed}.bdf", at)
        assert done.path.read_bytes() == old.read_bytes(), seed
    assert gaps > 50  # the journals had holes and NaN rows to find


@pytest.mark.parametrize("suffix", [".bdf", ".edf"])
@pytest.mark.parametrize("kind", ["normal", "gaps"])
def test_finishing_a_recording_writes_the_whole_journal_paths_bytes(tmp_path, kind, suffix):
    journal = JOURNALS[kind](tmp_path / f"{kind}.bfrec")
    extra = [Annotation(0.9, 0.0, "recording:stopped (the disk is full)")]
    new = convert_journal(journal, tmp_path / f"new{suffix}", extra=extra, private=True)
    old = _whole_convert(journal, tmp_path / f"old{suffix}", extra)
    assert new.read_bytes() == old.read_bytes()
    assert journal.exists()  # the recorder deletes it, not the conversion


def test_recovering_twice_finds_the_file_by_its_header(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    journal = _torn(data / "t.bfrec")
    copy = tmp_path / "t.bfrec"
    shutil.copy(journal, copy)
    first = recover_journal(journal, folder=data)
    again = recover_journal(copy, folder=data)
    assert again.already_written and again.path == first.path
    assert sorted(p.name for p in data.iterdir()) == ["t.bdf", "t.bfrec.recovered"]


def _damage_samples(monkeypatch, at_record: int = 1) -> None:
    """The writer's output gets one EMG sample changed on its way to the disk."""
    real = recovery.write_edf_chunked

    def damaging(reader, path, **kwargs):
        path = real(reader, path, **kwargs)
        raw = bytearray(path.read_bytes())
        head = int(raw[184:192])
        record = (len(raw) - head) // int(raw[236:244])
        raw[head + at_record * record + 300] ^= 0x40  # the low byte of pfm sample 100
        path.write_bytes(bytes(raw))
        return path

    monkeypatch.setattr(recovery, "write_edf_chunked", damaging)


def test_a_file_that_does_not_read_back_as_the_journal_is_refused(tmp_path, monkeypatch,
                                                                   capsys):
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "home"))
    journal = _normal(data / "n.bfrec")
    _damage_samples(monkeypatch)
    with pytest.raises(FormatError, match=r"n\.bdf: verification failed: stream 'emg' "
                                          r"differs from the journal at 1\.0\d\d s"):
        recover_journal(journal, folder=data)
    assert journal.exists() and sorted(p.name for p in data.iterdir()) == ["n.bfrec"]
    assert main(["recover", str(journal), "-o", str(tmp_path / "out.bdf")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "verification failed" in err[0] and "out.bdf" in err[0]
    assert journal.exists() and not (tmp_path / "out.bdf").exists()


def test_verify_names_a_missing_sample_and_accepts_the_storage_step(tmp_path):
    journal = _gaps(tmp_path / "g.bfrec")
    path = convert_journal(journal, tmp_path / "g.edf")  # 16-bit: a coarse step
    signals = bfrec.read_bfrec(journal)
    verify(path, signals)  # every sample within half a step of the journal's
    signals.data["pressure"] = np.vstack([signals.data["pressure"], [[20.0]]])
    with pytest.raises(FormatError, match="stream 'pressure' has 300 samples, the journal 301"):
        verify(path, signals)
    signals.data["pressure"] = signals.data["pressure"][:-1]
    step = read_edf(path).metadata["resolution"]["pressure"]
    signals.data["pressure"][150] += 2 * step
    with pytest.raises(FormatError, match=r"differs from the journal at 1\.500 s"):
        verify(path, signals)


def test_listing_reads_only_the_header(tmp_path, monkeypatch):
    journal = _normal(tmp_path / "a.bfrec")
    raw = journal.read_bytes()
    second = bfrec.encode_json(bfrec.HEADER, bfrec.header_payload(INFO.streams))
    journal.write_bytes(raw + second)  # damaged later on: recover will say so, listing not
    monkeypatch.setattr(bfrec, "scan", lambda *a: pytest.fail("listing scanned the journal"))
    found = find_unfinished(tmp_path)
    assert [(f.patient_code, f.started) for f in found] == [("P12", "2026-03-04 10:11:12")]
    monkeypatch.undo()
    with pytest.raises(FormatError, match="second header"):
        recover_journal(journal, folder=tmp_path)
    (tmp_path / "b.bfrec").write_bytes(bfrec.MAGIC + raw[8:20])
    (tmp_path / "c.bfrec").write_bytes(b"not a journal at all")
    for name, problem in [("b", "truncated: no complete header record"), ("c", "wrong header")]:
        with pytest.raises(FormatError, match=problem):
            bfrec.read_header(tmp_path / f"{name}.bfrec")
    assert bfrec.read_header(journal) == json.loads(json.dumps(
        bfrec.header_payload(INFO.streams, **HEADER)))
