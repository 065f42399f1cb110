"""The window with other sources: a replayed recording gets a transport bar; options stay with
the source they were given for."""

from __future__ import annotations

from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal
from biofeedback.formats.edf import write_edf
from biofeedback.streams import SignalSet
from biofeedback.ui.main_window import MainWindow


def _recording(path):
    sig = SimulatedSignal(Scenario.parse("rest:3,contract:2@0.6,rest:5"), SimulatedConfig(seed=2))
    blocks = list(sig.generate(10.0))
    import numpy as np

    from biofeedback.devices.simulated import source_info

    info = source_info(SimulatedConfig())
    data = {s.name: np.concatenate([b.data for b in blocks if b.stream == s.name]) for s in info.streams}
    write_edf(SignalSet(info.streams, data), path)
    return path


def test_replay_shows_a_transport_bar_and_streams_the_file(qtbot, tmp_path):
    path = _recording(tmp_path / "r.bdf")
    win = MainWindow(f"replay:{path}", source_options={"speed": 5.0})
    qtbot.addWidget(win)
    win.show()
    assert win.start()
    assert win.transport is not None
    qtbot.waitUntil(lambda: win.engine.emg_time_s > 6.0, timeout=10_000)
    win.transport.toggle_play()  # pause
    qtbot.wait(300)
    t_paused = win.engine.emg_time_s
    qtbot.wait(400)
    assert win.engine.emg_time_s == t_paused
    assert win.link_status.state == "connected"
    win.stop()
    assert win.transport is None


def test_options_only_apply_to_their_source(qtbot):
    win = MainWindow("simulated:rest", source_options={"speed": 3.0})
    qtbot.addWidget(win)
    assert win.start()
    assert win.engine.source.speed == 3.0
    win.stop()
    win.source_combo.setCurrentIndex(win.source_combo.findData("simulated:contractions"))
    assert win.start()
    assert win.engine.source.speed == 1.0
    win.stop()


def test_notch_selector_rebuilds_the_processor_and_removes_hum(qtbot):
    import numpy as np

    from biofeedback.app.acquisition import AcquisitionEngine
    from biofeedback.devices.simulated import SimulatedConfig, SimulatedSensor

    src = SimulatedSensor("rest", config=SimulatedConfig(hum_uv=20.0), speed=4.0)
    win = MainWindow("simulated:rest")
    qtbot.addWidget(win)
    win.engine = AcquisitionEngine(src, win._pipeline_config())
    win.engine.start()
    qtbot.waitUntil(lambda: win.engine.emg_time_s > 3.0, timeout=10_000)
    _, before = win.engine.emg.latest(2000)
    win.notch_combo.setCurrentIndex(win.notch_combo.findData(50.0))
    assert win.engine.config.emg.notch_hz == 50.0
    t_switch = win.engine.emg_time_s
    qtbot.waitUntil(lambda: win.engine.emg_time_s > t_switch + 3.0, timeout=10_000)
    _, after = win.engine.emg.latest(2000)
    rms = lambda x: float(np.sqrt(np.nanmean(x[:, 0] ** 2)))  # noqa: E731
    assert rms(before) > 10.0  # hum dominates without the notch
    assert rms(after) < 0.3 * rms(before)
    win.engine.close()
    win.engine = None
