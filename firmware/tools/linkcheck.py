#!/usr/bin/env python3
"""Minimal, stdlib-only protocol v1 client used by the firmware's own smoke tests (emulator and
QEMU). Not the application's driver (that is biofeedback/devices/); this one exists so the
firmware can be checked without the app. Spec: docs/protocol.md."""
import binascii
import contextlib
import os
import select
import struct
import sys
import termios
import time
import tty


def cobs_encode(data):
    out, code_pos, code = bytearray([0]), 0, 1
    for i, b in enumerate(data):
        if b == 0:
            out[code_pos] = code
            code_pos, code = len(out), 1
            out.append(0)
        else:
            out.append(b)
            code += 1
            if code == 0xFF and i + 1 < len(data):
                out[code_pos] = code
                code_pos, code = len(out), 1
                out.append(0)
    out[code_pos] = code
    return bytes(out)


def cobs_decode(enc):
    out, i = bytearray(), 0
    while i < len(enc):
        code = enc[i]
        i += 1
        if code == 0 or i + code - 1 > len(enc):
            raise ValueError("cobs")
        out += enc[i:i + code - 1]
        i += code - 1
        if code != 0xFF and i < len(enc):
            out.append(0)
    return bytes(out)


def seal(body):
    return cobs_encode(body + struct.pack("<H", binascii.crc_hqx(body, 0xFFFF))) + b"\0"


def open_body(enc):
    """Returns the body or raises ValueError."""
    raw = cobs_decode(enc)
    if len(raw) < 5:
        raise ValueError("short")
    body, crc = raw[:-2], struct.unpack("<H", raw[-2:])[0]
    if binascii.crc_hqx(body, 0xFFFF) != crc:
        raise ValueError("crc")
    return body


def pattern(n, ch):
    n &= 0xFFFFFFFF
    u = (3001 * n) & 0xFFFFFF if ch == 0 else (0x7FFFFF - 1999 * n) & 0xFFFFFF
    return u - (1 << 24) if u >= (1 << 23) else u


def pattern_pressure(n):
    return (1009 * (n & 0xFFFFFFFF)) % 300000 - 20000


def i24(b, off):
    v = b[off] | b[off + 1] << 8 | b[off + 2] << 16
    return v - (1 << 24) if v & 0x800000 else v


class Link:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        with contextlib.suppress(termios.error):
            tty.setraw(self.fd)
        self.buf = bytearray()
        self.errors = 0
        self.req = 0

    def send(self, cmd, payload=b""):
        self.req = (self.req + 1) & 0xFFFF
        os.write(self.fd, seal(struct.pack("<BH", cmd, self.req) + payload))
        return self.req

    def frames(self, timeout):
        """Yields bodies of valid frames until timeout seconds pass."""
        end = time.monotonic() + timeout
        while True:
            while b"\0" in self.buf:
                i = self.buf.index(b"\0")
                enc, self.buf = bytes(self.buf[:i]), self.buf[i + 1:]
                if not enc:
                    continue
                try:
                    yield open_body(enc)
                except ValueError:
                    self.errors += 1
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.fd], [], [], min(left, 0.1))
            if r:
                with contextlib.suppress(BlockingIOError):
                    self.buf += os.read(self.fd, 4096)

    def command(self, cmd, payload=b"", timeout=0.5, tries=3):
        """Sends a command, returns (replies before the ACK/NAK, ack_or_nak body)."""
        for _ in range(tries):
            req = self.send(cmd, payload)
            seen = []
            for b in self.frames(timeout):
                if b[0] in (0x85, 0x86) and struct.unpack_from("<H", b, 3)[0] == req:
                    return seen, b
                seen.append(b)
        raise TimeoutError(f"no ACK/NAK for command 0x{cmd:02x}")


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("port")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--min-frames", type=int, default=100)
    ap.add_argument("--mode", type=int, default=3, help="SET_MODE before START (3 = PATTERN)")
    ap.add_argument("--strict", action="store_true", help="fail on any lost/bad frame or sample gap")
    args = ap.parse_args()

    link = Link(args.port)
    link.command(0x03)                       # STOP
    time.sleep(0.05)
    list(link.frames(0.05))                  # flush
    replies, ack = link.command(0x01)        # HELLO
    assert ack[0] == 0x85, "HELLO refused"
    dev = [b for b in replies if b[0] == 0x81]
    assert dev and dev[0][3] == 1, "missing HELLO_DEVICE or protocol major != 1"
    off = 10
    strs = []
    for _ in range(3):
        n = dev[0][off]
        strs.append(dev[0][off + 1:off + 1 + n].decode())
        off += 1 + n
    print("device: protocol %d.%d firmware %d.%d.%d board=%s serial=%s build=%s" %
          (dev[0][3], dev[0][4], dev[0][5], dev[0][6], dev[0][7], *strs))
    _, ack = link.command(0x06, bytes([args.mode]))
    assert ack[0] == 0x85, "SET_MODE refused"
    _, ack = link.command(0x02, bytes([0x03]))
    assert ack[0] == 0x85, "START refused: reason %d" % ack[-1]

    data = 0
    next_first = {0: 0, 1: 0}
    bad = 0
    gaps = 0
    last_seq = None
    lost = 0
    last_ping = time.monotonic()
    for b in link.frames(args.seconds):
        seq = struct.unpack_from("<H", b, 1)[0]
        if last_seq is not None and seq != (last_seq + 1) & 0xFFFF:
            lost += (seq - last_seq - 1) & 0xFFFF
        last_seq = seq
        if time.monotonic() - last_ping > 0.5:   # often: QEMU -icount may run faster than wall time
            link.send(0x04, struct.pack("<I", 1234))
            last_ping = time.monotonic()
        if b[0] != 0x90:
            continue
        sid, first, _t_us, _flags, nch, fmt, n = struct.unpack_from("<BIIHBBB", b, 3)
        if first != next_first[sid]:
            print("gap in stream %d: expected %d got %d" % (sid, next_first[sid], first))
            gaps += 1
        next_first[sid] = first + n
        data += 1
        if args.mode == 3:
            for k in range(n):
                for c in range(nch):
                    o = 17 + (k * nch + c) * fmt
                    v = i24(b, o) if fmt == 3 else struct.unpack_from("<i", b, o)[0]
                    want = pattern(first + k, c) if sid == 0 else pattern_pressure(first + k)
                    bad += v != want
    link.command(0x03)
    print("DATA frames %d, wrong samples %d, lost frames %d, bad frames %d" % (data, bad, lost, link.errors))
    ok = data >= args.min_frames and bad == 0
    if args.strict:
        ok = ok and gaps == 0 and lost == 0 and link.errors == 0
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
