"""The site's front page („/“): where the feeds, the newsletter archive and the sign-up are.

Rendered from the settings alone (no database), once per language at start-up, so ``/`` answers before
the first collect or edition, and feed readers find the feeds through its ``<link rel="alternate">``
autodiscovery tags. Each request gets the reader's language (``?lang=``, the ``lang`` cookie,
``Accept-Language``, else ``[site] language``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from syndication.config import Settings
from syndication.digest.archive import FEED_PATH, INDEX_PATH, alternates
from syndication.digest.render import layout_context
from syndication.feedwriter.links import OPML_PATH, main_feed_links
from syndication.i18n import LANGUAGE_COOKIE, available_locales, page_locale
from syndication.paths import template_search_path
from syndication.templates import render_template


def render_home(settings: Settings, locale: str | None = None) -> str:
    """The front page's HTML in ``locale`` (else ``[site] language``)."""
    site = settings.site.url.rstrip("/")
    context = layout_context(
        settings,
        locale=locale,
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
    """``GET /`` (and HEAD): the front page, in the reader's language."""
    pages = {locale: render_home(settings, locale).encode("utf-8") for locale in available_locales()}
    headers = {"Cache-Control": f"public, max-age={settings.feeds.cache_max_age}", "Vary": "Accept-Language, Cookie"}

    async def home(request: Request) -> HTMLResponse:
        choice = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        locale = page_locale(choice, request.headers.get("accept-language"), settings.site.language)
        return HTMLResponse(pages[locale], headers={**headers, "Content-Language": locale})

    return [Route("/", home, methods=["GET", "HEAD"], name="home")]
