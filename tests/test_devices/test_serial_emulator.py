"""End to end: the app's SerialSensor against the compiled C emulator through a real pty.

The emulator runs the firmware's own protocol core. ``--scenario test`` emits the deterministic
pattern of protocol.md §6.3, which never repeats a value within 2²⁴ samples, so each delivered
sample can be checked against the value the device must have sent at that index.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from waiting import wait_until

from biofeedback.devices import emulator as emu_mod
from biofeedback.devices import protocol as P
from biofeedback.devices.serial_sensor import SerialSensor
from biofeedback.streams import BlockFlag, EventKind, SampleBlock, SourceEvent

pytestmark = pytest.mark.firmware

EMG_SCALE = 375000 / 2**24
PFM_INVERSE = pow(3001, -1, 1 << 24)  # 3001 is odd, so n = raw × 3001⁻¹ mod 2²⁴


@pytest.fixture(scope="module")
def emulator_binary() -> str:
    try:
        return str(emu_mod.find_emulator())
    except emu_mod.EmulatorError as exc:
        if not emu_mod.can_build():
            pytest.skip(f"sensor emulator cannot be built here (needs make and gcc): {exc}")
        raise


class Sink:
    def __init__(self) -> None:
        self.blocks: list[SampleBlock] = []
        self.events: list[SourceEvent] = []
        self.lock = threading.Lock()

    def on_block(self, block: SampleBlock) -> None:
        with self.lock:
            self.blocks.append(block)

    def on_event(self, event: SourceEvent) -> None:
        with self.lock:
            self.events.append(event)

    def wait_for(self, kind: EventKind, count: int = 1, timeout: float = 10.0) -> None:
        def seen() -> bool:
            with self.lock:
                return sum(e.kind is kind for e in self.events) >= count

        wait_until(seen, timeout, f"{count} {kind} event(s); so far {self.kinds()}")

    def samples(self, name: str, since: int = 0) -> int:
        """Samples of stream ``name`` delivered from host index ``since`` on."""
        with self.lock:
            return sum(b.n_samples for b in self.blocks
                       if b.stream == name and b.first_index >= since)

    def resumed_at(self, name: str) -> int | None:
        """The host index where stream ``name`` resumed after the first reconnect."""
        with self.lock:
            gaps = [e.detail for e in self.events if e.kind is EventKind.GAP and
                    e.detail["stream"] == name and e.detail["reason"] == "reconnect"]
        return gaps[0]["first_index"] + gaps[0]["n_samples"] if gaps else None

    def kinds(self) -> list[EventKind]:
        with self.lock:
            return [e.kind for e in self.events if e.kind is not EventKind.STATUS]

    def stream(self, name: str) -> list[SampleBlock]:
        with self.lock:
            return [b for b in self.blocks if b.stream == name]

    def gaps(self, name: str) -> list[dict]:
        with self.lock:
            return [e.detail for e in self.events if e.kind is EventKind.GAP and
                    e.detail["stream"] == name]


def expected(block: SampleBlock, device_offset: int = 0) -> np.ndarray:
    n = np.arange(block.first_index, block.end_index) - device_offset
    if block.stream == "emg":
        return P.pattern_emg(n) * EMG_SCALE
    return P.pattern_pressure(n) * 0.001


def device_index_of(block: SampleBlock) -> int:
    """Recover the device's sample index from the pattern value itself (pfm channel)."""
    raw = round(block.data[0, 0] / EMG_SCALE) & 0xFFFFFF
    return (raw * PFM_INVERSE) & 0xFFFFFF


