"""Wire codec of the sensor link, protocol v1 (``docs/protocol.md`` is the source of truth).

Pure functions and small state machines, no I/O: COBS framing with a ``0x00`` delimiter,
CRC-16/CCITT-FALSE, body encoders/decoders for every message type, and vectorised (numpy)
unpacking of DATA payloads. :class:`FrameReader` turns an arbitrary byte stream into checked
bodies and counts what it had to throw away, so one corrupted byte costs one frame (§1) and
garbage can never become a sample.
"""

from __future__ import annotations

import binascii
import enum
import struct
from dataclasses import dataclass, field

import numpy as np

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0
MAX_BODY = 252  # body bytes; + 2 CRC + 1 COBS overhead + 1 delimiter = 256 on the wire
MAX_ENCODED = 255  # bytes between delimiters that can still be a frame (§1 rule 2)
DATA_HEADER = 17
DELIMITER = b"\x00"


class Msg(enum.IntEnum):
    """Message ``type`` byte (§3, §4)."""

    # host -> device
    HELLO = 0x01
    START = 0x02
    STOP = 0x03
    PING = 0x04
    SET_RATE = 0x05
    SET_MODE = 0x06
    GET_STATUS = 0x07
    MARK = 0x08
    # device -> host
    HELLO_DEVICE = 0x81
    HELLO_STREAM = 0x82
    HELLO_CHANNEL = 0x83
    STATUS = 0x84
    ACK = 0x85
    NAK = 0x86
    PONG = 0x87
    EVENT = 0x88
    DATA = 0x90


class Flag(enum.IntFlag):
    """DATA/STATUS flag bits (§3.4)."""

    NONE = 0
    LEAD_OFF = 0x0001
    SATURATION = 0x0002
    OVERRUN = 0x0004
    TEST_SIGNAL = 0x0008
    BATTERY_LOW = 0x0010
    SYNTHETIC = 0x0020
    PATTERN = 0x0040


class Mode(enum.IntEnum):
    """SET_MODE argument (§5.1)."""

    NORMAL = 0
    TEST_SIGNAL = 1
    SYNTHETIC = 2
    PATTERN = 3


class NakReason(enum.IntEnum):
    UNKNOWN_COMMAND = 1
    BAD_LENGTH = 2
    BAD_ARGUMENT = 3
    BAD_STATE = 4
    HARDWARE_FAULT = 5


DEVICE_ERRORS = {
    0: "",
    1: "EMG front-end not responding",
    2: "pressure sensor not responding",
    3: "clock fault (internal oscillator)",
    4: "internal device error",
}

KIND_NAMES = {0: "other", 1: "emg", 2: "pressure"}


class ProtocolError(ValueError):
    """A body that passed the CRC but does not match the layout of its type (length error)."""


