"""The Qt-free CBT models: moving and ranking the ladder, the calm hint after a practice,
partner progress, consent; the wording never judges."""

from __future__ import annotations

import pytest

from biofeedback.app.cbt import EXPLANATIONS, cbt_models, step_hint
from biofeedback.storage.records import RecordsError

JUDGING = ("fail", "wrong", "bad", "should have", "must", "poor")


def test_the_ladder_moves_and_ranks_by_the_latest_rating(repo):
    repo.add_patient("P001")
    m = cbt_models(repo, "P001").hierarchy
    a, b, c = (m.add("Mirror", 50), m.add("Fingertip", 20), m.add("Own finger", 70))
    assert [s.uid for s in m.move(c.uid, -5)] == [c.uid, a.uid, b.uid]  # clamped at the top
    assert [s.uid for s in m.move(c.uid, 1)] == [a.uid, c.uid, b.uid]
    m.rate(c.uid, 30, 10)  # practised: its peak 30 now ranks it between 20 and 50
    assert [s.uid for s in m.rank_by_anxiety()] == [b.uid, c.uid, a.uid]
    m.remove(b.uid)
    assert [s.position for s in m.steps()] == [1, 2]


def test_the_hint_follows_the_last_practice_and_stays_calm(repo):
    repo.add_patient("P001")
    m = cbt_models(repo, "P001").hierarchy
    s = m.add("Smallest dilator", 70)
    assert step_hint(s) is None  # nothing practised: nothing to say
    m.rate(s.uid, 65, 45)
    high = m.hint(m.steps()[0])
    m.rate(s.uid, 35, 20)
    low = m.hint(m.steps()[0])
    assert "again" in high and "40 or below" in low and "repeating it is fine" in low
    for text in (high, low, *EXPLANATIONS.values()):
        assert not any(w in text.lower() for w in JUDGING), text


def test_partner_progress_thoughts_and_consent(repo):
    repo.add_patient("P001")
    models = cbt_models(repo, "P001")
    p = models.partner
    one, two = p.add("Massage"), p.add("Shower together", notes="next week")
    p.set_agreed(one.uid, True)
    p.set_done(two.uid, True)
    assert p.progress() == (2, 2, 1)
    assert p.set_notes(two.uid, "went well").notes == "went well"
    t = models.thoughts.add("In bed", "It will hurt", "afraid", 70, "It hurt less", 30)
    assert models.thoughts.records() == [t]
    assert models.consent.get().reports is False
    assert models.consent.set(True).reports is True
    with pytest.raises(RecordsError, match="no patient 'P404'"):
        cbt_models(repo, "P404")
