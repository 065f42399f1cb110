"""Clinic mode accounts: therapists and administrators log in; passwords hashed with argon2id
(argon2-cffi's defaults, rehashed when those get stronger). Qt-free: the login dialog and the
CLI call these.

Rules: the first account must be an administrator; afterwards only an administrator adds,
disables or resets accounts; a therapist may change their own password (with the old one); the
last enabled administrator cannot be disabled. A failed login says only "user name or password
not right" (never which of the two), and is audited like a successful one.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from biofeedback.storage.records import RecordsError, Repository
from biofeedback.storage.records.accounts import (
    add_account,
    check_username,
    count_administrators,
    get_account,
    list_accounts,
    update_account,
)
from biofeedback.storage.records.models import ROLES, Account, Actor

MIN_PASSWORD = 10
_hasher = PasswordHasher()


class LoginError(RecordsError):
    """Logging in failed (wrong user name or password, or a disabled account)."""


class NotAllowedError(RecordsError):
    """The logged-in account's role does not allow this."""


@dataclass(frozen=True)
class ClinicUser:
    """Who is logged in on this workstation: the account and the repository that audits as
    them."""

    account: Account
    repo: Repository

    @property
    def is_admin(self) -> bool:
        return self.account.role == "administrator"


def actor_of(account: Account) -> Actor:
    return Actor(account.username, account.role, socket.gethostname())


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise RecordsError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def login(repo: Repository, username: str, password: str) -> ClinicUser:
    """The logged-in user, or :class:`LoginError` (one line, the same for a wrong user name
    and a wrong password)."""
    name = username.strip().lower()
    try:
        account, stored = get_account(repo, name)
    except RecordsError:
        _hasher.hash(password)  # the same time either way: the answer does not tell
        repo.record_audit("login", None, f"failed login as {name[:64]!r}")
        raise LoginError("user name or password not right") from None
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        repo.record_audit("login", None, f"failed login as {name}")
        raise LoginError("user name or password not right") from None
    if account.disabled:
        repo.record_audit("login", None, f"refused login of disabled account {name}")
        raise LoginError(f"the account {name} is disabled; ask the clinic's administrator")
    user = ClinicUser(account, repo.with_actor(actor_of(account)))
    if _hasher.check_needs_rehash(stored):
        account = update_account(user.repo, name, detail="password rehashed",
                                 password_hash=_hasher.hash(password))
    user.repo.record_audit("login", None, f"{name} logged in")
    return user


def require_admin(user: ClinicUser | None, what: str) -> None:
    if user is None or not user.is_admin:
        raise NotAllowedError(f"{what} is for the clinic's administrator")


def create_account(repo: Repository, username: str, password: str, role: str, *,
                   display_name: str | None = None, by: ClinicUser | None = None) -> Account:
    """Add an account; the very first one is the administrator and needs no login."""
    first = not list_accounts(repo)
    if first and role != "administrator":
        raise RecordsError("the first account must be an administrator (--role administrator)")
    if not first:
        require_admin(by, "adding accounts")
    if role not in ROLES:
        raise RecordsError(f"role {role!r} is not one of {', '.join(ROLES)}")
    check_username(username)
    target = by.repo if by is not None else repo
    return add_account(target, username, _hasher.hash(check_password(password)), role,
                       display_name)


def change_password(user: ClinicUser, username: str, new_password: str, *,
                    old_password: str | None = None) -> Account:
    """Your own password (with the old one), or anyone's as the administrator."""
    name = username.strip().lower()
    if name == user.account.username and not user.is_admin:
        if old_password is None:
            raise RecordsError("changing your password needs the current one")
        login(user.repo, name, old_password)
    else:
        require_admin(user, "setting another account's password")
    return update_account(user.repo, name, detail="password changed",
                          password_hash=_hasher.hash(check_password(new_password)))


def set_disabled(user: ClinicUser, username: str, disabled: bool = True) -> Account:
    require_admin(user, "disabling accounts")
    name = username.strip().lower()
    account, _ = get_account(user.repo, name)
    if disabled and account.role == "administrator" and not account.disabled \
            and count_administrators(user.repo) <= 1:
        raise RecordsError(f"{name} is the last administrator; add another one first")
    return update_account(user.repo, name, disabled=disabled,
                          detail="disabled" if disabled else "enabled again")


def accounts(user: ClinicUser) -> list[Account]:
    require_admin(user, "the list of accounts")
    return list_accounts(user.repo)


__all__ = ["MIN_PASSWORD", "ClinicUser", "LoginError", "NotAllowedError", "accounts",
           "actor_of", "change_password", "check_password", "create_account", "login",
           "require_admin", "set_disabled"]
