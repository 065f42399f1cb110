"""The LSL outlet: a pylsl inlet on this machine receives exactly the raw samples the source
produced, the markers the recording gets, and the metadata (channels, units, serial).

Real liblsl, real sockets on this computer: liblsl is configured for discovery on this machine
only (the outlet's default), every stream gets a unique serial (so parallel runs never see each
other's streams), and every wait is on a condition with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import numpy as np
import pytest

from biofeedback.app import lsl_outlet
from biofeedback.app.live_session import LiveSession
from biofeedback.app.live_types import NoticeKind
from biofeedback.app.lsl_outlet import LslError, LslOutlet, SampleClock, configure, outlet_factory
from biofeedback.app.preferences import Preferences, load_preferences, save_preferences
from biofeedback.devices.scenario import get_scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSensor, SimulatedSignal, source_info
from biofeedback.streams import EventKind, SampleBlock, SourceEvent

pylsl = configure("machine")
DEADLINE_S = 10.0


def _info(**changes):
    return replace(source_info(SimulatedConfig()), serial_number=f"TEST-{uuid.uuid4().hex[:12]}",
                   **changes)


def _inlet(source_id: str):
    found = pylsl.resolve_byprop("source_id", source_id, 1, DEADLINE_S)
    assert found, f"no LSL stream {source_id} resolved within {DEADLINE_S} s"
    inlet = pylsl.StreamInlet(found[0], max_buflen=60)
    inlet.open_stream(DEADLINE_S)
    return inlet


def _connected(lsl_outlet, what: str) -> None:
    """Block until an inlet is connected (liblsl's own condition wait)."""
    assert lsl_outlet.wait_for_consumers(DEADLINE_S), f"no {what} inlet within {DEADLINE_S} s"


def _pull(inlet, n: int) -> tuple[list, list[float]]:
    """``n`` samples (pull_chunk returns once it has them, or at its timeout)."""
    values: list = []
    stamps: list[float] = []
    deadline = time.monotonic() + DEADLINE_S
    while len(values) < n:
        assert time.monotonic() < deadline, f"received {len(values)} of {n} samples"
        chunk, ts = inlet.pull_chunk(timeout=0.5, max_samples=n - len(values))
        values += chunk
        stamps += ts
    return values, stamps


def _offset_of(haystack: np.ndarray, first_row: np.ndarray) -> int:
    """Where the first received sample sits in what the source produced (exact match)."""
    hits = np.flatnonzero((haystack == first_row).all(axis=1))
    assert len(hits) == 1, "the first received sample is not one the source produced"
    return int(hits[0])


@pytest.fixture
def outlet():
    out = LslOutlet(_info())
    yield out
    out.close()


def test_metadata_names_channels_units_and_the_device_serial(outlet):
    emg, pressure, markers = outlet.streams
    inlet = _inlet(emg.source_id)
    full = inlet.info(DEADLINE_S)
    assert (full.type(), full.channel_count(), full.nominal_srate()) == ("EMG", 2, 2000.0)
    assert full.get_channel_labels() == ["pfm", "abdominal"]
    assert full.get_channel_units() == ["microvolts", "microvolts"]
    acq = full.desc().child("acquisition")
    assert acq.child_value("serial_number") == outlet.info.serial_number
    assert acq.child_value("simulated") == "true"
    p_inlet = _inlet(pressure.source_id)
    p_full = p_inlet.info(DEADLINE_S)
    assert p_full.get_channel_labels() == ["pressure"]
    assert p_full.get_channel_units() == ["cmH2O"]
    assert (p_full.type(), p_full.nominal_srate()) == ("Pressure", 100.0)
    assert markers.type == "Markers" and markers.rate_hz == 0.0
    for i in (inlet, p_inlet):
        i.close_stream()


def test_an_inlet_receives_the_raw_samples_and_markers_stamped_on_the_sample_clock(outlet):
    emg_s, p_s, mk_s = outlet.streams
    inlets = {s.name: _inlet(s.source_id) for s in (emg_s, p_s, mk_s)}
    for name in outlet._outlets:
        _connected(outlet._outlets[name], name)
    _connected(outlet._markers, "marker")
    signal = SimulatedSignal(get_scenario("demo"), SimulatedConfig())
    sent: dict[str, list[np.ndarray]] = {"emg": [], "pressure": []}
    for _ in range(25):  # half a second of blocks
        for block in signal.next_blocks():
            outlet.on_block(block)
            sent[block.stream].append(block.data)
    outlet.add_annotation(0.25, 0.0, "marker:3:breath")
    outlet.add_annotation(0.1, 0.2, "contraction")
    emg = np.concatenate(sent["emg"])
    pressure = np.concatenate(sent["pressure"])

    got, ts = _pull(inlets[emg_s.name], len(emg))
    assert np.array_equal(np.array(got), emg)  # float64: exactly what the source produced
    assert np.allclose(np.diff(ts), 1 / 2000.0, atol=1e-9)  # the sample clock, not arrivals
    got_p, ts_p = _pull(inlets[p_s.name], len(pressure))
    assert np.array_equal(np.array(got_p), pressure)
    # one mapping for every stream: pressure sample k sits at EMG sample 20 k
    assert ts_p[5] == pytest.approx(ts[100], abs=1e-9)
    texts, ts_m = _pull(inlets[mk_s.name], 2)
    assert [t[0] for t in texts] == ["marker:3:breath", "contraction;duration_s=0.200"]
    assert ts_m[0] == pytest.approx(ts[500], abs=1e-9)  # 0.25 s = EMG sample 500
    assert ts_m[1] == pytest.approx(ts[200], abs=1e-9)
    assert abs(ts[len(emg) - 1] - pylsl.local_clock()) < 5.0  # on this machine's local_clock
    for inlet in inlets.values():
        inlet.close_stream()


def test_gaps_and_a_replayed_files_annotations_become_markers(outlet):
    mk = _inlet(outlet.streams[2].source_id)
    _connected(outlet._markers, "marker")
    block = SampleBlock("emg", 0, 0.0, 2000.0, np.zeros((40, 2)))
    outlet.on_block(block)
    outlet.on_event(SourceEvent(EventKind.GAP, "samples missing",
                                detail={"stream": "emg", "first_index": 40, "n_samples": 10}))
    outlet.on_event(SourceEvent(EventKind.ANNOTATION, "protocol:Rest",
                                detail={"time_s": 0.01, "duration_s": 0.0,
                                        "text": "protocol:Rest"}))
    texts, stamps = _pull(mk, 2)
    assert [t[0] for t in texts] == ["gap:emg", "protocol:Rest"]
    assert stamps[0] - stamps[1] == pytest.approx((40 - 20) / 2000.0, abs=1e-9)
    mk.close_stream()


def test_sensor_blocks_keep_their_host_mapped_time():
    now = [100.0]
    clock = SampleClock(host_mapped=True, now=lambda: now[0] + 5.0, monotonic=lambda: now[0])
    clock.observe(SampleBlock("emg", 1000, 42.0, 2000.0, np.zeros((40, 2))))
    assert clock.at("emg", 1000, 2000.0) == pytest.approx(47.0)  # t0 + (lsl - monotonic)
    assert clock.at("emg", 1040, 2000.0) == pytest.approx(47.02)
    stream = SampleClock(host_mapped=False, now=lambda: 10.0)
    assert stream.at("emg", 0, 2000.0) == 10.0  # before any block: now
    stream.observe(SampleBlock("emg", 0, 0.0, 2000.0, np.zeros((40, 2))))
    assert stream.at("emg", 39, 2000.0) == pytest.approx(10.0)  # the first block ends now
    assert stream.at("pressure", 2, 100.0) == pytest.approx(10.0 - 39 / 2000 + 0.02)


def test_a_failing_push_stops_publishing_and_says_so_without_raising(outlet):
    class Broken:
        def push_chunk(self, *_):
            raise RuntimeError("no buffer space")

    outlet._outlets["emg"] = Broken()
    outlet.on_block(SampleBlock("emg", 0, 0.0, 2000.0, np.zeros((40, 2))))
    assert "Streaming to LSL stopped (no buffer space)" in outlet.problem


def test_the_live_session_publishes_what_its_source_produced_and_its_markers():
    serial = f"TEST-{uuid.uuid4().hex[:12]}"

    class Sensor(SimulatedSensor):
        def _open(self):
            return replace(super()._open(), serial_number=serial)

    session = LiveSession(opener=lambda spec, **_: Sensor("demo"))
    factory = outlet_factory()
    session.add_subscriber(factory)
    session.start("simulated:demo")
    try:
        inlet = _inlet(f"biofeedback-{serial}-emg")
        markers = _inlet(f"biofeedback-{serial}-markers")
        outlet = next(s for s in session.engine.sinks if isinstance(s, LslOutlet))
        _connected(outlet._markers, "marker")
        got, ts = _pull(inlet, 400)
        session.add_marker(3, "breath")
        texts, ts_m = _pull(markers, 1)
        assert texts[0][0] == "marker:3:breath"
        got, ts = np.array(got), np.array(ts)
        last_ts = _pull(inlet, 1)[1][-1]
        assert ts[0] <= ts_m[0] <= last_ts + 0.5  # stamped within the samples already sent
        reference = SimulatedSignal(get_scenario("demo"), SimulatedConfig())
        produced = np.concatenate([b.data for _ in range(500) for b in reference.next_blocks()
                                   if b.stream == "emg"])
        k = _offset_of(produced, got[0])
        assert np.array_equal(got, produced[k:k + len(got)])
        assert session.snapshot().notices == () or all(
            n.kind is not NoticeKind.OUTLET for n in session.snapshot().notices)
        session.remove_subscriber(factory)  # withdraws the streams while streaming goes on
        assert not any(isinstance(s, LslOutlet) for s in session.engine.sinks)
        assert session.running
        inlet.close_stream()
        markers.close_stream()
    finally:
        session.stop()


def test_a_subscriber_that_cannot_start_is_a_notice_not_a_failed_session():
    def broken(info):
        raise LslError("could not open the LSL streams: no free port")

    session = LiveSession(opener=lambda spec, **_: SimulatedSensor("demo"))
    session.add_subscriber(broken)
    session.start("simulated:demo")
    try:
        notices = session.snapshot().notices
        assert [n.text for n in notices if n.kind is NoticeKind.OUTLET] == [
            "could not open the LSL streams: no free port"]
        assert session.running
    finally:
        session.stop()


def test_liblsl_is_configured_once_per_process(monkeypatch):
    assert lsl_outlet._configured == "machine"
    with pytest.raises(LslError, match="restart the app"):
        configure("network")
    with pytest.raises(LslError, match="unknown LSL scope"):
        configure("planet")


def test_lsl_is_off_by_default_and_the_setting_persists(tmp_path):
    assert Preferences().lsl_enabled is False and Preferences().lsl_scope == "machine"
    path = save_preferences(Preferences(lsl_enabled=True, lsl_scope="network"), tmp_path / "s.json")
    loaded, warning = load_preferences(path)
    assert warning == "" and loaded.lsl_enabled and loaded.lsl_scope == "network"
    path.write_text('{"lsl_enabled": "yes", "lsl_scope": "everywhere"}')
    loaded, warning = load_preferences(path)
    assert not loaded.lsl_enabled and loaded.lsl_scope == "machine"
    assert "lsl_enabled" in warning and "lsl_scope" in warning


@pytest.mark.firmware
def test_a_sensor_on_a_real_pty_is_stamped_with_its_host_mapped_sample_clock():
    """The compiled emulator through SerialSensor: the device serial is in the metadata and the
    timestamps are the clock map's host times on local_clock (sample spacing exact, no more
    than the link's latency before the moment they arrive)."""
    from biofeedback.devices import emulator as emu_mod

    try:
        binary = emu_mod.find_emulator()
    except emu_mod.EmulatorError as exc:
        pytest.skip(f"sensor emulator not available here: {exc}")
    serial = f"EMU-{uuid.uuid4().hex[:8]}"
    with emu_mod.EmulatorProcess(binary=binary, scenario="test", serial=serial) as emu:
        session = LiveSession()
        session.add_subscriber(outlet_factory())
        session.start(f"serial:{emu.port}")
        try:
            inlet = _inlet(f"biofeedback-{serial}-emg")
            meta = inlet.info(DEADLINE_S).desc().child("acquisition")
            assert meta.child_value("serial_number") == serial
            assert meta.child_value("source_kind") == "serial"
            _pull(inlet, 2000)  # the clock map settles over the first second
            got, ts = _pull(inlet, 400)
            received = pylsl.local_clock()
            step = np.diff(ts)  # the sample clock; a block boundary may carry the clock map's
            assert np.median(step) == pytest.approx(1 / 2000.0, abs=1e-7)  # small corrections
            assert np.all(np.abs(step - 1 / 2000.0) < 5e-3)
            assert 0.0 <= received - ts[-1] < 1.0  # taken before it arrived, on local_clock
            assert np.isfinite(np.array(got)).all()
            inlet.close_stream()
        finally:
            session.stop()
