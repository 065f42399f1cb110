"""Synthetic surface EMG with known contraction onsets/offsets, for the accuracy benchmark.

Generator (documented in docs/performance.md):

* Muscle signal: unit-variance white Gaussian noise, band-limited by a 4th-order Butterworth
  20-450 Hz band-pass (the sEMG band of clinical.md §1), multiplied by an amplitude envelope.
* Rest: amplitude ``rest_rms_uv`` (3 µV, a relaxed pelvic floor: Oleksy 2020 6.3±3.3 µV,
  Kasper-Jędrzejewska 2025 median 2.4 µV) with slow tone fluctuation: a random walk low-passed
  at 0.5 Hz, ``tone_fluctuation`` relative SD (resting PFM is not silent, clinical.md §1).
* Contractions: trapezoids. Ramp-up ``rise_s`` (50-300 ms), plateau ``hold_s`` (1-8 s),
  ramp-down ``fall_s`` (100-500 ms); level ``rest·10^(SNR/20)`` with ±20 % jitter per
  contraction. SNR is defined on amplitude: 20·log10(contraction RMS / rest RMS).
* Amplifier noise: white Gaussian, ``noise_floor_uv`` RMS over the full band, added everywhere
  (it is part of the rest RMS the SNR refers to: the rest envelope is scaled to keep the total
  resting RMS at ``rest_rms_uv``).
* Optional ECG-like artefact (``ecg_uv`` > 0): 40 ms biphasic spikes at 60-80 beats/min —
  the cardiac contamination surface EMG of the trunk picks up.
* Truth: onset = start of the ramp-up, offset = end of the ramp-down, in seconds.
* Every recording starts with only ``first_rest_s`` (1 s) of rest, as real ones may.

Deterministic for a given seed; pure numpy/scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps


@dataclass(frozen=True)
class SyntheticConfig:
    fs: float = 2000.0
    snr_db: float = 10.0
    rest_rms_uv: float = 3.0
    noise_floor_uv: float = 0.5
    tone_fluctuation: float = 0.1
    first_rest_s: float = 1.0
    rest_s: tuple[float, float] = (3.0, 10.0)
    hold_s: tuple[float, float] = (1.0, 8.0)
    rise_s: tuple[float, float] = (0.05, 0.3)
    fall_s: tuple[float, float] = (0.1, 0.5)
    level_jitter: float = 0.2
    ecg_uv: float = 0.0


def _band_noise(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    sos = sps.butter(4, [20.0, min(450.0, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    x = sps.sosfilt(sos, rng.standard_normal(n + int(fs)))[int(fs):]
    return x / np.std(x)


def _tone(n: int, fs: float, rel_sd: float, rng: np.random.Generator) -> np.ndarray:
    """Slow multiplicative fluctuation around 1 (random walk low-passed at 0.5 Hz)."""
    if rel_sd <= 0:
        return np.ones(n)
    step = max(1, int(fs / 50))
    m = n // step + 2
    w = np.cumsum(rng.standard_normal(m))
    sos = sps.butter(2, 0.5, fs=fs / step, output="sos")
    w = sps.sosfiltfilt(sos, w - np.linspace(w[0], w[-1], m))
    w = w / (np.std(w) + 1e-12) * rel_sd
    return np.maximum(0.2, 1.0 + np.interp(np.arange(n) / step, np.arange(m), w))


def _ecg(n: int, fs: float, amp: float, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    if amp <= 0:
        return out
    width = int(0.04 * fs)
    t = np.linspace(-1, 1, width)
    spike = amp * (np.exp(-(t + 0.3) ** 2 / 0.02) - 0.6 * np.exp(-(t - 0.3) ** 2 / 0.03))
    pos = rng.uniform(0, 1.0)
    while True:
        i = int(pos * fs)
        if i + width >= n:
            break
        out[i:i + width] += spike
        pos += 60.0 / rng.uniform(60, 80)
    return out


def make_recording(duration_s: float, cfg: SyntheticConfig, seed: int,
                   contractions: bool = True) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """EMG (n,) µV and the true (onset_s, offset_s) of each contraction."""
    rng = np.random.default_rng(seed)
    fs = cfg.fs
    n = int(round(duration_s * fs))
    ramp = np.zeros(n)  # 0 at rest, 1 on the plateau
    level = np.zeros(n)  # plateau RMS in units of the resting RMS
    truth: list[tuple[float, float]] = []
    t = cfg.first_rest_s
    while contractions:
        rise, hold, fall = (rng.uniform(*cfg.rise_s), rng.uniform(*cfg.hold_s),
                            rng.uniform(*cfg.fall_s))
        end = t + rise + hold + fall
        if end + 1.0 > duration_s:
            break
        lv = 10 ** (cfg.snr_db / 20) * (1 + cfg.level_jitter * rng.uniform(-1, 1))
        i0, i1, i2, i3 = (int(round(v * fs)) for v in (t, t + rise, t + rise + hold, end))
        ramp[i0:i1] = np.linspace(0, 1, i1 - i0, endpoint=False)
        ramp[i1:i2] = 1.0
        ramp[i2:i3] = np.linspace(1, 0, i3 - i2, endpoint=False)
        level[i0:i3] = lv
        truth.append((t, end))
        t = end + rng.uniform(*cfg.rest_s)
    # resting muscle RMS such that muscle + amplifier noise = rest_rms_uv at rest; the
    # envelope leaves the resting level exactly at the true onset and reaches
    # level x rest_rms_uv on the plateau
    floor = cfg.noise_floor_uv
    muscle_rest = np.sqrt(max(cfg.rest_rms_uv**2 - floor**2, 1e-6))
    tone = _tone(n, fs, cfg.tone_fluctuation, rng)
    env = muscle_rest * tone + ramp * np.maximum(level * cfg.rest_rms_uv - muscle_rest, 0.0)
    x = _band_noise(n, fs, rng) * env + rng.standard_normal(n) * floor
    x += _ecg(n, fs, cfg.ecg_uv, rng)
    return x, truth


def match_onsets(detected: list[float], truth: list[float], tol_s: float = 0.5
                 ) -> tuple[int, int, int, list[float]]:
    """Greedy one-to-one matching by time. Returns TP, FP, FN and signed errors (s) of TPs."""
    det = sorted(detected)
    used = [False] * len(det)
    errors = []
    tp = 0
    for t in sorted(truth):
        best, best_d = -1, tol_s
        for j, d in enumerate(det):
            if not used[j] and abs(d - t) <= best_d:
                best, best_d = j, abs(d - t)
        if best >= 0:
            used[best] = True
            tp += 1
            errors.append(det[best] - t)
    return tp, len(det) - tp, len(truth) - tp, errors
