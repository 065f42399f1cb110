"""IIR filter design for the signal core: Butterworth low- and band-passes and mains notches
as second-order sections, their steady-state initial conditions and their group delay.

Why the core designs its own filters rather than calling ``scipy.signal``: importing
``scipy.signal`` costs about a second in every process (it imports ``scipy.stats``,
``scipy.interpolate`` and the rest of the package), which was the largest part of the fixed
~2 s every ``biofeedback analyze``, ``info`` or replay of a file starts with
(docs/performance.md, "Files"), while the core needs only these few formulas of it.

They take scipy.signal's own steps, in its order of floating-point operations: the
analogue Butterworth prototype, the low-pass or band-pass transform with pre-warping, the
bilinear transform, and the pairing of each pole pair (closest to the unit circle last)
with the nearest zeros; the notch is the closed form of ``iirnotch``; the initial state
solves the same linear system as ``lfilter_zi``. So the coefficients are the same numbers:
``tests/test_signal/test_iir.py`` compares them with ``scipy.signal`` bit for bit over a
grid of orders, bands and sample rates, and fails loudly if a scipy release changes.
"""

from __future__ import annotations

import math

import numpy as np


def butter_sos(order: int, cutoff_hz: float | tuple[float, float], btype: str,
               fs: float) -> np.ndarray:
    """Digital Butterworth filter of ``order`` as ``(sections, 6)`` SOS: ``btype``
    "lowpass" (``cutoff_hz`` one frequency) or "bandpass" (a (low, high) pair), at ``fs`` Hz.
    Each pole of the band-pass doubles, so it has ``order`` sections (low-pass:
    ``ceil(order / 2)``)."""
    if int(order) != order or order < 1:
        raise ValueError(f"filter order must be a positive integer, got {order}")
    wn = 2 * np.atleast_1d(np.asarray(cutoff_hz, dtype=float)) / fs
    if np.any(wn <= 0) or np.any(wn >= 1):
        raise ValueError(f"critical frequencies must be 0 < f < fs/2 (fs={fs}), got "
                         f"{cutoff_hz}")
    m = np.arange(-order + 1, order, 2, dtype=np.float64)
    p = -np.exp(1j * np.pi * m / (2 * order))  # the analogue prototype's poles, no zeros
    z = np.zeros(0)
    k = 1.0
    warped = 2 * 2.0 * np.tan(np.pi * wn / 2.0)  # pre-warped, the bilinear transform at fs=2
    if btype == "lowpass":
        if wn.size != 1:
            raise ValueError("a low-pass takes one cut-off frequency")
        wo = float(warped[0])
        z, p, k = wo * z, wo * p, k * wo ** len(p)
    elif btype == "bandpass":
        if wn.size != 2:
            raise ValueError("a band-pass takes (low, high) frequencies")
        bw = float(warped[1] - warped[0])
        wo = float(np.sqrt(warped[0] * warped[1]))
        degree = len(p) - len(z)
        z_lp = (z * bw / 2).astype(np.complex128)
        p_lp = (p * bw / 2).astype(np.complex128)
        z = np.concatenate((z_lp + np.sqrt(z_lp ** 2 - wo ** 2),
                            z_lp - np.sqrt(z_lp ** 2 - wo ** 2), np.zeros(degree)))
        p = np.concatenate((p_lp + np.sqrt(p_lp ** 2 - wo ** 2),
                            p_lp - np.sqrt(p_lp ** 2 - wo ** 2)))
        k = k * bw ** degree
    else:
        raise ValueError(f"btype must be 'lowpass' or 'bandpass', got {btype!r}")
    # bilinear transform (fs = 2): the zeros at infinity go to z = -1
    fs2 = 2.0 * 2.0
    degree = len(p) - len(z)
    z_z = np.concatenate(((fs2 + z) / (fs2 - z), -np.ones(degree)))
    p_z = (fs2 + p) / (fs2 - p)
    k_z = k * np.real(np.prod(fs2 - z) / np.prod(fs2 - p))
    return _pair_sections(z_z, p_z, float(k_z))


