"""Optional password (argon2id, argon2-cffi) and second factor (TOTP, pyotp) for console accounts.

Links stay the way in. An account with a password may also sign in with address + password; an account that has
a TOTP secret must then also give the current code (administrators should: ``syndication admin totp``).
"""

from __future__ import annotations

import logging
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from syndication.clock import Clock
from syndication.console.accounts import Account, AccountStore, TotpUnreadable

log = logging.getLogger(__name__)
_HASHER = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a console password has at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app takes (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def current_code(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now())


def check(accounts: AccountStore, clock: Clock, email: str, password: str, code: str) -> Account | None:
    """The account whose password (and, if it has one, current TOTP code) this is; None otherwise.

    One answer for every failure, and the hash is checked even for an unknown address (no timing hint).
    """
    account = accounts.by_email(email)
    try:
        stored, secret = accounts.secrets_of(account.id) if account is not None else (None, None)
    except TotpUnreadable as error:
        # Refused like a wrong code, in the same time; the log names the account's number and the fix,
        # not its address.
        log.warning("%s", error)
        account, stored, secret = None, None, None
    try:
        _HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or stored is None:
        return None
    if secret is not None and not pyotp.TOTP(secret).verify(code.strip(), for_time=clock.now(), valid_window=1):
        return None
    return account


def prepare() -> None:
    """Make the hash unknown addresses are checked against now (the console does, when it starts): the first
    sign-in with an unknown address then takes no longer than any other."""
    _dummy_hash()


@cache
def _dummy_hash() -> str:
    # Made on first use, not on import: hashing takes a fifth of a second, and every command imports this module.
    return _HASHER.hash("not a password: only to spend the same time on unknown addresses")
