"""Onset-detection accuracy of the signal core against NeuroKit2 and BioSPPy, in one run.

Usage:  .venv/bin/python benchmarks/bench_onset_accuracy.py [--quick] [--seeds N]

1. Synthetic sEMG with known truth (``benchmarks/synthetic_emg.py``) at 0-20 dB SNR:
   onset F1 (a detection within 0.5 s of a true onset, one-to-one), median and 95th-percentile
   |onset error| in ms, and false contractions per 10 min of pure rest (two 10-min rests).
2. The real recordings in ``../shared/data/`` (no sample-exact truth exists): number of
   detections against the documented activations (emgGO: 56 activations; BioSPPy emg_1:
   bursts at ~1.5, ~16 and ~26 s).

Every method sees the same raw samples. Peers are used as documented, with the rest period
they ask for where they need one (the first second — the same second our baseline starts
from). BioSPPy detectors return every threshold crossing; the crossings where activity rises
(RMS over the next 50 ms above that of the previous 50 ms) are taken as onsets. A peer that
fails or times out is reported as such, not dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal as os_signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import signal as sps

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_emg import SyntheticConfig, make_recording, match_onsets

from biofeedback.signal import analyze

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TIMEOUT_S = 120


class Timeout(Exception):
    """A peer took longer than its time budget."""


def _alarm(_signum, _frame):
    raise Timeout()


def guarded(fn: Callable[[], list[float]]) -> tuple[list[float] | None, str]:
    """Run a peer with a timeout, its prints and warnings swallowed."""
    os_signal.signal(os_signal.SIGALRM, _alarm)
    os_signal.alarm(TIMEOUT_S)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return fn(), ""
    except Timeout:
        return None, f"timeout > {TIMEOUT_S} s"
    except Exception as exc:  # a peer's failure is a result to report
        return None, f"{type(exc).__name__}: {str(exc)[:60]}"
    finally:
        os_signal.alarm(0)


# -- the methods ----------------------------------------------------------------------------
def ours(x: np.ndarray, fs: float) -> list[float]:
    return [ev.onset_s for ev in analyze(x, fs).events]


def neurokit(x: np.ndarray, fs: float) -> list[float]:
    import neurokit2 as nk

    _, info = nk.emg_process(x, sampling_rate=int(round(fs)))
    return [i / fs for i in np.asarray(info["EMG_Onsets"], dtype=float) if np.isfinite(i)]


def _bandpass(x: np.ndarray, fs: float) -> np.ndarray:
    sos = sps.butter(4, [20, min(450, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    return sps.sosfiltfilt(sos, x - np.mean(x[: int(fs)]))


def _up(crossings: np.ndarray, fs: float, x: np.ndarray) -> list[float]:
    """Keep the crossings where activity rises: RMS of the band-passed signal over the next
    50 ms above that of the previous 50 ms (BioSPPy returns up- and down-crossings alike)."""
    y = _bandpass(x, fs)
    w = max(1, int(0.05 * fs))
    out = []
    for i in np.asarray(crossings, dtype=int):
        before = y[max(0, i - w):i]
        after = y[i:i + w]
        if len(after) and (not len(before) or np.mean(after**2) > np.mean(before**2)):
            out.append(i / fs)
    return out


def biosppy_default(x: np.ndarray, fs: float) -> list[float]:
    from biosppy.signals import emg

    out = emg.emg(signal=x, sampling_rate=fs, show=False)
    return _up(out["onsets"], fs, x)


def biosppy_hodges_bui(x: np.ndarray, fs: float) -> list[float]:
    from biosppy.signals import emg

    y = _bandpass(x, fs)
    out = emg.hodges_bui_onset_detector(signal=y, rest=[0, int(fs)], sampling_rate=fs,
                                        size=int(0.05 * fs), threshold=3)
    return _up(out["onsets"], fs, x)


def biosppy_bonato(x: np.ndarray, fs: float) -> list[float]:
    from biosppy.signals import emg

    y = _bandpass(x, fs)
    out = emg.bonato_onset_detector(signal=y, rest=[0, int(fs)], sampling_rate=fs,
                                    threshold=7.74, active_state_duration=int(0.05 * fs),
                                    samples_above_fail=1, fail_size=5)
    return _up(out["onsets"], fs, x)


def biosppy_solnik(x: np.ndarray, fs: float) -> list[float]:
    from biosppy.signals import emg

    y = _bandpass(x, fs)
    out = emg.solnik_onset_detector(signal=y, rest=[0, int(fs)], sampling_rate=fs,
                                    threshold=15, active_state_duration=int(0.05 * fs))
    return _up(out["onsets"], fs, x)


METHODS: dict[str, Callable[[np.ndarray, float], list[float]]] = {
    "biofeedback (ours)": ours,
    "NeuroKit2 emg_process": neurokit,
    "BioSPPy emg.emg (find_onsets)": biosppy_default,
    "BioSPPy Hodges-Bui (h=3, 50 ms)": biosppy_hodges_bui,
    "BioSPPy Bonato": biosppy_bonato,
    "BioSPPy Solnik (TKEO)": biosppy_solnik,
}


# -- synthetic --------------------------------------------------------------------------------
def synthetic(snrs: list[float], seeds: int, duration_s: float, rest_s: float) -> None:
    fs = 2000.0
    print(f"\n## Synthetic sEMG, fs = {fs:g} Hz, {seeds} recordings x {duration_s:g} s per SNR; "
          f"rest: 2 x {rest_s / 60:g} min\n")
    print("| method | SNR dB | onsets | F1 | median abs err ms | p95 abs err ms | "
          "median signed ms | false / 10 min rest | s per min of EMG |")
    print("|---|---|---|---|---|---|---|---|---|")
    recs = {snr: [make_recording(duration_s, SyntheticConfig(fs=fs, snr_db=snr), seed=1000 * k
                                 + int(snr)) for k in range(seeds)] for snr in snrs}
    rests = [make_recording(rest_s, SyntheticConfig(fs=fs), seed=777 + k, contractions=False)[0]
             for k in range(2)]
    for name, fn in METHODS.items():
        fp_rest, note = 0.0, ""
        for r in rests:
            det, err = guarded(lambda r=r, fn=fn: fn(r, fs))
            if det is None:
                note = err
                fp_rest = float("nan")
                break
            fp_rest += len(det) / (rest_s / 600.0) / len(rests)
        for snr in snrs:
            tp = fp = fn_ = 0
            errors: list[float] = []
            elapsed = 0.0
            failed = ""
            for x, truth in recs[snr]:
                t0 = time.perf_counter()
                det, err = guarded(lambda x=x, fn=fn: fn(x, fs))
                elapsed += time.perf_counter() - t0
                if det is None:
                    failed = err
                    break
                a, b, c, e = match_onsets(det, [on for on, _ in truth])
                tp, fp, fn_ = tp + a, fp + b, fn_ + c
                errors += e
            if failed:
                print(f"| {name} | {snr:g} | — | failed: {failed} | | | | | |")
                continue
            f1 = 2 * tp / (2 * tp + fp + fn_) if tp + fp + fn_ else float("nan")
            ae = np.abs(errors) * 1000
            med = f"{np.median(ae):.1f}" if len(ae) else "—"
            p95 = f"{np.percentile(ae, 95):.1f}" if len(ae) else "—"
            sgn = f"{np.median(errors) * 1000:+.1f}" if errors else "—"
            rest_txt = f"{fp_rest:.1f}" if not note else f"failed: {note}"
            per_min = elapsed / (len(recs[snr]) * duration_s / 60)
            print(f"| {name} | {snr:g} | {tp + fn_} | {f1:.3f} | {med} | {p95} | {sgn} | "
                  f"{rest_txt} | {per_min:.3f} |")


# -- real recordings --------------------------------------------------------------------------
REAL = {
    "emggo_tibialis_250hz.npz": ("56 activations (emgGO documentation)", None, 56),
    "biosppy_emg1_1000hz.npz": ("3 clear bursts ~1.5, ~16, ~26 s; weak activity 38-41 s",
                                [1.5, 16.0, 26.0], None),
    "biosppy_emg_lowsnr_1000hz.npz": ("low SNR; weak activity ~35-60 s", None, None),
}


def real() -> None:
    if not DATA.is_dir():
        print(f"\n(real recordings skipped: {DATA} not found)")
        return
    print("\n## Real recordings (../shared/data): detections vs documented activity\n")
    print("| recording | documented | method | detections | documented bursts found "
          "(±1 s) | first onsets s |")
    print("|---|---|---|---|---|---|")
    for fname, (doc, bursts, count) in REAL.items():
        path = DATA / fname
        if not path.exists():
            continue
        z = np.load(path)
        x = np.nan_to_num(np.asarray(z["signal"], float)[:, 0])
        fs = float(z["fs"])
        for name, fn in METHODS.items():
            det, err = guarded(lambda fn=fn, x=x, fs=fs: fn(x, fs))
            if det is None:
                print(f"| {fname} | {doc} | {name} | failed: {err} | | |")
                continue
            found = "—"
            if bursts:
                hit = sum(1 for b in bursts if any(abs(d - b) <= 1.0 for d in det))
                found = f"{hit}/{len(bursts)}"
            elif count:
                found = f"{len(det)} vs {count} ({len(det) - count:+d})"
            first = ", ".join(f"{d:.1f}" for d in sorted(det)[:6])
            print(f"| {fname} | {doc} | {name} | {len(det)} | {found} | {first} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer, shorter recordings")
    ap.add_argument("--seeds", type=int, default=4, help="recordings per SNR (default 4)")
    args = ap.parse_args()
    seeds = 2 if args.quick else args.seeds
    duration = 60.0 if args.quick else 180.0
    rest = 120.0 if args.quick else 600.0
    t0 = time.perf_counter()
    print("# Onset accuracy: biofeedback signal core vs NeuroKit2 and BioSPPy")
    synthetic([0.0, 5.0, 10.0, 15.0, 20.0], seeds, duration, rest)
    real()
    print(f"\n(total run time {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
