"""SendGrid account calls outside the send path, through the official ``sendgrid`` client.

Sending editions stays on :mod:`syndication.delivery.sendgrid` (one pooled ``httpx`` client: the
hot path, measured). The few calls an operator makes now and then (what the API key may do,
the Event Webhook settings, authenticated domains, SendGrid's own suppression lists) go through
``sendgrid.SendGridAPIClient``, the client the project was specified with; speed does not matter
there. ``host`` points it at another base URL (the EU region, or a loopback fake in tests).

Errors come back as the project's: a refused key (401) is a :class:`~syndication.errors.ConfigError`,
a missing scope (403) an :class:`AccessForbidden`, anything else (unreachable, 5xx, bad JSON, a rate
limit that does not clear) a :class:`~syndication.errors.DeliveryError`. No address is put into an
error message.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import sendgrid
from python_http_client.exceptions import HTTPError

from syndication.clock import Clock, SystemClock
from syndication.config import SendgridConfig
from syndication.errors import ConfigError, DeliveryError
from syndication.i18n import N_

# SendGrid's largest page for the suppression lists.
PAGE_SIZE: Final = 500
# Paths of the suppression lists under /v3/suppression/, and the scope each needs.
SUPPRESSION_SCOPES: Final = {
    "bounces": "suppression.bounces.read",
    "blocks": "suppression.blocks.read",
    "spam_reports": "suppression.spam_reports.read",
    "invalid_emails": "suppression.invalid_emails.read",
    "unsubscribes": "suppression.unsubscribes.read",
}
SEND_SCOPE: Final = "mail.send"
WEBHOOK_SCOPE: Final = "user.webhooks.event.settings.read"
DOMAINS_SCOPE: Final = "whitelabel.read"

_TEXT_LIMIT = 300
# python_http_client logs every request's headers (the API key) and every answer's body (addresses)
# at DEBUG; `syndication -v` must not print either.
logging.getLogger("python_http_client").setLevel(logging.WARNING)
_ADDRESS_LIKE = re.compile(r"\S+@\S+")


class AccessForbidden(DeliveryError):
    """SendGrid answered 403: the API key lacks the scope this call needs."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(
            N_("SendGrid %(path)s: access forbidden (the API key lacks the scope): %(message)s"),
            path=path,
            message=message,
        )


def _error_text(body: bytes | str | None) -> str:
    """SendGrid's own error message (``errors[].message``), one line, no addresses."""
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        errors = json.loads(raw).get("errors") or []
        text = "; ".join(str(error.get("message", "")) for error in errors if isinstance(error, dict))
    except (ValueError, AttributeError):
        text = raw
    text = _ADDRESS_LIKE.sub("<address>", " ".join(text.split()))
    return text[:_TEXT_LIMIT] or "no details"


