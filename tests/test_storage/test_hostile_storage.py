"""Recorder and recovery under hostile conditions (issue 15 defects 7, 9, 10, 17 and minors)."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import numpy as np
import pytest

from biofeedback.cli import main
from biofeedback.devices.scenario import get_scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats import bfrec
from biofeedback.formats.edf import read_edf
from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.storage import journal as journal_mod
from biofeedback.storage import recovery
from biofeedback.storage.journal import JournalWriter, is_locked
from biofeedback.storage.paths import folder_problem
from biofeedback.storage.recorder import Recorder, RecordingError
from biofeedback.storage.recovery import find_unfinished, recover_journal

INFO = source_info(SimulatedConfig())


def _record(folder: Path, output: Path, seconds: float = 0.5) -> Recorder:
    rec = Recorder(INFO, output, folder=folder, patient_code="P7")
    rec.start()
    for b in SimulatedSignal(get_scenario("demo")).generate(seconds):
        rec.on_block(b)
    return rec


def _wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_defect_7_the_journal_stays_locked_until_it_is_converted_and_deleted(tmp_path,
                                                                              monkeypatch):
    rec = _record(tmp_path, tmp_path / "out.bdf")
    real = recovery.convert_journal
    seen = {}

    def converting(journal, *args, **kwargs):
        seen["locked"] = is_locked(journal)
        seen["unfinished"] = find_unfinished(tmp_path)
        with pytest.raises(FormatError, match="in use by another biofeedback process"):
            recover_journal(journal, folder=tmp_path)
        return real(journal, *args, **kwargs)

    monkeypatch.setattr(recovery, "convert_journal", converting)
    path = rec.finish()
    assert seen == {"locked": True, "unfinished": []}
    assert path == tmp_path / "out.bdf" and not rec.journal_path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bdf"]  # no duplicate
    assert rec.state == "finished"


def test_defect_7_a_kill_between_the_final_rename_and_deleting_the_journal(tmp_path,
                                                                           monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    out = tmp_path / "session.bdf"  # -o outside the data folder
    rec = _record(data, out)
    journal = rec.journal_path
    real_unlink = Path.unlink

    def killed_before_delete(self, missing_ok=False):
        if self == journal:
            return  # the process "died" right here
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", killed_before_delete)
    rec.finish()
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert journal.exists() and out.exists() and not is_locked(journal)
    first = recover_journal(journal, folder=data)
    assert first.already_written and first.path == out
    assert sorted(p.name for p in data.iterdir()) == [journal.name + ".recovered"]
    assert not list(tmp_path.glob("*recovered*.bdf"))
    # and running recover again finds nothing to do
    assert find_unfinished(data) == []


def test_defect_9_an_unwritable_output_folder_is_refused_at_start(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere a mode allows nothing; /proc refuses anyone
        blocked = Path("/proc")
    else:
        blocked = tmp_path / "ro"
        blocked.mkdir()
        blocked.chmod(0o500)
    rec = Recorder(INFO, blocked / "x.bdf", folder=tmp_path)
    with pytest.raises(RecordingError, match="cannot start recording") as info:
        rec.start()
    assert str(blocked) in str(info.value)
    assert not list(tmp_path.glob("*.bfrec"))  # nothing was started


def test_defect_10_full_disk_messages_name_the_file_and_say_it_stopped_early(tmp_path,
                                                                            monkeypatch):
    full = OSError(errno.ENOSPC, "No space left on device")
    short = OSError("375930 requested and 260864 written")  # numpy's short write: no errno
    assert "x.bdf" in describe_os_error(full, Path("x.bdf"))
    assert "x.bdf" in describe_os_error(short, Path("x.bdf"))
    assert "None" not in describe_os_error(short, Path("x.bdf"))
    # a full data folder at start: the journal is named
    real_sync = JournalWriter.sync

    def no_space(self):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(JournalWriter, "sync", no_space)
    with pytest.raises(RecordingError) as info:
        Recorder(INFO, tmp_path / "a.bdf", folder=tmp_path).start()
    assert "disk is full" in str(info.value) and ".bfrec" in str(info.value)
    monkeypatch.setattr(JournalWriter, "sync", real_sync)
    # the disk fills while recording: the recorder stops early and says where and when
    rec = _record(tmp_path, tmp_path / "b.bdf", 0.3)
    _wait_for(lambda: rec.bytes_written > 0)
    monkeypatch.setattr(JournalWriter, "maybe_sync", lambda self: no_space(self))
    for b in SimulatedSignal(get_scenario("demo")).generate(0.2):
        if rec.error is None:
            rec.on_block(b)
    _wait_for(lambda: rec.error is not None)
    assert rec.state == "error" and rec.stopped_at_s is not None
    assert rec.error.startswith("Recording stopped early at ")
    assert str(rec.journal_path) in rec.error and "disk is full" in rec.error
    with pytest.raises(RecordingError, match="stopped early"):
        rec.on_block(next(iter(SimulatedSignal(get_scenario("demo")).generate(0.02))))
    # the final file cannot be written either: one sentence naming it, no "(None)"
    import edfio

    monkeypatch.setattr(edfio.Bdf, "write", lambda self, target: (_ for _ in ()).throw(short))
    with pytest.raises(RecordingError) as info:
        rec.finish()
    text = str(info.value)
    assert "b.bdf" in text and "disk may be full" in text and "journal" in text
    assert "None" not in text and "requested" not in text
    assert rec.journal_path.exists()  # kept for recovery


def test_defect_17_recover_never_writes_where_a_journal_says(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(data))
    rec_dir = data / "recordings"
    rec_dir.mkdir(parents=True)
    evil = tmp_path / "elsewhere" / "bashrc.bdf"
    evil.parent.mkdir()
    header = bfrec.header_payload(INFO.streams, target=str(evil), recording_id="x1")
    planted = tmp_path / "foreign.bfrec"
    w = JournalWriter(planted, header)
    for b in SimulatedSignal(get_scenario("demo")).generate(0.2):
        w.write_block(0 if b.stream == "emg" else 1, b.first_index, 0, b.data)
    w.close()
    assert main(["recover", str(planted)]) == 0
    out = capsys.readouterr().out
    assert not evil.exists()
    assert (rec_dir / "bashrc.bdf").exists()
    assert f"-> {rec_dir / 'bashrc.bdf'}" in out and "outside the data folder" in out
    assert len(read_edf(rec_dir / "bashrc.bdf").data["emg"]) == 400


def test_minor_recover_and_recover_list_print_the_same_line(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(data))
    rec_dir = data / "recordings"
    rec_dir.mkdir(parents=True)
    w = JournalWriter(rec_dir / "c.bfrec", bfrec.header_payload(INFO.streams, patient_code="P3"))
    w.write_block(0, 0, 0, np.zeros((40, 2)))
    w.abandon()
    assert main(["recover", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert main(["recover"]) == 0
    done = capsys.readouterr().out.splitlines()
    assert listed[0] == done[0] and listed[0].startswith("unfinished: ")
    assert done[1].startswith("recovered ")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to give a folder to another account")
def test_minor_a_world_writable_folder_of_another_user_is_warned_about(tmp_path, monkeypatch,
                                                                        capsys):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    os.chown(shared, 65534, 65534)
    assert "another account" in (folder_problem(shared) or "")
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(shared))
    assert main(["recover", "--list"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("biofeedback recover: warning: ")
    assert str(shared) in err[0]


def test_recovery_lock_refuses_a_journal_replaced_meanwhile(tmp_path):
    path = tmp_path / "j.bfrec"
    JournalWriter(path, bfrec.header_payload(INFO.streams)).close()
    fd = journal_mod.lock_for_recovery(path)
    try:
        with pytest.raises(BlockingIOError):
            journal_mod.lock_for_recovery(path)
    finally:
        os.close(fd)
