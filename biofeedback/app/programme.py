"""The home programme: what the therapist prescribes for a loaned sensor, as an exchange file.

A programme file is JSON (``.bfprog``): ``{"format": "biofeedback-programme", "version": 1,
"sha256": ..., "programme": {...}}`` where ``sha256`` is the SHA-256 of the programme object in
canonical form (sorted keys, no spaces, UTF-8), so a damaged or edited file is refused. The
programme holds the patient code, the protocols (built-in by name, or a protocol file embedded
as TOML text), the schedule, the dilator set and the progression rule
(``storage/records/progression.py``). Importing stores it in the patient's records (creating
the patient on a home computer); the latest programme is the home mode's clearance to practise.
Format details: ``docs/records.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from biofeedback.sessions.loader import ProtocolError, builtin_names, load_builtin, parse_protocol
from biofeedback.sessions.protocol import Protocol
from biofeedback.storage.patient_code import check_patient_code, patient_code_problem
from biofeedback.storage.records import Repository, SessionRecord, utc_now
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.files import marked_json, read_limited, write_atomically
from biofeedback.storage.records.progression import (
    ProgressionRule,
    Suggestion,
    attempts,
    suggest,
)

FORMAT = "biofeedback-programme"
VERSION = 1
MAX_BYTES = 2 * 1024 * 1024
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_SIZES = tuple(range(1, 7))


@dataclass(frozen=True)
class DilatorSize:
    number: int  # the size number the dilator protocol asks for (1-10)
    label: str = ""
    diameter_mm: float | None = None
    length_mm: float | None = None


@dataclass(frozen=True)
class ProgrammeProtocol:
    name: str
    toml: str | None = None  # None: the built-in protocol of that name


@dataclass(frozen=True)
class Schedule:
    sessions_per_week: int = 5
    minutes: int = 15
    days: tuple[str, ...] = ()  # "mon".."sun"; empty: any day


@dataclass(frozen=True)
class Programme:
    patient_code: str
    protocols: tuple[ProgrammeProtocol, ...]
    schedule: Schedule = field(default_factory=Schedule)
    dilator_sizes: tuple[DilatorSize, ...] = ()
    start_size: int | None = None
    rule: ProgressionRule = field(default_factory=ProgressionRule)
    message: str = ""  # a line from the therapist for the start page
    created: dt.datetime = field(default_factory=utc_now)

    def load_protocols(self) -> list[Protocol]:
        return [_protocol(p, "programme") for p in self.protocols]


def programme_to_dict(p: Programme) -> dict[str, Any]:
    return {"patient": p.patient_code, "created": p.created.astimezone(dt.UTC).isoformat(),
            "protocols": [{"name": x.name} | ({"toml": x.toml} if x.toml else {})
                          for x in p.protocols],
            "schedule": {"sessions_per_week": p.schedule.sessions_per_week,
                         "minutes": p.schedule.minutes, "days": list(p.schedule.days)},
            "dilator_sizes": [asdict(s) for s in p.dilator_sizes], "start_size": p.start_size,
            "rule": asdict(p.rule), "message": p.message}


def canonical(content: dict[str, Any]) -> tuple[str, str]:
    """The canonical JSON text of a programme object and its SHA-256."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_programme(p: Programme, path: Path) -> str:
    """Check the programme (its protocols load), write the file atomically (0600): its SHA-256."""
    content = programme_to_dict(p)
    programme_from_dict(content, str(path))  # the file we write is one we would accept
    _, sha = canonical(content)
    doc = {"format": FORMAT, "version": VERSION, "sha256": sha, "programme": content}
    data = (json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode()
    write_atomically(Path(path), lambda f: f.write(data))
    return sha


def read_programme(path: Path) -> tuple[Programme, str, str]:
    """``(programme, canonical text, sha256)`` from a file; one line naming the file if it is
    not a programme, was changed after export (checksum) or holds a bad value."""
    where = str(path)
    raw = read_limited(Path(path), MAX_BYTES, "programme file")
    doc = marked_json(raw, where, "programme file", FORMAT, VERSION)
    content = doc.get("programme")
    if not isinstance(content, dict):
        raise RecordsError(f"{where}: the programme is missing")
    text, sha = canonical(content)
    if doc.get("sha256") != sha:
        raise RecordsError(f"{where}: checksum mismatch: the file was changed or damaged "
                           "after export; ask for a new one")
    return programme_from_dict(content, where), text, sha


def import_programme(repo: Repository, path: Path) -> tuple[Programme, bool]:
    """Store the programme in the records (one transaction; the patient is created if this
    computer does not know it yet). ``(programme, False)`` if it was imported before."""
    prog, text, sha = read_programme(path)
    with repo.transaction() as tx:
        if tx.find_patient(prog.patient_code) is None:
            tx.add_patient(prog.patient_code)
        _, new = tx.save_programme(prog.patient_code, text, sha)
    return prog, new


def current_programme(repo: Repository, code: str) -> Programme | None:
    """The latest programme imported for the patient (None: no clearance to practise yet)."""
    stored = repo.latest_programme(code)
    if stored is None:
        return None
    return programme_from_dict(json.loads(stored.body), f"records programme {stored.id}")


def dilator_suggestion(repo: Repository, code: str,
                       sessions: Sequence[SessionRecord] | None = None) -> Suggestion | None:
    """The progression rule's suggestion for the patient (the programme's set and rule when
    there is one), or None when there is neither dilator practice nor a programme set."""
    prog = current_programme(repo, code)
    history = attempts(sessions if sessions is not None else repo.sessions(code))
    if not history and (prog is None or not prog.dilator_sizes):
        return None
    sizes = [s.number for s in prog.dilator_sizes] if prog and prog.dilator_sizes else []
    sizes = sizes or sorted({*DEFAULT_SIZES, *(a.entry.size for a in history)})
    return suggest(history, sizes, prog.rule if prog else None,
                   prog.start_size if prog else None)


def programme_from_dict(d: dict[str, Any], where: str) -> Programme:
    code = d.get("patient")
    if not isinstance(code, str) or patient_code_problem(code) or not code.strip():
        raise RecordsError(f"{where}: the programme's patient code is missing or not valid")
    protocols = d.get("protocols")
    if not isinstance(protocols, list) or not 1 <= len(protocols) <= 20:
        raise RecordsError(f"{where}: a programme needs 1-20 protocols")
    progs = tuple(_programme_protocol(x, where) for x in protocols)
    for p in progs:
        _protocol(p, where)
    try:
        created = dt.datetime.fromisoformat(str(d.get("created")))
    except ValueError:
        raise RecordsError(f"{where}: 'created' is not an ISO-8601 time") from None
    if created.tzinfo is None:
        raise RecordsError(f"{where}: 'created' needs a time zone")
    sizes = tuple(_size(x, where) for x in _list(d, "dilator_sizes", where, 20))
    if len({s.number for s in sizes}) != len(sizes):
        raise RecordsError(f"{where}: two dilator sizes have the same number")
    start = d.get("start_size")
    if start is not None and (not isinstance(start, int) or start not in {s.number for s in sizes}):
        raise RecordsError(f"{where}: start_size {start!r} is not a size of the set")
    message = d.get("message", "")
    if not isinstance(message, str) or len(message) > 2000:
        raise RecordsError(f"{where}: 'message' must be a text of at most 2000 characters")
    return Programme(check_patient_code(code), progs, _schedule(d.get("schedule"), where), sizes,
                     start, _rule(d.get("rule"), where), message, created)


def _programme_protocol(x: Any, where: str) -> ProgrammeProtocol:
    if not isinstance(x, dict) or not isinstance(x.get("name"), str) or not x["name"].strip():
        raise RecordsError(f"{where}: each protocol needs a name")
    toml = x.get("toml")
    if toml is not None and (not isinstance(toml, str) or len(toml) > 256 * 1024):
        raise RecordsError(f"{where}: protocol {x['name']!r}: 'toml' must be protocol text")
    return ProgrammeProtocol(x["name"], toml)


def _protocol(p: ProgrammeProtocol, where: str) -> Protocol:
    try:
        if p.toml is None:
            if p.name not in builtin_names():
                raise RecordsError(f"{where}: protocol {p.name!r} is not built into this app; "
                                   "embed its file in the programme")
            return load_builtin(p.name)
        return parse_protocol(p.toml, f"{where}: protocol {p.name}")
    except ProtocolError as exc:
        raise RecordsError(str(exc)) from None


def _list(d: dict[str, Any], key: str, where: str, limit: int) -> list[Any]:
    v = d.get(key, [])
    if not isinstance(v, list) or len(v) > limit:
        raise RecordsError(f"{where}: {key!r} must be a list of at most {limit} items")
    return v


def _size(x: Any, where: str) -> DilatorSize:
    ok = isinstance(x, dict) and isinstance(x.get("number"), int) and 1 <= x["number"] <= 10
    ok = ok and isinstance(x.get("label", ""), str)
    for k in ("diameter_mm", "length_mm"):
        v = x.get(k) if isinstance(x, dict) else None
        ok = ok and (v is None or (isinstance(v, int | float) and 0 < v < 500))
    if not ok:
        raise RecordsError(f"{where}: a dilator size needs a number 1-10, an optional label "
                           "and sizes in mm")
    return DilatorSize(x["number"], x.get("label", ""), x.get("diameter_mm"), x.get("length_mm"))


def _schedule(x: Any, where: str) -> Schedule:
    if not isinstance(x, dict):
        raise RecordsError(f"{where}: the schedule is missing")
    per, minutes, days = x.get("sessions_per_week"), x.get("minutes"), x.get("days", [])
    if not isinstance(per, int) or not 1 <= per <= 14:
        raise RecordsError(f"{where}: schedule sessions_per_week must be 1-14")
    if not isinstance(minutes, int) or not 1 <= minutes <= 120:
        raise RecordsError(f"{where}: schedule minutes must be 1-120")
    if not isinstance(days, list) or any(d not in DAYS for d in days):
        raise RecordsError(f"{where}: schedule days are {', '.join(DAYS)}")
    return Schedule(per, minutes, tuple(days))


def _rule(x: Any, where: str) -> ProgressionRule:
    if x is None:
        return ProgressionRule()
    names = {f.name: f.type for f in fields(ProgressionRule)}
    if not isinstance(x, dict) or set(x) - set(names):
        raise RecordsError(f"{where}: the progression rule knows only {', '.join(names)}")
    for k, v in x.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise RecordsError(f"{where}: progression rule {k} must be a number")
    try:
        rule = ProgressionRule(**x)
    except TypeError:
        raise RecordsError(f"{where}: the progression rule is not valid") from None
    problems = rule.problems()
    if problems:
        raise RecordsError(f"{where}: progression rule: {problems[0]}")
    return rule


__all__ = ["DAYS", "DilatorSize", "Programme", "ProgrammeProtocol", "Schedule",
           "current_programme", "dilator_suggestion", "import_programme", "programme_from_dict",
           "programme_to_dict", "read_programme", "write_programme"]
