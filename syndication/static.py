"""Core: serving ``public/`` (and the bundled static files): strong ETags, Last-Modified, 304s, gzip, content types.

Feed readers poll every few minutes; a 304 costs them (and us) almost nothing. Each
file's ETag is a hash of its bytes, so it changes exactly when the bytes do (the atomic
writer leaves unchanged files alone). The gzip variant is a different representation and
has its own strong ETag (``"<hash>-gz"``), with ``Vary: Accept-Encoding``.
"""

from __future__ import annotations

import gzip
import mimetypes
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path, PurePosixPath
from threading import Lock

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.types import Receive, Scope, Send

from syndication.config import Settings
from syndication.feedwriter.links import FEEDS_DIR
from syndication.http_caching import is_not_modified, strong_etag
from syndication.paths import STATIC_DIR

_TYPES = {
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
_FEED_SUFFIXES = {".rss", ".atom"}
_COMPRESSIBLE = ("text/", "application/rss+xml", "application/atom+xml", "application/feed+json",
                 "application/json", "application/xml", "image/svg+xml", "text/javascript")
# Below this size gzip saves nothing worth the CPU.
_MIN_GZIP_BYTES = 256
_CACHE_ENTRIES = 1024


def content_type(relative: PurePosixPath) -> str:
    """The Content-Type for a file under public/ (JSON under feeds/ is a JSON Feed)."""
    suffix = relative.suffix.lower()
    if suffix == ".json":
        if relative.parts and relative.parts[0] == FEEDS_DIR:
            return "application/feed+json; charset=utf-8"
        return "application/json; charset=utf-8"
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(relative.name)
    return guessed or "application/octet-stream"


def _is_feed(relative: PurePosixPath) -> bool:
    suffix = relative.suffix.lower()
    return suffix in _FEED_SUFFIXES or (suffix == ".json" and bool(relative.parts) and relative.parts[0] == FEEDS_DIR)


@dataclass(frozen=True)
class _Entry:
    data: bytes
    etag: str
    gzipped: bytes | None
    gzip_etag: str | None
    last_modified: datetime
    content_type: str


def _accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().lower()
            if quality.startswith("q="):
                try:
                    return float(quality[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


class PublicFiles:
    """An ASGI app serving files under ``root`` (GET and HEAD)."""

    def __init__(self, root: Path, *, max_age: int, hub: str | None = None, site_url: str = "") -> None:
        self.root = root
        self.max_age = max_age
        self.hub = hub
        self.site_url = site_url.rstrip("/")
        self._cache: OrderedDict[tuple[str, int, int], _Entry] = OrderedDict()
        self._lock = Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await run_in_threadpool(self.respond, request)
        await response(scope, receive, send)

    def _locate(self, route_path: str) -> tuple[PurePosixPath, Path] | None:
        # A NUL byte makes the file system calls below raise instead of answer.
        if "\x00" in route_path:
            return None
        relative = PurePosixPath(route_path.lstrip("/"))
        if ".." in relative.parts or any(part.startswith(".") for part in relative.parts):
            return None
        target = self.root.joinpath(*relative.parts)
        if target.is_dir():
            relative = relative / "index.html"
            target = target / "index.html"
        try:
            root = self.root.resolve()
            if not target.resolve().is_relative_to(root) or not target.is_file():
                return None
        except (OSError, ValueError):
            return None
        return relative, target

    def _entry(self, relative: PurePosixPath, target: Path) -> _Entry:
        stat = target.stat()
        key = (str(target), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        data = target.read_bytes()
        kind = content_type(relative)
        gzipped = None
        if kind.startswith(_COMPRESSIBLE) and len(data) >= _MIN_GZIP_BYTES:
            # mtime=0: the same bytes always compress to the same bytes.
            gzipped = gzip.compress(data, compresslevel=6, mtime=0)
        entry = _Entry(
            data=data,
            etag=strong_etag(data),
            gzipped=gzipped,
            gzip_etag=strong_etag(data, "-gz") if gzipped is not None else None,
            last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
            content_type=kind,
        )
        with self._lock:
            self._cache[key] = entry
            while len(self._cache) > _CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return entry

    def respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("Method Not Allowed\n", 405, headers={"Allow": "GET, HEAD"}, media_type="text/plain")
        route_path = request.scope["path"]
        root_path = request.scope.get("root_path", "")
        if root_path and route_path.startswith(root_path):
            route_path = route_path[len(root_path):]
        located = self._locate(route_path)
        if located is None:
            return Response("Not Found\n", 404, media_type="text/plain")
        relative, target = located
        try:
            entry = self._entry(relative, target)
        except OSError:
            return Response("Not Found\n", 404, media_type="text/plain")
        use_gzip = entry.gzipped is not None and _accepts_gzip(request.headers.get("accept-encoding", ""))
        body = entry.gzipped if use_gzip and entry.gzipped is not None else entry.data
        etag = entry.gzip_etag if use_gzip and entry.gzip_etag else entry.etag
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(entry.last_modified.timestamp(), usegmt=True),
            "Cache-Control": f"public, max-age={self.max_age}",
        }
        if entry.gzipped is not None:
            headers["Vary"] = "Accept-Encoding"
        if self.hub and _is_feed(relative):
            headers["Link"] = f'<{self.hub}>; rel="hub", <{self.site_url}/{relative}>; rel="self"'
        if is_not_modified(request.headers, etag, entry.last_modified):
            return Response(status_code=304, headers=headers)
        headers["Content-Type"] = entry.content_type
        headers["Content-Length"] = str(len(body))
        if use_gzip:
            headers["Content-Encoding"] = "gzip"
        return Response(b"" if request.method == "HEAD" else body, 200, headers=headers)


def routes(settings: Settings) -> list[BaseRoute]:
    """The bundled static files under /static/ and the public/ files mounted at ``/``.

    Add these last, after every other route (the site's front page ``/`` included).
    """
    app = PublicFiles(
        settings.public_dir,
        max_age=settings.feeds.cache_max_age,
        hub=settings.feeds.websub_hub,
        site_url=settings.site.url,
    )
    # The sample articles' images (static/samples/), so the demo's mails and pages show them.
    static = PublicFiles(STATIC_DIR, max_age=settings.feeds.cache_max_age)
    return [Mount("/static", app=static, name="static"), Mount("/", app=app, name="public")]
