"""The app's crash-safe recording journal (``.bfrec``): encoding, decoding and loading.

A journal is one append-only file: an 8-byte magic, then self-delimiting records

    sync b"\\xb5\\x52" | type (1 byte) | payload length (u32 LE) | payload | crc32 (u32 LE)

where the CRC covers type, length and payload. A write torn by a crash, a power cut or a full
disk leaves at most one incomplete record at the end; :func:`scan` stops at the first record
that is incomplete or fails its CRC and reports how many bytes it dropped, so everything before
it is trusted and nothing after it is guessed. Record types:

* ``H`` header (JSON): source, streams and channels, patient code, settings, start time, target;
* ``B`` block: stream number (u16), first sample index in the file (u64), flags (u32),
  samples (u32), channels (u16), then float64 little-endian samples ``(n, channels)``;
* ``A`` annotation (JSON ``{"onset": s, "duration": s, "text": ...}``);
* ``S`` settings changed (JSON);
* ``E`` end (JSON): the recording was stopped cleanly.
"""

from __future__ import annotations

import datetime
import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.formats.limits import (
    MAX_VALUES,
    check_annotation,
    check_duration,
    check_regular_file,
    check_values,
)
from biofeedback.formats.schema import check_extras, parse_streams
from biofeedback.formats.vocabulary import gap as gap_text
from biofeedback.streams import Annotation, SignalSet, StreamInfo

MAGIC = b"BFREC\x00\x01\n"
SYNC = b"\xb5\x52"
_HEAD = struct.Struct("<2scI")  # sync, type, payload length
_BLOCK = struct.Struct("<HQIIH")  # stream no, first index, flags, n samples, n channels
MAX_PAYLOAD = 32 * 1024 * 1024
MAX_SAMPLES = MAX_VALUES  # values assembled into memory at most (3.2 GB as float64)
HEADER, BLOCK, ANNOTATION, SETTINGS, END = b"H", b"B", b"A", b"S", b"E"
_TYPES = {HEADER, BLOCK, ANNOTATION, SETTINGS, END}


def encode_record(kind: bytes, payload: bytes) -> bytes:
    head = _HEAD.pack(SYNC, kind, len(payload))
    crc = zlib.crc32(payload, zlib.crc32(head[2:]))
    return head + payload + struct.pack("<I", crc)


def encode_json(kind: bytes, obj: Any) -> bytes:
    return encode_record(kind, json.dumps(obj, separators=(",", ":"), allow_nan=False).encode())


def encode_block(stream_no: int, first_index: int, flags: int, data: np.ndarray) -> bytes:
    data = np.ascontiguousarray(data, dtype="<f8")
    n, nch = data.shape
    return encode_record(BLOCK, _BLOCK.pack(stream_no, first_index, int(flags), n, nch)
                         + data.tobytes())


def header_payload(streams: tuple[StreamInfo, ...], **fields: Any) -> dict[str, Any]:
    """The JSON of an ``H`` record: stream layout plus whatever the recorder knows."""
    return {
        "version": 1,
        "streams": [
            {"name": s.name, "fs": s.fs,
             "channels": [{"name": c.name, "kind": str(c.kind), "unit": c.unit, "label": c.label,
                           "physical_min": c.physical_min, "physical_max": c.physical_max,
                           "resolution": c.resolution} for c in s.channels]}
            for s in streams
        ],
        **fields,
    }


@dataclass
class Record:
    kind: bytes
    offset: int
    payload: bytes


@dataclass
class ScanResult:
    """Everything readable in a journal, and what had to be dropped at its end."""

    header: dict[str, Any]
    streams: tuple[StreamInfo, ...]
    blocks: list[tuple[int, int, int, np.ndarray]] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    ended: dict[str, Any] | None = None  # the E record, when the recording stopped cleanly
    valid_bytes: int = 0
    dropped_bytes: int = 0
    drop_reason: str = ""


