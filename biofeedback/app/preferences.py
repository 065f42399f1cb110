"""Window and feedback preferences that survive a restart (no health data, no Qt).

One small JSON file at :func:`biofeedback.storage.paths.settings_file` (the per-user folder
found by ``platformdirs``): the last source, the "relax below" line and whether it was set by
hand, the mains notch, the window geometry (Qt's opaque bytes as base64), whether the
patient view was open and whether the live samples go out on LSL (off by default). Written
atomically (a private temporary file, then a rename) with mode 0600. A missing file gives the
defaults silently; a broken one gives the defaults and one warning (logged, and returned so a
window can say it once).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from biofeedback.storage.paths import ensure_private_dir, open_private, settings_file

log = logging.getLogger(__name__)

VERSION = 1
NOTCH_CHOICES = (None, 50.0, 60.0)
START_MODES = ("clinic", "home")
_STRINGS = ("last_source", "window_geometry", "start_mode", "reminder_time")


@dataclass
class Preferences:
    last_source: str = "auto"
    relax_line_uv: float | None = None  # the last line set by hand (µV RMS)
    relax_line_manual: bool = False  # False: the automatic line (resting mean + 1 SD)
    notch_hz: float | None = None  # None (off), 50 or 60
    window_geometry: str = ""  # base64 of the window's saved geometry ("" = default size)
    patient_view: bool = False  # the patient view was open when the window closed
    start_mode: str = "clinic"  # what `biofeedback run` opens: "clinic" or "home" (patient)
    tone_on: bool = True  # guided sessions' tone (ui/tone_controls.py)
    tone_volume: float = 0.5
    tone_muted: bool = False
    tone_silent_below: bool = True
    pacer_inhale_s: float | None = None  # a chosen breathing pace; None: the protocol's own
    pacer_exhale_s: float | None = None
    reminders_on: bool = False  # home practice reminders: off until the person turns them on
    reminder_time: str = "18:00"  # local time of day, "HH:MM"
    lsl_enabled: bool = False  # publish the live samples and markers on LSL (docs/lsl.md)
    lsl_scope: str = "machine"  # "machine" (this computer only) or "network" (liblsl's config)

    @property
    def manual_line(self) -> float | None:
        """The line to apply at start: a value only when it was set by hand."""
        return self.relax_line_uv if self.relax_line_manual else None

    def geometry_bytes(self) -> bytes:
        try:
            return base64.b64decode(self.window_geometry.encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return b""

    def set_geometry_bytes(self, data: bytes) -> None:
        self.window_geometry = base64.b64encode(bytes(data)).decode("ascii")


def load_preferences(path: Path | None = None) -> tuple[Preferences, str]:
    """The saved preferences and a warning ("" when none): defaults on any problem."""
    path = path or settings_file()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Preferences(), ""
    except OSError as exc:
        return _defaults_with_warning(f"could not read {path}: {exc.strerror or exc}")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return _defaults_with_warning(f"{path} is not valid JSON ({exc.msg})")
    if not isinstance(data, dict):
        return _defaults_with_warning(f"{path} does not hold settings")
    prefs, bad = _from_dict(data)
    if bad:
        names = ", ".join(bad)
        message = f"ignored unusable settings in {path}: {names} (defaults used)"
        log.warning(message)
        return prefs, message
    return prefs, ""


def save_preferences(prefs: Preferences, path: Path | None = None) -> Path:
    """Write ``prefs`` atomically, readable by its owner only. Raises OSError."""
    path = path or settings_file()
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    text = json.dumps({"version": VERSION, **asdict(prefs)}, indent=2, sort_keys=True)
    fd = open_private(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def keep_preferences(prefs: Preferences) -> bool:
    """Save ``prefs``, logging a failure instead of raising: settings are a convenience a
    window keeps on the way, never a reason to interrupt a session. True when saved."""
    try:
        save_preferences(prefs)
    except OSError as exc:
        log.warning("could not save the settings: %s", exc)
        return False
    return True


def _defaults_with_warning(message: str) -> tuple[Preferences, str]:
    message = f"settings not loaded: {message}; using the defaults"
    log.warning(message)
    return Preferences(), message


def _from_dict(data: dict[str, Any]) -> tuple[Preferences, list[str]]:
    prefs = Preferences()
    bad: list[str] = []
    for f in fields(Preferences):
        if f.name not in data:
            continue
        value = data[f.name]
        if _valid(f.name, value):
            setattr(prefs, f.name, float(value) if isinstance(value, int | float)
                    and not isinstance(value, bool) and f.name not in _STRINGS else value)
        else:
            bad.append(f.name)
    if (prefs.pacer_inhale_s is None) != (prefs.pacer_exhale_s is None):
        prefs.pacer_inhale_s = prefs.pacer_exhale_s = None
        bad.append("pacer_inhale_s")
    if prefs.relax_line_manual and prefs.relax_line_uv is None:
        prefs.relax_line_manual = False
        bad.append("relax_line_manual")
    return prefs, bad


def _valid(name: str, value: Any) -> bool:
    if name in ("last_source", "window_geometry"):
        return isinstance(value, str) and len(value) < 100_000
    if name == "lsl_scope":
        return value in ("machine", "network")
    if name in ("relax_line_manual", "patient_view", "tone_on", "tone_muted",
                "tone_silent_below", "reminders_on", "lsl_enabled"):
        return isinstance(value, bool)
    if name == "start_mode":
        return value in START_MODES
    if name == "reminder_time":
        return isinstance(value, str) and parse_hhmm(value) is not None
    if name == "tone_volume":
        return _number(value) and 0.0 <= value <= 1.0
    if name in ("pacer_inhale_s", "pacer_exhale_s"):
        return value is None or (_number(value) and 1.0 <= value <= 20.0)
    if name == "relax_line_uv":
        return value is None or (_number(value) and math.isfinite(value) and 0 < value < 10_000)
    if name == "notch_hz":
        return value is None or (_number(value) and float(value) in (50.0, 60.0))
    return False


def parse_hhmm(text: str) -> tuple[int, int] | None:
    """``"18:30"`` → ``(18, 30)``; None when it is not a time of day."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        return None
    h, m = int(parts[0]), int(parts[1])
    return (h, m) if 0 <= h < 24 and 0 <= m < 60 else None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


__all__ = ["NOTCH_CHOICES", "START_MODES", "Preferences", "keep_preferences", "load_preferences",
           "parse_hhmm", "save_preferences"]
