"""CSRF protection of the sign-up form: a token bound to the browser, short-lived and single use.

GET ``/subscribe`` gives the browser a signed cookie holding a random browser id, and puts into the
form a signed token naming (a digest of) that id and a random token id. A POST is accepted only when:

- it does not come from another site (``Sec-Fetch-Site``, else ``Origin``, where the browser sends them);
- cookie and token are both ours, unexpired (``max_age``), and belong together;
- the token has not been used before (its hash is kept until it would have expired anyway).

A page of another site can neither read the token nor send the cookie (``SameSite=Strict``), and a
token copied out of one browser is worthless in another or a second time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from subscribers.tables import used_form_tokens
from syndication.clock import Clock
from syndication.tokens import TokenInvalid

COOKIE_NAME = "subscribe_form"
COOKIE_PATH = "/subscribe"
DEFAULT_MAX_AGE = timedelta(hours=2)
# Fetch metadata that a same-origin form post (or a user typing the URL) carries.
_SAME_ORIGIN_SITES = {"same-origin", "none"}
# Host (name, IPv4 or bracketed IPv6) and optional port, nothing else.
_NETLOC = re.compile(r"[A-Za-z0-9.\-]+(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?")


@dataclass(frozen=True)
class FormToken:
    """A fresh form token and the cookie value it is bound to (the browser's, or a new one to set)."""

    token: str
    cookie: str
    # Whether the browser must be sent ``cookie`` (it had no valid one, or it is about to expire).
    set_cookie: bool


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def web_origin(value: str) -> str | None:
    """``value`` (an ``Origin`` header) as ``scheme://host[:port]`` when it is an http(s) origin; else None."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.path not in ("", "/"):
        return None
    if not _NETLOC.fullmatch(parts.netloc):
        return None
    return _origin(value.strip())


def same_origin(headers: dict[str, str], own_origins: set[str]) -> bool:
    """Whether a request's fetch metadata, else its ``Origin``, says it comes from our own pages.

    ``headers`` has lower-case names. ``Sec-Fetch-Site`` is set by the browser alone and decides where
    present. Without it, a foreign ``Origin`` is refused; ``Origin: null`` is not, because our pages'
    ``Referrer-Policy: no-referrer`` makes browsers send exactly that for our own form. Browsers that
    send neither header are held by the cookie-bound token alone.
    """
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site.strip().lower() in _SAME_ORIGIN_SITES
    origin = headers.get("origin")
    return origin is None or origin.strip().lower() in own_origins | {"null"}


def own_origins(*urls: str) -> set[str]:
    """The origins (scheme://host[:port]) of ``urls``, lower-case, for :func:`same_origin`."""
    return {_origin(url) for url in urls if url}


class SubscribeFormGuard:
    """Issues and checks the sign-up form's browser-bound, single-use tokens."""

    def __init__(
        self, engine: Engine, secret_key: str, clock: Clock, *, max_age: timedelta = DEFAULT_MAX_AGE
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.max_age = max_age
        signer = _clocked_signer(clock)
        self._cookies = URLSafeTimedSerializer(secret_key, salt="syndication.subscribers.browser", signer=signer)
        self._tokens = URLSafeTimedSerializer(secret_key, salt="syndication.subscribers.subscribe-form", signer=signer)

    def issue(self, cookie: str | None) -> FormToken:
        """A token for a form page; keeps the browser's cookie while it has more than half its life left."""
        browser_id = self._browser_id(cookie, max_age=self.max_age / 2) if cookie else None
        if cookie is None or browser_id is None:
            browser_id = secrets.token_urlsafe(24)
            return self._token_for(browser_id, self._cookies.dumps(browser_id), set_cookie=True)
        return self._token_for(browser_id, cookie, set_cookie=False)

    def _token_for(self, browser_id: str, cookie: str, *, set_cookie: bool) -> FormToken:
        token = self._tokens.dumps([_digest(browser_id), secrets.token_urlsafe(12)])
        return FormToken(token=token, cookie=cookie, set_cookie=set_cookie)

    def check(self, cookie: str | None, token: str) -> None:
        """Raises TokenInvalid unless ``token`` is valid, unexpired, bound to ``cookie`` and unused; then uses it."""
        try:
            payload = self._tokens.loads(token, max_age=int(self.max_age.total_seconds()))
        except SignatureExpired:
            raise TokenInvalid("expired") from None
        except BadSignature:
            raise TokenInvalid("invalid") from None
        if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], str)):
            raise TokenInvalid("invalid")
        browser_id = self._browser_id(cookie, max_age=self.max_age) if cookie else None
        if browser_id is None or not hmac.compare_digest(payload[0], _digest(browser_id)):
            raise TokenInvalid("invalid")
        self._use(token, self.clock.now())

    def _browser_id(self, cookie: str, *, max_age: timedelta) -> str | None:
        try:
            value = self._cookies.loads(cookie, max_age=int(max_age.total_seconds()))
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def _use(self, token: str, now: datetime) -> None:
        token_hash = hashlib.sha256(token.encode("utf-8")).hexdigest()
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(used_form_tokens).where(used_form_tokens.c.expires_at <= now))
                connection.execute(
                    insert(used_form_tokens).values(token_hash=token_hash, expires_at=now + self.max_age)
                )
        except IntegrityError:
            raise TokenInvalid("used") from None


def _digest(browser_id: str) -> str:
    return hashlib.sha256(browser_id.encode("utf-8")).hexdigest()[:32]


def _clocked_signer(clock: Clock) -> type[TimestampSigner]:
    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock.now().timestamp())

    return ClockedSigner
