"""WebSub (W3C Recommendation): tell the hub which feeds changed, so subscribers get them at once.

A publisher notifies its hub with a form POST ``hub.mode=publish`` and ``hub.url=<feed>``;
the hub then fetches the feed itself. A hub that fails never blocks publishing: the feeds
it did not accept stay pending (see :mod:`syndication.feeds.publish`) and are announced
again on the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebsubOutcome:
    """What the hub accepted (``announced``) and what is left for the next run (``pending``)."""

    hub: str
    announced: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.pending


def announce(hub: str, urls: Sequence[str], client: httpx.Client) -> WebsubOutcome:
    """Announce each of ``urls`` to ``hub``; a hub that cannot be reached leaves the rest pending."""
    announced: list[str] = []
    pending: list[str] = []
    error: str | None = None
    for index, url in enumerate(dict.fromkeys(urls)):
        try:
            response = client.post(hub, data={"hub.mode": "publish", "hub.url": url})
        except httpx.HTTPError as exc:
            # The hub is unreachable: every further request would fail (and wait) the same way.
            error = f"{hub}: {type(exc).__name__}: {exc}"
            pending.extend(list(dict.fromkeys(urls))[index:])
            break
        if 200 <= response.status_code < 300:
            announced.append(url)
        else:
            error = f"{hub}: answered {response.status_code} for {url}"
            pending.append(url)
    if error:
        log.warning("websub: %s; %d feed(s) will be announced again next run", error, len(pending))
    elif announced:
        log.info("websub: announced %d feed(s) to %s", len(announced), hub)
    return WebsubOutcome(hub=hub, announced=tuple(announced), pending=tuple(pending), error=error)
