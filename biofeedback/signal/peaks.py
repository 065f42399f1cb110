"""The person's contraction level: the largest display envelope of each contraction.

A stage of :class:`~biofeedback.signal.live.LiveProcessor`: the meter scales to the mean
peak of the last contractions (:meth:`MeterStage.add_peak`), so each finished contraction's
peak must reach the meter at the sample its end was confirmed at, whatever the cut into
blocks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from biofeedback.signal.detection import ContractionEvent
from biofeedback.signal.kernels import masked_max


class ContractionPeaks:
    """Folds the display envelope of "active" samples into the running contraction's peak
    and hands it over when the detector reports the contraction finished."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.level = 0.0  # the largest active display envelope since the last finished one
        self.finished = 0  # id of the last contraction whose peak was handed over

    def track(self, events: list[ContractionEvent], env0: np.ndarray, act: np.ndarray,
              a: int, give: Callable[[float], None]) -> list[tuple[int, Callable[[], None]]]:
        """``env0``/``act``: a piece's display envelope and "active" flags from absolute
        index ``a``; the active samples up to a contraction's confirmed end are its own,
        those after it belong to the next one. Returns, per finished contraction, the sample
        its end was confirmed at and the call of ``give`` (its peak) to make from the next
        sample on (the caller makes them in order)."""
        out: list[tuple[int, Callable[[], None]]] = []
        start = 0
        for ev in events:
            if ev.complete and ev.id > self.finished:
                self.finished = ev.id
                c = ev.confirmed_index
                stop = len(act) if c is None else min(max(c + 1 - a, start), len(act))
                self._fold(env0[start:stop], act[start:stop])
                start = stop
                peak, self.level = self.level, 0.0
                if peak > 0:
                    at = c if c is not None else -1
                    out.append((at, lambda p=peak: give(p)))
        self._fold(env0[start:], act[start:])
        return out

    def _fold(self, env0: np.ndarray, act: np.ndarray) -> None:
        if len(act):
            self.level = float(masked_max(env0, act, self.level))


__all__ = ["ContractionPeaks"]
