"""``biofeedback record | info | convert | replay | recover`` on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from biofeedback.cli import build_parser, main
from biofeedback.formats.edf import read_edf

REPO = Path(__file__).resolve().parents[2]
COMMANDS = ["record", "replay", "convert", "info", "recover"]


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def recording(tmp_path) -> Path:
    out = tmp_path / "s.bdf"
    assert main(["record", "--source", "simulated:contractions", "--speed", "0",
                 "--duration", "2.5", "--patient", "P042", "-o", str(out)]) == 0
    return out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command, capsys):
    parser = build_parser()
    with pytest.raises(SystemExit) as exc:
        parser.parse_args([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "Example" in out and f"biofeedback {command}" in out


def test_record_then_info_text_and_json(recording, capsys):
    capsys.readouterr()
    assert main(["info", str(recording)]) == 0
    out = capsys.readouterr().out
    assert "BDF+" in out and "P042" in out and "emg/pfm" in out and "2000 Hz" in out
    assert main(["info", "--json", str(recording)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["duration_s"] == 2.5 and d["patient_code"] == "P042"
    assert [s["samples"] for s in d["streams"]] == [5000, 250]
    assert d["settings"]["source"] == "simulated:contractions"


def test_convert_bdf_to_edf_and_back_keeps_samples_and_never_overwrites(recording, tmp_path,
                                                                         capsys):
    edf = tmp_path / "s.edf"
    assert main(["convert", str(recording), str(edf)]) == 0
    a, b = read_edf(recording), read_edf(edf)
    assert b.patient_code == "P042" and b.metadata["settings"] == a.metadata["settings"]
    step = max(b.metadata["resolution"].values())
    np.testing.assert_allclose(b.data["emg"], a.data["emg"], atol=step)
    before = edf.read_bytes()
    capsys.readouterr()
    assert main(["convert", str(recording), str(edf)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"biofeedback convert: error: {edf}: already exists (use --force to replace it)"
    assert edf.read_bytes() == before
    assert main(["convert", "--force", str(recording), str(edf)]) == 0
    assert main(["convert", str(recording), str(tmp_path / "s.wav")]) == 2


@pytest.mark.parametrize("content,problem", [
    (b"", "empty file"),
    (b"0   ", "truncated"),
    (b"0       " + b"x" * 300, "wrong header"),
    (b"hello, world\n", "unknown file type"),
])
def test_bad_files_give_one_line_naming_file_and_problem(tmp_path, capsys, content, problem):
    name = "bad.edf" if content != b"hello, world\n" else "bad.dat"
    bad = tmp_path / name
    bad.write_bytes(content)
    for argv in (["info", str(bad)], ["convert", str(bad), str(tmp_path / "o.edf")],
                 ["replay", str(bad)]):
        code = main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert code != 0 and len(err) == 1, err
        assert err[0].startswith(f"biofeedback {argv[0]}: error: {bad}: ")
        assert problem in err[0]
    assert not (tmp_path / "o.edf").exists()


def test_truncated_recording_is_refused_in_a_subprocess_without_traceback(recording, tmp_path):
    cut = tmp_path / "cut.bdf"
    cut.write_bytes(recording.read_bytes()[:-1000])
    proc = subprocess.run([sys.executable, "-m", "biofeedback", "info", str(cut)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"biofeedback info: error: {cut}: truncated: header declares 3 data records, file "
        f"holds 2 ({cut.stat().st_size} of {recording.stat().st_size} bytes)"]


def test_replay_opens_the_window_on_the_file(recording, monkeypatch):
    seen = {}

    def fake_run_app(args):
        seen.update(source=args.source, speed=args.speed, autostart=args.autostart)
        return 0

    monkeypatch.setattr("biofeedback.ui.app.run_app", fake_run_app)
    assert main(["replay", "--speed", "10", str(recording)]) == 0
    assert seen == {"source": f"replay:{recording}", "speed": 10.0, "autostart": True}


def test_recover_lists_nothing_when_all_is_well(capsys):
    assert main(["recover", "--list"]) == 0
    assert "no unfinished recordings" in capsys.readouterr().out


def test_convert_to_csv_and_back_keeps_annotations_in_a_side_car(tmp_path, capsys):
    from biofeedback.formats.edf import write_edf
    from biofeedback.formats.signal_file import read_signal_file
    from biofeedback.streams import Annotation

    src = read_edf(main_recording(tmp_path))
    src.annotations[:] = [Annotation(0.5, 0.0, "marker:2:tight, then relaxed"),
                          Annotation(1.0, 0.75, "contraction")]
    bdf = write_edf(src, tmp_path / "annotated.bdf")
    csv_path = tmp_path / "annotated.csv"
    assert main(["convert", str(bdf), str(csv_path)]) == 0
    assert (tmp_path / "annotated.annotations.csv").exists()
    back = tmp_path / "back.edf"
    assert main(["convert", str(csv_path), str(back)]) == 0
    got = read_signal_file(back)
    assert [(a.onset_s, a.duration_s, a.text) for a in got.annotations] == [
        (0.5, 0.0, "marker:2:tight, then relaxed"), (1.0, 0.75, "contraction")]
    step = max(got.metadata["resolution"].values())  # back.edf is 16-bit
    np.testing.assert_allclose(got.data["emg"], src.data["emg"], atol=step + 1e-6)


def main_recording(tmp_path: Path) -> Path:
    out = tmp_path / "plain.bdf"
    assert main(["record", "--speed", "0", "--duration", "1.5", "-o", str(out)]) == 0
    return out


def test_a_command_imports_only_what_it_needs(tmp_path):
    """``biofeedback info`` builds only its own parser: the window's Qt, the records'
    SQLAlchemy and the reports' reportlab are not imported (start-up time and memory)."""
    import subprocess
    import sys

    assert list(build_parser(only="info")._subparsers._group_actions[0].choices) == ["info"]
    assert "analyze" in build_parser()._subparsers._group_actions[0].choices
    code = ("import sys; from biofeedback.cli import main; rc = main(['info', sys.argv[1]]); "
            "print(rc, sorted(m for m in ('PyQt6', 'sqlalchemy', 'reportlab') "
            "if m in sys.modules))")
    missing = tmp_path / "none.bdf"
    out = subprocess.run([sys.executable, "-c", code, str(missing)], capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split("\n")[0] == "1 []", (out.stdout, out.stderr)
