"""Signed POSTs in the Standard Webhooks scheme, and the wait between attempts.

Outgoing webhooks and partner pushes both post a JSON body signed with the receiver's own
secret (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``), count a 2xx answer as
delivered, and retry anything else after an exponential, capped wait with jitter.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import httpx
from standardwebhooks.webhooks import Webhook


class SecretInvalid(ValueError):
    """The signing secret is not a Standard Webhooks secret (``whsec_`` followed by base64)."""


def backoff(attempts: int, base_seconds: float, max_seconds: float, rng: random.Random) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubled each time up to the cap, half to all of it."""
    ceiling = min(max_seconds, base_seconds * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=rng.uniform(ceiling / 2, ceiling))


def post_signed(
    client: httpx.Client,
    url: str,
    *,
    secret: str,
    message_id: str,
    body: str,
    signed_at: datetime,
    timeout: float,
    user_agent: str,
) -> tuple[int | None, str | None]:
    """POST ``body`` signed with ``secret``: (HTTP status or None, the error or None when delivered).

    Raises SecretInvalid when ``secret`` cannot sign.
    """
    try:
        signature = Webhook(secret).sign(message_id, signed_at, body)
    except Exception as exc:  # the library raises bare errors for a malformed secret
        raise SecretInvalid("not a webhook secret (whsec_ followed by base64)") from exc
    headers = {
        "content-type": "application/json",
        "user-agent": user_agent,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": signature,
    }
    try:
        answer = client.post(url, content=body.encode("utf-8"), headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= answer.status_code < 300:
        return answer.status_code, None
    return answer.status_code, f"HTTP {answer.status_code}: {answer.text[:200]}"
