"""The recommended production setup: nginx with docs/operating/nginx.conf in front of ``syndication serve``.

nginx serves public/ from disk with the headers ``serve`` gives (Content-Type, Cache-Control,
Last-Modified, gzip with Vary, an ETag and its 304) and passes every other path to the app, whose
client is the reader nginx saw, because [serve] trusted_proxies lists nginx. Both run as their own
processes on loopback; nginx is installed (Debian's package) when it is missing and we are root.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest
from serve_process import serve_process

from subscribers.store import SubscriberStore
from syndication.clock import FixedClock
from syndication.config import Settings, SourceConfig, load_settings
from syndication.feeds.publish import build_and_publish
from syndication.runtime import Runtime
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore
from syndication.store.db import open_engine

from .nginx_process import PROJECT_ROOT, SITE_CONFIG, install_nginx, nginx_process

SECRET = "test-secret-key-0123456789abcdef"
# A reader on another loopback address than nginx's own (127.0.0.1), so the two can be told apart.
READER = "127.0.0.2"


@dataclass(frozen=True)
class Stack:
    settings: Settings
    app: str
    nginx: str


def _site(folder: Path) -> Settings:
    """Settings over ``folder`` with public/ built from the bundled sample articles."""
    env = {
        "SYNDICATION_SITE__PUBLIC_DIR": str(folder / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(folder / "outbox"),
        "SYNDICATION_SITE__VAR_DIR": str(folder / "var"),
    }
    loaded = load_settings(PROJECT_ROOT / "config.toml", env=env)
    settings = loaded.model_copy(
        update={"sources": (SourceConfig(name="content", type="folder", path=PROJECT_ROOT / "content"),)}
    )
    clock = FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    runtime = Runtime(settings=settings, clock=clock)
    try:
        run_collect(settings, ArticleStore(runtime.engine), clock)
        build_and_publish(runtime.settings, runtime.engine)
    finally:
        runtime.close()
    return settings


@contextmanager
def _stack(folder: Path, trusted_proxies: str) -> Iterator[Stack]:
    settings = _site(folder)
    env = {
        "SYNDICATION_SITE__PUBLIC_DIR": str(settings.public_dir),
        "SYNDICATION_SITE__OUTBOX_DIR": str(folder / "outbox"),
        "SYNDICATION_SITE__VAR_DIR": str(folder / "var"),
        "SYNDICATION_SECRET_KEY": SECRET,
        "SYNDICATION_SERVE__TRUSTED_PROXIES": trusted_proxies,
    }
    with (serve_process(folder, env) as app,
          nginx_process(folder / "nginx", settings.public_dir, app, max_age=settings.feeds.cache_max_age,
                        workers="1") as web):
        yield Stack(settings, app, web)


@pytest.fixture(scope="module")
def nginx_installed() -> None:
    reason = install_nginx()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def stack(nginx_installed: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """nginx in front of serve, with [serve] trusted_proxies = ["127.0.0.1"] (nginx's address)."""
    with _stack(tmp_path_factory.mktemp("trusted"), '["127.0.0.1"]') as running:
        yield running


def _public_files(settings: Settings) -> list[str]:
    root = settings.public_dir
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_docs_page_shows_the_tested_file() -> None:
    """The operating docs show docs/operating/nginx.conf verbatim, so readers copy what is tested."""
    page = (PROJECT_ROOT / "docs" / "operating" / "nginx.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", page, flags=re.DOTALL)
    assert [SITE_CONFIG.read_text(encoding="utf-8")] == blocks


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/feeds/all.rss", "application/rss+xml; charset=utf-8"),
        ("/feeds/all.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/all.json", "application/feed+json; charset=utf-8"),
        ("/feeds/index.opml", "text/x-opml; charset=utf-8"),
    ],
)
def test_feeds_come_from_nginx_with_type_caching_and_etag(stack: Stack, path: str, content_type: str) -> None:
    """Each feed format: served by nginx itself, its Content-Type, Cache-Control from cache_max_age, an ETag."""
    answer = httpx.get(stack.nginx + path, headers={"Accept-Encoding": "identity"})
    file = stack.settings.public_dir / path.lstrip("/")
    assert (200, "nginx", content_type, "public, max-age=300", file.read_bytes()) == (
        answer.status_code, answer.headers["server"].split("/")[0], answer.headers["content-type"],
        answer.headers["cache-control"], answer.content,
    )
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', answer.headers["etag"]), answer.headers["etag"]


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_every_public_file_has_the_apps_headers(stack: Stack, encoding: str) -> None:
    """For every file in public/, nginx gives the app's Content-Type, Cache-Control, Last-Modified, Vary, bytes."""
    names = _public_files(stack.settings)
    assert names, "the build wrote no file"
    headers = {"Accept-Encoding": encoding}

    def seen(base: str, name: str) -> tuple[object, ...]:
        answer = httpx.get(f"{base}/{name}", headers=headers)
        return (name, answer.status_code, answer.headers.get("content-type"), answer.headers.get("cache-control"),
                answer.headers.get("last-modified"), answer.headers.get("content-encoding"),
                answer.headers.get("vary"), answer.content)

    assert [seen(stack.app, name) for name in names] == [seen(stack.nginx, name) for name in names]


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_conditional_get_with_nginxs_etag_is_304(stack: Stack, encoding: str) -> None:
    """If-None-Match with the ETag nginx gave (weak for gzip) gets 304 with no body and the caching headers."""
    url = f"{stack.nginx}/feeds/all.atom"
    first = httpx.get(url, headers={"Accept-Encoding": encoding})
    again = httpx.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": first.headers["etag"]})
    assert (encoding == "gzip", 304, b"", "public, max-age=300", first.headers["last-modified"]) == (
        first.headers["etag"].startswith("W/"), again.status_code, again.content,
        again.headers.get("cache-control"), again.headers.get("last-modified"),
    )


