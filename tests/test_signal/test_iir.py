"""The core's own filter design (``biofeedback/signal/iir.py``) gives scipy.signal's numbers.

The core designs its filters itself so that importing it does not import ``scipy.signal``
(about a second per process). These tests pin the coefficients to scipy's bit for bit
(``array_equal``) over a grid of orders, bands and rates: a scipy release that changes its
design (another pole pairing, another pre-warp) fails here loudly rather than moving every
filtered sample silently. The last test checks the import itself in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import signal as sps

from biofeedback.signal.filters import SosFilter, design_notch, one_pole_section
from biofeedback.signal.iir import butter_sos, group_delay_sos, notch_sos, sosfilt_zi

RATES = (50.0, 100.0, 250.0, 500.0, 1000.0, 1024.0, 2000.0, 2048.0, 4000.0)
ORDERS = (1, 2, 3, 4, 5, 6, 8)


def _bands(fs: float) -> list[tuple[float, float]]:
    pairs = [(20, 450), (10, 400), (30, 300), (20, 0.95 * fs / 2), (5, 20), (1, 10), (0.1, 2)]
    return [(lo, hi) for lo, hi in pairs if 0 < lo < hi < fs / 2]


@pytest.mark.parametrize("fs", RATES)
def test_bandpass_is_scipys_butter_bit_for_bit(fs):
    for order in ORDERS:
        for band in _bands(fs):
            want = sps.butter(order, list(band), btype="bandpass", fs=fs, output="sos")
            got = butter_sos(order, band, "bandpass", fs)
            assert got.shape == (order, 6)
            assert np.array_equal(got, want), (order, band, fs)


@pytest.mark.parametrize("fs", RATES)
def test_lowpass_is_scipys_butter_bit_for_bit(fs):
    for order in ORDERS:  # odd orders: a real pole paired with one at the origin
        for cut in (0.5, 2.0, 5.0, 10.0, 20.0, 100.0, 0.45 * fs):
            if not 0 < cut < fs / 2:
                continue
            want = sps.butter(order, cut, btype="lowpass", fs=fs, output="sos")
            assert np.array_equal(butter_sos(order, cut, "lowpass", fs), want), (order, cut)


def test_notch_is_scipys_iirnotch_and_notches():
    for fs in (500.0, 1000.0, 2000.0, 4000.0):
        for f0 in (50.0, 60.0, 100.0, 120.0, 150.0, 180.0):
            for q in (10.0, 30.0, 35.5):
                b, a = sps.iirnotch(f0, q, fs=fs)
                sos = notch_sos(f0, q, fs)
                assert np.array_equal(sos[0, :3], b) and np.array_equal(sos[0, 3:], a)
    # the cascade at 50 Hz and harmonics removes each of them
    sos = design_notch(2000.0, 50.0, 3)
    _, h = sps.sosfreqz(sos, worN=[50.0, 100.0, 150.0, 75.0], fs=2000.0)
    assert np.all(np.abs(h[:3]) < 1e-6) and abs(abs(h[3]) - 1) < 0.05


def test_steady_state_is_scipys_sosfilt_zi_bit_for_bit():
    for fs in (250.0, 1000.0, 2000.0):
        for order in (2, 4, 6):
            for sos in (sps.butter(order, [20, 0.4 * fs], btype="bandpass", fs=fs, output="sos"),
                        sps.butter(order, 5, fs=fs, output="sos"), design_notch(fs, 50.0, 2)):
                assert np.array_equal(sosfilt_zi(sos), sps.sosfilt_zi(sos))


def test_group_delay_is_scipys():
    for fs in (10.0, 50.0, 100.0):
        for order in (1, 2, 4):
            sos = butter_sos(order, 1.0, "lowpass", fs)
            _, want = sps.group_delay(sps.sos2tf(sos), w=[0.1], fs=fs)
            assert group_delay_sos(sos, 0.1, fs) == pytest.approx(float(want[0]), rel=1e-9)


def test_one_pole_section_is_lfilter_of_the_one_pole_bit_for_bit():
    x = np.random.default_rng(3).standard_normal((5000, 2)) * 7 + 3
    a = float(np.exp(-1.0 / (0.15 * 2000.0)))
    zi = x[0] * a
    want, _ = sps.lfilter([1 - a], [1.0, -a], x, axis=0, zi=zi[None, :])
    f = SosFilter(one_pole_section(1 - a, a), 2)
    f._zi[:, 0, 0] = zi  # the state an lfilter zi of (1, C) stands for
    got = np.concatenate([f.process(x[i:i + k]) for i, k in ((0, 1), (1, 40), (41, 4959))])
    assert np.array_equal(got, want)


def test_bad_designs_are_refused_in_one_line():
    with pytest.raises(ValueError, match="0 < f < fs/2"):
        butter_sos(4, (20.0, 1200.0), "bandpass", 2000.0)
    with pytest.raises(ValueError, match="order"):
        butter_sos(0, 10.0, "lowpass", 100.0)
    with pytest.raises(ValueError, match="btype"):
        butter_sos(2, 10.0, "highpass", 100.0)
    with pytest.raises(ValueError, match="does not fit"):
        notch_sos(1200.0, 30.0, 2000.0)


def test_importing_the_signal_core_does_not_import_scipy_signal():
    code = ("import sys, biofeedback.signal, biofeedback.devices.simulated; "
            "print(sorted(m for m in sys.modules if m.startswith('scipy.signal')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout
