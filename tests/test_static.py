"""Serving public/ over real HTTP on loopback: ETag/304, Last-Modified, gzip, types, hub header."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request

from syndication.config import Settings
from syndication.runtime import Runtime
from syndication.static import PublicFiles, routes
from syndication.testing import live_server
from syndication.web import collect_routes, create_app

RSS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
    + b"<title>x</title>" * 40
    + b"</channel></rss>"
)


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    """The whole app (as `syndication serve` runs it) on a free loopback port, with a few public files."""
    settings = settings.model_copy(update={"feeds": settings.feeds.model_copy(update={"websub_hub": "https://hub.example/"})})
    public = settings.public_dir
    (public / "feeds").mkdir(parents=True)
    (public / "feeds/all.rss").write_bytes(RSS)
    (public / "feeds/all.atom").write_bytes(RSS.replace(b"rss", b"feed"))
    json_feed = b'{"version": "https://jsonfeed.org/version/1.1", "items": []}'
    (public / "feeds/all.json").write_bytes(json_feed + b" " * 300)
    (public / "feeds/index.opml").write_bytes(b'<?xml version="1.0"?><opml version="2.0"/>')
    (public.parent / "secret.txt").write_text("outside", encoding="utf-8")
    with live_server(create_app(Runtime(settings=settings))) as url:
        yield url


def _get(url: str, **headers: str) -> httpx.Response:
    # Accept-Encoding identity unless asked: httpx would otherwise ask for gzip itself.
    headers.setdefault("Accept-Encoding", "identity")
    return httpx.get(url, headers=headers)


def test_second_request_with_etag_gets_304_without_body(base_url: str) -> None:
    """The ETag of a first response brings a 304 with an empty body and the same ETag."""
    first = _get(f"{base_url}/feeds/all.rss")
    second = _get(f"{base_url}/feeds/all.rss", **{"If-None-Match": first.headers["etag"]})
    assert (200, RSS, 304, b"", first.headers["etag"]) == (
        first.status_code, first.content, second.status_code, second.content, second.headers["etag"]
    )


def test_strong_etag_is_the_content_hash(base_url: str) -> None:
    """The ETag is strong (no W/) and changes only when the bytes change."""
    etag = _get(f"{base_url}/feeds/all.rss").headers["etag"]
    assert f'"{hashlib.sha256(RSS).hexdigest()[:32]}"' == etag


def test_if_modified_since_gets_304(base_url: str) -> None:
    """A request with the Last-Modified time as If-Modified-Since gets 304; an older time gets 200."""
    first = _get(f"{base_url}/feeds/all.atom")
    same = _get(f"{base_url}/feeds/all.atom", **{"If-Modified-Since": first.headers["last-modified"]})
    older = _get(f"{base_url}/feeds/all.atom", **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert (304, b"", 200) == (same.status_code, same.content, older.status_code)


def test_gzip_when_accepted_with_its_own_etag(base_url: str) -> None:
    """Accept-Encoding: gzip gets a gzip body, Vary, and a different ETag that also yields 304."""
    plain = _get(f"{base_url}/feeds/all.rss")
    zipped = httpx.get(f"{base_url}/feeds/all.rss", headers={"Accept-Encoding": "gzip"})
    with httpx.Client() as client, client.stream(
        "GET", f"{base_url}/feeds/all.rss", headers={"Accept-Encoding": "gzip"}
    ) as raw:
        body = gzip.decompress(b"".join(raw.iter_raw()))
    revalidated = httpx.get(f"{base_url}/feeds/all.rss",
                            headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]})
    assert ("gzip", "Accept-Encoding", RSS, True, 304) == (
        zipped.headers["content-encoding"], zipped.headers["vary"], body,
        zipped.headers["etag"] != plain.headers["etag"], revalidated.status_code,
    )


def test_content_types_and_cache_control(base_url: str) -> None:
    """Feeds and OPML have their media types with charset=utf-8 and Cache-Control from config."""
    names = ("all.rss", "all.atom", "all.json", "index.opml")
    found = {name: _get(f"{base_url}/feeds/{name}").headers for name in names}
    assert {
        "all.rss": "application/rss+xml; charset=utf-8",
        "all.atom": "application/atom+xml; charset=utf-8",
        "all.json": "application/feed+json; charset=utf-8",
        "index.opml": "text/x-opml; charset=utf-8",
    } == {name: headers["content-type"] for name, headers in found.items()}
    assert {"public, max-age=300"} == {headers["cache-control"] for headers in found.values()}


def test_feeds_carry_the_hub_link_header(base_url: str) -> None:
    """With a hub configured feed responses name it (and the feed itself) in a Link header."""
    link = _get(f"{base_url}/feeds/all.atom").headers["link"]
    assert '<https://hub.example/>; rel="hub", <http://localhost:8000/feeds/all.atom>; rel="self"' == link


def test_missing_files_and_escapes_are_404(base_url: str) -> None:
    """Unknown files and attempts to leave public/ get 404."""
    statuses = [_get(f"{base_url}{path}").status_code for path in ("/feeds/none.rss", "/../secret.txt",
                                                                    "/feeds/%2e%2e/%2e%2e/secret.txt")]
    assert [404, 404, 404] == statuses


def test_head_has_headers_but_no_body(base_url: str) -> None:
    """HEAD answers with the same ETag and length as GET but no body."""
    head = httpx.head(f"{base_url}/feeds/all.rss", headers={"Accept-Encoding": "identity"})
    assert (200, b"", str(len(RSS))) == (head.status_code, head.content, head.headers["content-length"])


def test_routes_mount_public_files_at_root(settings: Settings) -> None:
    """routes(settings) gives the static files and the public/ mount at /; the app ends with the front page and them."""
    mounted = routes(settings)
    app_routes = collect_routes(Runtime(settings=settings))
    assert (["/static", ""], ["/", "/static", ""]) == (
        [route.path for route in mounted],  # type: ignore[attr-defined]
        [route.path for route in app_routes[-3:]],  # type: ignore[attr-defined]
    )


def test_public_dir_is_created_lazily(tmp_path: Path) -> None:
    """Serving a folder that does not exist yet answers 404 instead of failing."""
    request = Request({"type": "http", "method": "GET", "path": "/feeds/all.rss", "root_path": "", "headers": []})
    assert 404 == PublicFiles(tmp_path / "nothing", max_age=60).respond(request).status_code


def test_hostile_paths_are_404_never_500(base_url: str, settings: Settings) -> None:
    """Encoded dots, absolute paths, a NUL byte and symlinks out of public/ are all answered 404."""
    public = settings.public_dir
    (public / "link.txt").symlink_to(public.parent / "secret.txt")
    (public / "outside").symlink_to(public.parent, target_is_directory=True)
    paths = [
        "/%2e%2e/secret.txt",
        "/feeds/%2e%2e/%2e%2e/secret.txt",
        "/feeds/..%2f..%2fsecret.txt",
        f"/{public.parent}/secret.txt",
        "/%2f" + str(public.parent / "secret.txt").lstrip("/"),
        "/feeds/all.rss%00",
        "/feeds/all.rss%00.txt",
        "/link.txt",
        "/outside/secret.txt",
    ]
    assert [(path, 404) for path in paths] == [(path, _get(f"{base_url}{path}").status_code) for path in paths]
