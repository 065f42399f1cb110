"""Robust resting baseline (level and variability) per EMG channel.

The estimator sees envelope values decimated at absolute sample indices (so the result does
not depend on block sizes) and summarises each whole second. Two modes:

* automatic (default): a tense (guarded) start must not become "rest", so the automatic level
  follows the *lowest sustained level* seen: the floor is the lowest median of ``sustain_s``
  consecutive second medians, and only seconds within (1 + ``pool_tolerance``) × the floor
  are pooled (resting tone drifts: the quietest seconds alone would put it too low). A
  contraction never lowers a sustained median, so it is never learned as rest, and a lower
  sustained level (the guarding lets go) moves the baseline down within ``sustain_s``
  seconds. The automatic baseline is **provisional** until it is confirmed: the person has
  sat at the floor for ``confirm_stable_s`` seconds and has also been at least
  ``confirm_rise`` × higher (a contraction from the floor or a release to it), or has sat at
  it for ``confirm_quiet_s`` seconds in a row (a calm start). Nothing in the signal tells a
  steady guarding from rest, so a guarding that never lets go stays provisional for
  ``confirm_quiet_s``; the marked rest is the clinical way. Tracking runs for at least
  ``auto_s`` and until confirmed (at most ``max_track_s``).
* marked rest: :meth:`BaselineEstimator.mark` collects every value while a rest is marked and
  recomputes the baseline from that period alone when the mark ends (and each second during).
  A marked baseline replaces the automatic one for good and is never provisional.

Statistics are the median and 1.4826·MAD (clinical.md §3: robust to spikes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biofeedback.signal.config import BaselineConfig
from biofeedback.signal.detection_kernels import (
    column_medians,
    column_robust_stats,
    floor_runs,
    pooled_robust_stats,
)

MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class Baseline:
    """Resting level ``mean`` and variability ``sd`` per channel for two envelopes.

    ``mean``/``sd``: the display/metrics RMS envelope (µV RMS, reported to people).
    ``det_mean``/``det_sd``: the detection envelope (what the ON/OFF lines are built on).
    ``source``: "auto" or "marked".
    """

    mean: np.ndarray
    sd: np.ndarray
    det_mean: np.ndarray
    det_sd: np.ndarray
    seconds: float
    source: str
    provisional: bool = False  # automatic level not yet confirmed (see the module docstring)
    floor: float = float("nan")  # lowest sustained display-envelope level seen, channel 0


def robust_stats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and 1.4826·MAD along axis 0 (a 2-D table: compiled, the same values)."""
    if values.ndim != 2 or values.dtype != np.float64:
        med = np.median(values, axis=0)
        return med, MAD_TO_SD * np.median(np.abs(values - med), axis=0)
    med, sd = np.empty(values.shape[1]), np.empty(values.shape[1])
    column_robust_stats(values, MAD_TO_SD, med, sd)
    return med, sd


