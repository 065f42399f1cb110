"""Publish a live source on the Lab Streaming Layer (LSL): raw EMG, pressure and markers.

Research groups record and analyse biosignals with their own LSL tools (LabRecorder, MNE-LSL,
their own inlets). :class:`LslOutlet` is a sink of the live session (it receives exactly the
blocks the recorder receives): one LSL stream per source stream (``emg``, ``pressure``) with the
**raw** samples in each channel's physical unit as float64, and one ``Markers`` stream with the
annotations the recording gets (number-key markers, contractions, guided-session steps, gaps,
annotations of a replayed file). Channel names, units, the device's serial number and
firmware are in each stream's metadata (``desc``). See ``docs/lsl.md``.

Off by default: nothing here is imported, and no socket is opened, until a user switches it on
(window setting or ``biofeedback lsl``). liblsl itself (shipped inside the ``pylsl`` wheel) is
loaded lazily, so a machine without it only fails when LSL is asked for, with one line.

**Timestamps** are on LSL's ``local_clock()`` (``CLOCK_MONOTONIC`` on Linux, the clock behind
``time.monotonic()``), one mapping per run, from the absolute sample index (never from when a
block happened to arrive), so the spacing is exactly ``1/fs`` and a gap stays a jump:

* a sensor (``serial``): blocks carry the host time of their first sample, already mapped from
  the device clock with drift correction (``devices/clock_map.py``);
  ``t(i) = t0 + (i - first_index) / fs + (local_clock − monotonic)`` (the last term is measured
  once; it is 0 on Linux);
* simulated data and replay (a sample clock of their own): the first block's last sample is
  "now", ``t(i) = i / fs + offset``, the same offset for every stream, so EMG, pressure and
  markers line up; a fast or paused replay therefore runs ahead of or behind the wall clock.

Markers are stamped on the same mapping (their onset on the sample clock), so they line up
with the samples they mark even when an annotation (a finished contraction) is published later.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from biofeedback.streams import EventKind, SampleBlock, SourceEvent, SourceInfo

SCOPES = ("machine", "network")
#: Discovery on this computer only (the default when switched on): queries and answers on
#: 127.0.0.1, multicast TTL 0, IPv4 only. liblsl still binds its data ports on every interface
#: (docs/lsl.md says what that means); this stops the streams being announced on the network.
MACHINE_CONFIG = """\
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
[lab]
KnownPeers = {127.0.0.1}
[log]
level = -2
"""
STREAM_TYPES = {"emg": "EMG", "pressure": "Pressure"}
UNITS = {"uV": "microvolts"}  # XDF's spelling; other units as the app has them (cmH2O)

_configured: str | None = None
_config_lock = threading.Lock()


class LslError(RuntimeError):
    """LSL could not be used: one line a person can act on."""


def load_pylsl() -> Any:
    """The pylsl module (loads liblsl), or :class:`LslError` saying what is missing."""
    try:
        import pylsl
    except (ImportError, OSError, RuntimeError) as exc:
        raise LslError(f"LSL is not available ({exc}): install it with 'pip install pylsl'") from None
    return pylsl


def configure(scope: str = "machine") -> Any:
    """Configure liblsl for ``scope`` once per process (before the first outlet); returns pylsl.

    ``machine``: :data:`MACHINE_CONFIG`, which takes precedence over any ``lsl_api.cfg``;
    ``network``: liblsl's own configuration (``$LSLAPICFG``, ``./lsl_api.cfg``,
    ``~/lsl_api/lsl_api.cfg``, ``/etc/lsl_api/lsl_api.cfg``, else its defaults: site-wide
    multicast). liblsl reads its configuration once, so another scope needs a restart.
    """
    global _configured
    if scope not in SCOPES:
        raise LslError(f"unknown LSL scope {scope!r}: use one of {', '.join(SCOPES)}")
    pylsl = load_pylsl()
    with _config_lock:
        if _configured is None:
            if scope == "machine":
                pylsl.set_config_content(MACHINE_CONFIG)
            _configured = scope
        elif _configured != scope:
            raise LslError(f"LSL is already set up for the {_configured} scope in this run: "
                           f"restart the app to publish to the {scope} scope")
    return pylsl


class SampleClock:
    """Absolute sample index → LSL seconds, one consistent mapping per run (module docstring)."""

    def __init__(self, host_mapped: bool, now: Callable[[], float],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.host_mapped = host_mapped
        self._now = now
        self._mono_to_lsl = now() - monotonic() if host_mapped else 0.0
        self._offset: float | None = None  # stream clocks: LSL seconds at stream second 0
        self._anchors: dict[str, tuple[int, float]] = {}  # host clocks: (index, LSL s) per stream

    def observe(self, block: SampleBlock) -> None:
        """Take the mapping from a block (before its samples are stamped)."""
        if self.host_mapped:
            self._anchors[block.stream] = (block.first_index, block.t0 + self._mono_to_lsl)
        elif self._offset is None:
            self._offset = self._now() - (block.end_index - 1) / block.fs

    def at(self, stream: str, index: float, fs: float) -> float:
        """LSL time of sample ``index`` of ``stream`` (now, before the first block)."""
        if self.host_mapped:
            anchor = self._anchors.get(stream)
            if anchor is None:
                return self._now()
            return anchor[1] + (index - anchor[0]) / fs
        if self._offset is None:
            return self._now()
        return index / fs + self._offset


@dataclass(frozen=True)
class PublishedStream:
    """What a lab tool sees: an LSL stream of ours."""

    name: str
    type: str
    source_id: str
    channels: tuple[str, ...]
    rate_hz: float  # 0: irregular (markers)


class LslOutlet:
    """A live-session sink publishing one source as LSL streams (see the module docstring).

    Never raises from the acquisition thread: a failure stops publishing and is kept in
    :attr:`problem` (the live session shows it), the live view and a recording go on.
    """

    def __init__(self, info: SourceInfo, *, scope: str = "machine",
                 until_s: float | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        pylsl = configure(scope)
        self.info = info
        self.scope = scope
        self.until_s = until_s  # publish samples before this second of the sample clock only
        self.problem = ""
        self._lock = threading.Lock()
        self._fs = {s.name: s.fs for s in info.streams}
        self._emg = "emg" if "emg" in self._fs else info.streams[0].name
        self.clock = SampleClock(info.kind == "serial", pylsl.local_clock, monotonic)
        ident = _identity(info)
        self.streams: list[PublishedStream] = []
        self._outlets: dict[str, Any] = {}
        try:
            for s in info.streams:
                kind = STREAM_TYPES.get(s.name, s.name.capitalize())
                lsl_info = pylsl.StreamInfo(f"Biofeedback {s.name}", kind, len(s.channels), s.fs,
                                            pylsl.cf_double64, f"{ident}-{s.name}")
                _describe(lsl_info, info, s.channels)
                self._outlets[s.name] = pylsl.StreamOutlet(lsl_info)
                self.streams.append(PublishedStream(lsl_info.name(), kind, lsl_info.source_id(),
                                                    tuple(c.name for c in s.channels), s.fs))
            lsl_info = pylsl.StreamInfo("Biofeedback markers", "Markers", 1, pylsl.IRREGULAR_RATE,
                                        pylsl.cf_string, f"{ident}-markers")
            _describe(lsl_info, info, ())
            lsl_info.desc().append_child("channels").append_child("channel") \
                .append_child_value("label", "annotation").append_child_value("type", "Marker")
            self._markers = pylsl.StreamOutlet(lsl_info)
            self.streams.append(PublishedStream(lsl_info.name(), "Markers",
                                                lsl_info.source_id(), ("annotation",), 0.0))
        except Exception as exc:  # liblsl says why (no port free...): one line, nothing left open
            self._outlets.clear()
            raise LslError(f"could not open the LSL streams: {exc}") from None

    # -- BlockConsumer (acquisition thread) -----------------------------------------------
    def on_block(self, block: SampleBlock) -> None:
        with self._lock:
            outlet = self._outlets.get(block.stream)
            if outlet is None or self.problem or block.n_samples == 0:
                return
            data, end = block.data, block.end_index
            if self.until_s is not None:
                end = min(end, math.ceil(self.until_s * block.fs - 1e-9))
                data = data[:max(0, end - block.first_index)]
                if not len(data):
                    return
            try:
                self.clock.observe(block)
                outlet.push_chunk(data, self.clock.at(block.stream, end - 1, block.fs))
            except Exception as exc:
                self._fail(exc)

    def on_event(self, event: SourceEvent) -> None:
        d = event.detail
        if event.kind is EventKind.ANNOTATION:  # a replayed file's own annotations
            onset = d.get("time_s", d.get("onset_s"))
            self.add_annotation(None if onset is None else float(onset),
                                float(d.get("duration_s", 0.0)), str(d.get("text", event.message)))
        elif event.kind is EventKind.GAP and "first_index" in d:
            stream = str(d.get("stream", self._emg))
            fs = self._fs.get(stream)
            if fs:
                self._push_marker(f"gap:{stream}", self.clock.at(stream, int(d["first_index"]), fs))

    # -- annotations (any thread) ---------------------------------------------------------
    def add_annotation(self, onset_s: float | None, duration_s: float, text: str) -> None:
        """``onset_s`` on the sample clock (``None`` = now), as the recorder takes them."""
        fs = self._fs[self._emg]
        stamp = (self.clock.at(self._emg, round(onset_s * fs), fs) if onset_s is not None
                 else None)
        if duration_s and math.isfinite(duration_s) and duration_s > 0:
            text = f"{text};duration_s={duration_s:.3f}"
        self._push_marker(text, stamp)

    def _push_marker(self, text: str, stamp: float | None) -> None:
        with self._lock:
            if not self._outlets or self.problem:
                return
            try:
                self._markers.push_sample([text], stamp if stamp is not None else 0.0)
            except Exception as exc:
                self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        self.problem = (f"Streaming to LSL stopped ({exc}); the session and any recording "
                        f"go on. Switch LSL off and on to try again.")

    def close(self) -> None:
        """Withdraw the streams (inlets see them go); idempotent."""
        with self._lock:
            self._outlets.clear()
            self.__dict__.pop("_markers", None)


def _identity(info: SourceInfo) -> str:
    """A source_id stable across restarts (LSL inlets reconnect to the same id)."""
    ident = info.serial_number or info.name
    return "biofeedback-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in ident)


def _describe(lsl_info: Any, info: SourceInfo, channels: tuple) -> None:
    desc = lsl_info.desc()
    if channels:
        chans = desc.append_child("channels")
        for ch in channels:
            c = chans.append_child("channel")
            c.append_child_value("label", ch.name)
            c.append_child_value("unit", UNITS.get(ch.unit, ch.unit))
            c.append_child_value("type", str(ch.kind).upper())
            c.append_child_value("description", ch.display_label)
    acq = desc.append_child("acquisition")
    acq.append_child_value("manufacturer", "biofeedback")
    acq.append_child_value("model", info.name)
    acq.append_child_value("serial_number", info.serial_number)
    acq.append_child_value("firmware", info.firmware)
    acq.append_child_value("source_kind", info.kind)
    acq.append_child_value("simulated", "true" if info.kind == "simulated" else "false")
    desc.append_child_value("timestamps", "local_clock; sample index mapped, see docs/lsl.md")


def outlet_factory(scope: str = "machine",
                   until_s: float | None = None) -> Callable[[SourceInfo], LslOutlet]:
    """What :meth:`LiveSession.add_subscriber` takes: a new outlet for every started source."""
    configure(scope)  # fail now, in the caller's words, rather than at the next start

    def make(info: SourceInfo) -> LslOutlet:
        return LslOutlet(info, scope=scope, until_s=until_s)

    return make


__all__ = ["MACHINE_CONFIG", "SCOPES", "LslError", "LslOutlet", "PublishedStream", "SampleClock",
           "configure", "load_pylsl", "outlet_factory"]
