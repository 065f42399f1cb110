"""Scripted muscle-state scenarios for the simulated sensor.

A scenario is a list of phases; each phase holds a muscle state for a duration. The text form
used by the CLI and tests is ``"rest:5,contract:3@0.6,rest:10~2"``: ``state:seconds``, an
optional ``@effort`` (fraction of maximum voluntary contraction, 0-1) and an optional
``~tau`` (seconds the muscle takes to let go after this phase: slow relaxation).
"""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("rest", "contract", "strain")


@dataclass(frozen=True)
class Phase:
    """One step of a scenario.

    ``rest``: resting tone. ``contract``: pelvic-floor contraction at ``effort`` x MVC.
    ``strain``: bearing down (Valsalva) — abdominal EMG and vaginal pressure rise, pelvic-floor
    EMG does not. ``release_tau_s`` overrides how slowly activity falls back after this phase.
    """

    state: str
    duration_s: float
    effort: float = 0.0
    release_tau_s: float | None = None

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"unknown state {self.state!r}; allowed: {', '.join(STATES)}")
        if not self.duration_s > 0:
            raise ValueError(f"phase duration must be > 0 s, got {self.duration_s}")
        if not 0.0 <= self.effort <= 1.0:
            raise ValueError(f"effort must be within 0-1, got {self.effort}")


@dataclass(frozen=True)
class Scenario:
    name: str
    phases: tuple[Phase, ...]
    loop: bool = False

    @property
    def duration_s(self) -> float:
        return sum(p.duration_s for p in self.phases)

    def phase_at(self, t: float) -> Phase:
        """Phase active at time ``t`` seconds (wraps when looping; last phase holds after the end)."""
        total = self.duration_s
        if self.loop and total > 0:
            t = t % total
        acc = 0.0
        for p in self.phases:
            acc += p.duration_s
            if t < acc:
                return p
        return self.phases[-1]

    def contraction_intervals(self) -> list[tuple[float, float]]:
        """(start, end) of every contract phase, for tests that need the ground truth."""
        out, t = [], 0.0
        for p in self.phases:
            if p.state == "contract":
                out.append((t, t + p.duration_s))
            t += p.duration_s
        return out

    @classmethod
    def parse(cls, text: str, name: str = "custom", loop: bool = False) -> Scenario:
        phases = []
        for item in filter(None, (s.strip() for s in text.split(","))):
            try:
                head, _, tau = item.partition("~")
                head, _, effort = head.partition("@")
                state, _, dur = head.partition(":")
                phases.append(
                    Phase(
                        state=state.strip(),
                        duration_s=float(dur),
                        effort=float(effort) if effort else (0.6 if state == "contract" else 0.5
                                                             if state == "strain" else 0.0),
                        release_tau_s=float(tau) if tau else None,
                    )
                )
            except ValueError as exc:
                raise ValueError(f"bad scenario step {item!r}: {exc}") from None
        if not phases:
            raise ValueError("scenario is empty")
        return cls(name=name, phases=tuple(phases), loop=loop)


def _named() -> dict[str, Scenario]:
    demo = Scenario.parse(
        "rest:8,contract:4@0.5,rest:10,contract:4@0.8,rest:12~1.5,strain:4@0.5,rest:10,"
        "contract:2@0.6,rest:4,contract:2@0.6,rest:10",
        name="demo",
        loop=True,
    )
    return {
        "demo": demo,
        "rest": Scenario.parse("rest:60", name="rest", loop=True),
        "contractions": Scenario.parse(
            "rest:10,contract:5@0.6,rest:10,contract:5@0.6,rest:10,contract:5@0.6,rest:10",
            name="contractions",
            loop=True,
        ),
        "slow-release": Scenario.parse(
            "rest:10,contract:5@0.6,rest:15~3,contract:5@0.6,rest:15~3", name="slow-release",
            loop=True,
        ),
        "strain": Scenario.parse("rest:8,strain:5@0.6,rest:8,contract:5@0.6,rest:8",
                                 name="strain", loop=True),
        "glazer": Scenario.parse(
            "rest:60,"
            + ",".join(["contract:2@0.8,rest:10"] * 5)
            + ","
            + ",".join(["contract:10@0.7,rest:10"] * 5)
            + ",contract:60@0.35,rest:60",
            name="glazer",
        ),
    }


NAMED_SCENARIOS: dict[str, Scenario] = _named()


def get_scenario(spec: str) -> Scenario:
    """A named scenario (``demo``, ``rest``, ...) or an inline text scenario."""
    if spec in NAMED_SCENARIOS:
        return NAMED_SCENARIOS[spec]
    if ":" in spec:
        return Scenario.parse(spec)
    raise ValueError(f"unknown scenario {spec!r}; named ones: {', '.join(NAMED_SCENARIOS)}")
