"""Compiled per-sample logic of the meter's state (numba, cached like ``kernels.py``).

Two sequential loops that replace a few dozen numpy calls per 20 ms block, with the same
results as the vectorised definitions they implement (``LiveProcessor._track_below`` and
``_falling`` in ``live.py`` document the rules; ``tests/test_signal`` pins the equality on
random block sizes):

* :func:`falling_states`: a release in progress starts when the envelope is 20 % below its
  value ``k`` samples earlier and lasts until it climbs 15 % above its lowest value since;
  the earlier values live in a ring ``buf`` addressed by absolute sample index.
* :func:`relaxed_states`: a relaxed stretch starts at the first sample at or below the line
  and survives excursions above it shorter than ``excursion`` samples that stay under ``big``.

State lives in small arrays the caller owns: ``fstate = [lg, lg_min]`` and
``rstate = [below_since, above_run, above_big]`` (``below_since`` −1 when not relaxed).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _falling_step(e: float, j: int, buf: np.ndarray, lg: bool, lg_min: float
                  ) -> tuple[bool, float]:
    """One sample of the release rule, shared by :func:`falling_states` and
    :func:`meter_states`: ``e`` replaces ``buf[j]`` (its value ``k`` samples earlier); a
    release starts at a 20 % drop and ends 15 % above its lowest value since."""
    old = buf[j]
    buf[j] = e
    starts = e < 0.8 * old  # False against NaN (no history yet)
    if lg:
        if e < lg_min:
            lg_min = e
        if e > 1.15 * lg_min:
            lg = False
    if not lg and starts:
        lg = True
        lg_min = e
    return lg, lg_min


@njit(cache=True)
def falling_states(e0: np.ndarray, a: int, buf: np.ndarray, fstate: np.ndarray,
                   out: np.ndarray) -> None:
    k = buf.shape[0]
    lg = fstate[0] != 0.0
    lg_min = fstate[1]
    j = a % k  # the ring slot of sample a + i, advanced without a division per sample
    for i in range(e0.shape[0]):
        lg, lg_min = _falling_step(e0[i], j, buf, lg, lg_min)
        out[i] = lg
        j += 1
        if j == k:
            j = 0
    fstate[0] = 1.0 if lg else 0.0
    fstate[1] = lg_min


@njit(cache=True)
def relaxed_states(e0: np.ndarray, a: int, thr: float, big: float, excursion: int,
                   rstate: np.ndarray, out: np.ndarray) -> None:
    below_since = rstate[0]
    run = rstate[1]
    seen_big = rstate[2] != 0
    for i in range(e0.shape[0]):
        e = e0[i]
        if e <= thr:  # at or below the line: relaxed, a stretch (re)starts
            run = 0
            seen_big = False
            if below_since < 0:
                below_since = a + i
            out[i] = True
            continue
        run += 1
        if e > big:
            seen_big = True
        if run >= excursion or seen_big:  # a real rise: the stretch ends here
            below_since = -1
            out[i] = False
        else:
            out[i] = below_since >= 0
    rstate[0] = below_since
    rstate[1] = run
    rstate[2] = 1 if seen_big else 0




@njit(cache=True)
def strain_states(det: np.ndarray, p_strain: bool, use_abd: bool, hi: float, abd_hi: float,
                  t_mean: float, abd_mu: float, m: int, srun: np.ndarray,
                  out: np.ndarray) -> None:
    """Strain per sample: for ``m`` samples or more in a row, pressure up (``p_strain``) with
    the pelvic floor under its ON line, or the abdominal channel above its ON line and
    relatively higher than the pelvic floor (``det1/μ_abd > det0/μ_pfm``, without divisions).
    ``srun[0]``: the run carried across blocks."""
    run = srun[0]
    for i in range(det.shape[0]):
        d0 = det[i, 0]
        c = p_strain and d0 <= hi
        if not c and use_abd:
            d1 = det[i, 1]
            c = d1 > abd_hi and d1 * t_mean > d0 * abd_mu
        run = run + 1 if c else 0
        out[i] = run >= m
    srun[0] = run


@njit(cache=True)
def meter_states(e0: np.ndarray, a: int, provisional: bool, ninv: float, c1: float,
                 thr: float, big: float, half: float, excursion: int, buf: np.ndarray,
                 fstate: np.ndarray, rstate: np.ndarray, strain: np.ndarray,
                 rel: np.ndarray, fb: np.ndarray, write_rel: bool = True) -> None:
    """Relaxation, release in progress, relaxed stretch and the feedback state of one piece
    (baseline known), in one pass: the rules of :func:`falling_states` and
    :func:`relaxed_states`, ``rel = clip(e·(−1/(top−μ)) + (1 + μ/(top−μ)), 0, 1)`` (the same
    two operations as the numpy form), and the state: bearing down where ``strain``, else
    settling while ``provisional``, relaxed, letting go (in the lower half, or falling) or
    tight. ``rstate`` is cleared while provisional, as before."""
    k = buf.shape[0]
    lg = fstate[0] != 0.0
    lg_min = fstate[1]
    below_since = rstate[0]
    run = rstate[1]
    seen_big = rstate[2] != 0
    j = a % k  # the ring slot of sample a + i, advanced without a division per sample
    for i in range(e0.shape[0]):
        e = e0[i]
        lg, lg_min = _falling_step(e, j, buf, lg, lg_min)
        j += 1
        if j == k:
            j = 0
        r = e * ninv
        r = r + c1
        if r < 0.0:
            r = 0.0
        if r > 1.0:
            r = 1.0
        if write_rel:  # (offline traces compute it from the envelope when asked)
            rel[i] = r
        if provisional:
            code = 1  # SETTLING
        else:
            if e <= thr:
                run = 0
                seen_big = False
                if below_since < 0:
                    below_since = a + i
                relaxed = True
            else:
                run += 1
                if e > big:
                    seen_big = True
                if run >= excursion or seen_big:
                    below_since = -1
                    relaxed = False
                else:
                    relaxed = below_since >= 0
            if relaxed:
                code = 2  # RELAXED
            elif e <= half or lg:
                code = 3  # LETTING_GO
            else:
                code = 4  # TIGHT
        if strain[i]:
            code = 5  # BEARING_DOWN
        fb[i] = code
    fstate[0] = 1.0 if lg else 0.0
    fstate[1] = lg_min
    if provisional:
        rstate[0] = -1
        rstate[1] = 0
        rstate[2] = 0
    else:
        rstate[0] = below_since
        rstate[1] = run
        rstate[2] = 1 if seen_big else 0


__all__ = ["falling_states", "meter_states", "relaxed_states", "strain_states"]
