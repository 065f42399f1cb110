"""``biofeedback accounts``: clinic mode accounts (therapists, administrators)."""

from __future__ import annotations

import argparse

from biofeedback.app.accounts import (
    accounts,
    change_password,
    create_account,
    login,
    set_disabled,
)
from biofeedback.cli._login import Secrets, add_login_options, admin_login
from biofeedback.cli._records import open_database, print_json
from biofeedback.storage.records.accounts import list_accounts
from biofeedback.storage.records.codec import time_text
from biofeedback.storage.records.models import ROLES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "accounts", help="clinic accounts: add, list, passwd, disable",
        description="Therapists and administrators log in to clinic mode. Passwords are "
        "stored as argon2id hashes. The first account must be an administrator; after that "
        "only an administrator (--admin USER) adds, lists, resets or disables accounts, and "
        "every change is in the audit log.",
        epilog="Examples:\n  biofeedback accounts add admin --role administrator\n"
        "  biofeedback accounts add t.smith --role therapist --name 'T. Smith' --admin admin\n"
        "  biofeedback accounts list --admin admin\n"
        "  biofeedback accounts passwd t.smith          # your own: asks the current one\n"
        "  biofeedback accounts disable t.smith --admin admin",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = what.add_parser("add", help="biofeedback accounts add USER --role ROLE [--admin USER]")
    a.add_argument("username")
    a.add_argument("--role", choices=ROLES, required=True)
    a.add_argument("--name", help="the name shown in the app (optional)")
    add_login_options(a)
    a.set_defaults(func=_add)
    ls = what.add_parser("list", help="biofeedback accounts list --admin USER [--json]")
    ls.add_argument("--json", action="store_true")
    add_login_options(ls)
    ls.set_defaults(func=_list)
    pw = what.add_parser("passwd", help="biofeedback accounts passwd USER [--admin USER]")
    pw.add_argument("username")
    add_login_options(pw)
    pw.set_defaults(func=_passwd)
    d = what.add_parser("disable", help="biofeedback accounts disable USER --admin USER")
    d.add_argument("username")
    d.add_argument("--enable", action="store_true", help="enable the account again")
    add_login_options(d)
    d.set_defaults(func=_disable)


def _add(args: argparse.Namespace) -> int:
    secrets = Secrets(args)
    with open_database() as db:
        by = None
        if list_accounts(db.repo):
            by = admin_login(db.repo, args, secrets, "adding an account")
        acc = create_account(db.repo, args.username, secrets.new_password(args.username),
                             args.role, display_name=args.name, by=by)
    print(f"account {acc.username} added ({acc.role})")
    return 0


def _list(args: argparse.Namespace) -> int:
    secrets = Secrets(args)
    with open_database() as db:
        user = admin_login(db.repo, args, secrets, "listing accounts")
        found = accounts(user)
    if args.json:
        print_json([{"username": a.username, "name": a.display_name, "role": a.role,
                     "disabled": a.disabled, "created": time_text(a.created)} for a in found])
    else:
        for a in found:
            print(f"{a.username:<24} {a.role:<14} {'disabled' if a.disabled else 'active':<9}"
                  f" {a.display_name or ''}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    secrets = Secrets(args)
    with open_database() as db:
        if args.admin:
            user = admin_login(db.repo, args, secrets, "setting a password")
            acc = change_password(user, args.username, secrets.new_password(args.username))
        else:
            old = secrets.ask(f"current password of {args.username}: ")
            user = login(db.repo, args.username, old)
            acc = change_password(user, args.username, secrets.new_password(args.username),
                                  old_password=old)
    print(f"password of {acc.username} changed")
    return 0


def _disable(args: argparse.Namespace) -> int:
    secrets = Secrets(args)
    with open_database() as db:
        user = admin_login(db.repo, args, secrets, "disabling an account")
        acc = set_disabled(user, args.username, not args.enable)
    print(f"account {acc.username} {'disabled' if acc.disabled else 'enabled'}")
    return 0