def assert_exact_and_gaps_explained(sink: Sink, name: str, offsets: list[tuple[int, int]]) -> int:
    """Every sample equals the pattern; every hole in the index is exactly one GAP event.

    ``offsets``: (first host index of a segment, host − device index in that segment).
    Returns the number of samples delivered.
    """
    blocks = sorted(sink.stream(name), key=lambda b: b.first_index)
    assert blocks, f"no {name} blocks"
    for b in blocks:
        off = [o for start, o in offsets if b.first_index >= start][-1]
        np.testing.assert_allclose(b.data, expected(b, off), rtol=0, atol=1e-9,
                                   err_msg=f"{name} block at {b.first_index}")
        assert b.flags & BlockFlag.SYNTHETIC  # emulator data are never a patient's
    holes = []
    end = 0
    for b in blocks:
        assert b.first_index >= end, "overlapping blocks"
        if b.first_index > end:
            holes.append((end, b.first_index - end))
        end = b.end_index
    announced = sorted((g["first_index"], g["n_samples"]) for g in sink.gaps(name))
    assert holes == announced
    return sum(b.n_samples for b in blocks)


def stream_until(sensor: SerialSensor, sink: Sink, done, what: str, timeout: float = 30.0
                 ) -> None:
    """Stream until ``done()`` holds (enough samples, the fault of interest seen), then stop:
    a loaded machine takes longer, it does not fail."""
    sensor.start(sink)
    try:
        wait_until(done, timeout, what)
    finally:
        sensor.stop()


def test_identify_and_stream_the_known_pattern(emulator_binary: str) -> None:
    with emu_mod.EmulatorProcess(binary=emulator_binary, scenario="test", serial="E2E-0001") as emu:
        sensor = SerialSensor(emu.port)
        info = sensor.open()
        assert info.serial_number == "E2E-0001" and info.kind == "serial"
        assert info.details["board"] == "host-emulator" and info.details["protocol"] == "1.0"
        emg, pressure = info.stream("emg"), info.stream("pressure")
        assert (emg.fs, pressure.fs) == (2000.0, 100.0)
        assert [c.name for c in emg.channels] == ["pfm", "abdominal"]
        assert [c.unit for c in emg.channels] == ["uV", "uV"]
        assert pressure.channels[0].name == "pressure" and pressure.channels[0].unit == "cmH2O"
        sink = Sink()
        t_start = time.monotonic()
        stream_until(sensor, sink, lambda: sink.samples("emg") >= 6000, "3 s of EMG")
        elapsed = time.monotonic() - t_start
        stats = sensor.link_stats
        sensor.close()
    n_emg = assert_exact_and_gaps_explained(sink, "emg", [(0, 0)])
    n_p = assert_exact_and_gaps_explained(sink, "pressure", [(0, 0)])
    assert abs(n_emg - 2000 * elapsed) < 2000 * 0.15
    assert abs(n_p - 100 * elapsed) < 100 * 0.2
    assert sink.gaps("emg") == [] and sink.gaps("pressure") == []
    assert stats.lost_frames == 0 and stats.crc_errors == 0 and stats.framing_errors == 0
    assert stats.frames_ok > 300
    assert sink.kinds()[0] is EventKind.CONNECTED
    assert any(e.kind is EventKind.STATUS and e.detail["battery_pct"] == 100 for e in sink.events)
    # times are host seconds advancing with the sample index: the clock map settles on the
    # fastest frames within the first second (steps of a few ms), then holds within 1 ms
    t0 = np.array([b.t0 for b in sink.stream("emg")])
    idx = np.array([b.first_index for b in sink.stream("emg")])
    err = np.abs(np.diff(t0) - np.diff(idx) / 2000)
    assert np.max(err) < 0.015 and np.max(err[100:]) < 0.001
    # both streams share one clock map: pressure sample k and EMG sample 20·k coincide
    emg_t = {b.first_index: b.t0 for b in sink.stream("emg")}
    d = [b.t0 - emg_t[b.first_index * 20] for b in sink.stream("pressure")[10:]
         if b.first_index * 20 in emg_t]
    assert d and max(abs(x) for x in d) < 0.002