def test_if_modified_since_without_etag_is_304_as_in_the_app(stack: Stack) -> None:
    """Without If-None-Match, an If-Modified-Since not older than the file gets 304 (a later date too, as in serve)."""
    file = stack.settings.public_dir / "feeds" / "all.rss"
    later = formatdate(file.stat().st_mtime + 3600, usegmt=True)
    earlier = formatdate(file.stat().st_mtime - 3600, usegmt=True)
    statuses = [
        httpx.get(f"{base}/feeds/all.rss", headers={"If-Modified-Since": since}).status_code
        for base in (stack.app, stack.nginx) for since in (later, earlier)
    ]
    assert [304, 200, 304, 200] == statuses


def test_a_changed_feed_gets_a_new_etag_and_the_old_one_a_200(nginx_installed: None, tmp_path: Path) -> None:
    """After a rebuild replaces a feed with other bytes, the old ETag no longer matches: 200 with the new bytes."""
    with _stack(tmp_path, "[]") as running:
        url = f"{running.nginx}/feeds/all.rss"
        before = httpx.get(url)
        file = running.settings.public_dir / "feeds" / "all.rss"
        # As the feed writer publishes: a temporary file beside it, then os.replace, a later modification time.
        temporary = file.with_name(".all.rss.tmp")
        temporary.write_bytes(file.read_bytes().replace(b"</channel>", b"<ttl>30</ttl></channel>"))
        mtime = file.stat().st_mtime + 60
        os.utime(temporary, (mtime, mtime))
        hidden = httpx.get(f"{running.nginx}/feeds/.all.rss.tmp").status_code
        os.replace(temporary, file)
        after = httpx.get(url, headers={"If-None-Match": before.headers["etag"]})
    assert (404, 200, file.read_bytes()) == (hidden, after.status_code, after.content)
    assert before.headers["etag"] != after.headers["etag"]


def test_app_routes_are_passed_to_serve(stack: Stack) -> None:
    """/subscribe, /healthz, /openapi.json and the front page come from serve through nginx, as served directly."""
    for path in ("/subscribe", "/healthz", "/openapi.json", "/"):
        direct = httpx.get(stack.app + path)
        proxied = httpx.get(stack.nginx + path)
        assert (path, direct.status_code, direct.headers["cache-control"]) == (
            path, proxied.status_code, proxied.headers["cache-control"])
        if path == "/subscribe":
            assert 'name="csrf"' in proxied.text
        elif path == "/healthz":
            # Its facts include how long ago things ran: the verdict is what must be the same.
            assert direct.json()["status"] == proxied.json()["status"]
        else:
            assert direct.content == proxied.content
    assert "nginx" == httpx.get(stack.nginx + "/healthz").headers["server"].split("/")[0]


def test_dot_files_and_missing_files_are_not_served(stack: Stack) -> None:
    """A dot-file in public/ (the writer's temporary files) is 404 through nginx, as from serve; so is a missing one."""
    (stack.settings.public_dir / "feeds" / ".half-written.tmp").write_bytes(b"secret")
    statuses = [httpx.get(f"{base}/{path}").status_code
                for base in (stack.app, stack.nginx) for path in ("feeds/.half-written.tmp", "feeds/missing.rss")]
    assert [404] * 4 == statuses


def _sign_up_as_reader(base_url: str, email: str, forged: str) -> int:
    """The form's journey from the reader's address, with a forged X-Forwarded-For on both requests."""
    transport = httpx.HTTPTransport(local_address=READER)
    headers = {"X-Forwarded-For": forged}
    with httpx.Client(base_url=base_url, transport=transport) as http:
        page = http.get("/subscribe", headers=headers)
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token, "no form token on the page"
        answer = http.post("/subscribe", headers=headers,
                           data={"csrf": token.group(1), "email": email, "frequency": "daily"})
    return answer.status_code


def _requested_ip(settings: Settings, email: str) -> str | None:
    engine = open_engine(settings.store_url)
    try:
        store = SubscriberStore(engine, SECRET)
        subscriber = store.get_by_email(email)
        assert subscriber is not None, f"{email} was not stored"
        return store.consent_records(subscriber.id)[0].ip
    finally:
        engine.dispose()


def test_app_sees_the_reader_nginx_saw_because_nginx_is_trusted(stack: Stack) -> None:
    """With trusted_proxies = ["127.0.0.1"] the consent record has the reader's address, never a forged one."""
    status = _sign_up_as_reader(stack.nginx, "leserin@example.org", "203.0.113.9")
    assert (200, READER) == (status, _requested_ip(stack.settings, "leserin@example.org"))


def test_without_trusted_proxies_the_app_sees_nginx(nginx_installed: None, tmp_path: Path) -> None:
    """With trusted_proxies empty, nginx's X-Forwarded-For is ignored: the client is nginx (127.0.0.1)."""
    with _stack(tmp_path, "[]") as running:
        status = _sign_up_as_reader(running.nginx, "leser@example.org", "203.0.113.9")
        assert (200, "127.0.0.1") == (status, _requested_ip(running.settings, "leser@example.org"))
