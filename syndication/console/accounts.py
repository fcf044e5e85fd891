"""Staff accounts of the newsroom console: one-time sign-in links, server-side sessions, roles.

A sign-in link and a session cookie are 32 random bytes (``secrets.token_urlsafe``); only their SHA-256
is stored. A link is good for :data:`LINK_LIFETIME` and for one use: redeeming it is one conditional
UPDATE, so two requests racing with the same link sign in at most once.

A TOTP secret must be read in clear to check a code, so it is stored sealed (:mod:`syndication.sealing`,
a key derived from ``SYNDICATION_SECRET_KEY``): a copy of the database gives no second factor. Secrets
stored in clear by an older version are sealed when the console starts, or when first read.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndication.clock import Clock
from syndication.console.tables import console_accounts, console_links, console_sessions
from syndication.errors import ConfigError, UsageError
from syndication.mail.addresses import normalise_email
from syndication.sealing import SealBroken, SecretBox

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
LANGUAGES = ("de", "en")
_TOTP_PURPOSE = b"syndication console totp secrets v1"


class TotpUnreadable(ConfigError):
    """An account's sealed TOTP secret does not open: SYNDICATION_SECRET_KEY changed since it was set."""


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    role: Role
    language: str
    has_password: bool = False
    has_totp: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _account(row: object) -> Account:
    return Account(
        id=row.id, email=row.email, role=Role(row.role), language=row.language,  # type: ignore[attr-defined]
        has_password=row.password_hash is not None,  # type: ignore[attr-defined]
        has_totp=row.totp_sealed is not None or row.totp_secret is not None,  # type: ignore[attr-defined]
    )


