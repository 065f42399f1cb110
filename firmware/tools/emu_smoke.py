#!/usr/bin/env python3
"""Starts bfsensor-emu, waits for its PORT line, runs linkcheck in strict PATTERN mode, stops it.
Usage: emu_smoke.py EMULATOR"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import linkcheck


def main():
    p = subprocess.Popen([sys.argv[1], "--scenario", "demo"], stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline().strip()
        if not line.startswith("PORT /dev/"):
            print(f"emu-smoke: unexpected first line {line!r}")
            return 1
        sys.argv = ["linkcheck", line.split()[1], "--seconds", "2", "--min-frames", "200", "--strict"]
        return linkcheck.main()
    finally:
        p.terminate()
        p.wait(5)


if __name__ == "__main__":
    sys.exit(main())
