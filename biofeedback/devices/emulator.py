"""Find, build and run the compiled sensor emulator (``firmware/build/host/bfsensor-emu``).

The emulator is the firmware's own protocol core compiled for the host with a simulated
front-end; it opens a pseudo-terminal and behaves like the board. This module only launches it:
the app talks to it through :class:`~biofeedback.devices.serial_sensor.SerialSensor` exactly as
it would to real hardware, so tests and demos exercise the production code path.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

EMULATOR_NAME = "bfsensor-emu"
#: Environment variable that points at a prebuilt emulator binary (CI, packaging).
EMULATOR_ENV = "BIOFEEDBACK_EMULATOR"


class EmulatorError(RuntimeError):
    """The emulator could not be found, built or started; the message says what to do."""


def repo_root() -> Path:
    """The source checkout (``firmware/`` lives next to the ``biofeedback`` package)."""
    return Path(__file__).resolve().parents[2]


def firmware_dir() -> Path:
    return repo_root() / "firmware"


def default_binary() -> Path:
    return firmware_dir() / "build" / "host" / EMULATOR_NAME


def can_build() -> bool:
    """True when the firmware sources and a host toolchain (make, cc) are present."""
    return (
        (firmware_dir() / "Makefile").is_file()
        and shutil.which("make") is not None
        and (shutil.which("cc") is not None or shutil.which("gcc") is not None)
    )


def build_emulator(timeout: float = 180.0) -> Path:
    """Run ``make -C firmware emulator``; return the binary or raise :class:`EmulatorError`."""
    if not (firmware_dir() / "Makefile").is_file():
        raise EmulatorError(f"firmware sources not found at {firmware_dir()}")
    if shutil.which("make") is None or (shutil.which("cc") is None and shutil.which("gcc") is None):
        raise EmulatorError(
            "cannot build the sensor emulator: 'make' and a C compiler (gcc) are needed "
            "(Debian: apt-get install make gcc)"
        )
    try:
        proc = subprocess.run(
            ["make", "-C", str(firmware_dir()), "emulator"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        raise EmulatorError(
            f"building the sensor emulator took longer than {timeout:.0f} s"
        ) from None
    binary = default_binary()
    if proc.returncode != 0 or not binary.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise EmulatorError("building the sensor emulator failed: " + " | ".join(tail))
    return binary


def find_emulator(build: bool = True) -> Path:
    """Locate the emulator: ``$BIOFEEDBACK_EMULATOR``, the build tree, then ``PATH``.

    Builds it from ``firmware/`` when missing (or older than its sources) and ``build`` is true.
    """
    env = os.environ.get(EMULATOR_ENV)
    if env:
        path = Path(env)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise EmulatorError(f"{EMULATOR_ENV}={env} is not an executable file")
        return path
    binary = default_binary()
    if binary.is_file() and not (build and can_build() and _stale(binary)):
        return binary
    if build and can_build():
        return build_emulator()
    on_path = shutil.which(EMULATOR_NAME)
    if on_path:
        return Path(on_path)
    if binary.is_file():
        return binary
    raise EmulatorError(
        f"sensor emulator not found: build it with 'make -C {firmware_dir()} emulator' "
        "(needs make and gcc) or set " + EMULATOR_ENV
    )


def _stale(binary: Path) -> bool:
    """True when any firmware source is newer than the binary (so tests never run old code)."""
    built = binary.stat().st_mtime
    for pattern in ("*.c", "*.h", "Makefile"):
        for src in firmware_dir().rglob(pattern):
            if "build" not in src.relative_to(firmware_dir()).parts and src.stat().st_mtime > built:
                return True
    return False


def emulator_args(
    *,
    link: str | os.PathLike[str] | None = None,
    scenario: str | None = None,
    file: str | os.PathLike[str] | None = None,
    faults: str | None = None,
    seed: int | None = None,
    speed: float | None = None,
    serial: str | None = None,
) -> list[str]:
    """Command-line options of ``bfsensor-emu`` (see ``docs/protocol.md``, emulator section)."""
    args: list[str] = []
    if link is not None:
        args += ["--link", os.fspath(link)]
    if scenario:
        args += ["--scenario", scenario]
    if file is not None:
        args += ["--file", os.fspath(file)]
    if faults:
        args += ["--faults", faults]
    if seed is not None:
        args += ["--seed", str(seed)]
    if speed is not None:
        args += ["--speed", f"{speed:g}"]
    if serial:
        args += ["--serial", serial]
    return args


class EmulatorProcess:
    """Run ``bfsensor-emu`` for the duration of a ``with`` block.

    ``port`` is the pty path printed by the emulator (``PORT /dev/pts/N``), or the ``link``
    symlink when one was requested (a stable name across restarts, like a udev rule).
    """

    def __init__(
        self,
        *,
        binary: str | os.PathLike[str] | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 10.0,
        build: bool = True,
        **options: object,
    ) -> None:
        self.binary = Path(binary) if binary is not None else None
        self.options = options
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.build = build
        self.proc: subprocess.Popen[bytes] | None = None
        self.pty: str = ""
        self._stderr_path: Path | None = None

    @property
    def port(self) -> str:
        link = self.options.get("link")
        return os.fspath(link) if link is not None else self.pty  # type: ignore[arg-type]

    @property
    def command(self) -> list[str]:
        binary = self.binary or find_emulator(build=self.build)
        return [str(binary), *emulator_args(**self.options), *self.extra_args]  # type: ignore[arg-type]

    def start(self) -> str:
        """Launch the emulator and wait for its ``PORT`` line; return the port to open."""
        if self.proc is not None and self.proc.poll() is None:
            raise EmulatorError("emulator is already running")
        cmd = self.command
        try:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise EmulatorError(f"cannot start {cmd[0]}: {exc}") from None
        self.pty = self._read_port_line()
        return self.port

    def _read_port_line(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + self.startup_timeout
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.terminate()
                raise EmulatorError(
                    f"emulator printed no 'PORT' line within {self.startup_timeout:.0f} s"
                )
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 256)
            if not chunk:
                err = self._stderr_tail()
                self.terminate()
                raise EmulatorError(f"emulator exited before it was ready: {err}")
            buf += chunk
        line = buf.split(b"\n", 1)[0].decode("ascii", "replace").strip()
        if not line.startswith("PORT "):
            self.terminate()
            raise EmulatorError(f"unexpected first line from emulator: {line!r}")
        return line[5:].strip()

    def _stderr_tail(self) -> str:
        if self.proc is None or self.proc.stderr is None:
            return ""
        try:
            self.proc.wait(1.0)
            text = self.proc.stderr.read().decode("utf-8", "replace").strip()
        except (subprocess.TimeoutExpired, OSError, ValueError):
            return f"exit status {self.proc.poll()}"
        return text.splitlines()[-1] if text else f"exit status {self.proc.returncode}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout: float = 3.0) -> int | None:
        """SIGTERM (then SIGKILL after ``timeout``); return the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL, like pulling the cable: no goodbye on the line."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(3.0)

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()
