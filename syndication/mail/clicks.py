"""Click tokens: an article link of a digest names (edition, article, variant, slot) and, only with
``[tracking] per_subscriber``, the subscriber, signed with the site's secret (salt ``syndication.click``)
and expiring after ``[tracking] link_days``. The digest makes the links; the redirect
(:mod:`syndication.events.clicks`) reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature

from syndication.clock import Clock
from syndication.tokens import clocked_serializer

_SALT = "syndication.click"


@dataclass(frozen=True)
class Click:
    edition_id: str
    article_id: str
    variant: str | None
    slot: str | None
    subscriber_id: int | None = None


class ClickTokens:
    """Signs and reads click tokens; ``clock`` decides what "expired" means (tests move it)."""

    def __init__(self, secret_key: str, clock: Clock, max_age_days: int) -> None:
        self._serializer = clocked_serializer(secret_key, _SALT, clock)
        self.max_age = max_age_days * 24 * 3600

    def make(self, click: Click) -> str:
        payload: list[Any] = [click.edition_id, click.article_id, click.variant, click.slot]
        if click.subscriber_id is not None:
            payload.append(click.subscriber_id)
        return str(self._serializer.dumps(payload))

    def read(self, token: str) -> Click:
        """The click a token stands for; raises SignatureExpired or BadSignature."""
        data = self._serializer.loads(token, max_age=self.max_age)
        if not isinstance(data, list) or len(data) not in (4, 5):
            raise BadSignature("not a click token")
        edition_id, article_id, variant, slot = data[:4]
        subscriber_id = data[4] if len(data) == 5 else None
        if not isinstance(edition_id, str) or not isinstance(article_id, str):
            raise BadSignature("not a click token")
        return Click(edition_id, article_id, variant if isinstance(variant, str) else None,
                     slot if isinstance(slot, str) else None,
                     subscriber_id if isinstance(subscriber_id, int) else None)


def link_maker(
    tokens: ClickTokens, site_url: str, edition_id: str, slot: str | None
) -> Callable[[str, str, int | None], str]:
    """``(article_id, variant, subscriber_id) -> /r/ URL`` for one edition's digests."""
    site = site_url.rstrip("/")

    def link(article_id: str, variant: str, subscriber_id: int | None = None) -> str:
        return f"{site}/r/{tokens.make(Click(edition_id, article_id, variant, slot, subscriber_id))}"

    return link
