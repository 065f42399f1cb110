"""The one feedback model: what the meter, its words, the line and (later) the tone say.

The signal core decides the state per sample (:class:`~biofeedback.signal.FeedbackState`,
relaxed exactly when the envelope is below the line the person sees); this module maps a
state and a level to everything a person perceives, in one place, so the meter, the patient
view, the guided-session cues and the tone can never disagree:

* the meter's **scale**: 0 µV at the bottom, the person's contraction level (``scale_top_uv``:
  the mean peak of their last contractions, never closer than 2 × the line) at the top; the
  bar is the envelope on that scale and the **tick is the line**, so a dragged line moves the
  tick, and "below the tick" is "relaxed";
* the **words**, calm and never punitive (clinical.md §5: "no punitive sounds"; §7: supports
  practice, does not diagnose);
* a **colour key** (the UI maps it to Okabe-Ito colours) and a **tone pitch** that falls with
  activity and is silent when relaxed (clinical.md §5: "audio tone whose pitch falls with RMS,
  silent-below-threshold mode").

Plain Python: no Qt, no clocks (times come from the sample clock in the status).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from biofeedback.signal import FeedbackState, ProcessorStatus

#: Headline and the line under it, per state. One place for the wording.
WORDS: dict[FeedbackState, tuple[str, str]] = {
    FeedbackState.NO_SIGNAL: ("No signal", "check that the sensor is connected"),
    FeedbackState.SETTLING: ("Settling in", "learning your resting level: just breathe"),
    FeedbackState.RELAXED: ("Relaxed", "stay soft and keep breathing"),
    FeedbackState.LETTING_GO: ("Letting go", "that's it: keep breathing out slowly"),
    FeedbackState.TIGHT: ("Tight", "breathe out slowly and let it soften"),
    FeedbackState.BEARING_DOWN: ("Pushing down", "no need to push: let your belly go soft"),
}
#: After this long provisional, the settling words ask for a marked rest instead.
ASK_FOR_REST_AFTER_S = 20.0
ASK_FOR_REST = "still learning: lie quietly and press \u201cResting now\u201d"

TONE_LOW_HZ = 220.0  # at the line
TONE_HIGH_HZ = 660.0  # at the contraction level


@dataclass(frozen=True)
class MeterView:
    """Everything a person perceives of the muscle state at one moment."""

    state: FeedbackState
    headline: str
    detail: str
    level: float  # bar height 0..1 on the meter's scale (nan: nothing to show)
    line_level: float  # where the "relax below" tick sits on that scale (nan before known)
    envelope_uv: float
    line_uv: float
    scale_top_uv: float
    relaxed_for_s: float
    percent_mvc: float | None  # envelope as % of the strongest contraction measured
    tone_hz: float | None  # None: silent (relaxed, settling, no signal)

    @property
    def key(self) -> str:
        """The colour/style key for the UI: the state's machine name."""
        return self.state.key

    @property
    def text(self) -> str:
        """Headline and detail in one line (accessible description, logs, tests)."""
        return f"{self.headline}: {self.detail}" if self.detail else self.headline


IDLE_VIEW = MeterView(FeedbackState.NO_SIGNAL, "Not started", "press Start when you are ready",
                      math.nan, math.nan, math.nan, math.nan, math.nan, 0.0, None, None)


class FeedbackModel:
    """Turns processor snapshots into :class:`MeterView` values.

    Stateful only for "how long has the resting level been provisional" (measured on the
    sample clock: ``status.last_index / fs``), so it asks for a marked rest when the automatic
    level cannot be confirmed.
    """

    def __init__(self, fs: float) -> None:
        self.fs = float(fs)
        self._settling_since: float | None = None

    def reset(self) -> None:
        self._settling_since = None

    def view(self, status: ProcessorStatus, *, signal_ok: bool = True,
             no_signal_detail: str = "") -> MeterView:
        """The meter for ``status``; ``signal_ok=False`` (stale link, disconnect) shows
        "No signal" with ``no_signal_detail`` saying what happened."""
        t = (status.last_index + 1) / self.fs if status.last_index >= 0 else 0.0
        state = status.feedback if signal_ok else FeedbackState.NO_SIGNAL
        if status.last_index < 0 and signal_ok:
            state = FeedbackState.SETTLING
        env, line, top = status.envelope_uv, status.threshold_uv, status.scale_top_uv
        headline, detail = WORDS[state]
        if state is FeedbackState.NO_SIGNAL:
            detail = no_signal_detail or detail
            return MeterView(state, headline, detail, math.nan, _ratio(line, top), math.nan,
                             line, top, 0.0, None, None)
        if state is FeedbackState.SETTLING:
            if self._settling_since is None:
                self._settling_since = t
            if status.baseline_provisional and t - self._settling_since >= ASK_FOR_REST_AFTER_S:
                detail = ASK_FOR_REST
        else:
            self._settling_since = None
        relaxed_for = status.relaxed_for_s if state is FeedbackState.RELAXED else 0.0
        if state is FeedbackState.RELAXED and relaxed_for >= 1.0:
            detail = f"for {relaxed_for:.0f} s: stay soft and keep breathing"
        level = _clip(_ratio(env, top))
        pct = None
        if math.isfinite(status.max_uv) and status.max_uv > 0 and math.isfinite(env):
            pct = 100.0 * env / status.max_uv
        return MeterView(state, headline, detail, level, _ratio(line, top), env, line, top,
                         relaxed_for, pct, tone_hz(state, env, line, top))


def tone_hz(state: FeedbackState, env: float, line: float, top: float) -> float | None:
    """Pitch for the feedback tone: falls with activity, silent when relaxed or unsure."""
    if state in (FeedbackState.NO_SIGNAL, FeedbackState.SETTLING, FeedbackState.RELAXED):
        return None
    if not (math.isfinite(env) and math.isfinite(line) and math.isfinite(top) and top > line):
        return None
    x = _clip((env - line) / (top - line))
    return TONE_LOW_HZ + (TONE_HIGH_HZ - TONE_LOW_HZ) * x


def _ratio(a: float, b: float) -> float:
    if not (math.isfinite(a) and math.isfinite(b)) or b <= 0:
        return math.nan
    return a / b


def _clip(x: float) -> float:
    return x if math.isnan(x) else min(max(x, 0.0), 1.0)


__all__ = ["ASK_FOR_REST", "IDLE_VIEW", "WORDS", "FeedbackModel", "MeterView", "tone_hz"]
