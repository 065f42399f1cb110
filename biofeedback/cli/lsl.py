"""``biofeedback lsl``: publish a source on the Lab Streaming Layer without the window."""

from __future__ import annotations

import argparse
import signal as os_signal
import sys
import time
from typing import Any

from biofeedback.app.live_session import LiveSession
from biofeedback.app.live_types import LinkChanged, LinkState, SessionError, SessionPhase
from biofeedback.app.lsl_outlet import LslError, LslOutlet, outlet_factory
from biofeedback.cli.errors import CliError, Terminated


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lsl",
        help="publish a sensor, the simulator or a file as LSL streams (lab tools)",
        description="Publish the raw EMG, pressure and the markers (contractions, gaps, a "
        "file's annotations) as Lab Streaming Layer streams, with channel names, units and "
        "the device serial in the stream metadata, through the same live session as the "
        "window. By default only programs on this computer can find the streams; "
        "--network announces them to the local network (anyone there can read them: see "
        "docs/lsl.md). Ctrl-C or SIGTERM stops.",
        epilog="Examples:\n  biofeedback lsl --source simulated --duration 60\n"
        "  biofeedback lsl --source /dev/ttyACM0\n"
        "  biofeedback lsl --source replay:rest.bdf --speed 2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", default="simulated",
                   help="simulated[:SCENARIO], serial:PORT or a port path, replay:FILE or a "
                   "file (default: simulated)")
    p.add_argument("--duration", type=float, metavar="S",
                   help="seconds of samples to publish (default: until Ctrl-C or the source "
                   "ends)")
    p.add_argument("--speed", type=float,
                   help="simulated or replay only: 2 = twice real time")
    p.add_argument("--network", action="store_true",
                   help="announce the streams on the network (liblsl's own configuration: "
                   "$LSLAPICFG or lsl_api.cfg) instead of this computer only")
    p.set_defaults(func=_lsl)


def _lsl(args: argparse.Namespace) -> int:
    if args.duration is not None and not args.duration > 0:
        raise CliError("--duration must be a positive number of seconds")
    if args.speed is not None and not args.speed > 0:
        raise CliError("--speed must be a positive number")
    try:
        factory = outlet_factory("network" if args.network else "machine", args.duration)
    except LslError as exc:
        raise CliError(str(exc)) from None
    options: dict[str, Any] = {}
    if args.speed is not None:
        options["speed"] = args.speed
    session = LiveSession()
    session.add_subscriber(factory)
    try:
        info = session.start(args.source, **options)
    except SessionError as exc:
        session.stop()
        raise CliError(str(exc), 1) from None
    outlet = _outlet(session)
    if outlet is None:  # the factory failed at start: the notice says why
        problem = next((n.text for n in session.snapshot().notices), "LSL could not start")
        session.stop()
        raise CliError(problem)
    scope = "the network" if args.network else "this computer only"
    print(f"biofeedback lsl: publishing {info.name} on LSL ({scope}):", file=sys.stderr)
    for s in outlet.streams:
        rate = f"{s.rate_hz:g} Hz" if s.rate_hz else "irregular"
        print(f"  {s.name}  type={s.type}  source_id={s.source_id}  {rate}  "
              f"channels={','.join(s.channels)}", file=sys.stderr)
    sys.stderr.flush()
    old_term = os_signal.signal(os_signal.SIGTERM, _raise_terminated)
    stopped_by = ""
    try:
        problem = _run_until_done(session, outlet, args.duration)
    except KeyboardInterrupt as exc:
        stopped_by = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
        problem = ""
    finally:
        os_signal.signal(os_signal.SIGTERM, old_term)
    engine = session.engine
    seconds = engine.emg_time_s if engine is not None else 0.0
    if args.duration is not None:
        seconds = min(seconds, args.duration)
    session.stop()
    status = f" (stopped by {stopped_by})" if stopped_by else ""
    print(f"published {seconds:.1f} s of samples{status}")
    if problem:
        print(f"biofeedback lsl: error: {problem}", file=sys.stderr)
        return 1
    return 0


def _outlet(session: LiveSession) -> LslOutlet | None:
    engine = session.engine
    sinks = engine.sinks if engine is not None else []
    return next((s for s in sinks if isinstance(s, LslOutlet)), None)


def _run_until_done(session: LiveSession, outlet: LslOutlet, duration: float | None) -> str:
    """Poll until the duration is published, the source ends or fails; returns a problem."""
    while True:
        for ev in session.poll():
            if isinstance(ev, LinkChanged) and ev.state in (LinkState.DISCONNECTED,
                                                             LinkState.RECONNECTING,
                                                             LinkState.CONNECTED):
                print(f"biofeedback lsl: {ev.message or ev.state.value}", file=sys.stderr)
        if outlet.problem:
            return outlet.problem
        phase = session.phase()
        if phase is SessionPhase.FAILED:
            return session.snapshot().notice.text if session.snapshot().notice else "failed"
        if phase is SessionPhase.ENDED:
            return ""
        engine = session.engine
        if duration is not None and engine is not None and engine.emg_time_s >= duration - 1e-9:
            return ""
        time.sleep(0.05)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated
