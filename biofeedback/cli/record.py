"""``biofeedback record``: record a source to EDF+/BDF+ without the window."""

from __future__ import annotations

import argparse
import signal as os_signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from biofeedback.app.settings import pipeline_settings
from biofeedback.cli.errors import CliError
from biofeedback.cli.progress import ProgressBar
from biofeedback.devices.base import SourceError
from biofeedback.devices.factory import open_source
from biofeedback.formats.errors import FormatError
from biofeedback.storage.recorder import Recorder, RecordingError
from biofeedback.storage.recovery import find_unfinished, recover
from biofeedback.streams import EventKind, SampleBlock, SourceEvent


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record",
        help="record a sensor or the simulator to an EDF+/BDF+ file",
        description="Record raw samples, annotations and settings to BDF+ (24-bit, default) or "
        "EDF+ (16-bit). Samples are journaled to disk every 0.5 s, so a crash loses at most "
        "that; an unfinished recording is recovered at the next start. Ctrl-C stops and writes "
        "the file.",
        epilog="Examples:\n  biofeedback record --source simulated --duration 60 -o rest.bdf\n"
        "  biofeedback record --source /dev/ttyACM0 --duration 600 --patient P017 -o s1.bdf",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", default="simulated",
                   help="simulated[:SCENARIO], serial:PORT or a port path (default: simulated)")
    p.add_argument("--duration", type=float, metavar="S",
                   help="seconds to record (default: until Ctrl-C or the source ends)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="output .bdf or .edf (default: a new file in the data folder)")
    p.add_argument("--patient", default="", metavar="CODE",
                   help="pseudonymous patient code (never a name)")
    p.add_argument("--speed", type=float, help="simulated source only: 2 = twice real time")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.add_argument("--no-recover", action="store_true",
                   help="do not recover unfinished recordings found at start")
    p.set_defaults(func=_record)


class _Tap:
    """Forwards to the recorder and notices when the source ends or fails."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.ended = threading.Event()
        self.message = ""

    def on_block(self, block: SampleBlock) -> None:
        self.recorder.on_block(block)

    def on_event(self, event: SourceEvent) -> None:
        self.recorder.on_event(event)
        if event.kind in (EventKind.END, EventKind.ERROR):
            self.message = event.message if event.kind is EventKind.ERROR else ""
            self.ended.set()


def recover_unfinished() -> list[Path]:
    """Tell the user about recordings a crash left behind and recover them."""
    done = []
    try:
        found = find_unfinished()
    except OSError:  # no usable data folder: starting the recording will say why
        return done
    for item in found:
        print(f"biofeedback: found an unfinished {item.describe()}; recovering it",
              file=sys.stderr)
        try:
            path = recover(item.journal)
        except (FormatError, OSError) as exc:
            print(f"biofeedback: could not recover {item.journal}: {exc}", file=sys.stderr)
            continue
        print(f"biofeedback: recovered to {path}", file=sys.stderr)
        done.append(path)
    return done


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {"source": args.source, "pipeline": pipeline_settings()}


def _record(args: argparse.Namespace) -> int:
    if args.duration is not None and not args.duration > 0:
        raise CliError("--duration must be a positive number of seconds")
    if args.output is not None:
        if args.output.suffix.lower() not in (".bdf", ".edf"):
            raise CliError(f"{args.output}: use a .bdf (24-bit) or .edf (16-bit) file name")
        if args.output.exists() and not args.force:
            raise CliError(f"{args.output}: already exists (use --force to replace it)")
    if not args.no_recover:
        recover_unfinished()
    options: dict[str, Any] = {}
    if args.speed is not None:
        options["speed"] = args.speed
    try:
        source = open_source(args.source, **options)
        info = source.open()
    except (SourceError, TypeError) as exc:
        raise CliError(f"{args.source}: {exc}", 1) from None
    recorder = Recorder(info, args.output, patient_code=args.patient, settings=_settings(args),
                        overwrite=args.force, max_duration_s=args.duration)
    try:
        recorder.start()
    except RecordingError as exc:
        source.close()
        raise CliError(str(exc), 1) from None
    tap = _Tap(recorder)
    old_term = os_signal.signal(os_signal.SIGTERM, _raise_interrupt)
    interrupted = False
    print(f"biofeedback record: recording {info.name} to {recorder.output_path} "
          f"(journal {recorder.journal_path})", file=sys.stderr)
    bar = ProgressBar(args.duration or 0.0, "recording") if args.duration else None
    try:
        source.start(tap)
        while not tap.ended.is_set() and recorder.error is None:
            if args.duration is not None and recorder.elapsed_s >= args.duration - 1e-9:
                break
            if bar:
                bar.update(recorder.elapsed_s)
            time.sleep(0.05)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        os_signal.signal(os_signal.SIGTERM, old_term)
        if bar:
            bar.close()
        source.close()
    try:
        path = recorder.finish()
    except RecordingError as exc:
        raise CliError(str(exc), 1) from None
    status = " (stopped by Ctrl-C)" if interrupted else ""
    print(f"wrote {path}: {recorder.elapsed_s:.1f} s{status}")
    problem = recorder.error or tap.message  # the recorder's own words first
    if problem:
        print(f"biofeedback record: error: {problem}", file=sys.stderr)
        return 1
    return 0


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
