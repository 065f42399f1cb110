"""The home-mode screenshots of the patient's guide (``docs/home-guide.md``), from the code.

Called by ``tools/screenshots.py``; also runs alone (same virtual screen)::

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python tools/screenshots_home.py [OUT_DIR]

The real :class:`HomeWindow` on a temporary records file: a programme imported as a clinic
would send it, two weeks of sample home sessions (so progress and the calendar have something
to show), the screening dialog, and a practice on the simulated sensor. The start page and
the practice are taken at 1024x600 too (the smallest screen the app supports).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = (1024, 600)
LARGE = (1280, 800)


def _seed(repo, code: str, now: dt.datetime) -> None:
    """Sample home sessions over the last two weeks (minutes and time below the line)."""
    from biofeedback.storage.records import SessionRecord, new_session_uid

    plan = [(-13, 15, 48.0), (-12, 12, 55.0), (-10, 15, 61.0), (-8, 18, 66.0), (-7, 15, 72.0),
            (-5, 15, 70.0), (-3, 20, 78.0), (-2, 15, 81.0), (-1, 16, 76.0)]
    for day, minutes, below in plan:
        started = (now + dt.timedelta(days=day)).replace(hour=18, minute=5)
        rec = SessionRecord(new_session_uid(), code, "down-training", "Down-training",
                            started.astimezone(dt.UTC), minutes * 60.0, "finished",
                            {"percent_below_line": below, "practised_s": minutes * 60.0},
                            origin="home")
        repo.add_session(dataclasses.replace(rec))


def _programme(folder: Path) -> Path:
    from biofeedback.app.programme import (
        DilatorSize,
        Programme,
        ProgrammeProtocol,
        Schedule,
        write_programme,
    )

    prog = Programme("H001", (ProgrammeProtocol("down-training"), ProgrammeProtocol("dilator")),
                     Schedule(5, 15, ("mon", "tue", "thu", "fri", "sat")),
                     tuple(DilatorSize(n, label, d) for n, label, d in
                           ((1, "XS", 16.0), (2, "S", 19.0), (3, "M", 22.0), (4, "L", 26.0))),
                     1, message="Gently does it: breathe, let go, and stop if it hurts. "
                     "See you on the 20th.")
    path = folder / "H001.bfprog"
    write_programme(prog, path)
    return path


def home_shots(app, out: Path, folder: Path) -> None:
    from screenshots import _save, _wait

    from biofeedback.sessions.loader import load_protocol
    from biofeedback.sessions.scripted import protocol_scenario
    from biofeedback.storage.records import SqliteDatabase
    from biofeedback.ui.home.screening import ScreeningDialog
    from biofeedback.ui.home.window import HomeWindow

    protocol = load_protocol("down-training")
    now = dt.datetime(2026, 3, 19, 10, 0).astimezone()  # a Thursday: a month with history
    db = SqliteDatabase(folder / "home-records.sqlite3", backup_folder=folder / "home-backups")
    win = HomeWindow(f"simulated:{protocol_scenario(protocol)}", {"speed": 20.0}, repo=db.repo,
                     clock=lambda: now, persist=False, state_path=folder / "home-state.json")
    win.resize(*SMALL)
    win.show()
    _wait(app, lambda: win.isVisible(), 5)
    _save(win, "home-no-programme.png", out)
    win.import_programme_file(_programme(folder))
    _seed(db.repo, "H001", win.model.now())
    win.prefs.reminders_on = True
    win.show_start()
    win.start_page.say("")
    app.processEvents()
    _save(win, "home-start-1024x600.png", out)
    win.resize(*LARGE)
    app.processEvents()
    _save(win, "home-start.png", out)
    dialog = ScreeningDialog(win.model, win)
    dialog.show()
    _wait(app, dialog.isVisible, 5)
    app.processEvents()
    _save(dialog, "home-screening.png", out)
    dialog.close()
    win.show_progress()
    app.processEvents()
    _save(win, "home-progress.png", out)
    win.resize(*SMALL)
    app.processEvents()
    _save(win, "home-progress-1024x600.png", out)
    win.show_start()
    win.model.confirm_screening([])
    win.stack.setCurrentWidget(win.practice_view)
    if not win.practice.begin("H001", protocol):
        raise RuntimeError(f"screenshot: the practice did not start: {win.practice.error}")
    ctl = win.practice.guided

    def at(label: str, elapsed_s: float):
        def reached() -> bool:
            v = ctl.guided.view() if ctl.guided is not None else None
            return v is not None and v.label == label and v.elapsed_s >= elapsed_s
        return reached

    _wait(app, at("Paced breathing", 31.5), 60)
    _save(win, "home-practice-1024x600.png", out)
    ctl.stop("stopped")
    win.close()
    db.close()


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    from screenshots import screenshot_app

    with screenshot_app(argv) as (app, out, tmp):
        home_shots(app, out, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
