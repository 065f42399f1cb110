"""Read protocol files (TOML) into :class:`~biofeedback.sessions.protocol.Protocol` values.

A bad file gives one line naming the file, the line and the problem
(``my-session.toml:14: step "drop": duration_s must be a positive number of seconds``):
tomllib reports syntax errors with their line; for the meaning of a value the line is found
by locating the step's table and the key in the text.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from biofeedback.formats.errors import UserError
from biofeedback.sessions.protocol import (
    DEFAULT_SAFETY,
    MEASURES,
    Pacer,
    Protocol,
    Rating,
    Step,
    StepKind,
    Target,
    TargetKind,
    Until,
)

MAX_FILE_BYTES = 256 * 1024
_Err = Callable[[str, str], "ProtocolError"]  # builds a located error for one step
MAX_STEPS = 500
MAX_REPEAT = 50
MAX_STEP_S = 3600.0
# pain NRS 0-10, anxiety SUDS 0-100 (clinical.md §6); the dilator's size number in the set
RATING_SCALES = {"pain": (0, 10), "anxiety": (0, 100), "dilator_size": (1, 10)}
_STEP_KEYS = {"name", "kind", "instruction", "duration_s", "until", "target", "measure", "pacer",
              "rating", "effort", "sets_baseline", "repeat", "steps"}


class ProtocolError(UserError, ValueError):
    """A protocol file is not usable; ``str()`` is ``FILE:LINE: problem``."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}")


@dataclass
class _Where:
    """Finds the line of a step (by order of ``[[step]]`` / ``[[step.steps]]`` headers) and
    of a key inside it."""

    lines: list[str]

    def step_line(self, top: int, sub: int | None = None) -> int | None:
        n_top, n_sub = -1, -1
        for i, text in enumerate(self.lines, start=1):
            head = text.strip()
            if re.match(r"^\[\[\s*step\s*\]\]", head):
                n_top, n_sub = n_top + 1, -1
                if n_top == top and sub is None:
                    return i
            elif re.match(r"^\[\[\s*step\s*\.\s*steps\s*\]\]", head):
                n_sub += 1
                if n_top == top and n_sub == sub:
                    return i
            if n_top > top:
                break
        return None

    def key_line(self, start: int | None, key: str) -> int | None:
        """The line of ``key = ...`` in the table whose header is on line ``start``."""
        if start is None:
            return None
        for i in range(start, len(self.lines)):  # lines[start] is the line after the header
            head = self.lines[i].strip()
            if head.startswith("["):
                break
            if re.match(rf"^{re.escape(key)}\s*=", head):
                return i + 1
        return start


def builtin_names() -> list[str]:
    """Names of the protocols shipped with the app."""
    folder = resources.files("biofeedback.sessions") / "builtin"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_builtin(name: str) -> Protocol:
    path = resources.files("biofeedback.sessions") / "builtin" / f"{name}.toml"
    if not path.is_file():
        raise ProtocolError(name, None, f"no built-in protocol {name!r}; built-in: "
                            + ", ".join(builtin_names()))
    return parse_protocol(path.read_text(encoding="utf-8"), f"builtin:{name}")


def load_protocol(name_or_path: str | Path) -> Protocol:
    """A built-in protocol by name, or a protocol file."""
    text = str(name_or_path)
    if not text.endswith(".toml") and "/" not in text and text in builtin_names():
        return load_builtin(text)
    path = Path(name_or_path)
    try:
        if not path.is_file():
            raise ProtocolError(str(path), None, "no such protocol file (and no built-in "
                                "protocol of that name: " + ", ".join(builtin_names()) + ")")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ProtocolError(str(path), None, f"larger than {MAX_FILE_BYTES // 1024} kB: "
                                "not a protocol file")
        raw = path.read_bytes()
    except OSError as exc:
        raise ProtocolError(str(path), None, f"cannot read it ({exc.strerror})") from None
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(str(path), None, "not a text (UTF-8) file") from None
    return parse_protocol(source, str(path))


