"""Take the user guide's screenshots from the code: the real window on simulated sources.

Run under a virtual screen (``make screenshots``)::

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python tools/screenshots.py [OUT_DIR]

Every picture is the real :class:`MainWindow` driven through its own actions on scripted
simulated scenarios (faster than real time), at the moment named in :data:`SHOTS`. Nothing is
written to the user's data folder (a temporary one is used) and the user's settings are
neither read nor changed.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
SIZE = (1400, 860)


def _wait(app, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("screenshot: the window never reached the moment to capture")
        app.processEvents()
        time.sleep(0.005)


def _window(app, spec: str, speed: float | None, size: tuple[int, int] = SIZE):
    from biofeedback.ui.main_window import MainWindow

    options = {"speed": speed} if speed is not None else {}
    win = MainWindow(spec, source_options=options, persist=False)
    win.resize(*size)
    win.show()
    _wait(app, lambda: win.isVisible(), 5)
    if not win.start():
        raise RuntimeError(f"screenshot: could not start {spec}: {win.banner.text()}")
    return win


def _at(app, win, t_s: float) -> None:
    _wait(app, lambda: win.last_snapshot.time_s >= t_s)
    for _ in range(3):  # let the last frame paint
        win.refresh()
        app.processEvents()


def _save(widget, name: str, out: Path) -> Path:
    path = out / name
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def clinician(app, out: Path) -> None:
    win = _window(app, "simulated:demo", speed=4.0)
    _at(app, win, 14.0)
    win.add_marker(1, "cue: let go")
    _at(app, win, 21.0)  # after the first squeeze: letting go, then relaxed
    _save(win, "clinician-window.png", out)
    win.toggle_patient_view()
    pv = win.patient_view
    _wait(app, lambda: pv is not None and pv.isVisible(), 5)
    _at(app, win, 23.5)  # the second squeeze is on its way
    _at(app, win, 29.5)  # and let go
    _save(pv, "patient-view.png", out)
    pv.close()
    win.close()


def small_screen(app, out: Path) -> None:
    win = _window(app, "simulated:demo", speed=4.0, size=(1024, 600))
    _at(app, win, 21.0)
    _save(win, "small-screen-1024x600.png", out)
    win.close()


def guarded_start(app, out: Path) -> None:
    win = _window(app, "simulated:contract:20@0.4,rest:30", speed=2.0)
    _at(app, win, 14.0)  # still guarding: never "Relaxed"
    _save(win, "guarded-start.png", out)
    win.close()


def bearing_down(app, out: Path) -> None:
    win = _window(app, "simulated:strain", speed=2.0)
    _wait(app, lambda: win.last_snapshot.time_s >= 10.0 and win.meter.state == "bearing_down")
    _save(win, "bearing-down.png", out)
    win.close()


def replay_review(app, out: Path, folder: Path) -> None:
    from biofeedback.devices.scenario import get_scenario
    from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
    from biofeedback.formats.edf import write_edf
    from biofeedback.streams import Annotation, SignalSet

    scenario = get_scenario("demo")
    blocks = list(SimulatedSignal(scenario, SimulatedConfig(seed=7)).generate(60.0))
    info = source_info(SimulatedConfig())
    data = {s.name: np.concatenate([b.data for b in blocks if b.stream == s.name])
            for s in info.streams}
    marks = [Annotation(7.0, 0.0, "marker:1:probe in"), Annotation(21.0, 0.0, "marker:2:cue")]
    path = write_edf(SignalSet(info.streams, data, annotations=marks), folder / "session.bdf")
    win = _window(app, f"replay:{path}", speed=10.0)
    _at(app, win, 31.0)
    win.review.transport.toggle_play()  # paused for review
    _at(app, win, 31.0)
    _wait(app, lambda: win.review.overview.plot.isVisible())  # the overview's worker is done
    _save(win, "replay-review.png", out)
    win.close()


def lost_sensor(app, out: Path) -> None:
    from biofeedback.devices import emulator as emu_mod

    with emu_mod.EmulatorProcess(scenario="rest", seed=3) as emu:
        win = _window(app, f"serial:{emu.port}", speed=None)
        _at(app, win, 6.0)
        assert emu.proc is not None
        os.kill(emu.proc.pid, signal.SIGSTOP)  # the sensor stops answering
        try:
            _wait(app, lambda: win.meter.state == "no_signal", 5)
            t = time.monotonic()
            _wait(app, lambda: time.monotonic() - t > 0.5, 2)
            _save(win, "lost-sensor.png", out)
        finally:
            os.kill(emu.proc.pid, signal.SIGCONT)
        win.close()


def guided_session(app, out: Path) -> None:
    """The built-in down-training on the simulated sensor scripted to perform it."""
    from biofeedback.sessions.loader import load_protocol
    from biofeedback.sessions.scripted import protocol_scenario

    protocol = load_protocol("down-training")
    win = _window(app, f"simulated:{protocol_scenario(protocol)}", speed=20.0)
    ctl = win.guided
    if not ctl.begin(protocol):
        raise RuntimeError(f"screenshot: the session did not start: {win.banner.text()}")

    def at(label: str, elapsed_s: float) -> Callable[[], bool]:
        def reached() -> bool:
            v = ctl.guided.view() if ctl.guided is not None else None
            return v is not None and v.label == label and v.elapsed_s >= elapsed_s
        return reached

    _wait(app, at("Paced breathing", 31.5), 60)  # the fourth breath, breathing out
    _save(win, "session-clinician.png", out)
    win.toggle_patient_view()
    pv = win.patient_view
    _wait(app, lambda: pv is not None and pv.isVisible(), 5)
    _wait(app, at("Let it all go 2 of 5", 4.0), 60)  # a release after the second squeeze
    _save(pv, "session-patient.png", out)
    pv.close()
    ctl.stop("stopped")
    win.close()


def _example_records(model) -> str:
    """Synthetic example records for the clinic screenshots (they say so in the notes): six
    sessions over five weeks, settling baseline, less pain, dilator sizes 2 → 3, three swab
    maps, a few notes. Returns the patient code shown."""
    import datetime as dt

    from biofeedback.storage.records import (
        DilatorEntry,
        Rating,
        SessionRecord,
        StepRecord,
        SwabPoint,
        new_session_uid,
    )

    repo = model.repo
    code = "P017"
    repo.add_patient(code, "A. Example")
    repo.add_patient("P018")
    repo.add_patient("HOME12-B")
    t0 = dt.datetime(2026, 3, 2, 16, 30, tzinfo=dt.UTC)
    days = [0, 4, 9, 15, 22, 31]
    for i, day in enumerate(days):
        base = 6.2 - 0.55 * i
        steps = [StepRecord(0, "Rest", "Rest", "", "rest", 0.0, 60.0, True,
                            {"mean_uv": base, "sd_uv": base * (0.22 - 0.015 * i),
                             "cv_percent": 100 * (0.22 - 0.015 * i)})]
        for k in range(1, 6):
            steps.append(StepRecord(k, f"Quick flick {k} of 5", "Quick flick", "Quick flicks",
                                    "contract", 60.0 + 12 * k, 63.0 + 12 * k, True,
                                    {"contraction_peak_uv": 38 + 2.5 * i + k,
                                     "recovery_latency_s": 3.4 - 0.35 * i + 0.1 * k}))
        dilator = i >= 2
        size = 2 if i < 4 else 3
        pain = [6, 5, 4, 3, 3, 2][i]
        ratings = (Rating("pain", pain, 0.0, "Pain before"),
                   Rating("anxiety", [70, 60, 50, 40, 40, 30][i], 30.0, "Anxiety before"),
                   Rating("pain", max(0, pain - 1), 540.0, "Pain after"))
        rec = SessionRecord(
            uid=new_session_uid(), patient_code=code,
            protocol="dilator" if dilator else "assessment",
            title="Dilator practice" if dilator else "Glazer assessment",
            started=t0 + dt.timedelta(days=day), duration_s=600.0 + 60 * i, ended="finished",
            summary={"baseline_uv": base}, processing={"emg_fs_hz": 2000.0},
            origin="home" if i in (3, 4) else "clinic", steps=tuple(steps), ratings=ratings,
            dilator=DilatorEntry(size, True, 600.0, pain, base * 1.1, base) if dilator else None)
        repo.add_session(rec)
        if i == 2:
            repo.add_note(code, "First dilator practice: size 2, full insertion, calm breathing.",
                          session_uid=rec.uid)
    repo.add_note(code, "Example records for the screenshots (synthetic data).")
    for day, pains in ((0, {12: 1, 2: 3, 4: 6, 6: 8, 8: 6, 10: 3}),
                       (15, {12: 0, 2: 2, 4: 4, 6: 6, 8: 4, 10: 2}),
                       (31, {12: 0, 2: 1, 4: 2, 6: 4, 8: 3, 10: 1})):
        repo.add_swab_map(code, [SwabPoint(c, v) for c, v in pains.items()],
                          taken=t0 + dt.timedelta(days=day, minutes=20))
    return code


def clinic(app, out: Path) -> None:
    """Clinic mode on example records: the patient list, a patient's page (history, trends,
    cotton-swab map), the report preview, and the trends at 1024 × 600."""
    win = _window(app, "simulated:rest", speed=None)
    win.stop()
    link = win.clinic
    model = link.open_model()
    code = _example_records(model)
    cw = link.show()
    cw.resize(1200, 720)
    _settle(app)
    _save(cw, "clinic-patients.png", out)
    cw.open_patient(code)
    page = cw.page
    _settle(app)
    _save(cw, "clinic-patient-page.png", out)
    page.tabs.setCurrentWidget(page.charts)
    _settle(app)
    _save(cw, "clinic-trends.png", out)
    page.tabs.setCurrentWidget(page.swab)
    page.swab.entry.set_pains({12: 0, 3: 1, 6: 3, 9: 2})
    _settle(app)
    _save(cw, "clinic-swab-map.png", out)
    preview = page.open_report()
    preview.resize(760, 700)
    _settle(app)
    _save(preview, "clinic-report-preview.png", out)
    preview.close()
    cw.resize(1024, 600)
    page.tabs.setCurrentWidget(page.charts)
    _settle(app)
    _save(cw, "clinic-trends-1024x600.png", out)
    page.tabs.setCurrentWidget(page.history)
    _settle(app)
    _save(cw, "clinic-sessions-1024x600.png", out)
    win.close()


def _settle(app) -> None:
    for _ in range(5):
        app.processEvents()
        time.sleep(0.02)


@contextmanager
def screenshot_app(argv: list[str]) -> Iterator[tuple[Any, Path, Path]]:
    """``(app, out, data)``: the application, the folder for the images (``argv[1]`` or
    docs/images) and a throw-away data folder, so no screenshot reads or writes real records."""
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BIOFEEDBACK_DATA_DIR"] = tmp
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "tools"))
        from biofeedback.ui.app import make_application

        yield make_application(), out, Path(tmp)


def main(argv: list[str]) -> int:
    with screenshot_app(argv) as (app, out, tmp):
        if os.environ.get("SCREENSHOTS_ONLY") == "clinic":  # iterate on one set
            clinic(app, out)
            return 0
        clinician(app, out)
        small_screen(app, out)
        guarded_start(app, out)
        bearing_down(app, out)
        replay_review(app, out, tmp)
        lost_sensor(app, out)
        guided_session(app, out)
        clinic(app, out)
        from screenshots_home import home_shots  # the patient's home mode (docs/home-guide.md)

        home_shots(app, out, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
