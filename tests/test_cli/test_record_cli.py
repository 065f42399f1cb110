"""``biofeedback record`` runs the same live session as the window: its files carry the same
contraction annotations that an offline analysis of them finds."""

from __future__ import annotations

import numpy as np
import pytest

from biofeedback.cli import main
from biofeedback.formats.signal_file import read_signal_file
from biofeedback.signal import PipelineConfig, analyze


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_a_cli_recording_of_the_demo_carries_the_contractions_offline_analysis_finds(
        tmp_path, data_dir, capsys):
    out = tmp_path / "demo.bdf"
    rc = main(["record", "--source", "simulated:demo", "--speed", "0", "--duration", "70",
               "-o", str(out)])
    assert rc == 0, capsys.readouterr().err
    ss = read_signal_file(out)
    recorded = [a for a in ss.annotations if a.text == "contraction"]
    emg, fs, _ = ss.channel("pfm")
    abd, _, _ = ss.channel("abdominal")
    found = [e for e in analyze(np.column_stack([emg, abd]), fs, PipelineConfig(),
                                channels=("pfm", "abdominal")).events
             if e.complete and not e.truncated]
    assert len(recorded) == len(found) == 4  # the demo loop holds four contractions
    for a, e in zip(recorded, found, strict=True):
        assert a.onset_s == pytest.approx(e.onset_s, abs=1e-3)
        assert a.duration_s == pytest.approx(e.duration_s, abs=1e-3)


def test_record_refuses_a_bad_source_in_one_line(tmp_path, data_dir, capsys):
    rc = main(["record", "--source", "serial:/dev/does-not-exist", "--duration", "1",
               "-o", str(tmp_path / "x.bdf")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "Could not open the sensor" in err[0]
    assert not (tmp_path / "x.bdf").exists()


def test_record_refuses_a_name_as_patient_code(tmp_path, data_dir, capsys):
    rc = main(["record", "--duration", "1", "--patient", "Jane Doe 1980-01-02",
               "-o", str(tmp_path / "x.bdf")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "looks like" in err[0]
    assert not (tmp_path / "x.bdf").exists()