class SendGridAccount:
    """Read-only v3 calls for one API key (``sendgrid.SendGridAPIClient`` underneath).

    A 429 is waited out (``X-RateLimit-Reset``, at most ``max_wait_seconds`` each time, at most
    ``max_waits`` times) with ``sleep``; the clock tells how long that is.
    """

    def __init__(
        self,
        api_key: str,
        *,
        host: str = "https://api.sendgrid.com",
        timeout: float = 30.0,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_waits: int = 3,
        max_wait_seconds: float = 60.0,
    ) -> None:
        if not api_key:
            raise ConfigError("SENDGRID_API_KEY is not set: the SendGrid account cannot be read")
        self.host = host.rstrip("/")
        self.timeout = timeout
        self.clock = clock or SystemClock()
        self.sleep = sleep
        self.max_waits = max_waits
        self.max_wait_seconds = max_wait_seconds
        self._sdk = sendgrid.SendGridAPIClient(api_key=api_key, host=self.host)

    @classmethod
    def from_config(cls, config: SendgridConfig, api_key: str | None, clock: Clock) -> SendGridAccount:
        """The account of ``SENDGRID_API_KEY`` (``api_key``) at ``[delivery.sendgrid] api_url``."""
        if not api_key:
            raise ConfigError("SENDGRID_API_KEY is not set: export the API key of the SendGrid account to check")
        return cls(api_key, host=config.api_url, timeout=config.timeout, clock=clock)

    # -- the calls -----------------------------------------------------------------

    def scopes(self) -> frozenset[str]:
        """What the key may do (GET /v3/scopes); a refused key raises ConfigError."""
        body = self.get("scopes")
        scopes = body.get("scopes") if isinstance(body, dict) else None
        if not isinstance(scopes, list):
            raise DeliveryError("SendGrid /v3/scopes: the answer has no list of scopes")
        return frozenset(str(scope) for scope in scopes)

    def event_webhook(self) -> dict[str, Any]:
        """The Event Webhook settings (GET /v3/user/webhooks/event/settings)."""
        body = self.get("user/webhooks/event/settings")
        if not isinstance(body, dict):
            raise DeliveryError("SendGrid /v3/user/webhooks/event/settings: the answer is not an object")
        return body

    def signed_webhook_key(self) -> str:
        """The Signed Event Webhook's public key (base64 DER), "" while signing is off."""
        body = self.get("user/webhooks/event/settings/signed")
        key = body.get("public_key") if isinstance(body, dict) else None
        return key.strip() if isinstance(key, str) else ""

    def authenticated_domains(self) -> list[dict[str, Any]]:
        """The account's authenticated sending domains (GET /v3/whitelabel/domains)."""
        body = self.get("whitelabel/domains")
        if not isinstance(body, list):
            raise DeliveryError("SendGrid /v3/whitelabel/domains: the answer is not a list")
        return [domain for domain in body if isinstance(domain, dict)]

    def suppression_pages(self, name: str, page_size: int = PAGE_SIZE) -> Iterator[list[Any]]:
        """The entries of the suppression list ``name`` (bounces, …), page by page (``limit``/``offset``)."""
        if name not in SUPPRESSION_SCOPES:
            raise ValueError(f"unknown SendGrid suppression list {name!r}")
        offset = 0
        previous: list[Any] | None = None
        while True:
            page = self.get(f"suppression/{name}", {"limit": page_size, "offset": offset})
            if not isinstance(page, list):
                raise DeliveryError("SendGrid /v3/suppression/%(name)s: the answer is not a list", name=name)
            if page and page == previous:
                # A server that ignores ``offset`` would otherwise be read for ever.
                raise DeliveryError(
                    "SendGrid /v3/suppression/%(name)s: the same page came back for the next offset", name=name
                )
            if page:
                yield page
            if len(page) < page_size:
                return
            previous = page
            offset += len(page)

    # -- the transport ---------------------------------------------------------------

    def get(self, path: str, query: Mapping[str, str | int] | None = None) -> Any:
        """GET /v3/``path`` and return the decoded JSON."""
        where = f"/v3/{path}"
        node = self._sdk.client
        for segment in path.split("/"):
            node = node._(segment)
        waits = 0
        while True:
            try:
                response = node.get(query_params=dict(query) if query else None, timeout=self.timeout)
                break
            except HTTPError as error:
                status = int(error.status_code)
                text = _error_text(error.body)
                if status == 401:
                    raise ConfigError(
                        "SENDGRID_API_KEY was refused by %(host)s (401: %(text)s): the key is wrong, "
                        "revoked or for another region",
                        host=self.host,
                        text=text,
                    ) from None
                if status == 403:
                    raise AccessForbidden(where, text) from None
                if status == 429 and waits < self.max_waits:
                    waits += 1
                    self.sleep(self._rate_limit_wait(error.headers))
                    continue
                raise DeliveryError(
                    "SendGrid %(place)s: HTTP %(status)s: %(text)s", place=where, status=status, text=text
                ) from None
            except (OSError, ValueError) as error:
                # URLError, refused connections and time-outs are OSErrors; a malformed URL a ValueError.
                reason = getattr(error, "reason", error)
                raise DeliveryError(
                    "SendGrid %(place)s at %(host)s: not reachable: %(reason)s",
                    place=where,
                    host=self.host,
                    reason=reason,
                ) from None
        try:
            return json.loads(response.body or b"null")
        except ValueError:
            raise DeliveryError("SendGrid %(place)s: the answer is not JSON", place=where) from None

    def _rate_limit_wait(self, headers: Any) -> float:
        reset = headers.get("X-RateLimit-Reset") if headers is not None else None
        try:
            wait = float(reset) - self.clock.now().timestamp()
        except (TypeError, ValueError):
            wait = 1.0
        return min(max(wait, 1.0), self.max_wait_seconds)
