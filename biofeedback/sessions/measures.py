"""Per-step measurements, from the display-rate envelope and the meter's states (100 Hz).

Everything is computed from what the person saw (the feedback states of the one feedback
model) and the 250 ms RMS envelope on the sample clock, so a live session and a replay of its
recording give the same numbers. Formulas and sources: ``docs/sessions.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from biofeedback.sessions.protocol import Step, StepKind
from biofeedback.signal import ContractionEvent, FeedbackState

REST_SKIP_S = 1.0  # clinical.md §2: exclude the first 1 s after each cue for rest segments [D]
LATENCY_HOLD_S = 1.0  # clinical.md §3: relaxation latency = first relaxed entry held >= 1 s
END_WINDOW_S = 3.0  # the end level is the mean of the step's last 3 s [D]
_RELAXED = int(FeedbackState.RELAXED)
_STRAIN = int(FeedbackState.BEARING_DOWN)


class StepMeter:
    """Collects one step's samples; :meth:`results` gives the step's measurements."""

    def __init__(self, step: Step, fs: float, start_index: int) -> None:
        self.step = step
        self.fs = fs
        self.start_index = start_index
        self._env: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []
        self.n = 0
        self.relaxed_run = 0  # samples relaxed in a row at the end (completion conditions)

    @property
    def elapsed_s(self) -> float:
        return self.n / self.fs

    @property
    def relaxed_run_s(self) -> float:
        return self.relaxed_run / self.fs

    def add(self, env: np.ndarray, codes: np.ndarray) -> None:
        if not len(env):
            return
        self._env.append(np.asarray(env, dtype=float))
        c = np.asarray(codes)
        self._codes.append(c)
        self.n += len(env)
        not_relaxed = np.flatnonzero(c != _RELAXED)
        self.relaxed_run = (self.relaxed_run + len(c) if not len(not_relaxed)
                            else len(c) - 1 - int(not_relaxed[-1]))

    def _anchor(self, ev: ContractionEvent, fs: float) -> int:
        """Which step a contraction belongs to, as a display index: an effort step owns the
        contractions that peak in it, a release step those that end in it (its recovery)."""
        if self.step.kind in (StepKind.RELAX, StepKind.REST):
            t = ev.offset_s if ev.offset_s is not None else math.inf
        else:
            t = ev.onset_s + ev.time_to_peak_s
        return int(math.floor(t * fs + 1e-9)) if math.isfinite(t) else -1

    def results(self, baseline_uv: float, contractions: Sequence[ContractionEvent],
                end_index: int) -> dict[str, float | int | None]:
        """Every measurement (the runner keeps those the step asks for)."""
        env = np.concatenate(self._env) if self._env else np.zeros(0)
        codes = np.concatenate(self._codes) if self._codes else np.zeros(0, dtype=np.uint8)
        fs = self.fs
        skip = int(REST_SKIP_S * fs) if self.step.kind is StepKind.REST and len(env) > 2 * fs \
            else 0
        e = env[skip:]
        e = e[np.isfinite(e)]
        out: dict[str, float | int | None] = {}
        mean = float(np.mean(e)) if len(e) else None
        sd = float(np.std(e)) if len(e) else None
        out["mean_uv"] = mean
        out["sd_uv"] = sd
        out["cv_percent"] = 100.0 * sd / mean if mean and sd is not None else None
        out["peak_uv"] = float(np.max(e)) if len(e) else None
        relaxed = codes == _RELAXED
        out["percent_below_line"] = 100.0 * float(relaxed.mean()) if len(codes) else None
        out["longest_below_s"] = _longest_run(relaxed) / fs
        out["relaxation_latency_s"] = _latency(relaxed, int(LATENCY_HOLD_S * fs), fs)
        tail = env[-int(END_WINDOW_S * fs):]
        tail = tail[np.isfinite(tail)]
        ok = len(tail) and math.isfinite(baseline_uv) and baseline_uv > 0
        out["end_level_ratio"] = float(np.mean(tail)) / baseline_uv if ok else None
        out["strain_s"] = float(np.count_nonzero(codes == _STRAIN)) / fs
        mine = [ev for ev in contractions
                if self.start_index <= self._anchor(ev, fs) < end_index]
        out["contractions"] = len(mine)
        out["contraction_peak_uv"] = max((ev.peak_uv for ev in mine), default=None)
        rises = [ev.time_to_peak_s for ev in mine]
        out["rise_time_s"] = float(np.mean(rises)) if rises else None
        recs = [ev.recovery_latency_s for ev in mine if ev.recovery_latency_s is not None]
        out["recovery_latency_s"] = float(np.mean(recs)) if recs else None
        return out




def _longest_run(mask: np.ndarray) -> int:
    if not mask.any():
        return 0
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return int((edges[1::2] - edges[::2]).max())


def _latency(relaxed: np.ndarray, hold: int, fs: float) -> float | None:
    """Seconds from the step's start to the first entry into "relaxed" that is held."""
    if not relaxed.any():
        return None
    edges = np.flatnonzero(np.diff(np.r_[0, relaxed.astype(np.int8), 0]))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b - a >= hold or b == len(relaxed):
            return float(a) / fs
    return None


__all__ = ["StepMeter"]
