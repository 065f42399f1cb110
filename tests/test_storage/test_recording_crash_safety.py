"""Crash safety of recordings: torn journals, a real kill -9, a real full disk, permissions."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from waiting import journal_seconds as _journal_s
from waiting import wait_until

from biofeedback.cli import main
from biofeedback.devices.scenario import get_scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats import bfrec
from biofeedback.formats.edf import read_edf
from biofeedback.formats.errors import FormatError
from biofeedback.storage.journal import JournalWriter, is_locked
from biofeedback.storage.recorder import Recorder, RecordingError
from biofeedback.storage.recovery import find_unfinished, recover_journal

REPO = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals and rlimits")



def _env(data: Path) -> dict[str, str]:
    return {**os.environ, "BIOFEEDBACK_DATA_DIR": str(data), "PYTHONSAFEPATH": "1"}


def _reference_emg(seconds: float) -> np.ndarray:
    blocks = SimulatedSignal(get_scenario("demo"), SimulatedConfig()).generate(seconds + 0.1)
    return np.concatenate([b.data for b in blocks if b.stream == "emg"])


def _journal(tmp_path: Path, n_blocks: int = 12) -> tuple[Path, list[int]]:
    info = source_info(SimulatedConfig())
    path = tmp_path / "t.bfrec"
    w = JournalWriter(path, bfrec.header_payload(info.streams, patient_code="P1"))
    ends = []
    sig = SimulatedSignal(get_scenario("demo"))
    for _ in range(n_blocks // 2):
        emg, pres = sig.next_blocks()
        w.write_block(0, emg.first_index, 0, emg.data)
        w.sync()
        ends.append(path.stat().st_size)
        w.write_block(1, pres.first_index, 0, pres.data)
        w.sync()
        ends.append(path.stat().st_size)
    w.write_json(bfrec.ANNOTATION, {"onset": 0.01, "duration": 0, "text": "marker:1:x"})
    w.close()
    return path, ends


def test_torn_journal_keeps_every_complete_record_at_every_cut(tmp_path):
    path, ends = _journal(tmp_path)
    full = path.read_bytes()
    cut_path = tmp_path / "cut.bfrec"
    header_end = ends[0] - (ends[1] - ends[0])  # somewhere inside the first block
    for cut in range(header_end, len(full)):
        cut_path.write_bytes(full[:cut])
        r = bfrec.scan(cut_path)
        complete = sum(1 for e in ends if e <= cut)
        assert len(r.blocks) == complete, cut
        assert r.valid_bytes + r.dropped_bytes == cut
        assert (r.dropped_bytes > 0) == (cut not in ends and cut != len(full)) or cut in ends
    ss = bfrec.read_bfrec(path)
    assert ss.data["emg"].shape == (40 * 6, 2) and ss.annotations[0].text == "marker:1:x"


def test_bit_flip_stops_at_the_damaged_record(tmp_path):
    path, ends = _journal(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[ends[3] + 40] ^= 0x10  # inside block 5's samples
    path.write_bytes(bytes(raw))
    r = bfrec.scan(path)
    assert len(r.blocks) == 4 and "checksum" in r.drop_reason


def test_journal_without_header_is_a_format_error(tmp_path):
    p = tmp_path / "bad.bfrec"
    p.write_bytes(bfrec.MAGIC[:5])
    with pytest.raises(FormatError, match="bad.bfrec: wrong header"):
        bfrec.scan(p)
    p.write_bytes(bfrec.MAGIC + b"\xb5R")
    with pytest.raises(FormatError, match="truncated"):
        bfrec.scan(p)


@posix_only
@pytest.mark.slow
def test_kill_9_while_recording_loses_at_most_the_last_second(tmp_path):
    data = tmp_path / "data"
    out = tmp_path / "killed.bdf"
    proc = subprocess.Popen(
        [sys.executable, "-m", "biofeedback", "record", "--source", "simulated:demo",
         "--duration", "120", "-o", str(out)],
        cwd=REPO, env=_env(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        journals: list[Path] = []
        while not journals:
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            journals = list((data / "recordings").glob("*.bfrec")) if data.exists() else []
            time.sleep(0.002)
        t_created = time.monotonic()
        journal = journals[0]
        wait_until(lambda: _journal_s(journal) >= 2.0, timeout=60, what="2 s in the journal")
        assert is_locked(journal)
        assert find_unfinished(data / "recordings") == []  # live: not mistaken for a crash
        assert stat.S_IMODE(journal.stat().st_mode) == 0o600
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        on_disk_s = _journal_s(journal)  # already written: must all survive the kill
        t_kill = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    produced_s = t_kill - t_created  # upper bound of what the sensor had delivered
    assert not out.exists()
    found = find_unfinished(data / "recordings")
    assert [f.journal for f in found] == [journal]
    done = recover_journal(journal, folder=data / "recordings")
    path = done.path  # only into the data folder: the journal's target is not trusted
    assert path == data / "recordings" / out.name and done.requested == out
    assert journal.with_name(journal.name + ".recovered").exists() and not journal.exists()
    ss = read_edf(path)
    kept_s = len(ss.data["emg"]) / 2000
    assert on_disk_s <= kept_s <= produced_s + 0.05, (on_disk_s, produced_s, kept_s)
    ref = _reference_emg(kept_s)[: len(ss.data["emg"])]
    np.testing.assert_allclose(ss.data["emg"], ref, atol=max(ss.metadata["resolution"].values()))
    assert ss.annotations[-1].text.startswith("recording:recovered")


@posix_only
def test_next_start_tells_the_user_and_recovers(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(data))
    rec_dir = data / "recordings"
    rec_dir.mkdir(parents=True)
    info = source_info(SimulatedConfig())
    header = bfrec.header_payload(info.streams, patient_code="P9",
                                  target=str(tmp_path / "crashed.bdf"))
    w = JournalWriter(rec_dir / "crashed.bfrec", header)
    for b in SimulatedSignal(get_scenario("demo")).generate(1.0):
        w.write_block(0 if b.stream == "emg" else 1, b.first_index, 0, b.data)
    w.sync()
    w.write_block(0, 2000, 0, np.ones((40, 2)))  # never synced: lost in the "crash"
    w.abandon()  # the process dies: no end record, the kernel drops the lock
    assert main(["recover", "--list"]) == 0
    assert "P9" in capsys.readouterr().out
    code = main(["record", "--source", "simulated", "--speed", "0", "--duration", "0.2",
                 "-o", str(tmp_path / "next.bdf")])
    err = capsys.readouterr().err
    assert code == 0
    assert "found an unfinished recording" in err and "recovered " in err and " -> " in err
    assert not (tmp_path / "crashed.bdf").exists()  # the journal's target is not trusted
    assert len(read_edf(rec_dir / "crashed.bdf").data["emg"]) == 2000


@posix_only
@pytest.mark.slow
def test_full_disk_stops_with_a_clear_message_and_keeps_what_was_written(tmp_path):
    import resource

    limit = 150_000  # bytes per file: the journal fills it in ~1 s at 4x speed

    def _small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed

    out = tmp_path / "full.bdf"
    proc = subprocess.run(
        [sys.executable, "-m", "biofeedback", "record", "--source", "simulated:demo",
         "--speed", "4", "--duration", "60", "-o", str(out)],
        cwd=REPO, env=_env(tmp_path / "data"), capture_output=True, text=True, timeout=60,
        preexec_fn=_small_disk)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1 and "disk is full" in errors[0], proc.stderr
    ss = read_edf(out)  # the final file holds everything synced before the disk filled
    kept_s = len(ss.data["emg"]) / 2000
    journal_bytes_per_s = 2000 * 2 * 8 * 1.05
    assert kept_s > 0.6 * limit / journal_bytes_per_s, kept_s
    assert ss.annotations[-1].text.startswith("recording:stopped")
    ref = _reference_emg(kept_s)[: len(ss.data["emg"])]
    np.testing.assert_allclose(ss.data["emg"], ref, atol=max(ss.metadata["resolution"].values()))


def test_unwritable_places_give_one_clear_error(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(blocker / "data"))
    code = main(["record", "--speed", "0", "--duration", "0.1", "-o", str(tmp_path / "a.bdf")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert err[0].startswith("biofeedback record: error: cannot start recording: a file is in")
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "data"))
    code = main(["record", "--speed", "0", "--duration", "0.1", "-o",
                 str(tmp_path / "missing" / "a.bdf")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1].endswith("missing: folder does not exist")
    info = source_info(SimulatedConfig())
    with pytest.raises(RecordingError, match="already exists"):
        (tmp_path / "taken.bdf").write_bytes(b"keep me")
        Recorder(info, tmp_path / "taken.bdf", folder=tmp_path).start()
    assert (tmp_path / "taken.bdf").read_bytes() == b"keep me"


def test_private_permissions_of_data_folder_and_files(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "d"))
    assert main(["record", "--speed", "0", "--duration", "0.2"]) == 0
    rec_dir = tmp_path / "d" / "recordings"
    files = list(rec_dir.iterdir())
    assert [f.suffix for f in files] == [".bdf"]  # journal removed after a clean finish
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700
    assert stat.S_IMODE(rec_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


@posix_only
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_terminate_finishes_the_file_cleanly(tmp_path, sig):
    data = tmp_path / "data"
    out = tmp_path / "stopped.bdf"
    proc = subprocess.Popen(
        [sys.executable, "-m", "biofeedback", "record", "--duration", "120", "-o", str(out)],
        cwd=REPO, env=_env(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (data / "recordings").exists() or not list((data / "recordings").glob("*.bfrec")):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)
    journal = next((data / "recordings").glob("*.bfrec"))
    wait_until(lambda: _journal_s(journal) >= 1.0, timeout=60, what="1 s in the journal")
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    said = "stopped by Ctrl-C" if sig == signal.SIGINT else "stopped by SIGTERM"
    assert said in stdout and "Traceback" not in stderr
    assert not list((data / "recordings").glob("*.bfrec*"))  # journal converted and removed
    assert 0.5 < read_edf(out).duration_s < 3.0


def test_two_recordings_started_in_the_same_second_get_their_own_files(tmp_path):
    info = source_info(SimulatedConfig())
    a = Recorder(info, folder=tmp_path, patient_code="P7")
    b = Recorder(info, folder=tmp_path, patient_code="P7")
    b.started_at = a.started_at  # the same second: the default names would clash
    a.start()
    b.start()
    try:
        assert a.output_path != b.output_path and a.journal_path != b.journal_path
        assert b.output_path.name.endswith("-P7-2.bdf")
    finally:
        for r in (a, b):
            r.finish()
    assert a.output_path.exists() and b.output_path.exists()
