"""``biofeedback emulate``: argument checking, errors, and a real run against the C emulator."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest

from biofeedback.cli import main
from biofeedback.devices import emulator as emu_mod


def test_help_has_an_example(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["emulate", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "Examples:" in out and "biofeedback emulate --scenario" in out


@pytest.mark.parametrize("spec, message", [
    ("drop", "bad fault 'drop'"),
    ("drop=2", "drop must be a probability"),
    ("bitrot=0.1", "bad fault 'bitrot=0.1'"),
    ("reset=-1", "reset must be a positive number"),
    ("flip=x", "not a number"),
])
def test_bad_faults_are_one_clear_line(capsys, spec: str, message: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["emulate", "--faults", spec])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_emulator_binary_is_a_clear_error(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(emu_mod.EMULATOR_ENV, str(tmp_path / "nope"))
    assert main(["emulate"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not an executable file" in err[0]


def _emulator_or_skip() -> None:
    try:
        emu_mod.find_emulator()
    except emu_mod.EmulatorError as exc:
        if not emu_mod.can_build():
            pytest.skip(f"sensor emulator cannot be built here: {exc}")
        raise


@pytest.mark.firmware
def test_emulate_prints_port_that_a_sensor_can_open_and_stops_on_ctrl_c(tmp_path) -> None:
    _emulator_or_skip()
    from biofeedback.devices.serial_sensor import SerialSensor

    link = tmp_path / "bfsensor"
    proc = subprocess.Popen(
        [sys.executable, "-m", "biofeedback", "emulate", "--scenario", "test", "--link",
         str(link), "--serial", "CLI-TEST"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        buf = b""
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + 20
        while buf.count(b"\n") < 2 and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                buf += os.read(fd, 1024)
        lines = buf.decode().splitlines()
        assert len(lines) >= 2, (lines, proc.stderr.read() if proc.poll() is not None else "")
        assert lines[0].startswith(f"Sensor emulator running on {link}"), lines
        assert lines[1] == f"Connect with: biofeedback run --source serial:{link}"
        assert os.path.realpath(link).startswith("/dev/pts/")
        with SerialSensor(str(link)) as sensor:
            assert sensor.info.serial_number == "CLI-TEST"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert "Emulator stopped." in proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
