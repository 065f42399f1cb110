"""The compiled kernels equal the public scipy/numpy calls bit for bit.

The conditioning path no longer calls any private scipy function: it runs the project's own
kernels (``biofeedback/signal/kernels.py``), written as the same arithmetic as
``scipy.signal.sosfilt`` and ``np.cumsum``. These tests pin that equality exactly
(``array_equal``, not a tolerance): if a scipy, numpy or numba release changes the arithmetic
(a reordered recursion, fused multiply-adds, a pairwise cumulative sum), they fail loudly and
the block-size and streaming-equals-offline guarantees have to be re-checked.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps

from biofeedback.signal.conditioning import EmgConditioner
from biofeedback.signal.config import EmgConfig
from biofeedback.signal.envelope import MultiRms
from biofeedback.signal.filters import SosFilter, design_bandpass, design_notch
from biofeedback.signal.kernels import masked_stats, pairwise_sum, sosfilt_rows

FS = 2000.0


def _signal(n: int, ch: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 2048.0 + 30.0 * rng.standard_normal((n, ch)) + 5.0 * np.sin(
        2 * np.pi * 50 * np.arange(n) / FS)[:, None]


def _reference_rms(y: np.ndarray, w: int) -> np.ndarray:
    """MultiRms as it was written with numpy: cumsum of squares, trailing difference / k."""
    c = np.concatenate([np.zeros((1, y.shape[1])), np.cumsum(y * y, axis=0)])
    k = np.minimum(np.arange(1, len(y) + 1), w)
    end = np.arange(1, len(y) + 1)
    d = (c[end] - c[end - k]) / k[:, None]
    return np.sqrt(np.maximum(d, 0.0))


@pytest.mark.parametrize("sos", [design_bandpass(FS, 20, 450, 4), design_notch(FS, 50, 3),
                                 design_bandpass(250.0, 20, 450, 6)])
def test_sosfilt_kernel_equals_public_scipy_sosfilt_exactly(sos):
    x = _signal(20000, 2)
    zi = sps.sosfilt_zi(sos)[:, :, None] * x[0][None, None, :]  # (S, 2, C) for axis=0
    want, _ = sps.sosfilt(sos, x, axis=0, zi=zi)
    f = SosFilter(sos, 2, start_steady=True)
    got = np.concatenate([f.process(x[a:a + k]) for a, k in ((0, 1), (1, 39), (40, 19960))])
    assert np.array_equal(got, want)
    out = np.empty_like(x)
    sosfilt_rows(np.ascontiguousarray(sos), x, np.zeros((2, len(sos), 2)), out)
    assert np.array_equal(out, sps.sosfilt(sos, x, axis=0))


def test_rms_kernel_equals_numpy_cumsum_formula_exactly():
    y = np.random.default_rng(1).standard_normal((7000, 2)) * 5
    m = MultiRms([500, 100], 2)
    parts = [m.process(y[a:a + k]) for a, k in ((0, 1), (1, 98), (99, 3), (102, 6898))]
    for i, w in enumerate((500, 100)):
        assert np.array_equal(np.concatenate([p[i] for p in parts]), _reference_rms(y, w))


@pytest.mark.parametrize("notch", [None, 50.0])
def test_fused_conditioning_equals_the_public_calls_one_after_the_other(notch):
    x = _signal(12000, 2, seed=2)
    cond = EmgConditioner(FS, 2, EmgConfig(notch_hz=notch), 500, 100)
    got = [np.concatenate(p) for p in zip(*(cond.process(x[a:a + k]) for a, k in
                                             ((0, 1), (1, 40), (41, 11959))), strict=True)]
    sos = design_bandpass(FS, 20, 450, 4)
    bp, _ = sps.sosfilt(sos, x, axis=0, zi=sps.sosfilt_zi(sos)[:, :, None] * x[0])
    y = bp
    if notch:
        ns = design_notch(FS, notch, 3)
        y, _ = sps.sosfilt(ns, bp, axis=0, zi=sps.sosfilt_zi(ns)[:, :, None] * bp[0])
    assert np.array_equal(got[0], bp)
    assert np.array_equal(got[1], y)
    assert np.array_equal(got[2], _reference_rms(y, 500))
    assert np.array_equal(got[3], _reference_rms(y, 100))


def test_no_private_scipy_module_is_imported_by_the_signal_core():
    import ast
    from pathlib import Path

    core = Path(__file__).resolve().parents[2] / "biofeedback" / "signal"
    for path in core.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                parts = name.split(".")
                assert not (parts[0] == "scipy" and any(p.startswith("_") for p in parts)), \
                    f"{path.name} imports private {name}"


@pytest.mark.parametrize("n", [1, 7, 8, 9, 127, 128, 129, 1000, 8192, 8193, 100_003, 2_000_001])
def test_pairwise_sum_is_numpys_summation(n):
    """If numpy changes how it sums (blocking, SIMD order), the metrics' compiled statistics
    would drift from np.mean/np.std by an ulp: this fails first."""
    a = np.random.default_rng(n).standard_normal(n) * 3 + 5
    assert pairwise_sum(a, 0, n, 0.0, False) == np.add.reduce(a)
    c = float(np.mean(a))
    assert pairwise_sum(a, 0, n, c, True) == np.add.reduce((a - c) * (a - c))


def test_masked_stats_equal_numpy_on_the_selection():
    rng = np.random.default_rng(9)
    a = np.abs(rng.standard_normal(300_000)) * 4
    for mask in ((np.arange(len(a)) // 4999) % 3 != 0, rng.random(len(a)) < 0.3,
                 np.zeros(len(a), bool), np.ones(len(a), bool),
                 np.eye(1, len(a), 77, dtype=bool)[0]):
        k, mean, sd, peak = masked_stats(a, mask, np.empty(len(a)))
        e = a[mask]
        assert k == len(e)
        if len(e):
            assert (mean, sd, peak) == (np.mean(e), np.std(e), np.max(e))
