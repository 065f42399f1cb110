"""Home mode without Qt: the clearance, the daily screening, today's practice, progress and
the calendar (nothing punitive), the dilator suggestion, the bundle, reminders; a clock is
injected, so days pass without waiting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import stat
import sys
from pathlib import Path

import pytest

from biofeedback.app.bundle import import_bundle, read_bundle
from biofeedback.app.home import (
    AFTER_PAIN,
    NO_PROGRAMME,
    SCREEN_HOLD,
    SCREENING,
    STOP_RULES,
    HomeModel,
)
from biofeedback.app.home_progress import minutes_text, progress, shift_month
from biofeedback.app.home_reminders import ReminderSchedule, describe_next
from biofeedback.app.programme import (
    DilatorSize,
    Programme,
    ProgrammeProtocol,
    Schedule,
    write_programme,
)
from biofeedback.storage.records import RecordsError, SqliteDatabase

TZ = dt.timezone(dt.timedelta(hours=1))  # the person's zone
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


class Clock:
    def __init__(self, t: dt.datetime = MONDAY) -> None:
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t

    def days(self, n: float) -> None:
        self.t += dt.timedelta(days=n)


def _programme(tmp_path: Path, code: str = "H001", *, days: tuple[str, ...] = ("mon", "wed"),
               dilator: bool = False, name: str = "prog.bfprog") -> Path:
    protos = [ProgrammeProtocol("down-training"), ProgrammeProtocol("body-scan")]
    if dilator:
        protos.append(ProgrammeProtocol("dilator"))
    prog = Programme(code, tuple(protos), Schedule(4, 15, days),
                     (DilatorSize(1, "XS", 19.0), DilatorSize(2, "S", 22.0)) if dilator else (),
                     1 if dilator else None, message="Gently does it. See you on the 20th.")
    path = tmp_path / name
    write_programme(prog, path)
    return path


@pytest.fixture
def home(tmp_path):
    db = SqliteDatabase(tmp_path / "home" / "records.sqlite3", backup_folder=tmp_path / "b")
    clock = Clock()
    yield HomeModel(db.repo, clock=clock, state_path=tmp_path / "home" / "state.json"), clock
    db.close()


def _add(model: HomeModel, make_session, clock: Clock, *, day: float, minutes: float = 15,
         below: float | None = 80.0, protocol: str = "down-training", ended: str = "finished"):
    rec = make_session(model.patient_code() or "H001", origin="home")
    rec = dataclasses.replace(rec, protocol=protocol, duration_s=minutes * 60, ended=ended,
                              started=(MONDAY + dt.timedelta(days=day)).astimezone(dt.UTC),
                              summary={"percent_below_line": below, "practised_s": minutes * 60})
    model.repo.add_session(rec)
    return rec


def test_without_a_programme_practice_is_closed_with_a_calm_explanation(home):
    model, _ = home
    c = model.clearance()
    assert not c.cleared and c.text == NO_PROGRAMME and c.patient_code is None
    assert ".bfprog" in c.text and "Import programme" in c.text
    assert model.today() is None and model.practice_hold() == NO_PROGRAMME
    assert model.progress().lines() == ["Your practice will show here after your first "
                                        "session."]
    with pytest.raises(RecordsError, match="no programme yet"):
        model.export_bundle(Path("x.bfbundle"))


def test_an_imported_programme_clears_practice_for_its_patient(home, tmp_path):
    model, _ = home
    path = _programme(tmp_path)
    out = model.import_programme(path)
    assert out.new and "is ready" in out.text
    c = model.clearance()
    assert c.cleared and c.patient_code == "H001"
    assert c.text == "Gently does it. See you on the 20th."
    assert model.import_programme(path).new is False  # the same file twice: stored once
    # a tampered file is refused with one line; the clearance stays the one imported
    bad = tmp_path / "bad.bfprog"
    bad.write_text(_programme(tmp_path, name="p2.bfprog").read_text().replace(
        '"minutes": 15', '"minutes": 50'))
    with pytest.raises(RecordsError, match="checksum mismatch"):
        model.import_programme(bad)
    assert model.clearance().programme.schedule.minutes == 15


def test_the_screening_is_asked_before_the_first_practice_of_each_day(home, tmp_path):
    model, clock = home
    model.import_programme(_programme(tmp_path))
    assert model.screening_due()
    assert len(SCREENING) == 6 and all(text for _, text in SCREENING)
    out = model.confirm_screening([])
    assert out.clear and STOP_RULES in out.text and "contact your clinician" in STOP_RULES
    assert not model.screening_due() and model.practice_hold() == ""
    clock.t += dt.timedelta(hours=10)  # 19:00, the same day
    assert not model.screening_due()
    clock.days(1)
    assert model.screening_due()  # a new day: asked again
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(model.state_path).st_mode) == 0o600


def test_a_screening_item_that_applies_holds_practice_until_confirmed_clear(home, tmp_path):
    model, clock = home
    model.import_programme(_programme(tmp_path))
    out = model.confirm_screening(["bleeding"])
    assert not out.clear and out.applies == ("bleeding",) and out.text == SCREEN_HOLD
    assert "contact your clinician" in SCREEN_HOLD and "not practise today" in SCREEN_HOLD
    assert model.practice_hold() == SCREEN_HOLD and model.screening_due()
    clock.days(2)
    assert model.screening_due()  # asked again, never silently opened
    assert model.confirm_screening([]).clear and model.practice_hold() == ""
    with pytest.raises(ValueError, match="unknown"):
        model.confirm_screening(["nothing-like-this"])


def test_today_suggests_the_practice_done_longest_ago_and_knows_free_days(
        home, tmp_path, make_session):
    model, clock = home
    model.import_programme(_programme(tmp_path))
    plan = model.today()
    assert plan is not None and plan.practice_day and plan.minutes == 15
    assert plan.protocol.name == "down-training" and plan.sessions_today == 0
    assert plan.lines()[0] == f"{plan.protocol.title}, about 15 min."
    assert "Also in your programme: " in plan.lines()[-1]
    _add(model, make_session, clock, day=0, minutes=12)
    plan = model.today()
    assert plan.protocol.name == "body-scan"  # down-training was done today
    assert plan.sessions_today == 1 and plan.minutes_today == pytest.approx(12)
    assert "12 min today" in plan.lines()[-1]
    clock.days(1)  # Tuesday: not a programme day
    plan = model.today()
    assert not plan.practice_day and "free day" in plan.lines()[0]
    assert "missed" not in " ".join(plan.lines()).lower()


def test_progress_encourages_streak_minutes_and_relaxation_without_pressure(
        home, tmp_path, make_session):
    model, clock = home
    model.import_programme(_programme(tmp_path))
    _add(model, make_session, clock, day=0, minutes=15, below=82.0)
    _add(model, make_session, clock, day=1, minutes=10, below=55.0)
    _add(model, make_session, clock, day=2, minutes=20, below=None)
    clock.days(2)  # Wednesday
    p = model.progress()
    assert p.streak_days == 3 and p.sessions_this_week == 3
    assert p.minutes_this_week == pytest.approx(45) and p.planned_per_week == 4
    assert p.relaxed_sessions == 1 and p.best_below_percent == pytest.approx(82.0)
    text = " ".join(p.lines())
    assert "3 days in a row" in text and "45 min in 3 sessions" in text
    assert "suggests about 4 a week" in text
    for word in ("missed", "failed", "only", "behind", "should"):
        assert word not in text.lower()
    clock.days(1)  # Thursday, not yet practised: the streak is still there
    assert model.progress().streak_days == 3
    clock.days(2)  # Saturday after a free Friday: a new start, said without blame
    p = model.progress()
    assert p.streak_days == 0 and "Every practice counts" in " ".join(p.lines())
    clock.days(2)  # the next Monday: a new week
    assert model.progress().sessions_this_week == 0


def test_days_and_weeks_are_the_persons_local_ones(make_session):
    late = dataclasses.replace(make_session("H001"), duration_s=600.0,
                               started=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC))
    # 23:30 UTC on Sunday is 00:30 on Monday in UTC+1: this week, today
    assert progress([late], MONDAY).sessions_this_week == 1
    utc_monday = MONDAY.astimezone(dt.UTC).replace(hour=9)
    assert progress([late], utc_monday).sessions_this_week == 0


def test_the_calendar_marks_practice_days_and_programme_days(home, tmp_path, make_session):
    model, clock = home
    model.import_programme(_programme(tmp_path, days=("mon", "wed")))
    _add(model, make_session, clock, day=0, minutes=15)
    _add(model, make_session, clock, day=0.3, minutes=5)
    _add(model, make_session, clock, day=3, minutes=10)
    m = model.month()
    assert m.title == "March 2026" and m.practice_days == 2
    assert m.minutes == pytest.approx(30)
    days = {c.date: c for w in m.weeks for c in w}
    assert all(len(w) == 7 and w[0].date.weekday() == 0 for w in m.weeks)
    mon = days[dt.date(2026, 3, 2)]
    assert mon.today and mon.practised and mon.sessions == 2 and mon.scheduled
    assert days[dt.date(2026, 3, 5)].practised and not days[dt.date(2026, 3, 5)].scheduled
    assert days[dt.date(2026, 3, 4)].scheduled and not days[dt.date(2026, 3, 4)].practised
    assert not days[dt.date(2026, 2, 23)].in_month
    assert model.month(2026, 2).practice_days == 0
    assert shift_month(2026, 1, -1) == (2025, 12) and shift_month(2026, 12, 1) == (2027, 1)


def test_the_dilator_suggestion_appears_only_with_dilator_practice(home, tmp_path):
    model, _ = home
    model.import_programme(_programme(tmp_path))
    assert model.dilator() is None
    model.import_programme(_programme(tmp_path, dilator=True, name="d.bfprog"))
    text = model.dilator()
    assert text is not None and "size 1" in text and text.endswith("You decide.")


def test_the_home_bundle_goes_to_the_right_patient_in_the_clinic(home, tmp_path, make_session):
    model, clock = home
    model.import_programme(_programme(tmp_path))
    _add(model, make_session, clock, day=0)
    _add(model, make_session, clock, day=1)
    text = model.export_bundle(tmp_path / "H001.bfbundle")
    assert text.startswith("Saved 2 sessions") and "clinician" in text
    assert read_bundle(tmp_path / "H001.bfbundle").code == "H001"
    with SqliteDatabase(tmp_path / "clinic" / "r.sqlite3",
                        backup_folder=tmp_path / "cb") as clinic:
        clinic.repo.add_patient("H001")
        res = import_bundle(clinic.repo, tmp_path / "H001.bfbundle", folder=tmp_path / "rec")
        assert len(res.added) == 2 and {r.origin for r in clinic.repo.sessions("H001")} == {
            "home"}


def test_reminders_are_off_by_default_then_once_on_programme_days(home, tmp_path, make_session):
    model, clock = home
    assert not ReminderSchedule().enabled
    assert model.reminder_schedule(True, 18, 0).enabled is False  # no programme: no reminders
    model.import_programme(_programme(tmp_path, days=("mon", "wed")))
    off = model.reminder_schedule(False, 18, 0)
    clock.t = MONDAY.replace(hour=19)
    assert model.reminder_due(off) is None
    on = model.reminder_schedule(True, 18, 0)
    clock.t = MONDAY.replace(hour=17, minute=59)
    assert model.reminder_due(on) is None  # not yet
    assert describe_next(on.next_time(clock()), clock()) == "Next reminder: today at 18:00."
    clock.t = MONDAY.replace(hour=18, minute=5)
    r = model.reminder_due(on)
    assert r is not None and "15 min" in r.text and "When it suits you" in r.text
    model.mark_reminded()
    assert model.reminder_due(on) is None  # once a day
    clock.t = MONDAY.replace(hour=19) + dt.timedelta(days=1)  # Tuesday: not a programme day
    assert model.reminder_due(on) is None
    assert describe_next(on.next_time(clock()), clock()) == "Next reminder: tomorrow at 18:00."
    clock.days(1)  # Wednesday 19:00, but practised already today: no reminder
    _add(model, make_session, clock, day=2, minutes=15)
    assert model.reminder_due(on) is None
    clock.days(5)  # the next Monday, not practised
    assert model.reminder_due(on) is not None
    for word in ("missed", "forgot", "late"):
        assert word not in r.text.lower()


def test_after_a_pain_stop_the_clinician_is_suggested_and_the_check_asked_again(
        home, tmp_path, make_session):
    model, clock = home
    model.import_programme(_programme(tmp_path))
    model.confirm_screening([])
    assert not model.screening_due()
    clock.t += dt.timedelta(minutes=5)
    _add(model, make_session, clock, day=5 / 1440, minutes=3, below=100.0, ended="pain")
    assert model.screening_due() and model.practice_hold() == AFTER_PAIN
    assert "contact your clinician" in AFTER_PAIN
    p = model.progress()
    assert p.best_below_percent is None and p.relaxed_sessions == 0  # a pain stop is no score
    clock.t += dt.timedelta(minutes=5)
    model.confirm_screening([])
    assert not model.screening_due()
    _add(model, make_session, clock, day=15 / 1440, minutes=10, below=75.0)
    assert model.practice_hold() == ""


def test_short_practice_is_never_zero_minutes():
    assert minutes_text(0.2) == "under 1 min" and minutes_text(0.0) == "0 min"
    assert minutes_text(14.6) == "15 min"
