"""The session runner: a pure state machine that walks a protocol's steps on the sample clock.

It is advanced by :meth:`SessionRunner.tick` with batches of display-rate samples (envelope
and meter states at 100 Hz, with the absolute index of the first) and the contractions the
detector found, so a 20-minute protocol is tested in milliseconds with scripted signals. Time
is the sample clock: when the signal stops, the session waits (it never runs on without
data). No Qt, no clocks, no devices: the live layer (``app/guided.py``) feeds it and turns its
events into annotations, line changes and the marked rest.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from biofeedback.sessions.measures import StepMeter
from biofeedback.sessions.protocol import Protocol, Step, StepKind
from biofeedback.sessions.results import SessionResult, StepResult
from biofeedback.sessions.summary import summarize
from biofeedback.signal import ContractionEvent, FeedbackState


class RunnerState(enum.StrEnum):
    READY = "ready"
    RUNNING = "running"
    WAITING = "waiting"  # a rating (or an untimed instruction) waits for the person
    PAUSED = "paused"
    FINISHED = "finished"


@dataclass(frozen=True)
class Samples:
    """Display-rate samples on the sample clock: index ``first_index`` at ``fs`` Hz."""

    first_index: int
    fs: float
    envelope: np.ndarray  # (n,) µV RMS, pelvic floor
    feedback: np.ndarray  # (n,) FeedbackState codes
    baseline_uv: float = math.nan  # the resting level in force (for end-level ratios)


@dataclass(frozen=True)
class StepStarted:
    index: int
    step: Step
    t_s: float


@dataclass(frozen=True)
class StepEnded:
    index: int
    step: Step
    result: StepResult


@dataclass(frozen=True)
class SessionEnded:
    result: SessionResult


RunnerEvent = StepStarted | StepEnded | SessionEnded


class SessionRunner:
    """Walks ``protocol``; see the module docstring."""

    def __init__(self, protocol: Protocol, fs: float = 100.0) -> None:
        self.protocol = protocol
        self.fs = float(fs)
        self.state = RunnerState.READY
        self.index = -1
        self.results: list[StepResult] = []
        self._meter: StepMeter | None = None
        self._cursor = 0  # next display index the current step expects
        self._step_start = 0
        self._contractions: dict[int, ContractionEvent] = {}
        self._baseline = math.nan
        self._paused_from: RunnerState | None = None
        self.ended = ""
        self.answers: dict[int, float | None] = {}

    # -- what the views show -------------------------------------------------------------
    @property
    def step(self) -> Step | None:
        if 0 <= self.index < len(self.protocol.steps):
            return self.protocol.steps[self.index]
        return None

    @property
    def elapsed_s(self) -> float:
        return self._meter.elapsed_s if self._meter is not None else 0.0

    @property
    def remaining_s(self) -> float | None:
        st = self.step
        planned = st.planned_s if st is not None else None
        return None if planned is None else max(0.0, planned - self.elapsed_s)

    @property
    def relaxed_run_s(self) -> float:
        return self._meter.relaxed_run_s if self._meter is not None else 0.0

    @property
    def now_s(self) -> float:
        return self._cursor / self.fs

    @property
    def cursor(self) -> int:
        """The next display index the runner expects."""
        return self._cursor

    @property
    def finished(self) -> bool:
        return self.state is RunnerState.FINISHED

    def horizon(self) -> int | None:
        """The earliest display index at which the running step can end on its samples (its
        duration, or its condition if every sample from now on meets it); ``None`` when no
        sample can end it (an answer, a resume or a stop will).

        A live layer that changes the processing at step boundaries (the marked rest, the
        line) lets the signal core run up to here and no further before the runner has seen
        the samples, so the change falls on the boundary's sample however they are delivered.
        """
        st, m = self.step, self._meter
        if self.state is not RunnerState.RUNNING or st is None or m is None:
            return None
        if st.duration_s is not None:
            return self._cursor + max(0, int(round(st.duration_s * self.fs)) - m.n)
        if st.until is not None:
            need = int(round(st.until.relaxed_s * self.fs)) - m.relaxed_run
            left = int(round(st.until.timeout_s * self.fs)) - m.n
            return self._cursor + max(0, min(need, left))
        return None

    # -- driving -------------------------------------------------------------------------
    def start(self, first_index: int = 0) -> list[RunnerEvent]:
        """Begin with the first step at display index ``first_index``."""
        if self.state is not RunnerState.READY:
            raise RuntimeError("the session has already started")
        self._cursor = first_index
        return self._begin(0)

    def tick(self, samples: Samples,
             contractions: Sequence[ContractionEvent] = ()) -> list[RunnerEvent]:
        """Feed new samples (in order; already-seen indices are skipped) and contractions."""
        for ev in contractions:
            self._contractions[ev.id] = ev
        if math.isfinite(samples.baseline_uv):
            self._baseline = samples.baseline_uv
        out: list[RunnerEvent] = []
        env, codes, first = samples.envelope, samples.feedback, samples.first_index
        if first > self._cursor and self.state in (RunnerState.RUNNING, RunnerState.WAITING):
            # samples that never reached us (a gap, or a view that fell behind): time went on;
            # they count as "no signal", so steps stay on the sample clock
            gap = first - self._cursor
            env = np.concatenate([np.full(gap, np.nan), env])
            codes = np.concatenate([np.zeros(gap, dtype=np.uint8), np.asarray(codes)])
            first = self._cursor
        pos = max(0, self._cursor - first)
        while pos < len(env) and self.state in (RunnerState.RUNNING, RunnerState.WAITING,
                                                RunnerState.PAUSED):
            if self.state is RunnerState.PAUSED:  # paused time is not practice time
                self._cursor = first + len(env)
                break
            meter = self._meter
            assert meter is not None
            take = len(env) - pos
            st = self.step
            assert st is not None
            if self.state is RunnerState.RUNNING and st.duration_s is not None:
                left = int(round(st.duration_s * self.fs)) - meter.n
                take = min(take, max(left, 0))
            if self.state is RunnerState.RUNNING and st.until is not None:
                take = min(take, self._until_take(st, env[pos:], codes[pos:]))
            meter.add(env[pos:pos + take], codes[pos:pos + take])
            pos += take
            self._cursor = first + pos
            if self.state is RunnerState.RUNNING and self._step_done(st, meter):
                out += self._end_step(completed=self._condition_met(st, meter))
        return out

    def answer(self, value: float | None) -> list[RunnerEvent]:
        """The person's rating for the waiting step (``None``: skipped), or "Next"."""
        st = self.step
        if self.state is not RunnerState.WAITING or st is None:
            raise RuntimeError("no step is waiting for an answer")
        r = st.rating
        if value is not None and r is not None and not (math.isfinite(value)
                                                        and r.low <= value <= r.high):
            raise ValueError(f"{r.scale} is rated from {r.low} to {r.high}, got {value}")
        self.answers[self.index] = value
        return self._end_step(completed=value is not None or st.kind is StepKind.INSTRUCTION)

    def pause(self) -> None:
        if self.state in (RunnerState.RUNNING, RunnerState.WAITING):
            self._paused_from, self.state = self.state, RunnerState.PAUSED

    def resume(self) -> None:
        if self.state is RunnerState.PAUSED:
            self.state = self._paused_from or RunnerState.RUNNING

    def stop(self, reason: str = "stopped") -> list[RunnerEvent]:
        """End now (``reason``: "stopped", "pain"...); the current step is kept as not
        completed. Stopping never loses what was measured."""
        if self.state in (RunnerState.READY, RunnerState.FINISHED):
            self.state = RunnerState.FINISHED
            self.ended = self.ended or reason
            return []
        out = self._end_step(completed=False, advance=False)
        self.ended = reason
        return out + self._finish()

    # -- internals -----------------------------------------------------------------------
    def _begin(self, index: int) -> list[RunnerEvent]:
        if index >= len(self.protocol.steps):
            self.ended = self.ended or "finished"
            return self._finish()
        self.index = index
        st = self.protocol.steps[index]
        self._step_start = self._cursor
        self._meter = StepMeter(st, self.fs, self._cursor)
        waits = st.kind is StepKind.RATING or (st.kind is StepKind.INSTRUCTION
                                                and st.duration_s is None)
        self.state = RunnerState.WAITING if waits else RunnerState.RUNNING
        return [StepStarted(index, st, self._cursor / self.fs)]

    def _until_take(self, st: Step, env: np.ndarray, codes: np.ndarray) -> int:
        """How many of these samples belong to a step that ends on a condition."""
        assert st.until is not None and self._meter is not None
        m = self._meter
        limit = int(round(st.until.timeout_s * self.fs)) - m.n
        need = int(round(st.until.relaxed_s * self.fs))
        relaxed = np.asarray(codes) == int(FeedbackState.RELAXED)
        idx = np.arange(len(relaxed))
        last_not = np.maximum.accumulate(np.where(relaxed, -1 - m.relaxed_run, idx))
        run = idx - last_not
        hit = np.flatnonzero(run >= need)
        upto = int(hit[0]) + 1 if len(hit) else len(env)
        return max(0, min(upto, limit))

    def _step_done(self, st: Step, m: StepMeter) -> bool:
        if st.duration_s is not None:
            return m.n >= int(round(st.duration_s * self.fs))
        if st.until is not None:
            return (m.relaxed_run >= int(round(st.until.relaxed_s * self.fs))
                    or m.n >= int(round(st.until.timeout_s * self.fs)))
        return False

    def _condition_met(self, st: Step, m: StepMeter) -> bool:
        if st.until is None:
            return True
        return m.relaxed_run >= int(round(st.until.relaxed_s * self.fs))

    def _end_step(self, completed: bool, advance: bool = True) -> list[RunnerEvent]:
        st, m = self.step, self._meter
        if st is None or m is None:
            return []
        res = StepResult(self.index, st.label, st.name, st.group, st.kind.value,
                         self._step_start / self.fs, self._cursor / self.fs, completed,
                         self._measure(st, m))
        self.results.append(res)
        out: list[RunnerEvent] = [StepEnded(self.index, st, res)]
        self._meter = None
        if advance:
            out += self._begin(self.index + 1)
        return out

    def _measure(self, st: Step, m: StepMeter) -> dict[str, float | int | None]:
        if st.kind is StepKind.RATING:
            return {"rating": self.answers.get(self.index)}
        if not st.measure:
            return {}
        every = m.results(self._baseline, list(self._contractions.values()), self._cursor)
        return {k: every[k] for k in st.measure if k in every}

    def _finish(self) -> list[RunnerEvent]:
        self.state = RunnerState.FINISHED
        self._refresh_contraction_measures()
        return [SessionEnded(self.result())]

    def _refresh_contraction_measures(self) -> None:
        """Recovery latencies become known after a step ends: update the stored results."""
        keys = ("contractions", "contraction_peak_uv", "rise_time_s", "recovery_latency_s")
        evs = list(self._contractions.values())
        for i, res in enumerate(self.results):
            st = self.protocol.steps[res.index]
            wanted = [k for k in keys if k in st.measure]
            if not wanted:
                continue
            m = StepMeter(st, self.fs, int(round(res.start_s * self.fs)))
            fresh = m.results(self._baseline, evs, int(round(self.results[i].end_s * self.fs)))
            for k in wanted:
                res.results[k] = fresh[k]

    def result(self) -> SessionResult:
        return SessionResult(self.protocol.name, self.protocol.title, list(self.results),
                             summarize(self.protocol, self.results, self._baseline),
                             self.ended or ("finished" if self.finished else "running"))


__all__ = ["RunnerEvent", "RunnerState", "Samples", "SessionEnded", "SessionRunner",
           "StepEnded", "StepStarted"]
