"""A simulated-sensor scenario that *performs* a protocol, for headless and fast runs.

``biofeedback session run PROTOCOL --fast`` plays the protocol against the simulated sensor;
this script makes the simulated muscle do what each step asks (rest, squeeze at the step's
effort, let go), so every step has something real to measure. A step that ends on a condition
is given its relaxed time plus the release (about 5 s), about when it will end: the simulated
muscle runs on its own script, so such a step can drift by a fraction of a second against it.
"""

from __future__ import annotations

from biofeedback.sessions.protocol import Protocol, StepKind

RELEASE_S = 4.8  # a simulated release reaches the line and stays below it after about this long


def protocol_scenario(protocol: Protocol) -> str:
    """The scenario text (``rest:60,contract:3@0.5,...``) for the simulated sensor."""
    parts: list[str] = []
    for st in protocol.steps:
        if st.kind is StepKind.RATING or (st.kind is StepKind.INSTRUCTION
                                          and st.duration_s is None):
            continue  # answered at once in a fast run: no time passes
        seconds = st.duration_s if st.duration_s is not None else (
            min(st.until.timeout_s, st.until.relaxed_s + RELEASE_S) if st.until else 1.0)
        if st.kind in (StepKind.CONTRACT, StepKind.HOLD):
            parts.append(f"contract:{seconds:g}@{st.effort if st.effort else 0.5:g}")
        elif st.kind is StepKind.RELAX:
            parts.append(f"rest:{seconds:g}~0.8")
        else:
            parts.append(f"rest:{seconds:g}")
    # a tail at rest, so a run that drifted behind the script (conditions, a late start) still
    # completes its last steps: as long as the conditions' worst case
    slack = sum((st.until.timeout_s - min(st.until.timeout_s, st.until.relaxed_s + RELEASE_S))
                for st in protocol.steps if st.until is not None)
    return ",".join([*parts, f"rest:{max(5.0, slack + 5.0):g}"])


__all__ = ["protocol_scenario"]