def parse_protocol(text: str, path: str = "<protocol>") -> Protocol:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ProtocolError(path, int(m.group(1)) if m else None,
                            f"not valid TOML: {msg}") from None
    where = _Where(text.splitlines())
    head = data.get("protocol")
    if not isinstance(head, dict):
        raise ProtocolError(path, None, "needs a [protocol] table with name, title and "
                            "description")
    head_line = next((i for i, t in enumerate(where.lines, 1)
                      if t.strip().startswith("[protocol]")), None)

    def need_text(table: dict, key: str, line: int | None, what: str, limit: int) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ProtocolError(path, where.key_line(line, key) if line else None,
                                f"{what}: '{key}' must be a non-empty text")
        if len(value) > limit:
            raise ProtocolError(path, where.key_line(line, key), f"{what}: '{key}' is longer "
                                f"than {limit} characters")
        return value.strip()

    name = need_text(head, "name", head_line, "[protocol]", 60)
    title = need_text(head, "title", head_line, "[protocol]", 120)
    description = need_text(head, "description", head_line, "[protocol]", 600)
    safety = head.get("safety", DEFAULT_SAFETY)
    if not isinstance(safety, str) or not safety.strip():
        raise ProtocolError(path, where.key_line(head_line, "safety"),
                            "[protocol]: 'safety' must say when to stop and contact the "
                            "clinician")
    sources = head.get("sources", [])
    if not (isinstance(sources, list) and all(isinstance(s, str) for s in sources)):
        raise ProtocolError(path, where.key_line(head_line, "sources"),
                            "[protocol]: 'sources' must be a list of texts")
    raw_steps = data.get("step")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ProtocolError(path, None, "no steps: add [[step]] tables")
    steps: list[Step] = []
    for i, raw in enumerate(raw_steps):
        line = where.step_line(i)
        steps += _parse_step_or_block(raw, path, where, line, i)
        if len(steps) > MAX_STEPS:
            raise ProtocolError(path, line, f"more than {MAX_STEPS} steps")
    return Protocol(name, title, description, tuple(steps), safety.strip(), tuple(sources),
                    path)


def _parse_step_or_block(raw: Any, path: str, where: _Where, line: int | None,
                         top: int) -> list[Step]:
    if not isinstance(raw, dict):
        raise ProtocolError(path, line, "each step must be a table")
    if "steps" not in raw:
        return [_parse_step(raw, path, where, line)]
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ProtocolError(path, line, "a repeated block needs a 'name'")
    repeat = raw.get("repeat", 1)
    if not isinstance(repeat, int) or isinstance(repeat, bool) or not 1 <= repeat <= MAX_REPEAT:
        raise ProtocolError(path, where.key_line(line, "repeat"), f"block {name!r}: 'repeat' "
                            f"must be a whole number from 1 to {MAX_REPEAT}")
    subs = raw["steps"]
    if not isinstance(subs, list) or not subs:
        raise ProtocolError(path, line, f"block {name!r}: 'steps' must hold [[step.steps]] "
                            "tables")
    parsed = [_parse_step(s, path, where, where.step_line(top, j))
              for j, s in enumerate(subs)]
    out = []
    for r in range(1, repeat + 1):
        for st in parsed:
            out.append(_with_group(st, name.strip(), r, repeat))
    return out


def _with_group(st: Step, group: str, rep: int, reps: int) -> Step:
    return replace(st, group=group, repetition=rep, repetitions=reps)


def _parse_step(raw: Any, path: str, where: _Where, line: int | None) -> Step:
    if not isinstance(raw, dict):
        raise ProtocolError(path, line, "each step must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 60:
        raise ProtocolError(path, line, "every step needs a 'name' (up to 60 characters)")
    what = f"step {name!r}"

    def err(key: str, problem: str) -> ProtocolError:
        return ProtocolError(path, where.key_line(line, key), f"{what}: {problem}")

    unknown = sorted(set(raw) - _STEP_KEYS)
    if unknown:
        raise err(unknown[0], f"unknown key '{unknown[0]}' (known: "
                  f"{', '.join(sorted(_STEP_KEYS - {'steps', 'repeat'}))})")
    try:
        kind = StepKind(raw.get("kind"))
    except ValueError:
        raise err("kind", f"'kind' must be one of {', '.join(k.value for k in StepKind)}"
                  ) from None
    instruction = raw.get("instruction")
    if not isinstance(instruction, str) or not instruction.strip():
        raise err("instruction", "'instruction' must say what to do, in calm words")
    duration = raw.get("duration_s")
    if duration is not None and not _positive(duration, MAX_STEP_S):
        raise err("duration_s", f"'duration_s' must be a positive number of seconds up to "
                  f"{MAX_STEP_S:g}")
    until = _until(raw.get("until"), err)
    if duration is None and until is None and kind not in (StepKind.RATING,
                                                            StepKind.INSTRUCTION):
        raise err("duration_s", "needs 'duration_s' or an 'until' condition")
    if duration is not None and until is not None:
        raise err("until", "give either 'duration_s' or 'until', not both")
    measure = raw.get("measure", [])
    if not (isinstance(measure, list) and all(isinstance(m, str) for m in measure)):
        raise err("measure", "'measure' must be a list of measurement names")
    bad = [m for m in measure if m not in MEASURES]
    if bad:
        raise err("measure", f"unknown measurement {bad[0]!r} (known: {', '.join(MEASURES)})")
    effort = raw.get("effort")
    if effort is not None and not (_positive(effort, 1.0)):
        raise err("effort", "'effort' must be a share of the maximum between 0 and 1")
    baseline = raw.get("sets_baseline", False)
    if not isinstance(baseline, bool) or (baseline and kind is not StepKind.REST):
        raise err("sets_baseline", "'sets_baseline' is true or false, and only for rest steps")
    rating = _rating(raw.get("rating"), kind, err)
    return Step(name.strip(), kind, instruction.strip(), None if duration is None
                else float(duration), until, _target(raw.get("target"), err), tuple(measure),
                _pacer(raw.get("pacer"), kind, err), rating,
                None if effort is None else float(effort), baseline)


def _positive(value: Any, top: float) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and 0 < value <= top)


def _until(raw: Any, err: _Err) -> Until | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"relaxed_s", "timeout_s"}:
        raise err("until", "'until' is { relaxed_s = S, timeout_s = S }")
    relaxed, timeout = raw.get("relaxed_s"), raw.get("timeout_s")
    if not _positive(relaxed, MAX_STEP_S) or not _positive(timeout, MAX_STEP_S):
        raise err("until", "'until' needs positive relaxed_s and timeout_s (seconds)")
    if relaxed >= timeout:
        raise err("until", "relaxed_s must be shorter than timeout_s")
    return Until(float(relaxed), float(timeout))


def _target(raw: Any, err: _Err) -> Target:
    if raw is None:
        return Target()
    if not isinstance(raw, dict):
        raise err("target", "'target' is a table, e.g. { kind = \"below_line\" }")
    try:
        kind = TargetKind(raw.get("kind", "none"))
    except ValueError:
        raise err("target", "target kind must be one of "
                  + ", ".join(k.value for k in TargetKind)) from None
    percent = raw.get("percent", 0.0)
    factor = raw.get("line_factor")
    if kind is TargetKind.PERCENT_MAX and not _positive(percent, 100.0):
        raise err("target", "a percent_max target needs 'percent' between 0 and 100")
    if factor is not None and not _positive(factor, 5.0):
        raise err("target", "'line_factor' must be a positive factor of the baseline (<= 5)")
    return Target(kind, float(percent), None if factor is None else float(factor))


def _pacer(raw: Any, kind: StepKind, err: _Err) -> Pacer | None:
    if raw is None:
        return Pacer() if kind is StepKind.BREATHE else None
    if not isinstance(raw, dict) or set(raw) - {"inhale_s", "exhale_s"}:
        raise err("pacer", "'pacer' is { inhale_s = S, exhale_s = S }")
    pacer = Pacer(float(raw.get("inhale_s", 3.0)), float(raw.get("exhale_s", 7.0)))
    # clinical.md §5: pacer 4-7 breaths/min, inhale/exhale 0.4-1.0
    if not (4.0 - 1e-9 <= pacer.rate_per_min <= 7.0 + 1e-9 and 0.4 - 1e-9 <= pacer.ie_ratio
            <= 1.0 + 1e-9):
        raise err("pacer", f"pacer {pacer.rate_per_min:.1f}/min with inhale/exhale "
                  f"{pacer.ie_ratio:.2f} is outside 4-7 breaths/min and 0.4-1.0 "
                  "(clinical.md §5)")
    return pacer


def _rating(raw: Any, kind: StepKind, err: _Err) -> Rating | None:
    if kind is not StepKind.RATING:
        if raw is not None:
            raise err("rating", "'rating' belongs to rating steps only")
        return None
    if not isinstance(raw, dict):
        raise err("rating", "a rating step needs rating = { scale = \"pain\", question = ... }")
    scale = raw.get("scale")
    if scale not in RATING_SCALES:
        raise err("rating", "rating scale must be 'pain' (0-10), 'anxiety' (0-100) or "
                  "'dilator_size' (1-10)")
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        raise err("rating", "the rating needs a 'question'")
    low, high = RATING_SCALES[scale]
    return Rating(scale, question.strip(), low, high)


__all__ = ["ProtocolError", "builtin_names", "load_builtin", "load_protocol",
           "parse_protocol"]
