"""Every file command under hostile input (issue 15): one line naming the file, never more.

For each broken file and each command (``info``, ``info --json``, ``analyze --json``,
``convert`` to BDF and to CSV, and ``replay``'s file check) the CLI must exit non-zero, print
exactly one line on stderr naming the file, no traceback, write no output file and leave
existing files untouched. Most cases run in-process (fast); the classes that could hang, eat
memory or crash (FIFOs, ``/dev/zero``, a 2 GB sparse file, a 1 GHz rate) run as parallel
subprocesses under a timeout and an address-space limit (RLIMIT_AS).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from biofeedback.cli import main
from biofeedback.formats import bfrec
from biofeedback.formats.edf import write_edf
from biofeedback.streams import Annotation, ChannelInfo, ChannelKind, SignalSet, StreamInfo

REPO = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX special files and rlimits")


def _signals() -> SignalSet:
    rng = np.random.default_rng(3)
    emg = StreamInfo("emg", 200.0, (ChannelInfo("pfm", ChannelKind.EMG, "uV"),))
    pres = StreamInfo("pressure", 10.0, (ChannelInfo("pressure", ChannelKind.PRESSURE, "cmH2O"),))
    return SignalSet((emg, pres), {"emg": rng.normal(0, 5, (600, 1)),
                                   "pressure": rng.normal(20, 1, (30, 1))},
                     [Annotation(0.5, 0.0, "marker:1:x")], patient_code="P1")


def _journal(header_patch: dict | None = None, annotation: bytes | None = None) -> bytes:
    ss = _signals()
    head = bfrec.header_payload(ss.streams, patient_code="P1")
    for k, v in (header_patch or {}).items():
        head["streams"][0][k] = v
    parts = [bfrec.MAGIC, bfrec.encode_record(bfrec.HEADER,
                                              json.dumps(head).replace("Infinity", "1e999")
                                              .encode()),
             bfrec.encode_block(0, 0, 0, ss.data["emg"]), bfrec.encode_block(1, 0, 0,
                                                                            ss.data["pressure"])]
    if annotation is not None:
        parts.append(bfrec.encode_record(bfrec.ANNOTATION, annotation))
    return b"".join(parts)


@pytest.fixture(scope="module")
def good_bdf(tmp_path_factory) -> bytes:
    return write_edf(_signals(), tmp_path_factory.mktemp("g") / "g.bdf").read_bytes()


def _broken(good: bytes) -> dict[str, bytes]:
    def field(off: int, width: int, value: bytes) -> bytes:
        data = bytearray(good)
        data[off:off + width] = value.ljust(width)[:width]
        return bytes(data)

    ns_base = 256 + 3 * (16 + 80 + 8)
    return {
        "truncated.bdf": good[:-100],
        "header-only.bdf": good[:256],
        "records-nan.bdf": field(236, 8, b"nan"),
        "records-huge.bdf": field(236, 8, b"99999999"),
        "duration-neg.bdf": field(244, 8, b"-1"),
        "duration-tiny.bdf": field(244, 8, b"1e-300"),
        "pmin-nan.bdf": field(ns_base, 8, b"nan"),
        "dmax-25bit.bdf": field(ns_base + 24 * 3, 8, b"9000000"),
        "spr-neg.bdf": field(ns_base + 32 * 3 + 80 * 3, 8, b"-5"),
        "empty.edf": b"",
        "text.bdf": b"hello",
        "int-name.bfrec": _journal({"name": 5}),
        "null-name.bfrec": _journal({"name": None}),
        "fs-inf.bfrec": _journal({"fs": float("inf")}),
        "fs-1e9.bfrec": _journal({"fs": 1e9}),
        "fs-tiny.bfrec": _journal({"fs": 1e-300}),
        "ann-nan.bfrec": _journal(annotation=b'{"onset":NaN,"duration":0,"text":"x"}'),
        "ann-neg.bfrec": _journal(annotation=b'{"onset":0.5,"duration":-1e308,"text":"x"}'),
        "ann-inf.bfrec": _journal(annotation=b'{"onset":Infinity,"duration":0,"text":"x"}'),
        "magic-only.bfrec": bfrec.MAGIC,
        "long-header.csv": b"time_s," + b"x" * 140_000 + b"\n0,1\n",
        "ns-step.csv": ("time_s,emg_uv\n" + "\n".join(f"{i * 1e-9:.9f},1" for i in range(2000))
                        ).encode(),
        "backwards.csv": b"time_s,emg_uv\n0,1\n0.01,2\n0.005,3\n",
        "bad-cell.csv": b"time_s,emg_uv\n0,1\n0.01,abc\n",
        "nul.csv": b"time_s,emg_uv\n0,1\x00\n",
        "not-utf8.csv": b"time_s,emg_uv\n0,\xff\n",
        "only-header.csv": b"time_s,emg_uv\n",
        "unknown-col.csv": b"time_s,foo_bar\n0,1\n0.01,2\n",
    }


COMMANDS = {
    "info": lambda f, out: ["info", str(f)],
    "info --json": lambda f, out: ["info", "--json", str(f)],
    "analyze --json": lambda f, out: ["analyze", "--json", str(f)],
    "convert bdf": lambda f, out: ["convert", str(f), str(out / "out.bdf")],
    "convert csv": lambda f, out: ["convert", str(f), str(out / "out.csv")],
    "convert --force": lambda f, out: ["convert", "--force", str(f), str(out / "keep.edf")],
    "replay": lambda f, out: ["replay", str(f)],
}


def _assert_one_clean_line(err: str, command: str, path: Path) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"biofeedback {command}: error: "), lines
    assert str(path) in lines[0], lines
    for bad in ("Traceback", "could not broadcast", "Maximum allowed dimension", "Errno",
                "cannot convert float", "NoneType", "object has no attribute"):
        assert bad not in lines[0], lines


def test_every_command_on_every_broken_file(good_bdf, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("biofeedback.ui.app.run_app",
                        lambda args: pytest.fail(f"the window opened on {args.source}"))
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    keep = out / "keep.edf"
    keep.write_bytes(b"an existing file that must survive")
    for name, data in _broken(good_bdf).items():
        path = src / name
        path.write_bytes(data)
        for label, argv in COMMANDS.items():
            code = main(argv(path, out))
            captured = capsys.readouterr()
            assert code != 0, (name, label, captured.out)
            _assert_one_clean_line(captured.err, argv(path, out)[0], path)
            if label.endswith("--json"):
                assert captured.out == ""
            assert sorted(p.name for p in out.iterdir()) == ["keep.edf"], (name, label)
            assert keep.read_bytes() == b"an existing file that must survive"


# -- subprocesses: the hang / memory / crash classes ---------------------------------------
def _limited(limit: int = 3 * 1024**3):
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


@posix_only
@pytest.mark.slow
def test_special_and_huge_inputs_in_subprocesses_within_time_and_memory(tmp_path):
    cases: list[Path] = []
    fifo = tmp_path / "p.bdf"
    os.mkfifo(fifo)
    cases.append(fifo)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    cases.append(zero)
    sparse = tmp_path / "sparse.csv"
    with sparse.open("wb") as f:
        f.write(b"time_s,emg_uv\n")
        f.truncate(2 * 1024**3)
    cases.append(sparse)
    ghz = tmp_path / "ghz.csv"
    ghz.write_text("time_s,emg_uv\n" + "\n".join(f"{i * 1e-9:.9f},1" for i in range(8000)))
    cases.append(ghz)
    huge_rate = tmp_path / "rate.bfrec"
    huge_rate.write_bytes(_journal({"fs": 1e9}))
    cases.append(huge_rate)
    folder = tmp_path / "folder.bdf"
    folder.mkdir()
    cases.append(folder)
    env = {**os.environ, "PYTHONSAFEPATH": "1", "BIOFEEDBACK_DATA_DIR": str(tmp_path / "d")}
    todo = [(path, argv) for path in cases
            for argv in (["info", str(path)], ["analyze", "--json", str(path)],
                         ["convert", str(path), str(tmp_path / f"{path.stem}-out.bdf")],
                         ["replay", str(path)])]
    # a few at a time: 24 interpreters starting at once on a small, busy machine took more
    # than the hang limit between them, though none of them hung
    wave = max(2, os.cpu_count() or 2)
    for i in range(0, len(todo), wave):
        runs = [(path, argv, subprocess.Popen(
            [sys.executable, "-m", "biofeedback", *argv], cwd=REPO, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_limited()))
            for path, argv in todo[i:i + wave]]
        for path, argv, proc in runs:
            try:
                _out, err = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                pytest.fail(f"{argv} hung")
            assert proc.returncode == 1, (argv, proc.returncode, err)
            _assert_one_clean_line(err, argv[0], path)
    assert not list(tmp_path.glob("*-out.bdf"))


# -- regression tests for the CLI-level defects ---------------------------------------------
def test_defect_6_convert_force_to_csv_removes_a_stale_annotation_side_car(tmp_path, capsys):
    plain = _signals()
    plain.annotations.clear()
    src = write_edf(plain, tmp_path / "plain.bdf")
    dst = tmp_path / "x.csv"
    side = tmp_path / "x.annotations.csv"
    dst.write_text("old")
    side.write_text("onset_s,duration_s,text\n1.0,0.0,marker:9:someone else\n")
    assert main(["convert", str(src), str(dst)]) == 2  # refused without --force
    assert side.exists() and dst.read_text() == "old"
    assert main(["convert", "--force", str(src), str(dst)]) == 0
    assert not side.exists()
    capsys.readouterr()
    assert main(["info", "--json", str(dst)]) == 0
    assert json.loads(capsys.readouterr().out)["annotations"] == []


def test_defect_13_info_json_is_strict_json(tmp_path, capsys):
    path = write_edf(_signals(), tmp_path / "ok.bdf")
    assert main(["info", "--json", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Infinity" not in text and "NaN" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in info --json"))
    bad = tmp_path / "inf.bfrec"
    bad.write_bytes(_journal(annotation=b'{"onset":Infinity,"duration":0,"text":"x"}'))
    assert main(["info", "--json", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "not a finite number" in captured.err


def test_minor_analyze_and_info_share_one_file_type_rule(tmp_path, capsys):
    bdf_named_txt = tmp_path / "session.txt"
    bdf_named_txt.write_bytes(write_edf(_signals(), tmp_path / "s.bdf").read_bytes())
    assert main(["info", str(bdf_named_txt)]) == 0
    capsys.readouterr()
    assert main(["analyze", "--json", str(bdf_named_txt)]) == 0
    assert json.loads(capsys.readouterr().out)["fs"] == 200.0


def test_minor_sigterm_is_named_as_such(tmp_path, capsys, monkeypatch):
    path = write_edf(_signals(), tmp_path / "s.bdf")

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` would, while converting
        raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setattr("biofeedback.cli.convert.open_signal_file", killed)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["convert", str(path), str(tmp_path / "o.edf")]) == 143
    err = capsys.readouterr().err.strip()
    assert err == "biofeedback convert: stopped by SIGTERM"
    assert not (tmp_path / "o.edf").exists()
    assert signal.getsignal(signal.SIGTERM) == before  # the command's handler is gone again


@posix_only
def test_defect_8_converted_bdf_follows_the_umask(tmp_path):
    src = write_edf(_signals(), tmp_path / "s.bdf")
    shared = tmp_path / "shared"  # not a private folder: the umask decides
    shared.mkdir()
    shared.chmod(0o755)
    tmp_path = shared
    old = os.umask(0o077)
    try:
        assert main(["convert", str(src), str(tmp_path / "u.bdf")]) == 0
        assert main(["convert", str(src), str(tmp_path / "u.csv")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "u.bdf").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "u.csv").stat().st_mode) == 0o600
    old = os.umask(0o022)
    try:
        assert main(["convert", str(src), str(tmp_path / "v.edf")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "v.edf").stat().st_mode) == 0o644  # was 0644 always
