"""``biofeedback record``: record a source to EDF+/BDF+ without the window."""

from __future__ import annotations

import argparse
import signal as os_signal
import sys
import time
from pathlib import Path
from typing import Any

from biofeedback.app.live_session import LiveSession, RecordingRequest
from biofeedback.app.live_types import (
    LinkChanged,
    LinkState,
    RecordingFailed,
    SessionError,
    SessionPhase,
)
from biofeedback.cli.errors import CliError, Terminated
from biofeedback.cli.progress import ProgressBar
from biofeedback.formats.errors import FormatError, user_message
from biofeedback.storage.patient_code import PatientCodeError, check_patient_code
from biofeedback.storage.recovery import find_unfinished, recover_journal


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record",
        help="record a sensor or the simulator to an EDF+/BDF+ file",
        description="Record raw samples, annotations and settings to BDF+ (24-bit, default) or "
        "EDF+ (16-bit), through the same live session as the window: the file carries the "
        "same contraction, gap and marker annotations. Samples are journaled to disk every "
        "0.5 s, so a crash loses at most that; an unfinished recording is recovered at the "
        "next start. Ctrl-C or SIGTERM stops and writes the file.",
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
    p.add_argument("--reconnect-timeout", type=float, default=30.0, metavar="S",
                   help="if the sensor is lost, keep reconnecting this long, then finish the "
                   "file with the gap marked (default 30)")
    p.set_defaults(func=_record)


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
            result = recover_journal(item.journal)
        except (FormatError, OSError) as exc:
            print(f"biofeedback: could not recover {item.journal}: {user_message(exc)}",
                  file=sys.stderr)
            continue
        print(f"biofeedback: {result.describe()}", file=sys.stderr)
        done.append(result.path)
    return done


def _record(args: argparse.Namespace) -> int:
    if args.duration is not None and not args.duration > 0:
        raise CliError("--duration must be a positive number of seconds")
    if not args.reconnect_timeout >= 0:
        raise CliError("--reconnect-timeout must be 0 or a positive number of seconds")
    if args.output is not None:
        if args.output.suffix.lower() not in (".bdf", ".edf"):
            raise CliError(f"{args.output}: use a .bdf (24-bit) or .edf (16-bit) file name")
        if args.output.exists() and not args.force:
            raise CliError(f"{args.output}: already exists (use --force to replace it)")
    try:
        check_patient_code(args.patient)
    except PatientCodeError as exc:
        raise CliError(f"--patient: {exc}") from None
    if not args.no_recover:
        recover_unfinished()
    options: dict[str, Any] = {}
    if args.speed is not None:
        options["speed"] = args.speed
    session = LiveSession()
    request = RecordingRequest(args.patient, args.output, args.force, args.duration)
    try:
        info = session.start(args.source, record=request, **options)
    except SessionError as exc:
        session.stop()
        raise CliError(str(exc), 1) from None
    print(f"biofeedback record: recording {info.name} to {session.recording_output}",
          file=sys.stderr)
    outcome = _Outcome()
    old_term = os_signal.signal(os_signal.SIGTERM, _raise_terminated)
    bar = ProgressBar(args.duration, "recording") if args.duration else None
    try:
        _run_until_done(session, args, outcome, bar)
    except KeyboardInterrupt as exc:
        outcome.stopped_by = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
    finally:
        os_signal.signal(os_signal.SIGTERM, old_term)
        if bar:
            bar.close()
    seconds = session.recorded_s
    path = session.stop()
    for ev in session.poll():
        outcome.note(ev)
    if path is None:
        raise CliError(outcome.problem or "the recording could not be finished", 1)
    status = f" (stopped by {outcome.stopped_by})" if outcome.stopped_by else ""
    print(f"wrote {path}: {seconds:.1f} s{status}")
    if outcome.problem:
        print(f"biofeedback record: error: {outcome.problem}", file=sys.stderr)
        return 1
    return 0


class _Outcome:
    """What ended the recording, told once, in the user's words."""

    def __init__(self) -> None:
        self.problem = ""
        self.stopped_by = ""
        self.lost_at: float | None = None

    def note(self, ev: object) -> None:
        if isinstance(ev, RecordingFailed):  # told at once: the recording stopped early
            self.problem = ev.message
            print(f"biofeedback record: {ev.message}", file=sys.stderr)
        elif isinstance(ev, LinkChanged):
            say = {LinkState.DISCONNECTED: "the sensor is disconnected",
                   LinkState.RECONNECTING: "reconnecting to the sensor",
                   LinkState.CONNECTED: "the sensor is back: recording goes on (the gap is "
                                        "marked in the file)",
                   LinkState.FAILED: f"the source stopped: {ev.message}"}.get(ev.state)
            if say:
                print(f"biofeedback record: {say}", file=sys.stderr)
            if ev.state is LinkState.FAILED:
                self.problem = ev.message


def _run_until_done(session: LiveSession, args: argparse.Namespace, outcome: _Outcome,
                    bar: ProgressBar | None) -> None:
    """Poll until the duration is recorded, the source ends or fails, or the link stays lost
    longer than ``--reconnect-timeout``."""
    quiet_told = False
    while True:
        for ev in session.poll():
            outcome.note(ev)
        if outcome.problem or not session.recording:
            return
        if session.phase() in (SessionPhase.ENDED, SessionPhase.FAILED):
            return
        if args.duration is not None and session.recorded_s >= args.duration - 1e-9:
            return
        link = session.link_state()
        lost = link in (LinkState.DISCONNECTED, LinkState.RECONNECTING, LinkState.NOT_ANSWERING)
        now = time.monotonic()
        if lost:
            outcome.lost_at = outcome.lost_at or now
            if link is LinkState.NOT_ANSWERING and not quiet_told:
                print("biofeedback record: the sensor is not answering", file=sys.stderr)
                quiet_told = True
            if now - outcome.lost_at > args.reconnect_timeout:
                outcome.problem = (f"the sensor did not come back within "
                                   f"{args.reconnect_timeout:g} s: recording stopped early")
                return
        else:
            outcome.lost_at, quiet_told = None, False
        if bar:
            bar.update(session.recorded_s)
        time.sleep(0.05)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated
