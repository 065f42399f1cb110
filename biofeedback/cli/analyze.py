"""``biofeedback analyze``: offline analysis of a recording with the live engine.

Reads a project CSV file (``time_s`` column or ``--fs``) or a recording (EDF+/BDF+, the app's
journal) and prints baseline, contractions, quality and clinical metrics — as a short text
report or, with ``--json``, one JSON object (schema: docs/analysis-json.md).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from biofeedback.cli.errors import CliError
from biofeedback.formats.reader import SignalReader
from biofeedback.streams import ChannelKind, SignalSet

_TO_UV = {"uV": 1.0, "µV": 1.0, "mV": 1e3, "V": 1e6}
# seconds read and analysed at a time: memory does not grow with the file (2 channels: 1.9 MB);
# the signal core works in pieces of up to 60 s, and shorter ones cost Python per piece
CHUNK_S = 60.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="baseline, contractions, quality and metrics of a recording",
        description="Analyse the pelvic-floor EMG of a CSV file or a recording with the same "
        "engine as the live window: resting baseline, contractions (onset, offset, peak, "
        "recovery latency), per-second signal quality and clinical segment metrics. The "
        "output describes muscle activity; it is not a diagnosis.",
        epilog="Examples:\n  biofeedback analyze session.csv\n"
        "  biofeedback analyze --json --channel pfm session.bdf\n"
        "  biofeedback analyze --fs 1000 --channel emg raw.csv\n"
        "  biofeedback analyze --rest 0:60 --notch 50 session.edf",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", type=Path, metavar="PATH", help="a .csv, .edf, .bdf or .bfrec file")
    p.add_argument("--channel", metavar="NAME",
                   help="EMG channel to analyse (default: pfm, else the first EMG channel)")
    p.add_argument("--fs", type=float, metavar="HZ",
                   help="sample rate for a CSV file without a time_s column")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.add_argument("--notch", type=int, choices=(50, 60), help="switch the mains notch on")
    p.add_argument("--rest", action="append", default=[], metavar="START:END",
                   help="a marked rest period in seconds (repeatable); default: automatic")
    p.set_defaults(func=_analyze)


def read_recording(path: Path, fs: float | None = None) -> SignalReader:
    """Open any supported file by the same rule as ``info`` (content first, then the name);
    CSV honours ``fs``. A chunked reader: samples are read while they are analysed.
    Problems are one-line FormatErrors."""
    from biofeedback.formats.signal_file import open_signal_file

    return open_signal_file(path, fs=fs)


@dataclass(frozen=True)
class EmgSelection:
    """The EMG channels ``analyze`` reads: the chosen one first, then an abdominal channel of
    the same stream if any; values scaled to µV (or kept in the file's unit)."""

    stream: str
    columns: list[int]
    names: list[str]
    fs: float
    scale: float
    unit: str
    n_samples: int

    def chunks(self, reader: SignalReader, chunk_s: float = CHUNK_S) -> Iterator[np.ndarray]:
        step = max(1, int(round(chunk_s * self.fs)))
        for block in reader.chunks(self.stream, step):
            yield block[:, self.columns] * self.scale


def pick_channels(reader: SignalReader | SignalSet, name: str | None) -> EmgSelection:
    """Which channels of ``reader`` to analyse (see :class:`EmgSelection`)."""
    chosen = None
    for s in reader.streams:
        for i, ch in enumerate(s.channels):
            if name is not None and name in (ch.name, ch.label):
                chosen = (s, i)
    if name is None:
        emg = [(s, i) for s in reader.streams for i, ch in enumerate(s.channels)
               if ch.kind == ChannelKind.EMG]
        pfm = [(s, i) for s, i in emg if s.channels[i].name == "pfm"]
        chosen = (pfm or emg or [None])[0]
        if chosen is None:
            names = ", ".join(ch.name for s in reader.streams for ch in s.channels)
            raise CliError(f"no EMG channel found (channels: {names}); choose one with "
                           "--channel NAME")
    if chosen is None:
        names = ", ".join(ch.name for s in reader.streams for ch in s.channels)
        raise CliError(f"no channel {name!r}; channels are {names}")
    s, i = chosen
    ch = s.channels[i]
    if ch.kind == ChannelKind.PRESSURE:
        raise CliError(f"channel {ch.name!r} is a pressure channel; analyze needs an EMG channel")
    cols = [i]
    for j, other in enumerate(s.channels):
        if j != i and other.name == "abdominal" and other.unit == ch.unit:
            cols.append(j)
    n = reader.n_samples(s.name) if isinstance(reader, SignalReader) else \
        len(reader.data[s.name])
    return EmgSelection(s.name, cols, [s.channels[j].name for j in cols], s.fs,
                        _TO_UV.get(ch.unit, 1.0), "uV" if ch.unit in _TO_UV else ch.unit, n)


def _parse_rest(items: list[str]) -> list[tuple[float, float]]:
    out = []
    for item in items:
        a, sep, b = item.partition(":")
        try:
            start, end = float(a), float(b)
        except ValueError:
            raise CliError(f"--rest {item!r}: expected START:END in seconds, e.g. 0:60") from None
        if not sep or not end > start >= 0:
            raise CliError(f"--rest {item!r}: expected START:END with 0 <= START < END")
        out.append((start, end))
    return out


def run_analysis(path: Path, channel: str | None = None, fs: float | None = None,
                 notch: int | None = None, rest: list[tuple[float, float]] | None = None
                 ) -> dict[str, Any]:
    """The ``--json`` object for ``path`` (also used by tests and other tools)."""
    from dataclasses import replace

    if fs is not None and not (math.isfinite(fs) and fs > 0):
        raise CliError(f"--fs must be a positive number of Hz, got {fs}")
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the file is opened (a CSV's every cell checked, on threads that release the GIL)
        # while the signal core is imported (scipy.signal, numba: over a second in a fresh
        # process); an unreadable file still fails with its one-line message
        opening = pool.submit(read_recording, path, fs)
        from biofeedback.app.wording import suggestion_text
        from biofeedback.signal import EmgConfig, PipelineConfig
        from biofeedback.signal.analysis import analyze_chunks

        reader = opening.result()
    with reader:
        sel = pick_channels(reader, channel)
        if sel.n_samples < 2:
            raise CliError(f"{path}: only {sel.n_samples} sample(s): nothing to analyse")
        config = PipelineConfig()
        if notch:
            config = replace(config, emg=EmgConfig(notch_hz=float(notch)))
        seen = _FiniteWatch(sel.chunks(reader))
        try:
            result = analyze_chunks(seen, sel.fs, config, channels=sel.names,
                                    rest_intervals=rest or [], unit=sel.unit,
                                    keep_traces=False)
        except ValueError as exc:
            raise CliError(f"{path}: {exc}") from None
    if not seen.any_finite:
        raise CliError(f"{path}: channel {sel.names[0]!r} holds no valid samples")
    unit = sel.unit
    d = result.to_json_dict()
    d["quality"]["suggestion"] = suggestion_text(result.suggestion, result.hum_hz)
    d = {"file": str(path), **d}
    if unit != "uV":
        d["notes"].append(f"values are in the file's unit ({unit}), not µV; the *_uv keys "
                          "keep their names")
    return d


class _FiniteWatch:
    """Passes chunks through, noting whether any sample was a number (the readers never
    return NaN today; a file of nothing else must still get its own message)."""

    def __init__(self, chunks: Iterator[np.ndarray]) -> None:
        self._chunks = chunks
        self.any_finite = False

    def __iter__(self) -> Iterator[np.ndarray]:
        for block in self._chunks:
            if not self.any_finite and np.isfinite(block).any():
                self.any_finite = True
            yield block




def _analyze(args: argparse.Namespace) -> int:
    d = run_analysis(args.path, args.channel, args.fs, args.notch, _parse_rest(args.rest))
    if args.json:
        print(json.dumps(d, allow_nan=False))
        return 0
    print(_text_report(d))
    return 0


def _fmt(v: Any, spec: str = ".2f", unit: str = "") -> str:
    return "—" if v is None else f"{v:{spec}}{unit}"


def _text_report(d: dict[str, Any]) -> str:
    b = d["baseline"] or {}
    u = "µV" if d["unit"] == "uV" else d["unit"]
    q = d["quality"]
    lines = [
        f"{d['file']}: channel {d['channel']}, {d['fs']:g} Hz, {d['duration_s']:.1f} s",
        f"resting baseline: {_fmt(b.get('mean_uv'), '.2f', ' ' + u)} "
        f"(SD {_fmt(b.get('sd_uv'), '.2f')}, {b.get('source', '—')}); "
        f"relax-below line {_fmt(d['threshold_uv'], '.2f', ' ' + u)}",
        f"quality: {q['usable_seconds']}/{q['seconds']} usable seconds"
        + (f"; {q['suggestion']}" if q["suggestion"] else ""),
        f"contractions: {len(d['contractions'])}",
    ]
    for ev in d["contractions"]:
        lines.append(
            f"  #{ev['id']:<3} {ev['onset_s']:8.2f} s → {_fmt(ev['offset_s'], '8.2f')} s  "
            f"peak {ev['peak_uv']:7.2f} {u}  to peak {ev['time_to_peak_s']:.2f} s  "
            f"recovery {_fmt(ev['recovery_latency_s'], '.2f', ' s')}"
            + ("  (cut)" if ev["truncated"] else ""))
    lines.append("metrics (envelope, µV RMS):" if u == "µV" else f"metrics (envelope, {u}):")
    for name, m in d["metrics"].items():
        lines.append(
            f"  {name:<13} mean {_fmt(m['mean_uv'])}  SD {_fmt(m['sd_uv'])}  "
            f"CV {_fmt(m['cv_percent'], '.1f', '%')}  peak {_fmt(m['peak_uv'])}  "
            f"MDF {_fmt(m['median_frequency_hz'], '.0f', ' Hz')}")
    if d["strain"]["episodes"]:
        lines.append(f"possible straining: {len(d['strain']['episodes'])} episode(s), "
                     f"{d['strain']['total_s']:.1f} s")
    return "\n".join(lines)
