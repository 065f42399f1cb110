"""Open any source from one URL-like string, so the CLI, the window and tests share one syntax.

``simulated`` or ``simulated:SCENARIO`` (a named scenario or inline text, see ``scenario.py``);
``replay:PATH`` or a path to a recording/EDF+/BDF+/CSV file; ``serial:PORT`` or a port path
such as ``/dev/ttyACM0``; ``auto`` — the first sensor found, else the simulated sensor.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from biofeedback.devices.base import Source, SourceError


def open_source(spec: str, **options: object) -> Source:
    """Create (not yet open) the source named by ``spec``; raise :class:`SourceError` if unknown."""
    spec = spec.strip()
    kind, _, arg = spec.partition(":")
    if kind == "simulated":
        from biofeedback.devices.simulated import SimulatedSensor

        try:
            return SimulatedSensor(arg or "demo", **options)  # type: ignore[arg-type]
        except ValueError as exc:
            raise SourceError(str(exc)) from None
    if kind == "replay":
        return _replay(Path(arg), **options)
    if kind == "serial":
        return _serial(arg, **options)
    if spec == "auto":
        return _auto(**options)
    if spec.startswith("/dev/") or spec.upper().startswith("COM") or _is_char_device(spec):
        return _serial(spec, **options)
    if Path(spec).suffix.lower() in {".edf", ".bdf", ".csv", ".bfrec"} or Path(spec).is_file():
        return _replay(Path(spec), **options)
    raise SourceError(
        f"unknown source {spec!r}: use 'simulated[:SCENARIO]', 'serial:PORT', 'replay:FILE' or 'auto'"
    )


def _is_char_device(path: str) -> bool:
    """A symlink to a pty (``biofeedback emulate --link /tmp/bfsensor``) is a serial port too."""
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def _replay(path: Path, **options: object) -> Source:
    try:
        from biofeedback.devices.replay import ReplaySource
    except ImportError as exc:  # pragma: no cover - present once the replay device lands
        raise SourceError(f"file replay is not available: {exc}") from None
    return ReplaySource(path, **options)  # type: ignore[arg-type]


def _serial(port: str, **options: object) -> Source:
    try:
        from biofeedback.devices.serial_sensor import SerialSensor
    except ImportError as exc:  # pragma: no cover - present once the serial device lands
        raise SourceError(f"serial sensors are not available: {exc}") from None
    return SerialSensor(port, **options)  # type: ignore[arg-type]


def _auto(**options: object) -> Source:
    try:
        from biofeedback.devices.discovery import find_sensors
    except ImportError:
        find_sensors = None
    if find_sensors is not None:
        found = find_sensors()
        if found:
            return _serial(found[0].device, **options)
    from biofeedback.devices.simulated import SimulatedSensor

    return SimulatedSensor("demo")