class BaselineEstimator:
    """Collects decimated envelope values and maintains :class:`Baseline`."""

    def __init__(self, fs: float, n_channels: int, config: BaselineConfig) -> None:
        self.fs = fs
        self.n_channels = n_channels
        self.config = config
        self.hop = max(1, int(round(fs / 50.0)))  # 50 values per second (every 20 ms)
        self.baseline: Baseline | None = None
        # automatic period: every kept value (rows) with the number of its second, and each
        # second's per-channel median of the detection envelope
        self._vals = np.empty((0, 2 * n_channels))
        self._row_second = np.empty(0, dtype=np.int64)
        self._n_rows = 0
        # per second: medians of (det, rms) per channel (rows up to _n_meds; grows by doubling)
        self._meds = np.empty((0, 2 * n_channels))
        self._n_meds = 0
        self._floor = np.full(2 * n_channels, np.inf)  # lowest sustained (det, rms) levels
        self._confirmed_at = np.inf  # pfm detection floor when the level was confirmed
        self._cur: list[np.ndarray] = []
        self._cur_second: int | None = None
        self._marked = False
        self._marked_values: list[np.ndarray] = []
        self._auto_done = False
        self._samples_seen = 0  # since stream start, for the auto period

    def reset(self) -> None:
        self.__init__(self.fs, self.n_channels, self.config)  # type: ignore[misc]

    @property
    def marked(self) -> bool:
        return self._marked

    def mark(self, active: bool) -> None:
        if active and not self._marked:
            self._marked_values = []
        if not active and self._marked:
            self._update_from_marked(final=True)
        self._marked = active

    @property
    def may_change(self) -> bool:
        """False once the automatic period is over and no rest is marked."""
        return self._marked or not self._auto_done

    def feed(self, first_index: int, det: np.ndarray, rms: np.ndarray, valid_from: int) -> bool:
        """Feed envelopes for samples ``first_index..``; samples before absolute index
        ``valid_from`` (filter settling after a start or gap) are ignored. Callers split
        blocks at whole seconds and call :meth:`end_second` there (see ``LiveProcessor``)."""
        n = len(det)
        self._samples_seen += n
        if self._auto_done and not self._marked:
            return False
        # decimate at absolute indices that are multiples of hop (strided views, no copies)
        off = (-first_index) % self.hop
        if first_index + off < valid_from:
            off += -(-(valid_from - first_index - off) // self.hop) * self.hop
        if off < n:
            vals = np.hstack([det[off::self.hop], rms[off::self.hop]])  # (k, 2*n_ch)
            self._cur.append(vals)
            if self._marked:
                self._marked_values.append(vals)
        return False

    @property
    def has_partial(self) -> bool:
        return bool(self._cur)

    def end_second(self) -> bool:
        """Close the current second: update the automatic or marked baseline."""
        vals = np.concatenate(self._cur, axis=0) if self._cur else np.zeros((0, 0))
        self._cur = []
        changed = False
        if self._marked:
            changed = self._update_from_marked(final=False)
        elif self.baseline is None or self.baseline.source == "auto":
            if not self._auto_done and len(vals) >= 0.5 * self.fs / self.hop:
                self._add_second(vals)
                changed = self._update_auto()
            seen_s = self._samples_seen / self.fs
            confirmed = self.baseline is not None and not self.baseline.provisional
            if seen_s >= self.config.auto_s and (confirmed or seen_s >= self.config.max_track_s):
                self._auto_done = True
                self._vals = np.empty((0, 2 * self.n_channels))
                self._row_second = np.empty(0, dtype=np.int64)
                self._n_rows = 0
                self._meds = np.empty((0, 2 * self.n_channels))
                self._n_meds = 0
        return changed

    def _add_second(self, vals: np.ndarray) -> None:
        k, r = len(vals), self._n_rows
        if r + k > len(self._vals):  # grow geometrically: one copy now and then
            cap = max(2 * len(self._vals), r + k, 64)
            grown = np.empty((cap, vals.shape[1]))
            grown[:r] = self._vals[:r]
            rows = np.empty(cap, dtype=np.int64)
            rows[:r] = self._row_second[:r]
            self._vals, self._row_second = grown, rows
        self._vals[r:r + k] = vals
        self._row_second[r:r + k] = s = self._n_meds
        self._n_rows = r + k
        if s == len(self._meds):
            grown = np.empty((max(2 * s, 64), vals.shape[1]))
            grown[:s] = self._meds
            self._meds = grown
        column_medians(vals, self._meds[s])
        self._n_meds = s + 1

    def _update_auto(self) -> bool:
        c = self.n_channels
        cfg = self.config
        meds = self._meds[:self._n_meds]  # (seconds, 2 * channels): det, then rms medians
        # a sustained level: the median of the last k seconds (of all seconds at the start,
        # so a recording that opens with one quiet second still finds its rest)
        k = max(1, cfg.sustain_s)
        sustained = np.empty(meds.shape[1])
        column_medians(meds[-k:], sustained)
        self._floor = np.minimum(self._floor, sustained)
        floor = self._floor
        # each channel pools its own seconds: a strain is rest for the pelvic floor, not for
        # the abdominal channel
        tol = 1.0 + cfg.pool_tolerance
        keep = meds[:, :c] <= floor[:c] * tol
        med, spread = np.empty(2 * c), np.empty(2 * c)
        n_pfm = pooled_robust_stats(self._vals[: self._n_rows], self._row_second[: self._n_rows],
                                    keep, MAD_TO_SD, med, spread)
        det_mean, mean, det_sd, sd = med[:c], med[c:], spread[:c], spread[c:]
        provisional = not self._confirm(meds[:, 0], float(floor[0]), 1.0 + cfg.floor_tolerance)
        self._store(mean, sd, det_mean, det_sd, n_pfm, "auto", provisional, float(floor[c]))
        return True

    def _confirm(self, pfm_meds: np.ndarray, floor: float, tol: float) -> bool:
        """Is the pelvic-floor level at the floor a resting level we can trust?

        Yes once the person has sat at the floor for ``confirm_stable_s`` and has also been
        clearly above it (a contraction from it or a release to it), or after a long quiet
        stretch; it stays confirmed unless a lower
        sustained level appears (then the new floor must be confirmed again).
        """
        cfg = self.config
        if floor * tol >= self._confirmed_at:  # confirmed before, at (about) this floor
            return True
        # the runs of seconds at the floor: the last one (0 if not at the floor now), the
        # longest; and whether any second was clearly above it
        trailing, longest, risen = floor_runs(pfm_meds, floor * tol, cfg.confirm_rise * floor)
        if trailing >= cfg.confirm_quiet_s or (risen and longest >= cfg.confirm_stable_s):
            self._confirmed_at = floor
            return True
        return False

    def _update_from_marked(self, final: bool) -> bool:
        if not self._marked_values:
            return False
        vals = np.concatenate(self._marked_values, axis=0)
        if len(vals) * self.hop < self.config.min_rest_s * self.fs:
            return False
        self._set(vals, "marked")
        return True

    def _set(self, vals: np.ndarray, source: str) -> None:
        c = self.n_channels
        med, sd = robust_stats(vals)
        self._store(med[c:], sd[c:], med[:c], sd[:c], len(vals), source)

    def _store(self, mean: np.ndarray, sd: np.ndarray, det_mean: np.ndarray,
               det_sd: np.ndarray, n_values: int, source: str, provisional: bool = False,
               floor: float = float("nan")) -> None:
        frac = self.config.min_sd_fraction
        self.baseline = Baseline(
            mean=mean, sd=np.maximum(np.maximum(sd, frac * mean), 1e-12),
            det_mean=det_mean, det_sd=np.maximum(np.maximum(det_sd, frac * det_mean), 1e-12),
            seconds=n_values * self.hop / self.fs, source=source, provisional=provisional,
            floor=float(mean[0]) if source == "marked" else floor,
        )
