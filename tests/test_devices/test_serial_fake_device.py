"""SerialSensor against a small protocol-v1 device written in Python on a real pty.

The compiled C emulator is the end-to-end reference (``test_serial_emulator.py``); this
in-process device lets us script exact situations the emulator cannot be told to produce on
cue: a major-version mismatch, a NAK, a dropped block at a known index, a silent device.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import tty

import numpy as np
import pytest
from waiting import wait_until

from biofeedback.devices import protocol as P
from biofeedback.devices.base import SourceError
from biofeedback.devices.serial_sensor import SerialSensor
from biofeedback.streams import BlockFlag, EventKind

EMG_SCALE = 375000 / 2**24


class FakeDevice:
    """Pattern-mode device on a pty master; ``drop`` = set of (stream_id, block_no) to skip."""

    def __init__(self, proto_major: int = 1, drop: frozenset = frozenset(), silent: bool = False,
                 nak_start: bool = False) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.slave_fd = slave  # kept open so the master never sees EIO when the app closes
        self.port = os.ttyname(slave)
        self.proto_major = proto_major
        self.drop = drop
        self.silent = silent
        self.nak_start = nak_start
        self.seq = 0
        self.running = 0
        self.counters = {0: 0, 1: 0}
        self.blocks = {0: 0, 1: 0}
        self.commands: list[P.Command] = []
        self._stop = threading.Event()
        self._reader = P.FrameReader()
        self._t0 = time.monotonic()
        self._next = {0: 0.0, 1: 0.0}
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        os.close(self.master)
        os.close(self.slave_fd)

    def _send(self, body: bytes) -> None:
        body = body[:1] + (self.seq & 0xFFFF).to_bytes(2, "little") + body[3:]
        self.seq += 1
        os.write(self.master, P.encode_frame(body))

    def _t_us(self) -> int:
        return int((time.monotonic() - self._t0) * 1e6) & 0xFFFFFFFF

    def _hello(self) -> None:
        self._send(P.hello_device_body(0, proto=(self.proto_major, 0), board="pytest",
                                       serial="FAKE01", build="test"))
        self._send(P.hello_stream_body(0, 0, 2, 3, 2000, 20, "emg", (500, 1000, 2000)))
        self._send(P.hello_stream_body(0, 1, 1, 4, 100, 5, "pressure", (100,)))
        for sid, ch, kind, unit, label, scale, bit in (
            (0, 0, 1, "uV", "pfm", EMG_SCALE, 0), (0, 1, 1, "uV", "abdominal", EMG_SCALE, 2),
            (1, 0, 2, "cmH2O", "pressure", 0.001, 0xFF),
        ):
            self._send(P.hello_channel_body(0, P.HelloChannel(
                0, sid, ch, kind, scale, 0.0, -1e5, 1e5, scale, 0.0, 0.0, 0.0, bit, unit, label)))

    def _loop(self) -> None:
        import select

        while not self._stop.is_set():
            r, _, _ = select.select([self.master], [], [], 0.002)
            if r:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    data = b""
                for body in self._reader.feed(data):
                    self._command(P.parse_command_body(body))
            self._stream()

    def _command(self, cmd: P.Command) -> None:
        self.commands.append(cmd)
        if self.silent:
            return
        if cmd.type == P.Msg.HELLO:
            self._hello()
        elif cmd.type == P.Msg.START:
            if self.nak_start:
                self._send(P.nak_body(0, cmd.req_id, cmd.type, P.NakReason.HARDWARE_FAULT))
                return
            for sid in (0, 1):
                if cmd.fields["mask"] & (1 << sid) and not self.running & (1 << sid):
                    self.counters[sid] = 0
                    self.blocks[sid] = 0
                    self._next[sid] = time.monotonic()
            self.running |= cmd.fields["mask"]
        elif cmd.type == P.Msg.STOP:
            self.running = 0
        elif cmd.type == P.Msg.PING:
            self._send(P.ack_body(0, cmd.req_id, cmd.type))
            self._send(P.pong_body(0, cmd.req_id, cmd.fields["nonce"], self._t_us(), self.running))
            return
        self._send(P.ack_body(0, cmd.req_id, cmd.type))

    def _stream(self) -> None:
        now = time.monotonic()
        for sid, (n, period) in {0: (20, 0.01), 1: (5, 0.05)}.items():
            while self.running & (1 << sid) and now >= self._next[sid] + period:
                first = self.counters[sid]
                idx = np.arange(first, first + n)
                if sid == 0:
                    raw, fmt = P.pattern_emg(idx), 3
                else:
                    raw, fmt = P.pattern_pressure(idx), 4
                t_us = int((self._next[sid] - self._t0) * 1e6)
                if (sid, self.blocks[sid]) in self.drop:
                    self.seq += 1  # the frame was "sent" and lost on the wire
                else:
                    self._send(P.data_body(0, sid, first, t_us, 0x60, raw, fmt))
                self.counters[sid] += n
                self.blocks[sid] += 1
                self._next[sid] += period


class Collector:
    def __init__(self) -> None:
        self.blocks = []
        self.events = []
        self.lock = threading.Lock()

    def on_block(self, block) -> None:
        with self.lock:
            self.blocks.append(block)

    def on_event(self, event) -> None:
        with self.lock:
            self.events.append(event)

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]


@pytest.fixture
def fake():
    devices = []

    def make(**kw) -> FakeDevice:
        d = FakeDevice(**kw)
        devices.append(d)
        return d

    yield make
    for d in devices:
        d.close()


def test_handshake_builds_source_info_from_hello(fake) -> None:
    dev = fake()
    with SerialSensor(dev.port) as sensor:
        info = sensor.info
    assert info.kind == "serial" and info.serial_number == "FAKE01"
    assert [s.name for s in info.streams] == ["emg", "pressure"]
    emg = info.stream("emg")
    assert emg.fs == 2000 and [c.name for c in emg.channels] == ["pfm", "abdominal"]
    assert emg.channels[0].unit == "uV" and emg.channels[0].label == "Pelvic floor EMG"
    assert info.stream("pressure").channels[0].unit == "cmH2O"
    # STOP was sent before HELLO (a previous session may have left the sensor streaming)
    assert [c.type for c in dev.commands[:2]] == [P.Msg.STOP, P.Msg.HELLO]


def test_major_version_mismatch_refuses_with_clear_message(fake) -> None:
    dev = fake(proto_major=2)
    with pytest.raises(SourceError, match=r"protocol 2\.0, this app 1\.0: update the app"):
        SerialSensor(dev.port).open()
    assert P.Msg.START not in [c.type for c in dev.commands]


def test_silent_device_gives_one_clear_error(fake) -> None:
    dev = fake(silent=True)
    t = time.monotonic()
    with pytest.raises(SourceError, match="no sensor answers"):
        SerialSensor(dev.port, hello_timeout=0.1, hello_window_s=1.0).open()
    assert 1.0 <= time.monotonic() - t < 3.0  # keeps trying over the window, then gives up
    hellos = sum(c.type == P.Msg.HELLO for c in dev.commands)
    assert 4 <= hellos <= 10  # at least first try + 3 retries, spaced by the back-off
    # every retry is preceded by a STOP (resynchronisation), not fired back to back
    kinds = [c.type for c in dev.commands if c.type in (P.Msg.STOP, P.Msg.HELLO)]
    assert all(a == P.Msg.STOP for a, b in itertools.pairwise(kinds)
               if b == P.Msg.HELLO)


def test_missing_port_gives_one_clear_error() -> None:
    with pytest.raises(SourceError, match="cannot use sensor on /dev/does-not-exist"):
        SerialSensor("/dev/does-not-exist").open()


def test_streams_pattern_and_marks_dropped_blocks_as_gaps(fake) -> None:
    dev = fake(drop=frozenset({(0, 10), (0, 11), (1, 4)}))
    sink = Collector()
    sensor = SerialSensor(dev.port)
    sensor.start(sink)
    # past the dropped frames (EMG 200-240, pressure 20-25) and well over 1200 samples
    wait_until(lambda: sum(b.n_samples for b in list(sink.blocks) if b.stream == "emg") > 1300,
               what="1300 EMG samples")
    sensor.stop()
    stats = sensor.link_stats
    sensor.close()
    emg = [b for b in sink.blocks if b.stream == "emg"]
    assert sum(b.n_samples for b in emg) > 1200
    for b in emg:  # every delivered sample is exactly the pattern value at its index
        n = np.arange(b.first_index, b.end_index)
        np.testing.assert_allclose(b.data, P.pattern_emg(n) * EMG_SCALE, rtol=0, atol=1e-9)
        assert b.flags & BlockFlag.SYNTHETIC
    for b in (b for b in sink.blocks if b.stream == "pressure"):
        n = np.arange(b.first_index, b.end_index)
        np.testing.assert_allclose(b.data, P.pattern_pressure(n) * 0.001, atol=1e-9)
    gaps = [e.detail for e in sink.events if e.kind is EventKind.GAP]
    assert {"stream": "emg", "first_index": 200, "n_samples": 40} in [
        {k: g[k] for k in ("stream", "first_index", "n_samples")} for g in gaps]
    assert {"stream": "pressure", "first_index": 20, "n_samples": 5} in [
        {k: g[k] for k in ("stream", "first_index", "n_samples")} for g in gaps]
    assert stats.lost_frames == 3 and stats.lost_samples == {"emg": 40, "pressure": 5}
    # indices never overlap and the only holes are the announced gaps
    covered = sorted((b.first_index, b.end_index) for b in emg)
    holes = [(a[1], b[0]) for a, b in itertools.pairwise(covered) if a[1] != b[0]]
    assert holes == [(200, 240)]
    assert sink.kinds()[0] is EventKind.CONNECTED


def test_block_times_follow_host_clock(fake) -> None:
    dev = fake()
    sink = Collector()
    sensor = SerialSensor(dev.port)
    sensor.start(sink)
    wait_until(lambda: sum(b.stream == "emg" for b in list(sink.blocks)) >= 20,
               what="20 EMG blocks")
    sensor.stop()
    sensor.close()
    emg = [b for b in sink.blocks if b.stream == "emg"]
    t0 = np.array([b.t0 for b in emg])
    idx = np.array([b.first_index for b in emg])
    # times are host monotonic seconds, spaced like the samples, and never in the future; the
    # clock map may correct its first estimate once (by a few ms on a loaded machine)
    err = np.abs(np.diff(t0) - np.diff(idx) / 2000)
    assert err[0] < 0.02 and np.all(err[1:] < 0.005)
    assert t0[-1] <= time.monotonic()


def test_nak_on_start_is_reported_not_swallowed(fake) -> None:
    dev = fake(nak_start=True)
    sink = Collector()
    sensor = SerialSensor(dev.port, reconnect=False)
    sensor.start(sink)
    wait_until(lambda: any(e.kind is EventKind.ERROR for e in list(sink.events)),
               what="the start refused")
    sensor.stop()
    sensor.close()
    errors = [e for e in sink.events if e.kind is EventKind.ERROR]
    assert errors and "hardware fault" in errors[0].message
