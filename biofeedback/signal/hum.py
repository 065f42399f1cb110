"""The mains-hum stage: from the quality seconds, whether hum is measured and at which
mains frequency, so the notch can be suggested (clinical.md §1: a notch removes real EMG,
so it is off unless hum is measured). The words of the suggestion belong to the app layer
(``biofeedback.app.wording``); this stage only decides."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from biofeedback.signal.quality import QualityFlag, QualitySecond


class HumMonitor:
    """Hum is measured when at least ``hum_seconds`` of the last 5 quality seconds carry the
    HUM flag and no notch is on; derived once per second, not per status call."""

    def __init__(self, hum_seconds: int, notch_on: bool) -> None:
        self.hum_seconds = hum_seconds
        self.notch_on = notch_on
        self.reset()

    def reset(self) -> None:
        self.recent: deque[QualitySecond] = deque(maxlen=5)
        self.last: QualitySecond | None = None
        self.detected = False
        self.hz: float | None = None

    def note(self, seconds: Sequence[QualitySecond]) -> None:
        if not seconds:
            return
        for q in seconds:
            self.recent.append(q)
            self.last = q
        hum = [s for s in self.recent if s.flag & QualityFlag.HUM]
        self.detected = len(hum) >= self.hum_seconds and not self.notch_on
        self.hz = hum[-1].hum_hz if (self.detected and hum) else None

    @property
    def suggest_notch_hz(self) -> float | None:
        """The mains frequency whose notch to suggest, None when nothing to suggest."""
        return self.hz if self.detected and self.hz else None


def recording_hum_hz(quality: Sequence[QualitySecond], hum_seconds: int,
                     notch_on: bool) -> float | None:
    """Over a whole recording: the most frequent mains frequency of the HUM seconds when at
    least ``hum_seconds`` of them (or all seconds, if fewer) carry the flag and no notch is
    on; None otherwise."""
    hum = int(QualityFlag.HUM)
    flagged = [q for q in quality if any(int(f) & hum for f in q.flags)]
    hz = [q.hum_hz for q in flagged if q.hum_hz]
    if not hz or notch_on:
        return None
    n_hum = len(flagged)
    if n_hum < min(hum_seconds, len(quality)):
        return None
    return max(set(hz), key=hz.count)


__all__ = ["HumMonitor", "recording_hum_hz"]