def iter_records(buf: bytes | memoryview, start: int = len(MAGIC)) -> Iterator[Record | str]:
    """Yield records from ``buf``; a final ``str`` says why reading stopped early (torn tail)."""
    pos, end = start, len(buf)
    while pos < end:
        if end - pos < _HEAD.size + 4:
            yield f"incomplete record at byte {pos}"
            return
        sync, kind, length = _HEAD.unpack_from(buf, pos)
        if sync != SYNC or kind not in _TYPES:
            yield f"damaged record at byte {pos}"
            return
        if length > MAX_PAYLOAD:
            yield f"implausible record length {length} at byte {pos}"
            return
        stop = pos + _HEAD.size + length
        if stop + 4 > end:
            yield f"incomplete record at byte {pos}"
            return
        (crc,) = struct.unpack_from("<I", buf, stop)
        payload = bytes(buf[pos + _HEAD.size:stop])
        if zlib.crc32(payload, zlib.crc32(bytes(buf[pos + 2:pos + _HEAD.size]))) != crc:
            yield f"checksum mismatch at byte {pos}"
            return
        yield Record(kind, pos, payload)
        pos = stop + 4


def scan(path: Path | str) -> ScanResult:
    """Read a journal, keeping every intact record; raise :class:`FormatError` if none is usable."""
    path = Path(path)
    check_regular_file(path)
    try:
        buf = path.read_bytes()
    except MemoryError:
        raise FormatError(path, "not enough memory to read it") from None
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    if len(buf) < len(MAGIC) or buf[: len(MAGIC)] != MAGIC:
        raise FormatError(f"{path}: wrong header: not a biofeedback recording journal")
    result: ScanResult | None = None
    valid = len(MAGIC)
    reason = ""
    for rec in iter_records(buf):
        if isinstance(rec, str):
            reason = rec
            break
        if result is None:
            if rec.kind != HEADER:
                raise FormatError(f"{path}: wrong header: journal does not start with a header")
            header = check_extras(path, _json(path, rec))
            result = ScanResult(header, _streams(path, header))
            result.settings = dict(header.get("settings") or {})
        else:
            _apply(path, result, rec)
        valid = rec.offset + _HEAD.size + len(rec.payload) + 4
    if result is None:
        raise FormatError(f"{path}: truncated: no complete header record ({reason or 'empty'})")
    result.valid_bytes = valid
    result.dropped_bytes = len(buf) - valid
    result.drop_reason = reason
    return result


def read_header(path: Path | str) -> dict[str, Any]:
    """The journal's header record alone: listing unfinished recordings must not read (or
    hold) hours of samples. Same checks and messages as :func:`scan` for the header."""
    path = Path(path)
    check_regular_file(path)
    try:
        with path.open("rb") as f:
            buf = f.read(len(MAGIC) + _HEAD.size)
            if len(buf) == len(MAGIC) + _HEAD.size and buf[:len(MAGIC)] == MAGIC:
                (length,) = struct.unpack_from("<I", buf, len(MAGIC) + 3)
                buf += f.read(min(length, MAX_PAYLOAD + 1) + 4)
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    if len(buf) < len(MAGIC) or buf[: len(MAGIC)] != MAGIC:
        raise FormatError(f"{path}: wrong header: not a biofeedback recording journal")
    rec = next(iter_records(buf), "empty")
    if isinstance(rec, str):
        raise FormatError(f"{path}: truncated: no complete header record ({rec})")
    if rec.kind != HEADER:
        raise FormatError(f"{path}: wrong header: journal does not start with a header")
    return check_extras(path, _json(path, rec))


def _json(path: Path, rec: Record, constants: bool = False) -> dict[str, Any]:
    """The record's JSON object; NaN/Infinity only where ``constants`` (annotations, which
    are then refused by the annotation rule with a clear reason)."""
    try:
        obj = json.loads(rec.payload, parse_constant=None if constants else _no_constant)
    except (ValueError, RecursionError):
        raise FormatError(f"{path}: damaged {rec.kind.decode()} record at byte {rec.offset}") \
            from None
    if not isinstance(obj, dict):
        raise FormatError(f"{path}: damaged {rec.kind.decode()} record at byte {rec.offset}")
    return obj


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _streams(path: Path, header: dict[str, Any]) -> tuple[StreamInfo, ...]:
    return tuple(s for s, _ in parse_streams(path, header.get("streams")))


