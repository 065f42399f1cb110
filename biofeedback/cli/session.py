"""``biofeedback session run``: a guided session without the window (developers, tests,
re-scoring a recorded session through a protocol)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from biofeedback.app.guided import GuidedSession
from biofeedback.app.live_session import LiveSession, RecordingRequest
from biofeedback.app.live_types import SessionError, SessionPhase
from biofeedback.app.records import processing_block
from biofeedback.app.workstation import store_clinic_session
from biofeedback.cli._records import open_database
from biofeedback.cli.errors import CliError, Terminated
from biofeedback.sessions.loader import ProtocolError, load_protocol
from biofeedback.sessions.protocol import Protocol
from biofeedback.sessions.results import SessionResult
from biofeedback.sessions.runner import RunnerState, StepStarted
from biofeedback.sessions.scripted import protocol_scenario
from biofeedback.storage.records import (
    RecordsDatabase,
    SessionRecord,
    load_clinic_config,
    utc_now,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "session",
        help="run a guided-session protocol without the window",
        description="Run a protocol on any source, record it, and print the per-step results. "
        "--fast plays simulated sources (scripted so each step is performed) and recordings as "
        "fast as they go; a recording through a protocol is re-scored the same way "
        "(--source replay:FILE).",
        epilog="Examples:\n  biofeedback session run down-training --source simulated --fast\n"
        "  biofeedback session run mine.toml --source /dev/ttyACM0 -o today.bdf\n"
        "  biofeedback session run assessment --source replay:assess.bdf --json\n"
        "  biofeedback session run dilator --patient P001   # stored in P001's records",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = what.add_parser("run", help="run PROTOCOL (a built-in name or a .toml file)")
    run.add_argument("protocol")
    run.add_argument("--source", default="simulated",
                     help="simulated (scripted to the protocol), simulated:SCENARIO, "
                     "serial:PORT or a port, replay:FILE (default: simulated)")
    run.add_argument("--fast", action="store_true",
                     help="as fast as the source allows (simulated and replay sources)")
    run.add_argument("-o", "--output", type=Path, metavar="FILE",
                     help="the recording (.bdf/.edf; default: a new file in the data folder)")
    run.add_argument("--patient", default="", metavar="CODE",
                     help="pseudonymous patient code: written in the recording, and the finished "
                     "session is stored in this patient's records (add the patient first: "
                     "biofeedback patients add CODE)")
    run.add_argument("--answer", action="append", default=[], metavar="STEP=VALUE",
                     help="a rating step's answer, e.g. --answer 'Pain before=2' (else skipped)")
    run.add_argument("--json", action="store_true", help="one JSON object on stdout")
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        protocol = load_protocol(args.protocol)
    except ProtocolError as exc:
        raise CliError(str(exc), 1) from None
    answers = _answers(args.answer, protocol)
    spec, options = _source(args, protocol)
    replay = spec.startswith("replay:")
    db = _records_of(args.patient) if args.patient and not replay else None
    live = LiveSession(window_s=120.0)
    record = None if replay else RecordingRequest(args.patient, args.output)
    started = utc_now()
    try:
        # as fast as it goes: nothing is processed before the session's first step has begun
        # (its marked rest starts at the first sample, not wherever the source has got to)
        live.start(spec, record=record, hold_at=0 if options.get("speed") == 0 else None,
                   **options)
        guided = GuidedSession(live, protocol)
    except SessionError as exc:
        live.stop()
        if db is not None:
            db.close()
        raise CliError(str(exc), 1) from None
    engine = live.engine
    processing = processing_block(engine.emg_fs if engine else None,
                                  engine.pressure_fs if engine else None)
    fast = args.fast or replay
    try:
        _drive(live, guided, answers, fast, quiet=args.json)
    except KeyboardInterrupt as exc:
        guided.stop("stopped (SIGTERM)" if isinstance(exc, Terminated) else "stopped (Ctrl-C)")
    path = live.stop()
    result = guided.result
    assert result is not None
    stored = None
    if db is not None:
        with db:
            stored = store_clinic_session(db, args.patient, result, protocol, recording=path,
                                          share=load_clinic_config().share,
                                   started=started, processing=processing)
    _report(result, path, args.json, stored)
    return 0 if result.ended == "finished" else 1


def _records_of(code: str) -> RecordsDatabase:
    """The records, checked before the session starts: the patient must be there."""
    db = open_database(patient=code)  # the server, or the local outbox when it is unreachable
    try:
        db.repo.get_patient(code)
    except BaseException:
        db.close()
        raise
    return db


def _source(args: argparse.Namespace, protocol: Protocol) -> tuple[str, dict[str, Any]]:
    spec = args.source
    if spec == "simulated":
        spec = f"simulated:{protocol_scenario(protocol)}"
    fast_ok = spec.startswith("simulated") or spec.startswith("replay:")
    # a recording is re-scored as fast as it goes; a simulated source when asked
    fast = spec.startswith("replay:") or (args.fast and fast_ok)
    return spec, ({"speed": 0.0} if fast else {})


def _answers(items: list[str], protocol: Protocol) -> dict[str, float]:
    names = {s.name for s in protocol.ratings}
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in names:
            raise CliError(f"--answer {item!r}: use STEP=VALUE with a rating step of this "
                           f"protocol ({', '.join(sorted(names)) or 'it has none'})")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise CliError(f"--answer {item!r}: {value!r} is not a number") from None
    return out


def _drive(live: LiveSession, guided: GuidedSession, answers: dict[str, float], fast: bool,
           quiet: bool) -> None:
    """Poll until the protocol is done or the source ends (the runner waits without data)."""
    events = guided.start(0 if fast else None)
    while not guided.finished:
        for ev in events:
            if isinstance(ev, StepStarted) and not quiet:
                print(f"{ev.t_s:7.1f} s  {ev.step.label}: {ev.step.instruction}",
                      file=sys.stderr)
        if guided.runner.state is RunnerState.WAITING:
            step = guided.runner.step
            events = guided.answer(answers.get(step.name) if step is not None else None)
            continue
        live_events = live.poll()
        events = guided.update(live_events)
        if live.phase() in (SessionPhase.ENDED, SessionPhase.FAILED) and not events:
            events = guided.update(live.poll())  # what arrived with the end
            if not guided.finished:
                guided.stop("the source ended before the protocol did")
            break
        time.sleep(0.005 if fast else 0.05)


def _report(result: SessionResult, path: Path | None, as_json: bool,
            stored: SessionRecord | None = None) -> None:
    if as_json:
        d = result.to_json_dict()
        d["recording"] = str(path) if path else None
        d["session_uid"] = stored.uid if stored else None
        print(json.dumps(d, allow_nan=False))
        return
    print(f"{result.title}: {result.ended}")
    for s in result.steps:
        shown = ", ".join(f"{k} {_fmt(v)}" for k, v in s.results.items())
        mark = "" if s.completed else "  (not completed)"
        print(f"  {s.start_s:7.1f}-{s.end_s:7.1f} s  {s.name:<26} {shown}{mark}")
    sm = result.summary
    print(f"  summary: practised {sm['practised_s'] / 60:.1f} min, "
          f"{sm['steps_completed']}/{sm['steps_total']} steps completed"
          + (f", below the line {sm['percent_below_line']:.0f} % of the time"
             if sm.get("percent_below_line") is not None else ""))
    if path:
        print(f"  recording: {path}")
    if stored:
        print(f"  stored in {stored.patient_code}'s records as session {stored.uid}")


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.2f}"
    return "—" if v is None else str(v)
