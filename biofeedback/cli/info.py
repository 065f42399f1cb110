"""``biofeedback info``: what a signal file holds (channels, rates, duration, annotations)."""

from __future__ import annotations

import argparse
import collections
import json
import math
from pathlib import Path
from typing import Any

from biofeedback.formats.reader import SignalReader
from biofeedback.formats.signal_file import open_signal_file
from biofeedback.formats.vocabulary import kind_of


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "info",
        help="show channels, rates, duration and annotations of a recording",
        description="Describe an EDF+/BDF+ file, a project CSV file or an app recording "
        "journal (.bfrec): channels with units and rates, duration, start time, patient code, "
        "annotations and the stored processing settings.",
        epilog="Examples:\n  biofeedback info session.bdf\n  biofeedback info --json session.bdf"
        "\n  biofeedback info --annotations all session.bdf",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--annotations", default="20", metavar="N|all",
                   help="how many annotations to list (default 20)")
    p.set_defaults(func=_info)


def describe(ss: SignalReader, path: Path) -> dict[str, Any]:
    """What ``info --json`` prints; needs the layout and annotations only, no samples."""
    resolution = ss.metadata.get("resolution", {})
    return {
        "file": str(path),
        "format": ss.metadata.get("format", ""),
        "start_time": ss.start_time.isoformat() if ss.start_time else None,
        "patient_code": ss.patient_code,
        "duration_s": round(ss.duration_s, 6),
        "streams": [
            {"name": s.name, "fs": s.fs, "samples": int(ss.n_samples(s.name)),
             "channels": [{"name": c.name, "kind": str(c.kind), "unit": c.unit,
                           "label": c.label, "resolution": resolution.get(c.name)}
                          for c in s.channels]}
            for s in ss.streams
        ],
        "annotations": [{"onset_s": a.onset_s, "duration_s": a.duration_s, "text": a.text}
                        for a in ss.annotations],
        "source": ss.metadata.get("source"),
        "settings": ss.metadata.get("settings"),
        "journal": ss.metadata.get("journal"),
    }


def _info(args: argparse.Namespace) -> int:
    with open_signal_file(args.file) as ss:  # header, layout and annotations: no samples
        d = describe(ss, args.file)
        duration = ss.duration_s
    if args.json:
        print(json.dumps(json_safe(d), indent=2, allow_nan=False))
        return 0
    print(f"{d['file']}  ({d['format'] or 'signal file'})")
    if d["start_time"]:
        print(f"  start      {d['start_time']}")
    if d["patient_code"]:
        print(f"  patient    {d['patient_code']}")
    print(f"  duration   {_clock(duration)}")
    if d["source"]:
        src = d["source"]
        print(f"  source     {src.get('name', '')} ({src.get('kind', '')}"
              f"{', serial ' + src['serial'] if src.get('serial') else ''})")
    print("  channels")
    for s in d["streams"]:
        for c in s["channels"]:
            res = f"  step {c['resolution']:.3g} {c['unit']}" if c["resolution"] else ""
            print(f"    {s['name']}/{c['name']:<12} {c['kind']:<9} {c['unit']:<6} "
                  f"{s['fs']:g} Hz  {s['samples']} samples{res}")
    anns = d["annotations"]
    counts = collections.Counter(kind_of(a["text"]) for a in anns)
    summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    print(f"  annotations {len(anns)}" + (f" ({summary})" if anns else ""))
    limit = len(anns) if args.annotations == "all" else _int(args.annotations)
    for a in anns[:limit]:
        dur = f" +{a['duration_s']:.2f} s" if a["duration_s"] else ""
        print(f"    {_clock(a['onset_s'])}{dur}  {a['text']}")
    if len(anns) > limit:
        print(f"    ... {len(anns) - limit} more (--annotations all)")
    if d["settings"]:
        print(f"  settings   {json.dumps(d['settings'], separators=(',', ':'))[:300]}")
    j = d["journal"]
    if j and not j.get("clean_end"):
        print(f"  unfinished journal: {j.get('dropped_bytes', 0)} damaged bytes at the end "
              "(run 'biofeedback recover')")
    return 0


def json_safe(obj: Any) -> Any:
    """Strict JSON: NaN/inf become null (JSON has no such numbers), other objects text."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    return str(obj)


def _int(text: str) -> int:
    try:
        return max(0, int(text))
    except ValueError:
        raise ValueError(f"--annotations takes a number or 'all', not {text!r}") from None


def _clock(seconds: float) -> str:
    m, s = divmod(seconds, 60)
    return f"{int(m):d}:{s:06.3f}"
