"""Passwords for the account commands: asked without echo, or read from standard input one per
line (``--password-stdin``, for scripts: never on the command line, where ``ps`` shows it)."""

from __future__ import annotations

import argparse
import getpass
import sys

from biofeedback.app.accounts import ClinicUser, login
from biofeedback.cli.errors import CliError
from biofeedback.storage.records import Repository


def add_login_options(p: argparse.ArgumentParser, *, admin: bool = True) -> None:
    if admin:
        p.add_argument("--admin", metavar="USER", help="log in as this administrator")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the passwords from standard input, one per line (the "
                   "administrator's first, then the new one)")


class Secrets:
    def __init__(self, args: argparse.Namespace) -> None:
        self.from_stdin = bool(getattr(args, "password_stdin", False))

    def ask(self, prompt: str) -> str:
        if self.from_stdin:
            line = sys.stdin.readline()
            if not line:
                raise CliError(f"--password-stdin: no line for {prompt.rstrip(': ')}")
            return line.rstrip("\n")
        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise CliError(f"{prompt.rstrip(': ')}: no terminal to ask on; use "
                           "--password-stdin") from None

    def new_password(self, who: str) -> str:
        first = self.ask(f"new password for {who}: ")
        if not self.from_stdin and self.ask("again: ") != first:
            raise CliError("the two passwords differ; nothing changed")
        return first


def admin_login(repo: Repository, args: argparse.Namespace, secrets: Secrets,
                what: str) -> ClinicUser:
    if not getattr(args, "admin", None):
        raise CliError(f"{what} needs an administrator: add --admin USER")
    return login(repo, args.admin, secrets.ask(f"password of {args.admin}: "))


__all__ = ["Secrets", "add_login_options", "admin_login"]
