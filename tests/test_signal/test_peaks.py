"""The contraction-level stage: each finished contraction's peak reaches the meter at the
sample its end was confirmed, whatever the cut into pieces."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np

from biofeedback.signal.peaks import ContractionPeaks


def _ev(i: int, confirmed: int | None, complete: bool = True) -> SimpleNamespace:
    return SimpleNamespace(id=i, complete=complete, confirmed_index=confirmed)


def test_a_peak_is_its_own_active_samples_up_to_the_confirmed_end():
    env = np.array([1.0, 5.0, 3.0, 9.0, 2.0, 7.0, 4.0, 8.0])
    act = np.array([False, True, True, True, False, True, True, False])
    given: list[float] = []
    p = ContractionPeaks()
    out = p.track([_ev(1, 3)], env[:6], act[:6], 0, given.append)
    assert [at for at, _ in out] == [3] and given == []  # handed over by the caller, in order
    out[0][1]()
    assert given == [9.0]
    assert p.level == 7.0  # sample 5 belongs to the next contraction
    out = p.track([_ev(1, 3), _ev(2, 7)], env[6:], act[6:], 6, given.append)  # id 1: seen
    assert [at for at, _ in out] == [7]
    out[0][1]()
    assert given == [9.0, 7.0] and p.level == 0.0 and p.finished == 2


def test_the_same_samples_cut_anywhere_give_the_same_peaks():
    rng = np.random.default_rng(1)
    env = rng.random(400) * 10
    act = rng.random(400) < 0.6
    events = [(1, 120), (2, 260), (3, 399)]

    def run(cuts: list[int]) -> list[tuple[int, float]]:
        p, ats, given = ContractionPeaks(), [], []
        for a, b in itertools.pairwise([0, *cuts, 400]):
            evs = [_ev(i, c) for i, c in events if a <= c < b]
            for at, apply in p.track(evs, env[a:b], act[a:b], a, given.append):
                ats.append(at)
                apply()
        return list(zip(ats, given, strict=True))

    whole = run([])
    assert [at for at, _ in whole] == [120, 260, 399]
    assert whole[0][1] == env[:121][act[:121]].max()
    for cuts in ([50], [120, 121], [7, 130, 261, 300], list(range(10, 400, 10))):
        assert run(cuts) == whole