def test_injected_faults_are_counted_and_become_gaps(emulator_binary: str) -> None:
    faults = "drop=0.03,flip=0.03,garbage=0.03"
    with emu_mod.EmulatorProcess(binary=emulator_binary, scenario="test", faults=faults,
                                 seed=7) as emu:
        sensor = SerialSensor(emu.port)
        sink = Sink()

        def faults_seen() -> bool:
            stats = sensor.link_stats
            return sink.samples("emg") > 4000 and stats.lost_frames > 0 and \
                stats.crc_errors > 0 and stats.lost_samples.get("emg", 0) > 0

        stream_until(sensor, sink, faults_seen, "EMG with lost frames and CRC errors")
        stats = sensor.link_stats
        sensor.close()
    n_emg = assert_exact_and_gaps_explained(sink, "emg", [(0, 0)])
    assert_exact_and_gaps_explained(sink, "pressure", [(0, 0)])
    assert n_emg > 4000
    assert stats.lost_frames > 0 and stats.crc_errors > 0 and stats.resyncs >= stats.crc_errors
    lost = {s: sum(g["n_samples"] for g in sink.gaps(s)) for s in ("emg", "pressure")}
    assert lost["emg"] > 0 and stats.lost_samples == lost
    assert stats.gaps == len(sink.gaps("emg")) + len(sink.gaps("pressure"))
    # whole blocks go missing: EMG gaps are multiples of the 20-sample block
    assert all(g["n_samples"] % 20 == 0 for g in sink.gaps("emg"))
    status = [e for e in sink.events if e.kind is EventKind.STATUS][-1]
    assert status.detail["link"]["crc_errors"] == stats.crc_errors


def test_killing_and_restarting_the_emulator_resumes_the_session(emulator_binary, tmp_path):
    link = tmp_path / "sensor"
    emu = emu_mod.EmulatorProcess(binary=emulator_binary, scenario="test", link=link)
    emu.start()
    sensor = SerialSensor(str(link), reconnect_interval=0.2)
    sink = Sink()
    try:
        sensor.start(sink)
        wait_until(lambda: sink.samples("emg") >= 2400, 20, "1.2 s of EMG before the kill")
        emu.kill()  # like pulling the cable: no goodbye
        t_kill = time.monotonic()
        sink.wait_for(EventKind.DISCONNECTED, timeout=5)
        assert time.monotonic() - t_kill < 2.0
        sink.wait_for(EventKind.RECONNECTING, timeout=5)  # the link is looking for it
        emu = emu_mod.EmulatorProcess(binary=emulator_binary, scenario="test", link=link)
        emu.start()
        sink.wait_for(EventKind.CONNECTED, count=2, timeout=10)
        t_back = time.monotonic()

        def resumed() -> bool:
            emg, pres = sink.resumed_at("emg"), sink.resumed_at("pressure")
            return emg is not None and pres is not None and \
                sink.samples("emg", emg) > 1000 and sink.samples("pressure", pres) > 0

        wait_until(resumed, 20, "EMG and pressure after the reconnect")
        sensor.stop()
        stats = sensor.link_stats
    finally:
        sensor.close()
        emu.terminate()
    kinds = sink.kinds()
    i_disc = kinds.index(EventKind.DISCONNECTED)
    assert kinds[0] is EventKind.CONNECTED
    assert kinds[i_disc + 1] is EventKind.RECONNECTING
    assert EventKind.CONNECTED in kinds[i_disc + 2 :]
    assert EventKind.ERROR not in kinds
    assert stats.reconnects == 1
    reconnect_gap = [g for g in sink.gaps("emg") if g["reason"] == "reconnect"]
    assert len(reconnect_gap) == 1
    # the gap stands for the time the sensor was away as the host saw it, kill to reconnect
    # (slack for noticing the reconnect late and for the first block after it)
    outage = reconnect_gap[0]["duration_s"]
    assert t_back - t_kill - 0.5 < outage < t_back - t_kill + 1.0, (outage, t_back - t_kill)
    resume = reconnect_gap[0]["first_index"] + reconnect_gap[0]["n_samples"]
    after = [b for b in sink.stream("emg") if b.first_index >= resume]
    assert sum(b.n_samples for b in after) > 1000
    # the restarted device counts from 0 again; the host index continues after the gap
    assert device_index_of(after[0]) < 200
    offset = after[0].first_index - device_index_of(after[0])
    assert offset > resume - 200
    p_gap = next(g for g in sink.gaps("pressure") if g["reason"] == "reconnect")
    p_resume = p_gap["first_index"] + p_gap["n_samples"]
    p_after = [b for b in sink.stream("pressure") if b.first_index >= p_resume]
    p_offset = p_after[0].first_index - round(
        ((p_after[0].data[0, 0] / 0.001 + 20000) * pow(1009, -1, 300000)) % 300000)
    assert_exact_and_gaps_explained(sink, "emg", [(0, 0), (resume, offset)])
    assert_exact_and_gaps_explained(sink, "pressure", [(0, 0), (p_resume, p_offset)])