def _pair_sections(z: np.ndarray, p: np.ndarray, k: float) -> np.ndarray:
    """Second-order sections of real zeros ``z`` and conjugate-paired or real poles ``p``
    (a Butterworth filter's): the pole pair closest to the unit circle goes last, each with
    the zeros nearest to it, the gain in the first section."""
    n_sections = (max(len(p), len(z)) + 1) // 2
    if len(p) % 2:  # an odd low-pass: its real pole is paired with one at the origin
        p = np.concatenate((p, [0.0]))
        z = np.concatenate((z, [0.0]))
    zc, zr = _conjugates(z)
    if len(zc):
        raise ValueError("only real zeros are paired here (Butterworth filters)")
    pc, pr = _conjugates(p)
    p = np.concatenate((pc, pr))
    z = zr
    sos = np.zeros((n_sections, 6))
    for si in range(n_sections - 1, -1, -1):
        i = int(np.argmin(np.abs(1 - np.abs(p))))
        p1 = p[i]
        p = np.delete(p, i)
        if np.isreal(p1):
            real = np.flatnonzero(np.isreal(p))
            j = int(real[np.argmin(np.abs(1 - np.abs(p[real])))])
            p2 = p[j]
            p = np.delete(p, j)
        else:
            p2 = p1.conj()
        zeros = []
        for _ in range(2):
            j = int(np.argsort(np.abs(z - p1))[0])
            zeros.append(z[j])
            z = np.delete(z, j)
        sos[si, :3] = np.poly(zeros)
        sos[si, 3:] = np.real(np.poly([p1, p2]))
    sos[0, :3] *= k
    return sos


def _conjugates(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split ``z`` into one of each complex-conjugate pair (positive imaginary part, the
    mean of the two) and the real values, each sorted by real part."""
    z = np.atleast_1d(z)
    if z.size == 0:
        return z, z
    tol = 100 * np.finfo((1.0 * z).dtype).eps
    z = z[np.lexsort((abs(z.imag), z.real))]
    real = abs(z.imag) <= tol * abs(z)
    zr = z[real].real
    if real.all():
        return np.array([]), zr
    z = z[~real]
    zp, zn = z[z.imag > 0], z[z.imag < 0]
    if len(zp) != len(zn) or np.any(abs(zp - zn.conj()) > tol * abs(zn)):
        raise ValueError("complex values without their conjugates")
    return (zp + zn.conj()) / 2, zr


def notch_sos(f0_hz: float, q: float, fs: float) -> np.ndarray:
    """Second-order IIR notch at ``f0_hz`` with quality factor ``q`` (-3 dB width f0/q), as
    one ``(1, 6)`` section (the closed form of ``scipy.signal.iirnotch``)."""
    w0 = 2 * float(f0_hz) / fs
    if not 0.0 < w0 < 1.0:
        raise ValueError(f"notch {f0_hz} Hz does not fit fs={fs} Hz")
    bw = w0 / float(q) * np.pi
    w0 = w0 * np.pi
    gain = 1.0 / (1.0 + math.tan(bw / 2.0))
    c = math.cos(w0)
    return np.array([[gain, gain * (-2.0 * c), gain, 1.0, -2.0 * gain * c, 2.0 * gain - 1.0]])


def sosfilt_zi(sos: np.ndarray) -> np.ndarray:
    """Initial state ``(sections, 2)`` of the cascade for the steady state of a unit step
    (scale it by the first sample): each section's ``lfilter_zi``, times the DC gain of the
    sections before it."""
    sos = np.asarray(sos, dtype=float)
    if sos.ndim != 2 or sos.shape[1] != 6:
        raise ValueError(f"sos must be (sections, 6), got {sos.shape}")
    zi = np.empty((len(sos), 2))
    scale = 1.0
    for s in range(len(sos)):
        b, a = sos[s, :3], sos[s, 3:]
        if a[0] != 1.0:
            b, a = b / a[0], a / a[0]
        companion = np.array([[-a[1], -a[2]], [1.0, 0.0]])
        zi[s] = scale * np.linalg.solve(np.eye(2) - companion.T, b[1:] - a[1:] * b[0])
        scale *= np.sum(b) / np.sum(a)
    return zi


def group_delay_sos(sos: np.ndarray, f_hz: float, fs: float) -> float:
    """Group delay of the cascade at ``f_hz``, in samples: the sum of its sections'."""
    ez = np.exp(-1j * 2 * np.pi * f_hz / fs)
    total = 0.0
    for b, a in zip(sos[:, :3], sos[:, 3:], strict=True):
        c = np.convolve(b, a[::-1])
        num = np.polyval((c * np.arange(c.size))[::-1], ez)
        den = np.polyval(c[::-1], ez)
        total += float(np.real(num / den)) - a.size + 1
    return total
