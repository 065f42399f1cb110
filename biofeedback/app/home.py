"""Home mode for the patient, without Qt: the clearance, the safety screening, today's
practice, progress, the dilator suggestion and the bundle for the clinician.

* **Clearance**: practice opens only with a programme the clinician exported for this person
  (``app/programme.py``); without one the start page explains, calmly, how to get one. The
  home computer's patient is the one of the most recently imported programme.
* **Safety screening** (clinical.md §7, "before first use, screening checklist ... blocks
  home sessions until a clinician clears it"): a short checklist confirmed before the first
  practice of each day [D: daily, since an infection or bleeding can start any day]. If
  anything applies, practice stays closed for today with the advice to contact the clinician;
  the stop rules (§7) are shown with it.
* **Today**: the programme's practice (the protocol practised longest ago comes first), its
  length, whether today is a programme day; progress and the calendar are in
  ``app/home_progress.py``, reminders in ``app/home_reminders.py``.
* **Dilator**: the progression rule's suggestion (it suggests; the person decides).
* **Bundle**: the home sessions for the clinician (``app/bundle.py``).

Time comes from an injected ``clock`` (a timezone-aware "now", the person's zone), so tests
step through days without waiting. The screening answers and the last reminder time are kept
in ``<data dir>/home/state.json`` (0600: health data).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from biofeedback.app.bundle import export_bundle
from biofeedback.app.home_progress import Month, Progress, minutes_text, month, progress
from biofeedback.app.home_reminders import DAY_INDEX, Reminder, ReminderSchedule
from biofeedback.app.programme import Programme, current_programme, dilator_suggestion
from biofeedback.app.programme import import_programme as _import_programme
from biofeedback.app.session_history import migrate_legacy
from biofeedback.sessions.protocol import Protocol, StepKind
from biofeedback.storage.paths import data_dir, ensure_private_dir
from biofeedback.storage.records import Repository, SessionRecord
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.files import write_atomically

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]

NO_PROGRAMME = ("Practice opens with a programme from your clinician, made for you and your "
                "sensor. Ask your clinician for your programme file (its name ends in "
                ".bfprog), then choose \u201cImport programme\u2026\u201d and pick the file. "
                "Until then, there is nothing you need to do.")

#: clinical.md §7, the screening checklist (the pacemaker item concerns stimulation, which
#: this app does not offer, so it is not asked).
SCREENING: tuple[tuple[str, str], ...] = (
    ("infection", "An infection in the genital area, or discharge that is unusual for you"),
    ("bleeding", "Bleeding that is not your period"),
    ("surgery", "Pelvic or vaginal surgery, or giving birth, in the last 6 weeks (unless "
                "your clinician has said you can practise)"),
    ("pregnancy", "You are or might be pregnant and have not yet asked your clinician "
                  "about practising"),
    ("radiotherapy", "Radiotherapy to the pelvis recently"),
    ("allergy", "An allergy to the probe's material or to the lubricant"),
)

#: clinical.md §7, in-session stop rules.
STOP_RULES = ("Stop at any time if you feel sharp or increasing pain (6 out of 10 or more), "
              "see more than light spotting, or feel faint or panicky beyond what you can "
              "manage, and contact your clinician.")

AFTER_PAIN = ("Your last practice ended because of pain. Please contact your clinician before "
              "you practise again; the check below is asked again first.")

SCREEN_HOLD = ("Thank you for checking. Please do not practise today: contact your clinician "
               "first and tell them what applies. Practice opens again when you next confirm "
               "that none of these apply.")


@dataclass(frozen=True)
class Clearance:
    cleared: bool
    patient_code: str | None
    programme: Programme | None
    text: str


@dataclass(frozen=True)
class ScreeningOutcome:
    clear: bool
    applies: tuple[str, ...]  # the keys of SCREENING that apply
    text: str


@dataclass(frozen=True)
class TodayPlan:
    protocol: Protocol  # the one suggested now
    protocols: tuple[Protocol, ...]  # all of the programme's, in its order
    minutes: int
    practice_day: bool
    minutes_today: float
    sessions_today: int
    message: str  # the clinician's line from the programme

    def lines(self) -> list[str]:
        out = [f"{self.protocol.title}, about {self.minutes} min."]
        if not self.practice_day:
            out[0] = (f"Today is a free day in your programme. If you would like to practise, "
                      f"{self.protocol.title} is ready (about {self.minutes} min).")
        if self.protocol.description:
            out.append(self.protocol.description)
        others = [p.title for p in self.protocols if p is not self.protocol]
        if others:
            out.append("Also in your programme: " + ", ".join(others) + ".")
        if self.sessions_today:
            out.append(f"You have practised {minutes_text(self.minutes_today)} today. Well "
                       "done. Another session is welcome if it feels right.")
        return out


@dataclass(frozen=True)
class ImportOutcome:
    programme: Programme
    new: bool
    text: str


class HomeModel:
    """The home start page's state and actions over the records (see the module docstring)."""

    def __init__(self, repo: Repository, *, clock: Clock | None = None,
                 state_path: Path | None = None) -> None:
        self.repo = repo
        self.clock = clock or (lambda: dt.datetime.now().astimezone())
        self.state_path = state_path or data_dir() / "home" / "state.json"

    def now(self) -> dt.datetime:
        t = self.clock()
        return t if t.tzinfo is not None else t.astimezone()

    # -- the clearance -------------------------------------------------------------------
    def patient_code(self) -> str | None:
        """The patient of the most recently imported programme (one person per home computer)."""
        latest = None
        for p in self.repo.list_patients():
            stored = self.repo.latest_programme(p.code)
            if stored is not None and (latest is None or stored.imported > latest.imported):
                latest = stored
        return latest.patient_code if latest is not None else None

    def clearance(self) -> Clearance:
        code = self.patient_code()
        prog = current_programme(self.repo, code) if code else None
        if prog is None:
            return Clearance(False, None, None, NO_PROGRAMME)
        return Clearance(True, code, prog, prog.message or "Your programme is ready.")

    def import_programme(self, path: Path) -> ImportOutcome:
        """Store a programme file (a bad one raises RecordsError with one line)."""
        prog, new = _import_programme(self.repo, Path(path))
        try:
            migrate_legacy(self.repo, prog.patient_code,
                           {p.name: p for p in prog.load_protocols()})
        except (OSError, RecordsError) as exc:  # the old comparison files are a nicety
            log.warning("old last-session files not moved into the records: %s", exc)
        text = (f"Your programme from {prog.created.astimezone(self.now().tzinfo):%d %B %Y} "
                "is ready." if new else "This programme was already imported; it is ready.")
        return ImportOutcome(prog, new, text)

    # -- the screening -------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        try:
            d = json.loads(self.state_path.read_text(encoding="utf-8"))
            return d if isinstance(d, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save_state(self, d: dict[str, Any]) -> None:
        ensure_private_dir(self.state_path.parent)
        body = json.dumps(d, indent=1, sort_keys=True).encode()
        write_atomically(self.state_path, lambda f: f.write(body))

    def _screen_key(self) -> str:
        code = self.patient_code() or ""
        stored = self.repo.latest_programme(code) if code else None
        return stored.sha256 if stored is not None else ""

    def last_screening(self) -> tuple[dt.datetime, bool] | None:
        """When the screening was last answered for this programme and whether it was clear."""
        entry = self._state().get("screening", {}).get(self._screen_key())
        try:
            return dt.datetime.fromisoformat(entry["at"]), bool(entry["clear"])
        except (TypeError, KeyError, ValueError):
            return None

    def screening_due(self) -> bool:
        """True before the first practice of the day, after an answer that held practice, and
        after a practice that ended because of pain (clinical.md §7)."""
        last = self.last_screening()
        if last is None:
            return True
        at, clear = last
        sessions = self.sessions()
        if sessions and sessions[-1].ended == "pain" and sessions[-1].started >= at:
            return True
        return not clear or at.astimezone(self.now().tzinfo).date() != self.now().date()

    def last_ended_in_pain(self) -> bool:
        sessions = self.sessions()
        return bool(sessions) and sessions[-1].ended == "pain"

    def confirm_screening(self, applies: Sequence[str]) -> ScreeningOutcome:
        keys = {k for k, _ in SCREENING}
        unknown = set(applies) - keys
        if unknown:
            raise ValueError(f"unknown screening items: {', '.join(sorted(unknown))}")
        clear = not applies
        state = self._state()
        state.setdefault("screening", {})[self._screen_key()] = {
            "at": self.now().isoformat(), "clear": clear, "applies": sorted(applies)}
        self._save_state(state)
        text = "Thank you. " + STOP_RULES if clear else SCREEN_HOLD
        return ScreeningOutcome(clear, tuple(sorted(applies)), text)

    def practice_hold(self) -> str:
        """Why practice is closed now ("" when it is open once the screening is confirmed)."""
        c = self.clearance()
        if not c.cleared:
            return c.text
        last = self.last_screening()
        if last is not None and not last[1]:
            return SCREEN_HOLD
        return AFTER_PAIN if self.last_ended_in_pain() else ""

    # -- today, progress, calendar, dilator ------------------------------------------------
    def sessions(self) -> list[SessionRecord]:
        code = self.patient_code()
        return self.repo.sessions(code) if code else []

    def today(self) -> TodayPlan | None:
        c = self.clearance()
        if c.programme is None:
            return None
        protocols = tuple(c.programme.load_protocols())
        sessions = self.sessions()
        now = self.now()
        last: dict[str, dt.datetime] = {}
        for r in sessions:
            last[r.protocol] = max(last.get(r.protocol, r.started), r.started)
        never = dt.datetime.min.replace(tzinfo=dt.UTC)
        order = sorted(range(len(protocols)), key=lambda i: (last.get(protocols[i].name, never), i))
        today = [r for r in sessions if r.started.astimezone(now.tzinfo).date() == now.date()]
        sched = c.programme.schedule
        day_ok = not sched.days or now.weekday() in {DAY_INDEX[d] for d in sched.days}
        return TodayPlan(protocols[order[0]], protocols, sched.minutes, day_ok,
                         sum(r.duration_s for r in today) / 60.0, len(today), c.programme.message)

    def progress(self) -> Progress:
        c = self.clearance()
        per_week = c.programme.schedule.sessions_per_week if c.programme else None
        return progress(self.sessions(), self.now(), per_week)

    def month(self, year: int | None = None, month_no: int | None = None) -> Month:
        now = self.now()
        c = self.clearance()
        days = c.programme.schedule.days if c.programme else ()
        return month(self.sessions(), year or now.year, month_no or now.month, now,
                     [DAY_INDEX[d] for d in days])

    def dilator(self) -> str | None:
        """The progression rule's suggestion, when the programme has dilator practice."""
        c = self.clearance()
        if c.programme is None or c.patient_code is None:
            return None
        kinds = {s.kind for p in c.programme.load_protocols() for s in p.steps}
        if not c.programme.dilator_sizes and StepKind.DILATOR_HOLD not in kinds:
            return None
        s = dilator_suggestion(self.repo, c.patient_code)
        return s.text if s is not None else None

    # -- for the clinician ---------------------------------------------------------------
    def export_bundle(self, path: Path) -> str:
        """Write the home sessions for the clinician; the sentence to show (RecordsError with
        one line when it cannot be written)."""
        code = self.patient_code()
        if code is None:
            raise RecordsError("there is no programme yet, so there are no sessions to send")
        res = export_bundle(self.repo, code, Path(path))
        text = (f"Saved {res.sessions} session{'s' if res.sessions != 1 else ''} "
                f"({res.recordings} recording{'s' if res.recordings != 1 else ''}) to "
                f"{res.path}. Give this file to your clinician.")
        if res.missing_recordings:
            text += (f" {len(res.missing_recordings)} recording(s) were no longer on this "
                     "computer; their results are included.")
        return text

    # -- reminders -------------------------------------------------------------------------
    def reminder_schedule(self, enabled: bool, hour: int, minute: int) -> ReminderSchedule:
        c = self.clearance()
        sched = c.programme.schedule if c.programme else None
        return ReminderSchedule(enabled and c.cleared, hour, minute,
                                sched.days if sched else (), sched.minutes if sched else 15)

    def reminder_due(self, schedule: ReminderSchedule) -> Reminder | None:
        now = self.now()
        practised = [r.started.astimezone(now.tzinfo).date() for r in self.sessions()]
        last = self._state().get("last_reminded")
        try:
            last_at = dt.datetime.fromisoformat(last) if isinstance(last, str) else None
        except ValueError:
            last_at = None
        return schedule.due(now, practised, last_at)

    def mark_reminded(self, at: dt.datetime | None = None) -> None:
        state = self._state()
        state["last_reminded"] = (at or self.now()).isoformat()
        self._save_state(state)


__all__ = ["AFTER_PAIN", "NO_PROGRAMME", "SCREENING", "STOP_RULES", "Clearance", "HomeModel",
           "ImportOutcome", "ScreeningOutcome", "TodayPlan"]