def test_device_reset_is_detected_and_streaming_resumes(emulator_binary: str) -> None:
    with emu_mod.EmulatorProcess(binary=emulator_binary, scenario="test", faults="reset=1.5",
                                 seed=3) as emu:
        sensor = SerialSensor(emu.port)
        sink = Sink()
        t_start = time.monotonic()

        def reset_and_resumed() -> bool:
            at = sink.resumed_at("emg")
            return sensor.link_stats.device_resets >= 1 and at is not None and \
                sink.samples("emg", at) >= 2000

        stream_until(sensor, sink, reset_and_resumed, "a device reset and 1 s after it")
        elapsed = time.monotonic() - t_start
        stats = sensor.link_stats
        sensor.close()
    kinds = sink.kinds()
    assert EventKind.RECONNECTING in kinds and EventKind.ERROR not in kinds
    assert stats.device_resets >= 1
    gaps = [g for g in sink.gaps("emg") if g["reason"] == "reconnect"]
    assert gaps
    # the gaps stand for real time: the host index keeps pace with the wall clock through
    # the resets (detected by silence or by a PONG saying the streams stopped)
    end = max(b.end_index for b in sink.stream("emg"))
    assert abs(end / 2000 - elapsed) < 0.35
    segments = [(0, 0)]
    for g in sorted(gaps, key=lambda g: g["first_index"]):
        start = g["first_index"] + g["n_samples"]
        first = min((b for b in sink.stream("emg") if b.first_index >= start),
                    key=lambda b: b.first_index)
        segments.append((start, first.first_index - device_index_of(first)))
    assert_exact_and_gaps_explained(sink, "emg", segments)


def test_rate_and_test_signal_mode_are_negotiated(emulator_binary: str) -> None:
    """SET_RATE 1000 Hz and SET_MODE TEST_SIGNAL: the ADS1299-style square wave of §6.1."""
    with emu_mod.EmulatorProcess(binary=emulator_binary, scenario="demo") as emu:
        sensor = SerialSensor(emu.port, mode="test", emg_rate=1000)
        info = sensor.open()
        assert info.stream("emg").fs == 1000.0
        sink = Sink()
        stream_until(sensor, sink, lambda: sink.samples("emg") > 1500, "1.5 s of EMG")
        sensor.close()
    blocks = sink.stream("emg")
    assert sum(b.n_samples for b in blocks) > 1000
    period = 1024  # 1.024 s × 1000 Hz
    for b in blocks:
        assert b.n_samples == 10 or b.n_samples % 10 == 0
        assert b.flags & BlockFlag.TEST_SIGNAL
        n = np.arange(b.first_index, b.end_index)
        raw = np.where(n % period < period // 2, 83886, -83886)
        np.testing.assert_allclose(b.data, np.stack([raw, raw], 1) * EMG_SCALE, atol=1e-9)
    assert sink.gaps("emg") == []


@pytest.mark.parametrize("seed", range(10))
def test_handshake_survives_a_noisy_link(emulator_binary: str, seed: int) -> None:
    """Issue 15 #15: at 5 % each of drops, bit flips and garbage, streaming works, so the
    handshake must too (it used to spend all four HELLOs within 50 ms)."""
    with emu_mod.EmulatorProcess(binary=emulator_binary, scenario="test",
                                 faults="drop=0.05,flip=0.05,garbage=0.05", seed=seed) as emu:
        sensor = SerialSensor(emu.port)
        try:
            info = sensor.open()
        finally:
            sensor.close()
    assert [s.name for s in info.streams] == ["emg", "pressure"]
    assert [c.name for c in info.streams[0].channels] == ["pfm", "abdominal"]
