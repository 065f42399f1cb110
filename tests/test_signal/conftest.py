"""Shared simulated recordings for the signal-core tests (deterministic, seeded)."""

from __future__ import annotations

import numpy as np
import pytest

from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal


def simulate(text: str, seed: int = 0, **kw) -> tuple[np.ndarray, np.ndarray, Scenario]:
    """EMG ``(n, 2)`` µV at 2 kHz and pressure ``(m, 1)`` cmH2O at 100 Hz for a scenario."""
    sc = Scenario.parse(text)
    sig = SimulatedSignal(sc, SimulatedConfig(seed=seed, **kw))
    emg, pr = [], []
    for b in sig.generate(sc.duration_s):
        (emg if b.stream == "emg" else pr).append(b.data)
    return np.concatenate(emg), np.concatenate(pr), sc


@pytest.fixture(scope="session")
def two_contractions():
    """~1 s of rest first (as real recordings may start), then two contractions."""
    return simulate("rest:1,contract:2@0.6,rest:4,contract:1.5@0.5,rest:3", seed=3)


@pytest.fixture(scope="session")
def sim():
    """The :func:`simulate` helper (conftest modules are not importable under importlib)."""
    return simulate
