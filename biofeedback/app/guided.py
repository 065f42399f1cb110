"""A guided session on top of the live session: the runner, fed from the live data.

:class:`GuidedSession` reads the display-rate envelope and meter states the live session
already computes (the one feedback model), feeds them to the pure
:class:`~biofeedback.sessions.runner.SessionRunner`, and turns its steps into actions on the
live session: every step becomes an annotation in the recording (``protocol:<label>``, onset
and duration), ratings become ``rating:<scale>=<value>``, a ``sets_baseline`` rest is the
marked rest, and a step's ``line_factor`` puts the "relax below" line at the person's
baseline × factor for that step (tightened by ``shaping`` after successful sessions,
clinical.md §5: "line = μ_B·0.9, tightened 5 % after 2 successful sessions").

Call :meth:`GuidedSession.update` from the same loop that polls the live session (the window's
timer, the CLI's loop), passing the events it polled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from biofeedback.app.live_session import LiveSession
from biofeedback.app.live_types import ContractionFinished, SessionError
from biofeedback.formats import vocabulary
from biofeedback.sessions.protocol import Protocol, Step
from biofeedback.sessions.results import SessionResult
from biofeedback.sessions.runner import (
    RunnerEvent,
    RunnerState,
    Samples,
    SessionEnded,
    SessionRunner,
    StepEnded,
    StepStarted,
)

DISPLAY_FS = 100.0


@dataclass(frozen=True)
class StepView:
    """What a runner view shows now."""

    index: int
    count: int
    label: str
    instruction: str
    kind: str
    elapsed_s: float
    remaining_s: float | None
    waiting: bool  # a rating or "Next" is awaited
    paused: bool
    step: Step


class GuidedSession:
    """Runs ``protocol`` on ``live`` (already streaming); see the module docstring."""

    def __init__(self, live: LiveSession, protocol: Protocol, *, shaping: float = 1.0) -> None:
        if not live.running:
            raise SessionError("start streaming first, then start the session")
        self.live = live
        self.protocol = protocol
        self.shaping = shaping
        self.runner = SessionRunner(protocol, DISPLAY_FS)
        self._index = 0
        self._line_before: float | None = None
        self._line_set = False
        self._marking = False
        self.result: SessionResult | None = None

    def start(self, first_index: int | None = None) -> list[RunnerEvent]:
        """Begin now (or at display index ``first_index``, e.g. 0 for a file or ``--fast``)."""
        engine = self.live.engine
        assert engine is not None
        self._index = engine.envelope.end_index if first_index is None else first_index
        events = self.runner.start(self._index)
        self._act(events)
        return events

    def update(self, live_events: Sequence[object] = ()) -> list[RunnerEvent]:
        """Feed what arrived since the last call; returns the runner's events."""
        if self.runner.finished:
            return []
        contractions = [e.event for e in live_events if isinstance(e, ContractionFinished)]
        contractions += self.live.contractions()  # recovery found later updates an event
        first, env, codes = self.live.display_since(self._index)
        st = self.live.snapshot().status
        base = st.baseline_mean_uv if st is not None else math.nan
        events = self.runner.tick(Samples(first, DISPLAY_FS, env, codes, base), contractions)
        self._index = first + len(env)
        self._act(events)
        return events

    def answer(self, value: float | None) -> list[RunnerEvent]:
        step = self.runner.step
        events = self.runner.answer(value)
        if step is not None and step.rating is not None and value is not None:
            self.live.annotate(self.runner.now_s, 0.0,
                               vocabulary.rating(step.rating.scale, _fmt(value)))
        self._act(events)
        return events

    def pause(self) -> None:
        self.runner.pause()

    def resume(self) -> None:
        self.runner.resume()

    def stop(self, reason: str = "stopped") -> list[RunnerEvent]:
        """End the session now; the recording goes on until the live session stops.
        ``reason="pain"``: the "Stop, I'm in pain" button (noted in the recording)."""
        if reason == "pain":
            self.live.annotate(self.runner.now_s, 0.0, "note:stopped: pain")
        events = self.runner.stop(reason)
        self._act(events)
        return events

    @property
    def finished(self) -> bool:
        return self.runner.finished

    def view(self) -> StepView | None:
        r = self.runner
        st = r.step
        if st is None or r.finished:
            return None
        return StepView(r.index, len(self.protocol.steps), st.label, st.instruction,
                        st.kind.value, r.elapsed_s, r.remaining_s,
                        r.state is RunnerState.WAITING, r.state is RunnerState.PAUSED, st)

    # -- actions on the live session -----------------------------------------------------
    def _act(self, events: Sequence[RunnerEvent]) -> None:
        for ev in events:
            if isinstance(ev, StepStarted):
                self._on_start(ev.step)
            elif isinstance(ev, StepEnded):
                self._on_end(ev)
            elif isinstance(ev, SessionEnded):
                self.result = ev.result

    def _on_start(self, step: Step) -> None:
        if step.sets_baseline:
            self.live.mark_rest(True)
            self._marking = True
        factor = step.target.line_factor
        st = self.live.snapshot().status
        if factor is not None and st is not None and math.isfinite(st.baseline_mean_uv):
            self._line_before = st.threshold_uv if self.live.line_is_manual else None
            self.live.set_line(st.baseline_mean_uv * factor * self.shaping)
            self._line_set = True

    def _on_end(self, ev: StepEnded) -> None:
        res = ev.result
        self.live.annotate(res.start_s, res.duration_s, vocabulary.protocol_step(res.name))
        if self._marking:
            self.live.mark_rest(False)
            self._marking = False
        if self._line_set:
            self.live.set_line(self._line_before)
            self._line_set = False


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


__all__ = ["GuidedSession", "StepView"]