# -- CRC and COBS -------------------------------------------------------------------------------
def crc16(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF); check("123456789") == 0x29B1."""
    return binascii.crc_hqx(data, 0xFFFF)


def cobs_encode(data: bytes | bytearray) -> bytes:
    """Standard COBS: the result contains no zero byte. Never appends a trailing ``01`` group."""
    out = bytearray()
    start = 0
    n = len(data)
    while True:
        zero = data.find(0, start, min(n, start + 254))
        if zero < 0:
            end = min(n, start + 254)
            out.append(end - start + 1)
            out += data[start:end]
            if end >= n:
                break
            start = end
        else:
            out.append(zero - start + 1)
            out += data[start:zero]
            start = zero + 1
            if start == n:  # a trailing zero still needs its (empty) final group
                out.append(1)
                break
    return bytes(out)


class CobsError(ValueError):
    """A code byte points past the end of the frame, or the frame contains a zero."""


def cobs_decode(enc: bytes | bytearray) -> bytes:
    """Inverse of :func:`cobs_encode`; raises :class:`CobsError` on malformed input."""
    n = len(enc)
    if n == 0:
        return b""
    out = bytearray(enc)
    i = 0
    while i < n:
        c = enc[i]
        if c == 0:
            raise CobsError("zero byte inside a COBS frame")
        if c == 0xFF:
            return _cobs_decode_slow(enc)
        out[i] = 0
        i += c
    if i > n:
        raise CobsError("COBS code points past the end of the frame")
    # out[0] is the first code (now 0); every later code position became the zero it encodes
    return bytes(out[1:])


def _cobs_decode_slow(enc: bytes | bytearray) -> bytes:
    """General decoder for frames that contain a 0xFF group (254 non-zero bytes in a row)."""
    out = bytearray()
    i = 0
    n = len(enc)
    while i < n:
        c = enc[i]
        if c == 0:
            raise CobsError("zero byte inside a COBS frame")
        j = i + c
        if j > n:
            raise CobsError("COBS code points past the end of the frame")
        out += enc[i + 1 : j]
        if c != 0xFF and j < n:
            out.append(0)
        i = j
    return bytes(out)


def encode_frame(body: bytes | bytearray) -> bytes:
    """``COBS(body ‖ crc16_le(body)) ‖ 0x00`` (§1)."""
    if not 3 <= len(body) <= MAX_BODY:
        raise ValueError(f"frame body must be 3..{MAX_BODY} bytes, got {len(body)}")
    return cobs_encode(bytes(body) + struct.pack("<H", crc16(body))) + DELIMITER


# -- stream decoding ----------------------------------------------------------------------------
@dataclass
class ReaderStats:
    """What :class:`FrameReader` saw; every rejected frame lands in exactly one error counter."""

    bytes: int = 0
    frames_ok: int = 0
    empty: int = 0
    too_long: int = 0
    cobs_errors: int = 0
    short: int = 0
    crc_errors: int = 0

    @property
    def errors(self) -> int:
        """Frames dropped by the framing layer (§1 rules 2-5)."""
        return self.too_long + self.cobs_errors + self.short + self.crc_errors


@dataclass
class FrameReader:
    """Split a byte stream at ``0x00`` and return CRC-checked bodies (§1 receive rules).

    Keeps at most one partial frame between calls; a run of more than 255 bytes without a
    delimiter is discarded up to the next delimiter and counted once.
    """

    stats: ReaderStats = field(default_factory=ReaderStats)
    _pending: bytearray = field(default_factory=bytearray)
    _overlong: bool = False

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete frame waiting for its delimiter."""
        return len(self._pending)

    def reset(self) -> None:
        """Forget any partial frame (after a port flush or reconnect)."""
        self._pending.clear()
        self._overlong = False

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Consume ``data``; return the bodies (type..payload, CRC removed) of valid frames."""
        if not data:
            return []
        st = self.stats
        st.bytes += len(data)
        parts = bytes(data).split(b"\x00")
        tail = parts.pop()  # bytes after the last delimiter: an incomplete frame
        bodies: list[bytes] = []
        if parts:
            first = parts[0]
            if self._pending or self._overlong:
                parts[0] = bytes(self._pending) + first
            overlong_head = self._overlong
            self._pending = bytearray()
            self._overlong = False
            for k, enc in enumerate(parts):
                if k == 0 and overlong_head:
                    continue  # the rest of an already-counted over-long run
                body = self._check(enc, st)
                if body is not None:
                    bodies.append(body)
        if self._overlong:
            return bodies  # still discarding up to the next delimiter
        if len(self._pending) + len(tail) > MAX_ENCODED:
            st.too_long += 1
            self._pending = bytearray()
            self._overlong = True
        else:
            self._pending += tail
        return bodies

    @staticmethod
    def _check(enc: bytes, st: ReaderStats) -> bytes | None:
        n = len(enc)
        if n == 0:
            st.empty += 1
            return None
        if n > MAX_ENCODED:
            st.too_long += 1
            return None
        try:
            dec = cobs_decode(enc)
        except CobsError:
            st.cobs_errors += 1
            return None
        if len(dec) < 5:
            st.short += 1
            return None
        body = dec[:-2]
        if crc16(body) != dec[-2] | (dec[-1] << 8):
            st.crc_errors += 1
            return None
        st.frames_ok += 1
        return body


# -- message bodies -----------------------------------------------------------------------------
_DEV_HEADER = struct.Struct("<BH")
_DATA_HEADER = struct.Struct("<BHBIIHBBB")
_HELLO_DEVICE = struct.Struct("<BHBBBBBBB")
_HELLO_STREAM = struct.Struct("<BHBBBIB")
_HELLO_CHANNEL = struct.Struct("<BHBBBddddffffB")
_STATUS = struct.Struct("<BHBBBHHIIBI")
_ACK = struct.Struct("<BHHB")
_NAK = struct.Struct("<BHHBB")
_PONG = struct.Struct("<BHHIIB")
_EVENT = struct.Struct("<BHBHII")


def _read_str(body: bytes, off: int) -> tuple[str, int]:
    if off >= len(body):
        raise ProtocolError("string field missing")
    n = body[off]
    end = off + 1 + n
    if end > len(body):
        raise ProtocolError("string field runs past the end of the body")
    return body[off + 1 : end].decode("ascii", "replace"), end


def _pack_str(text: str) -> bytes:
    raw = text.encode("ascii", "replace")
    if len(raw) > 48:
        raise ValueError(f"string field longer than 48 bytes: {text!r}")
    return bytes([len(raw)]) + raw


def _need(body: bytes, size: int, what: str) -> None:
    if len(body) < size:
        raise ProtocolError(f"{what} body is {len(body)} bytes, needs {size}")


@dataclass(frozen=True)
class HelloDevice:
    seq: int
    proto_major: int
    proto_minor: int
    fw_version: tuple[int, int, int]
    n_streams: int
    modes: int
    board: str
    serial: str
    build: str

    @property
    def firmware(self) -> str:
        return ".".join(map(str, self.fw_version))


@dataclass(frozen=True)
class HelloStream:
    seq: int
    stream_id: int
    n_channels: int
    format: int
    rate_hz: int
    block_samples: int
    name: str
    rates: tuple[int, ...]


@dataclass(frozen=True)
class HelloChannel:
    seq: int
    stream_id: int
    channel: int
    kind: int
    scale: float
    offset: float
    phys_min: float
    phys_max: float
    resolution: float
    noise_rms: float
    hp_hz: float
    lp_hz: float
    leadoff_bit: int
    unit: str
    label: str


@dataclass(frozen=True)
class Status:
    seq: int
    battery_pct: int
    running: int
    mode: int
    flags: int
    lead_off: int
    overflow_count: int
    rx_errors: int
    error: int
    t_us: int


@dataclass(frozen=True)
class Ack:
    seq: int
    req_id: int
    command: int


@dataclass(frozen=True)
class Nak:
    seq: int
    req_id: int
    command: int
    reason: int


@dataclass(frozen=True)
class Pong:
    seq: int
    req_id: int
    nonce: int
    t_us: int
    running: int


@dataclass(frozen=True)
class Event:
    seq: int
    source: int
    code: int
    sample: int
    t_us: int


@dataclass(frozen=True)
class Data:
    """A DATA block; ``payload`` holds the raw sample bytes (decode with :meth:`samples`)."""

    seq: int
    stream_id: int
    first_sample: int
    t_us: int
    flags: int
    n_channels: int
    format: int
    n_samples: int
    payload: bytes

    def samples(self) -> np.ndarray:
        """Raw sample values, shape ``(n_samples, n_channels)``, int32."""
        return unpack_samples(self.payload, self.format, self.n_channels)


@dataclass(frozen=True)
class Unknown:
    """A frame of a type this host does not know (ignored, §1 rule 6)."""

    type: int
    seq: int


DeviceMessage = HelloDevice | HelloStream | HelloChannel | Status | Ack | Nak | Pong | Event | Data
DeviceMessage = DeviceMessage | Unknown


def parse_device_body(body: bytes) -> DeviceMessage:
    """Decode a checked device→host body; raise :class:`ProtocolError` on a length error."""
    _need(body, 3, "frame")
    t = body[0]
    if t == Msg.DATA:
        _need(body, DATA_HEADER, "DATA")
        _, seq, sid, first, t_us, flags, nch, fmt, ns = _DATA_HEADER.unpack_from(body)
        if fmt not in (2, 3, 4) or nch == 0:
            raise ProtocolError(f"DATA with unsupported format {fmt} or {nch} channels")
        size = ns * nch * fmt
        _need(body, DATA_HEADER + size, "DATA")
        return Data(seq, sid, first, t_us, flags, nch, fmt, ns,
                    body[DATA_HEADER : DATA_HEADER + size])
    if t == Msg.STATUS:
        _need(body, _STATUS.size, "STATUS")
        return Status(*_STATUS.unpack_from(body)[1:])
    if t == Msg.PONG:
        _need(body, _PONG.size, "PONG")
        return Pong(*_PONG.unpack_from(body)[1:])
    if t == Msg.ACK:
        _need(body, _ACK.size, "ACK")
        return Ack(*_ACK.unpack_from(body)[1:])
    if t == Msg.NAK:
        _need(body, _NAK.size, "NAK")
        return Nak(*_NAK.unpack_from(body)[1:])
    if t == Msg.EVENT:
        _need(body, _EVENT.size, "EVENT")
        return Event(*_EVENT.unpack_from(body)[1:])
    if t == Msg.HELLO_DEVICE:
        _need(body, _HELLO_DEVICE.size, "HELLO_DEVICE")
        _, seq, pmaj, pmin, fmaj, fmin, fpat, nstr, modes = _HELLO_DEVICE.unpack_from(body)
        board, off = _read_str(body, _HELLO_DEVICE.size)
        serial, off = _read_str(body, off)
        build, off = _read_str(body, off)
        return HelloDevice(seq, pmaj, pmin, (fmaj, fmin, fpat), nstr, modes, board, serial, build)
    if t == Msg.HELLO_STREAM:
        _need(body, _HELLO_STREAM.size, "HELLO_STREAM")
        _, seq, sid, nch, fmt, rate, block = _HELLO_STREAM.unpack_from(body)
        name, off = _read_str(body, _HELLO_STREAM.size)
        _need(body, off + 1, "HELLO_STREAM")
        n_rates = body[off]
        _need(body, off + 1 + 4 * n_rates, "HELLO_STREAM")
        rates = struct.unpack_from(f"<{n_rates}I", body, off + 1)
        return HelloStream(seq, sid, nch, fmt, rate, block, name, tuple(rates))
    if t == Msg.HELLO_CHANNEL:
        _need(body, _HELLO_CHANNEL.size, "HELLO_CHANNEL")
        f = _HELLO_CHANNEL.unpack_from(body)
        unit, off = _read_str(body, _HELLO_CHANNEL.size)
        label, off = _read_str(body, off)
        return HelloChannel(f[1], *f[2:15], unit, label)
    return Unknown(t, _DEV_HEADER.unpack_from(body)[1])


# -- vectorised sample unpacking ----------------------------------------------------------------
_NP_FORMATS = {2: np.dtype("<i2"), 4: np.dtype("<i4")}


def unpack_samples(
    payload: bytes | bytearray | memoryview, fmt: int, n_channels: int
) -> np.ndarray:
    """Sample-major little-endian signed ints → ``(n, n_channels)`` int32, without Python loops.

    ``payload`` may hold many blocks back to back (same format and channel count), so a
    backlog is converted in one call.
    """
    if fmt == 3:
        b = np.frombuffer(payload, dtype=np.uint8)
        if b.size % (3 * n_channels):
            raise ProtocolError("int24 payload is not a whole number of samples")
        b = b.reshape(-1, 3).astype(np.int32)
        u = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = (u ^ 0x800000) - 0x800000  # sign-extend bit 23
        return v.reshape(-1, n_channels)
    dt = _NP_FORMATS.get(fmt)
    if dt is None:
        raise ProtocolError(f"unsupported sample format {fmt}")
    if len(payload) % (fmt * n_channels):
        raise ProtocolError("payload is not a whole number of samples")
    return np.frombuffer(payload, dtype=dt).astype(np.int32).reshape(-1, n_channels)


def pack_samples(raw: np.ndarray, fmt: int) -> bytes:
    """Inverse of :func:`unpack_samples` (used by tests, benchmarks and the fake device)."""
    a = np.asarray(raw, dtype=np.int64).reshape(-1)
    if fmt == 3:
        u = (a & 0xFFFFFF).astype("<u4").view(np.uint8).reshape(-1, 4)[:, :3]
        return u.tobytes()
    if fmt in _NP_FORMATS:
        return a.astype(_NP_FORMATS[fmt]).tobytes()
    raise ValueError(f"unsupported sample format {fmt}")


# -- host -> device commands --------------------------------------------------------------------
def command_body(cmd: Msg, req_id: int, payload: bytes = b"") -> bytes:
    return struct.pack("<BH", int(cmd), req_id & 0xFFFF) + payload


def encode_command(cmd: Msg, req_id: int, payload: bytes = b"") -> bytes:
    """Wire frame of one host→device command."""
    return encode_frame(command_body(cmd, req_id, payload))


def hello(req_id: int) -> bytes:
    return encode_command(Msg.HELLO, req_id)


def start(req_id: int, mask: int) -> bytes:
    return encode_command(Msg.START, req_id, bytes([mask & 0xFF]))


def stop(req_id: int) -> bytes:
    return encode_command(Msg.STOP, req_id)


def ping(req_id: int, nonce: int) -> bytes:
    return encode_command(Msg.PING, req_id, struct.pack("<I", nonce & 0xFFFFFFFF))


def set_rate(req_id: int, stream_id: int, rate_hz: int) -> bytes:
    return encode_command(Msg.SET_RATE, req_id, struct.pack("<BI", stream_id, rate_hz))


def set_mode(req_id: int, mode: int) -> bytes:
    return encode_command(Msg.SET_MODE, req_id, bytes([mode]))


def get_status(req_id: int) -> bytes:
    return encode_command(Msg.GET_STATUS, req_id)


def mark(req_id: int, code: int) -> bytes:
    return encode_command(Msg.MARK, req_id, struct.pack("<H", code & 0xFFFF))


@dataclass(frozen=True)
class Command:
    """A decoded host→device command (what the device's parser sees)."""

    type: int
    req_id: int
    fields: dict[str, int]


_COMMAND_PAYLOADS: dict[int, tuple[str, tuple[str, ...]]] = {
    Msg.HELLO: ("", ()),
    Msg.START: ("<B", ("mask",)),
    Msg.STOP: ("", ()),
    Msg.PING: ("<I", ("nonce",)),
    Msg.SET_RATE: ("<BI", ("stream_id", "rate_hz")),
    Msg.SET_MODE: ("<B", ("mode",)),
    Msg.GET_STATUS: ("", ()),
    Msg.MARK: ("<H", ("code",)),
}


def parse_command_body(body: bytes) -> Command:
    """Decode a checked host→device body; unknown type or short payload → ProtocolError."""
    _need(body, 3, "command")
    t, req_id = struct.unpack_from("<BH", body)
    if t not in _COMMAND_PAYLOADS:
        raise ProtocolError(f"unknown command 0x{t:02x}")
    fmt, names = _COMMAND_PAYLOADS[t]
    values: tuple[int, ...] = ()
    if fmt:
        size = struct.calcsize(fmt)
        _need(body, 3 + size, Msg(t).name)
        values = struct.unpack_from(fmt, body, 3)
    return Command(t, req_id, dict(zip(names, values, strict=True)))


# -- device -> host encoders (fake devices in tests and benchmarks) ----------------------------
def data_body(seq: int, stream_id: int, first_sample: int, t_us: int, flags: int,
              raw: np.ndarray, fmt: int) -> bytes:
    raw = np.asarray(raw)
    if raw.ndim == 1:
        raw = raw[:, None]
    n, nch = raw.shape
    head = _DATA_HEADER.pack(Msg.DATA, seq & 0xFFFF, stream_id, first_sample & 0xFFFFFFFF,
                             t_us & 0xFFFFFFFF, flags & 0xFFFF, nch, fmt, n)
    return head + pack_samples(raw, fmt)


def hello_device_body(seq: int, *, proto: tuple[int, int] = (PROTOCOL_MAJOR, PROTOCOL_MINOR),
                      fw: tuple[int, int, int] = (1, 0, 0), n_streams: int = 2, modes: int = 0x0F,
                      board: str = "test", serial: str = "TEST", build: str = "") -> bytes:
    return (_HELLO_DEVICE.pack(Msg.HELLO_DEVICE, seq, proto[0], proto[1], *fw, n_streams, modes)
            + _pack_str(board) + _pack_str(serial) + _pack_str(build))


def hello_stream_body(seq: int, stream_id: int, n_channels: int, fmt: int, rate_hz: int,
                      block_samples: int, name: str, rates: tuple[int, ...] = ()) -> bytes:
    return (_HELLO_STREAM.pack(Msg.HELLO_STREAM, seq, stream_id, n_channels, fmt, rate_hz,
                               block_samples)
            + _pack_str(name) + bytes([len(rates)]) + struct.pack(f"<{len(rates)}I", *rates))


def hello_channel_body(seq: int, ch: HelloChannel) -> bytes:
    return (_HELLO_CHANNEL.pack(Msg.HELLO_CHANNEL, seq, ch.stream_id, ch.channel, ch.kind,
                                ch.scale, ch.offset, ch.phys_min, ch.phys_max, ch.resolution,
                                ch.noise_rms, ch.hp_hz, ch.lp_hz, ch.leadoff_bit)
            + _pack_str(ch.unit) + _pack_str(ch.label))


def status_body(st: Status) -> bytes:
    return _STATUS.pack(Msg.STATUS, st.seq, st.battery_pct, st.running, st.mode, st.flags,
                        st.lead_off, st.overflow_count, st.rx_errors, st.error, st.t_us)


def ack_body(seq: int, req_id: int, command: int) -> bytes:
    return _ACK.pack(Msg.ACK, seq, req_id, command)


def nak_body(seq: int, req_id: int, command: int, reason: int) -> bytes:
    return _NAK.pack(Msg.NAK, seq, req_id, command, reason)


def pong_body(seq: int, req_id: int, nonce: int, t_us: int, running: int) -> bytes:
    return _PONG.pack(Msg.PONG, seq, req_id, nonce, t_us, running)


def event_body(ev: Event) -> bytes:
    return _EVENT.pack(Msg.EVENT, ev.seq, ev.source, ev.code, ev.sample, ev.t_us)


# -- the deterministic test pattern (§6.3) ------------------------------------------------------
def _int24(u: np.ndarray) -> np.ndarray:
    return np.where(u >= 1 << 23, u - (1 << 24), u)


def pattern_emg(n: np.ndarray) -> np.ndarray:
    """Raw EMG of PATTERN mode for sample indices ``n`` → ``(len(n), 2)`` int64."""
    n = np.asarray(n, dtype=np.int64) & 0xFFFFFFFF
    pfm = _int24((3001 * n) & 0xFFFFFF)
    abd = _int24((0x7FFFFF - 1999 * n) & 0xFFFFFF)
    return np.stack([pfm, abd], axis=1)


def pattern_pressure(n: np.ndarray) -> np.ndarray:
    """Raw pressure of PATTERN mode (0.001 cmH2O) for sample indices ``n`` → ``(len(n), 1)``."""
    n = np.asarray(n, dtype=np.int64) & 0xFFFFFFFF
    return ((1009 * n) % 300000 - 20000)[:, None]
