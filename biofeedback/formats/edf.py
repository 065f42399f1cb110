"""EDF+ and BDF+ files to and from a :class:`~biofeedback.streams.SignalSet`, using edfio.

Why edfio (see ``docs/files.md``): pure Python on numpy, actively maintained, writes EDF+/BDF+
with annotations, and reads lazily; pyEDFlib and MNE read our files independently in the tests.

Layout of a file written here:

* one EDF signal per channel, streams in order (mixed rates are fine: EMG 2 kHz, pressure 100 Hz);
  label ``EMG <name>`` / ``Pres <name>`` / ``<name>``, unit in the physical-dimension field,
  the channel's human label as transducer;
* physical min/max fitted to the data (rounded outward to the 8-character header field), so the
  full 16-bit (EDF) or 24-bit (BDF) digital range covers what was measured: a ±300 µV recording
  is stored in steps of 0.009 µV (EDF) or 0.00004 µV (BDF); see :func:`quantisation_step`;
* 1-s data records; the last record is padded by repeating the last sample, and the true
  sample counts are kept in the metadata block, so our reader returns exactly what was written;
* the pseudonymous patient code in the EDF+ patient field, start date/time in the header;
* annotations in the EDF+ annotation signal, plus a JSON metadata block (streams, sample counts,
  source, processing settings) split into ``biofeedback-meta i/n`` annotations of ≤200 characters
  so it does not inflate every data record.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
import warnings
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import edfio
import numpy as np

from biofeedback.formats.edf_header import DIGITAL_RANGE, check_header
from biofeedback.formats.errors import FormatError, describe_os_error, number, one_line
from biofeedback.formats.limits import (
    MAX_VALUES as MAX_VALUES,
)
from biofeedback.formats.limits import (
    check_annotation,
    check_duration,
    check_rate,
    check_values,
)
from biofeedback.formats.schema import check_extras, parse_streams
from biofeedback.formats.vocabulary import META_PREFIX
from biofeedback.streams import Annotation, ChannelInfo, ChannelKind, SignalSet, StreamInfo

META_CHUNK = 200
PHYSICAL_LIMIT = 99_999_999.0  # the largest number an 8-character header field holds
META_VERSION = 1
_LABEL_PREFIX = {ChannelKind.EMG: "EMG ", ChannelKind.PRESSURE: "Pres "}


def _fail(path: Path | str, problem: str) -> FormatError:
    return FormatError(f"{path}: {problem}")


def quantisation_step(physical_min: float, physical_max: float, fmt: str = "BDF") -> float:
    """Physical size of one digital step for a channel stored with this range in EDF or BDF."""
    lo, hi = DIGITAL_RANGE[fmt]
    return (physical_max - physical_min) / (hi - lo)


def format_for(path: Path | str) -> str:
    """``"EDF"`` or ``"BDF"`` from the file name (``.edf`` / ``.bdf``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".bdf":
        return "BDF"
    if suffix == ".edf":
        return "EDF"
    raise _fail(path, "not an EDF+/BDF+ file name (use .edf or .bdf)")


# -- writing -------------------------------------------------------------------------------
def write_edf(
    signals: SignalSet,
    path: Path | str,
    *,
    fmt: str | None = None,
    overwrite: bool = False,
    settings: Mapping[str, Any] | None = None,
    private: bool = False,
) -> Path:
    """Write ``signals`` as EDF+ (16-bit) or BDF+ (24-bit, default for ``.bdf``) to ``path``.

    The file appears atomically (written to a temporary name, then renamed), so a failure never
    leaves half a file, and an existing file is only replaced when ``overwrite`` is true.
    ``settings`` (processing settings) is stored in the metadata block, as is
    ``signals.metadata``. NaN/inf samples are refused: EDF cannot store missing values.
    The file's mode follows the user's umask, or is 0600 when ``private`` (recordings) or when
    the folder is private (0700).
    """
    path = Path(path)
    counts = {st.name: len(signals.data[st.name]) for st in signals.streams}
    fmt, record_s, n_records = check_layout(path, fmt, overwrite, signals.streams, counts,
                                            signals.annotations)
    edf_signals = []
    for stream in signals.streams:
        data = np.asarray(signals.data[stream.name], dtype=float)
        if data.ndim != 2 or data.shape[1] != len(stream.channels):
            raise _fail(path, f"stream {stream.name!r} data has shape {data.shape}, expected "
                              f"(n, {len(stream.channels)})")
        n_target = int(round(n_records * record_s * stream.fs))
        for i, ch in enumerate(stream.channels):
            col = data[:, i]
            bad = ~np.isfinite(col)
            lo, hi = (float(col.min()), float(col.max())) if len(col) else (0.0, 0.0)
            check_column(path, stream, ch, int(bad.sum()), int(np.argmax(bad)) if len(col) else 0,
                         lo, hi)
            edf_signals.append(_make_signal(col, n_target, stream.fs, ch, fmt))
    edf = build_edf(path, fmt, edf_signals, signals, counts, settings, record_s)
    write_atomically(path, edf.write, overwrite=overwrite, private=private)
    return path


def check_layout(path: Path, fmt: str | None, overwrite: bool, streams: tuple[StreamInfo, ...],
                 counts: Mapping[str, int], annotations: list[Annotation]
                 ) -> tuple[str, float, int]:
    """The checks before any sample is looked at; ``(format, record seconds, records)``."""
    fmt = (fmt or format_for(path)).upper()
    if fmt not in DIGITAL_RANGE:
        raise _fail(path, f"unknown format {fmt!r}; use EDF or BDF")
    if path.exists() and not overwrite:
        raise _fail(path, "already exists; not overwriting it")
    if not streams:
        raise _fail(path, "nothing to write: no streams")
    for s in streams:
        check_rate(path, f"stream {s.name!r}", s.fs)
    names = [s.name for s in streams]
    if len(set(names)) != len(names):
        raise _fail(path, "two streams have the same name")
    record_s = _record_duration(streams, path)
    duration_s = max((counts[s.name] / s.fs for s in streams), default=0.0)
    check_duration(path, duration_s)
    n_records = max(1, math.ceil(round(duration_s / record_s, 9)))
    check_values(path, sum(int(round(n_records * record_s * s.fs)) * len(s.channels)
                           for s in streams))
    for i, a in enumerate(annotations):
        check_annotation(path, f"annotation {i + 1} ({a.text[:30]!r})", a.onset_s, a.duration_s)
    return fmt, record_s, n_records


def check_column(path: Path, stream: StreamInfo, ch: ChannelInfo, n_bad: int, first_bad: int,
                 lo: float, hi: float) -> None:
    """A channel EDF can store: no NaN/inf, values within the 8-character range fields."""
    if n_bad:
        raise _fail(path, f"channel {ch.name!r} has {n_bad} missing (NaN/inf) "
                          f"samples from {first_bad / stream.fs:.3f} s; EDF cannot store them")
    if lo < -PHYSICAL_LIMIT / 10 or hi > PHYSICAL_LIMIT:
        raise _fail(path, f"channel {ch.name!r} has values from {number(lo)} to "
                          f"{number(hi)} {ch.unit}; EDF's 8-character range fields hold "
                          f"{-PHYSICAL_LIMIT / 10:g} to {PHYSICAL_LIMIT:g}")


def build_edf(path: Path, fmt: str, edf_signals: list[Any], signals: Any,
              counts: Mapping[str, int], settings: Mapping[str, Any] | None,
              record_s: float) -> Any:
    """The edfio object: header fields, annotations and the metadata block. ``signals``:
    anything with ``streams``, ``annotations``, ``start_time``, ``patient_code``,
    ``metadata`` (a SignalSet or a chunked reader)."""
    meta = _metadata(signals, counts, settings)
    annotations = [edfio.EdfAnnotation(a.onset_s, a.duration_s or None, _tal_text(a.text))
                   for a in signals.annotations]
    annotations += _meta_annotations(meta, record_s)
    start = signals.start_time if isinstance(signals.start_time, datetime.datetime) else None
    if start is not None and not 1985 <= start.year <= 2084:
        start = None
    cls = edfio.Bdf if fmt == "BDF" else edfio.Edf
    try:
        return cls(
            edf_signals,
            patient=edfio.Patient(code=_field(signals.patient_code) or "X"),
            recording=edfio.Recording(
                startdate=start.date() if start else None,
                equipment_code=_field(str(_source_serial(meta) or "biofeedback")),
            ),
            starttime=start.time().replace(microsecond=0) if start else None,
            data_record_duration=record_s,
            annotations=annotations,
        )
    except ValueError as exc:
        raise _fail(path, f"cannot be written as {fmt}+: {one_line(str(exc), 120)}") from None


def write_atomically(path: Path, write: Any, *, overwrite: bool, private: bool) -> None:
    """``write(tmp)`` into a new temporary file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
    private = private or _in_private_dir(path)
    try:
        # created first with O_EXCL: the mode follows the user's umask (0600 when private);
        # the writer then writes into this file, which keeps its mode
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                         0o600 if private else 0o666))
        write(tmp)
        if private:
            os.chmod(tmp, 0o600)
        if not overwrite and path.exists():
            raise _fail(path, "already exists; not overwriting it")
        os.replace(tmp, path)
    except OSError as exc:
        raise _fail(path, describe_os_error(exc, "it")) from None
    finally:
        tmp.unlink(missing_ok=True)


def _source_serial(meta: dict[str, Any]) -> object:
    source = meta.get("source")
    return source.get("serial") if isinstance(source, dict) else None


def _in_private_dir(path: Path) -> bool:
    try:
        return (path.parent.stat().st_mode & 0o077) == 0
    except OSError:
        return False


def _record_duration(streams: tuple[StreamInfo, ...], path: Path) -> float:
    """Shortest whole number of seconds holding a whole number of samples of every stream."""
    d = 1
    for s in streams:
        if not (s.fs > 0 and math.isfinite(s.fs)):
            raise _fail(path, f"stream {s.name!r} has an invalid sample rate {s.fs!r}")
        d = math.lcm(d, Fraction(s.fs).limit_denominator(1000).denominator)
    if d > 60:
        raise _fail(path, "sample rates need data records longer than 60 s; resample first")
    return float(d)


def _make_signal(col: np.ndarray, n_target: int, fs: float, ch: ChannelInfo, fmt: str) -> Any:
    if len(col) < n_target:  # pad the last record with the last value (true length is in meta)
        fill = col[-1] if len(col) else 0.0
        col = np.concatenate([col, np.full(n_target - len(col), fill)])
    lo, hi = (float(col.min()), float(col.max())) if len(col) else (-1.0, 1.0)
    return edf_signal(col, fs, ch, fmt, lo, hi)


def edf_signal(col: np.ndarray, fs: float, ch: ChannelInfo, fmt: str, lo: float,
               hi: float) -> Any:
    """An edfio signal for ``ch`` with the physical range fitted to ``lo..hi`` (the data's)."""
    if hi - lo < 1e-6 * max(1.0, abs(lo), abs(hi)):  # flat line: any small range will do
        lo, hi = lo - 1.0, hi + 1.0
    cls = edfio.BdfSignal if fmt == "BDF" else edfio.EdfSignal
    return cls(
        col,
        fs,
        label=_edf_label(ch),
        transducer_type=_field(ch.label, 80, keep_spaces=True),
        physical_dimension=_field(ch.unit, 8),
        physical_range=(lo, hi),
        digital_range=DIGITAL_RANGE[fmt],
    )


def _edf_label(ch: ChannelInfo) -> str:
    return (_LABEL_PREFIX.get(ch.kind, "") + ch.name)[:16]


def _field(text: str, limit: int = 80, keep_spaces: bool = False) -> str:
    """ASCII-printable header text; spaces become ``_`` where EDF+ uses spaces as separators."""
    text = text.encode("ascii", "replace").decode().replace("?", "_") if text else ""
    text = re.sub(r"[^\x20-\x7e]", "_", text)
    if not keep_spaces:
        text = text.replace(" ", "_")
    return text[:limit]


def _tal_text(text: str) -> str:
    return re.sub(r"[\x00-\x1f]", " ", text)


def _metadata(signals: Any, counts: Mapping[str, int],
              settings: Mapping[str, Any] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {k: v for k, v in signals.metadata.items() if _jsonable(v)}
    for key in ("format", "file", "resolution", "journal"):  # facts about another file
        meta.pop(key, None)
    meta["v"] = META_VERSION
    meta["streams"] = [
        {
            "name": s.name,
            "fs": s.fs,
            "n": int(counts[s.name]),
            "channels": [
                {"name": c.name, "kind": str(c.kind), "unit": c.unit, "label": c.label,
                 "physical_min": c.physical_min, "physical_max": c.physical_max,
                 "resolution": c.resolution}
                for c in s.channels
            ],
        }
        for s in signals.streams
    ]
    if settings is not None:
        meta["settings"] = dict(settings)
    return meta


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        return False
    return True


def _meta_annotations(meta: dict[str, Any], record_s: float) -> list[edfio.EdfAnnotation]:
    text = json.dumps(meta, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    chunks = [text[i:i + META_CHUNK] for i in range(0, len(text), META_CHUNK)]
    return [edfio.EdfAnnotation(i * record_s, None, f"{META_PREFIX}{i + 1}/{len(chunks)} {c}")
            for i, c in enumerate(chunks)]


# -- reading -------------------------------------------------------------------------------
def read_edf(path: Path | str) -> SignalSet:
    """Read an EDF/EDF+ or BDF/BDF+ file; any problem raises :class:`FormatError` naming it.

    Files written by this module come back exactly (same stream names, sample counts, units,
    annotations, settings). Other EDF files are grouped into streams by sample rate.
    """
    path = Path(path)
    header = check_header(path)
    fmt = header.fmt
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # edfio warns on inconsistent files: refuse them
            edf = edfio.read_bdf(path) if fmt == "BDF" else edfio.read_edf(path)
            if not edf.is_continuous:
                raise _fail(path, f"the data records' start times do not follow each other "
                                  f"every {header.record_s:g} s (a damaged record duration "
                                  "or time-stamp, or a discontinuous file)")
            raw_annotations = list(edf.annotations)
            sigs = [_SignalFacts(s.label, float(s.sampling_frequency), s.physical_dimension,
                                 float(s.physical_min), float(s.physical_max))
                    for s in edf.signals]
            columns = [np.asarray(s.data, dtype=float) for s in edf.signals]
            reserved = edf.reserved
            try:
                start = edf.startdatetime
            except Exception:  # anonymised or unparseable start date: keep the samples
                start = None
            code = edf.patient.code if edf.patient.code not in ("X", "") else ""
    except FormatError:
        raise
    except MemoryError:
        raise _fail(path, "not enough memory to read it") from None
    except Exception as exc:  # edfio raises many types on malformed input; report one line
        raise _fail(path, f"not a readable {fmt} file ({type(exc).__name__} in the "
                          "annotations or samples)") from None
    layout, annotations, extra = describe_file(path, fmt, raw_annotations, sigs, reserved,
                                               [len(c) for c in columns])
    data = {}
    for stream, n, idx in layout:
        data[stream.name] = np.column_stack([columns[i][:n] for i in idx]) if n else \
            np.zeros((0, len(stream.channels)))
        if not np.isfinite(data[stream.name]).all():
            raise _fail(path, f"stream {stream.name!r} has non-finite values (bad calibration "
                              "fields)")
    return SignalSet(tuple(s for s, _, _ in layout), data, annotations, start, code, extra)


def describe_file(path: Path, fmt: str, raw_annotations: list[Any], sigs: list[Any],
                  reserved: str, lengths: list[int]
                  ) -> tuple[list[tuple[StreamInfo, int, list[int]]], list[Annotation],
                             dict[str, Any]]:
    """What an EDF/BDF file holds besides its samples: the stream layout ``(stream, n,
    signal indices)``, the annotations (sorted, metadata removed) and the metadata dict.
    Shared by the whole-file and the chunked reader, so both say the same."""
    meta_chunks, annotations = [], []
    for a in raw_annotations:
        if a.text.startswith(META_PREFIX):
            meta_chunks.append(a.text[len(META_PREFIX):])
        elif a.text or a.duration:
            check_annotation(path, f"annotation {a.text[:30]!r}", a.onset,
                             float(a.duration or 0.0))
            annotations.append(Annotation(float(a.onset), float(a.duration or 0.0), a.text))
    if not sigs:
        raise _fail(path, "has no signals")
    meta = _parse_meta(path, meta_chunks)
    layout = layout_from_meta(path, meta, sigs, lengths) if meta else \
        layout_by_rate(path, sigs, lengths)
    extra = {k: v for k, v in meta.items() if k not in ("v", "streams")}
    extra["format"] = f"{fmt}+" if reserved.startswith(f"{fmt}+") else fmt
    extra["file"] = str(path)
    extra["resolution"] = {
        _channel_name(s, i, meta): quantisation_step(s.physical_min, s.physical_max, fmt)
        for i, s in enumerate(sigs)
    }
    return layout, sorted(annotations, key=lambda a: a.onset_s), extra


class _SignalFacts(NamedTuple):
    """What we use of an edfio signal, read once inside the guarded block."""

    label: str
    sampling_frequency: float
    physical_dimension: str
    physical_min: float
    physical_max: float


def _parse_meta(path: Path, chunks: list[str]) -> dict[str, Any]:
    if not chunks:
        return {}
    parts: dict[int, str] = {}
    totals = set()
    for c in chunks:
        m = re.match(r"(\d{1,6})/(\d{1,6}) ", c)
        if not m:
            raise _fail(path, "damaged metadata annotation")
        parts[int(m.group(1))] = c[m.end():]
        totals.add(int(m.group(2)))
    total = max(totals)
    if len(totals) != 1 or sorted(parts) != list(range(1, total + 1)):
        raise _fail(path, f"metadata incomplete: {len(parts)} of {total} parts")
    try:
        meta = json.loads("".join(parts[i] for i in range(1, total + 1)),
                          parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise _fail(path, "damaged metadata block (not JSON)") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("streams"), list):
        raise _fail(path, "damaged metadata block (no stream list)")
    return check_extras(path, meta)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def layout_from_meta(path: Path, meta: dict[str, Any], sigs: list[Any], lengths: list[int]
                     ) -> list[tuple[StreamInfo, int, list[int]]]:
    """Our files: ``(stream, true sample count, signal indices)`` from the metadata block,
    checked against the header's signals (``lengths``: samples each signal holds)."""
    layout, k = [], 0
    for stream, n in parse_streams(path, meta["streams"], counts=True):
        assert n is not None
        chans = stream.channels
        idx = list(range(k, min(k + len(chans), len(sigs))))
        if len(idx) != len(chans):
            raise _fail(path, "metadata lists more channels than the file has signals")
        for sig, ch in zip(sigs[k:k + len(chans)], chans, strict=True):
            if abs(sig.sampling_frequency - stream.fs) > 1e-6 * stream.fs:
                raise _fail(path, f"channel {ch.name!r}: metadata rate {stream.fs:g} Hz differs "
                                  f"from the header's {sig.sampling_frequency:g} Hz")
            if sig.physical_dimension != _field(ch.unit, 8):
                raise _fail(path, f"channel {ch.name!r}: unit {sig.physical_dimension!r} in "
                                  f"the header, {ch.unit[:8]!r} in the metadata")
            if sig.label.strip() != _edf_label(ch).strip():
                raise _fail(path, f"channel {ch.name!r}: the header's signal there is "
                                  f"{sig.label.strip()!r}, not {_edf_label(ch)!r}")
        if any(lengths[i] < n for i in idx):
            raise _fail(path, f"stream {stream.name!r}: the metadata says {n} samples, the "
                              f"file holds {min(lengths[i] for i in idx)}")
        layout.append((stream, n, idx))
        k += len(chans)
    if k != len(sigs):
        raise _fail(path, f"unknown channel: {len(sigs) - k} signal(s) not in the metadata")
    return layout


def _channel_name(sig: Any, i: int, meta: dict[str, Any]) -> str:
    if meta:
        names = [c["name"] for s in meta["streams"] for c in s["channels"]]
        if i < len(names):
            return str(names[i])
    return _name_from_label(sig.label)


def _name_from_label(label: str) -> str:
    name = re.sub(r"[^0-9a-z]+", "_", label.strip().lower()).strip("_")
    return name or "channel"


def _kind_from(sig: Any) -> ChannelKind:
    label, unit = sig.label.strip().upper(), sig.physical_dimension.strip().lower()
    if label.startswith("EMG"):
        return ChannelKind.EMG
    if label.startswith("PRES") or unit in ("cmh2o", "mmhg", "kpa"):
        return ChannelKind.PRESSURE
    return ChannelKind.OTHER


def layout_by_rate(path: Path, sigs: list[Any], lengths: list[int]
                   ) -> list[tuple[StreamInfo, int, list[int]]]:
    """Foreign files: one stream per sample rate, named after what its channels measure."""
    groups: dict[float, list[int]] = {}
    for i, s in enumerate(sigs):
        groups.setdefault(float(s.sampling_frequency), []).append(i)
    used_names: set[str] = set()
    layout: list[tuple[StreamInfo, int, list[int]]] = []
    names: set[str] = set()
    for fs, idx in groups.items():
        kinds = {_kind_from(sigs[i]) for i in idx}
        base = kinds.pop().value if len(kinds) == 1 else f"fs{fs:g}hz"
        name = base if base not in names else f"{base}_{fs:g}hz"
        names.add(name)
        chans = []
        for i in idx:
            s = sigs[i]
            ch_name = _name_from_label(s.label)
            for prefix in ("emg_", "pres_"):
                if ch_name.startswith(prefix) and len(ch_name) > len(prefix):
                    ch_name = ch_name[len(prefix):]
            while ch_name in used_names:
                ch_name += "_2"
            used_names.add(ch_name)
            chans.append(ChannelInfo(ch_name, _kind_from(s), s.physical_dimension.strip(),
                                     s.label.strip(), float(s.physical_min),
                                     float(s.physical_max)))
        layout.append((StreamInfo(name, fs, tuple(chans)), min(lengths[i] for i in idx), idx))
    return layout
