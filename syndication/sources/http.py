"""HTTP for sources that read a remote site: one client per collect, clear errors, no retries.

A failing request raises :class:`SourceUnavailable` naming the exact URL; retrying is the
scheduler's job (its next run), so a collect never hangs on a dead server for longer than
one time-out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import httpx

from syndication import __version__
from syndication.config import SiteConfig
from syndication.errors import SourceUnavailable

# Bodies longer than this are cut in error messages: enough to recognise an HTML error page.
_SNIPPET = 120


def user_agent(site: SiteConfig) -> str:
    return f"syndication/{__version__} (+{site.url})"


@contextmanager
def client_scope(client: httpx.Client | None, site: SiteConfig) -> Iterator[httpx.Client]:
    """The given client (left open), or a new one closed at the end of the block."""
    if client is not None:
        yield client
        return
    created = httpx.Client(follow_redirects=True, headers={"User-Agent": user_agent(site)})
    try:
        yield created
    finally:
        created.close()


def with_query(url: str, params: Mapping[str, Any], flags: tuple[str, ...] = ()) -> str:
    """``url`` with ``params`` as its query; ``flags`` are bare parameters such as ``_embed``."""
    parts = [*flags, urlencode({key: str(value) for key, value in params.items()})]
    query = "&".join(part for part in parts if part)
    return f"{url}?{query}" if query else url


def get(client: httpx.Client, url: str, timeout: float, accept: str) -> httpx.Response:
    """GET ``url``; a time-out or a connection failure becomes SourceUnavailable(url, …)."""
    try:
        return client.get(url, timeout=timeout, headers={"Accept": accept})
    except httpx.TimeoutException:
        raise SourceUnavailable(
            url, "no answer within %(timeout)g s (time-out); the next collect tries again", timeout=timeout
        ) from None
    except httpx.TransportError as exc:
        raise SourceUnavailable(url, "cannot connect: %(exc)s", exc=exc or type(exc).__name__) from None
    except httpx.InvalidURL as exc:
        raise SourceUnavailable(url, "not a valid URL: %(exc)s", exc=exc) from None


def snippet(response: httpx.Response) -> str:
    """The start of the body, on one line, for error messages."""
    text = " ".join(response.text[: _SNIPPET * 2].split())
    return text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else "")


def status_error(url: str, response: httpx.Response) -> SourceUnavailable:
    """The error for a non-2xx answer, with WordPress's ``code``/``message`` when the body has them."""
    status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    # Only data (the status, the server's own words): the same template for each, with the values verbatim.
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        if isinstance(body.get("message"), str):
            return SourceUnavailable(
                url, "%(status)s: %(code)s (%(text)s)", status=status, code=body["code"], text=body["message"]
            )
        return SourceUnavailable(url, "%(status)s: %(code)s", status=status, code=body["code"])
    if response.content:
        return SourceUnavailable(url, "%(status)s: %(code)s", status=status, code=snippet(response))
    return SourceUnavailable(url, "%(status)s", status=status)
