"""The report's CBT and partner section: only with the patient's recorded consent.

:func:`cbt_section` returns no flowables at all when ``data.cbt`` is None (no consent: the
report does not even say whether such content exists). The wording is descriptive, never a
judgement; SUDS 0-100 (Wolpe 1969) and the note that progress is not read from the drop within
one practice alone follow clinical.md §6 ("Graded exposure / CBT").
"""

from __future__ import annotations

import datetime as dt

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph
from reportlab.platypus.flowables import Flowable

from biofeedback.reports.data import ReportData

HEADING = "Exposure practice, thought records and partner steps"
SUDS_NOTE = ("Anxiety is rated 0-100 (SUDS, Wolpe 1969). A step's latest rating is the higher "
             "of the before/after ratings of its last practice; progress is read from the "
             "ratings over several practices and the person's own account, not from the drop "
             "within one practice alone (Craske et al. 2008; clinical.md §6).")


def _d(t: dt.datetime | None) -> str:
    return "-" if t is None else f"{t:%d %b %Y}"


def _n(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


def cbt_section(data: ReportData) -> list[Flowable]:
    if data.cbt is None:
        return []
    from biofeedback.reports.pdf import H2, SMALL, _p, _table  # the report's own styles

    c = data.cbt
    consent = data.cbt_consent
    out: list[Flowable] = [Paragraph(HEADING, H2), _p(
        "Included because the patient agreed to share this part of the record with the care "
        f"team (recorded {_d(consent.changed if consent else None)}). Please keep it within "
        "the team.")]
    if c.empty:
        return [*out, _p("Nothing recorded yet.")]
    if c.steps:
        rows = [["#", "Step", "Expected", "First SUDS", "Latest SUDS", "Practices",
                 "Last practised"]]
        for s in c.steps:
            rows.append([str(s.position), s.text, s.expectation or "-", _n(s.anxiety),
                         _n(s.current_anxiety), str(len(s.practices)),
                         _d(s.practices[-1].practised if s.practices else None)])
        out += [_p("Exposure hierarchy (the person's own ladder, first step first):"),
                _table(rows, [8 * mm, 52 * mm, 40 * mm, 18 * mm, 20 * mm, 18 * mm, 22 * mm]),
                _p(SUDS_NOTE, SMALL)]
        outcomes = [(p, s) for s in c.steps for p in s.practices if p.outcome]
        for p, s in sorted(outcomes, key=lambda x: x[0].practised)[-8:]:
            out.append(_p(f"{_d(p.practised)}, step {s.position}: what happened: {p.outcome}",
                          SMALL))
    if c.thoughts:
        rows = [["Date", "Situation", "Thought", "Feeling", "Balanced thought", "Re-rated"]]
        for t in c.thoughts:
            rows.append([_d(t.taken), t.situation, t.thought, f"{t.feeling} {_n(t.intensity)}",
                         t.balanced or "-", _n(t.rerating)])
        out += [_p("Thought records (feelings rated 0-100):"),
                _table(rows, [20 * mm, 34 * mm, 38 * mm, 22 * mm, 44 * mm, 20 * mm])]
    if c.partner:
        rows = [["#", "Partner step", "Agreed", "Done together", "Notes"]]
        for p in c.partner:
            rows.append([str(p.position), p.text, _d(p.agreed), _d(p.done), p.notes or "-"])
        out += [_p("Partner steps (non-penetrative intimacy and the partner's involvement, "
                   "agreed and ticked off together):"),
                _table(rows, [8 * mm, 70 * mm, 24 * mm, 26 * mm, 50 * mm])]
    return out


__all__ = ["HEADING", "cbt_section"]
