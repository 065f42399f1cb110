"""``biofeedback emulate``: run the firmware's host emulator and print the port to connect to."""

from __future__ import annotations

import argparse
import signal as os_signal
import sys
import time

from biofeedback.cli.errors import CliError
from biofeedback.devices.emulator import EmulatorError, EmulatorProcess

SCENARIOS = ("demo", "rest", "contractions", "test")
FAULT_KEYS = {"drop": "probability", "flip": "probability", "garbage": "probability",
              "reset": "seconds"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "emulate",
        help="run the sensor emulator (the real firmware core on a pseudo-terminal)",
        description="Start the compiled sensor emulator (firmware/build/host/bfsensor-emu; built "
        "with 'make -C firmware emulator' if missing) and print the serial port it opened. The "
        "emulated data are synthetic, never a patient's. Ctrl-C stops it.",
        epilog="Examples:\n  biofeedback emulate\n"
        "  biofeedback emulate --scenario contractions --faults drop=0.01,flip=0.001\n"
        "  biofeedback emulate --link /tmp/bfsensor   # then: biofeedback run --source "
        "serial:/tmp/bfsensor",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--scenario", default="demo", choices=SCENARIOS,
                   help="signal to emit (default: demo; 'test' is the deterministic pattern)")
    p.add_argument("--file", metavar="CSV", help="replay samples from a CSV file instead")
    p.add_argument("--faults", metavar="SPEC", type=parse_faults,
                   help="inject link faults, e.g. drop=0.01,flip=0.001,garbage=0.01,reset=30 "
                   "(drop/flip/garbage: probability per frame; reset: every N seconds)")
    p.add_argument("--link", metavar="PATH",
                   help="also create a symlink PATH to the port (a stable name across restarts)")
    p.add_argument("--seed", type=int, help="random seed of signals and faults")
    p.add_argument("--speed", type=float, help="time scale: 2 = twice real time")
    p.add_argument("--serial", metavar="SN", help="serial number the emulator reports")
    p.set_defaults(func=_emulate)


def parse_faults(text: str) -> str:
    """Check ``key=value,...`` here so a typo is one clear line, not an emulator exit status."""
    for item in filter(None, (s.strip() for s in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in FAULT_KEYS:
            raise argparse.ArgumentTypeError(
                f"bad fault {item!r}: use {', '.join(k + '=' + v for k, v in FAULT_KEYS.items())}")
        try:
            x = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad fault value {item!r}: not a number") from None
        if FAULT_KEYS[key] == "probability" and not 0.0 <= x <= 1.0:
            raise argparse.ArgumentTypeError(f"{key} must be a probability in 0..1, got {value}")
        if FAULT_KEYS[key] == "seconds" and x <= 0:
            raise argparse.ArgumentTypeError(f"{key} must be a positive number of seconds")
    return text


def _emulate(args: argparse.Namespace) -> int:
    emu = EmulatorProcess(link=args.link, scenario=args.scenario, file=args.file,
                          faults=args.faults, seed=args.seed, speed=args.speed, serial=args.serial)
    previous = os_signal.signal(os_signal.SIGTERM, _raise_interrupt)
    try:
        try:
            port = emu.start()
        except EmulatorError as exc:
            raise CliError(str(exc), exit_code=1) from None
        print(f"Sensor emulator running on {port} (scenario {args.scenario}"
              + (f", faults {args.faults}" if args.faults else "") + ")", flush=True)
        spec = port if port.startswith("/dev/") else f"serial:{port}"
        print(f"Connect with: biofeedback run --source {spec}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while emu.alive:
            time.sleep(0.2)
        raise CliError(f"the emulator stopped unexpectedly (exit status {emu.terminate()})", 1)
    except KeyboardInterrupt:
        print("Emulator stopped.", file=sys.stderr)
        return 0
    finally:
        emu.terminate()
        os_signal.signal(os_signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
