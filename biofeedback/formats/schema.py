"""The schema of the stream layout stored in our files (EDF+ metadata block, journal header).

Both hold ``"streams": [{"name", "fs", ["n"], "channels": [{"name", "kind", "unit", "label",
"physical_min", "physical_max", "resolution"}]}]``. :func:`parse_streams` checks every field's
type and value (strings are strings, numbers are finite numbers, names are unique, rates within
:mod:`~biofeedback.formats.limits`) and raises one :class:`FormatError` naming the field, so a
damaged or foreign block never becomes a TypeError, a KeyError or silently swapped channels.
"""

from __future__ import annotations

import math
import re
from typing import Any

from biofeedback.formats.errors import FormatError, number
from biofeedback.formats.limits import MAX_CHANNELS, check_rate
from biofeedback.streams import ChannelInfo, ChannelKind, StreamInfo

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME = 64


def _text(path: Any, where: str, obj: dict[str, Any], key: str, *, required: bool = True,
          name: bool = False) -> str:
    if key not in obj or obj[key] is None:
        if required:
            raise FormatError(path, f"{where}: '{key}' is missing")
        return ""
    v = obj[key]
    if not isinstance(v, str):
        raise FormatError(path, f"{where}: '{key}' must be text, not {_type(v)}")
    if name and (not v.strip() or len(v) > MAX_NAME or _CONTROL.search(v)):
        raise FormatError(path, f"{where}: '{key}' {v[:MAX_NAME]!r} is not a usable name")
    if _CONTROL.search(v) or len(v) > 200:
        raise FormatError(path, f"{where}: '{key}' holds control characters or is too long")
    return v


def _num(path: Any, where: str, obj: dict[str, Any], key: str, default: float | None = None,
         limit: float = 1e15) -> float:
    if key not in obj and default is not None:
        return default
    v = obj.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise FormatError(path, f"{where}: '{key}' must be a number, not {_type(v)}")
    if not math.isfinite(float(v)) or abs(float(v)) > limit:
        raise FormatError(path, f"{where}: '{key}' {number(v)} is not a usable number")
    return float(v)


def _type(v: object) -> str:
    return "null" if v is None else {bool: "true/false", str: "text", list: "a list",
                                     dict: "an object"}.get(type(v), type(v).__name__)


def parse_streams(path: Any, streams: object, *, counts: bool = False
                  ) -> list[tuple[StreamInfo, int | None]]:
    """Validate a stream list; returns ``(StreamInfo, n)`` pairs (``n`` only with ``counts``)."""
    if not isinstance(streams, list) or not streams:
        raise FormatError(path, "damaged metadata: no stream list")
    if len(streams) > MAX_CHANNELS:
        raise FormatError(path, f"damaged metadata: {len(streams)} streams")
    out: list[tuple[StreamInfo, int | None]] = []
    stream_names: set[str] = set()
    channel_names: set[str] = set()
    for k, s in enumerate(streams):
        where = f"metadata stream #{k + 1}"
        if not isinstance(s, dict):
            raise FormatError(path, f"{where} must be an object, not {_type(s)}")
        name = _text(path, where, s, "name", name=True)
        where = f"metadata stream {name!r}"
        if name in stream_names:
            raise FormatError(path, f"metadata: two streams are named {name!r}")
        stream_names.add(name)
        fs = check_rate(path, f"stream {name!r}", s.get("fs"))
        n: int | None = None
        if counts:
            raw = s.get("n")
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                raise FormatError(path, f"{where}: sample count 'n' {number(raw)} is not a "
                                        "whole number >= 0")
            n = raw
        chans = s.get("channels")
        if not isinstance(chans, list) or not chans or len(chans) > MAX_CHANNELS:
            raise FormatError(path, f"{where}: 'channels' must be a non-empty list")
        infos = []
        for c in chans:
            if not isinstance(c, dict):
                raise FormatError(path, f"{where}: a channel must be an object, not {_type(c)}")
            cname = _text(path, where, c, "name", name=True)
            cwhere = f"metadata channel {cname!r}"
            if cname in channel_names:
                raise FormatError(path, f"metadata: two channels are named {cname!r}")
            channel_names.add(cname)
            kind_text = _text(path, cwhere, c, "kind")
            try:
                kind = ChannelKind(kind_text)
            except ValueError:
                raise FormatError(path, f"{cwhere}: unknown kind {kind_text[:20]!r}") from None
            lo = _num(path, cwhere, c, "physical_min", -1e4)
            hi = _num(path, cwhere, c, "physical_max", 1e4)
            res = _num(path, cwhere, c, "resolution", 0.0)
            if res < 0:
                raise FormatError(path, f"{cwhere}: negative resolution")
            infos.append(ChannelInfo(cname, kind, _text(path, cwhere, c, "unit"),
                                     _text(path, cwhere, c, "label", required=False), lo, hi,
                                     res))
        out.append((StreamInfo(name, fs, tuple(infos)), n))
    return out


def check_extras(path: Any, meta: dict[str, Any]) -> dict[str, Any]:
    """Validate the optional fields beside the streams: ``source`` (an object of texts),
    ``settings`` (an object), ``software``, ``patient_code``, ``start_time``, ``target``,
    ``recording_id`` (texts). Returns ``meta``; a wrong type is a FormatError naming the field."""
    source = meta.get("source")
    if source is not None:
        if not isinstance(source, dict):
            raise FormatError(path, f"metadata: 'source' must be an object, not {_type(source)}")
        for key in ("name", "kind", "serial", "firmware"):
            _text(path, "metadata source", source, key, required=False)
    settings = meta.get("settings")
    if settings is not None and not isinstance(settings, dict):
        raise FormatError(path, f"metadata: 'settings' must be an object, not {_type(settings)}")
    for key in ("software", "patient_code", "start_time", "target", "recording_id"):
        v = meta.get(key)
        if v is not None and not isinstance(v, str):
            raise FormatError(path, f"metadata: '{key}' must be text, not {_type(v)}")
        if isinstance(v, str) and (len(v) > 4096 or _CONTROL.search(v)):
            raise FormatError(path, f"metadata: '{key}' holds control characters or is too long")
    return meta
