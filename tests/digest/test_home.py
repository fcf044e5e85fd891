"""The demo as a reader meets it: the front page at „/“ and the sample articles' images, served by the real app."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from lxml import html as lxml_html
from starlette.testclient import TestClient

from syndication.paths import STATIC_DIR
from syndication.runtime import Runtime
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore
from syndication.web import create_app
from tests.digest.sample_images import render_all

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """The app ``syndication serve`` runs, addressed by the configured site URL."""
    with TestClient(create_app(runtime), base_url=runtime.settings.site.url) as test_client:
        yield test_client


def test_front_page_links_feeds_archive_and_sign_up(client: TestClient) -> None:
    """GET / is an HTML page with feed autodiscovery links and links to the archive and the sign-up."""
    response = client.get("/")
    page = lxml_html.document_fromstring(response.text)
    discovered = {(link.get("type"), link.get("href")) for link in page.xpath("//head/link[@rel='alternate']")}
    links = set(page.xpath("//body//a/@href"))
    assert (200, "text/html") == (response.status_code, response.headers["content-type"].split(";")[0])
    assert {
        ("application/rss+xml", "http://localhost:8000/feeds/all.rss"),
        ("application/atom+xml", "http://localhost:8000/feeds/all.atom"),
        ("application/feed+json", "http://localhost:8000/feeds/all.json"),
        ("application/atom+xml", "http://localhost:8000/archive/editions.atom"),
    } <= discovered
    assert {
        "http://localhost:8000/subscribe",
        "http://localhost:8000/archive/index.html",
        "http://localhost:8000/feeds/index.opml",
    } <= links
    assert 200 == client.head("/").status_code


def test_every_sample_image_is_served_by_the_app(runtime: Runtime, client: TestClient) -> None:
    """Each image and portrait of the bundled articles is a PNG that serve delivers under the site URL."""
    run_collect(runtime.settings, ArticleStore(runtime.engine), runtime.clock)
    articles = ArticleStore(runtime.engine).all()
    site = runtime.settings.site.url.rstrip("/")
    urls = {a.image.url for a in articles if a.image} | {
        a.author.portrait.url for a in articles if a.author and a.author.portrait
    }
    urls |= {url for a in articles for url in re.findall(r'<img[^>]+src="([^"]+)"', a.body_html)}
    assert len(urls) >= 15
    assert [] == sorted(url for url in urls if not url.startswith(f"{site}/static/"))
    answers = {url: client.get(url.removeprefix(site)) for url in urls}
    assert {} == {
        url: (response.status_code, response.headers.get("content-type"))
        for url, response in answers.items()
        if response.status_code != 200 or response.headers.get("content-type") != "image/png"
        or not response.content.startswith(PNG_SIGNATURE)
    }


def test_sample_images_are_the_ones_the_generator_draws() -> None:
    """The shipped images are exactly what tests/digest/sample_images.py draws (our own work, CC0)."""
    drawn = render_all()
    shipped = {
        path.relative_to(STATIC_DIR / "samples").as_posix(): path.read_bytes()
        for path in (STATIC_DIR / "samples").rglob("*.png")
    }
    assert sorted(drawn) == sorted(shipped)
    assert [] == [name for name, data in drawn.items() if shipped[name] != data]
    assert "CC0" in (STATIC_DIR / "samples" / "LICENSE.txt").read_text(encoding="utf-8")
