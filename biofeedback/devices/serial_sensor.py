"""The serial pelvic sensor (protocol v1, ``docs/protocol.md``) as a :class:`Source`.

One acquisition thread owns the port: it reads whatever bytes arrived, lets
:class:`~biofeedback.devices.protocol.FrameReader` cut and check frames, and turns DATA blocks
into :class:`SampleBlock` objects with host-mapped times. Nothing is ever silently joined:
lost frames, CRC failures, device overruns, resets and reconnects all become explicit GAP events
and jumps in ``first_index``, so a recording shows exactly where samples are missing. The port
is re-opened automatically after a cable pull (or an emulator restart) and the session resumes.
Host-side rules are described in ``docs/sensor-link.md``.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import serial

from biofeedback.devices import protocol as P
from biofeedback.devices.base import Source, SourceError
from biofeedback.devices.clock_map import ClockMapper
from biofeedback.streams import (
    BlockFlag,
    ChannelInfo,
    ChannelKind,
    EventKind,
    SampleBlock,
    SourceInfo,
    StreamInfo,
)

DEFAULT_BAUD = 921600
_LABELS = {"pfm": "Pelvic floor EMG", "abdominal": "Abdominal EMG", "pressure": "Vaginal pressure"}
_KINDS = {1: ChannelKind.EMG, 2: ChannelKind.PRESSURE}
_MODES = {"normal": P.Mode.NORMAL, "test": P.Mode.TEST_SIGNAL, "test-signal": P.Mode.TEST_SIGNAL,
          "synthetic": P.Mode.SYNTHETIC, "pattern": P.Mode.PATTERN}
_FLAG_MAP = (
    (P.Flag.LEAD_OFF, BlockFlag.LEAD_OFF),
    (P.Flag.SATURATION, BlockFlag.SATURATED),
    (P.Flag.OVERRUN, BlockFlag.OVERRUN),
    (P.Flag.TEST_SIGNAL, BlockFlag.TEST_SIGNAL),
    (P.Flag.BATTERY_LOW, BlockFlag.BATTERY_LOW),
    (P.Flag.SYNTHETIC, BlockFlag.SYNTHETIC),
    (P.Flag.PATTERN, BlockFlag.SYNTHETIC),
)


class LinkLost(Exception):
    """The port failed (unplugged, emulator killed) or the device stopped answering."""


class DeviceRestarted(Exception):
    """The device rebooted or stopped streaming on its own; the link itself still works."""


@dataclass
class LinkStats:
    """Link quality counters since :meth:`SerialSensor.start` (a snapshot; plain ints)."""

    bytes: int = 0
    frames_ok: int = 0
    crc_errors: int = 0
    framing_errors: int = 0  # COBS errors, runt/over-long frames, impossible lengths or values
    lost_frames: int = 0  # gaps in the link sequence number
    lost_samples: dict[str, int] = field(default_factory=dict)  # per stream, from first_sample
    gaps: int = 0
    resyncs: int = 0  # frames discarded by the decoder (CRC or framing) before the next boundary
    overruns: int = 0  # blocks the device itself dropped (STATUS.overflow_count)
    reconnects: int = 0
    device_resets: int = 0
    rx_errors_device: int = 0  # our commands the device could not decode

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decode_flags(flags: int) -> BlockFlag:
    out = BlockFlag.NONE
    for wire, block in _FLAG_MAP:
        if flags & wire:
            out |= block
    return out


@dataclass
class _Description:
    """What HELLO told us: device, streams by id, channels by (stream, index)."""

    device: P.HelloDevice
    streams: dict[int, P.HelloStream]
    channels: dict[tuple[int, int], P.HelloChannel]

    def layout(self) -> tuple:
        """What must not change across a reconnect for the session to resume."""
        return tuple(
            (s.stream_id, s.name, s.n_channels, s.format, s.rate_hz,
             tuple(self.channels[(s.stream_id, c)].label for c in range(s.n_channels)))
            for s in sorted(self.streams.values(), key=lambda s: s.stream_id)
        )


@dataclass
class _StreamState:
    """Host-side bookkeeping of one stream: where the next device sample lands on our index."""

    name: str
    fs: float
    scale: np.ndarray
    offset: np.ndarray
    next_device: int = 0  # expected first_sample of the next block (device counter, unwrapped)
    index_offset: int = 0  # host index = device index + index_offset
    next_host: int = 0  # host index of the next sample to deliver
    last_end_t: float | None = None  # host time just after the last delivered sample
    fresh: bool = True  # no block yet in this segment
    pending: list[tuple[P.Data, float]] = field(default_factory=list)


class SerialSensor(Source):
    """A protocol-v1 sensor on a serial port (USB CDC, UART adapter or the emulator's pty).

    ``mode``: ``normal`` (default), ``test`` (the front-end's internal test signal),
    ``synthetic`` or ``pattern``; ``emg_rate``: 500/1000/2000 Hz if the device offers it.
    """

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = DEFAULT_BAUD,
        mode: str | int | None = None,
        emg_rate: int | None = None,
        reconnect: bool = True,
        hello_timeout: float = 0.5,
        hello_retries: int = 3,
        hello_window_s: float = 3.0,
        command_timeout: float = 0.2,
        command_retries: int = 3,
        stall_timeout: float = 1.0,
        ping_interval: float = 1.0,
        status_interval: float = 1.0,
        reconnect_interval: float = 0.5,
        read_timeout: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        serial_factory: Callable[..., Any] = serial.serial_for_url,
    ) -> None:
        super().__init__()
        self.port = port
        self.baudrate = baudrate
        if isinstance(mode, str):
            if mode.lower() not in _MODES:
                raise ValueError(f"unknown sensor mode {mode!r}; use one of {', '.join(_MODES)}")
            mode = _MODES[mode.lower()]
        self.mode = None if mode is None else P.Mode(mode)
        self.emg_rate = emg_rate
        self.reconnect = reconnect
        self.hello_timeout = hello_timeout
        self.hello_retries = hello_retries  # at least this many retries ...
        self.hello_window_s = hello_window_s  # ... and more until this much time has passed
        self.command_timeout = command_timeout
        self.command_retries = command_retries
        self.stall_timeout = stall_timeout
        self.ping_interval = ping_interval
        self.status_interval = status_interval
        self.reconnect_interval = reconnect_interval
        self.read_timeout = read_timeout
        self._clock = clock
        self._serial_factory = serial_factory
        self._ser: Any = None
        self._reader = P.FrameReader()
        self._req = itertools.count(1)
        self._desc: _Description | None = None
        self._streams: dict[int, _StreamState] = {}
        self._clockmap = ClockMapper()
        self._stats = LinkStats()
        self._expected_seq: int | None = None
        self._reader_base = P.ReaderStats()  # reader counters at the last stats reset
        self._protocol_errors = 0  # checked frames with impossible contents
        self._last_status: P.Status | None = None
        self._last_overflow: int | None = None  # STATUS.overflow_count seen last
        self._last_data_t = 0.0
        self._last_ping_t = 0.0
        self._last_status_t = 0.0
        self._ping_nonce = 0
        self._started_mask = 0
        self._handshaking = False

    # -- public --------------------------------------------------------------------------------
    @property
    def link_stats(self) -> LinkStats:
        """Current link counters (safe to read from any thread; a copy)."""
        self._sync_reader_stats()
        s = self._stats
        return LinkStats(**{**asdict(s), "lost_samples": dict(s.lost_samples)})

    @property
    def device_status(self) -> P.Status | None:
        """The last STATUS frame (battery, lead-off, device errors), if any."""
        return self._last_status

    # -- Source hooks ----------------------------------------------------------------------------
    def _open(self) -> SourceInfo:
        try:
            self._open_port()
            desc = self._handshake()
        except LinkLost as exc:
            self._close_port()
            raise SourceError(f"cannot use sensor on {self.port}: {exc}") from None
        except SourceError:
            self._close_port()
            raise
        self._desc = desc
        return self._source_info(desc)

    def _close(self) -> None:
        self._close_port()

    def _run(self) -> None:
        self._stats = LinkStats(lost_samples={s.name: 0 for s in self.info.streams})
        self._reader_base = P.ReaderStats(**asdict(self._reader.stats))
        self._protocol_errors = 0
        self._last_overflow = None
        self._streams = {}
        try:
            if self._ser is None:
                self._reopen()
            self._start_streaming()
            self._emit_event(EventKind.CONNECTED, f"Sensor {self.info.serial_number} streaming",
                             port=self.port)
        except LinkLost as exc:
            self._recover(str(exc), io_error=True)
        except DeviceRestarted as exc:
            self._recover(str(exc), io_error=False)
        while not self._stop_event.is_set():
            try:
                self._pump()
            except LinkLost as exc:
                self._recover(str(exc), io_error=True)
            except DeviceRestarted as exc:
                self._stats.device_resets += 1
                self._recover(str(exc), io_error=False)
        self._flush_all()
        self._emit_status(force=True)
        self._stop_device()

    # -- port ------------------------------------------------------------------------------------
    def _open_port(self) -> None:
        try:
            self._ser = self._serial_factory(
                self.port, baudrate=self.baudrate, timeout=self.read_timeout, write_timeout=1.0,
                exclusive=True,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            self._ser = None
            raise LinkLost(_short(exc)) from None
        self._reader.reset()

    def _close_port(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                ser.close()

    def _reopen(self) -> None:
        self._close_port()
        self._open_port()

    def _write(self, frame: bytes) -> None:
        if self._ser is None:
            raise LinkLost("port is closed")
        try:
            self._ser.write(frame)
        except (serial.SerialException, OSError) as exc:
            raise LinkLost(_short(exc)) from None

    def _read(self) -> bytes:
        if self._ser is None:
            raise LinkLost("port is closed")
        try:
            data = self._ser.read(1)
            if data:
                waiting = self._ser.in_waiting
                if waiting:
                    data += self._ser.read(waiting)
        except (serial.SerialException, OSError) as exc:
            raise LinkLost(_short(exc)) from None
        return data

    def _receive(self) -> list[P.DeviceMessage]:
        """Read once and decode; count framing errors and link sequence gaps."""
        data = self._read()
        if not data:
            return []
        msgs: list[P.DeviceMessage] = []
        for body in self._reader.feed(data):
            try:
                msg = P.parse_device_body(body)
            except P.ProtocolError:
                self._protocol_errors += 1
                continue
            self._track_seq(msg.seq)
            msgs.append(msg)
        return msgs

    def _track_seq(self, seq: int) -> None:
        if self._expected_seq is not None:
            k = (seq - self._expected_seq) & 0xFFFF
            if 0 < k < 0x8000:
                self._stats.lost_frames += k
        self._expected_seq = (seq + 1) & 0xFFFF

    def _sync_reader_stats(self) -> None:
        r, b = self._reader.stats, self._reader_base
        s = self._stats
        s.bytes = r.bytes - b.bytes
        s.frames_ok = r.frames_ok - b.frames_ok
        s.crc_errors = r.crc_errors - b.crc_errors
        garbage = (r.cobs_errors - b.cobs_errors) + (r.short - b.short) + (r.too_long - b.too_long)
        s.framing_errors = garbage + self._protocol_errors
        s.resyncs = garbage + s.crc_errors

    # -- commands --------------------------------------------------------------------------------
    def _command(
        self, frame_for: Callable[[int], bytes], cmd: P.Msg, *, timeout: float | None = None,
        retries: int | None = None, on_message: Callable[[P.DeviceMessage], None] | None = None,
        before_retry: Callable[[], None] | None = None,
    ) -> P.Ack:
        """Send a command until it is ACKed; other frames go to ``on_message`` (or dispatch)."""
        timeout = self.command_timeout if timeout is None else timeout
        retries = self.command_retries if retries is None else retries
        handler = on_message or self._dispatch
        for _attempt in range(retries + 1):
            if before_retry is not None:
                before_retry()
            req = next(self._req) & 0xFFFF
            self._write(frame_for(req))
            deadline = self._clock() + timeout
            while self._clock() < deadline:
                for msg in self._receive():
                    if isinstance(msg, P.Ack | P.Nak) and msg.req_id == req and msg.command == cmd:
                        if isinstance(msg, P.Nak):
                            reason = _nak_text(msg.reason)
                            raise SourceError(f"sensor refused {cmd.name}: {reason}")
                        return msg
                    handler(msg)
                if self._stop_event.is_set() and not self._handshaking:
                    raise LinkLost("stopped")
        raise LinkLost(f"no answer to {cmd.name} after {retries + 1} tries")

    def _handshake(self) -> _Description:
        """Connect sequence of §7.2: STOP, flush, HELLO (complete), version check, settings."""
        self._handshaking = True
        try:
            self._write(P.stop(next(self._req) & 0xFFFF))
            time.sleep(0.05)
            self._flush_input()
            desc = self._hello()
            if desc.device.proto_major != P.PROTOCOL_MAJOR:
                newer = "app" if desc.device.proto_major > P.PROTOCOL_MAJOR else "sensor firmware"
                raise SourceError(
                    f"sensor speaks protocol {desc.device.proto_major}.{desc.device.proto_minor}, "
                    f"this app {P.PROTOCOL_MAJOR}.{P.PROTOCOL_MINOR}: update the {newer}"
                )
            if self.emg_rate is not None:
                emg = desc.streams.get(0)
                if emg is None or (emg.rates and self.emg_rate not in emg.rates):
                    offered = ", ".join(map(str, emg.rates)) if emg else "none"
                    raise SourceError(f"EMG rate {self.emg_rate} Hz not offered (offered: {offered})")
                if emg.rate_hz != self.emg_rate:
                    updates: list[P.HelloStream] = []
                    self._command(lambda r: P.set_rate(r, 0, self.emg_rate or 0), P.Msg.SET_RATE,
                                  on_message=lambda m: updates.append(m)  # type: ignore[arg-type]
                                  if isinstance(m, P.HelloStream) else None)
                    if not updates:
                        raise LinkLost("SET_RATE was acknowledged without the updated stream")
                    desc.streams[0] = updates[-1]
            if self.mode is not None:
                if not desc.device.modes & (1 << int(self.mode)):
                    raise SourceError(f"sensor does not support mode {self.mode.name.lower()}")
                self._command(lambda r: P.set_mode(r, int(self.mode or 0)), P.Msg.SET_MODE,
                              on_message=lambda m: None)
            return desc
        finally:
            self._handshaking = False

    def _flush_input(self) -> None:
        try:
            if self._ser is not None:
                self._ser.reset_input_buffer()
        except (serial.SerialException, OSError) as exc:
            raise LinkLost(_short(exc)) from None
        self._reader.reset()
        self._expected_seq = None

    def _hello(self) -> _Description:
        """HELLO until the description is complete, over ``hello_window_s`` with back-off.

        A noisy link loses frames: every try's HELLO_* frames are merged (the device describes
        itself identically each time), a complete description is accepted even if its ACK was
        lost, and between tries the link is resynchronised (STOP, wait ``0.05 · 2^k`` s up to
        0.5 s, flush input, reset the frame decoder) so one burst of garbage cannot use up
        every try within a few milliseconds.
        """
        got: dict[str, Any] = {"streams": {}, "channels": {}}

        def collect(msg: P.DeviceMessage) -> None:
            if isinstance(msg, P.HelloDevice):
                old = got.get("device")
                if old is not None and replace(old, seq=0) != replace(msg, seq=0):
                    got["streams"], got["channels"] = {}, {}  # a different description
                got["device"] = msg
            elif isinstance(msg, P.HelloStream):
                got["streams"][msg.stream_id] = msg
            elif isinstance(msg, P.HelloChannel):
                got["channels"][(msg.stream_id, msg.channel)] = msg

        deadline = self._clock() + self.hello_window_s
        tries = 0
        while True:
            if tries:
                self._resync(min(0.05 * 2 ** (tries - 1), 0.5))
            tries += 1
            try:
                self._command(P.hello, P.Msg.HELLO, timeout=self.hello_timeout, retries=0,
                              on_message=collect)
            except LinkLost as exc:
                if "no answer" not in str(exc):
                    raise
            if self._hello_complete(got):
                return _Description(got["device"], got["streams"], got["channels"])
            if tries > self.hello_retries and (self._clock() >= deadline or tries >= 64):
                break
        raise LinkLost(f"no sensor answers (no complete HELLO after {tries} tries in "
                       f"{self.hello_window_s:g} s)")

    def _resync(self, pause_s: float) -> None:
        """Between handshake tries: quiet the device, drop what is in flight, restart decoding."""
        self._write(P.stop(next(self._req) & 0xFFFF))
        time.sleep(pause_s)
        self._flush_input()

    @staticmethod
    def _hello_complete(got: dict[str, Any]) -> bool:
        if got.get("device") is None:
            return False
        streams: dict[int, P.HelloStream] = got["streams"]
        if len(streams) != got["device"].n_streams:
            return False
        return all((s.stream_id, c) in got["channels"]
                   for s in streams.values() for c in range(s.n_channels))

    def _source_info(self, desc: _Description) -> SourceInfo:
        streams = []
        details: dict[str, Any] = {
            "port": self.port, "board": desc.device.board, "build": desc.device.build,
            "protocol": f"{desc.device.proto_major}.{desc.device.proto_minor}",
            "modes": desc.device.modes, "rates": {}, "channels": {},
        }
        for sid in sorted(desc.streams):
            hs = desc.streams[sid]
            chans = []
            for c in range(hs.n_channels):
                hc = desc.channels[(sid, c)]
                chans.append(ChannelInfo(
                    hc.label, _KINDS.get(hc.kind, ChannelKind.OTHER), hc.unit,
                    _LABELS.get(hc.label, hc.label), hc.phys_min, hc.phys_max, float(hc.resolution),
                ))
                details["channels"][hc.label] = {
                    "scale": hc.scale, "offset": hc.offset, "noise_rms": hc.noise_rms,
                    "hp_hz": hc.hp_hz, "lp_hz": hc.lp_hz, "leadoff_bit": hc.leadoff_bit,
                }
            details["rates"][hs.name] = list(hs.rates)
            streams.append(StreamInfo(hs.name, float(hs.rate_hz), tuple(chans)))
        serial_no = desc.device.serial
        return SourceInfo(
            name=f"Pelvic sensor {serial_no}" if serial_no else "Pelvic sensor",
            kind="serial", streams=tuple(streams), serial_number=serial_no,
            firmware=desc.device.firmware + (f" ({desc.device.build})" if desc.device.build else ""),
            details=details,
        )

    # -- streaming -------------------------------------------------------------------------------
    def _start_streaming(self) -> None:
        """START every stream; each (re)start opens a new segment on the host index."""
        desc = self._desc
        assert desc is not None
        self._clockmap.reset()
        for sid, hs in desc.streams.items():
            old = self._streams.get(sid)
            scale = np.array([desc.channels[(sid, c)].scale for c in range(hs.n_channels)])
            offset = np.array([desc.channels[(sid, c)].offset for c in range(hs.n_channels)])
            st = _StreamState(hs.name, float(hs.rate_hz), scale, offset)
            if old is not None:
                st.next_host, st.last_end_t = old.next_host, old.last_end_t
            self._streams[sid] = st
        mask = sum(1 << sid for sid in desc.streams)
        self._started_mask = mask
        self._command(lambda r: P.start(r, mask), P.Msg.START)
        # battery and lead-off now, not at the first unsolicited STATUS a second later
        self._write(P.get_status(next(self._req) & 0xFFFF))
        now = self._clock()
        self._last_data_t = now
        self._last_ping_t = now
        self._last_status_t = now

    def _pump(self) -> None:
        msgs = self._receive()
        for msg in msgs:
            self._dispatch(msg)
        self._flush_all()
        now = self._clock()
        if now - self._last_data_t > self.stall_timeout:
            raise DeviceRestarted(f"no data for {now - self._last_data_t:.1f} s")
        if now - self._last_ping_t >= self.ping_interval:
            self._last_ping_t = now
            self._ping_nonce = (self._ping_nonce + 1) & 0xFFFFFFFF
            self._write(P.ping(next(self._req) & 0xFFFF, self._ping_nonce))
        self._emit_status()

    def _dispatch(self, msg: P.DeviceMessage) -> None:
        if isinstance(msg, P.Data):
            self._on_data(msg)
        elif isinstance(msg, P.Status):
            self._on_status(msg)
        elif isinstance(msg, P.Pong):
            if msg.running & self._started_mask != self._started_mask:
                raise DeviceRestarted("sensor stopped streaming (reset or keep-alive timeout)")
        elif isinstance(msg, P.Event) and msg.source == 0 and msg.code == 1:
            raise DeviceRestarted("sensor stopped streaming after a keep-alive timeout")

    def _on_data(self, d: P.Data) -> None:
        st = self._streams.get(d.stream_id)
        desc = self._desc
        if st is None or desc is None:
            self._protocol_errors += 1
            return
        hs = desc.streams[d.stream_id]
        if d.n_channels != hs.n_channels or d.format != hs.format or d.n_samples == 0:
            self._protocol_errors += 1
            return
        arrival = self._clock()
        # the device counter is 32 bits: work with its distance from what we expect
        delta = (d.first_sample - st.next_device) & 0xFFFFFFFF
        if st.fresh:
            delta = d.first_sample  # first block of a segment: the counter restarted at 0
            st.next_device = 0
        if delta >= 1 << 31:
            raise DeviceRestarted(f"{st.name} sample counter stepped back: the sensor restarted")
        if delta > (self.stall_timeout + 1.0) * st.fs * 4:
            # longer than the stall timeout could ever let through: not a real gap
            self._protocol_errors += 1
            return
        self._last_data_t = arrival
        dev_t = self._clockmap.unwrap(d.t_us)
        n = d.n_samples
        # the newest sample of the block exists from dev_t + (n-1)/fs on: it cannot arrive earlier
        self._clockmap.observe(dev_t + (n - 1) / st.fs, arrival)
        t0 = self._clockmap.to_host(dev_t)
        if st.fresh:
            st.fresh = False
            gap = 0
            if st.last_end_t is not None:  # resumed: count the samples the outage cost
                gap = max(0, round((t0 - st.last_end_t) * st.fs) - d.first_sample)
            st.index_offset = st.next_host + gap
            st.next_device = 0
            self._note_gap(st, st.next_host, gap + d.first_sample,
                           "reconnect" if st.last_end_t is not None else "link")
        elif delta:
            reason = "overrun" if d.flags & P.Flag.OVERRUN else "link"
            self._note_gap(st, st.next_host, delta, reason)
        first_index = st.next_device + delta + st.index_offset
        if st.pending:
            last, _ = st.pending[-1]
            if delta or last.flags != d.flags:
                self._flush(st)
        st.pending.append((d, t0))
        st.next_device = st.next_device + delta + n
        st.next_host = first_index + n
        st.last_end_t = t0 + n / st.fs

    def _note_gap(self, st: _StreamState, first_index: int, n: int, reason: str) -> None:
        if n <= 0:
            return
        self._flush(st)
        self._stats.gaps += 1
        self._stats.lost_samples[st.name] = self._stats.lost_samples.get(st.name, 0) + n
        what = {"link": "lost on the link", "overrun": "dropped by the sensor (overrun)",
                "reconnect": "missing while the sensor was away"}[reason]
        self._emit_event(EventKind.GAP, f"{n} {st.name} samples {what}", stream=st.name,
                         first_index=first_index, n_samples=n, reason=reason,
                         duration_s=n / st.fs)

    def _flush_all(self) -> None:
        for st in self._streams.values():
            self._flush(st)

    def _flush(self, st: _StreamState) -> None:
        """Convert the contiguous pending blocks of a stream in one vectorised call."""
        if not st.pending:
            return
        blocks, st.pending = st.pending, []
        first, t0 = blocks[0]
        payload = first.payload if len(blocks) == 1 else b"".join(b.payload for b, _ in blocks)
        raw = P.unpack_samples(payload, first.format, first.n_channels)
        data = raw * st.scale + st.offset
        n_total = raw.shape[0]
        first_index = st.next_host - n_total
        self._emit_block(SampleBlock(st.name, first_index, t0, st.fs, data,
                                     decode_flags(first.flags)))

    def _on_status(self, s: P.Status) -> None:
        prev = self._last_status
        self._last_status = s
        last = self._last_overflow
        if last is not None:  # the device counter restarts at 0 when the device reboots
            self._stats.overruns += s.overflow_count - last if s.overflow_count >= last else (
                s.overflow_count)
        self._last_overflow = s.overflow_count
        self._stats.rx_errors_device = s.rx_errors
        if prev is None or (prev.lead_off, prev.flags, prev.error) != (s.lead_off, s.flags,
                                                                         s.error):
            self._emit_status(force=True)

    def _lead_off_channels(self) -> list[str]:
        s, desc = self._last_status, self._desc
        if s is None or desc is None:
            return []
        out = []
        for hc in sorted(desc.channels.values(), key=lambda c: (c.stream_id, c.channel)):
            bit = hc.leadoff_bit
            if bit != 0xFF and s.lead_off & (0b11 << bit):
                out.append(hc.label)
        return out

    def _emit_status(self, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._last_status_t < self.status_interval:
            return
        self._last_status_t = now
        stats = self.link_stats
        s = self._last_status
        battery = None if s is None or s.battery_pct == 255 else s.battery_pct
        lead_off = self._lead_off_channels()
        error = P.DEVICE_ERRORS.get(s.error, f"device error {s.error}") if s else ""
        parts = [f"{stats.frames_ok} frames", f"{stats.lost_frames} lost",
                 f"{stats.crc_errors} CRC errors"]
        if lead_off:
            parts.append("electrode off: " + ", ".join(lead_off))
        if battery is not None:
            parts.append(f"battery {battery} %")
        self._emit_event(
            EventKind.STATUS, "; ".join(parts), link=stats.as_dict(), battery_pct=battery,
            battery_low=bool(s and s.flags & P.Flag.BATTERY_LOW), lead_off=lead_off,
            device_error=error, state=str(self.state),
        )

    # -- recovery --------------------------------------------------------------------------------
    def _recover(self, reason: str, io_error: bool) -> None:
        """Get back to streaming: re-handshake on the same port, else re-open it until it returns."""
        self._flush_all()
        for st in self._streams.values():
            st.fresh = True
        if self._stop_event.is_set():
            return
        if io_error:
            self._close_port()
            self._emit_event(EventKind.DISCONNECTED, f"Sensor disconnected: {reason}",
                             port=self.port)
        if not self.reconnect:
            raise SourceError(f"sensor link lost: {reason}")
        self._emit_event(EventKind.RECONNECTING, f"Reconnecting to the sensor ({reason})",
                         port=self.port)
        announced_loss = io_error
        attempt = 0
        while not self._stop_event.is_set():
            attempt += 1
            try:
                if self._ser is None:
                    self._open_port()
                desc = self._handshake()
                if self._desc is not None and desc.layout() != self._desc.layout():
                    raise SourceError("a sensor with different channels or rates answered; "
                                      "stop and start the session again")
                self._desc = desc
                self._start_streaming()
            except LinkLost as exc:
                self._close_port()
                if self._stop_event.is_set():
                    return
                if not announced_loss:
                    announced_loss = True
                    self._emit_event(EventKind.DISCONNECTED, f"Sensor not answering: {exc}",
                                     port=self.port)
                self._stop_event.wait(self.reconnect_interval)
                continue
            except DeviceRestarted:
                continue
            self._stats.reconnects += 1
            self._emit_event(EventKind.CONNECTED, f"Sensor reconnected after {attempt} attempt"
                             + ("s" if attempt > 1 else ""), port=self.port, attempts=attempt)
            self._emit_status(force=True)
            return

    def _stop_device(self) -> None:
        """Clean stop: tell the sensor to stop streaming (best effort; port stays open)."""
        if self._ser is None:
            return
        try:
            self._write(P.stop(next(self._req) & 0xFFFF))
        except LinkLost:
            self._close_port()


def _nak_text(reason: int) -> str:
    try:
        return P.NakReason(reason).name.replace("_", " ").lower()
    except ValueError:
        return f"reason {reason}"


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]
