"""Check every EDF/BDF header field against the format's rules and the file size, before reading.

EDF (Kemp 1992, EDF+ 2003) and BDF (BioSemi) headers are fixed-width ASCII: 256 bytes, then 256
bytes per signal. :func:`check_header` reads only those bytes and refuses, with one line naming
the field, anything a reader would otherwise turn into a hang, a huge allocation, a traceback or
silently wrong values: non-numbers, NaN/inf, negative or absurd counts, a record duration that is
not a positive number, digital limits outside the 16/24-bit range, equal physical limits, sample
rates and durations outside :mod:`~biofeedback.formats.limits`, a size that does not match.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from biofeedback.formats.errors import FormatError, describe_os_error, number
from biofeedback.formats.limits import (
    MAX_DURATION_S,
    MAX_VALUES,
    check_rate,
    check_regular_file,
)

DIGITAL_RANGE = {"EDF": (-32768, 32767), "BDF": (-8388608, 8388607)}
MAX_SIGNALS = 4096
MAX_RECORD_S = 3600.0
# widths of the per-signal fields, in header order
_SIGNAL_FIELDS = (("label", 16), ("transducer", 80), ("physical dimension", 8),
                  ("physical minimum", 8), ("physical maximum", 8), ("digital minimum", 8),
                  ("digital maximum", 8), ("prefiltering", 80), ("samples per record", 8),
                  ("reserved", 32))


@dataclass(frozen=True)
class SignalHeader:
    label: str
    samples_per_record: int
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    annotation: bool


@dataclass(frozen=True)
class Header:
    fmt: str  # "EDF" or "BDF"
    plus: bool  # EDF+/BDF+ (reserved field starts with EDF+/BDF+)
    n_records: int
    record_s: float
    signals: tuple[SignalHeader, ...]

    @property
    def duration_s(self) -> float:
        return self.n_records * self.record_s


def _text(raw: bytes) -> str:
    return raw.decode("ascii", "replace").strip()


def _int(path: Path, raw: bytes, what: str) -> int:
    text = _text(raw)
    if not text:
        raise FormatError(path, f"wrong header: the {what} field is empty")
    try:
        return int(text)
    except ValueError:
        raise FormatError(path, f"wrong header: the {what} field {text[:8]!r} is not a whole "
                                "number") from None


def _float(path: Path, raw: bytes, what: str) -> float:
    text = _text(raw)
    if not text:
        raise FormatError(path, f"wrong header: the {what} field is empty")
    try:
        v = float(text)
    except ValueError:
        raise FormatError(path, f"wrong header: the {what} field {text[:8]!r} is not a "
                                "number") from None
    if not math.isfinite(v):
        raise FormatError(path, f"wrong header: the {what} field {text[:8]!r} is not a finite "
                                "number")
    return v


def check_header(path: Path) -> Header:
    """Validate the whole header of ``path`` against the format and its size; see module doc."""
    size = check_regular_file(path)
    try:
        with path.open("rb") as f:
            head = f.read(256)
            if len(head) < 256:
                raise FormatError(path, f"truncated: {size} bytes, shorter than an EDF header "
                                        "(256)")
            version = head[:8]
            if version == b"0       ":
                fmt, width = "EDF", 2
            elif version == b"\xffBIOSEMI":
                fmt, width = "BDF", 3
            else:
                raise FormatError(path, "wrong header: not an EDF or BDF file (bad version "
                                        "field)")
            ns = _int(path, head[252:256], "number of signals")
            if not 1 <= ns <= MAX_SIGNALS:
                raise FormatError(path, f"wrong header: {number(ns)} signals (1 to "
                                        f"{MAX_SIGNALS} allowed)")
            header_bytes = _int(path, head[184:192], "header size")
            if header_bytes != 256 * (ns + 1):
                raise FormatError(path, f"wrong header: header size {number(header_bytes)} "
                                        f"does not match {ns} signals ({256 * (ns + 1)})")
            sig_head = f.read(256 * ns)
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    if len(sig_head) < 256 * ns:
        raise FormatError(path, "truncated inside the signal headers")
    reserved = _text(head[192:236])
    plus = reserved.startswith(f"{fmt}+")
    if reserved.startswith(("EDF+D", "BDF+D")):
        raise FormatError(path, "discontinuous EDF+D/BDF+D files are not supported")
    n_records = _int(path, head[236:244], "number of data records")
    if n_records == -1:
        raise FormatError(path, "unfinished: the header says the recording never completed "
                                "(-1 records); recover it from its journal instead")
    if n_records < 0:
        raise FormatError(path, f"wrong header: {number(n_records)} data records")
    record_s = _float(path, head[244:252], "data record duration")
    if record_s <= 0:
        raise FormatError(path, f"wrong header: data record duration {number(record_s)} s is "
                                "not a positive number of seconds")
    if record_s > MAX_RECORD_S:
        raise FormatError(path, f"wrong header: data record duration {number(record_s)} s is "
                                f"longer than {MAX_RECORD_S:g} s")
    if n_records * record_s > MAX_DURATION_S:
        raise FormatError(path, f"too long: {n_records} records of {number(record_s)} s "
                                f"(limit {MAX_DURATION_S / 3600:g} h)")
    fields: dict[str, list[bytes]] = {}
    off = 0
    for name, w in _SIGNAL_FIELDS:
        fields[name] = [sig_head[off + w * i: off + w * (i + 1)] for i in range(ns)]
        off += w * ns
    lo_d, hi_d = DIGITAL_RANGE[fmt]
    signals = []
    for i in range(ns):
        label = _text(fields["label"][i])
        what = f"signal {i + 1} ({label[:16]!r})"
        annotation = plus and label == f"{fmt} Annotations"
        spr = _int(path, fields["samples per record"][i], f"{what} samples per record")
        if spr < 1:
            raise FormatError(path, f"wrong header: {what} has {number(spr)} samples per "
                                    "record")
        pmin = _float(path, fields["physical minimum"][i], f"{what} physical minimum")
        pmax = _float(path, fields["physical maximum"][i], f"{what} physical maximum")
        dmin = _int(path, fields["digital minimum"][i], f"{what} digital minimum")
        dmax = _int(path, fields["digital maximum"][i], f"{what} digital maximum")
        for name, d in (("digital minimum", dmin), ("digital maximum", dmax)):
            if not lo_d <= d <= hi_d:
                bits = 16 if fmt == "EDF" else 24
                raise FormatError(path, f"wrong header: {what} {name} {number(d)} is outside "
                                        f"{fmt}'s {bits}-bit range ({lo_d}..{hi_d})")
        if dmin >= dmax:
            raise FormatError(path, f"wrong header: {what} digital minimum {dmin} is not below "
                                    f"its maximum {dmax}")
        if not annotation:
            if pmin == pmax or not math.isfinite(pmax - pmin):
                raise FormatError(path, f"wrong header: {what} physical range {number(pmin)}.."
                                        f"{number(pmax)} is unusable")
            check_rate(path, what, spr / record_s)
        signals.append(SignalHeader(label, spr, pmin, pmax, dmin, dmax, annotation))
    per_record = sum(s.samples_per_record for s in signals)
    values = n_records * sum(s.samples_per_record for s in signals if not s.annotation)
    if values > MAX_VALUES:
        raise FormatError(path, f"too large: header declares {values:,} samples (limit "
                                f"{MAX_VALUES:,})")
    record_bytes = per_record * width
    expected = header_bytes + n_records * record_bytes
    if size < expected:
        have = (size - header_bytes) // record_bytes if size > header_bytes else 0
        raise FormatError(path, f"truncated: header declares {n_records} data records, file "
                                f"holds {max(have, 0)} ({size} of {expected} bytes)")
    if size > expected:
        raise FormatError(path, f"wrong header: {size - expected} bytes more than the header "
                                "declares")
    return Header(fmt, plus, n_records, record_s, tuple(signals))
