"""Compiled per-sample kernels of the signal core (numba, cached on disk).

* conditioning: :func:`condition` does in one pass per block what used to take a dozen numpy
  calls: the band-pass (second-order sections), the optional mains notch and the
  trailing-window RMS envelopes, with their state in arrays the caller owns;
  :func:`sosfilt_rows` is any other SOS filter (pressure); :func:`rms_rows` the RMS alone.
* quality: :func:`second_extremes`, the per-second maxima, minima and counts.
* metrics: :func:`masked_stats`, mean/SD/peak of a selection without copying it.

The arithmetic is written operation for operation as ``scipy.signal.sosfilt`` (the direct-form
II transposed recursion of ``scipy/signal/_sosfilt.pyx``), as a sequential running sum of
squares (what ``np.cumsum`` does) and as numpy's pairwise summation, so results are
bit-identical to the public scipy/numpy calls; ``tests/test_signal/test_kernels.py`` fails
loudly if a scipy, numpy or numba release changes that. Only plain IEEE operations are used
(no ``fastmath``: no reassociation or fused multiply-add), so results do not depend on the
CPU either; the one exception, :func:`_max_min`, is a maximum/minimum, which no order changes.

``cache=True`` writes the machine code next to this module (or in numba's per-user cache when
the package folder is read-only): the first call on a fresh machine compiles (seconds, see
docs/performance.md; :mod:`biofeedback.signal.warmup` does it up front), later processes load
the cache in milliseconds.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _four_sections(sos: np.ndarray, s0: int, zi: np.ndarray, c: int, src: np.ndarray,
                   dst: np.ndarray) -> None:
    """Sections ``s0 .. s0 + 3`` over a whole column, their state in local scalars.

    Per sample and section the operations of ``scipy.signal.sosfilt`` (direct form II
    transposed) in the same order, so the result is identical. A section's output depends
    only on its input sequence, so running a block group of sections by group instead of
    sample by sample through all of them changes nothing but speed: with the state in
    registers instead of memory the recursion runs about twice as fast as
    ``scipy.signal.sosfilt`` (docs/performance.md)."""
    b00, b01, b02, a01, a02 = (sos[s0, 0], sos[s0, 1], sos[s0, 2], sos[s0, 4], sos[s0, 5])
    b10, b11, b12, a11, a12 = (sos[s0 + 1, 0], sos[s0 + 1, 1], sos[s0 + 1, 2], sos[s0 + 1, 4],
                               sos[s0 + 1, 5])
    b20, b21, b22, a21, a22 = (sos[s0 + 2, 0], sos[s0 + 2, 1], sos[s0 + 2, 2], sos[s0 + 2, 4],
                               sos[s0 + 2, 5])
    b30, b31, b32, a31, a32 = (sos[s0 + 3, 0], sos[s0 + 3, 1], sos[s0 + 3, 2], sos[s0 + 3, 4],
                               sos[s0 + 3, 5])
    z00, z01 = zi[c, s0, 0], zi[c, s0, 1]
    z10, z11 = zi[c, s0 + 1, 0], zi[c, s0 + 1, 1]
    z20, z21 = zi[c, s0 + 2, 0], zi[c, s0 + 2, 1]
    z30, z31 = zi[c, s0 + 3, 0], zi[c, s0 + 3, 1]
    for i in range(src.shape[0]):
        v = src[i]
        y = b00 * v + z00
        z00 = b01 * v - a01 * y + z01
        z01 = b02 * v - a02 * y
        v = y
        y = b10 * v + z10
        z10 = b11 * v - a11 * y + z11
        z11 = b12 * v - a12 * y
        v = y
        y = b20 * v + z20
        z20 = b21 * v - a21 * y + z21
        z21 = b22 * v - a22 * y
        v = y
        y = b30 * v + z30
        z30 = b31 * v - a31 * y + z31
        z31 = b32 * v - a32 * y
        dst[i] = y
    zi[c, s0, 0], zi[c, s0, 1] = z00, z01
    zi[c, s0 + 1, 0], zi[c, s0 + 1, 1] = z10, z11
    zi[c, s0 + 2, 0], zi[c, s0 + 2, 1] = z20, z21
    zi[c, s0 + 3, 0], zi[c, s0 + 3, 1] = z30, z31


@njit(cache=True)
def _one_section(sos: np.ndarray, s: int, zi: np.ndarray, c: int, src: np.ndarray,
                 dst: np.ndarray) -> None:
    """Section ``s`` over a whole column (see :func:`_four_sections`)."""
    b0, b1, b2, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
    z0, z1 = zi[c, s, 0], zi[c, s, 1]
    for i in range(src.shape[0]):
        v = src[i]
        y = b0 * v + z0
        z0 = b1 * v - a1 * y + z1
        z1 = b2 * v - a2 * y
        dst[i] = y
    zi[c, s, 0], zi[c, s, 1] = z0, z1


@njit(cache=True)
def _cascade(sos: np.ndarray, zi: np.ndarray, c: int, src: np.ndarray,
             dst: np.ndarray) -> None:
    """Every section of ``sos`` over column ``src`` into ``dst`` (may be the same array),
    four sections per pass while four are left."""
    s = 0
    while s < sos.shape[0]:
        if sos.shape[0] - s >= 4:
            _four_sections(sos, s, zi, c, src, dst)
            s += 4
        else:
            _one_section(sos, s, zi, c, src, dst)
            s += 1
        src = dst


@njit(cache=True)
def sosfilt_rows(sos: np.ndarray, x: np.ndarray, zi: np.ndarray, out: np.ndarray) -> None:
    """``out[i, c]`` = ``x[i, c]`` filtered by ``sos`` ``(S, 6)`` with state ``zi`` ``(C, S, 2)``
    (updated in place); ``x`` and ``out`` are ``(n, C)`` and may be the same array."""
    for c in range(x.shape[1]):
        _cascade(sos, zi, c, x[:, c], out[:, c])


@njit(cache=True)
def _running_squares(y: np.ndarray, tot: np.ndarray, r_n: int) -> None:
    """``tot[r_n + i]`` = ``tot[r_n - 1]`` + the sum of ``y[:i + 1]**2``, one sequential
    addition per sample (what ``np.cumsum`` does)."""
    acc = tot[r_n - 1]
    for i in range(y.shape[0]):
        v = y[i]
        acc = acc + v * v
        tot[r_n + i] = acc


@njit(cache=True)
def _window_rms(tot: np.ndarray, r_n: int, j0: int, w: int, out: np.ndarray) -> None:
    """RMS over the trailing ``w`` samples from the running sums ``tot`` (see
    :func:`_rms_from`; ``j0`` samples came before this block), into ``out``."""
    n = out.shape[0]
    full = min(max(w - 1 - j0, 0), n)  # samples before the window is full
    for i in range(full):
        k = j0 + i + 1
        d = (tot[r_n + i] - tot[r_n + i - k]) / k
        out[i] = np.sqrt(d if d >= 0.0 else 0.0)
    wf = float(w)
    hi, lo, dst = tot[r_n + full:], tot[r_n + full - w:], out[full:]  # (slices vectorise)
    for i in range(dst.shape[0]):
        d = (hi[i] - lo[i]) / wf
        dst[i] = np.sqrt(d if d >= 0.0 else 0.0)


@njit(cache=True)
def _copy(src: np.ndarray, dst: np.ndarray) -> None:
    for i in range(src.shape[0]):
        dst[i] = src[i]


@njit(cache=True)
def _rms_from(y: np.ndarray, hist: np.ndarray, count: np.ndarray, windows: np.ndarray,
              env0: np.ndarray, env1: np.ndarray) -> None:
    """Trailing-window RMS of ``y`` ``(n, C)`` for the first window into ``env0`` and the
    second (if any) into ``env1``, both ``(n, C)`` (any strides: e.g. the caller's output).

    ``hist`` ``(R, C)`` holds the running sums of squares after the last ``R`` samples
    (``hist[-1]`` = sum of every sample since reset; zeros after a reset, so the sum before
    the first sample is 0); ``count[0]`` = samples since reset. Before a window is full the
    mean is over the samples so far, as in :class:`MultiRms`. The sums are sequential (one
    loop-carried addition per sample, as ``np.cumsum``); the divisions and square roots run
    in a separate loop over contiguous memory: numba types a column view of a 2-D array as
    any-layout and does not vectorise a loop over it, so the RMS is computed into a
    contiguous scratch column and copied out (the whole RMS went from ~80 to ~14 ms per hour
    of one channel; docs/performance.md).
    """
    n, n_ch = y.shape
    r_n = hist.shape[0]
    j0 = count[0]
    tot = np.empty(r_n + n)
    col = np.empty(n)  # contiguous (a column of env is not, to numba: it would not vectorise)
    for c in range(n_ch):  # channel by channel: plain 1-D loops
        tot[:r_n] = hist[:, c]
        _running_squares(y[:, c], tot, r_n)
        for w_i in range(windows.shape[0]):
            _window_rms(tot, r_n, j0, windows[w_i], col)
            _copy(col, env0[:, c] if w_i == 0 else env1[:, c])
        hist[:, c] = tot[n:]
    count[0] = j0 + n


@njit(cache=True)
def rms_rows(x: np.ndarray, hist: np.ndarray, count: np.ndarray, windows: np.ndarray,
             env0: np.ndarray, env1: np.ndarray) -> None:
    """Trailing-window RMS of ``x`` ``(n, C)`` (see :func:`_rms_from`); state updated."""
    _rms_from(x, hist, count, windows, env0, env1)


@njit(cache=True)
def condition(x: np.ndarray, bp_sos: np.ndarray, bp_zi: np.ndarray, notch_sos: np.ndarray,
              notch_zi: np.ndarray, notch_unit: np.ndarray, hist: np.ndarray, count: np.ndarray,
              windows: np.ndarray, bp_out: np.ndarray, y_out: np.ndarray,
              env0: np.ndarray, env1: np.ndarray) -> None:
    """Band-pass, optional notch, RMS envelopes: the whole conditioning of a block.

    ``x`` ``(n, C)``; ``bp_out`` gets the band-passed samples, ``y_out`` the notched ones (not
    written when ``notch_sos`` has no sections: then pass ``bp_out`` again), ``env0`` and
    ``env1`` ``(n, C)`` the RMS of ``y`` over each window (state ``hist``, ``count[0]``: see
    :func:`_rms_from`). ``count[1]`` = 0 until the notch has started: its state is then set from
    the first band-passed sample (steady state for a constant input, ``notch_unit``
    ``(S, 2)``), as :class:`SosFilter` with ``start_steady`` does.
    """
    n, n_ch = x.shape
    if notch_sos.shape[0] > 0:
        for c in range(n_ch):
            _cascade(bp_sos, bp_zi, c, x[:, c], bp_out[:, c])
            if count[1] == 0 and n > 0:
                v = bp_out[0, c]
                for s in range(notch_sos.shape[0]):
                    notch_zi[c, s, 0] = notch_unit[s, 0] * v
                    notch_zi[c, s, 1] = notch_unit[s, 1] * v
            _cascade(notch_sos, notch_zi, c, bp_out[:, c], y_out[:, c])
        if n > 0:
            count[1] = 1
        _rms_from(y_out, hist, count, windows, env0, env1)
    else:
        for c in range(n_ch):
            _cascade(bp_sos, bp_zi, c, x[:, c], bp_out[:, c])
        _rms_from(bp_out, hist, count, windows, env0, env1)


@njit(cache=True, fastmath={"nnan", "nsz"})
def _max_min(x: np.ndarray) -> tuple[float, float]:
    """Largest and smallest of finite ``x``. The fast-math flags only let the reductions be
    vectorised: a maximum is the same whatever the order (no NaN here; the sign of a zero
    extreme is never looked at, only compared with ``==``)."""
    hi = x[0]
    lo = x[0]
    for i in range(1, x.shape[0]):
        hi = max(hi, x[i])
        lo = min(lo, x[i])
    return hi, lo


@njit(cache=True)
def _counts(x: np.ndarray, top: float, bottom: float, lo: float, hi: float
            ) -> tuple[int, int, int]:
    n_top = 0
    n_bottom = 0
    beyond = 0
    for i in range(x.shape[0]):
        v = x[i]
        n_top += v == top
        n_bottom += v == bottom
        beyond += (v >= hi) | (v <= lo)
    return n_top, n_bottom, beyond


@njit(cache=True)
def extreme_counts(raw: np.ndarray, ext: np.ndarray, lo: float, hi: float) -> None:
    """The counts of :func:`second_extremes` (``ext[2]``, ``ext[3]``, ``ext[6]``) from the
    raw maxima and minima already in ``ext[0]``, ``ext[1]`` (found by numpy's reductions,
    which are faster on many seconds at once)."""
    s_n, c_n, _ = raw.shape
    for s in range(s_n):
        for c in range(c_n):
            n_max, n_min, beyond = _counts(raw[s, c], ext[0, s, c], ext[1, s, c], lo, hi)
            ext[2, s, c] = n_max
            ext[3, s, c] = n_min
            ext[6, s, c] = beyond


@njit(cache=True)
def second_extremes(raw: np.ndarray, bp: np.ndarray, lo: float, hi: float,
                    out: np.ndarray) -> None:
    """Order-free statistics of each second and channel for the quality check.

    ``raw`` and ``bp`` ``(S, C, L)`` finite; ``out`` ``(7, S, C)`` gets the raw maximum and
    minimum, how many samples sit at each, the band-passed maximum and minimum, and how many
    raw samples are ``>= hi`` or ``<= lo`` (pass ``lo = -inf, hi = inf`` for none). Maxima,
    minima and counts do not depend on the order of evaluation: equal to the numpy
    reductions they replace.
    """
    s_n, c_n, _ = raw.shape
    for s in range(s_n):
        for c in range(c_n):
            rmax, rmin = _max_min(raw[s, c])
            bmax, bmin = _max_min(bp[s, c])
            n_max, n_min, beyond = _counts(raw[s, c], rmax, rmin, lo, hi)
            out[0, s, c] = rmax
            out[1, s, c] = rmin
            out[2, s, c] = n_max
            out[3, s, c] = n_min
            out[4, s, c] = bmax
            out[5, s, c] = bmin
            out[6, s, c] = beyond


@njit(cache=True, inline="always")
def _term(v: float, centre: float, square: bool) -> float:
    if square:
        d = v - centre
        return d * d
    return v


@njit(cache=True)
def _block_sum(a: np.ndarray, lo: int, n: int, centre: float, square: bool) -> float:
    """numpy's leaf of the pairwise sum (``n <= 128``): eight accumulators, then the rest."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += _term(a[i], centre, square)
        return res
    r0 = _term(a[lo], centre, square)
    r1 = _term(a[lo + 1], centre, square)
    r2 = _term(a[lo + 2], centre, square)
    r3 = _term(a[lo + 3], centre, square)
    r4 = _term(a[lo + 4], centre, square)
    r5 = _term(a[lo + 5], centre, square)
    r6 = _term(a[lo + 6], centre, square)
    r7 = _term(a[lo + 7], centre, square)
    end = lo + n - n % 8
    i = lo + 8
    while i < end:
        r0 += _term(a[i], centre, square)
        r1 += _term(a[i + 1], centre, square)
        r2 += _term(a[i + 2], centre, square)
        r3 += _term(a[i + 3], centre, square)
        r4 += _term(a[i + 4], centre, square)
        r5 += _term(a[i + 5], centre, square)
        r6 += _term(a[i + 6], centre, square)
        r7 += _term(a[i + 7], centre, square)
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += _term(a[i], centre, square)
        i += 1
    return res


@njit(cache=True)
def pairwise_sum(a: np.ndarray, lo: int, n: int, centre: float, square: bool) -> float:
    """numpy's pairwise summation of ``a[lo:lo+n]`` (or of ``(a - centre)**2`` with
    ``square``), addition for addition: blocks of up to 128 summed with eight accumulators,
    longer runs split in two (at a multiple of 8) and the halves added. ``np.add.reduce`` of a
    contiguous float64 array gives exactly this (pinned by tests/test_signal/test_kernels.py),
    so sums over a selection equal numpy's sums over the compacted copy.

    numpy recurses; the tree is walked once, by :func:`_pairwise_plan` (a cached numba
    function must not call itself), and this is its one-interval case: every leaf is summed
    in place.
    """
    if n <= 128:
        return _block_sum(a, lo, n, centre, square)
    starts = np.full(1, lo, dtype=np.int64)
    stops = np.full(1, lo + n, dtype=np.int64)
    return _interval_sum(a, starts, stops, n, centre, square, np.empty(0))


@njit(cache=True)
def second_sums(raw: np.ndarray, bp: np.ndarray, m: int, out: np.ndarray) -> None:
    """The summed statistics of each second and channel for the quality check, in numpy's
    order of additions: ``out`` ``(3, S, C)`` gets the sum of ``bp**2`` (as
    ``np.add.reduce(bp * bp)``) and the largest and smallest mean of ``raw`` over
    consecutive chunks of ``m`` samples (as ``np.add.reduce(chunks, axis=-1) / m``; nan when
    fewer than two chunks fit). ``raw`` and ``bp`` ``(S, C, L)``."""
    s_n, c_n, n = raw.shape
    k = n // m if m > 0 else 0
    for s in range(s_n):
        for c in range(c_n):
            out[0, s, c] = pairwise_sum(bp[s, c], 0, n, 0.0, True)
            if k < 2:
                out[1, s, c] = np.nan
                out[2, s, c] = np.nan
                continue
            r = raw[s, c]
            hi = lo = _block_sum(r, 0, m, 0.0, False) / m
            for j in range(1, k):
                v = _block_sum(r, j * m, m, 0.0, False) / m
                hi = max(hi, v)
                lo = min(lo, v)
            out[1, s, c] = hi
            out[2, s, c] = lo


@njit(cache=True)
def masked_stats(values: np.ndarray, mask: np.ndarray, scratch: np.ndarray
                 ) -> tuple[int, float, float, float]:
    """Count, mean, SD (ddof 0) and maximum of ``values[mask]``, equal to ``np.mean``,
    ``np.std`` and ``np.max`` of that selection (nan when it is empty). ``scratch`` (at least
    as long as ``values``) receives the selected values when not all are."""
    n = values.shape[0]
    k = 0
    for i in range(n):
        k += 1 if mask[i] else 0
    if k == 0:
        return 0, np.nan, np.nan, np.nan
    if k == n:  # everything selected: no copy
        return _stats(values, k)
    j = 0  # compact (masks are long runs: the branch predicts well)
    for i in range(n):
        if mask[i]:
            scratch[j] = values[i]
            j += 1
    return _stats(scratch, k)


@njit(cache=True)
def _stats(sel: np.ndarray, k: int) -> tuple[int, float, float, float]:
    """Count, mean, SD and maximum of ``sel[:k]`` (numpy's order of additions)."""
    peak = sel[0]
    for i in range(1, k):
        peak = max(peak, sel[i])
    mean = pairwise_sum(sel, 0, k, 0.0, False) / k
    var = pairwise_sum(sel, 0, k, mean, True) / k
    return k, mean, np.sqrt(var), peak


@njit(cache=True)
def first_run(x: np.ndarray, thr: float, above: bool, carry: int, length: int
              ) -> tuple[int, int]:
    """Detection: the first position where a run of ``x > thr`` (``above``) or ``x < thr``
    reaches ``length`` samples, counting ``carry`` such samples before position 0, or -1;
    and the run length where the scan stopped (the end of ``x`` when there is no such
    position). Stops at the hit: the work is up to the next transition, not the block."""
    run = carry
    for i in range(x.shape[0]):
        v = x[i]
        if (v > thr) if above else (v < thr):
            run += 1
            if run >= length:
                return i, run
        else:
            run = 0
    return -1, run


@njit(cache=True)
def _pairwise_plan(n: int, ops: np.ndarray) -> int:
    """The leaves and additions of numpy's pairwise summation of ``n`` values, in the order
    numpy performs them: ``ops[i] > 0`` sums the next ``ops[i]`` values (a leaf, at most
    128), ``0`` adds the last two partial sums (left + right). Returns the number of ops."""
    if n <= 128:
        ops[0] = n
        return 1
    f_n = np.empty(64, dtype=np.int64)
    f_st = np.empty(64, dtype=np.int64)
    f_n[0], f_st[0] = n, 0
    sp = 1
    k = 0
    while sp:
        t = sp - 1
        m = f_n[t]
        if m <= 128:
            ops[k] = m
            k += 1
            sp -= 1
            continue
        m2 = m // 2
        m2 -= m2 % 8
        if f_st[t] == 0:
            f_st[t] = 1
            f_n[sp], f_st[sp] = m2, 0
            sp += 1
        elif f_st[t] == 1:
            f_st[t] = 2
            f_n[sp], f_st[sp] = m - m2, 0
            sp += 1
        else:
            ops[k] = 0
            k += 1
            sp -= 1
    return k


@njit(cache=True)
def _interval_sum(values: np.ndarray, starts: np.ndarray, stops: np.ndarray, k: int,
                  centre: float, square: bool, peak: np.ndarray) -> float:
    """numpy's pairwise sum of the ``k`` values ``values[starts[j]:stops[j]]`` taken in order
    (or of their squared deviations from ``centre``), without gathering them: each leaf of
    :func:`_pairwise_plan` is summed in place, or gathered first when it spans intervals.
    ``peak`` (one element, or none): raised to the largest value seen, leaf by leaf while the
    leaf is in the cache (a pass of its own over a long selection costs as much as a sum)."""
    ops = np.empty(2 * (k // 64 + 2), dtype=np.int64)
    n_ops = _pairwise_plan(k, ops)
    buf = np.empty(128)
    stack = np.empty(64)
    sp = 0
    j = 0
    i = starts[0] if starts.shape[0] else 0
    for oi in range(n_ops):
        m = ops[oi]
        if m == 0:
            stack[sp - 2] = stack[sp - 2] + stack[sp - 1]
            sp -= 1
            continue
        while i >= stops[j]:  # skip to the interval holding the next value
            j += 1
            i = starts[j]
        if i + m <= stops[j]:
            stack[sp] = _block_sum(values, i, m, centre, square)
            if peak.shape[0]:
                hi, _ = _max_min(values[i:i + m])
                peak[0] = max(peak[0], hi)
            i += m
        else:
            fill = 0
            while fill < m:
                while i >= stops[j]:
                    j += 1
                    i = starts[j]
                take = min(m - fill, stops[j] - i)
                buf[fill:fill + take] = values[i:i + take]
                fill += take
                i += take
            stack[sp] = _block_sum(buf, 0, m, centre, square)
            if peak.shape[0]:
                hi, _ = _max_min(buf[:m])
                peak[0] = max(peak[0], hi)
        sp += 1
    return stack[0]


@njit(cache=True)
def interval_stats(values: np.ndarray, starts: np.ndarray, stops: np.ndarray
                   ) -> tuple[int, float, float, float]:
    """Count, mean, SD (ddof 0) and maximum of the values in the intervals
    ``[starts[j], stops[j])`` (sorted, disjoint), equal to ``np.mean``, ``np.std`` and
    ``np.max`` of their concatenation (nan when empty), without building it or a mask."""
    k = 0
    for j in range(starts.shape[0]):
        if stops[j] > starts[j]:
            k += stops[j] - starts[j]
    if k == 0:
        return 0, np.nan, np.nan, np.nan
    top = np.full(1, -np.inf)  # the maximum, found during the first sum
    mean = _interval_sum(values, starts, stops, k, 0.0, False, top) / k
    var = _interval_sum(values, starts, stops, k, mean, True, np.empty(0)) / k
    peak = top[0]
    return k, mean, np.sqrt(var), peak


@njit(cache=True)
def sum_rows(table: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum of the rows ``i`` of ``table`` whose ``weights[i]`` is non-zero, added in row
    order (what ``table[weights != 0].sum(axis=0)`` does, without the copy): the Welch PSD
    over the segments inside a selection."""
    out = np.zeros(table.shape[1])
    for i in range(table.shape[0]):
        if weights[i] != 0.0:
            for j in range(table.shape[1]):
                out[j] += table[i, j]
    return out


@njit(cache=True)
def onset_scan(before: np.ndarray, back: float, lo: float, run: np.ndarray, mean: float,
               frac: float) -> tuple[int, int, int]:
    """Detection, a confirmed onset: the last sample of ``before`` (the lookback) at or
    below ``back``, else at or below ``lo`` (-1: none); the first largest sample of ``run``
    (the samples above the ON line so far) and the last one of ``run`` at or above
    ``mean + frac·(peak − mean)`` (the release point). The ``flatnonzero``/``argmax`` form
    in one call."""
    quiet = -1
    for i in range(before.shape[0] - 1, -1, -1):
        if before[i] <= back:
            quiet = i
            break
    if quiet < 0:
        for i in range(before.shape[0] - 1, -1, -1):
            if before[i] <= lo:
                quiet = i
                break
    p = 0
    best = run[0]
    for i in range(1, run.shape[0]):
        if run[i] > best:
            best = run[i]
            p = i
    level = mean + frac * (best - mean)
    last = p
    for i in range(run.shape[0] - 1, -1, -1):
        if run[i] >= level:
            last = i
            break
    return quiet, p, last


@njit(cache=True)
def masked_max(values: np.ndarray, mask: np.ndarray, start: float) -> float:
    """``max(start, values[mask].max())`` without gathering (``start`` when none is set)."""
    out = start
    for i in range(values.shape[0]):
        if mask[i] and values[i] > out:
            out = values[i]
    return out


@njit(cache=True)
def rest_track(y: np.ndarray, rest: float, alpha: float, band: float,
               out: np.ndarray) -> float:
    """The pressure's resting level per sample: it moves by ``alpha`` towards each sample
    within ``band`` of it and holds on the others (a contraction, a strain); returns the last
    level. One sample at a time in the same operations whatever the block size, so a live
    stream and a whole recording get the same levels."""
    for i in range(y.shape[0]):
        v = y[i]
        if abs(v - rest) <= band:
            rest += alpha * (v - rest)
        out[i] = rest
    return rest
