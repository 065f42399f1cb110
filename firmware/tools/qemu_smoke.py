#!/usr/bin/env python3
"""Boots the BOARD_QEMU firmware image on qemu-system-arm -M netduinoplus2 (STM32F405), attaches
to its USART1 through a pty and runs the protocol handshake + PATTERN check from linkcheck.py.
Usage: qemu_smoke.py ELF [--seconds S] [--min-frames N]"""
import argparse
import os
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import linkcheck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("elf")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--min-frames", type=int, default=100)
    args = ap.parse_args()
    cmd = ["qemu-system-arm", "-M", "netduinoplus2", "-kernel", args.elf, "-display", "none",
           "-monitor", "none", "-serial", "pty", "-nodefaults"]
    q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        port, out, end = None, b"", time.monotonic() + 10
        while port is None and time.monotonic() < end:
            r, _, _ = select.select([q.stdout], [], [], 0.2)
            if r:
                chunk = os.read(q.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
                m = re.search(rb"char device redirected to (/dev/pts/\d+)", out)
                if m:
                    port = m.group(1).decode()
        if port is None:
            print("qemu-smoke: QEMU did not report a pty:\n" + out.decode(errors="replace"))
            return 1
        print("qemu-smoke: firmware UART on", port)
        sys.argv = ["linkcheck", port, "--seconds", str(args.seconds), "--min-frames", str(args.min_frames), "--strict"]
        return linkcheck.main()
    finally:
        q.terminate()
        try:
            q.wait(5)
        except subprocess.TimeoutExpired:
            q.kill()


if __name__ == "__main__":
    sys.exit(main())
