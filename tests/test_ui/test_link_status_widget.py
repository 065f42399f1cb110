"""LinkStatusWidget: states in words (not colour alone), link quality, lead-off and battery."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from biofeedback.app.live_types import LinkState
from biofeedback.streams import EventKind, SourceEvent, SourceInfo
from biofeedback.ui.link_status import LinkStatusWidget

SERIAL = SourceInfo("Pelvic sensor EMU-1", "serial", (), serial_number="EMU-1", firmware="1.0.0",
                    details={"port": "/dev/pts/3"})


def _status(ok: int, lost: int = 0, crc: int = 0, **detail) -> SourceEvent:
    link = {"frames_ok": ok, "lost_frames": lost, "crc_errors": crc, "resyncs": crc,
            "overruns": 0, "reconnects": 0}
    return SourceEvent(EventKind.STATUS, "", 0.0, {"link": link, **detail})


@pytest.fixture
def widget(qtbot) -> LinkStatusWidget:
    w = LinkStatusWidget()
    qtbot.addWidget(w)
    w.set_source_info(SERIAL)
    w.show()
    return w


def test_connection_states_are_spelled_out_with_distinct_symbols(widget) -> None:
    seen = {}
    for link, kind, expected in [
        (LinkState.CONNECTED, "serial", "● Connected"),
        (LinkState.NOT_ANSWERING, "serial", "◌ Not answering"),
        (LinkState.DISCONNECTED, "serial", "✕ Disconnected"),
        (LinkState.RECONNECTING, "serial", "◐ Reconnecting…"),
        (LinkState.SIMULATED, "simulated", "◇ Simulated data"),
        (LinkState.REPLAY, "replay", "▶ Playing a recording"),
        (LinkState.ENDED, "replay", "■ End of recording"),
        (LinkState.FAILED, "serial", "■ Stopped"),
    ]:
        widget.set_link(link, source_kind=kind, detail=f"{link} because")
        assert widget.state_label.text() == expected
        seen[widget.state] = expected
        assert f"{link} because" in widget.state_label.toolTip()
    # the symbol (first character) differs between the states a live sensor goes through
    live = [seen[s] for s in ("connected", "not_answering", "disconnected", "reconnecting",
                              "simulated")]
    assert len({t.split()[0] for t in live}) == len(live)
    assert "EMU-1" in widget.toolTip() and "/dev/pts/3" in widget.toolTip()


def test_stale_link_details_are_hidden_and_idle_clears_everything(widget) -> None:
    widget.set_link(LinkState.CONNECTED, source_kind="serial")
    widget.on_event(_status(ok=1000, lead_off=[], battery_pct=50))
    assert widget.battery_label.isVisible() and widget.quality_label.isVisible()
    widget.set_link(LinkState.RECONNECTING, source_kind="serial")
    # "Link: good" or "Battery 50 %" beside "Reconnecting…" would be last known, not true
    assert not widget.quality_label.isVisible() and not widget.battery_label.isVisible()
    widget.set_link(LinkState.CONNECTED, source_kind="serial")
    widget.on_event(_status(ok=2000, lead_off=[], battery_pct=49))
    assert widget.quality_label.isVisible() and widget.battery_label.text() == "Battery 49 %"
    widget.set_link(LinkState.REPLAY, source_kind="replay", paused=True)
    assert widget.state == "paused" and "paused" in widget.state_label.text()
    widget.set_link(LinkState.IDLE)
    assert widget.state_label.text() == "○ Not streaming"
    assert not widget.battery_label.isVisible() and not widget.lead_label.isVisible()
    assert not widget.quality_label.isVisible() and widget.toolTip() == ""


def test_link_quality_counts_lost_frames_and_crc_errors(widget) -> None:
    widget.on_event(_status(ok=1000))
    assert widget.quality_label.text() == "Link: good"
    widget.on_event(SourceEvent(EventKind.GAP, "", 0.0, {"stream": "emg", "first_index": 40,
                                                          "n_samples": 20}))
    widget.on_event(_status(ok=1100, lost=5, crc=3))
    assert widget.quality_label.text() == "Link: poor · 5 lost · 3 CRC errors"
    assert widget.level == "poor"  # 5 of 105 frames in the last interval
    tip = widget.quality_label.toolTip()
    assert "Gaps marked in the recording: 1 (20 samples)" in tip and "CRC errors: 3" in tip
    widget.on_event(_status(ok=2100, lost=5, crc=3))  # a clean interval: good again
    assert widget.level == "good"
    assert widget.quality_label.text().startswith("Link: good · 5 lost")


def test_lead_off_and_battery(widget) -> None:
    widget.on_event(_status(ok=10, lead_off=["pfm"], battery_pct=87, battery_low=False))
    assert widget.lead_label.isVisible()
    assert widget.lead_label.text() == "⚠ Check electrode: pelvic floor"
    assert widget.battery_label.text() == "Battery 87 %"
    widget.on_event(_status(ok=20, lead_off=[], battery_pct=12, battery_low=True))
    assert widget.lead_label.text() == "✓ Electrodes OK"
    assert widget.battery_label.text() == "▼ Battery low 12 %"
    widget.on_event(_status(ok=30, lead_off=[], battery_pct=None))
    assert not widget.battery_label.isVisible()  # unknown / external power: nothing to show


def test_simulated_source_shows_no_link_quality(qtbot) -> None:
    w = LinkStatusWidget()
    qtbot.addWidget(w)
    w.set_source_info(SourceInfo("Simulated sensor (demo)", "simulated", ()))
    w.show()
    w.set_link(LinkState.SIMULATED, source_kind="simulated")
    assert w.state_label.text() == "◇ Simulated data"  # never "Connected" on made-up data
    assert not w.quality_label.isVisible()


def test_follows_a_real_serial_sensor_session(qtbot, tmp_path) -> None:
    """Events from SerialSensor on the emulator drive the widget through the GUI thread."""
    from biofeedback.devices import emulator as emu_mod

    try:
        binary = emu_mod.find_emulator()
    except emu_mod.EmulatorError as exc:
        pytest.skip(f"sensor emulator not available: {exc}")
    from PyQt6.QtCore import QObject, pyqtSignal

    from biofeedback.devices.serial_sensor import SerialSensor

    class Bridge(QObject):
        event = pyqtSignal(object)

        def on_block(self, block) -> None:
            """Not needed here: this consumer only counts or ignores it."""

        def on_event(self, event) -> None:
            self.event.emit(event)  # queued to the GUI thread

    def on_event(event) -> None:  # the session turns CONNECTED into LinkState.CONNECTED
        if event.kind is EventKind.CONNECTED:
            w.set_link(LinkState.CONNECTED, source_kind="serial")
        w.on_event(event)

    w = LinkStatusWidget()
    qtbot.addWidget(w)
    bridge = Bridge()
    bridge.event.connect(on_event)
    with emu_mod.EmulatorProcess(binary=binary, scenario="test", faults="drop=0.05",
                                 seed=11) as emu:
        sensor = SerialSensor(emu.port, status_interval=0.3)
        w.set_source_info(sensor.open())
        sensor.start(bridge)
        try:
            qtbot.waitUntil(lambda: w.state == "connected", timeout=5000)
            qtbot.waitUntil(lambda: " lost" in w.quality_label.text(), timeout=5000)
            qtbot.waitUntil(lambda: w.battery_label.text() != "", timeout=3000)
            qtbot.waitUntil(lambda: w.gaps > 0, timeout=5000)  # drops become gap events
        finally:
            sensor.close()
    assert w.gaps > 0
    assert w.battery_label.text() == "Battery 100 %"