class AccountStore:
    """Reads and writes accounts, links and sessions; every "now" comes from ``clock``.

    ``secret_key`` gives the application's secret key when a TOTP secret is sealed or opened (and
    only then: an install without second factors never needs it here).
    """

    def __init__(self, engine: Engine, clock: Clock, secret_key: Callable[[], str] | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self._secret_key = secret_key
        self._box: SecretBox | None = None

    def _totp_box(self) -> SecretBox:
        if self._box is None:
            if self._secret_key is None:
                raise ConfigError("console TOTP secrets are sealed with SYNDICATION_SECRET_KEY: none was given")
            self._box = SecretBox(self._secret_key(), _TOTP_PURPOSE)
        return self._box

    # -- accounts -------------------------------------------------------------------

    def add(self, email: str, role: Role, language: str) -> Account:
        """A new account; an address that has one already is a UsageError."""
        address = normalise_email(email)
        if language not in LANGUAGES:
            raise UsageError(
                "--language must be one of %(languages)s, not %(language)r",
                languages=", ".join(LANGUAGES),
                language=language,
            )
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(console_accounts).values(
                    email=address, role=role.value, language=language, created_at=self.clock.now()))
        except IntegrityError:
            raise UsageError("%(address)s has a console account already", address=address) from None
        found = self.by_email(address)
        assert found is not None
        return found

    def by_email(self, email: str) -> Account | None:
        try:
            address = normalise_email(email)
        except UsageError:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(console_accounts).where(console_accounts.c.email == address)).first()
        return None if row is None else _account(row)

    def get(self, account_id: int) -> Account | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(console_accounts).where(console_accounts.c.id == account_id)).first()
        return None if row is None else _account(row)

    def all(self) -> list[Account]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(console_accounts).order_by(console_accounts.c.email)).all()
        return [_account(row) for row in rows]

    def set_language(self, account_id: int, language: str) -> None:
        if language not in LANGUAGES:
            raise UsageError("unknown console language %(language)r", language=language)
        with self.engine.begin() as connection:
            connection.execute(update(console_accounts).where(console_accounts.c.id == account_id)
                               .values(language=language))

    def remove(self, account_id: int) -> bool:
        with self.engine.begin() as connection:
            connection.execute(delete(console_sessions).where(console_sessions.c.account_id == account_id))
            connection.execute(delete(console_links).where(console_links.c.account_id == account_id))
            return bool(connection.execute(delete(console_accounts).where(console_accounts.c.id == account_id))
                        .rowcount)

    # -- one-time links ---------------------------------------------------------------

    def issue_link(self, account: Account) -> str:
        """A new sign-in token for ``account``, good once within LINK_LIFETIME."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.engine.begin() as connection:
            # Links past their time are swept whenever a new one is made.
            connection.execute(delete(console_links).where(console_links.c.expires_at <= now))
            connection.execute(insert(console_links).values(
                token_hash=token_hash(token), account_id=account.id, created_at=now, expires_at=now + LINK_LIFETIME))
        return token

    def link_account(self, token: str) -> Account | None:
        """Whose unused, unexpired link ``token`` is (does not use it)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(console_links).where(console_links.c.token_hash == token_hash(token))).first()
        if row is None or row.used_at is not None or row.expires_at <= self.clock.now():
            return None
        return self.get(row.account_id)

    def redeem_link(self, token: str) -> Account | None:
        """Use the link: the account it signs in, or None when it is unknown, used or expired."""
        now = self.clock.now()
        digest = token_hash(token)
        with self.engine.begin() as connection:
            done = connection.execute(
                update(console_links)
                .where(console_links.c.token_hash == digest, console_links.c.used_at.is_(None),
                       console_links.c.expires_at > now)
                .values(used_at=now)
            ).rowcount
            if not done:
                return None
            account_id = connection.execute(
                select(console_links.c.account_id).where(console_links.c.token_hash == digest)).scalar_one()
        return self.get(account_id)

    # -- sessions ------------------------------------------------------------------

    def open_session(self, account: Account) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.engine.begin() as connection:
            # Expired sessions are swept whenever a new one starts.
            connection.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now))
            connection.execute(insert(console_sessions).values(
                token_hash=token_hash(token), account_id=account.id, created_at=now,
                expires_at=now + SESSION_LIFETIME))
        return token

    def session_account(self, token: str | None) -> Account | None:
        if not token:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                select(console_sessions).where(console_sessions.c.token_hash == token_hash(token))).first()
        if row is None or row.expires_at <= self.clock.now():
            return None
        return self.get(row.account_id)

    def close_session(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(console_sessions).where(console_sessions.c.token_hash == token_hash(token)))

    # -- password and second factor (optional) ------------------------------------------

    def set_secret(self, account_id: int, *, password_hash: str | None = None, totp_secret: str | None = None) -> None:
        """Store an argon2 hash and/or a TOTP secret, sealed (``""`` removes one; None leaves it)."""
        values: dict[str, str | None] = {}
        if password_hash is not None:
            values["password_hash"] = password_hash or None
        if totp_secret is not None:
            values["totp_sealed"] = self._totp_box().seal(totp_secret) if totp_secret else None
            values["totp_secret"] = None
        if values:
            with self.engine.begin() as connection:
                connection.execute(
                    update(console_accounts).where(console_accounts.c.id == account_id).values(**values))

    def secrets_of(self, account_id: int) -> tuple[str | None, str | None]:
        """(argon2 hash, TOTP secret in clear) of the account; :class:`TotpUnreadable` when its seal does not open."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(console_accounts.c.password_hash, console_accounts.c.totp_sealed, console_accounts.c.totp_secret)
                .where(console_accounts.c.id == account_id)).first()
        if row is None:
            return (None, None)
        if row.totp_sealed is None:
            if row.totp_secret is not None:
                self._seal_in_clear(account_id, row.totp_secret)
            return (row.password_hash, row.totp_secret)
        try:
            return (row.password_hash, self._totp_box().open(row.totp_sealed))
        except SealBroken:
            raise TotpUnreadable(
                "console account %(number)s: its TOTP secret cannot be read, as SYNDICATION_SECRET_KEY changed "
                "since it was set (set it again: syndication admin totp EMAIL)", number=account_id
            ) from None

    def seal_secrets_in_clear(self) -> int:
        """Seal every TOTP secret an older version stored in clear: how many there were."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(console_accounts.c.id, console_accounts.c.totp_secret)
                                      .where(console_accounts.c.totp_secret.is_not(None))).all()
        for row in rows:
            self._seal_in_clear(row.id, row.totp_secret)
        return len(rows)

    def _seal_in_clear(self, account_id: int, secret: str) -> None:
        # Conditional on the value read: a secret set meanwhile (sealed) is not overwritten.
        with self.engine.begin() as connection:
            connection.execute(
                update(console_accounts)
                .where(console_accounts.c.id == account_id, console_accounts.c.totp_secret == secret)
                .values(totp_sealed=self._totp_box().seal(secret), totp_secret=None))
