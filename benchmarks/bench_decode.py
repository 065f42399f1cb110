"""Decode throughput of the sensor link, as a multiple of the protocol's maximum data rate.

Usage: ``.venv/bin/python benchmarks/bench_decode.py [--seconds 60] [--repeat 3]``

Builds the byte stream the sensor sends at its highest rate (protocol.md §9: EMG 2 × int24 at
2 kHz in 10 ms blocks, pressure int32 at 100 Hz, STATUS, PONG and ACK once a second), with
realistic EMG amplitudes (many zero bytes, the costly case for COBS), and decodes it with:

* a naive per-byte pure-Python decoder (the usual first implementation: a state machine per
  byte, bitwise CRC, ``int.from_bytes`` per sample) — the peer, measured in the same run;
* ``protocol.FrameReader`` + ``parse_device_body`` + one numpy unpack per frame;
* the same with one numpy unpack per read chunk (what ``SerialSensor`` does with a backlog);
* the whole ``SerialSensor`` acquisition path (handshake, gap bookkeeping, clock mapping,
  physical units, ``SampleBlock`` objects to a consumer) reading from an in-memory port.

Target: ≥ 50× the maximum data rate, so a 2-core laptop decodes with < 2 % of one core.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import numpy as np

from biofeedback.devices import protocol as P
from biofeedback.devices.serial_sensor import SerialSensor

EMG_SCALE = 375000 / 2**24
CHUNK = 4096  # bytes per read, like a busy serial port


# -- the stream -----------------------------------------------------------------------------------
def build_stream(seconds: float, seed: int = 0) -> tuple[bytes, int]:
    """Max-rate device output for ``seconds``; returns (bytes, EMG samples per channel)."""
    rng = np.random.default_rng(seed)
    out = bytearray()
    seq = 0
    n_emg_blocks = int(seconds * 100)
    for k in range(n_emg_blocks):
        t_us = k * 10_000
        uv = rng.normal(0, 8.0, (20, 2))  # relaxed-to-moderate sEMG, µV
        raw = np.round(uv / EMG_SCALE).astype(np.int64)
        out += P.encode_frame(P.data_body(seq, 0, k * 20, t_us, 0, raw, 3))
        seq += 1
        if k % 5 == 4:
            j = k // 5
            p = (18.0 + rng.normal(0, 0.1, 5)) / 0.001
            out += P.encode_frame(P.data_body(seq, 1, j * 5, t_us - 40_000, 0,
                                              p.astype(np.int64), 4))
            seq += 1
        if k % 100 == 99:
            out += P.encode_frame(P.status_body(P.Status(seq, 87, 3, 0, 0, 0, 0, 0, 0, t_us)))
            out += P.encode_frame(P.pong_body(seq + 1, 9, k, t_us, 3))
            out += P.encode_frame(P.ack_body(seq + 2, 9, P.Msg.PING))
            seq += 3
    return bytes(out), n_emg_blocks * 20


def max_rate_bytes_per_s() -> float:
    """Wire bytes per second at the maximum rate, from the frame sizes (protocol.md §9)."""
    emg = len(P.encode_frame(P.data_body(0, 0, 0, 0, 0, np.ones((20, 2), int), 3))) * 100
    pres = len(P.encode_frame(P.data_body(0, 1, 0, 0, 0, np.ones((5, 1), int), 4))) * 20
    status = len(P.encode_frame(P.status_body(P.Status(0, 1, 1, 1, 1, 1, 1, 1, 1, 1))))
    pong = len(P.encode_frame(P.pong_body(1, 1, 1, 1, 1)))
    ack = len(P.encode_frame(P.ack_body(1, 1, 4)))
    return float(emg + pres + status + pong + ack)


# -- decoders -------------------------------------------------------------------------------------
def _crc_bitwise(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def decode_naive(stream: bytes) -> int:
    """Per-byte state machine, bitwise CRC, per-sample int conversion. Returns EMG samples."""
    n_emg = 0
    buf: list[int] = []
    for byte in stream:
        if byte != 0:
            buf.append(byte)
            continue
        enc, buf = buf, []
        dec: list[int] = []
        i = 0
        ok = True
        while i < len(enc):
            code = enc[i]
            if i + code > len(enc):
                ok = False
                break
            dec.extend(enc[i + 1 : i + code])
            i += code
            if code < 0xFF and i < len(enc):
                dec.append(0)
        if not ok or len(dec) < 5:
            continue
        body = bytes(dec[:-2])
        if _crc_bitwise(body) != dec[-2] | (dec[-1] << 8) or body[0] != 0x90:
            continue
        nch, fmt, ns = body[14], body[15], body[16]
        values = []
        for s in range(ns):
            row = []
            for c in range(nch):
                off = 17 + (s * nch + c) * fmt
                row.append(int.from_bytes(body[off : off + fmt], "little", signed=True))
            values.append(row)
        if body[3] == 0:
            n_emg += len(values)
    return n_emg


def decode_per_frame(stream: bytes) -> int:
    reader = P.FrameReader()
    n_emg = 0
    for i in range(0, len(stream), CHUNK):
        for body in reader.feed(stream[i : i + CHUNK]):
            msg = P.parse_device_body(body)
            if isinstance(msg, P.Data):
                x = msg.samples() * EMG_SCALE
                if msg.stream_id == 0:
                    n_emg += x.shape[0]
    return n_emg


def decode_batched(stream: bytes) -> int:
    reader = P.FrameReader()
    n_emg = 0
    for i in range(0, len(stream), CHUNK):
        per_stream: dict[int, list[P.Data]] = {}
        for body in reader.feed(stream[i : i + CHUNK]):
            msg = P.parse_device_body(body)
            if isinstance(msg, P.Data):
                per_stream.setdefault(msg.stream_id, []).append(msg)
        for sid, blocks in per_stream.items():
            raw = P.unpack_samples(b"".join(b.payload for b in blocks), blocks[0].format,
                                   blocks[0].n_channels)
            x = raw * EMG_SCALE
            if sid == 0:
                n_emg += x.shape[0]
    return n_emg


class _MemoryPort:
    """A serial port that answers the handshake, then serves ``stream`` as fast as it is read."""

    def __init__(self, stream: bytes) -> None:
        self.stream = stream
        self.pos = 0
        self.rx = bytearray()
        self.reader = P.FrameReader()
        self.done = threading.Event()

    def write(self, data: bytes) -> int:
        for body in self.reader.feed(data):
            cmd = P.parse_command_body(body)
            if cmd.type == P.Msg.HELLO:
                self.rx += P.encode_frame(P.hello_device_body(0, board="bench", serial="BENCH"))
                self.rx += P.encode_frame(P.hello_stream_body(0, 0, 2, 3, 2000, 20, "emg"))
                self.rx += P.encode_frame(P.hello_stream_body(0, 1, 1, 4, 100, 5, "pressure"))
                for sid, ch, label, scale in ((0, 0, "pfm", EMG_SCALE),
                                              (0, 1, "abdominal", EMG_SCALE),
                                              (1, 0, "pressure", 0.001)):
                    self.rx += P.encode_frame(P.hello_channel_body(0, P.HelloChannel(
                        0, sid, ch, 1 + sid, scale, 0.0, -1e5, 1e5, scale, 0, 0, 0, 0xFF,
                        "uV", label)))
            if cmd.type != P.Msg.PING:
                self.rx += P.encode_frame(P.ack_body(0, cmd.req_id, cmd.type))
            if cmd.type == P.Msg.START:
                self.pos = 0
                self.serving = True
        return len(data)

    @property
    def in_waiting(self) -> int:
        return len(self.rx) or min(CHUNK, len(self.stream) - self.pos)

    def read(self, size: int = 1) -> bytes:
        if self.rx:
            out, self.rx = bytes(self.rx[:size]), self.rx[size:]
            return out
        if getattr(self, "serving", False):
            out = self.stream[self.pos : self.pos + size]
            self.pos += len(out)
            if self.pos >= len(self.stream):
                self.done.set()
            return out
        return b""

    def reset_input_buffer(self) -> None:
        self.rx.clear()

    def close(self) -> None:
        """Not needed here: this consumer only counts or ignores it."""


class _Count:
    def __init__(self) -> None:
        self.n_emg = 0

    def on_block(self, block) -> None:
        if block.stream == "emg":
            self.n_emg += block.n_samples

    def on_event(self, event) -> None:
        """Not needed here: this consumer only counts or ignores it."""


def decode_serial_sensor(stream: bytes) -> int:
    port = _MemoryPort(stream)
    sensor = SerialSensor("bench", serial_factory=lambda *a, **k: port, stall_timeout=30)
    sensor.open()
    sink = _Count()
    sensor.start(sink)
    port.done.wait(120)
    sensor.stop()
    sensor.close()
    return sink.n_emg


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="seconds of max-rate traffic")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    stream, n_emg = build_stream(args.seconds)
    rate = max_rate_bytes_per_s()
    print(f"stream: {args.seconds:g} s at the maximum rate = {len(stream):,} bytes "
          f"({rate:,.0f} B/s; protocol.md §9 budgets 14,975 B/s), {n_emg:,} EMG samples/channel")
    decoders = [
        ("naive per-byte Python (peer)", decode_naive),
        ("FrameReader + numpy per frame", decode_per_frame),
        ("FrameReader + numpy per chunk", decode_batched),
        ("SerialSensor path -> SampleBlocks", decode_serial_sensor),
    ]
    print()
    print("| decoder | MB/s | × max data rate | EMG samples/s | ✓ |")
    print("|---|---:|---:|---:|---|")
    for name, fn in decoders:
        reps = 1 if fn is decode_naive else args.repeat
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            got = fn(stream)
            times.append(time.perf_counter() - t)
        best = min(times)
        ok = "ok" if got == n_emg else f"MISMATCH {got}"
        print(f"| {name} | {len(stream) / best / 1e6:.2f} | {len(stream) / best / rate:,.0f}× | "
              f"{n_emg / best:,.0f} | {ok} |")
        sys.stdout.flush()
    print()
    print(f"(best of {args.repeat}; naive decoder run once; Python {sys.version.split()[0]}, "
          f"numpy {np.__version__}; {CHUNK}-byte reads)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
