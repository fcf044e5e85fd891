"""The digest in headless Chromium at phone (375 px) and desktop-mail (650 px) widths.

Driven over the DevTools protocol (tests/digest/cdp.py), which can emulate a 375 px viewport.

Chromium is Debian's ``chromium`` package; the session fixture installs it when it is
missing and we are root with apt-get, and skips with the reason otherwise. Screenshots
are kept under tests/artifacts/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import re
import shutil
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from machine import debian_chromium

from syndication.app import App
from syndication.digest.personalize import ALL_ARTICLES
from syndication.mail.base import personalise
from syndication.model import Article, Image
from syndication.runtime import Runtime
from tests.digest.cdp import Chromium
from tests.digest.conftest import make_edition, sample_articles, subscriber
from tests.digest.contrast import CONTRAST_SCRIPT, TextContrast, too_faint

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "digest"
MEASURE = """
(function () {
  var width = window.innerWidth;
  var images = Array.prototype.map.call(document.images, function (img) {
    var box = img.getBoundingClientRect();
    return {src: img.getAttribute('src'), left: box.left, right: box.right,
            loaded: img.complete && img.naturalWidth > 0};
  });
  return {innerWidth: width, scrollWidth: document.documentElement.scrollWidth, images: images};
})()
"""


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, made here so the test needs no network and no image library."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def chromium() -> str:
    return debian_chromium()


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "chromium-profile"
    folder.mkdir()
    yield folder


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (digests link only http(s) images), and its base URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _served_articles(folder: Path, base_url: str) -> list[Article]:
    """Sample articles whose images are served from ``folder`` at ``base_url``."""
    (folder / "lead.png").write_bytes(_png(1200, 675, (40, 90, 140)))
    (folder / "portrait.png").write_bytes(_png(200, 200, (180, 140, 60)))
    lead_image, portrait = f"{base_url}/lead.png", f"{base_url}/portrait.png"
    articles = []
    for article in sample_articles(6):
        image = replace(article.image, url=lead_image) if article.image else Image(url=lead_image)
        old_portrait = article.author.portrait  # type: ignore[union-attr]
        author = replace(article.author, portrait=replace(old_portrait, url=portrait))  # type: ignore[arg-type,type-var]
        articles.append(replace(article, image=image, author=author))
    # One card without image and with a long unbreakable word: it must wrap, not scroll.
    long_word = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenhersteller"
    articles[2] = replace(articles[2], image=None, teaser=f"{long_word} " * 3)
    # A quote of its own: the outlook gets its own box („Ausblick“) besides the quote.
    articles[1] = replace(articles[1], author_quote="Dialog ist besser als Stillstand.")
    return articles


def _digest_page(runtime: Runtime, folder: Path, base_url: str) -> Path:
    """A personalised digest whose images are served from ``folder`` at ``base_url``."""
    articles = _served_articles(folder, base_url)
    mailer = App(runtime).edition_mailer(make_edition(articles), articles)
    message = personalise(mailer.body(ALL_ARTICLES), mailer.recipient(subscriber(1, name="Anna")))
    page = folder / "digest.html"
    page.write_text(message.html, encoding="utf-8")
    return page


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 650])
def test_digest_fits_the_viewport(
    chromium: str, profile: Path, runtime: Runtime, served: tuple[Path, str], width: int
) -> None:
    """No horizontal scrolling and every image inside the viewport; a screenshot is kept."""
    folder, base_url = served
    page = _digest_page(runtime, folder, base_url)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with Chromium(chromium, profile) as browser:
        session = browser.open_page(f"{base_url}/{page.name}", width, 2000)
        measured = browser.evaluate(session, MEASURE)
        browser.screenshot(session, ARTIFACTS / f"digest-{width}px.png")
    assert width == measured["innerWidth"]
    assert measured["scrollWidth"] <= measured["innerWidth"]
    images = measured["images"]
    assert len(images) >= 10
    assert [] == [i["src"] for i in images if not i["loaded"]]
    assert [] == [i for i in images if i["left"] < 0 or i["right"] > measured["innerWidth"] + 0.5]
    assert (ARTIFACTS / f"digest-{width}px.png").stat().st_size > 0


def _write(folder: Path, name: str, html: str) -> str:
    (folder / name).write_text(html, encoding="utf-8")
    return name


def _subscriber_pages(runtime: Runtime) -> dict[str, str]:
    """The subscriber pages as the real app answers them: form, form with errors, preferences, unsubscribe, message."""
    from starlette.testclient import TestClient

    from subscribers.model import SubscriberStatus
    from syndication.web import create_app

    reader = App(runtime).subscriber_store().add(
        "leserin@example.org", now=runtime.clock.now(), status=SubscriberStatus.ACTIVE, name="Anna"
    )
    links = App(runtime).subscription_service().links(reader)
    site = runtime.settings.site.url.rstrip("/")
    with TestClient(create_app(runtime), base_url=site) as client:
        form = client.get("/subscribe")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        invalid = client.post("/subscribe", data={"csrf": csrf.group(1), "email": "kein-at", "frequency": "oft"})
        pages = {
            "subscribe": form,
            "subscribe-errors": invalid,
            "preferences": client.get(links["preferences_url"].removeprefix(site)),
            "unsubscribe": client.get(links["unsubscribe_url"].removeprefix(site)),
            "message": client.get("/confirm?token=kaputt"),
        }
    statuses = {name: response.status_code for name, response in pages.items() if response.status_code != 200}
    assert {"subscribe-errors": 400, "message": 400} == statuses
    return {name: response.text for name, response in pages.items()}


@pytest.fixture
def every_page(runtime: Runtime, served: tuple[Path, str]) -> tuple[str, list[str]]:
    """Every kind of page a reader sees, as files in the served folder: (base URL, file names)."""
    from syndication.digest.archive import archive_entry, render_edition_page, render_index
    from syndication.digest.home import render_home
    from syndication.digest.render import render_transactional

    folder, base_url = served
    settings = runtime.settings
    names = [_digest_page(runtime, folder, base_url).name]
    articles = _served_articles(folder, base_url)
    edition = make_edition(articles)
    names.append(_write(folder, "archive-edition.html", render_edition_page(edition, articles, settings)))
    index = render_index([archive_entry(edition, articles, settings)], settings)
    names.append(_write(folder, "archive-index.html", index))
    names.append(_write(folder, "home.html", render_home(settings)))
    confirm = render_transactional(
        "confirm", {"confirm_url": f"{settings.site.url}/confirm?token=abc", "expiry_hours": 48, "name": None},
        runtime.settings,
    )
    names.append(_write(folder, "mail-confirm.html", confirm.html))
    welcome = render_transactional(
        "welcome",
        {
            "name": "Anna", "again": False, "frequency_label": "täglich", "topics": ["Politik"], "slot": "06:00",
            "preferences_url": f"{settings.site.url}/preferences?token=abc",
            "unsubscribe_url": f"{settings.site.url}/unsubscribe?token=abc",
        },
        runtime.settings,
    )
    names.append(_write(folder, "mail-welcome.html", welcome.html))
    for name, html in _subscriber_pages(runtime).items():
        names.append(_write(folder, f"page-{name}.html", html))
    # Kept for a human to open (with the images they show) next to the screenshots.
    shutil.copytree(folder, ARTIFACTS / "pages", dirs_exist_ok=True)
    return base_url, names


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 650])
def test_every_text_is_readable_in_light_and_dark(
    chromium: str, profile: Path, every_page: tuple[str, list[str]], scheme: str, width: int
) -> None:
    """Digest, mails, archive, front page and subscriber pages: every visible text has a contrast of at least 4.5:1."""
    base_url, names = every_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    faint: dict[str, list[str]] = {}
    measured_texts = 0
    with Chromium(chromium, profile) as browser:
        for name in names:
            session = browser.open_page(f"{base_url}/{name}", width, 1200, color_scheme=scheme)
            assert scheme == browser.evaluate(
                session, "matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'"
            )
            measured = [TextContrast.from_script(item) for item in browser.evaluate(session, CONTRAST_SCRIPT)]
            measured_texts += len(measured)
            browser.screenshot(session, ARTIFACTS / f"{Path(name).stem}-{scheme}-{width}px.png")
            if too_faint(measured):
                faint[name] = too_faint(measured)
            assert [] == [str(m) for m in measured if m.over_image], name
    assert measured_texts > 200
    problems = [f"{name}: {text}" for name, texts in faint.items() for text in texts]
    assert not problems, "texts below 4.5:1:\n" + "\n".join(problems)
