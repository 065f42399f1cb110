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

The runner is on the sample clock, and so are its actions on the processing: the session holds
the signal core at the runner's :meth:`~SessionRunner.horizon` (the first sample at which the
step could end), so the marked rest and the line change exactly at a step's boundary, however
the samples are delivered and however late the loop polls; a live run and a re-scoring of its
recording then find the same steps. A source that can wait (a file, a simulation as fast as
possible) waits there for the loop; a real-time one at most :data:`REALTIME_HOLD_S` (a poll
later than that changes the processing a little late, as before). Start the live session with
``hold_at=0`` for a session from the first sample (``biofeedback session run --fast``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from biofeedback.app.live_session import LiveSession
from biofeedback.app.live_types import ContractionFinished, SessionError
from biofeedback.formats import vocabulary
from biofeedback.sessions.protocol import Pacer, Protocol, Step
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
from biofeedback.signal.breathing import (
    Breath,
    BreathDetector,
    score_breaths,
    summarize_breathing,
)

DISPLAY_FS = 100.0
REALTIME_HOLD_S = 0.1  # a real-time source waits at most this for the loop at a step boundary


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
        self._breathing = _BreathingTrack(live)

    def start(self, first_index: int | None = None) -> list[RunnerEvent]:
        """Begin now (or at display index ``first_index``, e.g. 0 for a file or ``--fast``)."""
        engine = self.live.engine
        assert engine is not None
        self._index = engine.envelope.end_index if first_index is None else first_index
        self._breathing.start(self._index / DISPLAY_FS)
        events = self.runner.start(self._index)
        self._act(events)
        self._hold()
        return events

    def update(self, live_events: Sequence[object] = ()) -> list[RunnerEvent]:
        """Feed what the last :meth:`LiveSession.poll` covered (``live_events`` are what it
        returned); returns the runner's events."""
        if self.runner.finished:
            return []
        contractions = [e.event for e in live_events if isinstance(e, ContractionFinished)]
        contractions += self.live.contractions()  # recovery found later updates an event
        # only samples whose contractions that poll saw; at a step's end the engine waits
        # at the hold, so the status read next is the one at that sample
        first, env, codes = self.live.display_since(self._index, self.live.polled_display_end)
        self._breathing.feed(first, env)
        st = self.live.snapshot().status
        base = st.baseline_mean_uv if st is not None else math.nan
        events = self.runner.tick(Samples(first, DISPLAY_FS, env, codes, base), contractions)
        self._index = first + len(env)
        self._act(events)
        self._hold()
        return events

    def answer(self, value: float | None) -> list[RunnerEvent]:
        step = self.runner.step
        events = self.runner.answer(value)
        if step is not None and step.rating is not None and value is not None:
            self.live.annotate(self.runner.now_s, 0.0,
                               vocabulary.rating(step.rating.scale, _fmt(value)))
        self._act(events)
        self._hold()
        return events

    def pause(self) -> None:
        self.runner.pause()
        self._hold()

    def resume(self) -> None:
        self.runner.resume()
        self._hold()

    def stop(self, reason: str = "stopped") -> list[RunnerEvent]:
        """End the session now; the recording goes on until the live session stops.
        ``reason="pain"``: the "Stop, I'm in pain" button (noted in the recording)."""
        if reason == "pain":
            self.live.annotate(self.runner.now_s, 0.0, "note:stopped: pain")
        events = self.runner.stop(reason)
        self._act(events)
        self._hold()
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
    def _hold(self) -> None:
        """Let the signal core run only as far as the runner allows (module docstring)."""
        engine = self.live.engine
        if engine is None:
            return
        r = self.runner
        if r.finished:
            engine.hold_at(None)
            return
        horizon = r.horizon()
        if self.live.paced:  # a person answers or resumes in real time: never wait for that
            engine.hold_at(horizon, timeout_s=REALTIME_HOLD_S)
            return
        # waiting for an answer or paused: no time passes; and never so far ahead that the
        # ring buffers drop samples the runner has not read
        lead = r.cursor + engine.envelope.capacity // 2
        if r.state in (RunnerState.WAITING, RunnerState.PAUSED):
            engine.hold_at(r.cursor)
        else:
            engine.hold_at(lead if horizon is None else min(lead, horizon))

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
        if "breathing" in ev.step.measure:
            line = self.live.snapshot().status
            res.results.update(self._breathing.score(
                res.start_s, res.end_s, ev.step.pacer,
                line.threshold_uv if line is not None else None))
        self.live.annotate(res.start_s, res.duration_s, vocabulary.protocol_step(res.name))
        if self._marking:
            self.live.mark_rest(False)
            self._marking = False
        if self._line_set:
            self.live.set_line(self._line_before)
            self._line_set = False


class _BreathingTrack:
    """Breaths from the pressure channel's respiratory swing, and the envelope to score them
    against, for the breathing steps (``signal/breathing.py``, clinical.md §5)."""

    KEEP_S = 600.0  # the envelope kept for scoring (the longest breathing step is minutes)

    def __init__(self, live: LiveSession) -> None:
        self.live = live
        engine = live.engine
        self.fs = engine.pressure_fs if engine is not None else None
        self.detector = BreathDetector(self.fs) if self.fs else None
        self.breaths: list[Breath] = []
        self._p_index = 0
        self._env_t: list[np.ndarray] = []
        self._env: list[np.ndarray] = []

    def start(self, t_s: float) -> None:
        if self.fs:
            self._p_index = int(round(t_s * self.fs))

    def feed(self, first: int, env: np.ndarray) -> None:
        if self.detector is None:
            return
        p0, x = self.live.pressure_since(self._p_index)
        if len(x):
            self.breaths += self.detector.process(x, p0)
            self._p_index = p0 + len(x)
        if len(env):
            self._env_t.append((first + np.arange(len(env))) / DISPLAY_FS)
            self._env.append(np.asarray(env, dtype=float))
            while self._env_t and self._env_t[-1][-1] - self._env_t[0][0] > self.KEEP_S:
                self._env_t.pop(0)
                self._env.pop(0)

    def score(self, start_s: float, end_s: float, pacer: Pacer | None,
              line_uv: float | None) -> dict[str, float | int | None]:
        """``breathing_*`` results for the step between ``start_s`` and ``end_s``."""
        if self.detector is None:
            return {"breathing_breaths": 0}
        mine = [b for b in self.breaths if b.start_s >= start_s and b.end_s <= end_s]
        t = np.concatenate(self._env_t) if self._env_t else np.zeros(0)
        e = np.concatenate(self._env) if self._env else np.zeros(0)
        summary = summarize_breathing(mine, score_breaths(mine, t, e, line_uv),
                                      pacer.rate_per_min if pacer is not None else None)
        d = summary.to_json_dict()
        share = d.get("release_share")
        return {"breathing_breaths": d["n_breaths"],
                "breathing_per_min": d["breaths_per_min"],
                "breathing_inhale_s": d["inhale_s"], "breathing_exhale_s": d["exhale_s"],
                "breathing_ie_ratio": d["ie_ratio"],
                "breathing_released_on_inbreath_percent":
                    None if share is None else 100.0 * float(share),
                "breathing_pacer_deviation_per_min": d["pacer_deviation_per_min"]}


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


__all__ = ["GuidedSession", "StepView"]
