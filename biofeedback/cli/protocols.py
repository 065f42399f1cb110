"""``biofeedback protocols``: list, show and validate guided-session protocols."""

from __future__ import annotations

import argparse
import sys

from biofeedback.cli.errors import CliError
from biofeedback.sessions.loader import ProtocolError, builtin_names, load_builtin, load_protocol
from biofeedback.sessions.protocol import Protocol


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "protocols",
        help="list, show or check guided-session protocols",
        description="Guided-session protocols are TOML files (docs/sessions.md). The built-in "
        "ones can be copied (`protocols show NAME --toml > mine.toml`), edited and checked.",
        epilog="Examples:\n  biofeedback protocols list\n  biofeedback protocols show "
        "down-training\n  biofeedback protocols show down-training --toml > mine.toml\n"
        "  biofeedback protocols validate mine.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    what.add_parser("list", help="name and one line per protocol").set_defaults(func=_list)
    show = what.add_parser("show", help="the steps of a protocol (a name or a file)")
    show.add_argument("protocol")
    show.add_argument("--toml", action="store_true", help="print the file itself (to copy it)")
    show.set_defaults(func=_show)
    check = what.add_parser("validate", help="check a protocol file; one line per problem")
    check.add_argument("file")
    check.set_defaults(func=_validate)


def _load(name: str) -> Protocol:
    try:
        return load_protocol(name)
    except ProtocolError as exc:
        raise CliError(str(exc), 1) from None


def _list(args: argparse.Namespace) -> int:
    for name in builtin_names():
        p = load_builtin(name)
        print(f"{name:<22} {p.planned_s / 60:4.0f} min  {p.description}")
    return 0


def _show(args: argparse.Namespace) -> int:
    if args.toml:
        from importlib import resources
        from pathlib import Path

        if args.protocol in builtin_names():
            path = resources.files("biofeedback.sessions") / "builtin" / f"{args.protocol}.toml"
            sys.stdout.write(path.read_text(encoding="utf-8"))
        else:
            _load(args.protocol)  # one line if it is broken
            sys.stdout.write(Path(args.protocol).read_text(encoding="utf-8"))
        return 0
    p = _load(args.protocol)
    print(f"{p.title}  ({p.name}, about {p.planned_s / 60:.0f} min)")
    print(p.description)
    for i, st in enumerate(p.steps, 1):
        length = (f"{st.duration_s:g} s" if st.duration_s is not None else
                  f"until relaxed {st.until.relaxed_s:g} s (at most {st.until.timeout_s:g} s)"
                  if st.until is not None else "when answered")
        print(f"{i:3}. {st.label:<28} {st.kind.value:<15} {length}")
        print(f"     {st.instruction}")
    print(f"Safety: {p.safety}")
    if p.sources:
        print("Sources: " + "; ".join(p.sources))
    return 0


def _validate(args: argparse.Namespace) -> int:
    p = _load(args.file)
    print(f"{args.file}: OK, {len(p.steps)} steps, about {p.planned_s / 60:.1f} min")
    return 0