def _apply(path: Path, result: ScanResult, rec: Record) -> None:
    if rec.kind == BLOCK:
        if len(rec.payload) < _BLOCK.size:
            raise FormatError(f"{path}: damaged block at byte {rec.offset}")
        stream_no, first, flags, n, nch = _BLOCK.unpack_from(rec.payload)
        if stream_no >= len(result.streams):
            raise FormatError(f"{path}: unknown channel: block for stream #{stream_no} at byte "
                              f"{rec.offset}")
        if nch != len(result.streams[stream_no].channels) or \
                len(rec.payload) != _BLOCK.size + 8 * n * nch:
            raise FormatError(f"{path}: damaged block at byte {rec.offset} (size mismatch)")
        data = np.frombuffer(rec.payload, "<f8", n * nch, _BLOCK.size).reshape(n, nch)
        result.blocks.append((stream_no, first, flags, data))
    elif rec.kind == ANNOTATION:
        a = _json(path, rec, constants=True)
        where = f"annotation at byte {rec.offset}"
        text, onset, duration = a.get("text"), a.get("onset"), a.get("duration", 0.0)
        if not isinstance(text, str):
            raise FormatError(path, f"{where}: 'text' must be text")
        check_annotation(path, where, onset, duration)
        result.annotations.append(Annotation(float(onset), float(duration), text))  # type: ignore[arg-type]
    elif rec.kind == SETTINGS:
        result.settings = _json(path, rec)
    elif rec.kind == END:
        result.ended = _json(path, rec)
    elif rec.kind == HEADER:
        raise FormatError(f"{path}: damaged journal: second header at byte {rec.offset}")


def to_signal_set(scan_result: ScanResult, path: Path | str = "") -> SignalSet:
    """Assemble the journal's blocks into continuous arrays.

    Missing sample ranges (device gaps) are filled with 0 and annotated ``gap:<stream>``;
    NaN/inf samples are treated the same way. Overlapping blocks (never written by the
    recorder) keep the later copy.
    """
    r = scan_result
    lengths = [0] * len(r.streams)
    for no, first, _, data in r.blocks:
        lengths[no] = max(lengths[no], first + len(data))
    total = sum(n * len(s.channels) for n, s in zip(lengths, r.streams, strict=True))
    check_values(path, total)
    for n, s in zip(lengths, r.streams, strict=True):
        check_duration(path, n / s.fs)
    data = {s.name: np.zeros((n, len(s.channels))) for s, n in zip(r.streams, lengths, strict=True)}
    have = [np.zeros(n, dtype=bool) for n in lengths]
    for no, first, _, block in r.blocks:
        data[r.streams[no].name][first:first + len(block)] = block
        have[no][first:first + len(block)] = True
    annotations = list(r.annotations)
    for s, arr, ok in zip(r.streams, data.values(), have, strict=True):
        bad = ~np.isfinite(arr).all(axis=1)
        arr[bad] = 0.0
        ok &= ~bad
        for lo, hi in _runs(~ok):
            annotations.append(Annotation(lo / s.fs, (hi - lo) / s.fs, gap_text(s.name)))
    annotations = sorted(set(annotations), key=lambda a: (a.onset_s, a.text))
    start = None
    if r.header.get("start_time"):
        try:
            start = datetime.datetime.fromisoformat(r.header["start_time"])
        except (TypeError, ValueError):
            start = None
    meta: dict[str, Any] = {
        k: r.header[k] for k in ("source", "software", "recording_id") if k in r.header
    }
    meta["settings"] = r.settings
    meta["format"] = "bfrec"
    meta["file"] = str(path)
    meta["journal"] = {"clean_end": r.ended is not None, "dropped_bytes": r.dropped_bytes,
                       "drop_reason": r.drop_reason}
    code = r.header.get("patient_code", "")
    return SignalSet(r.streams, data, annotations, start, code if isinstance(code, str) else "",
                     meta)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` index ranges where ``mask`` is true."""
    if not mask.any():
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(),
                    strict=True))


def read_bfrec(path: Path | str) -> SignalSet:
    """Load a journal (finished or not) as a :class:`SignalSet`."""
    return to_signal_set(scan(path), path)
