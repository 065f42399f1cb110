"""``biofeedback patients hierarchy|thoughts|partner|consent``: the CBT and partner records.

Registered inside ``biofeedback patients`` (``cli/patients.py`` calls :func:`add_actions`).
A step is named by its number in ``list`` (1 = first) or by its id. Lists take ``--json``.
The content is private: it appears in a report only after ``patients consent CODE --reports
yes`` (clinical.md §6 for the scales: SUDS 0-100, pain NRS 0-10).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from biofeedback.app.cbt import CbtModels, cbt_models, step_hint
from biofeedback.cli._records import open_database, print_json
from biofeedback.cli.errors import CliError
from biofeedback.storage.records.cbt_codec import (
    partner_to_dict,
    step_to_dict,
    thought_to_dict,
)
from biofeedback.storage.records.models_cbt import ExposureStep, PartnerStep, ThoughtRecord

EPILOG = (
    "Examples:\n"
    "  biofeedback patients hierarchy P001 add 'Smallest dilator, lying down' --anxiety 60 "
    "--expect 'It will hurt'\n"
    "  biofeedback patients hierarchy P001 rate 1 --before 55 --after 30 --outcome 'It eased'\n"
    "  biofeedback patients hierarchy P001 list --json\n"
    "  biofeedback patients thoughts P001 add --situation 'Before practice' --thought "
    "'It will tear' --feeling afraid --intensity 80 --balanced 'It stretched last time' "
    "--rerate 35\n"
    "  biofeedback patients partner P001 add 'Massage without genital touch'\n"
    "  biofeedback patients partner P001 agree 1 ; biofeedback patients partner P001 done 1\n"
    "  biofeedback patients consent P001 --reports yes")


def add_actions(what: argparse._SubParsersAction) -> None:
    """Add the four CBT actions to ``biofeedback patients``."""
    _hierarchy_actions(_record_group(
        what, "hierarchy", "the exposure hierarchy: add, rate, list",
        description="Steps ranked by anxiety (SUDS 0-100), practised and re-rated before and "
        "after."))
    _thought_actions(_record_group(what, "thoughts", "thought records: add, list"))
    _partner_actions(_record_group(what, "partner", "partner steps: add, agree, done, list"))
    c = what.add_parser("consent", help="CBT and partner content in reports: "
                        "consent P001 --reports yes|no (no option: show)", epilog=EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("code")
    c.add_argument("--reports", choices=("yes", "no"),
                   help="include this content in the care team's report (default: no)")
    c.set_defaults(func=_consent)


def _record_group(what: argparse._SubParsersAction, name: str, helptext: str,
                  description: str | None = None) -> argparse._SubParsersAction:
    """``patients NAME CODE ACTION``: the group's parser; returns where its actions go."""
    g = what.add_parser(name, help=helptext, description=description, epilog=EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("code")
    return g.add_subparsers(dest="cbt_action", metavar="ACTION", required=True)


def _hierarchy_actions(hs: argparse._SubParsersAction) -> None:
    a = hs.add_parser("add", help="add a step: add TEXT --anxiety 0-100 [--expect TEXT]")
    a.add_argument("text")
    a.add_argument("--anxiety", type=float, required=True, help="how anxious it makes you, 0-100")
    a.add_argument("--expect", help="what you expect to happen")
    a.add_argument("--position", type=int, help="its place in the ladder (default: last)")
    a.set_defaults(func=_h_add)
    r = hs.add_parser("rate", help="record a practice: rate STEP --before N --after N")
    r.add_argument("step", help="the step's number in the list, or its id")
    r.add_argument("--before", type=float, required=True, help="anxiety before, 0-100")
    r.add_argument("--after", type=float, required=True, help="anxiety after, 0-100")
    r.add_argument("--pain", type=float, help="pain 0-10 (optional)")
    r.add_argument("--outcome", help="what actually happened")
    r.add_argument("--session", metavar="UID", help="the session it was practised in")
    r.set_defaults(func=_h_rate)
    _list_parser(hs, _Listing(lambda m: m.hierarchy.steps(), step_to_dict, _step_line,
                              "no hierarchy steps yet"))


def _thought_actions(ts: argparse._SubParsersAction) -> None:
    ta = ts.add_parser("add", help="add a thought record")
    ta.add_argument("--situation", required=True)
    ta.add_argument("--thought", required=True, help="the worrying thought")
    ta.add_argument("--feeling", required=True, help="the feeling's name, e.g. afraid")
    ta.add_argument("--intensity", type=float, required=True, help="how strong, 0-100")
    ta.add_argument("--balanced", help="a more balanced thought")
    ta.add_argument("--rerate", type=float, help="the feeling again after it, 0-100")
    ta.set_defaults(func=_t_add)
    _list_parser(ts, _Listing(lambda m: m.thoughts.records(), thought_to_dict, _thought_line,
                              "no thought records yet"))


def _partner_actions(ps: argparse._SubParsersAction) -> None:
    pa = ps.add_parser("add", help="add a step: add TEXT [--notes TEXT]")
    pa.add_argument("text")
    pa.add_argument("--notes")
    pa.set_defaults(func=_p_add)
    for name, helptext in (("agree", "agreed together"), ("done", "done together")):
        x = ps.add_parser(name, help=f"mark a step {helptext}: {name} STEP [--undo]")
        x.add_argument("step", help="the step's number in the list, or its id")
        x.add_argument("--undo", action="store_true", help="take the mark back")
        x.set_defaults(func=_p_mark, mark=name)
    _list_parser(ps, _Listing(lambda m: m.partner.steps(), partner_to_dict, _partner_line,
                              "no partner steps yet"))


@dataclass(frozen=True)
class _Listing:
    """How ``list`` shows one kind of record: fetched, then one line (or one dict) each."""

    fetch: Callable[[CbtModels], Sequence[Any]]
    to_dict: Callable[[Any], dict[str, Any]]
    line: Callable[[Any], str]
    empty: str


def _list_parser(sub: argparse._SubParsersAction, listing: _Listing) -> None:
    ls = sub.add_parser("list", help="list them [--json]")
    ls.add_argument("--json", action="store_true", help="one JSON list on stdout")
    ls.set_defaults(func=partial(_list, listing=listing))


def _list(args: argparse.Namespace, listing: _Listing) -> int:
    with open_database() as db:
        items = listing.fetch(cbt_models(db.repo, args.code))
    if args.json:
        print_json([listing.to_dict(x) for x in items])
        return 0
    for x in items:
        print(listing.line(x))
    if not items:
        print(listing.empty)
    return 0


def _pick(items: Sequence[Any], ref: str, what: str) -> Any:
    """The item numbered ``ref`` (1-based, as listed) or with that id."""
    for item in items:
        if item.uid == ref.strip().lower():
            return item
    try:
        n = int(ref)
    except ValueError:
        n = 0
    if not 1 <= n <= len(items):
        raise CliError(f"{what} {ref!r}: use its number in the list (1-{len(items)}) or its id"
                       if items else f"there are no {what}s yet; add one first")
    return items[n - 1]


# -- hierarchy ------------------------------------------------------------------------------
def _h_add(args: argparse.Namespace) -> int:
    with open_database() as db:
        s = cbt_models(db.repo, args.code).hierarchy.add(args.text, args.anxiety, args.expect,
                                                        args.position)
    print(f"step {s.position} added for {s.patient_code}: {s.text} (anxiety {s.anxiety:g})")
    return 0


def _h_rate(args: argparse.Namespace) -> int:
    with open_database() as db:
        m = cbt_models(db.repo, args.code).hierarchy
        step = _pick(m.steps(), args.step, "step")
        m.rate(step.uid, args.before, args.after, pain=args.pain, outcome=args.outcome,
               session_uid=args.session)
        after = next(s for s in m.steps() if s.uid == step.uid)
    print(f"practice of step {after.position} recorded: anxiety {args.before:g} -> "
          f"{args.after:g}")
    hint = step_hint(after)
    if hint:
        print(hint)
    return 0


def _step_line(s: ExposureStep) -> str:
    return (f"{s.position:3d}. {s.text}  (first {s.anxiety:g}, now {s.current_anxiety:g}, "
            f"{len(s.practices)} practice(s))"
            + (f"  expects: {s.expectation}" if s.expectation else ""))


# -- thoughts -------------------------------------------------------------------------------
def _t_add(args: argparse.Namespace) -> int:
    with open_database() as db:
        t = cbt_models(db.repo, args.code).thoughts.add(
            args.situation, args.thought, args.feeling, args.intensity, args.balanced,
            args.rerate)
    print(f"thought record added for {t.patient_code} ({t.taken:%Y-%m-%d})")
    return 0


def _thought_line(t: ThoughtRecord) -> str:
    again = "" if t.rerating is None else f" -> {t.rerating:g}"
    return (f"{t.taken:%Y-%m-%d}  {t.situation}: \"{t.thought}\"  {t.feeling} "
            f"{t.intensity:g}{again}" + (f"  balanced: \"{t.balanced}\"" if t.balanced else ""))


# -- partner --------------------------------------------------------------------------------
def _p_add(args: argparse.Namespace) -> int:
    with open_database() as db:
        s = cbt_models(db.repo, args.code).partner.add(args.text, args.notes)
    print(f"partner step {s.position} added for {s.patient_code}: {s.text}")
    return 0


def _p_mark(args: argparse.Namespace) -> int:
    with open_database() as db:
        m = cbt_models(db.repo, args.code).partner
        step = _pick(m.steps(), args.step, "partner step")
        if args.mark == "agree":
            s = m.set_agreed(step.uid, not args.undo)
        else:
            s = m.set_done(step.uid, not args.undo)
    state = "done together" if s.done else "agreed" if s.agreed else "not agreed yet"
    print(f"partner step {s.position}: {state}")
    return 0


def _partner_line(s: PartnerStep) -> str:
    mark = "x" if s.done else "~" if s.agreed else " "
    when = (f"  done {s.done:%Y-%m-%d}" if s.done else
            f"  agreed {s.agreed:%Y-%m-%d}" if s.agreed else "")
    return f"[{mark}] {s.position:2d}. {s.text}{when}" + (f"  ({s.notes})" if s.notes else "")


# -- consent --------------------------------------------------------------------------------
def _consent(args: argparse.Namespace) -> int:
    with open_database() as db:
        m = cbt_models(db.repo, args.code).consent
        c = m.get() if args.reports is None else m.set(args.reports == "yes")
    where = "included in" if c.reports else "not included in"
    since = "" if c.changed is None else f" (recorded {c.changed:%Y-%m-%d})"
    print(f"{c.patient_code}: CBT and partner content is {where} reports{since}")
    return 0


__all__ = ["add_actions"]
