"""The site's front page („/“): where the feeds, the newsletter archive and the sign-up are.

Rendered per request from the settings alone (no database), so ``/`` answers before the
first collect or edition, and feed readers find the feeds through its
``<link rel="alternate">`` autodiscovery tags.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from syndication.config import Settings
from syndication.digest.archive import FEED_PATH, INDEX_PATH, alternates
from syndication.digest.render import layout_context
from syndication.feedwriter.links import OPML_PATH, main_feed_links
from syndication.paths import template_search_path
from syndication.templates import render_template


def render_home(settings: Settings) -> str:
    """The front page's HTML."""
    site = settings.site.url.rstrip("/")
    context = layout_context(
        settings,
        title=settings.site.name,
        description=settings.site.description,
        canonical_url=f"{site}/",
        alternates=alternates(settings),
        feeds=[(link.href, link.media_type, link.title) for link in main_feed_links(settings)],
        editions_feed_url=f"{site}/{FEED_PATH}",
        opml_url=f"{site}/{OPML_PATH}",
        archive_url=f"{site}/{INDEX_PATH}",
        subscribe_url=f"{site}/subscribe",
    )
    return render_template("web/home.html.j2", context, template_search_path(settings))


def routes(settings: Settings) -> list[BaseRoute]:
    """``GET /`` (and HEAD): the front page."""
    page = render_home(settings).encode("utf-8")
    headers = {"Cache-Control": f"public, max-age={settings.feeds.cache_max_age}"}

    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    return [Route("/", home, methods=["GET", "HEAD"], name="home")]
