"""The account side of ``FakeSendGrid``: the read-only v3 endpoints outside Mail Send.

Shipped as public API with :mod:`syndication.delivery.testing`. A :class:`FakeAccount` holds
what a SendGrid account would show (the key's scopes, the Event Webhook settings and its
signing key, authenticated domains, the suppression lists) and answers GET requests for it
the way SendGrid does: 403 "access forbidden" where the key lacks the scope, 400 for a bad
``limit``/``offset``, pages cut by ``limit`` and ``offset``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

# The suppression lists a key can read, by the name in their path, and the scope each needs.
SUPPRESSION_SCOPES: Final = {
    "bounces": "suppression.bounces.read",
    "blocks": "suppression.blocks.read",
    "spam_reports": "suppression.spam_reports.read",
    "invalid_emails": "suppression.invalid_emails.read",
    "unsubscribes": "suppression.unsubscribes.read",
}
WEBHOOK_SCOPE: Final = "user.webhooks.event.settings.read"
DOMAINS_SCOPE: Final = "whitelabel.read"
# SendGrid's largest page for the suppression lists.
MAX_LIMIT: Final = 500

# What a full-access key of a sending account reports (those this project looks at).
FULL_SCOPES: Final = frozenset({"mail.send", WEBHOOK_SCOPE, DOMAINS_SCOPE, *SUPPRESSION_SCOPES.values()})

# The Event Webhook settings a newly enabled webhook shows, every event type on.
_EVENT_TYPES = (
    "bounce", "click", "deferred", "delivered", "dropped", "group_resubscribe", "group_unsubscribe",
    "open", "processed", "spam_report", "unsubscribe",
)


def webhook_settings(url: str, *, enabled: bool = True, **events: bool) -> dict[str, Any]:
    """Event Webhook settings as GET /v3/user/webhooks/event/settings answers them (``events`` overrides)."""
    settings: dict[str, Any] = {"enabled": enabled, "url": url, "oauth_client_id": ""}
    settings.update({name: events.get(name, True) for name in _EVENT_TYPES})
    return settings


@dataclass
class FakeAccount:
    """What the fake's account endpoints show; change the fields to set up a test."""

    scopes: set[str] = field(default_factory=lambda: set(FULL_SCOPES))
    event_webhook: dict[str, Any] = field(default_factory=lambda: webhook_settings("", enabled=False))
    # Base64 DER of the Signed Event Webhook's public key; "" while signing is off.
    signed_public_key: str = ""
    domains: list[dict[str, Any]] = field(default_factory=list)
    # List name (bounces, blocks, spam_reports, invalid_emails, unsubscribes) → entries, oldest first.
    suppressions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Every GET answered, as "path?query" (tests check the paging).
    requested: list[str] = field(default_factory=list)

    def add_suppression(self, name: str, email: str, created: int = 1_764_000_000, **extra: Any) -> None:
        """Put ``email`` on the list ``name`` as SendGrid shows it (``created`` in Unix seconds)."""
        if name not in SUPPRESSION_SCOPES:
            raise ValueError(f"unknown suppression list {name!r}")
        self.suppressions.setdefault(name, []).append({"created": created, "email": email, **extra})

    def answer(self, target: str) -> tuple[int, Any]:
        """Status and JSON body for a GET of ``target`` (path and query) by an authorised key."""
        self.requested.append(target)
        parts = urlsplit(target)
        path = parts.path.rstrip("/")
        query = parse_qs(parts.query)
        if path == "/v3/scopes":
            return 200, {"scopes": sorted(self.scopes)}
        if path == "/v3/user/webhooks/event/settings":
            return self._scoped(WEBHOOK_SCOPE, lambda: dict(self.event_webhook))
        if path == "/v3/user/webhooks/event/settings/signed":
            return self._scoped(WEBHOOK_SCOPE, lambda: {"public_key": self.signed_public_key})
        if path == "/v3/whitelabel/domains":
            return self._scoped(DOMAINS_SCOPE, lambda: list(self.domains))
        prefix = "/v3/suppression/"
        if path.startswith(prefix) and path[len(prefix):] in SUPPRESSION_SCOPES:
            name = path[len(prefix):]
            return self._page(name, query)
        return 404, {"errors": [{"field": None, "message": "resource not found"}]}

    def _scoped(self, scope: str, body: Any) -> tuple[int, Any]:
        if scope not in self.scopes:
            return 403, {"errors": [{"field": None, "message": "access forbidden"}]}
        return 200, body()

    def _page(self, name: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if SUPPRESSION_SCOPES[name] not in self.scopes:
            return 403, {"errors": [{"field": None, "message": "access forbidden"}]}
        try:
            limit = int(query.get("limit", [str(MAX_LIMIT)])[0])
            offset = int(query.get("offset", ["0"])[0])
        except ValueError:
            return 400, {"errors": [{"field": "limit", "message": "limit and offset must be integers"}]}
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            return 400, {"errors": [{"field": "limit", "message": f"limit must be between 1 and {MAX_LIMIT}"}]}
        entries = self.suppressions.get(name, [])
        return 200, [dict(entry) for entry in entries[offset : offset + limit]]
