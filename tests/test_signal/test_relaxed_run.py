"""The "relaxed for N s" run: brief fluctuations at rest do not restart it, a contraction does."""

from __future__ import annotations

import numpy as np
import pytest

from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal
from biofeedback.signal import LiveProcessor


def _relaxed_for(scenario: str, seconds: float, block: int = 40, seed: int = 3) -> np.ndarray:
    sig = SimulatedSignal(Scenario.parse(scenario), SimulatedConfig(seed=seed))
    emg = np.concatenate([b.data for b in sig.generate(seconds) if b.stream == "emg"])
    proc = LiveProcessor(2000, ("pfm", "abdominal"))
    out = []
    for i in range(0, len(emg), block):
        proc.process_emg(emg[i : i + block], i)
        out.append((min(i + block, len(emg)) / 2000, proc.status().relaxed_for_s))
    return np.array(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_steady_rest_counts_up_without_restarting(seed):
    # a calm start is confirmed as rest after confirm_quiet_s (30 s) of quiet: only then counts
    r = _relaxed_for("rest:70", 70, seed=seed)
    assert np.all(r[r[:, 0] < 29, 1] == 0), "counted 'relaxed' on a provisional resting level"
    late = r[r[:, 0] > 32]
    assert np.all(np.diff(late[:, 1]) > 0), "the relaxed count restarted during quiet rest"
    assert late[-1, 1] > 35


def test_a_contraction_ends_the_run_and_a_new_one_starts_after_release():
    r = _relaxed_for("rest:10,contract:2@0.6,rest:10", 22)
    during = r[(r[:, 0] > 10.5) & (r[:, 0] < 12)]
    assert np.all(during[:, 1] == 0)
    after = r[r[:, 0] > 16]
    assert 2.5 < after[0, 1] < 5.0  # restarted shortly after the release at 12 s
    assert np.all(np.diff(after[:, 1]) > 0)


def test_block_size_does_not_change_the_run():
    a = _relaxed_for("rest:6,contract:1@0.5,rest:6", 13, block=40)
    b = _relaxed_for("rest:6,contract:1@0.5,rest:6", 13, block=1000)
    common = np.intersect1d(np.round(a[:, 0], 6), np.round(b[:, 0], 6))
    pick = lambda r: r[np.isin(np.round(r[:, 0], 6), common), 1]  # noqa: E731
    np.testing.assert_allclose(pick(a), pick(b))
